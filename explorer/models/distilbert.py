"""DistilBERT (Sanh et al., 2019): BERT distilled to half its layers, without token types or pooler.

Read top to bottom: the config, the layers from the embeddings up, the base model, then the task heads.
Parameter names are transformers' checkpoint keys (``distilbert.transformer.layer.0.attention.q_lin.weight``),
so a checkpoint loads without renaming. ``head_mask`` and ``prune_heads`` keep transformers v4's meaning.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from .. import errors
from ..activations import activation
from ..configuration import SIZE_LIMITS, PretrainedConfig
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
    MaskedLMOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)

# --- configuration --------------------------------------------------------------------------------------------


class DistilBertConfig(PretrainedConfig):
    model_type = "distilbert"
    attribute_map = {"hidden_size": "dim", "num_attention_heads": "n_heads", "num_hidden_layers": "n_layers"}
    defaults = {
        "vocab_size": 30522,
        "max_position_embeddings": 512,
        "sinusoidal_pos_embds": False,
        "n_layers": 6,
        "n_heads": 12,
        "dim": 768,
        "hidden_dim": 4 * 768,
        "dropout": 0.1,
        "attention_dropout": 0.1,
        "activation": "gelu",
        "initializer_range": 0.02,
        "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2,
        "pad_token_id": 0,
        "eos_token_id": None,
        "bos_token_id": None,
        "tie_word_embeddings": True,
    }
    size_limits = SIZE_LIMITS | {"dim": 1 << 16, "hidden_dim": 1 << 18, "n_layers": 1024, "n_heads": 1024}
    head_division = ("dim", "n_heads")

    def validate(self) -> None:
        super().validate()
        activation(self.activation, "activation")


# --- layers, bottom up ----------------------------------------------------------------------------------------


def sinusoidal_positions(num_positions: int, dim: int) -> torch.Tensor:
    """The fixed position table of "Attention is all you need": sine on even features, cosine on odd ones,
    wavelengths 10000 ** (2 * (feature // 2) / dim); computed in float64 as transformers does."""
    positions = torch.arange(num_positions, dtype=torch.float64)[:, None]
    exponents = 2 * torch.div(torch.arange(dim), 2, rounding_mode="floor").to(torch.float64) / dim
    angles = positions / torch.pow(10000.0, exponents)
    table = torch.empty(num_positions, dim, dtype=torch.float64)
    table[:, 0::2] = angles[:, 0::2].sin()
    table[:, 1::2] = angles[:, 1::2].cos()
    return table


class DistilBertEmbeddings(nn.Module):
    """Word plus position embeddings (no token types), normalised."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.dim, padding_idx=config.pad_token_id)
        # learned, or when config.sinusoidal_pos_embds the fixed table (filled by _init_weights, saved as usual)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.dim)
        self.LayerNorm = nn.LayerNorm(config.dim, eps=1e-12)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor | None,
                position_ids: torch.Tensor | None) -> torch.Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        if position_ids is None:  # computed here, not a buffer: the model is built on the meta device
            position_ids = torch.arange(inputs_embeds.shape[1], device=inputs_embeds.device)[None, :]
        embeddings = inputs_embeds + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(embeddings))


class DistilBertSelfAttention(nn.Module):
    """Multi-head self-attention; heads can be pruned for good (``prune_heads``)."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.n_heads = config.n_heads
        self.head_size = config.dim // config.n_heads
        self.dropout = config.attention_dropout
        self.pruned_heads: set[int] = set()
        self.q_lin = nn.Linear(config.dim, config.dim)
        self.k_lin = nn.Linear(config.dim, config.dim)
        self.v_lin = nn.Linear(config.dim, config.dim)
        self.out_lin = nn.Linear(config.dim, config.dim)

    def forward(self, hidden_states: torch.Tensor, mask: torch.Tensor | None, head_mask: torch.Tensor | None,
                output_attentions: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        batch, length, _ = hidden_states.shape

        def by_head(projected: torch.Tensor) -> torch.Tensor:
            """[batch, tokens, features] -> [batch, heads, tokens, head_size]"""
            return projected.view(batch, length, self.n_heads, self.head_size).transpose(1, 2)

        context, weights = attention(
            by_head(self.q_lin(hidden_states)),
            by_head(self.k_lin(hidden_states)),
            by_head(self.v_lin(hidden_states)),
            mask,
            dropout=self.dropout if self.training else 0.0,
            head_mask=head_mask,
            output_attentions=output_attentions,
        )
        context = context.transpose(1, 2).reshape(batch, length, self.n_heads * self.head_size)
        return self.out_lin(context), weights

    def prune_heads(self, heads: set[int]) -> None:
        """Drop ``heads`` (numbered as in the unpruned layer) from the projections."""
        heads, index = heads_to_keep(self.n_heads, self.head_size, heads, self.pruned_heads)
        if not heads:
            return
        self.q_lin = prune_linear_layer(self.q_lin, index, dim=0)
        self.k_lin = prune_linear_layer(self.k_lin, index, dim=0)
        self.v_lin = prune_linear_layer(self.v_lin, index, dim=0)
        self.out_lin = prune_linear_layer(self.out_lin, index, dim=1)
        self.n_heads -= len(heads)
        self.pruned_heads |= heads


class DistilBertFFN(nn.Module):
    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.lin1 = nn.Linear(config.dim, config.hidden_dim)
        self.activation = activation(config.activation, "activation")
        self.lin2 = nn.Linear(config.hidden_dim, config.dim)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.lin2(self.activation(self.lin1(hidden_states))))


class DistilBertTransformerBlock(nn.Module):
    """Attention then feed-forward, each added to its input and normalised (post-norm, as BERT)."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.attention = DistilBertSelfAttention(config)
        self.sa_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)
        self.ffn = DistilBertFFN(config)
        self.output_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)

    def forward(self, hidden_states: torch.Tensor, mask: torch.Tensor | None, head_mask: torch.Tensor | None,
                output_attentions: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(hidden_states, mask, head_mask, output_attentions)
        hidden_states = self.sa_layer_norm(attended + hidden_states)
        hidden_states = self.output_layer_norm(self.ffn(hidden_states) + hidden_states)
        return hidden_states, weights


class DistilBertTransformer(nn.Module):
    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(DistilBertTransformerBlock(config) for _ in range(config.n_layers))

    def forward(self, hidden_states: torch.Tensor, mask: torch.Tensor | None, head_masks: list[torch.Tensor | None],
                output_attentions: bool, output_hidden_states: bool) -> BaseModelOutput:
        all_hidden_states = (hidden_states,) if output_hidden_states else None
        all_attentions = () if output_attentions else None
        for block, head_mask in zip(self.layer, head_masks):
            hidden_states, weights = block(hidden_states, mask, head_mask, output_attentions)
            if output_hidden_states:
                all_hidden_states += (hidden_states,)
            if output_attentions:
                all_attentions += (weights,)
        return BaseModelOutput(last_hidden_state=hidden_states, hidden_states=all_hidden_states,
                               attentions=all_attentions)


# --- the base model -------------------------------------------------------------------------------------------


class DistilBertPreTrainedModel(PreTrainedModel):
    config_class = DistilBertConfig
    base_model_prefix = "distilbert"

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        # the loader initialises a missing tensor through its own module: recognise the position table itself
        if self.config.sinusoidal_pos_embds and module is self.base_model.embeddings.position_embeddings:
            with torch.no_grad():
                module.weight.copy_(sinusoidal_positions(*module.weight.shape))


class DistilBertModel(DistilBertPreTrainedModel):
    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.embeddings = DistilBertEmbeddings(config)
        self.transformer = DistilBertTransformer(config)
        self.post_init()

    def attention_layers(self) -> list[DistilBertSelfAttention]:
        return [block.attention for block in self.transformer.layer]

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        position_ids: torch.Tensor | None = None,
    ) -> BaseModelOutput | tuple[torch.Tensor, ...]:
        output_attentions, output_hidden_states, return_dict = self.flags(
            output_attentions, output_hidden_states, return_dict
        )
        check_one_input(input_ids, inputs_embeds)
        embeddings = self.embeddings(input_ids, inputs_embeds, position_ids)
        mask = additive_attention_mask(attention_mask, embeddings.dtype)
        head_masks = expand_head_mask(head_mask, len(self.transformer.layer), embeddings.dtype)
        output = self.transformer(embeddings, mask, head_masks, output_attentions, output_hidden_states)
        return self.finish(output, return_dict)


# --- task heads -----------------------------------------------------------------------------------------------


class DistilBertForMaskedLM(DistilBertPreTrainedModel):
    _tied_weights_keys: ClassVar[dict[str, str]] = {
        "vocab_projector.weight": "distilbert.embeddings.word_embeddings.weight"
    }

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.activation = activation(config.activation, "activation")
        self.distilbert = DistilBertModel(config)
        self.vocab_transform = nn.Linear(config.dim, config.dim)
        self.vocab_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)
        self.vocab_projector = nn.Linear(config.dim, config.vocab_size)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.vocab_projector

    def set_output_embeddings(self, embeddings: nn.Linear) -> None:
        self.vocab_projector = embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        position_ids: torch.Tensor | None = None,
    ) -> MaskedLMOutput | tuple[torch.Tensor, ...]:
        encoded = self.distilbert(input_ids, attention_mask, head_mask, inputs_embeds, output_attentions,
                                  output_hidden_states, return_dict=True, position_ids=position_ids)
        transformed = self.vocab_layer_norm(self.activation(self.vocab_transform(encoded.last_hidden_state)))
        logits = self.vocab_projector(transformed)
        loss = None if labels is None else token_classification_loss(logits, labels)
        output = MaskedLMOutput(loss=loss, logits=logits, hidden_states=encoded.hidden_states,
                                attentions=encoded.attentions)
        return self.finish(output, return_dict)


class DistilBertForSequenceClassification(DistilBertPreTrainedModel):
    """A classifier (or regressor) on the first token's state: pre_classifier, ReLU, dropout, classifier."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.distilbert = DistilBertModel(config)
        self.pre_classifier = nn.Linear(config.dim, config.dim)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.dropout = nn.Dropout(config.seq_classif_dropout)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        position_ids: torch.Tensor | None = None,
    ) -> SequenceClassifierOutput | tuple[torch.Tensor, ...]:
        encoded = self.distilbert(input_ids, attention_mask, head_mask, inputs_embeds, output_attentions,
                                  output_hidden_states, return_dict=True, position_ids=position_ids)
        pooled = torch.relu(self.pre_classifier(encoded.last_hidden_state[:, 0]))
        logits = self.classifier(self.dropout(pooled))
        loss = None if labels is None else sequence_classification_loss(self.config, logits, labels)
        output = SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=encoded.hidden_states,
                                          attentions=encoded.attentions)
        return self.finish(output, return_dict)


