"""ConvNeXt (Liu et al., 2022): a ResNet modernised step by step towards a vision Transformer. A 4x4 patch
convolution (the stem), then stages of blocks: a 7x7 depthwise convolution, LayerNorm, an inverted bottleneck
of two pointwise layers (4x wider inside), a learnt per-channel scale, and a residual connection. Between
stages a LayerNorm and a 2x2 stride-2 convolution halve the resolution.

Parameter names are transformers' checkpoint keys (``convnext.encoder.stages.1.layers.0.layer_scale_parameter``,
``convnext.embeddings.patch_embeddings.weight``...), so checkpoints load without renaming. There is no
attention: ``forward`` takes no ``output_attentions``, as in transformers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import nn

from .. import errors
from ..activations import activation
from ..backbone import BackboneConfigMixin, BackboneMixin
from ..configuration import SIZE_LIMITS, PretrainedConfig, check_probability, check_size
from ..modeling import PreTrainedModel, sequence_classification_loss
from ..outputs import (
    BackboneOutput,
    BaseModelOutputWithNoAttention,
    BaseModelOutputWithPoolingAndNoAttention,
    ImageClassifierOutputWithNoAttention,
)

Tensor = torch.Tensor

# --- configuration ----------------------------------------------------------------------------------------


def check_stage_sizes(config: PretrainedConfig, sizes_limit: int, depth_limit: int) -> None:
    """``hidden_sizes`` and ``depths``: lists of whole numbers in range, one of each per stage. Shared with
    ResNet, whose config has the same two fields."""
    for name, limit in (("hidden_sizes", sizes_limit), ("depths", depth_limit)):
        values = getattr(config, name)
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise errors.ConfigValueError(f"{name} must be a non-empty list with one number per stage, got {values!r}.")
        for index, value in enumerate(values):
            check_size(f"{name}[{index}]", value, limit)
    if len(config.hidden_sizes) != len(config.depths):
        raise errors.ConfigValueError(
            f"hidden_sizes has {len(config.hidden_sizes)} entries and depths {len(config.depths)}: each stage needs "
            "one of each. Make the two lists the same length."
        )


def check_pair(name: str, value: Any, limit: int) -> None:
    """A size given as one number or as (height, width)."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        for index, item in enumerate(value):
            check_size(f"{name}[{index}]", item, limit)
    else:
        check_size(name, value, limit)


