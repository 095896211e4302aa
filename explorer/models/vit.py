"""ViT (Dosovitskiy et al., 2020): an image cut into patches (16 x 16 pixels), each a token, a learned [CLS]
token in front, learned position embeddings, then a stack of pre-norm Transformer encoder layers.

Read top to bottom: the config, the layers from the patches up, the base model, then the classification
head. Parameter names are the keys of transformers' checkpoints (``vit.embeddings.cls_token``,
``vit.encoder.layer.0.attention.attention.query.weight``...): transformers v5 renames its modules in memory
(``vit.layers.0.attention.q_proj``) but still reads and writes these keys, so checkpoints load without
renaming. ``head_mask`` and ``prune_heads`` keep transformers v4's meaning (v5 dropped them).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from .. import errors
from ..activations import activation
from ..configuration import SIZE_LIMITS, PretrainedConfig, check_size
from ..modeling import (
    PreTrainedModel,
    additive_attention_mask,
    expand_head_mask,
    sequence_classification_loss,
)
from ..outputs import BaseModelOutputWithPooling, ImageClassifierOutput
from .bert import BertEncoder, BertIntermediate, BertSelfAttention, prune_attention_heads

Tensor = torch.Tensor

# no image side (in pixels) or patch side reaches this; a config beyond it is refused before any allocation
MAX_IMAGE_SIDE = 1 << 16


# --- configuration ----------------------------------------------------------------------------------------


class ViTConfig(PretrainedConfig):
    model_type = "vit"
    defaults: ClassVar[dict[str, Any]] = {
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "image_size": 224,  # an int (square) or [height, width]
        "patch_size": 16,  # an int (square) or [height, width]
        "num_channels": 3,
        "qkv_bias": True,
        "encoder_stride": 16,  # used by transformers' masked-image-modeling decoder only
        "pooler_output_size": None,  # None: hidden_size (filled in by __init__, as transformers)
        "pooler_act": "tanh",
    }
    size_limits = SIZE_LIMITS | {"num_channels": 1 << 16, "encoder_stride": MAX_IMAGE_SIDE,
                                 "pooler_output_size": 1 << 16}
    head_division = ("hidden_size", "num_attention_heads")

    def __init__(self, **kwargs: Any) -> None:
        if not kwargs.get("pooler_output_size"):
            kwargs["pooler_output_size"] = kwargs.get("hidden_size", self.defaults["hidden_size"])
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        activation(self.hidden_act)
        activation(self.pooler_act, "pooler_act")
        image, patch = side_pair(self, "image_size"), side_pair(self, "patch_size")
        for axis, image_side, patch_side in zip(("height", "width"), image, patch):
            if patch_side > image_side:
                raise errors.ConfigValueError(
                    f"patch_size={self.patch_size} is larger than image_size={self.image_size} in {axis}: the "
                    "image would give no patch at all. Use a patch_size at most the image_size."
                )


def side_pair(config: ViTConfig, name: str) -> tuple[int, int]:
    """``config.<name>`` (an int for a square, or [height, width]) as (height, width), each side checked."""
    value = getattr(config, name)
    sides = list(value) if isinstance(value, (list, tuple)) else [value, value]
    if len(sides) != 2:
        raise errors.ConfigValueError(f"{name} must be an int or a [height, width] pair, got {value!r}.")
    for side in sides:
        check_size(name, side, MAX_IMAGE_SIDE)
    return sides[0], sides[1]


# --- layers, bottom up ------------------------------------------------------------------------------------------


class ViTPatchEmbeddings(nn.Module):
    """[batch, channels, height, width] pixels -> [batch, patches, hidden] by a convolution whose kernel and
    stride are the patch size: each patch is projected independently. Patches run row by row."""

    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        self.image_size = side_pair(config, "image_size")
        self.patch_size = side_pair(config, "patch_size")
        self.num_patches = (self.image_size[0] // self.patch_size[0]) * (self.image_size[1] // self.patch_size[1])
        self.num_channels = config.num_channels
        self.projection = nn.Conv2d(config.num_channels, config.hidden_size, kernel_size=self.patch_size,
                                    stride=self.patch_size)

    def forward(self, pixel_values: Tensor) -> Tensor:
        if pixel_values.dim() != 4 or pixel_values.shape[1] != self.num_channels:
            raise errors.ModelInputError(
                f"pixel_values must have shape [batch, num_channels={self.num_channels}, height, width], got "
                f"{list(pixel_values.shape)}. Make sure that the channel dimension of the pixel values matches "
                "config.num_channels."
            )
        return self.projection(pixel_values).flatten(2).transpose(1, 2)


class ViTEmbeddings(nn.Module):
    """[CLS] token + patch embeddings + position embeddings. With ``use_mask_token``, patches flagged in
    ``bool_masked_pos`` are replaced by a learned mask token first (masked image modelling)."""

    def __init__(self, config: ViTConfig, use_mask_token: bool = False) -> None:
        super().__init__()
        # values come from the checkpoint or _init_weights; the loader builds this on the meta device
        self.cls_token = nn.Parameter(torch.zeros(1, 1, config.hidden_size))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, config.hidden_size)) if use_mask_token else None
        self.patch_embeddings = ViTPatchEmbeddings(config)
        num_patches = self.patch_embeddings.num_patches
        self.position_embeddings = nn.Parameter(torch.zeros(1, num_patches + 1, config.hidden_size))
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.patch_size = self.patch_embeddings.patch_size
        self.image_size = self.patch_embeddings.image_size

    def interpolate_pos_encoding(self, embeddings: Tensor, height: int, width: int) -> Tensor:
        """The position embeddings for an image of ``height`` x ``width`` pixels: the trained grid of patch
        positions resized bicubically (align_corners=False) to the image's grid of patches, as DINO and
        transformers do; the [CLS] position is kept as is. Unchanged for the trained size."""
        num_patches = embeddings.shape[1] - 1
        num_positions = self.position_embeddings.shape[1] - 1
        if num_patches == num_positions and height == width:
            return self.position_embeddings
        class_pos_embed = self.position_embeddings[:, :1]
        patch_pos_embed = self.position_embeddings[:, 1:]
        dim = embeddings.shape[-1]
        new_height = height // self.patch_size[0]
        new_width = width // self.patch_size[1]
        # the trained grid: transformers takes sqrt(num_positions), the same for the square grids it supports
        grid = (self.image_size[0] // self.patch_size[0], self.image_size[1] // self.patch_size[1])
        patch_pos_embed = patch_pos_embed.reshape(1, grid[0], grid[1], dim).permute(0, 3, 1, 2)
        patch_pos_embed = F.interpolate(patch_pos_embed, size=(new_height, new_width), mode="bicubic",
                                        align_corners=False)
        patch_pos_embed = patch_pos_embed.permute(0, 2, 3, 1).reshape(1, -1, dim)
        return torch.cat((class_pos_embed, patch_pos_embed), dim=1)

    def forward(
        self,
        pixel_values: Tensor,
        bool_masked_pos: Tensor | None = None,
        interpolate_pos_encoding: bool = False,
    ) -> Tensor:
        batch, _, height, width = pixel_values.shape
        embeddings = self.patch_embeddings(pixel_values)
        if bool_masked_pos is not None:
            if self.mask_token is None:
                raise errors.ModelInputError(
                    "bool_masked_pos needs a mask token: build the model with use_mask_token=True "
                    "(ViTModel(config, use_mask_token=True))."
                )
            mask_tokens = self.mask_token.expand(batch, embeddings.shape[1], -1)
            mask = bool_masked_pos.unsqueeze(-1).type_as(mask_tokens)
            embeddings = embeddings * (1.0 - mask) + mask_tokens * mask
        embeddings = torch.cat((self.cls_token.expand(batch, -1, -1), embeddings), dim=1)
        if interpolate_pos_encoding:
            embeddings = embeddings + self.interpolate_pos_encoding(embeddings, height, width)
        else:
            if (height, width) != self.image_size:
                raise errors.ModelInputError(
                    f"Input image size ({height}*{width}) doesn't match model ({self.image_size[0]}*"
                    f"{self.image_size[1]}). Resize the image, or pass interpolate_pos_encoding=True."
                )
            embeddings = embeddings + self.position_embeddings
        return self.dropout(embeddings)


class ViTSelfAttention(BertSelfAttention):
    """BERT's multi-head scaled dot-product attention (same modules, same computation), over all tokens;
    ``qkv_bias=False`` drops the query, key and value biases."""

    def __init__(self, config: ViTConfig) -> None:
        super().__init__(config, bias=config.qkv_bias)


class ViTSelfOutput(nn.Module):
    """The heads' contexts projected back to the hidden size. No residual here: ViTLayer adds it."""

    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.dropout(self.dense(hidden_states))


