"""RoBERTa (Liu et al., 2019) and XLM-RoBERTa (Conneau et al., 2019): BERT's encoder, reused as is, with
fairseq's position numbering (positions start after ``pad_token_id``, padding keeps the padding position),
a GELU language-model head and a two-layer classification head on the first token.

Only what differs from BERT is defined here; parameter names are transformers' checkpoint keys
(``roberta.encoder.layer.0...``, ``lm_head.decoder.weight``, ``classifier.out_proj.weight``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from ..modeling import PreTrainedModel
from ..outputs import BaseModelOutputWithPoolingAndCrossAttentions
from .bert import (
    BertConfig,
    BertEmbeddings,
    BertForMaskedLM,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
    BertPreTrainedModel,
    classifier_dropout_prob,
)

Tensor = torch.Tensor


# --- configurations -------------------------------------------------------------------------------------------


class RobertaConfig(BertConfig):
    """BERT's fields; RoBERTa's defaults differ only in vocabulary and special token ids."""

    model_type = "roberta"
    defaults: ClassVar[dict[str, Any]] = {
        "vocab_size": 50265,
        "pad_token_id": 1,
        "bos_token_id": 0,
        "eos_token_id": 2,
    }


class XLMRobertaConfig(RobertaConfig):
    model_type = "xlm-roberta"
    defaults: ClassVar[dict[str, Any]] = {"vocab_size": 30522}


# --- layers -----------------------------------------------------------------------------------------------------


class RobertaEmbeddings(BertEmbeddings):
    """BERT's embeddings with fairseq's positions: real tokens count from ``padding_idx + 1`` and padding
    tokens take position ``padding_idx``, whose embedding is the padding row."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config, position_padding_idx=config.pad_token_id)
        self.padding_idx = config.pad_token_id

    def default_position_ids(self, input_ids: Tensor | None, inputs_embeds: Tensor) -> Tensor:
        if input_ids is not None:
            return self.create_position_ids_from_input_ids(input_ids, self.padding_idx)
        return self.create_position_ids_from_inputs_embeds(inputs_embeds, self.padding_idx)

    @staticmethod
    def create_position_ids_from_input_ids(input_ids: Tensor, padding_idx: int,
                                           past_key_values_length: int = 0) -> Tensor:
        """Non-padding tokens numbered ``padding_idx + 1, + 2...`` in order; padding tokens ``padding_idx``."""
        mask = input_ids.ne(padding_idx).int()
        incremental_indices = (torch.cumsum(mask, dim=1).type_as(mask) + past_key_values_length) * mask
        return incremental_indices.long() + padding_idx

    @staticmethod
    def create_position_ids_from_inputs_embeds(inputs_embeds: Tensor, padding_idx: int) -> Tensor:
        """Embeddings do not show which tokens are padding: every position counts, from ``padding_idx + 1``."""
        batch, length = inputs_embeds.shape[:2]
        positions = torch.arange(padding_idx + 1, length + padding_idx + 1, dtype=torch.long,
                                 device=inputs_embeds.device)
        return positions.unsqueeze(0).expand(batch, length)


class RobertaLMHead(nn.Module):
    """Dense, GELU, LayerNorm, then vocabulary scores; tied as BERT's :class:`BertLMPredictionHead`."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, features: Tensor) -> Tensor:
        return self.decoder(self.layer_norm(F.gelu(self.dense(features))))


class RobertaClassificationHead(nn.Module):
    """Sentence classification from the first token (<s>): dropout, dense, tanh, dropout, projection.
    RoBERTa has no pooler: this head plays its part."""

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(classifier_dropout_prob(config))
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, features: Tensor) -> Tensor:
        first_token = self.dropout(features[:, 0, :])
        return self.out_proj(self.dropout(torch.tanh(self.dense(first_token))))


# --- the base model ---------------------------------------------------------------------------------------------


class RobertaPreTrainedModel(BertPreTrainedModel):
    config_class = RobertaConfig
    base_model_prefix = "roberta"

    @classmethod
    def base_model_class(cls) -> type[BertModel]:
        return RobertaModel

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, RobertaLMHead):
            module.bias.data.zero_()


class RobertaModel(RobertaPreTrainedModel, BertModel):
    """BERT's encoder and pooler over RoBERTa's embeddings."""

    embeddings_class = RobertaEmbeddings


# --- heads --------------------------------------------------------------------------------------------------------
# BERT's forward passes, over ``self.roberta``; only the heads' own layers differ.


class RobertaForMaskedLM(RobertaPreTrainedModel, BertForMaskedLM):
    _tied_weights_keys: ClassVar[dict[str, str]] = {
        "lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight",
        "lm_head.decoder.bias": "lm_head.bias",
    }

    def __init__(self, config: RobertaConfig) -> None:
        PreTrainedModel.__init__(self, config)  # not BertForMaskedLM's: RoBERTa has its own head
        self.add_base_model(add_pooling_layer=False)
        self.lm_head = RobertaLMHead(config)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head.decoder

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.lm_head.decoder = new_embeddings

    def predict_tokens(self, sequence_output: Tensor) -> Tensor:
        return self.lm_head(sequence_output)


class RobertaForSequenceClassification(RobertaPreTrainedModel, BertForSequenceClassification):
    """Classification or regression by :class:`RobertaClassificationHead` from the first token."""

    def __init__(self, config: RobertaConfig) -> None:
        PreTrainedModel.__init__(self, config)  # not BertForSequenceClassification's: no pooler here
        self.num_labels = config.num_labels
        self.add_base_model(add_pooling_layer=False)
        self.classifier = RobertaClassificationHead(config)
        self.post_init()

    def classify(self, outputs: BaseModelOutputWithPoolingAndCrossAttentions) -> Tensor:
        return self.classifier(outputs.last_hidden_state)


class RobertaForTokenClassification(RobertaPreTrainedModel, BertForTokenClassification):
    """BERT's token classification head over RoBERTa."""


class RobertaForQuestionAnswering(RobertaPreTrainedModel, BertForQuestionAnswering):
    """BERT's span head over RoBERTa."""


# --- XLM-RoBERTa: RoBERTa's architecture under its own config and class names -------------------------------------


class XLMRobertaPreTrainedModel(RobertaPreTrainedModel):
    config_class = XLMRobertaConfig

    @classmethod
    def base_model_class(cls) -> type[BertModel]:
        return XLMRobertaModel


class XLMRobertaModel(XLMRobertaPreTrainedModel, RobertaModel):
    """XLM-RoBERTa's encoder (RoBERTa's, multilingual vocabulary)."""


class XLMRobertaForMaskedLM(XLMRobertaPreTrainedModel, RobertaForMaskedLM):
    """RoBERTa's masked-language-model head over XLM-RoBERTa."""


class XLMRobertaForSequenceClassification(XLMRobertaPreTrainedModel, RobertaForSequenceClassification):
    """RoBERTa's sequence classification head over XLM-RoBERTa."""


class XLMRobertaForTokenClassification(XLMRobertaPreTrainedModel, RobertaForTokenClassification):
    """Token classification over XLM-RoBERTa."""


class XLMRobertaForQuestionAnswering(XLMRobertaPreTrainedModel, RobertaForQuestionAnswering):
    """Extractive question answering over XLM-RoBERTa."""