class ConvNextConfig(BackboneConfigMixin, PretrainedConfig):
    model_type = "convnext"
    attribute_map: ClassVar[dict[str, str]] = {"num_hidden_layers": "num_stages"}
    defaults: ClassVar[dict[str, Any]] = {
        "num_channels": 3,
        "patch_size": 4,
        "num_stages": 4,
        "hidden_sizes": [96, 192, 384, 768],
        "depths": [3, 3, 9, 3],
        "hidden_act": "gelu",
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "layer_scale_init_value": 1e-6,
        "drop_path_rate": 0.0,
        "image_size": 224,
    }
    size_limits: ClassVar[dict[str, int]] = {**SIZE_LIMITS, "num_channels": 1 << 12, "num_stages": 64}

    def compute_stage_names(self) -> list[str]:
        return ["stem"] + [f"stage{index}" for index in range(1, len(self.depths) + 1)]

    def validate(self) -> None:
        super().validate()
        check_stage_sizes(self, SIZE_LIMITS["hidden_size"], SIZE_LIMITS["num_hidden_layers"])
        if self.num_stages != len(self.depths):
            raise errors.ConfigValueError(
                f"num_stages={self.num_stages} but depths lists {len(self.depths)} stages: the stage names and "
                "feature maps follow depths. Set num_stages to len(depths)."
            )
        check_pair("patch_size", self.patch_size, 1 << 12)
        check_pair("image_size", self.image_size, 1 << 20)
        check_probability("drop_path_rate", self.drop_path_rate)
        for name in ("layer_norm_eps", "layer_scale_init_value", "initializer_range"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise errors.ConfigValueError(f"{name} must be a number, got {value!r}.")
        if self.layer_norm_eps <= 0:
            raise errors.ConfigValueError(f"layer_norm_eps must be positive, got {self.layer_norm_eps}.")
        activation(self.hidden_act)


# --- layers ---------------------------------------------------------------------------------------------------


class ConvNextLayerNorm(nn.LayerNorm):
    """LayerNorm over the channels, for inputs laid out [batch, height, width, channels] (``channels_last``)
    or [batch, channels, height, width] (``channels_first``: permuted there and back)."""

    def __init__(self, normalized_shape: int, *, eps: float = 1e-6, data_format: str = "channels_last") -> None:
        super().__init__(normalized_shape, eps=eps)
        if data_format not in ("channels_last", "channels_first"):
            raise errors.ConfigValueError(
                f"data_format={data_format!r}: ConvNextLayerNorm takes 'channels_last' or 'channels_first'."
            )
        self.data_format = data_format

    def forward(self, features: Tensor) -> Tensor:
        if self.data_format == "channels_first":
            return super().forward(features.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return super().forward(features)


def check_channels(pixel_values: Tensor | None, num_channels: int) -> None:
    """[batch, num_channels, height, width] images, as the config says. Shared with ResNet."""
    if pixel_values is None:
        raise errors.ModelInputError("You have to specify pixel_values.")
    if pixel_values.dim() != 4 or pixel_values.shape[1] != num_channels:
        raise errors.ModelInputError(
            f"pixel_values has shape {list(pixel_values.shape)}; the config's num_channels={num_channels} asks for "
            f"[batch, {num_channels}, height, width]. Pass images with that many channels."
        )


class ConvNextEmbeddings(nn.Module):
    """The stem: non-overlapping patch_size x patch_size patches, each projected to hidden_sizes[0] channels,
    then normalised."""

    def __init__(self, config: ConvNextConfig) -> None:
        super().__init__()
        self.patch_embeddings = nn.Conv2d(
            config.num_channels, config.hidden_sizes[0], kernel_size=config.patch_size, stride=config.patch_size
        )
        self.layernorm = ConvNextLayerNorm(config.hidden_sizes[0], eps=1e-6, data_format="channels_first")
        self.num_channels = config.num_channels

    def forward(self, pixel_values: Tensor) -> Tensor:
        check_channels(pixel_values, self.num_channels)
        return self.layernorm(self.patch_embeddings(pixel_values))


class ConvNextDropPath(nn.Module):
    """Stochastic depth: in training, drop a block's residual branch for whole samples with probability
    ``drop_prob`` (the kept ones scaled up). The identity otherwise."""

    def __init__(self, drop_prob: float = 0.0) -> None:
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, hidden_states: Tensor) -> Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return hidden_states
        keep_prob = 1 - self.drop_prob
        shape = (hidden_states.shape[0],) + (1,) * (hidden_states.ndim - 1)
        keep = torch.floor(torch.rand(shape, dtype=hidden_states.dtype, device=hidden_states.device) + keep_prob)
        return hidden_states.div(keep_prob) * keep

    def extra_repr(self) -> str:
        return f"p={self.drop_prob}"


class ConvNextLayer(nn.Module):
    """One block: depthwise 7x7 convolution, then (channels last) LayerNorm, Linear to 4x, activation, Linear
    back, the per-channel ``layer_scale_parameter`` (absent when ``layer_scale_init_value`` <= 0), and the
    residual connection through drop path."""

    def __init__(self, config: ConvNextConfig, dim: int, drop_path: float = 0.0) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.layernorm = ConvNextLayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)  # pointwise (1x1) convolutions, as Linear layers
        self.act = activation(config.hidden_act)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.layer_scale_parameter = (
            nn.Parameter(torch.empty(dim)) if config.layer_scale_init_value > 0 else None
        )  # filled by _init_weights with layer_scale_init_value
        self.drop_path = ConvNextDropPath(drop_path) if drop_path > 0.0 else nn.Identity()

    def forward(self, features: Tensor) -> Tensor:
        residual = features
        features = self.dwconv(features).permute(0, 2, 3, 1)  # [N, C, H, W] -> [N, H, W, C]
        features = self.pwconv2(self.act(self.pwconv1(self.layernorm(features))))
        if self.layer_scale_parameter is not None:
            features = self.layer_scale_parameter * features
        return residual + self.drop_path(features.permute(0, 3, 1, 2))


