"""wav2vec 2.0 (Baevski et al., 2020): raw audio through a stack of 1-d convolutions (the feature encoder), a
projection, a convolutional relative position embedding, then a Transformer encoder; heads for connectionist
temporal classification (speech recognition) and utterance classification.

Parameter names are transformers' checkpoint keys (``wav2vec2.feature_extractor.conv_layers.0.conv.weight``,
``wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original0``...). The positional convolution is
weight-normalised; its two halves are stored under the names of torch's ``weight_norm`` parametrization, and
older checkpoints' ``weight_g`` / ``weight_v`` are renamed on load. The weight is computed in ``forward`` from
plain parameters, so the model can be built on the meta device.

Two layouts, picked by the config: ``feat_extract_norm="group"`` with ``do_stable_layer_norm=False`` (wav2vec2-base:
a GroupNorm in the first convolution only, post-norm Transformer layers), and ``feat_extract_norm="layer"`` with
``do_stable_layer_norm=True`` (wav2vec2-large-lv60, XLS-R: a LayerNorm in every convolution, pre-norm layers).
"""

from __future__ import annotations

import functools
import math
import operator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .. import errors
from ..activations import activation
from ..configuration import SIZE_LIMITS, PretrainedConfig, check_probability, check_size
from ..modeling import PreTrainedModel, additive_attention_mask, attention
from ..outputs import BaseModelOutput, CausalLMOutput, ModelOutput, SequenceClassifierOutput

Tensor = torch.Tensor


# --- configuration ----------------------------------------------------------------------------------------


class Wav2Vec2Config(PretrainedConfig):
    model_type = "wav2vec2"
    defaults: ClassVar[dict[str, Any]] = {
        "vocab_size": 32,
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "hidden_act": "gelu",
        "hidden_dropout": 0.1,
        "activation_dropout": 0.1,
        "attention_dropout": 0.1,
        "feat_proj_dropout": 0.0,
        "feat_quantizer_dropout": 0.0,
        "final_dropout": 0.1,
        "layerdrop": 0.1,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-5,
        "feat_extract_norm": "group",
        "feat_extract_activation": "gelu",
        "conv_dim": [512, 512, 512, 512, 512, 512, 512],
        "conv_stride": [5, 2, 2, 2, 2, 2, 2],
        "conv_kernel": [10, 3, 3, 3, 3, 2, 2],
        "conv_bias": False,
        "num_conv_pos_embeddings": 128,
        "num_conv_pos_embedding_groups": 16,
        "do_stable_layer_norm": False,
        "apply_spec_augment": True,
        "mask_time_prob": 0.05,
        "mask_time_length": 10,
        "mask_time_min_masks": 2,
        "mask_feature_prob": 0.0,
        "mask_feature_length": 10,
        "mask_feature_min_masks": 0,
        "num_codevectors_per_group": 320,
        "num_codevector_groups": 2,
        "contrastive_logits_temperature": 0.1,
        "num_negatives": 100,
        "codevector_dim": 256,
        "proj_codevector_dim": 256,
        "diversity_loss_weight": 0.1,
        "ctc_loss_reduction": "sum",
        "ctc_zero_infinity": False,
        "use_weighted_layer_sum": False,
        "classifier_proj_size": 256,
        "tdnn_dim": [512, 512, 512, 512, 1500],
        "tdnn_kernel": [5, 3, 3, 1, 1],
        "tdnn_dilation": [1, 2, 3, 1, 1],
        "xvector_output_dim": 512,
        "pad_token_id": 0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "add_adapter": False,
        "adapter_kernel_size": 3,
        "adapter_stride": 2,
        "num_adapter_layers": 3,
        "output_hidden_size": None,  # the hidden size unless set (filled in by __init__)
        "adapter_attn_dim": None,
        "num_feat_extract_layers": 7,  # len(conv_dim), recomputed by __init__
    }
    head_division = ("hidden_size", "num_attention_heads")
    # vocab_size may be None (a checkpoint without a CTC head): checked in validate()
    size_limits: ClassVar[dict[str, int]] = {
        **{name: limit for name, limit in SIZE_LIMITS.items() if name != "vocab_size"},
        "num_conv_pos_embeddings": 1 << 16,
        "num_conv_pos_embedding_groups": 1 << 16,
        "classifier_proj_size": 1 << 16,
        "mask_time_length": 1 << 20,
        "mask_feature_length": 1 << 16,
        "adapter_kernel_size": 1 << 10,
        "adapter_stride": 1 << 10,
        "num_adapter_layers": 1024,
    }
    CONV_FIELDS: ClassVar[tuple[str, ...]] = ("conv_dim", "conv_stride", "conv_kernel")

    def __init__(self, **kwargs: Any) -> None:
        # derived as transformers' __post_init__ does (a value given explicitly wins, and must then agree)
        conv_dim = kwargs.get("conv_dim", self.defaults["conv_dim"])
        if "num_feat_extract_layers" not in kwargs and isinstance(conv_dim, (list, tuple)):
            kwargs["num_feat_extract_layers"] = len(conv_dim)
        super().__init__(**kwargs)
        self.output_hidden_size = self.output_hidden_size or self.hidden_size

    def to_dict(self) -> dict[str, Any]:
        """Tuples (``conv_dim=(512, 512)``) become lists, as in transformers' dictionary and JSON."""
        return {name: list(value) if isinstance(value, tuple) else value for name, value in super().to_dict().items()}

    @property
    def inputs_to_logits_ratio(self) -> int:
        """Audio samples per output frame: the product of the convolution strides (320 for the defaults)."""
        return functools.reduce(operator.mul, self.conv_stride, 1)

    def validate(self) -> None:
        super().validate()
        if self.vocab_size is not None:
            check_size("vocab_size", self.vocab_size, SIZE_LIMITS["vocab_size"])
        for name in ("output_hidden_size", "adapter_attn_dim"):
            if getattr(self, name) is not None:
                check_size(name, getattr(self, name), 1 << 16)
        lists = {name: getattr(self, name) for name in self.CONV_FIELDS}
        for name, values in lists.items():
            if not isinstance(values, (list, tuple)) or not values:
                raise errors.ConfigValueError(
                    f"{name} must be a non-empty list (one entry per convolution), got {values!r}."
                )
            for value in values:
                check_size(f"{name} entry", value, 1 << 16)
        if len({len(values) for values in lists.values()}) != 1:
            raise errors.ConfigValueError(
                "conv_dim, conv_stride and conv_kernel describe the same convolutions and must be equally long, got "
                + ", ".join(f"len({name})={len(values)}" for name, values in lists.items()) + "."
            )
        if self.num_feat_extract_layers != len(self.conv_dim):
            raise errors.ConfigValueError(
                f"num_feat_extract_layers={self.num_feat_extract_layers} but conv_dim lists {len(self.conv_dim)} "
                "convolutions: they must agree (leave num_feat_extract_layers out and it follows conv_dim)."
            )
        if self.feat_extract_norm not in ("group", "layer"):
            raise errors.ConfigValueError(
                f"feat_extract_norm={self.feat_extract_norm!r} must be 'group' (a GroupNorm in the first convolution) "
                "or 'layer' (a LayerNorm in every convolution)."
            )
        if self.hidden_size % self.num_conv_pos_embedding_groups:
            raise errors.ConfigValueError(
                f"hidden_size={self.hidden_size} is not a multiple of num_conv_pos_embedding_groups="
                f"{self.num_conv_pos_embedding_groups}: the positional convolution splits the channels into that many "
                "groups. Change one of them."
            )
        for name in ("layerdrop", "mask_time_prob", "mask_feature_prob"):
            check_probability(name, getattr(self, name))
        if self.ctc_loss_reduction not in ("sum", "mean", "none"):
            raise errors.ConfigValueError(
                f"ctc_loss_reduction={self.ctc_loss_reduction!r} must be 'sum', 'mean' or 'none'."
            )
        activation(self.hidden_act)
        activation(self.feat_extract_activation, field="feat_extract_activation")


