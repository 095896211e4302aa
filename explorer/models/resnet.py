"""ResNet (He et al., 2015): a 7x7 stride-2 convolution and a max pool (the stem), then stages of residual
layers: "basic" (two 3x3 convolutions, ResNet-18/34) or "bottleneck" (1x1 down to a quarter of the channels,
3x3, 1x1 back up, ResNet-50 and deeper). Each convolution is followed by BatchNorm; a 1x1 convolution projects
the shortcut when the shape changes. Every stage after the first halves the resolution.

Parameter names are transformers' checkpoint keys (``resnet.encoder.stages.0.layers.0.layer.1.convolution.weight``,
``classifier.1.weight``...), so checkpoints load without renaming. BatchNorm's running statistics are buffers
stored in the checkpoint; in eval mode (how ``from_pretrained`` returns a model) they normalise. There is no
attention: ``forward`` takes no ``output_attentions``, as in transformers.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn

from .. import errors
from ..activations import activation as activation_function
from ..backbone import BackboneConfigMixin, BackboneMixin
from ..configuration import SIZE_LIMITS, PretrainedConfig
from ..modeling import PreTrainedModel, sequence_classification_loss
from ..outputs import (
    BackboneOutput,
    BaseModelOutputWithNoAttention,
    BaseModelOutputWithPoolingAndNoAttention,
    ImageClassifierOutputWithNoAttention,
)
from .convnext import check_channels, check_stage_sizes

Tensor = torch.Tensor

# --- configuration ----------------------------------------------------------------------------------------

BOTTLENECK_REDUCTION = 4  # a bottleneck layer's inner width is its output channels / 4


class ResNetConfig(BackboneConfigMixin, PretrainedConfig):
    model_type = "resnet"
    layer_types: ClassVar[tuple[str, ...]] = ("basic", "bottleneck")
    defaults: ClassVar[dict[str, Any]] = {
        "num_channels": 3,
        "embedding_size": 64,
        "hidden_sizes": [256, 512, 1024, 2048],
        "depths": [3, 4, 6, 3],
        "layer_type": "bottleneck",
        "hidden_act": "relu",
        "downsample_in_first_stage": False,
        "downsample_in_bottleneck": False,
    }
    size_limits: ClassVar[dict[str, int]] = {**SIZE_LIMITS, "num_channels": 1 << 12, "embedding_size": 1 << 16}

    def compute_stage_names(self) -> list[str]:
        return ["stem"] + [f"stage{index}" for index in range(1, len(self.depths) + 1)]

    def validate(self) -> None:
        super().validate()
        check_stage_sizes(self, SIZE_LIMITS["hidden_size"], SIZE_LIMITS["num_hidden_layers"])
        if self.layer_type not in self.layer_types:
            raise errors.ConfigValueError(
                f"layer_type={self.layer_type!r} is not one of {', '.join(map(repr, self.layer_types))}."
            )
        if self.layer_type == "bottleneck":
            narrow = [size for size in self.hidden_sizes if size < BOTTLENECK_REDUCTION]
            if narrow:
                raise errors.ConfigValueError(
                    f"hidden_sizes={self.hidden_sizes}: a bottleneck layer narrows to a quarter of its channels, so "
                    f"every size must be at least {BOTTLENECK_REDUCTION} ({narrow} are not). Use layer_type='basic' "
                    "or wider stages."
                )
        for name in ("downsample_in_first_stage", "downsample_in_bottleneck"):
            if not isinstance(getattr(self, name), bool):
                raise errors.ConfigValueError(f"{name} must be true or false, got {getattr(self, name)!r}.")
        activation_function(self.hidden_act)


# --- layers ---------------------------------------------------------------------------------------------------


class ResNetConvLayer(nn.Module):
    """Convolution ("same" padding, no bias), BatchNorm, then the activation (none when ``activation`` is None)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 activation: str | None = "relu") -> None:
        super().__init__()
        self.convolution = nn.Conv2d(in_channels, out_channels, kernel_size=kernel_size, stride=stride,
                                     padding=kernel_size // 2, bias=False)
        self.normalization = nn.BatchNorm2d(out_channels)
        self.activation = nn.Identity() if activation is None else activation_function(activation)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.activation(self.normalization(self.convolution(hidden_states)))


class ResNetEmbeddings(nn.Module):
    """The stem: a 7x7 stride-2 convolution to ``embedding_size`` channels, then a 3x3 stride-2 max pool."""

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__()
        self.embedder = ResNetConvLayer(config.num_channels, config.embedding_size, kernel_size=7, stride=2,
                                        activation=config.hidden_act)
        self.pooler = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.num_channels = config.num_channels

    def forward(self, pixel_values: Tensor) -> Tensor:
        check_channels(pixel_values, self.num_channels)
        return self.pooler(self.embedder(pixel_values))


class ResNetShortCut(nn.Module):
    """The residual's projection when channels or resolution change: a 1x1 convolution (with ``stride``),
    then BatchNorm."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 2) -> None:
        super().__init__()
        self.convolution = nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)
        self.normalization = nn.BatchNorm2d(out_channels)

    def forward(self, input: Tensor) -> Tensor:
        return self.normalization(self.convolution(input))


def shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    """A projection where the residual's shape changes, the identity otherwise."""
    if in_channels != out_channels or stride != 1:
        return ResNetShortCut(in_channels, out_channels, stride=stride)
    return nn.Identity()


class ResNetBasicLayer(nn.Module):
    """Two 3x3 convolutions (the first with ``stride``), plus the residual, then the activation. The inner
    activation is ReLU whatever ``hidden_act`` says, as in transformers."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, activation: str = "relu") -> None:
        super().__init__()
        self.shortcut = shortcut(in_channels, out_channels, stride)
        self.layer = nn.Sequential(
            ResNetConvLayer(in_channels, out_channels, stride=stride),
            ResNetConvLayer(out_channels, out_channels, activation=None),
        )
        self.activation = activation_function(activation)

    def forward(self, hidden_state: Tensor) -> Tensor:
        return self.activation(self.layer(hidden_state) + self.shortcut(hidden_state))


class ResNetBottleNeckLayer(nn.Module):
    """1x1 down to ``out_channels / reduction``, 3x3, 1x1 up to ``out_channels``, plus the residual, then the
    activation. The stride sits on the 3x3 convolution, or on the first 1x1 with ``downsample_in_bottleneck``."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, activation: str = "relu",
                 reduction: int = BOTTLENECK_REDUCTION, downsample_in_bottleneck: bool = False) -> None:
        super().__init__()
        reduced = out_channels // reduction
        self.shortcut = shortcut(in_channels, out_channels, stride)
        self.layer = nn.Sequential(
            ResNetConvLayer(in_channels, reduced, kernel_size=1, stride=stride if downsample_in_bottleneck else 1),
            ResNetConvLayer(reduced, reduced, stride=1 if downsample_in_bottleneck else stride),
            ResNetConvLayer(reduced, out_channels, kernel_size=1, activation=None),
        )
        self.activation = activation_function(activation)

    def forward(self, hidden_state: Tensor) -> Tensor:
        return self.activation(self.layer(hidden_state) + self.shortcut(hidden_state))


