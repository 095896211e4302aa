"""GPT-2 (Radford et al., 2019): a decoder-only transformer, each block normalising before attention and the MLP
(pre-norm), with learned absolute positions and a key-value cache for generating token by token.

Read top to bottom: the config, the layers from the projections up, the base model, then the task heads.
Parameter names are transformers' checkpoint keys (``h.0.attn.c_attn.weight``; the heads hold the base model as
``transformer``), so OpenAI's checkpoints load without renaming. GPT-2's projections are "Conv1D" layers: linear
layers whose weight is stored ``[in, out]``, the transpose of ``nn.Linear``'s, kept as the checkpoints have it.

As transformers v5, the cache is the ``cache`` argument and output field (``past_key_values`` is its older name,
accepted too), and positions count from the cache's length when no ``position_ids`` are given, whatever the
padding (``generate`` derives them from the attention mask).
"""

from __future__ import annotations

import logging
import math
from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from .. import errors
from ..activations import activation
from ..cache import DynamicCache
from ..configuration import SIZE_LIMITS, PretrainedConfig, check_probability, check_size
from ..generation import GenerationMixin
from ..modeling import (
    PreTrainedModel,
    attention,
    check_one_input,
    sequence_classification_loss,
    span_loss,
    token_classification_loss,
)
from ..outputs import (
    BaseModelOutputWithPastAndCrossAttentions,
    CausalLMOutputWithCrossAttentions,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutputWithPast,
    TokenClassifierOutput,
)

logger = logging.getLogger(__name__)
_warned: set[str] = set()

# --- configuration --------------------------------------------------------------------------------------------


class GPT2Config(PretrainedConfig):
    model_type = "gpt2"
    attribute_map = {
        "hidden_size": "n_embd",
        "max_position_embeddings": "n_positions",
        "num_attention_heads": "n_head",
        "num_hidden_layers": "n_layer",
    }
    defaults = {
        "vocab_size": 50257,
        "n_positions": 1024,
        "n_embd": 768,
        "n_layer": 12,
        "n_head": 12,
        "n_inner": None,  # 4 * n_embd
        "activation_function": "gelu_new",
        "resid_pdrop": 0.1,
        "embd_pdrop": 0.1,
        "attn_pdrop": 0.1,
        "layer_norm_epsilon": 1e-5,
        "initializer_range": 0.02,
        # the summary_* fields serve transformers' GPT2DoubleHeadsModel; kept so configs round-trip
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "summary_activation": None,
        "summary_proj_to_labels": True,
        "summary_first_dropout": 0.1,
        "scale_attn_weights": True,
        "use_cache": True,
        "bos_token_id": 50256,
        "eos_token_id": 50256,
        "pad_token_id": None,
        "scale_attn_by_inverse_layer_idx": False,
        # transformers' eager attention upcasts fp16/bf16 scores to float32 with it; explorer keeps the model's
        # dtype, as transformers' SDPA does (float32 models: the same numbers either way)
        "reorder_and_upcast_attn": False,
        "add_cross_attention": False,
        "tie_word_embeddings": True,
    }
    size_limits = SIZE_LIMITS | {"n_embd": 1 << 16, "n_layer": 1024, "n_head": 1024, "n_positions": 1 << 20}
    head_division = ("n_embd", "n_head")
    boolean_fields: ClassVar[tuple[str, ...]] = (
        "scale_attn_weights", "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "use_cache",
        "add_cross_attention", "tie_word_embeddings",
    )

    def validate(self) -> None:
        super().validate()
        activation(self.activation_function, "activation_function")
        for name in ("resid_pdrop", "embd_pdrop", "attn_pdrop"):
            check_probability(name, getattr(self, name))
        if self.n_inner is not None:
            check_size("n_inner", self.n_inner, SIZE_LIMITS["intermediate_size"])
        for name in self.boolean_fields:
            if not isinstance(getattr(self, name), bool):
                raise errors.ConfigValueError(f"{name} must be true or false, got {getattr(self, name)!r}.")

    @property
    def inner_size(self) -> int:
        return 4 * self.n_embd if self.n_inner is None else self.n_inner