# --- outputs ----------------------------------------------------------------------------------------------------


@dataclass
class Wav2Vec2BaseModelOutput(ModelOutput):
    """``extract_features``: the feature encoder's output, layer-normalised, before the projection."""

    last_hidden_state: Tensor | None = None
    extract_features: Tensor | None = None
    hidden_states: tuple[Tensor, ...] | None = None
    attentions: tuple[Tensor, ...] | None = None


# --- SpecAugment (training only) --------------------------------------------------------------------------------


def _compute_mask_indices(
    shape: tuple[int, int],
    mask_prob: float,
    mask_length: int,
    attention_mask: Tensor | None = None,
    min_masks: int = 0,
) -> np.ndarray:
    """Random spans of ``mask_length`` along the second axis of ``shape`` covering about ``mask_prob`` of each
    row's valid length (SpecAugment), as transformers draws them: with numpy's global generator, so a seeded
    ``np.random`` gives transformers' masks."""
    batch_size, sequence_length = shape
    if mask_length < 1:
        raise errors.ConfigValueError(f"mask length must be at least 1, got {mask_length}.")
    if mask_length > sequence_length:
        raise errors.ModelInputError(
            f"the SpecAugment mask length {mask_length} exceeds the {sequence_length} frames of this input: use "
            "longer audio or a smaller mask_time_length / mask_feature_length."
        )
    epsilon = np.random.rand(1).item()  # probabilistic rounding

    def num_masked_spans(input_length: int) -> int:
        count = max(int(mask_prob * input_length / mask_length + epsilon), min_masks)
        if count * mask_length > sequence_length:
            count = sequence_length // mask_length
        if input_length - (mask_length - 1) < count:
            count = max(input_length - (mask_length - 1), 0)
        return count

    input_lengths = (attention_mask.detach().sum(-1).tolist() if attention_mask is not None
                     else [sequence_length] * batch_size)
    mask = np.zeros((batch_size, sequence_length), dtype=bool)
    max_spans = num_masked_spans(sequence_length)
    if max_spans == 0:
        return mask
    starts = []
    for input_length in input_lengths:
        count = num_masked_spans(input_length)
        row = np.random.choice(np.arange(input_length - (mask_length - 1)), count, replace=False)
        # pad every row to max_spans by repeating its first start (or the last frame, padding, if it has none)
        dummy = sequence_length - 1 if len(row) == 0 else row[0]
        starts.append(np.concatenate([row, np.ones(max_spans - count, dtype=np.int32) * dummy]))
    spans = np.broadcast_to(np.array(starts)[:, :, None], (batch_size, max_spans, mask_length))
    spans = spans.reshape(batch_size, max_spans * mask_length)
    offsets = np.broadcast_to(np.arange(mask_length)[None, None, :], (batch_size, max_spans, mask_length))
    spans = spans + offsets.reshape(batch_size, max_spans * mask_length)
    spans[spans > sequence_length - 1] = sequence_length - 1
    np.put_along_axis(mask, spans, 1, -1)
    return mask


