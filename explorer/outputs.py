"""What models return: ordered containers with transformers' class names and field names.

A ``ModelOutput`` reads as a dataclass (``out.logits``), a dict (``out["logits"]``, ``out.keys()``) and a tuple
(``out[0]``, ``out.to_tuple()``); fields left ``None`` are absent from the dict and tuple views, as in
transformers.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, fields
from typing import Any

import torch


class ModelOutput(OrderedDict):
    """Base of all outputs: subclasses are dataclasses whose non-None fields become the dict's items (the
    dataclass ``__init__`` sets each field through ``__setattr__``, which keeps the two views in step)."""

    def __getitem__(self, key: str | int | slice) -> Any:
        if isinstance(key, str):
            return super().__getitem__(key)
        return self.to_tuple()[key]

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.keys() or value is not None:
            super().__setitem__(name, value)
        super().__setattr__(name, value)

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        super().__setattr__(key, value)

    def __reduce__(self):  # dataclass fields, not dict items, rebuild the object
        return type(self), tuple(getattr(self, field.name) for field in fields(self))  # type: ignore[arg-type]

    def to_tuple(self) -> tuple[Any, ...]:
        return tuple(self.values())


Tensor = torch.Tensor
Tensors = tuple[torch.Tensor, ...]


@dataclass
class BaseModelOutput(ModelOutput):
    last_hidden_state: Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class BaseModelOutputWithPoolingAndCrossAttentions(ModelOutput):
    last_hidden_state: Tensor | None = None
    pooler_output: Tensor | None = None
    hidden_states: Tensors | None = None
    past_key_values: Any = None
    attentions: Tensors | None = None
    cross_attentions: Tensors | None = None


@dataclass
class MaskedLMOutput(ModelOutput):
    loss: Tensor | None = None
    logits: Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class SequenceClassifierOutput(ModelOutput):
    loss: Tensor | None = None
    logits: Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class TokenClassifierOutput(ModelOutput):
    loss: Tensor | None = None
    logits: Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class QuestionAnsweringModelOutput(ModelOutput):
    loss: Tensor | None = None
    start_logits: Tensor | None = None
    end_logits: Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class BaseModelOutputWithPooling(ModelOutput):
    last_hidden_state: Tensor | None = None
    pooler_output: Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class BaseModelOutputWithNoAttention(ModelOutput):
    last_hidden_state: Tensor | None = None
    hidden_states: Tensors | None = None


@dataclass
class BaseModelOutputWithPoolingAndNoAttention(ModelOutput):
    last_hidden_state: Tensor | None = None
    pooler_output: Tensor | None = None
    hidden_states: Tensors | None = None


@dataclass
class ImageClassifierOutput(ModelOutput):
    loss: Tensor | None = None
    logits: Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class ImageClassifierOutputWithNoAttention(ModelOutput):
    loss: Tensor | None = None
    logits: Tensor | None = None
    hidden_states: Tensors | None = None


@dataclass
class BackboneOutput(ModelOutput):
    feature_maps: Tensors | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class CausalLMOutput(ModelOutput):
    """transformers' output of CTC heads (``Wav2Vec2ForCTC``)."""

    loss: Tensor | None = None
    logits: Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


# --- decoders


@dataclass
class CacheOutput(ModelOutput):
    """Outputs of decoders, which return their key-value cache as ``cache`` (transformers v5's name); the v4
    name ``past_key_values`` still reads it, as in transformers."""

    @property
    def past_key_values(self) -> Any:
        return getattr(self, "cache", None)


@dataclass
class BaseModelOutputWithPast(CacheOutput):
    last_hidden_state: Tensor | None = None
    cache: Any = None  # explorer.cache.DynamicCache
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class BaseModelOutputWithPastAndCrossAttentions(CacheOutput):
    last_hidden_state: Tensor | None = None
    cache: Any = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None
    cross_attentions: Tensors | None = None


@dataclass
class CausalLMOutputWithPast(CacheOutput):
    loss: Tensor | None = None
    logits: Tensor | None = None
    cache: Any = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None


@dataclass
class CausalLMOutputWithCrossAttentions(CacheOutput):
    loss: Tensor | None = None
    logits: Tensor | None = None
    cache: Any = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None
    cross_attentions: Tensors | None = None


@dataclass
class SequenceClassifierOutputWithPast(CacheOutput):
    loss: Tensor | None = None
    logits: Tensor | None = None
    cache: Any = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None
