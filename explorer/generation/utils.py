"""``GenerationMixin.generate``: greedy decoding and sampling for causal language models, as transformers'
``generate`` does them, step for step.

A model that mixes it in follows transformers' forward contract: it takes ``input_ids``, ``attention_mask``,
``position_ids``, its key-value cache (``cache``, transformers v5's name, or ``past_key_values``), ``use_cache`` and
``return_dict``, and returns an output with ``logits`` and the cache under the same name. It has ``config`` (the
model's) and ``generation_config`` (its defaults for generating, see :mod:`.configuration`).

One call: the settings are merged (the call's keywords over the ``generation_config`` passed over the model's over
:data:`~.configuration.GLOBAL_DEFAULTS`); the prompt's attention mask and position ids are prepared (left padding:
positions count only real tokens); each prompt is repeated ``num_return_sequences`` times; then the loop runs the
model on the prompt once and on each new token after that (the cache holds the rest), turns the last position's
logits into scores through the processors, picks a token (argmax, or a sample of the softmax), pads rows that
have finished and stops when every row has.
"""

from __future__ import annotations

import copy
import functools
import inspect
import logging
from dataclasses import dataclass
from typing import Any

import torch
from torch.nn import functional as F

from .. import errors
from ..outputs import ModelOutput
from .configuration import GLOBAL_DEFAULTS, GenerationConfig
from .logits_process import (
    LogitsProcessorList,
    MinLengthLogitsProcessor,
    MinNewTokensLengthLogitsProcessor,
    MinPLogitsWarper,
    NoRepeatNGramLogitsProcessor,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)
from .stopping_criteria import EosTokenCriteria
from .streamers import BaseStreamer

logger = logging.getLogger(__name__)

CACHE_ARGUMENTS = ("cache", "past_key_values")  # transformers v5's name of the forward's cache, then the older one
MODEL_KWARGS = ("input_ids", "attention_mask", "position_ids")  # the model inputs generate takes
POSITION_FIELDS = ("n_positions", "max_position_embeddings")  # GPT-2's name, then everyone else's

Tensors = tuple[torch.Tensor, ...]


@dataclass
class GenerateDecoderOnlyOutput(ModelOutput):
    """transformers' output of ``generate(..., return_dict_in_generate=True)`` for decoder-only models: one
    entry per new token in ``scores`` (processed), ``logits`` (raw), ``attentions`` and ``hidden_states`` (each a
    tuple over the layers), when asked for; ``cache`` is the key-value cache at the end."""

    sequences: torch.LongTensor | None = None
    scores: Tensors | None = None
    logits: Tensors | None = None
    attentions: tuple[Tensors, ...] | None = None
    hidden_states: tuple[Tensors, ...] | None = None
    cache: Any = None