# --- the feature encoder: raw audio -> one feature vector per 20 ms ----------------------------------------------


class Wav2Vec2ConvLayer(nn.Module):
    """Convolution ``layer_id`` of the feature encoder, then its activation (feat_extract_activation)."""

    def __init__(self, config: Wav2Vec2Config, layer_id: int = 0) -> None:
        super().__init__()
        self.in_conv_dim = config.conv_dim[layer_id - 1] if layer_id > 0 else 1
        self.out_conv_dim = config.conv_dim[layer_id]
        self.conv = nn.Conv1d(self.in_conv_dim, self.out_conv_dim, kernel_size=config.conv_kernel[layer_id],
                              stride=config.conv_stride[layer_id], bias=config.conv_bias)
        self.activation = activation(config.feat_extract_activation, field="feat_extract_activation")

    def normalize(self, hidden_states: Tensor) -> Tensor:
        return hidden_states

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.activation(self.normalize(self.conv(hidden_states)))


class Wav2Vec2NoLayerNormConvLayer(Wav2Vec2ConvLayer):
    """Convolution and activation (the layers after the first in the "group" layout)."""


class Wav2Vec2LayerNormConvLayer(Wav2Vec2ConvLayer):
    """Convolution, LayerNorm over the channels of each frame, activation (every layer of the "layer" layout)."""

    def __init__(self, config: Wav2Vec2Config, layer_id: int = 0) -> None:
        super().__init__(config, layer_id)
        self.layer_norm = nn.LayerNorm(self.out_conv_dim, elementwise_affine=True)

    def normalize(self, hidden_states: Tensor) -> Tensor:
        return self.layer_norm(hidden_states.transpose(-2, -1)).transpose(-2, -1)


class Wav2Vec2GroupNormConvLayer(Wav2Vec2ConvLayer):
    """Convolution, GroupNorm with one group per channel (each channel normalised over time), activation: the
    first layer of the "group" layout."""

    def __init__(self, config: Wav2Vec2Config, layer_id: int = 0) -> None:
        super().__init__(config, layer_id)
        self.layer_norm = nn.GroupNorm(num_groups=self.out_conv_dim, num_channels=self.out_conv_dim, affine=True)

    def normalize(self, hidden_states: Tensor) -> Tensor:
        return self.layer_norm(hidden_states)


class Wav2Vec2FeatureEncoder(nn.Module):
    """[batch, samples] of audio -> [batch, conv_dim[-1], frames]."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        count = len(config.conv_dim)
        if config.feat_extract_norm == "group":
            layers = [Wav2Vec2GroupNormConvLayer(config, layer_id=0)]
            layers += [Wav2Vec2NoLayerNormConvLayer(config, layer_id=i) for i in range(1, count)]
        else:
            layers = [Wav2Vec2LayerNormConvLayer(config, layer_id=i) for i in range(count)]
        self.conv_layers = nn.ModuleList(layers)
        self._requires_grad = True  # transformers' flag, False once frozen

    def _freeze_parameters(self) -> None:
        for parameter in self.parameters():
            parameter.requires_grad = False
        self._requires_grad = False

    def forward(self, input_values: Tensor) -> Tensor:
        hidden_states = input_values[:, None]
        for conv_layer in self.conv_layers:
            hidden_states = conv_layer(hidden_states)
        return hidden_states


class Wav2Vec2FeatureProjection(nn.Module):
    """LayerNorm then a linear map to the hidden size; returns the projection and the normalised features."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.layer_norm = nn.LayerNorm(config.conv_dim[-1], eps=config.layer_norm_eps)
        self.projection = nn.Linear(config.conv_dim[-1], config.hidden_size)
        self.dropout = nn.Dropout(config.feat_proj_dropout)

    def forward(self, hidden_states: Tensor) -> tuple[Tensor, Tensor]:
        normalized = self.layer_norm(hidden_states)
        return self.dropout(self.projection(normalized)), normalized


# --- the positional convolution -----------------------------------------------------------------------------------


class Wav2Vec2WeightNorm(nn.Module):
    """A weight-normalised tensor: ``weight = g * v / ||v||``, the norm taken over every dimension but ``dim``.
    ``original0`` is g (the magnitudes) and ``original1`` is v (the directions), the names torch's
    ``parametrizations.weight_norm`` gives them and transformers saves."""

    def __init__(self, shape: tuple[int, ...], dim: int, init_std: float) -> None:
        super().__init__()
        self.dim = dim
        self.init_std = init_std
        magnitude_shape = [size if axis == dim else 1 for axis, size in enumerate(shape)]
        self.original0 = nn.Parameter(torch.empty(magnitude_shape))
        self.original1 = nn.Parameter(torch.empty(shape))

    def norm(self) -> Tensor:
        other_axes = tuple(axis for axis in range(self.original1.dim()) if axis != self.dim)
        return self.original1.norm(dim=other_axes, keepdim=True)

    def forward(self) -> Tensor:
        # torch's fused kernel, the one nn.utils.parametrizations.weight_norm (and so transformers) calls:
        # the same numbers as original1 * original0 / norm(), several times faster than the strided reduction
        return torch._weight_norm(self.original1, self.original0, self.dim)


