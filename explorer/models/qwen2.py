"""Qwen2 (Qwen team, 2024): Llama's decoder with biases on the query, key and value projections, usually tied
embeddings in the small checkpoints, and optional sliding-window attention in the upper layers.

Read top to bottom: the config (rotary parameters as transformers v5's ``rope_parameters``, v4's ``rope_theta`` /
``rope_scaling`` read too; ``use_sliding_window``, ``sliding_window``, ``max_window_layers`` and ``layer_types``
read as transformers 5.25 does), the layers, the base model, the heads. The blocks shared with Llama are copied
from ``llama.py`` rather than imported: one architecture, one file. As in transformers, inputs longer than
``max_position_embeddings`` are allowed (rotary embeddings have no table to index out of), and a sliding-window
layer's mask hides keys ``sliding_window`` or more positions back, and its cache keeps only the positions still
in view (``explorer.cache.DynamicSlidingWindowLayer``, as transformers' cache).
"""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from .. import errors
from ..activations import activation
from ..cache import DynamicCache
from ..configuration import SIZE_LIMITS, PretrainedConfig, check_size
from ..generation import GenerationMixin
from ..modeling import PreTrainedModel, attention, check_one_input, sequence_classification_loss
from ..outputs import BaseModelOutputWithPast, CausalLMOutputWithPast, SequenceClassifierOutputWithPast

Tensor = torch.Tensor

# --- configuration --------------------------------------------------------------------------------------------

ROPE_TYPES = ("default", "linear", "dynamic", "llama3")
# the fields each rope type reads from rope_parameters, beyond rope_type and rope_theta
ROPE_FIELDS = {
    "default": (),
    "linear": ("factor",),
    "dynamic": ("factor",),
    "llama3": ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"),
}
DEFAULT_THETA = 10_000.0
MAX_HEAD_DIM = 1 << 12
BOOLEAN_FIELDS = ("tie_word_embeddings", "use_cache")


def standard_rope_parameters(kwargs: dict[str, Any], max_position_embeddings: Any) -> dict[str, Any]:
    """transformers v5's ``rope_parameters`` from either spelling: v4's ``rope_scaling`` (its ``type`` or
    ``rope_type``) with ``rope_theta`` beside it, or v5's dict; ``kwargs`` loses the v4 keys."""
    scaling = kwargs.pop("rope_scaling", None)
    theta = kwargs.pop("rope_theta", None)
    given = scaling or kwargs.get("rope_parameters") or {}
    if not isinstance(given, dict):
        raise errors.ConfigValueError(
            f"rope_parameters (or rope_scaling) must be an object such as {{\"rope_type\": \"linear\", "
            f"\"factor\": 2.0}}, got {given!r}. Fix config.json."
        )
    parameters = dict(given)
    parameters.setdefault("rope_theta", DEFAULT_THETA if theta is None else theta)
    parameters.setdefault("rope_type", parameters.get("type", "default"))
    if parameters["rope_type"] == "llama3":
        parameters.setdefault("original_max_position_embeddings", max_position_embeddings)
    return parameters


def check_positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise errors.ConfigValueError(f"{name} must be a positive number, got {value!r}. Fix config.json.")


def check_rope_parameters(parameters: dict[str, Any], head_dim: int) -> None:
    """A rope type explorer computes, with the fields it reads, each a usable number."""
    rope_type = parameters.get("rope_type") if isinstance(parameters, dict) else None
    if rope_type not in ROPE_TYPES:
        raise errors.ConfigValueError(
            f"rope_parameters: rope_type={rope_type!r} is not supported; explorer computes {', '.join(ROPE_TYPES)}."
        )
    for name in ("rope_theta", *ROPE_FIELDS[rope_type]):
        if name not in parameters:
            raise errors.ConfigValueError(f"rope_parameters: rope_type={rope_type!r} needs {name!r}. Add it.")
        check_positive(f"rope_parameters[{name!r}]", parameters[name])
    if rope_type == "llama3" and parameters["high_freq_factor"] <= parameters["low_freq_factor"]:
        raise errors.ConfigValueError(
            "rope_parameters: high_freq_factor must be greater than low_freq_factor (the smoothing divides by "
            f"their difference), got {parameters['high_freq_factor']} and {parameters['low_freq_factor']}."
        )
    if rope_type != "default" and parameters.get("partial_rotary_factor", 1.0) != 1.0:
        raise errors.ConfigValueError(
            f"rope_parameters: partial_rotary_factor={parameters['partial_rotary_factor']!r} with rope_type="
            f"{rope_type!r}: Qwen2 rotates whole heads (transformers fails on it too). Remove it."
        )
    if rope_type == "dynamic" and head_dim <= 2:
        raise errors.ConfigValueError(f"head_dim={head_dim}: dynamic rope scaling needs a head_dim above 2.")


