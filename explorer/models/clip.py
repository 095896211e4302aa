"""CLIP (Radford et al., 2021): a text tower and a vision tower, each a stack of pre-norm Transformer
encoder layers, whose pooled outputs are projected into one embedding space and compared by cosine
similarity, scaled by a learned temperature.

The text tower attends causally (each token sees the ones before it) and pools the state of the end-of-text
token; the vision tower puts a learned class embedding in front of the image patches and pools its state.
Read top to bottom: the three configs, the layers shared by both towers, the towers, then ``CLIPModel``.

Parameter names are the keys of transformers' checkpoints (``text_model.encoder.layers.0.self_attn.q_proj.weight``,
``vision_model.pre_layrnorm.weight``, ``logit_scale``...). A tower loaded on its own takes a whole CLIP
checkpoint too: the ``text_model.`` / ``vision_model.`` prefix is dropped on the way in, as transformers v5 does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from .. import errors
from ..activations import activation
from ..configuration import CONFIG_NAME, SIZE_LIMITS, PretrainedConfig, check_size
from ..hub import Checkpoint
from ..modeling import PreTrainedModel, attention
from ..outputs import BaseModelOutput, BaseModelOutputWithPooling, ModelOutput

Tensor = torch.Tensor

# no image side (in pixels), patch side, channel count or projection reaches these
MAX_IMAGE_SIDE = 1 << 16
MAX_PROJECTION = 1 << 16


# --- configuration ----------------------------------------------------------------------------------------


class CLIPTowerConfig(PretrainedConfig):
    """What the text and vision configs share: either can be read from a whole CLIP config.json, whose
    ``text_config`` / ``vision_config`` (``base_config_key``) holds it, as transformers' from_pretrained does."""

    base_config_key: ClassVar[str] = ""
    head_division = ("hidden_size", "num_attention_heads")

    def validate(self) -> None:
        super().validate()
        activation(self.hidden_act)
        if self.projection_dim is not None:
            check_size("projection_dim", self.projection_dim, MAX_PROJECTION)

    @classmethod
    def from_checkpoint_dict(cls, checkpoint: Checkpoint, data: dict[str, Any], **kwargs: Any) -> Any:
        nested = data.get(cls.base_config_key)
        if isinstance(nested, Mapping):
            checkpoint.trace.decide(cls.__name__, checkpoint.name_of(CONFIG_NAME), cls.base_config_key,
                                    nested.get("model_type"), cls.__name__,
                                    note=f"a {data.get('model_type')} config: its {cls.base_config_key} is used")
            data = dict(nested)
        return super().from_checkpoint_dict(checkpoint, data, **kwargs)


class CLIPTextConfig(CLIPTowerConfig):
    model_type = "clip_text_model"
    base_config_key = "text_config"
    defaults: ClassVar[dict[str, Any]] = {
        "vocab_size": 49408,
        "hidden_size": 512,
        "intermediate_size": 2048,
        "projection_dim": 512,
        "num_hidden_layers": 12,
        "num_attention_heads": 8,
        "max_position_embeddings": 77,
        "hidden_act": "quick_gelu",
        "layer_norm_eps": 1e-5,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "initializer_factor": 1.0,
        # transformers' values since its PR #24773 (openai's checkpoints say pad 1, bos 49406, eos 49407);
        # older checkpoints say eos_token_id=2, which selects the legacy pooling (see CLIPTextModel.pool)
        "pad_token_id": 1,
        "bos_token_id": 49406,
        "eos_token_id": 49407,
    }


class CLIPVisionConfig(CLIPTowerConfig):
    model_type = "clip_vision_model"
    base_config_key = "vision_config"
    defaults: ClassVar[dict[str, Any]] = {
        "hidden_size": 768,
        "intermediate_size": 3072,
        "projection_dim": 512,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "num_channels": 3,
        "image_size": 224,
        "patch_size": 32,
        "hidden_act": "quick_gelu",
        "layer_norm_eps": 1e-5,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "initializer_factor": 1.0,
    }
    size_limits: ClassVar[dict[str, int]] = {**SIZE_LIMITS, "image_size": MAX_IMAGE_SIDE,
                                             "patch_size": MAX_IMAGE_SIDE, "num_channels": 1 << 12}

    def validate(self) -> None:
        super().validate()
        if self.patch_size > self.image_size:
            raise errors.ConfigValueError(
                f"patch_size={self.patch_size} is larger than image_size={self.image_size}: the image would have "
                "no patch. Use a patch_size no larger than the image."
            )