class GenerationMixin:
    """``generate`` and ``compute_transition_scores`` for a causal LM head (see the module's docstring for what
    the model must provide). Mix it in after the model's base: ``class GPT2LMHeadModel(GPT2PreTrainedModel,
    GenerationMixin)``."""

    @torch.no_grad()
    def generate(self, inputs: torch.Tensor | None = None, generation_config: GenerationConfig | None = None,
                 streamer: BaseStreamer | None = None, **kwargs: Any) -> torch.LongTensor | GenerateDecoderOnlyOutput:
        """Continue ``inputs`` (``[batch, length]`` token ids, left-padded with ``attention_mask`` for a batch of
        prompts of different lengths). Returns the sequences, prompt included, or, with
        ``return_dict_in_generate=True``, a :class:`GenerateDecoderOnlyOutput`."""
        default_max_length = all(source is None for source in (
            kwargs.get("max_length"), getattr(generation_config, "max_length", None),
            self.generation_config.max_length))
        config, model_kwargs = self.merged_generation_config(generation_config, kwargs)
        input_ids = prompt_ids(inputs, model_kwargs.pop("input_ids", None), config.bos_token_id, self.device)
        eos, pad = special_tokens(config, input_ids.device)
        model_kwargs = self.prompt_kwargs(input_ids, model_kwargs, config, pad, eos)
        repeats = config.num_return_sequences
        input_ids = input_ids.repeat_interleave(repeats, dim=0)
        model_kwargs = {name: value if value is None else value.repeat_interleave(repeats, dim=0)
                        for name, value in model_kwargs.items()}
        if streamer is not None:
            streamer.put(input_ids.cpu())
        self.set_generated_length(config, input_ids.shape[1], default_max_length)
        processors = logits_processors(config, input_ids.shape[1], model_kwargs["attention_mask"], eos)
        end = None if eos is None else EosTokenCriteria(eos)
        model_kwargs.update(self.forward_options(config))
        with torch.inference_mode():  # no autograd bookkeeping: each of the loop's operations dispatches faster
            generated = self.sample(input_ids, processors, end, config, pad, streamer, model_kwargs)
        return outside_inference_mode(generated)

    # --- settings ------------------------------------------------------------------------------------------

    def merged_generation_config(self, generation_config: GenerationConfig | None,
                                 kwargs: dict[str, Any]) -> tuple[GenerationConfig, dict[str, Any]]:
        """The settings of this call (the keywords over ``generation_config`` over the model's over the global
        defaults) and the keywords that are model inputs. Other keywords, and settings generate does not
        implement, are errors naming them."""
        config = copy.deepcopy(generation_config) if generation_config is not None else GenerationConfig()
        config.update(defaults_only=True, **self.generation_config.to_dict())
        config.update(defaults_only=True, **GLOBAL_DEFAULTS)
        model_kwargs = config.update(**kwargs)
        unknown = sorted(set(model_kwargs) - set(MODEL_KWARGS))
        if unknown:
            raise errors.UnexpectedArgumentError(
                f"generate got {', '.join(unknown)}, which are neither GenerationConfig fields nor the model inputs "
                f"generate takes ({', '.join(MODEL_KWARGS)}). Check the spelling."
            )
        unsupported = config.unsupported()
        if unsupported:
            raise errors.UnsupportedGenerationError(
                f"explorer's generate does greedy decoding and sampling only; it does not implement "
                f"{', '.join(unsupported)}. Unset them (in the call or the model's generation_config)."
            )
        return config, model_kwargs

    def forward_parameters(self) -> frozenset[str]:
        return parameter_names(type(self).forward)

    def cache_argument(self) -> str | None:
        """The name under which the forward takes and returns its key-value cache, if it has one."""
        return next((name for name in CACHE_ARGUMENTS if name in self.forward_parameters()), None)

    def forward_options(self, config: GenerationConfig) -> dict[str, Any]:
        """The keywords every forward of the loop gets besides the inputs."""
        parameters = self.forward_parameters()
        options: dict[str, Any] = {}
        if "use_cache" in parameters:
            options["use_cache"] = bool(config.use_cache) and self.cache_argument() is not None
        if "logits_to_keep" in parameters:
            options["logits_to_keep"] = 1  # only the last position's logits are read
        options.update({flag: True for flag in ("output_attentions", "output_hidden_states") if getattr(config, flag)})
        return options

    # --- the prompt ----------------------------------------------------------------------------------------

    def prompt_kwargs(self, input_ids: torch.Tensor, model_kwargs: dict[str, Any], config: GenerationConfig,
                      pad: torch.Tensor | None, eos: torch.Tensor | None) -> dict[str, torch.Tensor | None]:
        """The prompt's attention mask (given, or inferred from padding) and position ids (given, or counted
        over the real tokens only, so a left-padded row starts at 0), as transformers prepares them. A mask of
        ones is dropped, as transformers does (the model then needs none), and so are the positions counted
        from it: 0, 1, 2... after the cache are what the model counts itself, without tensors to carry along."""
        parameters = self.forward_parameters()
        mask = model_kwargs.get("attention_mask")
        if mask is None and "attention_mask" in parameters:
            mask = inferred_attention_mask(input_ids, pad, eos)
        warn_if_right_padded(input_ids, mask, pad)
        if mask is not None and bool((mask == 1).all()):
            mask = None
        positions = model_kwargs.get("position_ids")
        if positions is None and mask is not None and "position_ids" in parameters:
            positions = (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 0)
        return {"attention_mask": mask, "position_ids": positions}

    def set_generated_length(self, config: GenerationConfig, prompt_length: int, default_max_length: bool) -> None:
        """``max_length`` and ``min_length`` counted with the prompt, as transformers sets them; a length the
        model cannot reach is a :class:`errors.GenerationInputError` saying what to change."""
        field, positions = model_positions(self.config)
        if config.max_new_tokens is not None:
            config.max_length = config.max_new_tokens + prompt_length
        elif default_max_length:  # 20 new tokens, within the model's positions
            config.max_length += prompt_length
            if positions is not None:
                config.max_length = min(config.max_length, positions)
        if config.min_new_tokens is not None:
            config.min_length = config.min_new_tokens + prompt_length
        name = type(self).__name__
        if positions is not None and prompt_length >= positions:
            raise errors.GenerationInputError(
                f"The prompt has {prompt_length} tokens, but {name} has {field}={positions} positions: no room for a "
                f"new token. Shorten the prompt to at most {positions - 1} tokens."
            )
        asked = (f"max_new_tokens={config.max_new_tokens}" if config.max_new_tokens is not None
                 else f"max_length={config.max_length}")
        if prompt_length >= config.max_length:
            raise errors.GenerationInputError(
                f"The prompt has {prompt_length} tokens and {asked} (counting the prompt) leaves no new token. "
                "Set max_new_tokens, the count of new tokens, instead."
            )
        if positions is not None and config.max_length > positions:
            raise errors.GenerationInputError(
                f"The prompt ({prompt_length} tokens) and {asked} make {config.max_length} tokens, more than "
                f"{name}'s {field}={positions} positions. Ask for at most max_new_tokens={positions - prompt_length}, "
                "or shorten the prompt."
            )

    # --- the loop ------------------------------------------------------------------------------------------

    def prepare_inputs_for_generation(self, input_ids: torch.LongTensor, next_sequence_length: int | None = None,
                                      cache: Any = None, attention_mask: torch.Tensor | None = None,
                                      position_ids: torch.Tensor | None = None, **kwargs: Any) -> dict[str, Any]:
        """The forward's keywords for one step: the last ``next_sequence_length`` ids (all of them without a
        cache), their position ids, the whole attention mask and the cache (as transformers)."""
        if next_sequence_length is not None:
            input_ids = input_ids[:, -next_sequence_length:]
        inputs: dict[str, Any] = {"input_ids": input_ids}
        if cache is not None:
            inputs[self.cache_argument()] = cache
        if position_ids is not None:
            positions = position_ids[..., -input_ids.shape[1]:]
            inputs["position_ids"] = positions.clone(memory_format=torch.contiguous_format)
        if attention_mask is not None:
            inputs["attention_mask"] = attention_mask
        return {**inputs, **kwargs}

    def sample(self, input_ids: torch.LongTensor, processors: LogitsProcessorList, end: EosTokenCriteria | None,
               config: GenerationConfig, pad: torch.Tensor | None, streamer: BaseStreamer | None,
               model_kwargs: dict[str, Any]) -> torch.LongTensor | GenerateDecoderOnlyOutput:
        """transformers' ``_sample``: one forward per new token until ``config.max_length`` tokens or, with an
        end-of-sequence criterion ``end``, until every row has ended; ``pad`` fills the rows that ended while
        others go on. The length is counted in Python: without ``end`` a step reads nothing back from torch."""
        record = Record(config)
        unfinished = torch.ones(input_ids.shape[0], dtype=torch.long, device=input_ids.device)
        outputs = self(**self.prepare_inputs_for_generation(input_ids, **model_kwargs), return_dict=True)
        while True:
            model_kwargs = self.update_model_kwargs_for_generation(outputs, model_kwargs)
            logits = outputs.logits[:, -1].to(copy=True, dtype=torch.float32, device=input_ids.device)
            scores = processors(input_ids, logits)
            record.add(scores, logits, outputs)
            if config.do_sample:
                next_tokens = torch.multinomial(F.softmax(scores, dim=-1), num_samples=1).squeeze(1)
            else:
                next_tokens = torch.argmax(scores, dim=-1)
            if end is not None:
                next_tokens = next_tokens * unfinished + pad * (1 - unfinished)
            input_ids = torch.cat([input_ids, next_tokens[:, None]], dim=-1)
            if streamer is not None:
                streamer.put(next_tokens.cpu())
            if input_ids.shape[1] >= config.max_length:
                break
            if end is not None:
                unfinished = unfinished & ~end(input_ids, record.scores)
                if unfinished.max() == 0:
                    break
            step = 1 if model_kwargs.get("cache") is not None else None
            outputs = self(**self.prepare_inputs_for_generation(input_ids, step, **model_kwargs), return_dict=True)
        if streamer is not None:
            streamer.end()
        return record.output(input_ids, model_kwargs.get("cache")) if config.return_dict_in_generate else input_ids

    def update_model_kwargs_for_generation(self, outputs: Any, model_kwargs: dict[str, Any]) -> dict[str, Any]:
        """After a step: the cache the model returned, one more position id, one more attended position."""
        updated = dict(model_kwargs)
        name = self.cache_argument()
        if name is not None and outputs.get(name) is not None:
            updated["cache"] = outputs[name]
        positions = updated.get("position_ids")
        if positions is not None:
            updated["position_ids"] = torch.cat([positions, positions[..., -1:] + 1], dim=-1)
        mask = updated.get("attention_mask")
        if mask is not None:
            updated["attention_mask"] = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=-1)
        return updated

    # --- scores ----------------------------------------------------------------------------------------------

    def compute_transition_scores(self, sequences: torch.Tensor, scores: Tensors,
                                  beam_indices: torch.Tensor | None = None,
                                  normalize_logits: bool = False) -> torch.Tensor:
        """The score of each generated token at its step, ``[batch, new tokens]`` (log-probabilities with
        ``normalize_logits=True``); a finished row's padding gets the pad token's score, as in transformers."""
        if beam_indices is not None:
            raise errors.UnsupportedGenerationError(
                "beam_indices come from beam search, which explorer's generate does not implement. Pass "
                "sequences and scores only."
            )
        stacked = torch.stack(scores, dim=-1)  # [batch, vocab, steps]
        if normalize_logits:
            stacked = F.log_softmax(stacked, dim=1)
        generated = sequences[:, sequences.shape[-1] - len(scores):]
        return stacked.gather(1, generated[:, None, :]).squeeze(1)