class DistilBertForTokenClassification(DistilBertPreTrainedModel):
    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.distilbert = DistilBertModel(config)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        position_ids: torch.Tensor | None = None,
    ) -> TokenClassifierOutput | tuple[torch.Tensor, ...]:
        encoded = self.distilbert(input_ids, attention_mask, head_mask, inputs_embeds, output_attentions,
                                  output_hidden_states, return_dict=True, position_ids=position_ids)
        logits = self.classifier(self.dropout(encoded.last_hidden_state))
        loss = None if labels is None else token_classification_loss(logits, labels)
        output = TokenClassifierOutput(loss=loss, logits=logits, hidden_states=encoded.hidden_states,
                                       attentions=encoded.attentions)
        return self.finish(output, return_dict)


class DistilBertForQuestionAnswering(DistilBertPreTrainedModel):
    """Extractive question answering: a start and an end score per token."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        if config.num_labels != 2:
            raise errors.ConfigValueError(
                f"DistilBertForQuestionAnswering needs num_labels=2 (start and end scores), got {config.num_labels}."
            )
        self.distilbert = DistilBertModel(config)
        self.qa_outputs = nn.Linear(config.dim, config.num_labels)
        self.dropout = nn.Dropout(config.qa_dropout)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        position_ids: torch.Tensor | None = None,
    ) -> QuestionAnsweringModelOutput | tuple[torch.Tensor, ...]:
        encoded = self.distilbert(input_ids, attention_mask, head_mask, inputs_embeds, output_attentions,
                                  output_hidden_states, return_dict=True, position_ids=position_ids)
        logits = self.qa_outputs(self.dropout(encoded.last_hidden_state))
        start_logits, end_logits = (scores.squeeze(-1).contiguous() for scores in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        output = QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                              hidden_states=encoded.hidden_states, attentions=encoded.attentions)
        return self.finish(output, return_dict)