LAYER_TYPES = ("full_attention", "sliding_attention")
LEGACY_LAYER_TYPES = {"attention": "full_attention"}  # older spellings, renamed as transformers does


class Qwen2Config(PretrainedConfig):
    model_type = "qwen2"
    defaults: ClassVar[dict[str, Any]] = {
        "vocab_size": 151936,
        "hidden_size": 4096,
        "intermediate_size": 22016,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
        "hidden_act": "silu",
        "max_position_embeddings": 32768,
        "initializer_range": 0.02,
        "rms_norm_eps": 1e-6,
        "use_cache": True,
        "tie_word_embeddings": False,
        "rope_parameters": None,
        "use_sliding_window": False,
        "sliding_window": 4096,  # kept only with use_sliding_window, else None (as transformers)
        "max_window_layers": 28,  # layers from this index on slide, when no layer_types are given
        "layer_types": None,
        "attention_dropout": 0.0,
        "pad_token_id": None,
        "bos_token_id": None,
        "eos_token_id": None,
    }

    def __init__(self, **kwargs: Any) -> None:
        max_positions = kwargs.get("max_position_embeddings", self.defaults["max_position_embeddings"])
        kwargs["rope_parameters"] = standard_rope_parameters(kwargs, max_positions)
        if isinstance(kwargs.get("layer_types"), list):
            kwargs["layer_types"] = [LEGACY_LAYER_TYPES.get(kind, kind) for kind in kwargs["layer_types"]]
        super().__init__(**kwargs)
        if not self.use_sliding_window:
            self.sliding_window = None
        if self.num_key_value_heads is None:
            self.num_key_value_heads = self.num_attention_heads
        if self.layer_types is None:
            self.layer_types = ["sliding_attention" if self.sliding_window is not None and index >= self.max_window_layers
                                else "full_attention" for index in range(self.num_hidden_layers)]
        self.validate()  # again, with the derived fields

    @property
    def head_dim(self) -> int:
        """config.json's ``head_dim`` if it has one (transformers reads it), else hidden_size // heads."""
        return self.__dict__.get("head_dim") or self.hidden_size // self.num_attention_heads

    @head_dim.setter
    def head_dim(self, value: int) -> None:
        self.__dict__["head_dim"] = value

    @property
    def rope_scaling(self) -> dict[str, Any]:
        """transformers v4's name for :attr:`rope_parameters`."""
        return self.rope_parameters

    @rope_scaling.setter
    def rope_scaling(self, value: dict[str, Any]) -> None:
        self.rope_parameters = standard_rope_parameters({"rope_scaling": value}, self.max_position_embeddings)

    def validate(self) -> None:
        super().validate()
        activation(self.hidden_act)
        check_decoder_fields(self)
        check_sliding_fields(self)


def check_sliding_fields(config: Qwen2Config) -> None:
    """A window that is a size, and layer types transformers' Qwen2 computes, one per layer."""
    if not isinstance(config.use_sliding_window, bool):
        raise errors.ConfigValueError(f"use_sliding_window must be true or false, got {config.use_sliding_window!r}.")
    if config.sliding_window is not None:
        check_size("sliding_window", config.sliding_window, SIZE_LIMITS["max_position_embeddings"])
    if isinstance(config.max_window_layers, bool) or not isinstance(config.max_window_layers, int):
        raise errors.ConfigValueError(f"max_window_layers must be a whole number, got {config.max_window_layers!r}.")
    kinds = config.layer_types
    if kinds is None:  # until __init__ derives them
        return
    if not isinstance(kinds, list) or len(kinds) != config.num_hidden_layers or not set(kinds) <= set(LAYER_TYPES):
        raise errors.ConfigValueError(
            f"layer_types must list one of {LAYER_TYPES} for each of the num_hidden_layers={config.num_hidden_layers} "
            f"layers, got {kinds!r}. Fix config.json, or remove layer_types to derive it from max_window_layers."
        )
    if "sliding_attention" in kinds and config.sliding_window is None:
        raise errors.ConfigValueError(
            "layer_types has sliding_attention layers but sliding_window is not set (it is kept only with "
            "use_sliding_window=true). Set both, or make every layer full_attention."
        )