class Record:
    """What ``return_dict_in_generate`` returns besides the sequences, gathered step by step as asked for."""

    def __init__(self, config: GenerationConfig) -> None:
        wanted = bool(config.return_dict_in_generate)
        self.scores: Tensors | None = () if wanted and config.output_scores else None
        self.logits: Tensors | None = () if wanted and config.output_logits else None
        self.attentions: tuple[Tensors, ...] | None = () if wanted and config.output_attentions else None
        self.hidden_states: tuple[Tensors, ...] | None = () if wanted and config.output_hidden_states else None

    def add(self, scores: torch.Tensor, logits: torch.Tensor, outputs: Any) -> None:
        if self.scores is not None:
            self.scores += (scores,)
        if self.logits is not None:
            self.logits += (logits,)
        if self.attentions is not None:
            self.attentions += (outputs.attentions,)
        if self.hidden_states is not None:
            self.hidden_states += (outputs.hidden_states,)

    def output(self, sequences: torch.LongTensor, cache: Any) -> GenerateDecoderOnlyOutput:
        return GenerateDecoderOnlyOutput(sequences=sequences, scores=self.scores, logits=self.logits,
                                         attentions=self.attentions, hidden_states=self.hidden_states, cache=cache)


def outside_inference_mode(value: Any) -> Any:
    """``value`` (the sequences, a :class:`GenerateDecoderOnlyOutput`, a tuple, a key-value cache or None) with
    its tensors copied outside inference mode, as transformers' generate (under ``no_grad`` only) returns them:
    a tensor made in inference mode could not be saved for a later backward, nor updated in place."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, tuple):
        return tuple(outside_inference_mode(item) for item in value)
    if isinstance(value, GenerateDecoderOnlyOutput):
        return GenerateDecoderOnlyOutput(**{name: outside_inference_mode(item) for name, item in value.items()})
    for layer in getattr(value, "layers", ()):
        layer.keys, layer.values = outside_inference_mode(layer.keys), outside_inference_mode(layer.values)
    return value


# --- preparing a call --------------------------------------------------------------------------------------------


@functools.cache
def parameter_names(forward: Any) -> frozenset[str]:
    """The names ``forward`` takes, read once per class: a step of the loop asks for them twice."""
    return frozenset(inspect.signature(forward).parameters)


def prompt_ids(inputs: torch.Tensor | None, input_ids: torch.Tensor | None, bos_token_id: int | None,
               device: torch.device) -> torch.LongTensor:
    """The prompt, given positionally or as ``input_ids``, or a lone ``bos_token_id`` without one."""
    if inputs is not None and input_ids is not None:
        raise errors.GenerationInputError("generate got both inputs and input_ids: pass the prompt once.")
    prompt = inputs if inputs is not None else input_ids
    if prompt is None:
        if bos_token_id is None:
            raise errors.GenerationInputError(
                "generate got no prompt and the generation config has no bos_token_id to start from. Pass "
                "input_ids, or set bos_token_id."
            )
        return torch.full((1, 1), bos_token_id, dtype=torch.long, device=device)
    if not isinstance(prompt, torch.Tensor) or prompt.dim() != 2 or prompt.is_floating_point() or prompt.shape[1] == 0:
        shown = list(prompt.shape) if isinstance(prompt, torch.Tensor) else type(prompt).__name__
        raise errors.GenerationInputError(
            f"generate needs the prompt as token ids of shape [batch, length] with length at least 1, got {shown}. "
            "Use tokenizer(..., return_tensors='pt').input_ids."
        )
    return prompt


def special_tokens(config: GenerationConfig, device: torch.device) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """The end-of-sequence ids (1-D) and the padding id: pad_token_id, else the first eos id (transformers)."""
    eos = None if config.eos_token_id is None else torch.tensor(config.eos_token_id, device=device).reshape(-1)
    pad = config.pad_token_id if config.pad_token_id is not None else None if eos is None else int(eos[0])
    if pad is not None and pad < 0 and eos is not None:
        raise errors.GenerationInputError(
            f"pad_token_id={pad} cannot fill the rows that end early (it is no token). Pass pad_token_id=, e.g. the "
            "tokenizer's pad_token_id or eos_token_id."
        )
    return eos, None if pad is None else torch.tensor(pad, device=device)


def inferred_attention_mask(input_ids: torch.Tensor, pad: torch.Tensor | None,
                            eos: torch.Tensor | None) -> torch.Tensor:
    """Without a mask: the pad tokens are padding, unless the pad token is also an end of sequence (then
    nothing can be told apart, and every token counts)."""
    padded = pad is not None and bool(torch.isin(input_ids, pad).any())
    if not padded or (eos is not None and bool(torch.isin(eos, pad).any())):
        return torch.ones_like(input_ids, dtype=torch.long)
    return input_ids.ne(pad).long()


def warn_if_right_padded(input_ids: torch.Tensor, mask: torch.Tensor | None, pad: torch.Tensor | None) -> None:
    """A decoder continues the last position: a right-padded prompt continues the padding."""
    if pad is None or input_ids.shape[0] < 2:
        return
    right_padded = bool((mask[:, -1] == 0).any()) if mask is not None else bool((input_ids[:, -1] == pad).any())
    if right_padded:
        logger.warning("The prompts are right-padded: a decoder continues the last position, which is padding. "
                       "Pad on the left (tokenizer.padding_side = 'left').")


def model_positions(config: Any) -> tuple[str | None, int | None]:
    """The config's count of positions and its name (n_positions for GPT-2, max_position_embeddings for most)."""
    for field in POSITION_FIELDS:
        value = getattr(config, field, None)
        if isinstance(value, int):
            return field, value
    return None, None