class Wav2Vec2WeightNormConv1d(nn.Module):
    """A grouped, "same"-padded 1-d convolution whose weight is weight-normalised along the kernel axis (dim 2),
    as ``weight_norm(nn.Conv1d(...), dim=2)``; ``weight`` is computed on every access."""

    def __init__(self, channels: int, kernel_size: int, groups: int) -> None:
        super().__init__()
        self.in_channels = self.out_channels = channels
        self.kernel_size = (kernel_size,)
        self.padding = (kernel_size // 2,)
        self.groups = groups
        # transformers' intended initialisation of the weight: N(0, 2 / sqrt(kernel_size * in_channels))
        init_std = 2 * math.sqrt(1 / (kernel_size * channels))
        self.parametrizations = nn.ModuleDict(
            {"weight": Wav2Vec2WeightNorm((channels, channels // groups, kernel_size), dim=2, init_std=init_std)}
        )
        self.bias = nn.Parameter(torch.empty(channels))

    @property
    def weight(self) -> Tensor:
        return self.parametrizations["weight"]()

    def forward(self, hidden_states: Tensor) -> Tensor:
        return F.conv1d(hidden_states, self.weight, self.bias, padding=self.padding, groups=self.groups)


class Wav2Vec2SamePadLayer(nn.Module):
    """An even kernel with padding kernel // 2 gives one frame too many: drop the last."""

    def __init__(self, num_conv_pos_embeddings: int) -> None:
        super().__init__()
        self.num_pad_remove = 1 if num_conv_pos_embeddings % 2 == 0 else 0

    def forward(self, hidden_states: Tensor) -> Tensor:
        return hidden_states[:, :, : -self.num_pad_remove] if self.num_pad_remove else hidden_states


class Wav2Vec2PositionalConvEmbedding(nn.Module):
    """Relative positions from a wide grouped convolution over time: [batch, frames, hidden] in and out."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.conv = Wav2Vec2WeightNormConv1d(config.hidden_size, config.num_conv_pos_embeddings,
                                             config.num_conv_pos_embedding_groups)
        self.padding = Wav2Vec2SamePadLayer(config.num_conv_pos_embeddings)
        self.activation = activation(config.feat_extract_activation, field="feat_extract_activation")

    def forward(self, hidden_states: Tensor) -> Tensor:
        hidden_states = self.padding(self.conv(hidden_states.transpose(1, 2)))
        return self.activation(hidden_states).transpose(1, 2)


# --- the Transformer encoder -----------------------------------------------------------------------------------


class Wav2Vec2Attention(nn.Module):
    """Multi-head self-attention over the frames."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.embed_dim = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = config.attention_dropout
        self.k_proj = nn.Linear(self.embed_dim, self.embed_dim)
        self.v_proj = nn.Linear(self.embed_dim, self.embed_dim)
        self.q_proj = nn.Linear(self.embed_dim, self.embed_dim)
        self.out_proj = nn.Linear(self.embed_dim, self.embed_dim)

    def split_heads(self, projected: Tensor) -> Tensor:
        """[batch, frames, hidden] -> [batch, heads, frames, head_dim]"""
        return projected.view(*projected.shape[:2], self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, hidden_states: Tensor, attention_mask: Tensor | None = None,
                output_attentions: bool = False) -> tuple[Tensor, Tensor | None]:
        context, probs = attention(
            self.split_heads(self.q_proj(hidden_states)),
            self.split_heads(self.k_proj(hidden_states)),
            self.split_heads(self.v_proj(hidden_states)),
            attention_mask,
            dropout=self.dropout if self.training else 0.0,
            output_attentions=output_attentions,
        )
        return self.out_proj(context.transpose(1, 2).reshape(hidden_states.shape)), probs


class Wav2Vec2FeedForward(nn.Module):
    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.intermediate_dropout = nn.Dropout(config.activation_dropout)
        self.intermediate_dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = activation(config.hidden_act)
        self.output_dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.output_dropout = nn.Dropout(config.hidden_dropout)

    def forward(self, hidden_states: Tensor) -> Tensor:
        hidden_states = self.intermediate_dropout(self.intermediate_act_fn(self.intermediate_dense(hidden_states)))
        return self.output_dropout(self.output_dense(hidden_states))


class Wav2Vec2AttnAdapterLayer(nn.Module):
    """A small bottleneck added after each pre-norm layer (``adapter_attn_dim``, the MMS checkpoints)."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(config.hidden_size)
        self.linear_1 = nn.Linear(config.hidden_size, config.adapter_attn_dim)
        self.act_fn = nn.ReLU()
        self.linear_2 = nn.Linear(config.adapter_attn_dim, config.hidden_size)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.linear_2(self.act_fn(self.linear_1(self.norm(hidden_states))))


class Wav2Vec2EncoderLayer(nn.Module):
    """Post-norm layer: attention, residual, LayerNorm; feed-forward, residual, LayerNorm."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.attention = Wav2Vec2Attention(config)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.feed_forward = Wav2Vec2FeedForward(config)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: Tensor, attention_mask: Tensor | None = None,
                output_attentions: bool = False) -> tuple[Tensor, Tensor | None]:
        attended, probs = self.attention(hidden_states, attention_mask, output_attentions)
        hidden_states = self.layer_norm(hidden_states + self.dropout(attended))
        hidden_states = self.final_layer_norm(hidden_states + self.feed_forward(hidden_states))
        return hidden_states, probs


class Wav2Vec2EncoderLayerStableLayerNorm(nn.Module):
    """Pre-norm layer: LayerNorm, attention, residual; LayerNorm, feed-forward, residual (and the attention
    adapter when ``adapter_attn_dim`` is set)."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.attention = Wav2Vec2Attention(config)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.feed_forward = Wav2Vec2FeedForward(config)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.adapter_layer = Wav2Vec2AttnAdapterLayer(config) if config.adapter_attn_dim is not None else None

    def forward(self, hidden_states: Tensor, attention_mask: Tensor | None = None,
                output_attentions: bool = False) -> tuple[Tensor, Tensor | None]:
        attended, probs = self.attention(self.layer_norm(hidden_states), attention_mask, output_attentions)
        hidden_states = hidden_states + self.dropout(attended)
        hidden_states = hidden_states + self.feed_forward(self.final_layer_norm(hidden_states))
        if self.adapter_layer is not None:
            hidden_states = hidden_states + self.adapter_layer(hidden_states)
        return hidden_states, probs


class Wav2Vec2Encoder(nn.Module):
    """Positional convolution added to the projected features, then the layers (post-norm: the sum is
    normalised before the first layer)."""

    layer_class: ClassVar[type[nn.Module]] = Wav2Vec2EncoderLayer

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.pos_conv_embed = Wav2Vec2PositionalConvEmbedding(config)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.layers = nn.ModuleList([self.layer_class(config) for _ in range(config.num_hidden_layers)])
        self.layerdrop = config.layerdrop

    def before_layers(self, hidden_states: Tensor) -> Tensor:
        return self.dropout(self.layer_norm(hidden_states + self.pos_conv_embed(hidden_states)))

    def after_layers(self, hidden_states: Tensor) -> Tensor:
        return hidden_states

    def forward(
        self,
        hidden_states: Tensor,
        attention_mask: Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> BaseModelOutput:
        """``attention_mask``: [batch, frames] of True (audio) / False (padding). ``hidden_states`` out: the
        first layer's input, then each layer's output (before the final LayerNorm of the pre-norm encoder, as
        transformers v5); a layer skipped by LayerDrop adds none."""
        if attention_mask is not None:
            hidden_states = hidden_states.masked_fill(~attention_mask[..., None], 0.0)  # padded frames are zeros
        mask = additive_attention_mask(attention_mask, hidden_states.dtype)
        hidden_states = self.before_layers(hidden_states)
        all_hidden_states, all_attentions = [hidden_states], []
        for layer in self.layers:
            if self.training and self.layerdrop > 0.0 and torch.rand([]) < self.layerdrop:
                continue  # LayerDrop
            hidden_states, probs = layer(hidden_states, mask, output_attentions)
            all_hidden_states.append(hidden_states)
            all_attentions.append(probs)
        return BaseModelOutput(
            last_hidden_state=self.after_layers(hidden_states),
            hidden_states=tuple(all_hidden_states) if output_hidden_states else None,
            attentions=tuple(all_attentions) if output_attentions else None,
        )


class Wav2Vec2EncoderStableLayerNorm(Wav2Vec2Encoder):
    """The pre-norm encoder: positions added without normalisation; a LayerNorm after the last layer."""

    layer_class = Wav2Vec2EncoderLayerStableLayerNorm

    def before_layers(self, hidden_states: Tensor) -> Tensor:
        return self.dropout(hidden_states + self.pos_conv_embed(hidden_states))

    def after_layers(self, hidden_states: Tensor) -> Tensor:
        return self.layer_norm(hidden_states)


class Wav2Vec2AdapterLayer(nn.Module):
    """A strided convolution to twice the channels, then a GLU: halves the frames (``adapter_stride=2``)."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        self.conv = nn.Conv1d(config.output_hidden_size, 2 * config.output_hidden_size, config.adapter_kernel_size,
                              stride=config.adapter_stride, padding=1)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return F.glu(self.conv(hidden_states), dim=1)


class Wav2Vec2Adapter(nn.Module):
    """``add_adapter``: fewer, and optionally narrower, frames after the encoder (for speech-to-text decoders)."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__()
        if config.output_hidden_size != config.hidden_size:
            self.proj = nn.Linear(config.hidden_size, config.output_hidden_size)
            self.proj_layer_norm = nn.LayerNorm(config.output_hidden_size)
        else:
            self.proj = self.proj_layer_norm = None
        self.layers = nn.ModuleList(Wav2Vec2AdapterLayer(config) for _ in range(config.num_adapter_layers))
        self.layerdrop = config.layerdrop

    def forward(self, hidden_states: Tensor) -> Tensor:
        if self.proj is not None:
            hidden_states = self.proj_layer_norm(self.proj(hidden_states))
        hidden_states = hidden_states.transpose(1, 2)
        for layer in self.layers:
            if not self.training or np.random.random() > self.layerdrop:  # LayerDrop, drawn as transformers
                hidden_states = layer(hidden_states)
        return hidden_states.transpose(1, 2)


# --- the base model -------------------------------------------------------------------------------------------------


class Wav2Vec2PreTrainedModel(PreTrainedModel):
    config_class = Wav2Vec2Config
    base_model_prefix = "wav2vec2"
    main_input_name = "input_values"
    # checkpoints saved with torch's older nn.utils.weight_norm (transformers v4 and before)
    _checkpoint_renames = PreTrainedModel._checkpoint_renames + (
        (r"\.weight_g$", ".parametrizations.weight.original0"),
        (r"\.weight_v$", ".parametrizations.weight.original1"),
    )

    def _init_weights(self, module: nn.Module) -> None:
        """transformers' initialisation: N(0, initializer_range) for linear layers, Kaiming for convolutions,
        uniform(±1/sqrt(fan_in)) for the feature projection, uniform(0, 1) for the mask embedding."""
        std = self.config.initializer_range
        with torch.no_grad():
            if isinstance(module, Wav2Vec2WeightNorm):
                # the positional convolution's weight drawn from N(0, init_std), stored as v with g = ||v||.
                # transformers' init aims at this but reaches only the computed weight, so the g and v it stores
                # are left uninitialised when a checkpoint lacks them.
                module.original1.normal_(mean=0.0, std=module.init_std)
                module.original0.copy_(module.norm())
            elif isinstance(module, Wav2Vec2WeightNormConv1d):
                module.bias.zero_()
            elif isinstance(module, nn.Linear) and self._is_feature_projection(module):
                bound = math.sqrt(1 / module.in_features)
                module.weight.uniform_(-bound, bound)
                module.bias.uniform_(-bound, bound)
            elif isinstance(module, nn.Linear):
                module.weight.normal_(mean=0.0, std=std)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.Conv1d):
                nn.init.kaiming_normal_(module.weight)
                if module.bias is not None:
                    bound = math.sqrt(module.groups / (module.in_channels * module.kernel_size[0]))
                    module.bias.uniform_(-bound, bound)
            elif isinstance(module, (nn.LayerNorm, nn.GroupNorm)):
                module.weight.fill_(1.0)
                module.bias.zero_()
            elif isinstance(module, Wav2Vec2Model) and module.masked_spec_embed is not None:
                module.masked_spec_embed.uniform_()
            elif isinstance(module, Wav2Vec2ForSequenceClassification) and module.layer_weights is not None:
                module.layer_weights.fill_(1.0 / module.layer_weights.numel())

    def _is_feature_projection(self, module: nn.Module) -> bool:
        projection = getattr(self.base_model, "feature_projection", None)
        return projection is not None and module is projection.projection

    def get_input_embeddings(self) -> nn.Module:
        raise NotImplementedError(f"{type(self).__name__} reads audio: it has no input embeddings.")

    def _get_feat_extract_output_lengths(self, input_lengths: Tensor | int, add_adapter: bool | None = None) -> Tensor:
        """Frames out of the feature encoder (and the adapter, if any) for ``input_lengths`` samples."""
        add_adapter = self.config.add_adapter if add_adapter is None else add_adapter

        def conv_out_length(length: Tensor | int, kernel_size: int, stride: int) -> Tensor:
            return torch.div(length - kernel_size, stride, rounding_mode="floor") + 1

        for kernel_size, stride in zip(self.config.conv_kernel, self.config.conv_stride):
            input_lengths = conv_out_length(input_lengths, kernel_size, stride)
        if add_adapter:
            for _ in range(self.config.num_adapter_layers):
                input_lengths = conv_out_length(input_lengths, 1, self.config.adapter_stride)
        return input_lengths

    def _get_feature_vector_attention_mask(self, feature_vector_length: int, attention_mask: Tensor,
                                           add_adapter: bool | None = None) -> Tensor:
        """The samples' [batch, samples] mask -> the frames' [batch, frames] boolean mask: a row's first
        ``output length`` frames are True."""
        non_padded_lengths = attention_mask.cumsum(dim=-1)[:, -1]
        output_lengths = self._get_feat_extract_output_lengths(non_padded_lengths, add_adapter=add_adapter)
        output_lengths = output_lengths.to(torch.long)
        batch_size = attention_mask.shape[0]
        mask = torch.zeros((batch_size, feature_vector_length), dtype=attention_mask.dtype,
                           device=attention_mask.device)
        mask[(torch.arange(batch_size, device=mask.device), output_lengths - 1)] = 1
        return mask.flip([-1]).cumsum(-1).flip([-1]).bool()

    def freeze_feature_encoder(self) -> None:
        """No gradients for the convolutional feature encoder (as usual when fine-tuning)."""
        self.base_model.feature_extractor._freeze_parameters()

    def freeze_base_model(self) -> None:
        """No gradients for the whole base model: only the head trains."""
        for parameter in self.base_model.parameters():
            parameter.requires_grad = False


class Wav2Vec2Model(Wav2Vec2PreTrainedModel):
    """Feature encoder, projection, (SpecAugment in training), Transformer encoder, optional adapter."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__(config)
        self.feature_extractor = Wav2Vec2FeatureEncoder(config)
        self.feature_projection = Wav2Vec2FeatureProjection(config)
        # the vector that replaces masked frames; present only when the config masks (as transformers)
        self.masked_spec_embed = (nn.Parameter(torch.empty(config.hidden_size))
                                  if config.mask_time_prob > 0.0 or config.mask_feature_prob > 0.0 else None)
        encoder_class = Wav2Vec2EncoderStableLayerNorm if config.do_stable_layer_norm else Wav2Vec2Encoder
        self.encoder = encoder_class(config)
        self.adapter = Wav2Vec2Adapter(config) if config.add_adapter else None
        self.post_init()

    def _mask_hidden_states(self, hidden_states: Tensor, mask_time_indices: Tensor | None = None,
                            attention_mask: Tensor | None = None) -> Tensor:
        """SpecAugment: frames at ``mask_time_indices`` (or, in training, random spans) become
        ``masked_spec_embed``; in training, random feature channels are zeroed too."""
        if not getattr(self.config, "apply_spec_augment", True):
            return hidden_states
        batch_size, sequence_length, hidden_size = hidden_states.shape
        if mask_time_indices is None and self.config.mask_time_prob > 0 and self.training:
            mask_time_indices = torch.tensor(
                _compute_mask_indices((batch_size, sequence_length), self.config.mask_time_prob,
                                      self.config.mask_time_length, attention_mask, self.config.mask_time_min_masks),
                device=hidden_states.device, dtype=torch.bool,
            )
        if mask_time_indices is not None:
            if self.masked_spec_embed is None:
                raise errors.ModelInputError(
                    "mask_time_indices needs masked_spec_embed, which the model has only when mask_time_prob or "
                    "mask_feature_prob is above 0 in its config."
                )
            embed = self.masked_spec_embed.to(hidden_states.dtype)
            hidden_states = torch.where(mask_time_indices.bool()[..., None], embed, hidden_states)
        if self.config.mask_feature_prob > 0 and self.training:
            mask_feature_indices = torch.tensor(
                _compute_mask_indices((batch_size, hidden_size), self.config.mask_feature_prob,
                                      self.config.mask_feature_length, min_masks=self.config.mask_feature_min_masks),
                device=hidden_states.device, dtype=torch.bool,
            )
            hidden_states = hidden_states.masked_fill(mask_feature_indices[:, None], 0.0)
        return hidden_states

    def check_input(self, input_values: Tensor) -> None:
        if not isinstance(input_values, Tensor) or input_values.dim() != 2 or not input_values.is_floating_point():
            shape = list(input_values.shape) if isinstance(input_values, Tensor) else type(input_values).__name__
            raise errors.ModelInputError(
                f"input_values must be a float tensor [batch, samples] of raw audio, got {shape}. Use the feature "
                "extractor (AutoFeatureExtractor) to batch waveforms."
            )
        if int(self._get_feat_extract_output_lengths(input_values.shape[1], add_adapter=False)) < 1:
            raise errors.ModelInputError(
                f"{input_values.shape[1]} samples are fewer than the feature encoder's receptive field "
                f"(conv_kernel={self.config.conv_kernel}, conv_stride={self.config.conv_stride}): pass longer audio."
            )

    def forward(
        self,
        input_values: Tensor | None,
        attention_mask: Tensor | None = None,
        mask_time_indices: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Wav2Vec2BaseModelOutput | tuple[Tensor, ...]:
        """``input_values``: [batch, samples] of audio (right-padded); ``attention_mask``: [batch, samples], 1
        for audio and 0 for padding; ``mask_time_indices``: [batch, frames], frames to replace by the mask
        embedding."""
        output_attentions, output_hidden_states, return_dict = self.flags(
            output_attentions, output_hidden_states, return_dict
        )
        self.check_input(input_values)
        extract_features = self.feature_extractor(input_values).transpose(1, 2)
        if attention_mask is not None:
            attention_mask = self._get_feature_vector_attention_mask(extract_features.shape[1], attention_mask,
                                                                     add_adapter=False)
        hidden_states, extract_features = self.feature_projection(extract_features)
        hidden_states = self._mask_hidden_states(hidden_states, mask_time_indices, attention_mask)
        encoded = self.encoder(hidden_states, attention_mask, output_attentions, output_hidden_states)
        hidden_states = encoded.last_hidden_state
        if self.adapter is not None:
            hidden_states = self.adapter(hidden_states)
        output = Wav2Vec2BaseModelOutput(
            last_hidden_state=hidden_states,
            extract_features=extract_features,
            hidden_states=encoded.hidden_states,
            attentions=encoded.attentions,
        )
        return self.finish(output, return_dict)


# --- heads ------------------------------------------------------------------------------------------------------


def ctc_loss(logits: Tensor, labels: Tensor, logit_lengths: Tensor, blank_token_id: int, reduction: str,
             zero_infinity: bool, ignore_index: int = -100) -> Tensor:
    """Connectionist temporal classification, as transformers' ForCTCLoss: the label positions holding
    ``ignore_index`` or the blank (padding) are left out of the targets."""
    labels = labels.to(logits.device)
    labels_mask = (labels != ignore_index) & (labels != blank_token_id)
    log_probs = F.log_softmax(logits, dim=-1, dtype=torch.float32).transpose(0, 1)
    with torch.backends.cudnn.flags(enabled=False):  # as transformers: cuDNN's CTC has other restrictions
        return F.ctc_loss(log_probs, labels.masked_select(labels_mask), logit_lengths, labels_mask.sum(-1),
                          blank=blank_token_id, reduction=reduction, zero_infinity=zero_infinity)


class Wav2Vec2ForCTC(Wav2Vec2PreTrainedModel):
    """A vocabulary score per frame (``lm_head``), for CTC decoding; the pad token is CTC's blank."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__(config)
        if config.vocab_size is None:
            raise errors.ConfigValueError(
                "Wav2Vec2ForCTC needs vocab_size (the size of the CTC vocabulary), but the config has None: pass "
                "vocab_size=... to from_pretrained or set it in config.json."
            )
        self.wav2vec2 = Wav2Vec2Model(config)
        self.dropout = nn.Dropout(config.final_dropout)
        self.lm_head = nn.Linear(config.output_hidden_size if config.add_adapter else config.hidden_size,
                                 config.vocab_size)
        self.post_init()

    def forward(
        self,
        input_values: Tensor | None,
        attention_mask: Tensor | None = None,
        labels: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> CausalLMOutput | tuple[Tensor, ...]:
        """``labels``: [batch, target length] of token ids; -100 (or the pad token) marks padding."""
        if labels is not None and labels.max() >= self.config.vocab_size:
            raise errors.ModelInputError(
                f"labels hold id {int(labels.max())}, but vocab_size is {self.config.vocab_size}: label ids must be "
                "below vocab_size (pad with -100)."
            )
        outputs = self.wav2vec2(input_values, attention_mask, output_attentions=output_attentions,
                                output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.lm_head(self.dropout(outputs.last_hidden_state))
        loss = None
        if labels is not None:
            if attention_mask is None:
                attention_mask = torch.ones_like(input_values, dtype=torch.long)
            input_lengths = self._get_feat_extract_output_lengths(attention_mask.sum(-1)).to(torch.long)
            loss = ctc_loss(logits, labels, input_lengths, self.config.pad_token_id, self.config.ctc_loss_reduction,
                            self.config.ctc_zero_infinity)
        output = CausalLMOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states,
                                attentions=outputs.attentions)
        return self.finish(output, return_dict)


class Wav2Vec2ForSequenceClassification(Wav2Vec2PreTrainedModel):
    """Utterance classification (keyword spotting, speaker or emotion recognition): the frames projected,
    averaged over the audio (not the padding), then classified."""

    def __init__(self, config: Wav2Vec2Config) -> None:
        super().__init__(config)
        if config.add_adapter:
            raise errors.ConfigValueError(
                "Wav2Vec2ForSequenceClassification does not support add_adapter=True (as transformers). Set "
                "add_adapter=False."
            )
        self.wav2vec2 = Wav2Vec2Model(config)
        num_layers = config.num_hidden_layers + 1  # the layers' outputs and their input
        # softmax-normalised weights of the hidden states (use_weighted_layer_sum), else the last one alone
        self.layer_weights = nn.Parameter(torch.empty(num_layers)) if config.use_weighted_layer_sum else None
        self.projector = nn.Linear(config.hidden_size, config.classifier_proj_size)
        self.classifier = nn.Linear(config.classifier_proj_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_values: Tensor | None,
        attention_mask: Tensor | None = None,
        labels: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> SequenceClassifierOutput | tuple[Tensor, ...]:
        """``labels``: [batch] class ids; the loss is cross-entropy (whatever ``num_labels``, as transformers)."""
        output_attentions, output_hidden_states, return_dict = self.flags(
            output_attentions, output_hidden_states, return_dict
        )
        weighted = self.layer_weights is not None
        outputs = self.wav2vec2(input_values, attention_mask, output_attentions=output_attentions,
                                output_hidden_states=output_hidden_states or weighted, return_dict=True)
        if weighted:
            stacked = torch.stack(outputs.hidden_states, dim=1)
            hidden_states = (stacked * F.softmax(self.layer_weights, dim=-1).view(-1, 1, 1)).sum(dim=1)
        else:
            hidden_states = outputs.last_hidden_state
        hidden_states = self.projector(hidden_states)
        if attention_mask is None:
            pooled = hidden_states.mean(dim=1)
        else:
            frames = self._get_feature_vector_attention_mask(hidden_states.shape[1], attention_mask)
            pooled = hidden_states.masked_fill(~frames[..., None], 0.0).sum(dim=1) / frames.sum(dim=1).view(-1, 1)
        logits = self.classifier(pooled)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.view(-1, self.config.num_labels), labels.to(logits.device).view(-1))
        output = SequenceClassifierOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states if output_hidden_states else None,
            attentions=outputs.attentions,
        )
        return self.finish(output, return_dict)