class CLIPConfig(PretrainedConfig):
    """The two towers' configs (``text_config``, ``vision_config``: dicts in config.json, config objects
    here) and what joins them: the projection size and the initial temperature."""

    model_type = "clip"
    sub_configs: ClassVar[dict[str, type[CLIPTowerConfig]]] = {
        "text_config": CLIPTextConfig,
        "vision_config": CLIPVisionConfig,
    }
    defaults: ClassVar[dict[str, Any]] = {
        "text_config": None,
        "vision_config": None,
        "projection_dim": 512,
        "logit_scale_init_value": 2.6592,
        "initializer_factor": 1.0,
    }

    def __init__(self, **kwargs: Any) -> None:
        for key, config_class in self.sub_configs.items():
            value = kwargs.get(key)
            legacy = kwargs.pop(f"{key}_dict", None)  # text_config_dict: older files; it wins, as in transformers
            if legacy is not None:
                value = {**as_dict(value), **config_class(**without_model_type(legacy)).to_dict()}
            kwargs[key] = sub_config(config_class, value, key)
        super().__init__(**kwargs)

    def validate(self) -> None:
        super().validate()
        check_size("projection_dim", self.projection_dim, MAX_PROJECTION)
        if isinstance(self.logit_scale_init_value, bool) or not isinstance(self.logit_scale_init_value, (int, float)):
            raise errors.ConfigValueError(
                f"logit_scale_init_value must be a number, got {self.logit_scale_init_value!r}."
            )
        for key in self.sub_configs:
            getattr(self, key).validate()

    def to_dict(self) -> dict[str, Any]:
        """The towers' configs as nested dicts, without their own transformers_version (as transformers)."""
        output = super().to_dict()
        for key in self.sub_configs:
            output[key] = getattr(self, key).to_dict()
            output[key].pop("transformers_version", None)
        return output

    def to_diff_dict(self) -> dict[str, Any]:
        """transformers' diff, nested: a tower's field is written unless it is a generic field (``return_dict``...)
        left at the tower class's default; the architecture's own fields and ``model_type`` are always written."""
        diff = super().to_diff_dict()
        generic = PretrainedConfig().to_dict()
        full = self.to_dict()
        for key, config_class in self.sub_configs.items():
            class_defaults = config_class().to_dict()
            diff[key] = {name: value for name, value in full[key].items()
                         if name not in generic or name == "model_type" or value != class_defaults.get(name)}
        return diff


def as_dict(value: Any) -> dict[str, Any]:
    return value.to_dict() if isinstance(value, PretrainedConfig) else dict(value or {})


def without_model_type(data: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name != "model_type"}


def sub_config(config_class: type[CLIPTowerConfig], value: Any, key: str) -> CLIPTowerConfig:
    """A tower's config from a config object, a dict (as in config.json) or None (the defaults)."""
    if value is None:
        return config_class()
    if isinstance(value, config_class):
        return value
    if isinstance(value, Mapping):
        return config_class(**without_model_type(value))
    raise errors.ConfigValueError(
        f"{key} must be a dict, a {config_class.__name__} or None, not {type(value).__name__}."
    )


# --- layers shared by both towers ---------------------------------------------------------------------------


def init_std(module: nn.Module, std: float) -> nn.Module:
    """Record the standard deviation transformers draws ``module``'s weight with. The loader initialises a
    missing tensor through its own module (a lone ``q_proj``), which cannot see the layer that sets the rule."""
    module.init_std = std
    return module