class ResNetStage(nn.Module):
    """``depth`` layers of ``config.layer_type``; the first changes channels and applies ``stride``."""

    def __init__(self, config: ResNetConfig, in_channels: int, out_channels: int, stride: int = 2,
                 depth: int = 2) -> None:
        super().__init__()
        act = config.hidden_act
        if config.layer_type == "bottleneck":
            first = ResNetBottleNeckLayer(in_channels, out_channels, stride=stride, activation=act,
                                          downsample_in_bottleneck=config.downsample_in_bottleneck)
            more = [ResNetBottleNeckLayer(out_channels, out_channels, activation=act) for _ in range(depth - 1)]
        else:
            first = ResNetBasicLayer(in_channels, out_channels, stride=stride, activation=act)
            more = [ResNetBasicLayer(out_channels, out_channels, activation=act) for _ in range(depth - 1)]
        self.layers = nn.Sequential(first, *more)

    def forward(self, input: Tensor) -> Tensor:
        return self.layers(input)


class ResNetEncoder(nn.Module):
    """The stages: the first from ``embedding_size`` channels (stride 2 only with ``downsample_in_first_stage``),
    each later one halving the resolution."""

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__()
        sizes = list(config.hidden_sizes)
        self.stages = nn.ModuleList([
            ResNetStage(config, config.embedding_size, sizes[0], stride=2 if config.downsample_in_first_stage else 1,
                        depth=config.depths[0])
        ])
        for in_channels, out_channels, depth in zip(sizes, sizes[1:], config.depths[1:]):
            self.stages.append(ResNetStage(config, in_channels, out_channels, depth=depth))

    def forward(self, hidden_state: Tensor, output_hidden_states: bool = False) -> BaseModelOutputWithNoAttention:
        """``hidden_states`` out: the stem's output, then each stage's."""
        all_hidden_states = [hidden_state]
        for stage in self.stages:
            hidden_state = stage(hidden_state)
            all_hidden_states.append(hidden_state)
        return BaseModelOutputWithNoAttention(
            last_hidden_state=hidden_state,
            hidden_states=tuple(all_hidden_states) if output_hidden_states else None,
        )