class ViTAttention(nn.Module):
    """Self-attention and its output projection; the unit whose heads can be pruned."""

    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        self.attention = ViTSelfAttention(config)
        self.output = ViTSelfOutput(config)
        self.pruned_heads: set[int] = set()  # in the original numbering

    def prune_heads(self, heads: set[int]) -> None:
        self.pruned_heads |= prune_attention_heads(self.attention, self.output, heads, self.pruned_heads)

    def forward(
        self,
        hidden_states: Tensor,
        attention_mask: Tensor | None = None,
        head_mask: Tensor | None = None,
        output_attentions: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        context, probs = self.attention(hidden_states, attention_mask, head_mask, output_attentions)
        return self.output(context), probs


class ViTIntermediate(BertIntermediate):
    """The feed-forward's first projection and activation, as BERT's."""


class ViTOutput(nn.Module):
    """The feed-forward's second projection, dropout, and the residual."""

    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor, input_tensor: Tensor) -> Tensor:
        return self.dropout(self.dense(hidden_states)) + input_tensor


class ViTLayer(nn.Module):
    """One pre-norm encoder layer: x + attention(norm(x)), then x + feed-forward(norm(x))."""

    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        self.attention = ViTAttention(config)
        self.intermediate = ViTIntermediate(config)
        self.output = ViTOutput(config)
        self.layernorm_before = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.layernorm_after = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(
        self,
        hidden_states: Tensor,
        attention_mask: Tensor | None = None,
        head_mask: Tensor | None = None,
        output_attentions: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        attended, probs = self.attention(self.layernorm_before(hidden_states), attention_mask, head_mask,
                                         output_attentions)
        hidden_states = attended + hidden_states
        return self.output(self.intermediate(self.layernorm_after(hidden_states)), hidden_states), probs


class ViTPooler(nn.Module):
    """The [CLS] token's final state through a dense layer and ``config.pooler_act`` (tanh)."""

    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.pooler_output_size)
        self.activation = activation(config.pooler_act, "pooler_act")

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.activation(self.dense(hidden_states[:, 0]))


