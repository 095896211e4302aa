"""``GenerationConfig``: how ``generate`` decodes (length, greedy or sampling and its settings, special tokens,
what it returns), read from a checkpoint's ``generation_config.json`` or made from its ``config.json``.

Every field of transformers v5 exists here and is ``None`` until set, as in transformers: ``generate`` fills what
neither the call, the config passed nor the model's config sets from :data:`GLOBAL_DEFAULTS`. Fields explorer's
``generate`` does not implement (:data:`NOT_IMPLEMENTED`) are kept and saved, and refused when generating with a
value other than "off".
"""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path
from typing import Any

from .. import errors
from ..configuration import check_field_name, file_to_save
from ..hub import Checkpoint, pop_hub_kwargs
from ..resolution import open_checkpoint

GENERATION_CONFIG_NAME = "generation_config.json"

# Generation lengths beyond any model's positions (the configs' own limit on max_position_embeddings)
MAX_TOKENS = 1 << 20
MAX_RETURN_SEQUENCES = 1 << 10

# transformers' fields that explorer's generate honours
FIELDS = (
    "max_length", "max_new_tokens", "min_length", "min_new_tokens", "do_sample", "num_beams", "use_cache",
    "temperature", "top_k", "top_p", "min_p", "repetition_penalty", "no_repeat_ngram_size", "num_return_sequences",
    "output_attentions", "output_hidden_states", "output_scores", "output_logits", "return_dict_in_generate",
    "pad_token_id", "bos_token_id", "eos_token_id",
)

# transformers' fields that generate does not implement -> the values that mean "off" (None always does)
NOT_IMPLEMENTED: dict[str, tuple[Any, ...]] = {
    "max_time": (), "stop_strings": (), "use_mtp": (False,), "cache_implementation": ("dynamic",),
    "cache_config": (), "max_cache_len": (), "top_h": (), "typical_p": (1.0,), "epsilon_cutoff": (0.0,),
    "eta_cutoff": (0.0,), "encoder_repetition_penalty": (1.0,), "bad_words_ids": (), "renormalize_logits": (False,),
    "forced_bos_token_id": (), "forced_eos_token_id": (), "remove_invalid_values": (False,),
    "exponential_decay_length_penalty": (), "suppress_tokens": (), "begin_suppress_tokens": (), "sequence_bias": (),
    "token_healing": (False,), "guidance_scale": (1.0,), "watermarking_config": (),
    "encoder_no_repeat_ngram_size": (0,), "prompt_lookup_num_tokens": (), "assistant_early_exit": (),
    "compile_config": (), "continuous_batching_config": (), "penalty_alpha": (0.0,), "dola_layers": (),
    "diversity_penalty": (0.0,), "num_beam_groups": (1,), "constraints": (), "force_words_ids": (),
    "prefill_chunk_size": (),
}

# transformers' fields that only beam search or assisted decoding read: kept, saved, and ignored (as transformers
# ignores them without beams or an assistant)
IGNORED = (
    "early_stopping", "length_penalty", "decoder_start_token_id", "is_assistant", "num_assistant_tokens",
    "num_assistant_tokens_schedule", "assistant_confidence_threshold", "max_matching_ngram_size",
    "assistant_lookbehind", "target_lookbehind", "assistant_ensemble_weight", "speculation_type", "disable_compile",
    "low_memory",
)

# what generate uses where nothing sets a value (transformers' ``_get_default_generation_params``)
GLOBAL_DEFAULTS = {
    "max_length": 20, "min_length": 0, "do_sample": False, "use_cache": True, "num_beams": 1, "temperature": 1.0,
    "top_k": 50, "top_p": 1.0, "repetition_penalty": 1.0, "no_repeat_ngram_size": 0, "num_return_sequences": 1,
    "output_scores": False, "return_dict_in_generate": False,
}

FLAGS = ("do_sample", "use_cache", "output_attentions", "output_hidden_states", "output_scores", "output_logits",
         "return_dict_in_generate")