def check_decoder_fields(config: PretrainedConfig) -> None:
    """Grouped heads, an even head size for the rotation, flags that are flags, and the rope parameters
    (``head_dim`` and ``num_key_value_heads`` are None until ``__init__`` derives them)."""
    for name in BOOLEAN_FIELDS:
        if not isinstance(getattr(config, name, False), bool):
            raise errors.ConfigValueError(f"{name} must be true or false, got {getattr(config, name)!r}.")
    if config.__dict__.get("pruned_heads"):
        raise errors.ConfigValueError(f"pruned_heads: {config.model_type} heads cannot be pruned. Remove it.")
    kv_heads, head_dim = config.num_key_value_heads, getattr(config, "head_dim", None)
    if kv_heads is not None:
        check_size("num_key_value_heads", kv_heads, SIZE_LIMITS["num_attention_heads"])
    if kv_heads is not None and config.num_attention_heads % kv_heads:
        raise errors.ConfigValueError(
            f"num_attention_heads={config.num_attention_heads} is not a multiple of num_key_value_heads={kv_heads}: "
            "each key-value head serves a group of query heads. Change one of them."
        )
    if head_dim is not None:
        check_size("head_dim", head_dim, MAX_HEAD_DIM)
        if head_dim % 2:
            raise errors.ConfigValueError(
                f"head_dim={head_dim} is odd: rotary embeddings turn pairs of features. Use an even head_dim."
            )
        check_rope_parameters(config.rope_parameters, head_dim)


# --- layers, bottom up ----------------------------------------------------------------------------------------


class Qwen2RMSNorm(nn.Module):
    """Root-mean-square normalisation (no centring, no bias), computed in float32 as transformers does."""

    def __init__(self, hidden_size: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states: Tensor) -> Tensor:
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states.to(input_dtype)


def default_inverse_frequencies(theta: float, head_dim: int) -> Tensor:
    """1 / theta ** (2i / head_dim), one frequency per pair of features."""
    return 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))


def llama3_inverse_frequencies(parameters: dict[str, Any], head_dim: int) -> Tensor:
    """Qwen2 3.1's scaling: long wavelengths divided by ``factor``, short ones kept, the band between
    interpolated smoothly."""
    inv_freq = default_inverse_frequencies(parameters["rope_theta"], head_dim)
    factor, low, high = parameters["factor"], parameters["low_freq_factor"], parameters["high_freq_factor"]
    old_context = parameters["original_max_position_embeddings"]
    low_freq_wavelen, high_freq_wavelen = old_context / low, old_context / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_context / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    is_medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium, smoothed, scaled)


def dynamic_inverse_frequencies(parameters: dict[str, Any], head_dim: int, max_positions: int,
                                seq_len: Tensor) -> Tensor:
    """Dynamic NTK scaling: a larger base once ``seq_len`` passes ``max_positions`` (float32 as transformers)."""
    seq_len = torch.maximum(seq_len, torch.tensor(max_positions, dtype=seq_len.dtype, device=seq_len.device))
    factor = parameters["factor"]
    base = parameters["rope_theta"] * ((factor * seq_len / max_positions) - (factor - 1)) ** (head_dim / (head_dim - 2))
    return 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).to(seq_len.device).float() / head_dim))


def initial_inverse_frequencies(config: Qwen2Config) -> Tensor:
    parameters, head_dim = config.rope_parameters, config.head_dim
    if parameters["rope_type"] == "llama3":
        return llama3_inverse_frequencies(parameters, head_dim)
    inv_freq = default_inverse_frequencies(parameters["rope_theta"], head_dim)
    return inv_freq / parameters["factor"] if parameters["rope_type"] == "linear" else inv_freq