# --- layers, bottom up ----------------------------------------------------------------------------------------


class GPT2Conv1D(nn.Module):
    """A linear layer with its weight stored ``[in_features, out_features]`` (transformers' ``Conv1D``)."""

    def __init__(self, out_features: int, in_features: int, residual: bool = False) -> None:
        super().__init__()
        # values come from _init_weights or the checkpoint: the loader builds this on the meta device
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features))
        self.residual = residual  # writes into the residual stream: initialised smaller (see _init_weights)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        if hidden_states.dim() == 2:  # the model's flat stream: no reshape, one dispatch fewer per projection
            return torch.addmm(self.bias, hidden_states, self.weight)
        flat = torch.addmm(self.bias, hidden_states.reshape(-1, hidden_states.shape[-1]), self.weight)
        return flat.view(*hidden_states.shape[:-1], self.weight.shape[1])


def dropped(dropout: nn.Dropout, hidden_states: torch.Tensor) -> torch.Tensor:
    """``dropout(hidden_states)`` in training; in eval the identity, without the call (a dispatch each)."""
    return dropout(hidden_states) if dropout.training else hidden_states


class GPT2Attention(nn.Module):
    """Causal multi-head self-attention; new keys and values go into the cache, and the queries attend to all
    the cache holds."""

    def __init__(self, config: GPT2Config, layer_idx: int) -> None:
        super().__init__()
        self.embed_dim = config.n_embd
        self.num_heads = config.n_head
        self.head_dim = config.n_embd // config.n_head
        self.layer_idx = layer_idx
        self.scaling = self.head_dim**-0.5 if config.scale_attn_weights else 1.0
        if config.scale_attn_by_inverse_layer_idx:
            self.scaling /= layer_idx + 1
        self.c_attn = GPT2Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = GPT2Conv1D(self.embed_dim, self.embed_dim, residual=True)
        self.attn_dropout = nn.Dropout(config.attn_pdrop)
        self.resid_dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, hidden_states: torch.Tensor, batch: int, mask: torch.Tensor | None,
                cache: DynamicCache | None, output_attentions: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``hidden_states`` is the flat stream, ``[batch * tokens, features]``."""
        # query, key and value, each [batch, heads, tokens, head_dim]: one view and one permute for the three
        projected = self.c_attn(hidden_states).view(batch, -1, 3, self.num_heads, self.head_dim)
        query, key, value = projected.permute(2, 0, 3, 1, 4).unbind(0)
        if cache is not None:
            key, value = cache.update(key, value, self.layer_idx)
        context, weights = attention(query, key, value, mask, dropout=self.attn_dropout.p if self.training else 0.0,
                                     output_attentions=output_attentions, scale=self.scaling)
        context = context.transpose(1, 2).reshape(-1, self.embed_dim)
        return dropped(self.resid_dropout, self.c_proj(context)), weights


class GPT2MLP(nn.Module):
    def __init__(self, config: GPT2Config) -> None:
        super().__init__()
        self.c_fc = GPT2Conv1D(config.inner_size, config.n_embd)
        self.c_proj = GPT2Conv1D(config.n_embd, config.inner_size, residual=True)
        self.act = activation(config.activation_function, "activation_function")
        self.dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return dropped(self.dropout, self.c_proj(self.act(self.c_fc(hidden_states))))


class GPT2Block(nn.Module):
    """Attention then MLP, each on the normalised stream and added back to it (pre-norm). The stream is flat,
    ``[batch * tokens, features]``: the projections are matrix products on it as it is."""

    def __init__(self, config: GPT2Config, layer_idx: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = GPT2Attention(config, layer_idx)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = GPT2MLP(config)

    def forward(self, hidden_states: torch.Tensor, batch: int, mask: torch.Tensor | None,
                cache: DynamicCache | None, output_attentions: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attn(self.ln_1(hidden_states), batch, mask, cache, output_attentions)
        hidden_states = attended + hidden_states
        return hidden_states + self.mlp(self.ln_2(hidden_states)), weights


# --- masks, positions and the cache argument ------------------------------------------------------------------


def cache_argument(cache: Any, past_key_values: Any) -> DynamicCache | None:
    """``cache``, or the same under its older name ``past_key_values``; it must be a cache object."""
    if cache is not None and past_key_values is not None:
        raise errors.ModelInputError("Pass the cache once: as cache= (past_key_values= is its older name).")
    cache = past_key_values if cache is None else cache
    if cache is not None and not (hasattr(cache, "update") and hasattr(cache, "get_seq_length")):
        raise errors.ModelInputError(
            f"cache must be an explorer.cache.DynamicCache (the one a previous call returned), got "
            f"{type(cache).__name__}; tuples of past keys and values are transformers v4's format."
        )
    return cache


def check_positions(position_ids: torch.Tensor, n_positions: int, past: int) -> None:
    """A position beyond the table is a typed error, not an IndexError from inside the embedding."""
    if position_ids.numel() and not 0 <= int(position_ids.min()) <= int(position_ids.max()) < n_positions:
        position_error(int(position_ids.min()), int(position_ids.max()), n_positions, past, position_ids.shape[-1])


def check_position_count(end: int, n_positions: int, past: int) -> None:
    """The same for positions ``past`` to ``end - 1`` (none given: they follow the cache)."""
    if end > n_positions:
        position_error(past, end - 1, n_positions, past, end - past)


def position_error(lowest: int, highest: int, n_positions: int, past: int, new: int) -> None:
    raise errors.ModelInputError(
        f"GPT-2 has position embeddings for n_positions={n_positions} tokens (config.n_positions), but this "
        f"call needs positions {lowest} to {highest} ({past} cached tokens and {new} new). Shorten the prompt to "
        f"at most {n_positions} tokens (e.g. tokenizer(..., truncation=True, max_length={n_positions})), or "
        "generate fewer tokens."
    )


def packed_sequences(position_ids: torch.Tensor) -> torch.Tensor | None:
    """Sequence numbers of packed rows (positions restarting mid-row), or None when each row is one sequence."""
    jumps = torch.diff(position_ids, prepend=position_ids[:, :1] - 1, dim=-1) != 1
    sequences = jumps.cumsum(-1)
    return None if bool((sequences[:, -1] == 0).all()) else sequences


def causal_mask(attention_mask: torch.Tensor | None, position_ids: torch.Tensor | None, batch: int, length: int,
                past: int, packed: bool, device: torch.device) -> torch.Tensor | None:
    """Which keys each query may attend to, ``[batch or 1, 1, queries, keys]`` (True: attend): the cached and
    earlier tokens and itself, never padding, and (``packed``, positions given) only its own sequence. None
    when nothing is hidden (a single new token, no padding). transformers builds the same mask (masking_utils)."""
    keys = past + length
    if attention_mask is not None:
        if attention_mask.dim() != 2 or attention_mask.shape != (batch, keys):
            raise errors.ModelInputError(
                f"attention_mask must have shape [batch, cached + new tokens] = [{batch}, {keys}], got "
                f"{list(attention_mask.shape)}: one column per token the cache holds and per new token."
            )
        if bool(attention_mask.all()):
            attention_mask = None
    if attention_mask is None and length == 1:
        return None
    allowed = torch.arange(keys, device=device)[None, :] <= torch.arange(past, keys, device=device)[:, None]
    allowed = allowed[None, None]
    if attention_mask is not None:
        allowed = allowed & attention_mask.bool()[:, None, None, :]
    sequences = packed_sequences(position_ids.expand(batch, -1)) if packed and position_ids is not None else None
    if sequences is not None:
        allowed = allowed & (sequences[:, None, :, None] == sequences[:, None, None, :])
    return allowed


def mask_for_attention(allowed: torch.Tensor | None, output_attentions: bool,
                       dtype: torch.dtype) -> torch.Tensor | None:
    """The mask as attention() takes it: boolean for PyTorch's fused kernel (a query that may see nothing, a
    left-padding position, gets zeros, as transformers' SDPA), additive for the weights path (it gets uniform
    weights, as transformers' eager attention)."""
    if allowed is None or not output_attentions:
        return allowed
    return torch.where(allowed, torch.zeros((), dtype=dtype, device=allowed.device), torch.finfo(dtype).min)