EXTRA_OUTPUT_FLAGS = ("output_attentions", "output_hidden_states", "output_scores", "output_logits")
# field -> (smallest, largest) whole number
COUNTS = {
    "max_length": (1, MAX_TOKENS), "max_new_tokens": (1, MAX_TOKENS), "min_length": (0, MAX_TOKENS),
    "min_new_tokens": (0, MAX_TOKENS), "num_beams": (1, MAX_RETURN_SEQUENCES), "top_k": (0, MAX_TOKENS),
    "no_repeat_ngram_size": (0, MAX_TOKENS), "num_return_sequences": (1, MAX_RETURN_SEQUENCES),
}
ALL_FIELDS = FIELDS + tuple(NOT_IMPLEMENTED) + IGNORED


class GenerationConfig:
    """transformers' ``GenerationConfig``: keyword arguments set fields (unknown keys are kept as attributes,
    as transformers does); values that cannot work are a :class:`errors.ConfigValueError` naming the field."""

    def __init__(self, **kwargs: Any) -> None:
        for name in ALL_FIELDS:
            setattr(self, name, kwargs.pop(name, None))
        kwargs.pop("_commit_hash", None)
        self._from_model_config = kwargs.pop("_from_model_config", None)
        self.transformers_version = kwargs.pop("transformers_version", None)
        if not self._from_model_config:  # a file made from config.json: its other keys are the model's, not ours
            for name, value in kwargs.items():
                check_field_name(type(self), name, GENERATION_CONFIG_NAME)
                setattr(self, name, value)
        self.validate()

    # --- validation ------------------------------------------------------------------------------------

    def validate(self) -> None:
        """Refuse values that cannot work, naming the field and what to do."""
        for name, (low, high) in COUNTS.items():
            check_count(name, getattr(self, name), low, high)
        for name in FLAGS:
            if getattr(self, name) not in (None, True, False):
                raise errors.ConfigValueError(f"{name} must be true, false or null, got {getattr(self, name)!r}.")
        check_number("temperature", self.temperature, 0.0, math.inf, "of at least 0")
        check_number("repetition_penalty", self.repetition_penalty, math.ulp(0.0), math.inf, "greater than 0")
        check_number("top_p", self.top_p, math.ulp(0.0), 1.0, "greater than 0 and at most 1 (1 keeps every token)")
        check_number("min_p", self.min_p, 0.0, 1.0, "between 0 and 1")
        for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
            check_token_ids(name, getattr(self, name))
        if self.do_sample and self.temperature is not None and self.temperature <= 0:
            raise errors.ConfigValueError(
                f"temperature={self.temperature} with do_sample=True: sampling divides the logits by the "
                "temperature, which must be greater than 0. For greedy decoding set do_sample=False instead."
            )
        greedy = self.do_sample is not True and self.num_beams in (None, 1)
        if greedy and self.num_return_sequences not in (None, 1):
            raise errors.ConfigValueError(
                f"num_return_sequences={self.num_return_sequences} without do_sample=True: greedy decoding returns "
                "one sequence per prompt. Set do_sample=True, or num_return_sequences=1."
            )

    def unsupported(self) -> list[str]:
        """The fields set to a value whose decoding explorer's generate does not implement."""
        found = [f"{name}={getattr(self, name)!r}" for name, off in NOT_IMPLEMENTED.items()
                 if getattr(self, name) is not None and getattr(self, name) not in off]
        if self.num_beams is not None and self.num_beams > 1:
            found.append(f"num_beams={self.num_beams} (beam search)")
        return found

    # --- updating ----------------------------------------------------------------------------------------

    def update(self, defaults_only: bool = False, **kwargs: Any) -> dict[str, Any]:
        """Set the fields ``kwargs`` name (with ``defaults_only``, only those still None); return the others."""
        unused = {}
        for name, value in kwargs.items():
            if not hasattr(self, name) or callable(getattr(self, name)):
                unused[name] = value
            elif not defaults_only or getattr(self, name) is None:
                setattr(self, name, value)
        self.validate()
        return unused

    # --- serialisation -----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.__dict__)

    def to_diff_dict(self) -> dict[str, Any]:
        """What differs from ``GenerationConfig()`` (what transformers writes)."""
        default = GenerationConfig().to_dict()
        return {name: value for name, value in self.to_dict().items() if name not in default or value != default[name]}

    def to_json_string(self, use_diff: bool = True) -> str:
        data = self.to_diff_dict() if use_diff else self.to_dict()
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    def save_pretrained(self, save_directory: str | os.PathLike, config_file_name: str | None = None) -> Path:
        path = file_to_save(save_directory, config_file_name or GENERATION_CONFIG_NAME)
        path.write_text(self.to_json_string(), encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string()}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GenerationConfig) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    # --- loading -------------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, config_dict: dict[str, Any], **kwargs: Any) -> Any:
        """Build from ``config_dict``, then set the fields ``kwargs`` name; ``return_unused_kwargs=True`` also
        returns the kwargs that name no field."""
        return_unused = kwargs.pop("return_unused_kwargs", False)
        config = cls(**config_dict)
        unused = config.update(**kwargs)
        return (config, unused) if return_unused else config

    @classmethod
    def from_pretrained(cls, pretrained_model_name: str | os.PathLike | Checkpoint,
                        config_file_name: str | None = None, **kwargs: Any) -> Any:
        """A checkpoint's ``generation_config.json`` (or ``config_file_name``), read through its Checkpoint."""
        checkpoint = open_checkpoint(pretrained_model_name, **pop_hub_kwargs(kwargs))
        name = config_file_name or GENERATION_CONFIG_NAME
        data = checkpoint.read_json(name, needed_for="GenerationConfig.from_pretrained")
        assert data is not None
        return cls.from_checkpoint_file(checkpoint, name, data, **kwargs)

    @classmethod
    def from_checkpoint_file(cls, checkpoint: Checkpoint, name: str, data: dict[str, Any], **kwargs: Any) -> Any:
        """``from_dict`` for ``data`` read from ``checkpoint``'s file ``name``; a bad value names the file."""
        try:
            return cls.from_dict(data, **kwargs)
        except errors.ConfigValueError as exc:
            raise errors.ConfigValueError(
                f"{checkpoint.name_of(name)} of {checkpoint.reference!r}: {exc} Fix the file or pass the field to "
                "from_pretrained."
            ) from None

    @classmethod
    def from_model_config(cls, model_config: Any) -> GenerationConfig:
        """The generation settings of a model's config (bos/eos/pad ids, use_cache, output flags and any
        generation field an older config.json carries), as transformers' ``from_model_config``."""
        data = model_config if isinstance(model_config, dict) else model_config.to_dict()
        found = {name: value for name, value in data.items()
                 if name in (*ALL_FIELDS, "transformers_version") and value is not None}
        try:
            config = cls(**found, _from_model_config=True)
        except errors.ConfigValueError as exc:
            raise errors.ConfigValueError(f"The generation settings of config.json: {exc} Fix config.json.") from None
        if not config.return_dict_in_generate and any(getattr(config, flag) for flag in EXTRA_OUTPUT_FLAGS):
            config.return_dict_in_generate = True  # asking for an output means asking for the output object
        return config