class Qwen2RotaryEmbedding(nn.Module):
    """The cosines and sines of each position's rotation angles. The inverse frequencies are computed on the
    first forward (not a buffer: the loader builds models on the meta device) and kept as a plain attribute;
    ``dynamic`` scaling recomputes them as positions grow, keeping transformers' state."""

    def __init__(self, config: Qwen2Config) -> None:
        super().__init__()
        self.config = config
        self.rope_type = config.rope_parameters["rope_type"]
        self.original_max_seq_len = self.max_seq_len_cached = config.max_position_embeddings
        self.inv_freq: Tensor | None = None
        self.original_inv_freq: Tensor | None = None

    def inverse_frequencies(self, position_ids: Tensor) -> Tensor:
        if self.original_inv_freq is None:
            self.original_inv_freq = initial_inverse_frequencies(self.config)
            self.inv_freq = self.original_inv_freq
        if self.rope_type == "dynamic":
            self.dynamic_update(position_ids)
        return self.inv_freq.to(position_ids.device)

    def dynamic_update(self, position_ids: Tensor) -> None:
        """Grow the base past the longest sequence seen; back to the original below the original length."""
        seq_len = torch.max(position_ids) + 1
        if seq_len > self.max_seq_len_cached:
            self.inv_freq = dynamic_inverse_frequencies(self.config.rope_parameters, self.config.head_dim,
                                                        self.config.max_position_embeddings, seq_len)
            self.max_seq_len_cached = seq_len
        elif seq_len < self.original_max_seq_len < self.max_seq_len_cached:
            self.inv_freq = self.original_inv_freq
            self.max_seq_len_cached = self.original_max_seq_len

    def forward(self, x: Tensor, position_ids: Tensor) -> tuple[Tensor, Tensor]:
        freqs = position_ids[..., None].float() * self.inverse_frequencies(position_ids).float()
        angles = torch.cat((freqs, freqs), dim=-1)
        return angles.cos().to(x.dtype), angles.sin().to(x.dtype)


def rotate_half(x: Tensor) -> Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary_pos_emb(q: Tensor, k: Tensor, cos: Tensor, sin: Tensor) -> tuple[Tensor, Tensor]:
    """Rotate queries and keys [batch, heads, tokens, head_dim] by their positions' angles."""
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


class Qwen2MLP(nn.Module):
    """SwiGLU: down(act(gate(x)) * up(x))."""

    def __init__(self, config: Qwen2Config) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)
        self.act_fn = activation(config.hidden_act)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


def repeat_kv(states: Tensor, groups: int) -> Tensor:
    """[batch, kv_heads, tokens, head_dim] -> [batch, kv_heads * groups, tokens, head_dim], each key-value
    head repeated for the query heads of its group."""
    if groups == 1:
        return states
    batch, kv_heads, length, head_dim = states.shape
    return states[:, :, None].expand(batch, kv_heads, groups, length, head_dim).reshape(
        batch, kv_heads * groups, length, head_dim)


class Qwen2Attention(nn.Module):
    """Grouped-query self-attention with rotary positions (biased query, key and value projections);
    appends its keys and values to the cache."""

    def __init__(self, config: Qwen2Config, layer_idx: int) -> None:
        super().__init__()
        self.layer_idx = layer_idx
        self.head_dim = config.head_dim
        self.num_key_value_groups = config.num_attention_heads // config.num_key_value_heads
        self.attention_dropout = config.attention_dropout
        self.q_proj = nn.Linear(config.hidden_size, config.num_attention_heads * self.head_dim, bias=True)
        self.k_proj = nn.Linear(config.hidden_size, config.num_key_value_heads * self.head_dim, bias=True)
        self.v_proj = nn.Linear(config.hidden_size, config.num_key_value_heads * self.head_dim, bias=True)
        self.o_proj = nn.Linear(config.num_attention_heads * self.head_dim, config.hidden_size, bias=False)

    def forward(self, hidden_states: Tensor, position_embeddings: tuple[Tensor, Tensor], masks: AttentionMasks,
                cache: DynamicCache | None, output_attentions: bool) -> tuple[Tensor, Tensor | None]:
        shape = (*hidden_states.shape[:-1], -1, self.head_dim)
        query = self.q_proj(hidden_states).view(shape).transpose(1, 2)
        key = self.k_proj(hidden_states).view(shape).transpose(1, 2)
        value = self.v_proj(hidden_states).view(shape).transpose(1, 2)
        query, key = apply_rotary_pos_emb(query, key, *position_embeddings)
        if cache is not None:
            key, value = cache.update(key, value, self.layer_idx)
        mask = masks.additive if output_attentions else masks.allowed
        mask = mask[..., -key.shape[-2]:]  # a sliding-window layer's cache holds only the last positions
        context, weights = attention(
            query, repeat_kv(key, self.num_key_value_groups), repeat_kv(value, self.num_key_value_groups), mask,
            dropout=self.attention_dropout if self.training else 0.0,
            output_attentions=output_attentions,
        )
        return self.o_proj(context.transpose(1, 2).reshape(*hidden_states.shape[:-1], -1)), weights