def logits_processors(config: GenerationConfig, prompt_length: int, attention_mask: torch.Tensor | None,
                      eos: torch.Tensor | None) -> LogitsProcessorList:
    """The processors the settings ask for, in transformers' order (``_get_logits_processor``)."""
    processors = LogitsProcessorList()
    if config.repetition_penalty not in (None, 1.0):
        padding = None if attention_mask is None else (attention_mask != 0).int().argmax(dim=1)
        processors.append(RepetitionPenaltyLogitsProcessor(float(config.repetition_penalty), padding))
    if config.no_repeat_ngram_size:
        processors.append(NoRepeatNGramLogitsProcessor(config.no_repeat_ngram_size))
    if eos is not None and config.min_length:
        processors.append(MinLengthLogitsProcessor(config.min_length, eos))
    if eos is not None and config.min_new_tokens:
        processors.append(MinNewTokensLengthLogitsProcessor(prompt_length, config.min_new_tokens, eos))
    if config.do_sample:  # the warpers
        if config.temperature not in (None, 1.0):
            processors.append(TemperatureLogitsWarper(float(config.temperature)))
        if config.top_k:
            processors.append(TopKLogitsWarper(config.top_k))
        if config.top_p not in (None, 1.0):
            processors.append(TopPLogitsWarper(config.top_p))
        if config.min_p is not None:
            processors.append(MinPLogitsWarper(config.min_p))
    return processors