# --- the base model -------------------------------------------------------------------------------------------


class GPT2PreTrainedModel(PreTrainedModel):
    config_class = GPT2Config
    base_model_prefix = "transformer"
    # buffers of older checkpoints (the causal mask): patterns as transformers'
    _keys_to_ignore_on_load_unexpected: ClassVar[tuple[str, ...]] = ("attn.bias", "crossattention.bias")

    def _init_weights(self, module: nn.Module) -> None:
        """transformers' initialisation; projections into the residual stream get std / sqrt(2 * n_layer)
        (GPT-2 paper: two residual additions per block)."""
        super()._init_weights(module)
        if isinstance(module, GPT2Conv1D):
            std = self.config.initializer_range
            if module.residual:
                std /= math.sqrt(2 * self.config.n_layer)
            module.weight.data.normal_(mean=0.0, std=std)
            module.bias.data.zero_()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.base_model.wte

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.base_model.wte = embeddings

    def _prune(self, heads_to_prune: dict[Any, list[int]]) -> None:
        raise errors.ConfigValueError(
            "pruned_heads: GPT-2's attention heads cannot be pruned in explorer (transformers v5 dropped "
            "pruning). Remove pruned_heads from config.json."
        )


class GPT2Model(GPT2PreTrainedModel):
    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        if config.add_cross_attention:
            raise errors.ConfigValueError(
                "add_cross_attention=True: explorer's GPT-2 has no cross-attention (encoder-decoder use). "
                "Set add_cross_attention to false, or use transformers for this checkpoint."
            )
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.n_positions, config.n_embd)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList(GPT2Block(config, layer_idx) for layer_idx in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.post_init()

    def embed(self, input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor | None,
              position_ids: torch.Tensor | None, token_type_ids: torch.Tensor | None, past: int) -> torch.Tensor:
        """Tokens plus positions (and token types, embedded as tokens: GPT-2 has no type table): the positions
        after the ``past`` cached tokens when none are given, whatever the padding (as transformers' forward)."""
        if inputs_embeds is None:
            inputs_embeds = self.wte(input_ids)
        if position_ids is None:  # the rows of the table in order: a slice, checked without a tensor operation
            length = inputs_embeds.shape[1]
            check_position_count(past + length, self.config.n_positions, past)
            positions = self.wpe.weight[past:past + length]
        else:
            check_positions(position_ids, self.config.n_positions, past)
            positions = self.wpe(position_ids)
        hidden_states = inputs_embeds + positions
        if token_type_ids is not None:
            hidden_states = hidden_states + self.wte(token_type_ids)
        return dropped(self.drop, hidden_states)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        cache: DynamicCache | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        past_key_values: DynamicCache | None = None,
    ) -> BaseModelOutputWithPastAndCrossAttentions | tuple[Any, ...]:
        output_attentions, output_hidden_states, return_dict = self.flags(
            output_attentions, output_hidden_states, return_dict
        )
        check_one_input(input_ids, inputs_embeds)
        cache = cache_argument(cache, past_key_values)
        use_cache = self.config.use_cache if use_cache is None else use_cache
        if use_cache and cache is None:
            cache = DynamicCache(config=self.config)
        past = 0 if cache is None else cache.get_seq_length()
        hidden_states = self.embed(input_ids, inputs_embeds, position_ids, token_type_ids, past)
        batch, length, width = hidden_states.shape
        allowed = causal_mask(attention_mask, position_ids, batch, length, past,
                              packed=attention_mask is None and cache is None, device=hidden_states.device)
        mask = mask_for_attention(allowed, output_attentions, hidden_states.dtype)

        all_hidden_states: tuple[torch.Tensor, ...] | None = () if output_hidden_states else None
        all_attentions: tuple[torch.Tensor, ...] | None = () if output_attentions else None
        hidden_states = hidden_states.reshape(batch * length, width)  # flat through the blocks (see GPT2Block)
        for block in self.h:
            if all_hidden_states is not None:
                all_hidden_states += (hidden_states.view(batch, length, width),)
            hidden_states, weights = block(hidden_states, batch, mask, cache, output_attentions)
            if all_attentions is not None:
                all_attentions += (weights,)
        hidden_states = self.ln_f(hidden_states).view(batch, length, width)
        if all_hidden_states is not None:  # the last one after the final norm, as transformers
            all_hidden_states += (hidden_states,)
        output = BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden_states, cache=cache if use_cache else None, hidden_states=all_hidden_states,
            attentions=all_attentions, cross_attentions=() if output_attentions else None,  # none: no cross-attention
        )
        return self.finish(output, return_dict)