class ConvNextStage(nn.Module):
    """An optional downsampling (LayerNorm, then a kernel_size x kernel_size convolution of that stride) and
    ``depth`` blocks."""

    def __init__(self, config: ConvNextConfig, in_channels: int, out_channels: int, kernel_size: int = 2,
                 stride: int = 2, depth: int = 2, drop_path_rates: list[float] | None = None) -> None:
        super().__init__()
        if in_channels != out_channels or stride > 1:
            self.downsampling_layer = nn.ModuleList([
                ConvNextLayerNorm(in_channels, eps=1e-6, data_format="channels_first"),
                nn.Conv2d(in_channels, out_channels, kernel_size=kernel_size, stride=stride),
            ])
        else:
            self.downsampling_layer = nn.ModuleList()
        rates = drop_path_rates or [0.0] * depth
        self.layers = nn.ModuleList([ConvNextLayer(config, out_channels, rates[j]) for j in range(depth)])

    def forward(self, features: Tensor) -> Tensor:
        for layer in self.downsampling_layer:
            features = layer(features)
        for layer in self.layers:
            features = layer(features)
        return features


class ConvNextEncoder(nn.Module):
    """The stages; the first keeps the stem's resolution, each later one halves it. Drop-path rates rise
    linearly from 0 to ``drop_path_rate`` over all blocks."""

    def __init__(self, config: ConvNextConfig) -> None:
        super().__init__()
        # on the CPU explicitly: the loader builds the model under torch.device("meta")
        rates = torch.linspace(0, config.drop_path_rate, sum(config.depths), device="cpu").split(config.depths)
        self.stages = nn.ModuleList()
        previous = config.hidden_sizes[0]
        for index in range(config.num_stages):
            self.stages.append(ConvNextStage(
                config, in_channels=previous, out_channels=config.hidden_sizes[index], stride=2 if index > 0 else 1,
                depth=config.depths[index], drop_path_rates=rates[index].tolist(),
            ))
            previous = config.hidden_sizes[index]

    def forward(self, hidden_states: Tensor, output_hidden_states: bool = False) -> BaseModelOutputWithNoAttention:
        """``hidden_states`` out: the stem's output, then each stage's."""
        all_hidden_states = [hidden_states]
        for stage in self.stages:
            hidden_states = stage(hidden_states)
            all_hidden_states.append(hidden_states)
        return BaseModelOutputWithNoAttention(
            last_hidden_state=hidden_states,
            hidden_states=tuple(all_hidden_states) if output_hidden_states else None,
        )


# --- the base model --------------------------------------------------------------------------------------------


class ConvNextPreTrainedModel(PreTrainedModel):
    config_class = ConvNextConfig
    base_model_prefix = "convnext"
    main_input_name = "pixel_values"

    def _init_weights(self, module: nn.Module) -> None:
        """transformers': N(0, initializer_range) weights and zero biases for convolutions and Linear layers,
        LayerNorms at 1/0, and every layer scale at ``layer_scale_init_value``."""
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            module.weight.data.normal_(mean=0.0, std=self.config.initializer_range)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
        elif isinstance(module, ConvNextLayer) and module.layer_scale_parameter is not None:
            module.layer_scale_parameter.data.fill_(self.config.layer_scale_init_value)