# --- the base model --------------------------------------------------------------------------------------------


class ViTPreTrainedModel(PreTrainedModel):
    config_class = ViTConfig
    base_model_prefix = "vit"
    main_input_name = "pixel_values"

    def _init_weights(self, module: nn.Module) -> None:
        """transformers v5's ViT: N(0, initializer_range) for linear and convolution weights (v4 drew them
        from a truncated normal cut at +-2, i.e. 100 standard deviations: the same distribution), zero
        biases, unit LayerNorms; the [CLS] token and position embeddings from a truncated normal, the mask
        token zero."""
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
        elif isinstance(module, ViTEmbeddings):
            nn.init.trunc_normal_(module.position_embeddings.data, mean=0.0, std=std)
            nn.init.trunc_normal_(module.cls_token.data, mean=0.0, std=std)
            if module.mask_token is not None:
                module.mask_token.data.zero_()

    def get_input_embeddings(self) -> ViTPatchEmbeddings:  # type: ignore[override]
        """The patch embeddings, as transformers' ViT answers."""
        return self.base_model.embeddings.patch_embeddings

    def set_input_embeddings(self, embeddings: nn.Module) -> None:  # type: ignore[override]
        self.base_model.embeddings.patch_embeddings = embeddings


class ViTModel(ViTPreTrainedModel):
    """Embeddings, encoder, a final layernorm and (unless ``add_pooling_layer=False``) the [CLS] pooler."""

    def __init__(self, config: ViTConfig, add_pooling_layer: bool = True, use_mask_token: bool = False) -> None:
        super().__init__(config)
        self.embeddings = ViTEmbeddings(config, use_mask_token=use_mask_token)
        self.encoder = BertEncoder(config, ViTLayer)  # BERT's stack of (here pre-norm) layers
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.pooler = ViTPooler(config) if add_pooling_layer else None
        self.post_init()

    def attention_layers(self) -> list[ViTAttention]:
        return [layer.attention for layer in self.encoder.layer]

    def forward(
        self,
        pixel_values: Tensor | None = None,
        bool_masked_pos: Tensor | None = None,
        interpolate_pos_encoding: bool | None = None,
        attention_mask: Tensor | None = None,
        head_mask: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPooling | tuple[Tensor, ...]:
        """``pixel_values``: [batch, channels, height, width], of the config's image_size unless
        ``interpolate_pos_encoding``. ``bool_masked_pos``: [batch, patches], True where a patch is replaced
        by the mask token (``use_mask_token=True`` models). ``attention_mask``: [batch, 1 + patches] of
        1 (attend) / 0 (ignore), the [CLS] token first; ``head_mask``: [heads] or [layers, heads]."""
        output_attentions, output_hidden_states, return_dict = self.flags(
            output_attentions, output_hidden_states, return_dict
        )
        if pixel_values is None:
            raise errors.ModelInputError("ViT needs pixel_values: [batch, channels, height, width].")
        weight_dtype = self.embeddings.patch_embeddings.projection.weight.dtype
        pixel_values = pixel_values.to(weight_dtype)  # e.g. float32 pixels into a float16 model, as transformers
        embedded = self.embeddings(pixel_values, bool_masked_pos, bool(interpolate_pos_encoding))
        head_masks = expand_head_mask(head_mask, len(self.encoder.layer), embedded.dtype)
        encoded = self.encoder(
            embedded,
            additive_attention_mask(attention_mask, embedded.dtype),
            head_masks,
            output_attentions,
            output_hidden_states,
        )
        sequence_output = self.layernorm(encoded.last_hidden_state)
        output = BaseModelOutputWithPooling(
            last_hidden_state=sequence_output,
            pooler_output=None if self.pooler is None else self.pooler(sequence_output),
            hidden_states=encoded.hidden_states,
            attentions=encoded.attentions,
        )
        return self.finish(output, return_dict)


# --- heads ------------------------------------------------------------------------------------------------------


class ViTForImageClassification(ViTPreTrainedModel):
    """A linear classifier on the [CLS] token's final state (no pooler), e.g. the 1000 ImageNet classes.
    With ``num_labels=0`` the classifier is the identity (the logits are the [CLS] features)."""

    def __init__(self, config: ViTConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.vit = ViTModel(config, add_pooling_layer=False)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels) if config.num_labels > 0 else nn.Identity()
        self.post_init()

    def forward(
        self,
        pixel_values: Tensor | None = None,
        labels: Tensor | None = None,
        interpolate_pos_encoding: bool | None = None,
        attention_mask: Tensor | None = None,
        head_mask: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> ImageClassifierOutput | tuple[Tensor, ...]:
        """``labels``: [batch] floats (num_labels=1, regression), class ids (single-label) or
        [batch, num_labels] floats (multi-label); ``config.problem_type`` says which, inferred if unset."""
        outputs = self.vit(
            pixel_values,
            interpolate_pos_encoding=interpolate_pos_encoding,
            attention_mask=attention_mask,
            head_mask=head_mask,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.classifier(outputs.last_hidden_state[:, 0, :])
        loss = None if labels is None else sequence_classification_loss(self.config, logits, labels)
        output = ImageClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )
        return self.finish(output, return_dict)