class Qwen2DecoderLayer(nn.Module):
    """Pre-norm: x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: Qwen2Config, layer_idx: int) -> None:
        super().__init__()
        self.self_attn = Qwen2Attention(config, layer_idx)
        self.mlp = Qwen2MLP(config)
        self.input_layernorm = Qwen2RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.post_attention_layernorm = Qwen2RMSNorm(config.hidden_size, eps=config.rms_norm_eps)

    def forward(self, hidden_states: Tensor, position_embeddings: tuple[Tensor, Tensor], masks: AttentionMasks,
                cache: DynamicCache | None, output_attentions: bool) -> tuple[Tensor, Tensor | None]:
        attended, weights = self.self_attn(self.input_layernorm(hidden_states), position_embeddings, masks, cache,
                                           output_attentions)
        hidden_states = hidden_states + attended
        return hidden_states + self.mlp(self.post_attention_layernorm(hidden_states)), weights


# --- masks and positions (as transformers' masking_utils for a DynamicCache) ---------------------------------------


class AttentionMasks:
    """One causal mask in the two forms attention takes: ``allowed`` (True: attend) for PyTorch's fused kernel,
    ``additive`` (0 / the dtype's minimum) for the eager computation that returns the weights."""

    def __init__(self, allowed: Tensor, dtype: torch.dtype) -> None:
        self.allowed = allowed
        self.dtype = dtype

    @functools.cached_property
    def additive(self) -> Tensor:  # made only when the weights are asked for (not at every generation step)
        return torch.where(self.allowed, torch.zeros((), dtype=self.dtype, device=self.allowed.device),
                           torch.finfo(self.dtype).min)


def packed_sequences(position_ids: Tensor) -> Tensor | None:
    """Several sequences in one row (positions restart): each token's sequence number, or None for one."""
    steps = torch.diff(position_ids, prepend=position_ids[:, :1] - 1, dim=-1)
    numbers = (steps != 1).cumsum(-1)
    return None if bool((numbers[:, -1] == 0).all()) else numbers


def causal_mask(attention_mask: Tensor | None, embeds: Tensor, past: int, position_ids: Tensor,
                cache: DynamicCache | None, sliding_window: int | None = None) -> Tensor:
    """[batch, 1, queries, keys] of True where a query may attend: keys up to its own position (and, with a
    sliding window, fewer than ``sliding_window`` back), never padding; packed sequences (positions that
    restart, no mask and no cache) apart."""
    batch, length = embeds.shape[:2]
    keys = past + length
    if attention_mask is not None and (attention_mask.dim() != 2 or attention_mask.shape[-1] != keys):
        raise errors.ModelInputError(
            f"attention_mask must be [batch, {keys}] (the cached {past} positions and the {length} new ones) of "
            f"1 (attend) and 0 (padding), got shape {list(attention_mask.shape)}."
        )
    packed = packed_sequences(position_ids.expand(batch, -1)) if attention_mask is None and cache is None else None
    if packed is None:
        query_pos = (torch.arange(length, device=embeds.device) + past)[None, None, :, None]
        key_pos = torch.arange(keys, device=embeds.device)[None, None, None, :]
    else:  # positions, not indices, order each packed sequence
        positions = position_ids.expand(batch, -1)
        query_pos, key_pos = positions[:, None, :, None], positions[:, None, None, :]
    allowed = key_pos <= query_pos
    if sliding_window is not None:
        allowed = allowed & (key_pos > query_pos - sliding_window)
    if packed is not None:
        allowed = allowed & (packed[:, None, :, None] == packed[:, None, None, :])
    if attention_mask is not None:
        allowed = allowed & attention_mask.to(device=embeds.device, dtype=torch.bool)[:, None, None, :]
    allowed = allowed.expand(batch, 1, length, keys)
    return allowed


def chosen_cache(cache: DynamicCache | None, past_key_values: DynamicCache | None) -> DynamicCache | None:
    """``cache`` (transformers v5's name) or ``past_key_values`` (v4's), not both."""
    if cache is not None and past_key_values is not None:
        raise errors.ModelInputError("Pass the key-value cache as cache or as past_key_values, not both.")
    return past_key_values if cache is None else cache


# --- the base model --------------------------------------------------------------------------------------------


class Qwen2PreTrainedModel(PreTrainedModel):
    config_class = Qwen2Config
    base_model_prefix = "model"
    # older checkpoints saved each layer's rotary frequencies (transformers drops them too)
    _keys_to_ignore_on_load_unexpected: ClassVar[tuple[str, ...]] = (r"rotary_emb\.inv_freq$",)

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, Qwen2RMSNorm):
            module.weight.data.fill_(1.0)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.base_model.embed_tokens

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.base_model.embed_tokens = embeddings


