"""Swin Transformer (Liu et al., 2021): a hierarchical vision Transformer. The image is cut into patches;
each stage runs self-attention inside local windows (every second layer shifts the windows by half a window,
so information crosses window borders), then merges each 2x2 block of patches into one, halving the grid and
doubling the width. Heads: image classification (mean of the last stage), and a backbone returning the feature
maps of chosen stages.

Parameter names are transformers' checkpoint keys (``swin.encoder.layers.0.blocks.1.attention.self.query.weight``,
``...attention.self.relative_position_bias_table``, ``...intermediate.dense``...), the spelling transformers
writes to files; its in-memory spelling (``attention.q_proj``, ``mlp.fc1``...) is read too. The relative
position index is computed, never stored: the loader builds models on the meta device. As transformers v5,
``attentions`` holds one tensor per stage (its last layer's), ``[batch * windows, heads, window², window²]``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from .. import errors
from ..activations import activation
from ..backbone import BackboneConfigMixin, BackboneMixin
from ..configuration import SIZE_LIMITS, PretrainedConfig, check_probability
from ..modeling import PreTrainedModel, attention, sequence_classification_loss
from ..outputs import BackboneOutput, ModelOutput

Tensor = torch.Tensor
Tensors = tuple[torch.Tensor, ...]


# --- configuration ----------------------------------------------------------------------------------------


def pair(name: str, value: Any, limit: int = 1 << 16) -> tuple[int, int]:
    """``image_size`` / ``patch_size``: one side for a square, or [height, width]."""
    sides = list(value) if isinstance(value, (list, tuple)) else [value, value]
    if len(sides) != 2 or not all(isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= limit for s in sides):
        raise errors.ConfigValueError(
            f"{name} must be a whole number between 1 and {limit}, or [height, width] of them; got {value!r}."
        )
    return sides[0], sides[1]


class SwinConfig(BackboneConfigMixin, PretrainedConfig):
    """swin-tiny by default (patch 4, window 7, embed_dim 96, depths 2-2-6-2, heads 3-6-12-24, 224 pixels).
    ``hidden_size`` (the last stage's width) and ``num_layers`` (the number of stages) follow from the others."""

    model_type = "swin"
    attribute_map: ClassVar[dict[str, str]] = {"num_attention_heads": "num_heads", "num_hidden_layers": "num_layers"}
    defaults: ClassVar[dict[str, Any]] = {
        "image_size": 224,
        "patch_size": 4,
        "num_channels": 3,
        "embed_dim": 96,
        "depths": [2, 2, 6, 2],
        "num_heads": [3, 6, 12, 24],
        "window_size": 7,
        "mlp_ratio": 4.0,
        "qkv_bias": True,
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "drop_path_rate": 0.1,
        "hidden_act": "gelu",
        "use_absolute_embeddings": False,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-5,
        "encoder_stride": 32,
        "num_layers": 4,
        "hidden_size": 768,
    }
    size_limits: ClassVar[dict[str, int]] = {
        **SIZE_LIMITS,
        "embed_dim": 1 << 14,
        "window_size": 1 << 10,
        "num_channels": 1 << 10,
        "encoder_stride": 1 << 10,
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # derived as transformers derives them, whatever config.json says
        self.depths, self.num_heads = list(self.depths), list(self.num_heads)
        self.num_layers = len(self.depths)
        self.hidden_size = self.stage_width(len(self.depths) - 1)

    def stage_width(self, stage: int) -> int:
        """Channels of stage ``stage`` (0-based): the width doubles at every patch merging."""
        return int(self.embed_dim * 2**stage)

    def compute_stage_names(self) -> list[str]:
        return ["stem"] + [f"stage{index}" for index in range(1, len(self.depths) + 1)]

    def validate(self) -> None:
        super().validate()
        pair("image_size", self.image_size)
        pair("patch_size", self.patch_size)
        for name in ("depths", "num_heads"):
            value = getattr(self, name)
            if (
                not isinstance(value, (list, tuple))
                or not 1 <= len(value) <= 8
                or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1024 for v in value)
            ):
                raise errors.ConfigValueError(
                    f"{name} must list one whole number (1 to 1024) per stage, for 1 to 8 stages; got {value!r}."
                )
        if len(self.depths) != len(self.num_heads):
            raise errors.ConfigValueError(
                f"depths has {len(self.depths)} stages but num_heads has {len(self.num_heads)}: give one head "
                "count per stage."
            )
        for stage, heads in enumerate(self.num_heads):
            width = self.stage_width(stage)
            if width % heads:
                raise errors.ConfigValueError(
                    f"num_heads[{stage}]={heads} does not divide stage {stage + 1}'s width embed_dim * 2**{stage} "
                    f"= {width}: each attention head gets width / heads features. Change num_heads or embed_dim."
                )
        if self.stage_width(len(self.depths) - 1) > SIZE_LIMITS["hidden_size"]:
            raise errors.ConfigValueError(
                f"embed_dim={self.embed_dim} doubled over {len(self.depths)} stages gives a last stage wider than "
                f"{SIZE_LIMITS['hidden_size']}. Use fewer stages (depths) or a smaller embed_dim."
            )
        ratio = self.mlp_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 64 \
                or int(ratio * self.embed_dim) < 1:
            raise errors.ConfigValueError(
                f"mlp_ratio={ratio!r} must be a number in (0, 64] giving a feed-forward of at least one feature."
            )
        check_probability("drop_path_rate", self.drop_path_rate)
        eps = self.layer_norm_eps
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps < 1:
            raise errors.ConfigValueError(f"layer_norm_eps must be a small positive number, got {eps!r}.")
        activation(self.hidden_act)


# --- outputs (transformers' Swin output classes) ----------------------------------------------------------


@dataclass
class SwinEncoderOutput(ModelOutput):
    last_hidden_state: Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None
    reshaped_hidden_states: Tensors | None = None


@dataclass
class SwinModelOutput(ModelOutput):
    """``reshaped_hidden_states``: the stem's and each stage's output as maps ``[batch, channels, height, width]``."""

    last_hidden_state: Tensor | None = None
    pooler_output: Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None
    reshaped_hidden_states: Tensors | None = None


@dataclass
class SwinImageClassifierOutput(ModelOutput):
    loss: Tensor | None = None
    logits: Tensor | None = None
    hidden_states: Tensors | None = None
    attentions: Tensors | None = None
    reshaped_hidden_states: Tensors | None = None


# --- windows ----------------------------------------------------------------------------------------------


def window_partition(features: Tensor, window_size: int) -> Tensor:
    """[batch, height, width, channels] -> [batch * windows, window, window, channels], windows row by row."""
    batch, height, width, channels = features.shape
    features = features.view(batch, height // window_size, window_size, width // window_size, window_size, channels)
    return features.transpose(2, 3).reshape(-1, window_size, window_size, channels)


def window_reverse(windows: Tensor, window_size: int, height: int, width: int) -> Tensor:
    """The inverse of :func:`window_partition`."""
    channels = windows.shape[-1]
    windows = windows.view(-1, height // window_size, width // window_size, window_size, window_size, channels)
    return windows.transpose(2, 3).reshape(-1, height, width, channels)


@functools.cache
def relative_position_index(window_size: int, device: torch.device) -> Tensor:
    """For every (query, key) pair of one window, flattened, the row of the bias table holding their offset:
    (dy + w - 1) * (2w - 1) + (dx + w - 1). Computed once per window size and device, never stored."""
    grid = torch.arange(window_size, device=device)
    coords = torch.stack(torch.meshgrid(grid, grid, indexing="ij")).flatten(1)  # 2, w*w
    offsets = (coords[:, :, None] - coords[:, None, :]) + (window_size - 1)  # 2, w*w, w*w
    return (offsets[0] * (2 * window_size - 1) + offsets[1]).view(-1)


def shifted_window_mask(height: int, width: int, window_size: int, shift_size: int, dtype: torch.dtype,
                        device: torch.device) -> Tensor:
    """[windows, w*w, w*w] of 0 / -100: after the cyclic shift, a window may hold patches from up to 3x3
    regions that were not neighbours in the image; tokens of different regions must not attend each other."""
    def regions(size: int) -> Tensor:
        index = torch.arange(size, device=device)
        return (index >= size - window_size).long() + (index >= size - shift_size).long()

    labels = (regions(height)[None, :, None, None] * 3 + regions(width)[None, None, :, None]).to(dtype)
    labels = window_partition(labels, window_size).view(-1, window_size * window_size)
    different = labels.unsqueeze(1) - labels.unsqueeze(2) != 0
    return torch.zeros(different.shape, dtype=dtype, device=device).masked_fill(different, -100.0)


# --- layers -----------------------------------------------------------------------------------------------


class SwinPatchEmbeddings(nn.Module):
    """A strided convolution: [batch, channels, H, W] -> [batch, patches, embed_dim] and the patch grid. The
    image is zero-padded on the right and bottom to whole patches."""

    def __init__(self, config: SwinConfig) -> None:
        super().__init__()
        image_size, patch_size = pair("image_size", config.image_size), pair("patch_size", config.patch_size)
        self.image_size, self.patch_size, self.num_channels = image_size, patch_size, config.num_channels
        self.grid_size = (image_size[0] // patch_size[0], image_size[1] // patch_size[1])
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.projection = nn.Conv2d(config.num_channels, config.embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, pixel_values: Tensor) -> tuple[Tensor, tuple[int, int]]:
        if pixel_values.dim() != 4 or pixel_values.shape[1] != self.num_channels:
            raise errors.ModelInputError(
                f"pixel_values must have shape [batch, {self.num_channels} (num_channels), height, width], got "
                f"{list(pixel_values.shape)}. Use the model's image processor, or fix num_channels in the config."
            )
        height, width = pixel_values.shape[-2:]
        pad_bottom, pad_right = -height % self.patch_size[0], -width % self.patch_size[1]
        if pad_bottom or pad_right:
            pixel_values = F.pad(pixel_values, (0, pad_right, 0, pad_bottom))
        embeddings = self.projection(pixel_values)
        grid = (embeddings.shape[2], embeddings.shape[3])
        return embeddings.flatten(2).transpose(1, 2), grid


class SwinEmbeddings(nn.Module):
    """Patch embeddings, normalised; optional mask token (``bool_masked_pos``) and absolute position
    embeddings (``use_absolute_embeddings``, interpolated to other sizes on request); dropout."""

    def __init__(self, config: SwinConfig, use_mask_token: bool = False) -> None:
        super().__init__()
        self.patch_embeddings = SwinPatchEmbeddings(config)
        self.patch_grid = self.patch_embeddings.grid_size
        self.patch_size = self.patch_embeddings.patch_size
        self.mask_token = nn.Parameter(torch.zeros(1, 1, config.embed_dim)) if use_mask_token else None
        self.position_embeddings = (
            nn.Parameter(torch.zeros(1, self.patch_embeddings.num_patches, config.embed_dim))
            if config.use_absolute_embeddings else None
        )
        self.norm = nn.LayerNorm(config.embed_dim)  # torch's eps, as transformers
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def interpolate_pos_encoding(self, embeddings: Tensor, height: int, width: int) -> Tensor:
        """The position embeddings resized (bicubic) to the grid of a ``height`` x ``width`` image."""
        positions = self.position_embeddings
        if embeddings.shape[1] == positions.shape[1] and height == width:
            return positions
        side, dim = int(positions.shape[1] ** 0.5), positions.shape[-1]
        grid = positions.reshape(1, side, side, dim).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(height // self.patch_size[0], width // self.patch_size[1]), mode="bicubic",
                             align_corners=False)
        return grid.permute(0, 2, 3, 1).reshape(1, -1, dim)

    def forward(self, pixel_values: Tensor, bool_masked_pos: Tensor | None = None,
                interpolate_pos_encoding: bool = False) -> tuple[Tensor, tuple[int, int]]:
        embeddings, grid = self.patch_embeddings(pixel_values)
        embeddings = self.norm(embeddings)
        if bool_masked_pos is not None:
            if self.mask_token is None:
                raise errors.ModelInputError(
                    "bool_masked_pos needs a mask token: build the model with SwinModel(config, use_mask_token=True)."
                )
            mask = bool_masked_pos.unsqueeze(-1).type_as(embeddings)
            embeddings = embeddings * (1.0 - mask) + self.mask_token.expand_as(embeddings) * mask
        if self.position_embeddings is not None:
            if interpolate_pos_encoding:
                embeddings = embeddings + self.interpolate_pos_encoding(embeddings, *pixel_values.shape[-2:])
            else:
                embeddings = embeddings + self.position_embeddings
        return self.dropout(embeddings), grid


class SwinPatchMerging(nn.Module):
    """Each 2x2 block of patches concatenated (4C) then projected to 2C: half the grid, twice the width. An
    odd grid is zero-padded on the right and bottom first."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)  # torch's eps, as transformers

    def forward(self, input_feature: Tensor, input_dimensions: tuple[int, int]) -> Tensor:
        height, width = input_dimensions
        batch, _, channels = input_feature.shape
        grid = input_feature.view(batch, height, width, channels)
        grid = F.pad(grid, (0, 0, 0, width % 2, 0, height % 2))
        # (0,0), (1,0), (0,1), (1,1) of each block, as the original implementation orders them
        merged = torch.cat([grid[:, row::2, col::2, :] for col in range(2) for row in range(2)], dim=-1)
        return self.reduction(self.norm(merged.view(batch, -1, 4 * channels)))


class SwinDropPath(nn.Module):
    """Stochastic depth: in training, drop a sample's whole residual branch with probability ``drop_prob``
    (and scale the kept ones up); the identity otherwise."""

    def __init__(self, drop_prob: float = 0.0) -> None:
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, hidden_states: Tensor) -> Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return hidden_states
        keep = 1 - self.drop_prob
        shape = (hidden_states.shape[0],) + (1,) * (hidden_states.dim() - 1)
        kept = torch.floor(keep + torch.rand(shape, dtype=hidden_states.dtype, device=hidden_states.device))
        return hidden_states / keep * kept

    def extra_repr(self) -> str:
        return f"p={self.drop_prob}"


class SwinSelfAttention(nn.Module):
    """Multi-head attention inside each window, with a learned bias per head and relative offset (the table
    has one row per offset, (2w - 1)² rows) added to the scores, and the shifted-window mask if any."""

    def __init__(self, config: SwinConfig, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_attention_heads = num_heads
        self.attention_head_size = dim // num_heads
        self.window_size = config.window_size
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * self.window_size - 1) ** 2, num_heads))
        self.query = nn.Linear(dim, dim, bias=config.qkv_bias)
        self.key = nn.Linear(dim, dim, bias=config.qkv_bias)
        self.value = nn.Linear(dim, dim, bias=config.qkv_bias)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def relative_position_bias(self) -> Tensor:
        """[1, heads, w*w, w*w], gathered from the table."""
        table = self.relative_position_bias_table
        area = self.window_size**2
        bias = table[relative_position_index(self.window_size, table.device)].view(area, area, -1)
        return bias.permute(2, 0, 1).unsqueeze(0)

    def split_heads(self, projected: Tensor) -> Tensor:
        windows, tokens, _ = projected.shape
        return projected.view(windows, tokens, self.num_attention_heads, self.attention_head_size).transpose(1, 2)

    def forward(self, hidden_states: Tensor, window_mask: Tensor | None = None,
                output_attentions: bool = False) -> tuple[Tensor, Tensor | None]:
        """``hidden_states``: [batch * windows, w*w, dim]; ``window_mask``: [windows, w*w, w*w] or None."""
        windows, tokens, dim = hidden_states.shape
        mask = self.relative_position_bias()
        if window_mask is not None:  # the same mask for every image of the batch
            mask = mask + window_mask.repeat(windows // window_mask.shape[0], 1, 1).unsqueeze(1)
        context, probs = attention(
            self.split_heads(self.query(hidden_states)),
            self.split_heads(self.key(hidden_states)),
            self.split_heads(self.value(hidden_states)),
            mask.to(hidden_states.dtype),
            dropout=self.dropout.p if self.training else 0.0,
            output_attentions=output_attentions,
        )
        return context.transpose(1, 2).reshape(windows, tokens, dim), probs


class SwinSelfOutput(nn.Module):
    def __init__(self, config: SwinConfig, dim: int) -> None:
        super().__init__()
        self.dense = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.dropout(self.dense(hidden_states))


class SwinAttention(nn.Module):
    def __init__(self, config: SwinConfig, dim: int, num_heads: int) -> None:
        super().__init__()
        self.self = SwinSelfAttention(config, dim, num_heads)
        self.output = SwinSelfOutput(config, dim)

    def forward(self, hidden_states: Tensor, window_mask: Tensor | None = None,
                output_attentions: bool = False) -> tuple[Tensor, Tensor | None]:
        context, probs = self.self(hidden_states, window_mask, output_attentions)
        return self.output(context), probs


class SwinIntermediate(nn.Module):
    def __init__(self, config: SwinConfig, dim: int) -> None:
        super().__init__()
        self.dense = nn.Linear(dim, int(config.mlp_ratio * dim))
        self.intermediate_act_fn = activation(config.hidden_act)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.intermediate_act_fn(self.dense(hidden_states))


class SwinOutput(nn.Module):
    def __init__(self, config: SwinConfig, dim: int) -> None:
        super().__init__()
        self.dense = nn.Linear(int(config.mlp_ratio * dim), dim)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.dropout(self.dense(hidden_states))


class SwinLayer(nn.Module):
    """One block (pre-norm): window attention on a grid padded to whole windows, cyclically shifted by
    ``shift_size`` first (every second block), then the feed-forward. Stochastic depth on the attention
    branch only, as transformers."""

    def __init__(self, config: SwinConfig, dim: int, num_heads: int, drop_path_rate: float = 0.0,
                 shift_size: int = 0) -> None:
        super().__init__()
        self.window_size = config.window_size
        self.shift_size = shift_size
        self.layernorm_before = nn.LayerNorm(dim, eps=config.layer_norm_eps)
        self.attention = SwinAttention(config, dim, num_heads)
        self.drop_path = SwinDropPath(drop_path_rate) if drop_path_rate > 0.0 else nn.Identity()
        self.layernorm_after = nn.LayerNorm(dim, eps=config.layer_norm_eps)
        self.intermediate = SwinIntermediate(config, dim)
        self.output = SwinOutput(config, dim)

    def shift_for(self, height: int, width: int, always_partition: bool) -> int:
        """The shift for this grid. A grid no larger than one window is one window: no shift, as transformers
        (which also shrinks the window to a smaller grid, and then fails on the bias table: refused here).
        Decided per call; transformers keeps the clamped shift on the layer for later calls."""
        if always_partition or min(height, width) > self.window_size:
            return self.shift_size
        if min(height, width) < self.window_size:
            raise errors.ModelInputError(
                f"A {height}x{width} patch grid is smaller than window_size={self.window_size}: the image is too "
                "small for this stage. Use larger images, or the backbone (AutoBackbone), which pads to whole windows."
            )
        return 0

    def forward(self, hidden_states: Tensor, input_dimensions: tuple[int, int], output_attentions: bool = False,
                always_partition: bool = False) -> tuple[Tensor, Tensor | None]:
        height, width = input_dimensions
        batch, _, channels = hidden_states.shape
        window, shift = self.window_size, self.shift_for(height, width, always_partition)
        shortcut = hidden_states

        grid = self.layernorm_before(hidden_states).view(batch, height, width, channels)
        pad_bottom, pad_right = -height % window, -width % window
        grid = F.pad(grid, (0, 0, 0, pad_right, 0, pad_bottom))
        padded_height, padded_width = height + pad_bottom, width + pad_right
        if shift:
            grid = torch.roll(grid, shifts=(-shift, -shift), dims=(1, 2))
        windows = window_partition(grid, window).view(-1, window * window, channels)
        mask = (shifted_window_mask(padded_height, padded_width, window, shift, grid.dtype, grid.device)
                if shift else None)

        attended, probs = self.attention(windows, mask, output_attentions)
        grid = window_reverse(attended.view(-1, window, window, channels), window, padded_height, padded_width)
        if shift:
            grid = torch.roll(grid, shifts=(shift, shift), dims=(1, 2))
        attended = grid[:, :height, :width, :].reshape(batch, height * width, channels)

        hidden_states = shortcut + self.drop_path(attended)
        return hidden_states + self.output(self.intermediate(self.layernorm_after(hidden_states))), probs


class SwinStage(nn.Module):
    """``depth`` blocks at one resolution (unshifted, shifted, ...), then patch merging except in the last."""

    def __init__(self, config: SwinConfig, dim: int, depth: int, num_heads: int, drop_path: Sequence[float],
                 downsample: bool) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([
            SwinLayer(config, dim, num_heads, drop_path_rate=drop_path[index],
                      shift_size=0 if index % 2 == 0 else config.window_size // 2)
            for index in range(depth)
        ])
        self.downsample = SwinPatchMerging(dim) if downsample else None

    def forward(self, hidden_states: Tensor, input_dimensions: tuple[int, int], output_attentions: bool = False,
                always_partition: bool = False) -> tuple[Tensor, Tensor, Tensor | None]:
        """The stage's output (merged), its output before merging, and its last block's attention."""
        probs = None
        for block in self.blocks:
            hidden_states, probs = block(hidden_states, input_dimensions, output_attentions, always_partition)
        before_downsampling = hidden_states
        if self.downsample is not None:
            hidden_states = self.downsample(hidden_states, input_dimensions)
        return hidden_states, before_downsampling, probs


def as_map(hidden_states: Tensor, height: int, width: int) -> Tensor:
    """[batch, height * width, channels] -> [batch, channels, height, width]"""
    batch, _, channels = hidden_states.shape
    return hidden_states.view(batch, height, width, channels).permute(0, 3, 1, 2).contiguous()


class SwinEncoder(nn.Module):
    def __init__(self, config: SwinConfig) -> None:
        super().__init__()
        depths = config.depths
        total = sum(depths)
        rates = [config.drop_path_rate * index / max(total - 1, 1) for index in range(total)]  # 0 ... drop_path_rate
        self.layers = nn.ModuleList([
            SwinStage(
                config,
                dim=config.stage_width(stage),
                depth=depths[stage],
                num_heads=config.num_heads[stage],
                drop_path=rates[sum(depths[:stage]):sum(depths[:stage + 1])],
                downsample=stage < len(depths) - 1,
            )
            for stage in range(len(depths))
        ])

    def forward(
        self,
        hidden_states: Tensor,
        input_dimensions: tuple[int, int],
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        output_hidden_states_before_downsampling: bool = False,
        always_partition: bool = False,
    ) -> SwinEncoderOutput:
        """``hidden_states``: the embeddings', then each stage's (merged); ``reshaped_hidden_states``: the same
        as maps, each stage's taken before merging if ``output_hidden_states_before_downsampling`` (the
        backbone's feature maps); ``attentions``: each stage's last block's."""
        all_hidden_states = [hidden_states]
        all_reshaped = [as_map(hidden_states, *input_dimensions)]
        all_attentions = []
        for stage in self.layers:
            height, width = input_dimensions
            hidden_states, before_downsampling, probs = stage(hidden_states, input_dimensions, output_attentions,
                                                              always_partition)
            if stage.downsample is not None:
                input_dimensions = ((height + 1) // 2, (width + 1) // 2)
            all_hidden_states.append(hidden_states)
            all_reshaped.append(as_map(before_downsampling, height, width) if output_hidden_states_before_downsampling
                                else as_map(hidden_states, *input_dimensions))
            all_attentions.append(probs)
        return SwinEncoderOutput(
            last_hidden_state=hidden_states,
            hidden_states=tuple(all_hidden_states) if output_hidden_states else None,
            attentions=tuple(all_attentions) if output_attentions else None,
            reshaped_hidden_states=tuple(all_reshaped) if output_hidden_states else None,
        )


# --- the base model --------------------------------------------------------------------------------------------


class SwinPreTrainedModel(PreTrainedModel):
    config_class = SwinConfig
    base_model_prefix = "swin"
    main_input_name = "pixel_values"
    # the index older checkpoints stored as a buffer: computed here, dropped without a word (as transformers)
    _keys_to_ignore_on_load_unexpected: ClassVar[tuple[str, ...]] = (
        r"attention\.self\.relative_position_index$",
        r"attention\.relative_position_bias\.relative_position_index$",
    )
    # transformers v5's in-memory spelling (a state_dict() saved by hand) -> the checkpoint keys used here
    _checkpoint_renames: ClassVar[tuple[tuple[str, str], ...]] = (
        (r"attention\.q_proj\.", "attention.self.query."),
        (r"attention\.k_proj\.", "attention.self.key."),
        (r"attention\.v_proj\.", "attention.self.value."),
        (r"attention\.o_proj\.", "attention.output.dense."),
        (r"attention\.relative_position_bias\.relative_position_bias_table$",
         "attention.self.relative_position_bias_table"),
        (r"mlp\.fc1\.", "intermediate.dense."),
        (r"mlp\.fc2\.", "output.dense."),
    )

    def _init_weights(self, module: nn.Module) -> None:
        """transformers' Swin: N(0, initializer_range) for linear and convolution weights, zero biases,
        LayerNorms 1 / 0, and zeros for the bias table, the mask token and absolute position embeddings."""
        if isinstance(module, nn.Conv2d):
            module.weight.data.normal_(mean=0.0, std=self.config.initializer_range)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, SwinEmbeddings):
            for parameter in (module.mask_token, module.position_embeddings):
                if parameter is not None:
                    parameter.data.zero_()
        elif isinstance(module, SwinSelfAttention):
            module.relative_position_bias_table.data.zero_()
        else:
            super()._init_weights(module)

    def get_input_embeddings(self) -> nn.Module:
        return self.base_model.embeddings.patch_embeddings

    def set_input_embeddings(self, embeddings: nn.Module) -> None:
        self.base_model.embeddings.patch_embeddings = embeddings


class SwinModel(SwinPreTrainedModel):
    """Embeddings, the stages, a final LayerNorm and (unless ``add_pooling_layer=False``) the mean over
    patches as ``pooler_output``."""

    def __init__(self, config: SwinConfig, add_pooling_layer: bool = True, use_mask_token: bool = False) -> None:
        super().__init__(config)
        self.num_layers = len(config.depths)
        self.num_features = config.hidden_size
        self.embeddings = SwinEmbeddings(config, use_mask_token=use_mask_token)
        self.encoder = SwinEncoder(config)
        self.layernorm = nn.LayerNorm(self.num_features, eps=config.layer_norm_eps)
        self.pooler = nn.AdaptiveAvgPool1d(1) if add_pooling_layer else None
        self.post_init()

    def forward(
        self,
        pixel_values: Tensor | None = None,
        bool_masked_pos: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        interpolate_pos_encoding: bool = False,
        return_dict: bool | None = None,
        always_partition: bool = False,
        output_hidden_states_before_downsampling: bool = False,
    ) -> SwinModelOutput | tuple[Any, ...]:
        output_attentions, output_hidden_states, return_dict = self.flags(
            output_attentions, output_hidden_states, return_dict
        )
        if pixel_values is None:
            raise errors.ModelInputError("Pass pixel_values (e.g. from the model's image processor).")
        embedded, grid = self.embeddings(pixel_values, bool_masked_pos, interpolate_pos_encoding)
        encoded = self.encoder(embedded, grid, output_attentions, output_hidden_states,
                               output_hidden_states_before_downsampling, always_partition)
        sequence_output = self.layernorm(encoded.last_hidden_state)
        pooled = None if self.pooler is None else self.pooler(sequence_output.transpose(1, 2)).flatten(1)
        output = SwinModelOutput(
            last_hidden_state=sequence_output,
            pooler_output=pooled,
            hidden_states=encoded.hidden_states,
            attentions=encoded.attentions,
            reshaped_hidden_states=encoded.reshaped_hidden_states,
        )
        return self.finish(output, return_dict)


# --- heads ------------------------------------------------------------------------------------------------------


class SwinForImageClassification(SwinPreTrainedModel):
    """A linear classifier on the pooled (mean) last stage."""

    def __init__(self, config: SwinConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.swin = SwinModel(config)
        self.classifier = (
            nn.Linear(self.swin.num_features, config.num_labels) if config.num_labels > 0 else nn.Identity()
        )
        self.post_init()

    def forward(
        self,
        pixel_values: Tensor | None = None,
        labels: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        interpolate_pos_encoding: bool = False,
        return_dict: bool | None = None,
    ) -> SwinImageClassifierOutput | tuple[Any, ...]:
        outputs = self.swin(pixel_values, output_attentions=output_attentions,
                            output_hidden_states=output_hidden_states,
                            interpolate_pos_encoding=interpolate_pos_encoding, return_dict=True)
        logits = self.classifier(outputs.pooler_output)
        output = SwinImageClassifierOutput(
            loss=None if labels is None else sequence_classification_loss(self.config, logits, labels),
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            reshaped_hidden_states=outputs.reshaped_hidden_states,
        )
        return self.finish(output, return_dict)


class SwinBackbone(BackboneMixin, SwinPreTrainedModel):
    """The maps of the stages in ``config.out_features`` (``stem`` = the patch embeddings), each taken before
    patch merging and normalised by its own LayerNorm (``hidden_states_norms.<stage>``): ``[batch, channels,
    height, width]``. Every block partitions into windows, padding the grid if needed, whatever its size.

    Saved files use transformers' backbone layout: ``embeddings.*`` and ``encoder.*`` without the ``swin.``
    prefix (loading accepts both)."""

    def __init__(self, config: SwinConfig) -> None:
        super().__init__(config)
        self.num_features = [config.embed_dim] + [config.stage_width(stage) for stage in range(len(config.depths))]
        self.swin = SwinModel(config, add_pooling_layer=False)
        self.hidden_states_norms = nn.ModuleDict(
            {stage: nn.LayerNorm(channels) for stage, channels in zip(self.out_features, self.channels)}
        )
        self.post_init()

    def forward(
        self,
        pixel_values: Tensor,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        return_dict: bool | None = None,
    ) -> BackboneOutput | tuple[Any, ...]:
        output_attentions, output_hidden_states, return_dict = self.flags(
            output_attentions, output_hidden_states, return_dict
        )
        outputs = self.swin(pixel_values, output_attentions=output_attentions, output_hidden_states=True,
                            return_dict=True, always_partition=True, output_hidden_states_before_downsampling=True)
        feature_maps = tuple(
            self.hidden_states_norms[stage](feature_map.permute(0, 2, 3, 1)).permute(0, 3, 1, 2).contiguous()
            for stage, feature_map in zip(self.stage_names, outputs.reshaped_hidden_states)
            if stage in self.out_features
        )
        output = BackboneOutput(
            feature_maps=feature_maps,
            hidden_states=outputs.reshaped_hidden_states if output_hidden_states else None,
            attentions=outputs.attentions,
        )
        return self.finish(output, return_dict)

    def save_pretrained(self, save_directory: Any, *, state_dict: dict[str, Tensor] | None = None,
                        **kwargs: Any) -> list[Path]:
        tensors = self.state_dict() if state_dict is None else state_dict
        renamed = {re.sub(r"^swin\.(embeddings|encoder)\.", r"\1.", key): tensor for key, tensor in tensors.items()}
        return super().save_pretrained(save_directory, state_dict=renamed, **kwargs)