def read_generation_config(checkpoint: Checkpoint, fallback: GenerationConfig) -> GenerationConfig:
    """A loaded model's generation defaults: the checkpoint's generation_config.json when it has one, else
    ``fallback`` (the model's, made from its config), as transformers' ``from_pretrained``."""
    data = checkpoint.read_json(GENERATION_CONFIG_NAME)
    if data is None:
        return fallback
    return GenerationConfig.from_checkpoint_file(checkpoint, GENERATION_CONFIG_NAME, data)


def check_count(name: str, value: Any, low: int, high: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise errors.ConfigValueError(
            f"{name} must be a whole number from {low} to {high:,} (or null), got {value!r}."
        )


def check_number(name: str, value: Any, low: float, high: float, meaning: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(value) and low <= value <= high
    ):
        raise errors.ConfigValueError(f"{name} must be a number {meaning}, got {value!r}.")


def check_token_ids(name: str, value: Any) -> None:
    """None, a token id, or (eos_token_id) a non-empty list of them. Only pad_token_id may be negative, as
    transformers accepts; generate refuses it where it would be written into a sequence."""
    if value is None:
        return
    ids = value if name == "eos_token_id" and isinstance(value, list) else [value]
    if not ids or any(isinstance(token, bool) or not isinstance(token, int) or (token < 0 and name != "pad_token_id")
                      for token in ids):
        listed = ", or a non-empty list of them" if name == "eos_token_id" else ""
        raise errors.ConfigValueError(
            f"{name} must be a token id (a whole number of at least 0){listed}, got {value!r}."
        )