class CLIPTextEmbeddings(nn.Module):
    """Token + position embeddings (no normalisation: each layer normalises its input)."""

    def __init__(self, config: CLIPTextConfig) -> None:
        super().__init__()
        std = 0.02 * config.initializer_factor
        self.token_embedding = init_std(nn.Embedding(config.vocab_size, config.hidden_size), std)
        self.position_embedding = init_std(nn.Embedding(config.max_position_embeddings, config.hidden_size), std)

    def forward(
        self,
        input_ids: Tensor | None = None,
        position_ids: Tensor | None = None,
        inputs_embeds: Tensor | None = None,
    ) -> Tensor:
        length = input_ids.shape[-1] if input_ids is not None else inputs_embeds.shape[-2]
        limit = self.position_embedding.num_embeddings
        if length > limit:
            raise errors.ModelInputError(
                f"Sequence length must be less than max_position_embeddings (got `sequence length`: {length} and "
                f"max_position_embeddings: {limit}). Truncate the input (the tokenizer's truncation=True)."
            )
        if inputs_embeds is None:
            inputs_embeds = self.token_embedding(input_ids)
        if position_ids is None:  # computed, not a buffer: the loader builds models on the meta device
            position_ids = torch.arange(length, device=inputs_embeds.device)[None]
        return inputs_embeds + self.position_embedding(position_ids)