class Qwen2Model(Qwen2PreTrainedModel):
    """Token embeddings, the decoder layers (full or sliding-window attention, by ``layer_types``) and a final
    RMSNorm; the rotary embeddings shared by the layers."""

    def __init__(self, config: Qwen2Config) -> None:
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.layers = nn.ModuleList([Qwen2DecoderLayer(config, index) for index in range(config.num_hidden_layers)])
        self.norm = Qwen2RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.rotary_emb = Qwen2RotaryEmbedding(config)
        self.post_init()

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        position_ids: Tensor | None = None,
        cache: DynamicCache | None = None,
        inputs_embeds: Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        past_key_values: DynamicCache | None = None,
    ) -> BaseModelOutputWithPast | tuple[Any, ...]:
        """``cache``: a :class:`DynamicCache` from an earlier call (the new tokens continue it), or one is made
        when ``use_cache`` (default: the config's). Positions continue the cache's, 0, 1, 2... in every row
        unless ``position_ids`` are given (left padding shifts nothing, as in transformers' forward)."""
        output_attentions, output_hidden_states, return_dict = self.flags(
            output_attentions, output_hidden_states, return_dict
        )
        check_one_input(input_ids, inputs_embeds)
        cache = chosen_cache(cache, past_key_values)
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)
        use_cache = self.config.use_cache if use_cache is None else use_cache
        if use_cache and cache is None:
            cache = DynamicCache(config=self.config)
        past = 0 if cache is None else cache.get_seq_length()
        if position_ids is None:
            position_ids = (torch.arange(inputs_embeds.shape[1], device=inputs_embeds.device) + past)[None]
        windows = {"full_attention": None, "sliding_attention": self.config.sliding_window}
        masks = {kind: AttentionMasks(causal_mask(attention_mask, inputs_embeds, past, position_ids, cache, window),
                                      inputs_embeds.dtype)
                 for kind, window in windows.items() if kind in self.config.layer_types}
        position_embeddings = self.rotary_emb(inputs_embeds, position_ids)
        hidden_states = inputs_embeds
        all_hidden_states, all_attentions = [], []
        for layer, kind in zip(self.layers, self.config.layer_types):
            all_hidden_states.append(hidden_states)
            hidden_states, weights = layer(hidden_states, position_embeddings, masks[kind], cache, output_attentions)
            all_attentions.append(weights)
        hidden_states = self.norm(hidden_states)
        output = BaseModelOutputWithPast(
            last_hidden_state=hidden_states,
            cache=cache if use_cache else None,  # unlike Llama, a cache passed with use_cache=False is not returned
            hidden_states=(*all_hidden_states, hidden_states) if output_hidden_states else None,
            attentions=tuple(all_attentions) if output_attentions else None,
        )
        return self.finish(output, return_dict)