class ConvNextModel(ConvNextPreTrainedModel):
    """Stem, stages, and the pooler: the last feature map averaged over space, then LayerNorm."""

    def __init__(self, config: ConvNextConfig) -> None:
        super().__init__(config)
        self.embeddings = ConvNextEmbeddings(config)
        self.encoder = ConvNextEncoder(config)
        self.layernorm = nn.LayerNorm(config.hidden_sizes[-1], eps=config.layer_norm_eps)
        self.post_init()

    def forward(
        self,
        pixel_values: Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPoolingAndNoAttention | tuple[Tensor, ...]:
        """``pixel_values``: [batch, num_channels, height, width]. ``last_hidden_state``: [batch,
        hidden_sizes[-1], height / 32, width / 32] (with 4 stages); ``pooler_output``: [batch, hidden_sizes[-1]]."""
        _, output_hidden_states, return_dict = self.flags(None, output_hidden_states, return_dict)
        encoded = self.encoder(self.embeddings(pixel_values), output_hidden_states)
        last_hidden_state = encoded.last_hidden_state
        output = BaseModelOutputWithPoolingAndNoAttention(
            last_hidden_state=last_hidden_state,
            pooler_output=self.layernorm(last_hidden_state.mean([-2, -1])),
            hidden_states=encoded.hidden_states,
        )
        return self.finish(output, return_dict)


# --- heads ------------------------------------------------------------------------------------------------------


class ConvNextForImageClassification(ConvNextPreTrainedModel):
    """A Linear classifier over the pooled features (the identity when ``num_labels`` is 0)."""

    def __init__(self, config: ConvNextConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.convnext = ConvNextModel(config)
        self.classifier = (
            nn.Linear(config.hidden_sizes[-1], config.num_labels) if config.num_labels > 0 else nn.Identity()
        )
        self.post_init()

    def forward(
        self,
        pixel_values: Tensor | None = None,
        labels: Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> ImageClassifierOutputWithNoAttention | tuple[Tensor, ...]:
        """``labels``: [batch] class ids (single-label), floats (num_labels=1, regression) or [batch, num_labels]
        floats (multi-label); ``config.problem_type`` says which, inferred if unset."""
        outputs = self.convnext(pixel_values, output_hidden_states, return_dict=True)
        logits = self.classifier(outputs.pooler_output)
        loss = None if labels is None else sequence_classification_loss(self.config, logits, labels)
        output = ImageClassifierOutputWithNoAttention(loss=loss, logits=logits, hidden_states=outputs.hidden_states)
        return self.finish(output, return_dict)


class ConvNextBackbone(BackboneMixin, ConvNextPreTrainedModel):
    """The feature maps of the stages in ``config.out_features`` ("stem" is the stem's output), each through
    its own channels-first LayerNorm (``hidden_states_norms.<stage>``); ``hidden_states`` are the stages'
    outputs before those norms."""

    def __init__(self, config: ConvNextConfig) -> None:
        super().__init__(config)
        self.embeddings = ConvNextEmbeddings(config)
        self.encoder = ConvNextEncoder(config)
        self.num_features = [config.hidden_sizes[0]] + list(config.hidden_sizes)
        self.hidden_states_norms = nn.ModuleDict({
            stage: ConvNextLayerNorm(channels, data_format="channels_first")
            for stage, channels in zip(self.out_features, self.channels)
        })
        self.post_init()

    def forward(
        self,
        pixel_values: Tensor,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BackboneOutput | tuple[Any, ...]:
        _, output_hidden_states, return_dict = self.flags(None, output_hidden_states, return_dict)
        hidden_states = self.encoder(self.embeddings(pixel_values), output_hidden_states=True).hidden_states
        feature_maps = tuple(
            self.hidden_states_norms[stage](hidden_state)
            for stage, hidden_state in zip(self.stage_names, hidden_states)
            if stage in self.out_features
        )
        output = BackboneOutput(feature_maps=feature_maps, hidden_states=hidden_states if output_hidden_states else None)
        return self.finish(output, return_dict)