class CLIPVisionEmbeddings(nn.Module):
    """The image cut into patches by a strided convolution, a learned class embedding in front, plus learned
    position embeddings (interpolated for other image sizes when asked)."""

    def __init__(self, config: CLIPVisionConfig) -> None:
        super().__init__()
        self.embed_dim = config.hidden_size
        self.image_size = config.image_size
        self.patch_size = config.patch_size
        factor = config.initializer_factor
        self.class_embedding = nn.Parameter(torch.empty(self.embed_dim))
        self.class_embedding_std = self.embed_dim**-0.5 * factor
        self.patch_embedding = init_std(
            nn.Conv2d(config.num_channels, self.embed_dim, kernel_size=self.patch_size, stride=self.patch_size,
                      bias=False),
            config.initializer_range * factor,
        )
        self.num_patches = (self.image_size // self.patch_size) ** 2
        self.num_positions = self.num_patches + 1
        self.position_embedding = init_std(nn.Embedding(self.num_positions, self.embed_dim),
                                           config.initializer_range * factor)

    def interpolate_pos_encoding(self, embeddings: Tensor, height: int, width: int) -> Tensor:
        """The position embeddings for a ``height`` x ``width`` image: the patches' grid resized bicubically,
        the class position kept (DINO's recipe, as transformers)."""
        num_patches = embeddings.shape[1] - 1
        position_embedding = self.position_embedding.weight.unsqueeze(0)
        num_positions = position_embedding.shape[1] - 1
        if num_patches == num_positions and height == width:
            return self.position_embedding(torch.arange(self.num_positions, device=embeddings.device)[None])
        class_pos_embed = position_embedding[:, :1]
        patch_pos_embed = position_embedding[:, 1:]
        dim = embeddings.shape[-1]
        side = int(num_positions**0.5)
        patch_pos_embed = patch_pos_embed.reshape(1, side, side, dim).permute(0, 3, 1, 2)
        patch_pos_embed = F.interpolate(
            patch_pos_embed, size=(height // self.patch_size, width // self.patch_size), mode="bicubic",
            align_corners=False,
        )
        patch_pos_embed = patch_pos_embed.permute(0, 2, 3, 1).view(1, -1, dim)
        return torch.cat((class_pos_embed, patch_pos_embed), dim=1)

    def forward(self, pixel_values: Tensor, interpolate_pos_encoding: bool = False) -> Tensor:
        batch, _, height, width = pixel_values.shape
        if not interpolate_pos_encoding and (height != self.image_size or width != self.image_size):
            raise errors.ModelInputError(
                f"Input image size ({height}*{width}) doesn't match model ({self.image_size}*{self.image_size}). "
                "Resize the image (the image processor does), or pass interpolate_pos_encoding=True."
            )
        patch_embeds = self.patch_embedding(pixel_values.to(dtype=self.patch_embedding.weight.dtype))
        patch_embeds = patch_embeds.flatten(2).transpose(1, 2)  # [batch, patches, hidden]
        class_embeds = self.class_embedding.expand(batch, 1, -1)
        embeddings = torch.cat([class_embeds, patch_embeds], dim=1)
        if interpolate_pos_encoding:
            return embeddings + self.interpolate_pos_encoding(embeddings, height, width)
        positions = torch.arange(self.num_positions, device=embeddings.device)[None]
        return embeddings + self.position_embedding(positions)


class CLIPAttention(nn.Module):
    """Multi-head scaled dot-product attention; returns the output projection of the heads' contexts, and
    the attention probabilities when asked."""

    def __init__(self, config: CLIPTextConfig | CLIPVisionConfig) -> None:
        super().__init__()
        self.embed_dim = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = config.attention_dropout
        factor = config.initializer_factor
        in_std = self.embed_dim**-0.5 * (2 * config.num_hidden_layers) ** -0.5 * factor
        self.k_proj = init_std(nn.Linear(self.embed_dim, self.embed_dim), in_std)
        self.v_proj = init_std(nn.Linear(self.embed_dim, self.embed_dim), in_std)
        self.q_proj = init_std(nn.Linear(self.embed_dim, self.embed_dim), in_std)
        self.out_proj = init_std(nn.Linear(self.embed_dim, self.embed_dim), self.embed_dim**-0.5 * factor)

    def split_heads(self, projected: Tensor) -> Tensor:
        """[batch, tokens, hidden] -> [batch, heads, tokens, head_dim]"""
        batch, length, _ = projected.shape
        return projected.view(batch, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(
        self, hidden_states: Tensor, attention_mask: Tensor | None = None, output_attentions: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        context, probs = attention(
            self.split_heads(self.q_proj(hidden_states)),
            self.split_heads(self.k_proj(hidden_states)),
            self.split_heads(self.v_proj(hidden_states)),
            attention_mask,
            dropout=self.dropout if self.training else 0.0,
            output_attentions=output_attentions,
        )
        context = context.transpose(1, 2).reshape(*hidden_states.shape[:2], self.embed_dim)
        return self.out_proj(context), probs


class CLIPMLP(nn.Module):
    def __init__(self, config: CLIPTextConfig | CLIPVisionConfig) -> None:
        super().__init__()
        factor = config.initializer_factor
        self.activation_fn = activation(config.hidden_act)
        self.fc1 = init_std(nn.Linear(config.hidden_size, config.intermediate_size),
                            (2 * config.hidden_size) ** -0.5 * factor)
        self.fc2 = init_std(nn.Linear(config.intermediate_size, config.hidden_size),
                            config.hidden_size**-0.5 * (2 * config.num_hidden_layers) ** -0.5 * factor)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.fc2(self.activation_fn(self.fc1(hidden_states)))


class CLIPEncoderLayer(nn.Module):
    """Pre-norm: LayerNorm, attention, residual; LayerNorm, MLP, residual."""

    def __init__(self, config: CLIPTextConfig | CLIPVisionConfig) -> None:
        super().__init__()
        self.self_attn = CLIPAttention(config)
        self.layer_norm1 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = CLIPMLP(config)
        self.layer_norm2 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(
        self, hidden_states: Tensor, attention_mask: Tensor | None = None, output_attentions: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        attended, probs = self.self_attn(self.layer_norm1(hidden_states), attention_mask, output_attentions)
        hidden_states = hidden_states + attended
        return hidden_states + self.mlp(self.layer_norm2(hidden_states)), probs


class CLIPEncoder(nn.Module):
    def __init__(self, config: CLIPTextConfig | CLIPVisionConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList([CLIPEncoderLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(
        self,
        inputs_embeds: Tensor,
        attention_mask: Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> BaseModelOutput:
        """``hidden_states`` out: the input's, then each layer's (the last before any final norm);
        ``attentions``: each layer's."""
        hidden_states = inputs_embeds
        all_hidden_states = [hidden_states]
        all_attentions = []
        for layer in self.layers:
            hidden_states, probs = layer(hidden_states, attention_mask, output_attentions)
            all_hidden_states.append(hidden_states)
            all_attentions.append(probs)
        return BaseModelOutput(
            last_hidden_state=hidden_states,
            hidden_states=tuple(all_hidden_states) if output_hidden_states else None,
            attentions=tuple(all_attentions) if output_attentions else None,
        )


def causal_attention_mask(attention_mask: Tensor | None, hidden_states: Tensor) -> Tensor:
    """transformers' ``create_causal_mask`` for its eager attention: a [batch, 1, tokens, tokens] mask adding
    0 where query i may see key j (j <= i, and j is not padding) and the dtype's minimum elsewhere. A 4-D
    mask is taken as given (a boolean one is made additive)."""
    dtype, device = hidden_states.dtype, hidden_states.device
    if attention_mask is not None and attention_mask.dim() == 4:
        if attention_mask.dtype != torch.bool:
            return attention_mask
        allowed = attention_mask.to(device)
    else:
        batch, length = hidden_states.shape[:2]
        allowed = torch.ones(length, length, dtype=torch.bool, device=device).tril()[None, None]
        allowed = allowed.expand(batch, 1, length, length)
        if attention_mask is not None:
            if attention_mask.shape[-1] != length:
                raise errors.ModelInputError(
                    f"attention_mask covers {attention_mask.shape[-1]} positions but input_ids has {length}; "
                    "pass the mask the tokenizer returned with these ids."
                )
            allowed = allowed & attention_mask.to(device=device, dtype=torch.bool)[:, None, None, :]
    return torch.zeros(allowed.shape, dtype=dtype, device=device).masked_fill(~allowed, torch.finfo(dtype).min)


# --- the towers -------------------------------------------------------------------------------------------------


class CLIPPreTrainedModel(PreTrainedModel):
    config_class = CLIPConfig
    base_model_prefix = "clip"

    def _init_weights(self, module: nn.Module) -> None:
        """transformers' CLIP initialisation: each weight drawn with the standard deviation its layer sets
        (recorded by ``init_std``; all scaled by the tower's ``initializer_factor``), zero biases, LayerNorms
        at 1 / 0, the class embedding N(0, hidden_size ** -0.5), the temperature at its initial value."""
        if isinstance(module, (nn.Linear, nn.Conv2d, nn.Embedding)):
            std = getattr(module, "init_std", None)
            if std is None:  # a layer not built here (e.g. a replaced embedding): transformers' generic rule
                std = getattr(self.config, "initializer_range", None) or self.config.initializer_factor
            module.weight.data.normal_(mean=0.0, std=std)
            if getattr(module, "bias", None) is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
        elif isinstance(module, CLIPVisionEmbeddings):
            module.class_embedding.data.normal_(mean=0.0, std=module.class_embedding_std)
        elif isinstance(module, CLIPModel):
            module.logit_scale.data.fill_(module.config.logit_scale_init_value)


class CLIPTextModel(CLIPPreTrainedModel):
    """The text tower: token and position embeddings, causal encoder, final LayerNorm; pooled output = the
    end-of-text token's final state."""

    config_class = CLIPTextConfig
    # a whole CLIP checkpoint holds this tower under text_model. (transformers v5 drops the prefix too)
    _checkpoint_renames = (*PreTrainedModel._checkpoint_renames, (r"^text_model\.", ""))

    def __init__(self, config: CLIPTextConfig) -> None:
        super().__init__(config)
        self.embeddings = CLIPTextEmbeddings(config)
        self.encoder = CLIPEncoder(config)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.eos_token_id = config.eos_token_id  # read once, as transformers, for the pooling
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.token_embedding

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.embeddings.token_embedding = embeddings

    def pool(self, last_hidden_state: Tensor, input_ids: Tensor) -> Tensor:
        """The final state of each row's end-of-text token. With ``eos_token_id == 2`` (configs written before
        transformers' PR #24773) that token is taken to be the row's highest id, as OpenAI's code does;
        otherwise it is the first ``eos_token_id`` of the row."""
        rows = torch.arange(last_hidden_state.shape[0], device=last_hidden_state.device)
        ids = input_ids.to(dtype=torch.int, device=last_hidden_state.device)
        if self.eos_token_id == 2:
            return last_hidden_state[rows, ids.argmax(dim=-1)]
        return last_hidden_state[rows, (ids == self.eos_token_id).int().argmax(dim=-1)]

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        position_ids: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPooling | tuple[Tensor, ...]:
        """``attention_mask``: [batch, tokens] of 1 (token) / 0 (padding), combined with the causal mask."""
        output_attentions, output_hidden_states, _ = self.flags(output_attentions, output_hidden_states, return_dict)
        if input_ids is None:
            raise errors.ModelInputError("You have to specify input_ids")
        input_ids = input_ids.view(-1, input_ids.shape[-1])
        hidden_states = self.embeddings(input_ids=input_ids, position_ids=position_ids)
        mask = causal_attention_mask(attention_mask, hidden_states)
        encoded = self.encoder(hidden_states, mask, output_attentions, output_hidden_states)
        last_hidden_state = self.final_layer_norm(encoded.last_hidden_state)
        output = BaseModelOutputWithPooling(
            last_hidden_state=last_hidden_state,
            pooler_output=self.pool(last_hidden_state, input_ids),
            hidden_states=encoded.hidden_states,
            attentions=encoded.attentions,
        )
        return self.finish(output, return_dict)


class CLIPVisionModel(CLIPPreTrainedModel):
    """The vision tower: patch embeddings, LayerNorm (``pre_layrnorm``, transformers' spelling), encoder;
    pooled output = the class token's final state, normalised by ``post_layernorm``."""

    config_class = CLIPVisionConfig
    main_input_name = "pixel_values"
    _checkpoint_renames = (*PreTrainedModel._checkpoint_renames, (r"^vision_model\.", ""))

    def __init__(self, config: CLIPVisionConfig) -> None:
        super().__init__(config)
        self.embeddings = CLIPVisionEmbeddings(config)
        self.pre_layrnorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.encoder = CLIPEncoder(config)
        self.post_layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.post_init()

    def get_input_embeddings(self) -> nn.Conv2d:
        return self.embeddings.patch_embedding

    def set_input_embeddings(self, embeddings: nn.Module) -> None:
        raise NotImplementedError("CLIPVisionModel's input embeddings are its patch convolution; it is not replaced.")

    def forward(
        self,
        pixel_values: Tensor | None = None,
        interpolate_pos_encoding: bool = False,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPooling | tuple[Tensor, ...]:
        """``pixel_values``: [batch, channels, height, width], as the image processor makes them."""
        output_attentions, output_hidden_states, _ = self.flags(output_attentions, output_hidden_states, return_dict)
        if pixel_values is None:
            raise errors.ModelInputError("You have to specify pixel_values")
        hidden_states = self.pre_layrnorm(self.embeddings(pixel_values, interpolate_pos_encoding))
        encoded = self.encoder(hidden_states, None, output_attentions, output_hidden_states)
        output = BaseModelOutputWithPooling(
            last_hidden_state=encoded.last_hidden_state,
            pooler_output=self.post_layernorm(encoded.last_hidden_state[:, 0, :]),
            hidden_states=encoded.hidden_states,
            attentions=encoded.attentions,
        )
        return self.finish(output, return_dict)


# --- the joint model ----------------------------------------------------------------------------------------


@dataclass
class CLIPOutput(ModelOutput):
    """``logits_per_image``: [images, texts] scaled cosine similarities (``logits_per_text`` its transpose);
    ``text_embeds`` / ``image_embeds``: the projected, L2-normalised pooled outputs; ``*_model_output``: each
    tower's output, its ``pooler_output`` projected (not normalised), as transformers v5 returns them."""

    loss: Tensor | None = None
    logits_per_image: Tensor | None = None
    logits_per_text: Tensor | None = None
    text_embeds: Tensor | None = None
    image_embeds: Tensor | None = None
    text_model_output: BaseModelOutputWithPooling | None = None
    vision_model_output: BaseModelOutputWithPooling | None = None

    def to_tuple(self) -> tuple[Any, ...]:
        """The towers' outputs as tuples too."""
        return tuple(value.to_tuple() if isinstance(value, ModelOutput) else value for value in self.values())


def vector_norm(tensor: Tensor) -> Tensor:
    """The L2 norm over the last axis, written out as transformers does (for exportability)."""
    return torch.pow(torch.sum(torch.pow(tensor, 2), dim=-1, keepdim=True), 0.5)


def contrastive_loss(logits_per_text: Tensor) -> Tensor:
    """The symmetric cross-entropy of CLIP: text i belongs with image i, and image i with text i."""
    targets = torch.arange(len(logits_per_text), device=logits_per_text.device)
    return (F.cross_entropy(logits_per_text, targets) + F.cross_entropy(logits_per_text.t(), targets)) / 2.0


class CLIPModel(CLIPPreTrainedModel):
    """Both towers, their projections into the shared space (no bias), and the learned temperature
    ``logit_scale`` (its exponential scales the cosine similarities)."""

    def __init__(self, config: CLIPConfig) -> None:
        super().__init__(config)
        text_config, vision_config = config.text_config, config.vision_config
        self.projection_dim = config.projection_dim
        self.text_embed_dim = text_config.hidden_size
        self.vision_embed_dim = vision_config.hidden_size
        self.text_model = CLIPTextModel(text_config)
        self.vision_model = CLIPVisionModel(vision_config)
        factor = config.initializer_factor
        self.visual_projection = init_std(nn.Linear(self.vision_embed_dim, self.projection_dim, bias=False),
                                          self.vision_embed_dim**-0.5 * factor)
        self.text_projection = init_std(nn.Linear(self.text_embed_dim, self.projection_dim, bias=False),
                                        self.text_embed_dim**-0.5 * factor)
        self.logit_scale = nn.Parameter(torch.tensor(float(config.logit_scale_init_value)))
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.text_model.get_input_embeddings()

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.text_model.set_input_embeddings(embeddings)

    def resize_token_embeddings(self, new_num_tokens: int | None = None, pad_to_multiple_of: int | None = None,
                                mean_resizing: bool = True) -> nn.Embedding:
        """The text tower's vocabulary (``text_config.vocab_size`` follows). transformers' CLIPModel has no
        input embeddings to resize; this one is the text tower's."""
        return self.text_model.resize_token_embeddings(new_num_tokens, pad_to_multiple_of, mean_resizing)

    def get_text_features(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        position_ids: Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPooling | tuple[Tensor, ...]:
        """The text tower's output with ``pooler_output`` projected into the shared space (transformers v5
        returns the whole output; ``.pooler_output`` is v4's tensor)."""
        outputs = self.text_model(input_ids, attention_mask, position_ids, output_attentions, output_hidden_states,
                                  return_dict=True)
        outputs.pooler_output = self.text_projection(outputs.pooler_output)
        return self.finish(outputs, return_dict)

    def get_image_features(
        self,
        pixel_values: Tensor | None = None,
        interpolate_pos_encoding: bool = False,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPooling | tuple[Tensor, ...]:
        """The vision tower's output with ``pooler_output`` projected into the shared space."""
        outputs = self.vision_model(pixel_values, interpolate_pos_encoding, output_attentions, output_hidden_states,
                                    return_dict=True)
        outputs.pooler_output = self.visual_projection(outputs.pooler_output)
        return self.finish(outputs, return_dict)

    def forward(
        self,
        input_ids: Tensor | None = None,
        pixel_values: Tensor | None = None,
        attention_mask: Tensor | None = None,
        position_ids: Tensor | None = None,
        return_loss: bool | None = None,
        interpolate_pos_encoding: bool = False,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> CLIPOutput | tuple[Any, ...]:
        """Every text against every image. ``return_loss=True`` adds the contrastive loss (text i matches
        image i). The output flags left unset take each tower's config defaults, as in transformers."""
        vision_outputs = self.get_image_features(pixel_values, interpolate_pos_encoding, output_attentions,
                                                 output_hidden_states, return_dict=True)
        text_outputs = self.get_text_features(input_ids, attention_mask, position_ids, output_attentions,
                                              output_hidden_states, return_dict=True)
        image_embeds = vision_outputs.pooler_output / vector_norm(vision_outputs.pooler_output)
        text_embeds = text_outputs.pooler_output / vector_norm(text_outputs.pooler_output)
        logits_per_text = (text_embeds @ image_embeds.t().to(text_embeds.device)) * self.logit_scale.exp().to(
            text_embeds.device)
        output = CLIPOutput(
            loss=contrastive_loss(logits_per_text) if return_loss else None,
            logits_per_image=logits_per_text.t(),
            logits_per_text=logits_per_text,
            text_embeds=text_embeds,
            image_embeds=image_embeds,
            text_model_output=text_outputs,
            vision_model_output=vision_outputs,
        )
        return self.finish(output, return_dict)
