"""BERT (Devlin et al., 2018): a stack of post-norm Transformer encoder layers over word, position and
token-type embeddings, with masked-language-model, classification and question-answering heads.

Parameter names are transformers' checkpoint keys (``bert.encoder.layer.0.attention.self.query.weight``,
``cls.predictions.decoder.weight``...), so checkpoints load without renaming. Encoder only: the decoder
options of transformers' BERT (``is_decoder``, cross-attention, key/value cache) are refused.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from .. import errors
from ..activations import activation
from ..configuration import PretrainedConfig
from ..modeling import (
    PreTrainedModel,
    additive_attention_mask,
    attention,
    check_one_input,
    expand_head_mask,
    heads_to_keep,
    prune_linear_layer,
    sequence_classification_loss,
    span_loss,
    token_classification_loss,
)
from ..outputs import (
    BaseModelOutput,
    BaseModelOutputWithPoolingAndCrossAttentions,
    MaskedLMOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)

Tensor = torch.Tensor


# --- configuration ----------------------------------------------------------------------------------------


class BertConfig(PretrainedConfig):
    model_type = "bert"
    defaults: ClassVar[dict[str, Any]] = {
        "vocab_size": 30522,
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": 512,
        "type_vocab_size": 2,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
        "use_cache": True,
        "classifier_dropout": None,
        "is_decoder": False,
        "add_cross_attention": False,
        "bos_token_id": None,
        "eos_token_id": None,
        "tie_word_embeddings": True,
    }
    head_division = ("hidden_size", "num_attention_heads")

    def validate(self) -> None:
        super().validate()
        activation(self.hidden_act)


def classifier_dropout_prob(config: BertConfig) -> float:
    """The heads' dropout: ``classifier_dropout``, or the hidden layers' when unset."""
    return config.hidden_dropout_prob if config.classifier_dropout is None else config.classifier_dropout


# --- layers ---------------------------------------------------------------------------------------------------


class BertEmbeddings(nn.Module):
    """Word + token type + position embeddings, normalised. Positions count from 0 unless given."""

    def __init__(self, config: BertConfig, position_padding_idx: int | None = None) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(
            config.max_position_embeddings, config.hidden_size, padding_idx=position_padding_idx
        )
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def default_position_ids(self, input_ids: Tensor | None, inputs_embeds: Tensor) -> Tensor:
        """0, 1, 2... in every row; computed, not a buffer, as the loader builds models on the meta device."""
        batch, length = inputs_embeds.shape[:2]
        return torch.arange(length, device=inputs_embeds.device).expand(batch, length)

    def forward(
        self,
        input_ids: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        position_ids: Tensor | None = None,
        inputs_embeds: Tensor | None = None,
    ) -> Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        if position_ids is None:
            position_ids = self.default_position_ids(input_ids, inputs_embeds)
        if token_type_ids is None:
            token_type_ids = torch.zeros(inputs_embeds.shape[:2], dtype=torch.long, device=inputs_embeds.device)
        embeddings = inputs_embeds + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(embeddings))


class BertSelfAttention(nn.Module):
    """Multi-head scaled dot-product attention; returns the heads' contexts side by side, and the attention
    probabilities when asked."""

    def __init__(self, config: BertConfig, bias: bool = True) -> None:
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.query = nn.Linear(config.hidden_size, self.all_head_size, bias=bias)
        self.key = nn.Linear(config.hidden_size, self.all_head_size, bias=bias)
        self.value = nn.Linear(config.hidden_size, self.all_head_size, bias=bias)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def split_heads(self, projected: Tensor) -> Tensor:
        """[batch, tokens, all_head_size] -> [batch, heads, tokens, head_size]"""
        batch, length, _ = projected.shape
        return projected.view(batch, length, self.num_attention_heads, self.attention_head_size).transpose(1, 2)

    def forward(
        self,
        hidden_states: Tensor,
        attention_mask: Tensor | None = None,
        head_mask: Tensor | None = None,
        output_attentions: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        context, probs = attention(
            self.split_heads(self.query(hidden_states)),
            self.split_heads(self.key(hidden_states)),
            self.split_heads(self.value(hidden_states)),
            attention_mask,
            dropout=self.dropout.p if self.training else 0.0,
            head_mask=head_mask,
            output_attentions=output_attentions,
        )
        return context.transpose(1, 2).reshape(*hidden_states.shape[:2], self.all_head_size), probs


class BertOutput(nn.Module):
    """Project back to the hidden size, then dropout, residual and LayerNorm (post-norm). Ends both halves of
    a layer: after attention (``in_features`` = hidden size) and after the feed-forward (intermediate size)."""

    def __init__(self, config: BertConfig, in_features: int) -> None:
        super().__init__()
        self.dense = nn.Linear(in_features, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor, input_tensor: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


def prune_attention_heads(attention: BertSelfAttention, output: nn.Module, heads: set[int],
                          pruned: set[int]) -> set[int]:
    """Remove ``heads`` (original numbering; ``pruned`` are gone already) for good: their rows of
    query/key/value and their columns of ``output.dense``. Returns the heads removed now."""
    heads, index = heads_to_keep(attention.num_attention_heads, attention.attention_head_size, heads, pruned)
    if heads:
        attention.query = prune_linear_layer(attention.query, index, dim=0)
        attention.key = prune_linear_layer(attention.key, index, dim=0)
        attention.value = prune_linear_layer(attention.value, index, dim=0)
        output.dense = prune_linear_layer(output.dense, index, dim=1)
        attention.num_attention_heads -= len(heads)
        attention.all_head_size = attention.attention_head_size * attention.num_attention_heads
    return heads


class BertAttention(nn.Module):
    """Self-attention and its output projection; the unit whose heads can be pruned."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertOutput(config, in_features=config.hidden_size)
        self.pruned_heads: set[int] = set()  # in the original numbering

    def prune_heads(self, heads: set[int]) -> None:
        self.pruned_heads |= prune_attention_heads(self.self, self.output, heads, self.pruned_heads)

    def forward(
        self,
        hidden_states: Tensor,
        attention_mask: Tensor | None = None,
        head_mask: Tensor | None = None,
        output_attentions: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        context, probs = self.self(hidden_states, attention_mask, head_mask, output_attentions)
        return self.output(context, hidden_states), probs


class BertIntermediate(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = activation(config.hidden_act)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertLayer(nn.Module):
    """One encoder layer: attention, then feed-forward."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config, in_features=config.intermediate_size)

    def forward(
        self,
        hidden_states: Tensor,
        attention_mask: Tensor | None = None,
        head_mask: Tensor | None = None,
        output_attentions: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        attended, probs = self.attention(hidden_states, attention_mask, head_mask, output_attentions)
        return self.output(self.intermediate(attended), attended), probs


class BertEncoder(nn.Module):
    """A stack of layers (BERT's post-norm ones, or another architecture's, e.g. ViT's pre-norm)."""

    def __init__(self, config: BertConfig, layer_class: type[nn.Module] | None = None) -> None:
        super().__init__()
        layer_class = layer_class or BertLayer
        self.layer = nn.ModuleList([layer_class(config) for _ in range(config.num_hidden_layers)])

    def forward(
        self,
        hidden_states: Tensor,
        attention_mask: Tensor | None,
        head_masks: list[Tensor | None],
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> BaseModelOutput:
        """``hidden_states`` out: the embeddings', then each layer's; ``attentions``: each layer's."""
        all_hidden_states = [hidden_states]
        all_attentions = []
        for layer, head_mask in zip(self.layer, head_masks):
            hidden_states, probs = layer(hidden_states, attention_mask, head_mask, output_attentions)
            all_hidden_states.append(hidden_states)
            all_attentions.append(probs)
        return BaseModelOutput(
            last_hidden_state=hidden_states,
            hidden_states=tuple(all_hidden_states) if output_hidden_states else None,
            attentions=tuple(all_attentions) if output_attentions else None,
        )


class BertPooler(nn.Module):
    """The first token's ([CLS]) final state through a dense layer and tanh."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.activation(self.dense(hidden_states[:, 0]))


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = activation(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class BertLMPredictionHead(nn.Module):
    """Transform, then score every vocabulary entry. Unless ``tie_word_embeddings=False``, the decoder's
    weight is the word embeddings and its bias is ``self.bias`` (ties made by the model's ``tie_weights``)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.decoder(self.transform(hidden_states))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.predictions = BertLMPredictionHead(config)

    def forward(self, sequence_output: Tensor) -> Tensor:
        return self.predictions(sequence_output)


# --- the base model --------------------------------------------------------------------------------------------


class BertPreTrainedModel(PreTrainedModel):
    config_class = BertConfig
    base_model_prefix = "bert"

    @classmethod
    def base_model_class(cls) -> type[BertModel]:
        """The encoder class under this family's heads (RoBERTa's heads sit on a RobertaModel)."""
        return BertModel

    def add_base_model(self, add_pooling_layer: bool = True) -> None:
        """Attach the encoder a head sits on, at ``self.<base_model_prefix>`` (``self.bert``)."""
        encoder = self.base_model_class()(self.config, add_pooling_layer=add_pooling_layer)
        setattr(self, self.base_model_prefix, encoder)

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, BertLMPredictionHead):
            module.bias.data.zero_()


def refuse_decoder_options(config: BertConfig) -> None:
    """transformers' BERT can also be a causal decoder with cross-attention; explorer's is an encoder only,
    and says so rather than compute something else."""
    for option in ("is_decoder", "add_cross_attention"):
        if getattr(config, option, False):
            raise errors.ConfigValueError(
                f"{option}=True: explorer implements {config.model_type} as an encoder only. Set {option}=False."
            )


class BertModel(BertPreTrainedModel):
    """Embeddings, encoder and (unless ``add_pooling_layer=False``) the [CLS] pooler."""

    embeddings_class: ClassVar[type[BertEmbeddings]] = BertEmbeddings

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        refuse_decoder_options(config)
        self.embeddings = self.embeddings_class(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.post_init()

    def attention_layers(self) -> list[BertAttention]:
        return [layer.attention for layer in self.encoder.layer]

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        position_ids: Tensor | None = None,
        head_mask: Tensor | None = None,
        inputs_embeds: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPoolingAndCrossAttentions | tuple[Tensor, ...]:
        output_attentions, output_hidden_states, return_dict = self.flags(
            output_attentions, output_hidden_states, return_dict
        )
        check_one_input(input_ids, inputs_embeds)
        embedded = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds)
        head_masks = expand_head_mask(head_mask, len(self.encoder.layer), embedded.dtype)
        encoded = self.encoder(
            embedded,
            additive_attention_mask(attention_mask, embedded.dtype),
            head_masks,
            output_attentions,
            output_hidden_states,
        )
        output = BaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=encoded.last_hidden_state,
            pooler_output=None if self.pooler is None else self.pooler(encoded.last_hidden_state),
            hidden_states=encoded.hidden_states,
            attentions=encoded.attentions,
            cross_attentions=() if output_attentions else None,  # an encoder has none: () as transformers
        )
        return self.finish(output, return_dict)


# --- heads ------------------------------------------------------------------------------------------------------


class BertForMaskedLM(BertPreTrainedModel):
    _tied_weights_keys: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
        "cls.predictions.decoder.bias": "cls.predictions.bias",
    }

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.add_base_model(add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.cls.predictions.decoder

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.cls.predictions.decoder = new_embeddings
        self.cls.predictions.bias = new_embeddings.bias  # the head's bias is the decoder's, as transformers

    def predict_tokens(self, sequence_output: Tensor) -> Tensor:
        """Vocabulary scores for every token."""
        return self.cls(sequence_output)

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        position_ids: Tensor | None = None,
        head_mask: Tensor | None = None,
        inputs_embeds: Tensor | None = None,
        labels: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> MaskedLMOutput | tuple[Tensor, ...]:
        """``labels``: [batch, tokens] of token ids to predict, -100 where no prediction is scored."""
        outputs = self.base_model(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
                                  output_attentions, output_hidden_states, return_dict=True)
        logits = self.predict_tokens(outputs.last_hidden_state)
        # the same per-token cross-entropy as token classification, over the vocabulary
        loss = None if labels is None else token_classification_loss(logits, labels)
        output = MaskedLMOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )
        return self.finish(output, return_dict)


class BertForSequenceClassification(BertPreTrainedModel):
    """Classification or regression from the pooled [CLS] state."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.add_base_model()
        self.dropout = nn.Dropout(classifier_dropout_prob(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def classify(self, outputs: BaseModelOutputWithPoolingAndCrossAttentions) -> Tensor:
        return self.classifier(self.dropout(outputs.pooler_output))

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        position_ids: Tensor | None = None,
        head_mask: Tensor | None = None,
        inputs_embeds: Tensor | None = None,
        labels: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> SequenceClassifierOutput | tuple[Tensor, ...]:
        """``labels``: [batch] floats (num_labels=1, regression), class ids (single-label) or
        [batch, num_labels] floats (multi-label); ``config.problem_type`` says which, inferred if unset."""
        outputs = self.base_model(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
                                  output_attentions, output_hidden_states, return_dict=True)
        logits = self.classify(outputs)
        loss = None if labels is None else sequence_classification_loss(self.config, logits, labels)
        output = SequenceClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )
        return self.finish(output, return_dict)


class BertForTokenClassification(BertPreTrainedModel):
    """One label per token (e.g. named entities)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.add_base_model(add_pooling_layer=False)
        self.dropout = nn.Dropout(classifier_dropout_prob(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        position_ids: Tensor | None = None,
        head_mask: Tensor | None = None,
        inputs_embeds: Tensor | None = None,
        labels: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> TokenClassifierOutput | tuple[Tensor, ...]:
        """``labels``: [batch, tokens] of class ids, -100 for tokens left out of the loss."""
        outputs = self.base_model(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
                                  output_attentions, output_hidden_states, return_dict=True)
        logits = self.classifier(self.dropout(outputs.last_hidden_state))
        loss = None if labels is None else token_classification_loss(logits, labels)
        output = TokenClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )
        return self.finish(output, return_dict)


class BertForQuestionAnswering(BertPreTrainedModel):
    """Extractive question answering: a start and an end score for every token."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.add_base_model(add_pooling_layer=False)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
        position_ids: Tensor | None = None,
        head_mask: Tensor | None = None,
        inputs_embeds: Tensor | None = None,
        start_positions: Tensor | None = None,
        end_positions: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> QuestionAnsweringModelOutput | tuple[Tensor, ...]:
        """``start_positions`` / ``end_positions``: [batch] token indices of the answer span; positions
        beyond the sequence are left out of the loss."""
        outputs = self.base_model(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
                                  output_attentions, output_hidden_states, return_dict=True)
        start_logits, end_logits = self.qa_outputs(outputs.last_hidden_state).split(1, dim=-1)
        start_logits = start_logits.squeeze(-1).contiguous()
        end_logits = end_logits.squeeze(-1).contiguous()
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        output = QuestionAnsweringModelOutput(
            loss=loss,
            start_logits=start_logits,
            end_logits=end_logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return self.finish(output, return_dict)