# --- heads ------------------------------------------------------------------------------------------------------


def causal_lm_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Each position predicts the next token: labels shifted left by one, -100 ignored (as transformers)."""
    shifted = F.pad(labels, (0, 1), value=-100)[..., 1:].reshape(-1).to(logits.device)
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), shifted, ignore_index=-100)


def kept_positions(hidden_states: Tensor, logits_to_keep: int | Tensor) -> Tensor:
    """The positions to score: the last ``logits_to_keep`` (0: all), or those a tensor of indices names."""
    if isinstance(logits_to_keep, int):
        return hidden_states[:, -logits_to_keep:] if logits_to_keep else hidden_states
    return hidden_states[:, logits_to_keep]


class Qwen2ForCausalLM(Qwen2PreTrainedModel, GenerationMixin):
    """Next-token scores over the vocabulary; ``lm_head`` is the token embeddings when
    ``tie_word_embeddings``."""

    _tied_weights_keys: ClassVar[dict[str, str]] = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config: Qwen2Config) -> None:
        super().__init__(config)
        self.model = Qwen2Model(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, embeddings: nn.Linear) -> None:
        self.lm_head = embeddings

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        position_ids: Tensor | None = None,
        cache: DynamicCache | None = None,
        inputs_embeds: Tensor | None = None,
        labels: Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        logits_to_keep: int | Tensor = 0,
        past_key_values: DynamicCache | None = None,
    ) -> CausalLMOutputWithPast | tuple[Any, ...]:
        """``labels``: [batch, tokens], usually the input ids (shifted here), -100 where nothing is scored."""
        outputs = self.model(input_ids, attention_mask, position_ids, chosen_cache(cache, past_key_values),
                             inputs_embeds, use_cache, output_attentions, output_hidden_states, return_dict=True)
        logits = self.lm_head(kept_positions(outputs.last_hidden_state, logits_to_keep))
        output = CausalLMOutputWithPast(
            loss=None if labels is None else causal_lm_loss(logits, labels),
            logits=logits,
            cache=outputs.cache,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return self.finish(output, return_dict)


def last_token_logits(config: PretrainedConfig, logits: Tensor, input_ids: Tensor | None) -> Tensor:
    """Each row's scores at its last token that is not padding (either side), as transformers picks it."""
    batch = logits.shape[0]
    if config.pad_token_id is None and batch != 1:
        raise errors.ModelInputError(
            f"pad_token_id is not set, so a batch of {batch} rows has no way to find each row's last token. "
            "Set config.pad_token_id, or classify one row at a time."
        )
    if config.pad_token_id is None or input_ids is None:  # transformers takes the last position then
        last = torch.full((batch,), -1, device=logits.device)
    else:
        not_padding = (input_ids != config.pad_token_id).to(logits.device, torch.int32)
        positions = torch.arange(input_ids.shape[-1], device=logits.device, dtype=torch.int32)
        last = (positions * not_padding).argmax(-1)
    return logits[torch.arange(batch, device=logits.device), last]


class Qwen2ForSequenceClassification(Qwen2PreTrainedModel):
    """Classification or regression from the last real token's final state (a decoder has no [CLS])."""

    def __init__(self, config: Qwen2Config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.model = Qwen2Model(config)
        self.score = nn.Linear(config.hidden_size, config.num_labels, bias=False)
        self.post_init()

    def forward(
        self,
        input_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        position_ids: Tensor | None = None,
        cache: DynamicCache | None = None,
        inputs_embeds: Tensor | None = None,
        labels: Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        past_key_values: DynamicCache | None = None,
    ) -> SequenceClassifierOutputWithPast | tuple[Any, ...]:
        """``labels`` as for BERT's classifier: regression, class ids or multi-label floats."""
        outputs = self.model(input_ids, attention_mask, position_ids, chosen_cache(cache, past_key_values),
                             inputs_embeds, use_cache, output_attentions, output_hidden_states, return_dict=True)
        logits = last_token_logits(self.config, self.score(outputs.last_hidden_state), input_ids)
        output = SequenceClassifierOutputWithPast(
            loss=None if labels is None else sequence_classification_loss(self.config, logits, labels),
            logits=logits,
            cache=outputs.cache,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return self.finish(output, return_dict)