# --- task heads -----------------------------------------------------------------------------------------------


def causal_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Each position predicts the next token: the labels shifted left by one (the last position predicts
    nothing); label -100 is ignored. As transformers' ``ForCausalLMLoss``, in float32."""
    shifted = F.pad(labels, (0, 1), value=-100)[..., 1:].to(logits.device)
    return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), shifted.reshape(-1), ignore_index=-100)


def keep_logits(hidden_states: torch.Tensor, logits_to_keep: int | torch.Tensor) -> torch.Tensor:
    """The positions whose logits are wanted: the last ``logits_to_keep`` (0: all), or those a tensor lists."""
    if isinstance(logits_to_keep, int):
        return hidden_states[:, -logits_to_keep:, :]
    return hidden_states[:, logits_to_keep, :]


class GPT2LMHeadModel(GPT2PreTrainedModel, GenerationMixin):
    """The next token's scores at every position; the projection is the token embeddings (tied)."""

    _tied_weights_keys: ClassVar[dict[str, str]] = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, embeddings: nn.Linear) -> None:
        self.lm_head = embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        cache: DynamicCache | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        labels: torch.Tensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        past_key_values: DynamicCache | None = None,
    ) -> CausalLMOutputWithCrossAttentions | tuple[Any, ...]:
        decoded = self.transformer(input_ids, cache, attention_mask, token_type_ids, position_ids, inputs_embeds,
                                   use_cache=use_cache, output_attentions=output_attentions,
                                   output_hidden_states=output_hidden_states, return_dict=True,
                                   past_key_values=past_key_values)
        logits = self.lm_head(keep_logits(decoded.last_hidden_state, logits_to_keep))
        loss = None if labels is None else causal_lm_loss(logits, labels)
        output = CausalLMOutputWithCrossAttentions(loss=loss, logits=logits, cache=decoded.cache,
                                                   hidden_states=decoded.hidden_states, attentions=decoded.attentions,
                                                   cross_attentions=decoded.cross_attentions)
        return self.finish(output, return_dict)