# --- the base model --------------------------------------------------------------------------------------------


class ResNetPreTrainedModel(PreTrainedModel):
    config_class = ResNetConfig
    base_model_prefix = "resnet"
    main_input_name = "pixel_values"

    def _init_weights(self, module: nn.Module) -> None:
        """transformers': Kaiming-normal convolutions (fan out, ReLU gain), PyTorch's default Linear
        initialisation, BatchNorm at weight 1, bias 0, running mean 0, running variance 1."""
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.Linear):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5))
            if module.bias is not None:
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(module.weight)
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                nn.init.uniform_(module.bias, -bound, bound)
        elif isinstance(module, nn.BatchNorm2d):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
            module.running_mean.zero_()
            module.running_var.fill_(1.0)
            module.num_batches_tracked.zero_()


class ResNetModel(ResNetPreTrainedModel):
    """Stem, stages, and the pooler: the last feature map averaged over space, kept 4-d ([batch, C, 1, 1])."""

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__(config)
        self.embedder = ResNetEmbeddings(config)
        self.encoder = ResNetEncoder(config)
        self.pooler = nn.AdaptiveAvgPool2d((1, 1))
        self.post_init()

    def forward(
        self,
        pixel_values: Tensor,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPoolingAndNoAttention | tuple[Tensor, ...]:
        """``pixel_values``: [batch, num_channels, height, width]. ``last_hidden_state``: [batch,
        hidden_sizes[-1], height / 32, width / 32] (with 4 stages); ``pooler_output``: [batch, hidden_sizes[-1], 1, 1]."""
        _, output_hidden_states, return_dict = self.flags(None, output_hidden_states, return_dict)
        encoded = self.encoder(self.embedder(pixel_values), output_hidden_states)
        output = BaseModelOutputWithPoolingAndNoAttention(
            last_hidden_state=encoded.last_hidden_state,
            pooler_output=self.pooler(encoded.last_hidden_state),
            hidden_states=encoded.hidden_states,
        )
        return self.finish(output, return_dict)


# --- heads ------------------------------------------------------------------------------------------------------


class ResNetForImageClassification(ResNetPreTrainedModel):
    """Flatten the pooled features, then a Linear classifier (the identity when ``num_labels`` is 0); the
    ``nn.Sequential`` gives transformers' keys ``classifier.1.weight`` / ``classifier.1.bias``."""

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.resnet = ResNetModel(config)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(config.hidden_sizes[-1], config.num_labels) if config.num_labels > 0 else nn.Identity(),
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
        outputs = self.resnet(pixel_values, output_hidden_states, return_dict=True)
        logits = self.classifier(outputs.pooler_output)
        loss = None if labels is None else sequence_classification_loss(self.config, logits, labels)
        output = ImageClassifierOutputWithNoAttention(loss=loss, logits=logits, hidden_states=outputs.hidden_states)
        return self.finish(output, return_dict)


class ResNetBackbone(BackboneMixin, ResNetPreTrainedModel):
    """The feature maps of the stages in ``config.out_features`` ("stem" is the stem's output, after its
    max pool)."""

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__(config)
        self.num_features = [config.embedding_size] + list(config.hidden_sizes)
        self.embedder = ResNetEmbeddings(config)
        self.encoder = ResNetEncoder(config)
        self.post_init()

    def forward(
        self,
        pixel_values: Tensor,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BackboneOutput | tuple[Any, ...]:
        _, output_hidden_states, return_dict = self.flags(None, output_hidden_states, return_dict)
        hidden_states = self.encoder(self.embedder(pixel_values), output_hidden_states=True).hidden_states
        feature_maps = tuple(
            hidden_state for stage, hidden_state in zip(self.stage_names, hidden_states) if stage in self.out_features
        )
        output = BackboneOutput(feature_maps=feature_maps, hidden_states=hidden_states if output_hidden_states else None)
        return self.finish(output, return_dict)