def last_token_index(config: GPT2Config, input_ids: torch.Tensor | None, batch: int, model: str) -> Any:
    """Where each row's last real token is: the rightmost that is not ``pad_token_id`` (left or right padding
    alike), or the last position when nothing tells padding apart (as transformers)."""
    if config.pad_token_id is None:
        if batch != 1:
            raise errors.ModelInputError(
                f"{model} classifies each row's last token and needs config.pad_token_id to find it in a batch "
                f"of {batch}: set pad_token_id (e.g. to the tokenizer's), or pass one row at a time."
            )
        return -1
    if input_ids is None:
        errors.warn_once(logger, f"{model} cannot find padding in inputs_embeds: each row's last position is "
                         "classified, padding or not.", _warned)
        return -1
    positions = torch.arange(input_ids.shape[-1], device=input_ids.device, dtype=torch.int32)
    return (positions * (input_ids != config.pad_token_id).to(torch.int32)).argmax(-1)


class GPT2ForSequenceClassification(GPT2PreTrainedModel):
    """A classifier (or regressor) on each row's last real token (a decoder's summary of the whole text)."""

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.score = nn.Linear(config.n_embd, config.num_labels, bias=False)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        cache: DynamicCache | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        labels: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        past_key_values: DynamicCache | None = None,
    ) -> SequenceClassifierOutputWithPast | tuple[Any, ...]:
        decoded = self.transformer(input_ids, cache, attention_mask, token_type_ids, position_ids, inputs_embeds,
                                   use_cache=use_cache, output_attentions=output_attentions,
                                   output_hidden_states=output_hidden_states, return_dict=True,
                                   past_key_values=past_key_values)
        logits = self.score(decoded.last_hidden_state)
        batch = logits.shape[0]
        last = last_token_index(self.config, input_ids, batch, type(self).__name__)
        pooled = logits[torch.arange(batch, device=logits.device), last]
        loss = None if labels is None else sequence_classification_loss(self.config, pooled, labels)
        output = SequenceClassifierOutputWithPast(loss=loss, logits=pooled, cache=decoded.cache,
                                                  hidden_states=decoded.hidden_states, attentions=decoded.attentions)
        return self.finish(output, return_dict)


def classifier_dropout(config: GPT2Config) -> float:
    """The token classifier's dropout: ``classifier_dropout``, else ``hidden_dropout``, else 0.1 (as
    transformers; GPT-2's own configs have neither field)."""
    for name in ("classifier_dropout", "hidden_dropout"):
        if getattr(config, name, None) is not None:
            return getattr(config, name)
    return 0.1


class GPT2ForTokenClassification(GPT2PreTrainedModel):
    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.dropout = nn.Dropout(classifier_dropout(config))
        self.classifier = nn.Linear(config.n_embd, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        cache: DynamicCache | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        labels: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        past_key_values: DynamicCache | None = None,
    ) -> TokenClassifierOutput | tuple[Any, ...]:
        decoded = self.transformer(input_ids, cache, attention_mask, token_type_ids, position_ids, inputs_embeds,
                                   use_cache=use_cache, output_attentions=output_attentions,
                                   output_hidden_states=output_hidden_states, return_dict=True,
                                   past_key_values=past_key_values)
        logits = self.classifier(self.dropout(decoded.last_hidden_state))
        loss = None if labels is None else token_classification_loss(logits, labels)
        output = TokenClassifierOutput(loss=loss, logits=logits, hidden_states=decoded.hidden_states,
                                       attentions=decoded.attentions)
        return self.finish(output, return_dict)


class GPT2ForQuestionAnswering(GPT2PreTrainedModel):
    """Extractive question answering: a start and an end score per token."""

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.qa_outputs = nn.Linear(config.n_embd, 2)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        *,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> QuestionAnsweringModelOutput | tuple[Any, ...]:
        decoded = self.transformer(input_ids, None, attention_mask, token_type_ids, position_ids, inputs_embeds,
                                   output_attentions=output_attentions,
                                   output_hidden_states=output_hidden_states, return_dict=True)
        logits = self.qa_outputs(decoded.last_hidden_state)
        start_logits, end_logits = (scores.squeeze(-1).contiguous() for scores in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        output = QuestionAnsweringModelOutput(loss=loss, start_logits=start_logits, end_logits=end_logits,
                                              hidden_states=decoded.hidden_states, attentions=decoded.attentions)
        return self.finish(output, return_dict)
