"""Tokenizers over the ``tokenizers`` library, with transformers' API and outputs (v5 behaviour).

A tokenizer is a ``tokenizers.Tokenizer`` (the "backend": normalizer, pre-tokenizer, model, post-processor,
decoder) plus what transformers keeps around it: the named special tokens, ``model_max_length``, the padding
and truncation sides, and the rules that turn ``padding=`` / ``truncation=`` / ``max_length=`` into backend
settings for one call. :class:`BatchEncoding` is what a call returns.

Like transformers v5, a model-specific class (:class:`BertTokenizerFast`, :class:`RobertaTokenizerFast`...)
takes only the *vocabulary* from ``tokenizer.json`` (or from ``vocab.txt``, ``vocab.json`` + ``merges.txt``)
and rebuilds the rest of the pipeline from its settings, so ``do_lower_case=False`` always takes effect.
:class:`PreTrainedTokenizerFast` uses ``tokenizer.json`` as it is.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from tokenizers import AddedToken, Encoding, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import BPE, Unigram, WordPiece

from . import errors
from .batch import PADDING_STRATEGIES, BatchFeature
from .hub import Checkpoint, load_json_file, pop_hub_kwargs
from .resolution import open_checkpoint
from .trace import ResolutionTrace

logger = logging.getLogger(__name__)

STAGE = "AutoTokenizer"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json"
ADDED_TOKENS_FILE = "added_tokens.json"

VERY_LARGE_INTEGER = int(1e30)  # transformers' model_max_length when a checkpoint sets none: no limit
LARGE_INTEGER = int(1e20)  # above this, model_max_length means "no limit"

SPECIAL_TOKENS_ATTRIBUTES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
TRUNCATION_STRATEGIES = ("longest_first", "only_first", "only_second", "do_not_truncate")
_PADDING_OF = {True: "longest", False: "do_not_pad", None: "do_not_pad"}
_TRUNCATION_OF = {True: "longest_first", False: "do_not_truncate", None: "do_not_truncate"}
SIDES = ("right", "left")

# tokenizer_config.json keys that describe the files or the machine, not the tokenizer: never kept or saved
_NOT_SETTINGS = frozenset({
    "tokenizer_class", "name_or_path", "init_inputs", "tokenizer_file", "vocab_file", "merges_file",
    "special_tokens_map_file", "is_local", "local_files_only", "files_loaded", "_commit_hash",
    "vocab", "merges", "tokenizer_object",  # the model parts come from the vocabulary files, never from settings
})
# from_pretrained arguments of transformers that do not change the tokenizer (explorer never runs remote code)
_LOADER_ONLY_KWARGS = ("trust_remote_code", "use_fast", "proxies", "code_revision", "_from_auto", "_from_pipeline")
_ADDED_TOKEN_FIELDS = ("content", "single_word", "lstrip", "rstrip", "normalized", "special")
_CLEAN_UP = (  # transformers' clean_up_tokenization: (what WordPiece decoding leaves, what it becomes)
    (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"),
    (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
)
_ENCODING_FIELDS = {  # output field -> the tokenizers.Encoding attribute that holds it
    "input_ids": "ids",
    "token_type_ids": "type_ids",
    "attention_mask": "attention_mask",
    "special_tokens_mask": "special_tokens_mask",
    "offset_mapping": "offsets",
}


class CharSpan(NamedTuple):
    """Characters ``[start, end)`` of the original string."""

    start: int
    end: int


class TokenSpan(NamedTuple):
    """Tokens ``[start, end)`` of an encoded sequence."""

    start: int
    end: int


# --- BatchEncoding ----------------------------------------------------------------------------------------


class BatchEncoding(BatchFeature):
    """What a tokenizer call returns: a dict (``input_ids``, ``attention_mask``...) also readable as attributes,
    plus the backend's ``tokenizers.Encoding`` of each row, which map tokens to words and characters."""

    input_error = errors.TokenizerInputError
    ragged_hint = "Rows of different lengths need padding=True (and truncation=True for long inputs)."

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        encoding: Encoding | list[Encoding] | None = None,
        tensor_type: str | None = None,
        prepend_batch_axis: bool = False,
        n_sequences: int | None = None,
    ) -> None:
        self._encodings = [encoding] if isinstance(encoding, Encoding) else encoding
        if n_sequences is None and self._encodings:
            n_sequences = self._encodings[0].n_sequences
        self._n_sequences = n_sequences
        super().__init__(data, tensor_type, prepend_batch_axis)

    def __getitem__(self, item: str | int | slice) -> Any:
        """A field by name; by position, the row's ``tokenizers.Encoding`` (as transformers does)."""
        if isinstance(item, str):
            return super().__getitem__(item)
        if self._encodings is not None:
            return self._encodings[item]
        if isinstance(item, slice):
            return {key: value[item] for key, value in self.items()}
        raise KeyError(f"{item!r}: index a BatchEncoding by field name, by row (int) or by slice.")

    @property
    def encodings(self) -> list[Encoding] | None:
        return self._encodings

    @property
    def n_sequences(self) -> int | None:
        """1 for single sequences, 2 for pairs, None if unknown."""
        return self._n_sequences

    @property
    def is_fast(self) -> bool:
        return self._encodings is not None

    def _encoding(self, batch_index: int) -> Encoding:
        if not self._encodings:
            raise errors.TokenizerInputError(
                "Token alignment needs the output of a tokenizer call; this BatchEncoding has no encodings "
                "(e.g. it came from pad())."
            )
        return self._encodings[batch_index]

    def _locate(self, batch_or_index: int, index: int | None) -> tuple[Encoding, int]:
        """``(i)`` means row 0, position i; ``(b, i)`` means row b, position i."""
        batch_index, index = (0, batch_or_index) if index is None else (batch_or_index, index)
        return self._encoding(batch_index), index

    def _locate_token(self, batch_or_index: int, index: int | None) -> tuple[Encoding, int]:
        """As :meth:`_locate`, a negative token position counting from the end."""
        encoding, index = self._locate(batch_or_index, index)
        return encoding, index + len(encoding) if index < 0 else index

    def tokens(self, batch_index: int = 0) -> list[str]:
        return self._encoding(batch_index).tokens

    def word_ids(self, batch_index: int = 0) -> list[int | None]:
        return self._encoding(batch_index).word_ids

    def sequence_ids(self, batch_index: int = 0) -> list[int | None]:
        return self._encoding(batch_index).sequence_ids

    def token_to_sequence(self, batch_or_token_index: int, token_index: int | None = None) -> int | None:
        encoding, token_index = self._locate_token(batch_or_token_index, token_index)
        return encoding.token_to_sequence(token_index)

    def token_to_word(self, batch_or_token_index: int, token_index: int | None = None) -> int | None:
        encoding, token_index = self._locate_token(batch_or_token_index, token_index)
        return encoding.token_to_word(token_index)

    def token_to_chars(self, batch_or_token_index: int, token_index: int | None = None) -> CharSpan | None:
        encoding, token_index = self._locate_token(batch_or_token_index, token_index)
        span = encoding.token_to_chars(token_index)
        return CharSpan(*span) if span is not None else None

    def word_to_tokens(
        self, batch_or_word_index: int, word_index: int | None = None, sequence_index: int = 0
    ) -> TokenSpan | None:
        encoding, word_index = self._locate(batch_or_word_index, word_index)
        span = encoding.word_to_tokens(word_index, sequence_index)
        return TokenSpan(*span) if span is not None else None

    def word_to_chars(
        self, batch_or_word_index: int, word_index: int | None = None, sequence_index: int = 0
    ) -> CharSpan | None:
        encoding, word_index = self._locate(batch_or_word_index, word_index)
        span = encoding.word_to_chars(word_index, sequence_index)
        return CharSpan(*span) if span is not None else None

    def char_to_token(
        self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0
    ) -> int | None:
        encoding, char_index = self._locate(batch_or_char_index, char_index)
        return encoding.char_to_token(char_index, sequence_index)

    def char_to_word(
        self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0
    ) -> int | None:
        encoding, char_index = self._locate(batch_or_char_index, char_index)
        return encoding.char_to_word(char_index, sequence_index)


# --- special token attributes -----------------------------------------------------------------------------


class _SpecialToken:
    """A named special token (``cls_token``) or its id (``cls_token_id``), stored in ``_special_tokens``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.key = name.removesuffix("_id")

    def __get__(self, tokenizer: PreTrainedTokenizerFast | None, owner: type | None = None) -> Any:
        if tokenizer is None:
            return self
        token = tokenizer._special_tokens.get(self.key)
        if token is None:
            return None
        return str(token) if self.name == self.key else tokenizer.convert_tokens_to_ids(str(token))

    def __set__(self, tokenizer: PreTrainedTokenizerFast, value: Any) -> None:
        if value is not None and self.name != self.key:
            value = tokenizer.convert_ids_to_tokens(value)
        if value is not None and not isinstance(value, (str, AddedToken)):
            raise errors.TokenizerInputError(
                f"{self.key} must be a str or an AddedToken, not {type(value).__name__}."
            )
        tokenizer._special_tokens[self.key] = value


# --- the tokenizer ----------------------------------------------------------------------------------------


class PreTrainedTokenizerFast:
    """A ``tokenizers.Tokenizer`` with transformers' tokenizer API. This base class uses ``tokenizer.json`` as
    it is; model-specific subclasses rebuild the pipeline around the vocabulary (see the module docstring)."""

    model_input_names: list[str] = ["input_ids", "attention_mask"]
    # the settings that shape a subclass's pipeline, with their defaults (e.g. BERT's do_lower_case)
    backend_settings: dict[str, Any] = {}
    default_special_tokens: dict[str, str] = {}
    model_kind: str | None = None  # the tokenizers model a subclass builds: "WordPiece", "BPE", "Unigram"

    bos_token, bos_token_id = _SpecialToken(), _SpecialToken()
    eos_token, eos_token_id = _SpecialToken(), _SpecialToken()
    unk_token, unk_token_id = _SpecialToken(), _SpecialToken()
    sep_token, sep_token_id = _SpecialToken(), _SpecialToken()
    pad_token, pad_token_id = _SpecialToken(), _SpecialToken()
    cls_token, cls_token_id = _SpecialToken(), _SpecialToken()
    mask_token, mask_token_id = _SpecialToken(), _SpecialToken()

    def __init__(
        self,
        tokenizer_object: Tokenizer | None = None,
        *,
        vocab: Any = None,
        merges: list[tuple[str, str]] | None = None,
        name_or_path: str | os.PathLike = "",
        added_tokens_decoder: Mapping[int, AddedToken] | None = None,
        **settings: Any,
    ) -> None:
        settings = {**self.default_special_tokens, **settings}
        self.name_or_path = os.fspath(name_or_path)
        self.resolution_trace: ResolutionTrace | None = None  # set by from_pretrained
        self._special_tokens: dict[str, str | AddedToken | None] = {}
        for key in SPECIAL_TOKENS_ATTRIBUTES:
            setattr(self, key, _as_token(settings.pop(key, None), key, "the settings"))
        extras = settings.pop("extra_special_tokens", settings.pop("additional_special_tokens", None)) or []
        self._extra_special_tokens = [_as_token(token, "extra_special_tokens", "the settings") for token in extras]
        self.model_max_length = _max_length_setting(settings.pop("model_max_length", None))
        self.padding_side = _side(settings.pop("padding_side", "right"), "padding_side")
        self.truncation_side = _side(settings.pop("truncation_side", "right"), "truncation_side")
        self.model_input_names = _input_names(settings.pop("model_input_names", self.model_input_names))
        self.clean_up_tokenization_spaces = bool(settings.pop("clean_up_tokenization_spaces", False))
        self.split_special_tokens = bool(settings.pop("split_special_tokens", False))
        for key, default in self.backend_settings.items():
            setattr(self, key, settings.get(key, default))
        self.init_kwargs = settings  # everything else is kept as given, and saved back
        self._warned: set[str] = set()  # warnings given once per tokenizer, as transformers does

        self._tokenizer = tokenizer_object if tokenizer_object is not None else self._build(vocab, merges)
        self._add_initial_tokens(added_tokens_decoder or {})
        self._tokenizer.encode_special_tokens = self.split_special_tokens
        post_processor = self._post_processor()
        if post_processor is not None:
            self._tokenizer.post_processor = post_processor

    # --- loading ------------------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(
        cls, pretrained_model_name_or_path: str | os.PathLike | Checkpoint, *init_inputs: Any, **kwargs: Any
    ) -> PreTrainedTokenizerFast:
        """Load from a folder, a Hub id (through the cache) or an open :class:`Checkpoint` (sharing its trace).
        Keyword arguments override ``tokenizer_config.json`` (``do_lower_case=False``, ``model_max_length=``...)."""
        if init_inputs:
            raise errors.TokenizerInputError(
                f"{cls.__name__}.from_pretrained takes its settings as keyword arguments, not positionally."
            )
        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        for name in _LOADER_ONLY_KWARGS:  # accepted for transformers' signature; nothing to do with them here
            kwargs.pop(name, None)
        tokenizer_json = _read_tokenizer_json(checkpoint)
        settings, added_tokens = _read_settings(checkpoint, kwargs, tokenizer_json)
        if tokenizer_json is not None:
            data, backend = tokenizer_json
            settings.update({key: value for key, value in _sides_of(data).items() if key not in settings})
            model_parts = cls._model_from_json(checkpoint, data, backend)
        else:
            model_parts = cls._model_from_vocab_files(checkpoint)
        _record_max_length(checkpoint, settings, kwargs)
        tokenizer = cls(name_or_path=checkpoint.reference, added_tokens_decoder=added_tokens, **model_parts, **settings)
        tokenizer.resolution_trace = checkpoint.trace
        return tokenizer

    @classmethod
    def _model_from_json(cls, checkpoint: Checkpoint, data: dict[str, Any], backend: Tokenizer) -> dict[str, Any]:
        """What ``cls(...)`` needs from tokenizer.json: here the whole backend; subclasses take the vocabulary."""
        checkpoint.trace.decide(
            STAGE, checkpoint.name_of(TOKENIZER_FILE), "", None, "fast tokenizer from tokenizer.json"
        )
        return {"tokenizer_object": backend}

    @classmethod
    def _model_from_vocab_files(cls, checkpoint: Checkpoint) -> dict[str, Any]:
        raise _no_tokenizer_json(checkpoint, f"{cls.__name__} cannot be built from other vocabulary files")

    def _build(self, vocab: Any, merges: list[tuple[str, str]] | None) -> Tokenizer:
        """The backend pipeline around ``vocab`` (and ``merges``); subclasses that build one override this."""
        raise errors.TokenizerInputError(
            f"{type(self).__name__} needs a tokenizers.Tokenizer: pass tokenizer_object=, or use from_pretrained."
        )

    def _post_processor(self) -> processors.PostProcessor | None:
        """The post-processor a subclass sets (after the special tokens are known); None keeps the backend's."""
        return None

    def _add_initial_tokens(self, added_tokens_decoder: Mapping[int, AddedToken]) -> None:
        """Register the saved added tokens in id order, then any special token the vocabulary lacks."""
        tokens = [added_tokens_decoder[index] for index in sorted(added_tokens_decoder)]
        present = set(self.added_tokens_encoder) | {str(token) for token in tokens}
        for token in [*self._special_tokens.values(), *self._extra_special_tokens]:
            if token is not None and str(token) not in present:
                tokens.append(AddedToken(token, special=True) if isinstance(token, str) else token)
                present.add(str(token))
        named = {str(token) for token in self._special_tokens.values() if token is not None}
        for token in tokens:
            if not token.special and str(token) in named:
                token.special = True
        if tokens:
            self._tokenizer.add_tokens(tokens)

    # --- vocabulary ---------------------------------------------------------------------------------------

    @property
    def backend_tokenizer(self) -> Tokenizer:
        return self._tokenizer

    @property
    def decoder(self) -> Any:
        return self._tokenizer.decoder

    @property
    def is_fast(self) -> bool:
        return True

    @property
    def vocab_size(self) -> int:
        """The base vocabulary, without added tokens."""
        return self._tokenizer.get_vocab_size(with_added_tokens=False)

    def __len__(self) -> int:
        """The full vocabulary, with added tokens."""
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def __bool__(self) -> bool:
        return True

    def get_vocab(self) -> dict[str, int]:
        return self._tokenizer.get_vocab(with_added_tokens=True)

    @property
    def vocab(self) -> dict[str, int]:
        return self.get_vocab()

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        return self._tokenizer.get_added_tokens_decoder()

    @property
    def added_tokens_encoder(self) -> dict[str, int]:
        return {token.content: index for index, token in sorted(self.added_tokens_decoder.items())}

    def get_added_vocab(self) -> dict[str, int]:
        return self.added_tokens_encoder

    def convert_tokens_to_ids(self, tokens: str | list[str]) -> int | None | list[int | None]:
        if isinstance(tokens, str):
            index = self._tokenizer.token_to_id(tokens)
            return index if index is not None else self.unk_token_id
        return [self.convert_tokens_to_ids(token) for token in tokens]

    def convert_ids_to_tokens(self, ids: int | list[int], skip_special_tokens: bool = False) -> str | None | list[str]:
        ids = _to_python(ids)
        if isinstance(ids, int):
            return _backend_call(self._tokenizer.id_to_token, ids, failure=_DECODE_FAILURE)
        skipped = set(self.all_special_ids) if skip_special_tokens else set()
        return [
            _backend_call(self._tokenizer.id_to_token, index, failure=_DECODE_FAILURE)
            for index in ids
            if index not in skipped
        ]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        decoder = self._tokenizer.decoder
        return decoder.decode(tokens) if decoder is not None else " ".join(tokens)

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        return self._tokenizer.num_special_tokens_to_add(pair)

    @property
    def max_len_single_sentence(self) -> int:
        return self.model_max_length - self.num_special_tokens_to_add(pair=False)

    @property
    def max_len_sentences_pair(self) -> int:
        return self.model_max_length - self.num_special_tokens_to_add(pair=True)

    # --- special tokens -----------------------------------------------------------------------------------

    @property
    def pad_token_type_id(self) -> int:
        return 0

    @property
    def extra_special_tokens(self) -> list[str]:
        """Special tokens without a name (v5's name for ``additional_special_tokens``)."""
        return [str(token) for token in self._extra_special_tokens]

    @extra_special_tokens.setter
    def extra_special_tokens(self, tokens: list[str | AddedToken] | None) -> None:
        self._extra_special_tokens = list(tokens or [])

    @property
    def special_tokens_map(self) -> dict[str, str]:
        """The named special tokens that are set, as strings."""
        return {key: str(token) for key, token in self._special_tokens.items() if token is not None}

    @property
    def all_special_tokens(self) -> list[str]:
        tokens = [*self.special_tokens_map.values(), *self.extra_special_tokens]
        return list(dict.fromkeys(tokens))

    @property
    def all_special_ids(self) -> list[int]:
        return self.convert_tokens_to_ids(self.all_special_tokens)

    def add_tokens(self, new_tokens: str | AddedToken | list[str | AddedToken], special_tokens: bool = False) -> int:
        """Add tokens the vocabulary lacks (at its end); returns how many were added."""
        if not new_tokens:
            return 0
        if not isinstance(new_tokens, (list, tuple)):
            new_tokens = [new_tokens]
        add = self._tokenizer.add_special_tokens if special_tokens else self._tokenizer.add_tokens
        return _backend_call(add, list(new_tokens), failure="adding tokens failed")

    def add_special_tokens(
        self, special_tokens_dict: Mapping[str, Any], replace_extra_special_tokens: bool = True
    ) -> int:
        """Set named special tokens (``{"pad_token": "[PAD]"}``) and extra ones (``"additional_special_tokens"``
        or ``"extra_special_tokens"``), adding any the vocabulary lacks; returns how many were added."""
        tokens_to_add: list[str | AddedToken] = []
        for key, value in special_tokens_dict.items():
            if key in ("additional_special_tokens", "extra_special_tokens"):
                if not isinstance(value, (list, tuple)):
                    raise errors.TokenizerInputError(f"add_special_tokens: {key} must be a list of tokens.")
                new = [_special_added_token(token, key) for token in value]
                if not replace_extra_special_tokens:
                    new = [token for token in new if str(token) not in self.extra_special_tokens]
                    self._extra_special_tokens.extend(new)
                elif new:
                    self._extra_special_tokens = new
                tokens_to_add.extend(new)
            elif key in SPECIAL_TOKENS_ATTRIBUTES:
                token = _special_added_token(value, key)
                setattr(self, key, token)
                tokens_to_add.append(token)
            else:
                raise errors.TokenizerInputError(
                    f"{key!r} is not a special token name. Use one of {', '.join(SPECIAL_TOKENS_ATTRIBUTES)} "
                    f"or 'additional_special_tokens'.{errors.closest(key, SPECIAL_TOKENS_ATTRIBUTES)}"
                )
        return self.add_tokens(tokens_to_add, special_tokens=True)

    def get_special_tokens_mask(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None, already_has_special_tokens: bool = False
    ) -> list[int]:
        """1 for each special token of an encoded sequence, 0 otherwise (transformers v5 supports only
        ``already_has_special_tokens=True`` here; use ``return_special_tokens_mask=True`` when encoding)."""
        if not already_has_special_tokens or token_ids_1 is not None:
            raise errors.TokenizerInputError(
                "get_special_tokens_mask needs one sequence that already has its special tokens "
                "(already_has_special_tokens=True); or call the tokenizer with return_special_tokens_mask=True."
            )
        special = set(self.all_special_ids)
        return [1 if int(index) in special else 0 for index in token_ids_0]

    # --- encoding -----------------------------------------------------------------------------------------

    def __call__(
        self,
        text: str | list[str] | list[list[str]] | list[tuple[Any, Any]] | None = None,
        text_pair: str | list[str] | list[list[str]] | None = None,
        *,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        stride: int = 0,
        is_split_into_words: bool = False,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_tensors: str | None = None,
        return_token_type_ids: bool | None = None,
        return_attention_mask: bool | None = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        verbose: bool = True,
    ) -> BatchEncoding:
        """Tokenize a string, a pair, a batch of strings or a batch of pairs. A single input gives flat lists
        (unless ``return_tensors`` or overflow is asked for); a batch gives one list per row."""
        if text is None:
            raise errors.TokenizerInputError("Pass the text to tokenize: a string, a list of strings or of pairs.")
        padding, truncation, max_length = self._strategies(padding, truncation, max_length, pad_to_multiple_of, verbose)
        if padding_side is not None:
            _side(padding_side, "padding_side", errors.TokenizerInputError)
        batch, is_batched = _as_batch(text, text_pair, is_split_into_words)
        self._set_backend_strategies(padding, truncation, max_length, stride, pad_to_multiple_of, padding_side)
        encodings = _backend_call(
            self._tokenizer.encode_batch,
            batch,
            add_special_tokens=add_special_tokens,
            is_pretokenized=is_split_into_words,
            failure=_ENCODE_FAILURE,
        )
        rows = [[e, *e.overflowing] if return_overflowing_tokens else [e] for e in encodings]
        flat = [encoding for row in rows for encoding in row]
        wanted = {
            "input_ids": True,
            "token_type_ids": _default(return_token_type_ids, "token_type_ids" in self.model_input_names),
            "attention_mask": _default(return_attention_mask, "attention_mask" in self.model_input_names),
            "special_tokens_mask": return_special_tokens_mask,
            "offset_mapping": return_offsets_mapping,
        }
        data = {key: [getattr(e, _ENCODING_FIELDS[key]) for e in flat] for key, on in wanted.items() if on}
        if return_length:
            data["length"] = [len(encoding.ids) for encoding in flat]
        if return_overflowing_tokens:
            data["overflow_to_sample_mapping"] = [index for index, row in enumerate(rows) for _ in row]
        for ids in data["input_ids"]:
            self._warn_if_too_long(ids, max_length, verbose)
        if not is_batched and return_tensors is None and not return_overflowing_tokens:
            # one input: drop the batch level of per-token fields (transformers keeps it for `length`)
            data = {key: value[0] if value and isinstance(value[0], list) else value for key, value in data.items()}
        return BatchEncoding(data, flat, tensor_type=return_tensors)

    def encode(
        self,
        text: str | list[str],
        text_pair: str | list[str] | None = None,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        **kwargs: Any,
    ) -> list[int] | Any:
        """The ``input_ids`` of one input (other arguments as for a call)."""
        return self(
            text, text_pair, add_special_tokens=add_special_tokens, padding=padding, truncation=truncation,
            max_length=max_length, **kwargs,
        )["input_ids"]

    def tokenize(self, text: str, pair: str | None = None, add_special_tokens: bool = False) -> list[str]:
        """The token strings of ``text`` (and ``pair``), without special tokens unless asked."""
        return self(text, pair, add_special_tokens=add_special_tokens).tokens()

    def _strategies(
        self, padding: Any, truncation: Any, max_length: int | None, pad_to_multiple_of: int | None, verbose: bool
    ) -> tuple[str, str, int | None]:
        """transformers' reading of padding / truncation / max_length, its defaults and its refusals."""
        if max_length is not None and padding is False and truncation is None:
            truncation = "longest_first"  # max_length alone turns truncation on
        no_truncation = truncation in (None, False, "do_not_truncate")
        if padding is True and max_length is not None and no_truncation and verbose:
            warnings.warn(
                "`max_length` is ignored when `padding`=`True` and there is no truncation strategy. "
                "To pad to max length, use `padding='max_length'`.",
                stacklevel=3,
            )
        padding = _strategy(padding, _PADDING_OF, PADDING_STRATEGIES, "padding")
        truncation = _strategy(truncation, _TRUNCATION_OF, TRUNCATION_STRATEGIES, "truncation")
        if max_length is None:  # both fall back on model_max_length, or are off when it means "no limit"
            unlimited = self.model_max_length > LARGE_INTEGER
            if padding == "max_length":
                padding, max_length = ("do_not_pad", None) if unlimited else (padding, self.model_max_length)
            if truncation != "do_not_truncate":
                if unlimited:
                    truncation = "do_not_truncate"
                else:
                    max_length = self.model_max_length
        pad_id = self.pad_token_id
        if padding != "do_not_pad" and (self.pad_token is None or pad_id is None or pad_id < 0):
            raise errors.TokenizerInputError(
                "Asking to pad but the tokenizer does not have a padding token. Please select a token to use as "
                "`pad_token` `(tokenizer.pad_token = tokenizer.eos_token e.g.)` or add a new pad token via "
                "`tokenizer.add_special_tokens({'pad_token': '[PAD]'})`."
            )
        if (
            truncation != "do_not_truncate" and padding != "do_not_pad" and pad_to_multiple_of is not None
            and max_length is not None and max_length % pad_to_multiple_of != 0
        ):
            raise errors.TokenizerInputError(
                "Truncation and padding are both activated but truncation length "
                f"({max_length}) is not a multiple of pad_to_multiple_of ({pad_to_multiple_of})."
            )
        return padding, truncation, max_length

    def _set_backend_strategies(
        self, padding: str, truncation: str, max_length: int | None, stride: int,
        pad_to_multiple_of: int | None, padding_side: str | None,
    ) -> None:
        """The backend keeps truncation and padding as state: set them for this call."""
        backend = self._tokenizer
        if truncation == "do_not_truncate":
            backend.no_truncation()
        else:
            _backend_call(
                backend.enable_truncation, max_length, stride=stride, strategy=truncation,
                direction=self.truncation_side, failure=_ENCODE_FAILURE,
            )
        if padding == "do_not_pad":
            backend.no_padding()
        else:
            _backend_call(
                backend.enable_padding,
                direction=padding_side or self.padding_side,
                pad_id=self.pad_token_id,
                pad_type_id=self.pad_token_type_id,
                pad_token=self.pad_token,
                length=max_length if padding == "max_length" else None,
                pad_to_multiple_of=pad_to_multiple_of,
                failure=_ENCODE_FAILURE,
            )

    def _warn_if_too_long(self, ids: list[int], max_length: int | None, verbose: bool) -> None:
        if max_length is None and verbose and 0 < self.model_max_length < len(ids):
            self._warn_once(
                "too long",
                "Token indices sequence length is longer than the specified maximum sequence length for this "
                f"model ({len(ids)} > {self.model_max_length}). Running this sequence through the model will "
                "result in indexing errors",
            )

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            logger.warning(message)

    # --- padding encoded inputs ---------------------------------------------------------------------------

    def pad(
        self,
        encoded_inputs: Mapping[str, Any] | list[Mapping[str, Any]],
        padding: bool | str = True,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_attention_mask: bool | None = None,
        return_tensors: str | None = None,
        verbose: bool = True,
    ) -> BatchEncoding:
        """Pad already encoded inputs (one, a batch, or a list of examples as a collate function gets them)."""
        if isinstance(encoded_inputs, (list, tuple)) and encoded_inputs and isinstance(encoded_inputs[0], Mapping):
            encoded_inputs = {key: [example[key] for example in encoded_inputs] for key in encoded_inputs[0]}
        if padding_side is not None:
            _side(padding_side, "padding_side", errors.TokenizerInputError)
        main_input = self.model_input_names[0]
        if main_input not in encoded_inputs:
            raise errors.TokenizerInputError(
                f"pad() needs the encodings' {main_input!r}, but got only {list(encoded_inputs)}."
            )
        required = encoded_inputs[main_input]
        if required is None or len(required) == 0:
            empty = dict(encoded_inputs)
            if return_attention_mask:
                empty["attention_mask"] = []
            return BatchEncoding(empty)
        return_tensors = return_tensors or _tensor_kind_of(required)
        inputs = {key: _to_python(value) for key, value in encoded_inputs.items()}
        padding, _, max_length = self._strategies(padding, None, max_length, None, verbose)
        options = {"pad_to_multiple_of": pad_to_multiple_of, "padding_side": padding_side,
                   "return_attention_mask": return_attention_mask}
        required = inputs[main_input]
        if not isinstance(required[0], (list, tuple)):
            return BatchEncoding(self._pad_one(inputs, padding, max_length, **options), tensor_type=return_tensors)
        if any(len(value) != len(required) for value in inputs.values()):
            raise errors.TokenizerInputError("pad(): the fields of the batch have different numbers of rows.")
        if padding == "longest":
            padding, max_length = "max_length", max(len(row) for row in required)
        rows = [self._pad_one({key: value[i] for key, value in inputs.items()}, padding, max_length, **options)
                for i in range(len(required))]
        batch = {key: [row[key] for row in rows] for key in rows[0]}
        return BatchEncoding(batch, tensor_type=return_tensors)

    def _pad_one(
        self, inputs: dict[str, Any], padding: str, max_length: int | None, pad_to_multiple_of: int | None,
        padding_side: str | None, return_attention_mask: bool | None,
    ) -> dict[str, Any]:
        main_input = self.model_input_names[0]
        required = inputs[main_input]
        if padding == "longest":
            max_length = len(required)
        if max_length is not None and pad_to_multiple_of is not None and max_length % pad_to_multiple_of:
            max_length = (max_length // pad_to_multiple_of + 1) * pad_to_multiple_of
        with_mask = _default(return_attention_mask, "attention_mask" in self.model_input_names)
        if with_mask and "attention_mask" not in inputs:
            inputs["attention_mask"] = [1] * len(required)
        if padding == "do_not_pad" or max_length is None or len(required) >= max_length:
            return inputs
        fill = {main_input: self.pad_token_id, "token_type_ids": self.pad_token_type_id, "special_tokens_mask": 1}
        if with_mask:
            fill["attention_mask"] = 0  # as transformers: a mask not asked for is left as it is
        missing = max_length - len(required)
        left = (padding_side or self.padding_side) == "left"
        for key, value in fill.items():
            if key in inputs:
                padding_values = [value] * missing
                inputs[key] = padding_values + list(inputs[key]) if left else list(inputs[key]) + padding_values
        return inputs

    # --- decoding -----------------------------------------------------------------------------------------

    def decode(
        self, token_ids: Any, skip_special_tokens: bool = False, clean_up_tokenization_spaces: bool | None = None
    ) -> str | list[str]:
        """Ids back to text: one sequence gives a string, a batch (list of lists, 2-D tensor) a list."""
        ids = _to_python(token_ids)
        if isinstance(ids, Mapping):
            ids = ids["input_ids"]
        if isinstance(ids, int):
            ids = [ids]
        if ids and isinstance(ids[0], list):
            return [self._decode_one(row, skip_special_tokens, clean_up_tokenization_spaces) for row in ids]
        return self._decode_one(ids, skip_special_tokens, clean_up_tokenization_spaces)

    def batch_decode(
        self, sequences: Any, skip_special_tokens: bool = False, clean_up_tokenization_spaces: bool | None = None
    ) -> list[str]:
        decoded = self.decode(sequences, skip_special_tokens, clean_up_tokenization_spaces)
        return [decoded] if isinstance(decoded, str) else decoded

    def _decode_one(self, ids: list[int], skip_special_tokens: bool, clean_up: bool | None) -> str:
        text = _backend_call(
            self._tokenizer.decode, ids, skip_special_tokens=skip_special_tokens, failure=_DECODE_FAILURE
        )
        if not _default(clean_up, self.clean_up_tokenization_spaces):
            return text
        if type(self._tokenizer.model).__name__ == "BPE":
            # transformers skips it for BPE: the clean-up is made for WordPiece and removes real spaces
            self._warn_once("bpe clean-up", f"Ignoring clean_up_tokenization_spaces=True for {type(self).__name__}.")
            return text
        return self.clean_up_tokenization(text)

    @staticmethod
    def clean_up_tokenization(text: str) -> str:
        """Remove the spaces WordPiece decoding leaves before punctuation and English contractions."""
        for spaced, joined in _CLEAN_UP:
            text = text.replace(spaced, joined)
        return text

    # --- saving -------------------------------------------------------------------------------------------

    def save_pretrained(self, save_directory: str | os.PathLike) -> tuple[str, ...]:
        """Write tokenizer_config.json, special_tokens_map.json and tokenizer.json, which transformers'
        AutoTokenizer loads back to the same tokenizer; returns the paths written."""
        folder = Path(save_directory)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, content in ((TOKENIZER_CONFIG_FILE, self._config_to_save()),
                              (SPECIAL_TOKENS_MAP_FILE, self._special_tokens_to_save())):
            path = folder / name
            path.write_text(json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(str(path))
        # padding and truncation are per-call state of the backend: save it without them
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._tokenizer.save(str(folder / TOKENIZER_FILE))
        return (*written, str(folder / TOKENIZER_FILE))

    def _config_to_save(self) -> dict[str, Any]:
        cls = type(self)
        return {
            **self.init_kwargs,
            **{key: getattr(self, key) for key in self.backend_settings},
            "model_max_length": self.model_max_length,
            "padding_side": self.padding_side,
            "truncation_side": self.truncation_side,
            "model_input_names": self.model_input_names,
            "clean_up_tokenization_spaces": self.clean_up_tokenization_spaces,
            "split_special_tokens": self.split_special_tokens,
            **self._special_tokens_to_save(),
            "added_tokens_decoder": {str(i): token.__getstate__() for i, token in self.added_tokens_decoder.items()},
            # transformers names the class without "Fast" (its slow and fast classes are one since v5)
            "tokenizer_class": cls.__name__ if cls is PreTrainedTokenizerFast else cls.__name__.removesuffix("Fast"),
        }

    def _special_tokens_to_save(self) -> dict[str, Any]:
        tokens: dict[str, Any] = dict(self.special_tokens_map)
        if self._extra_special_tokens:
            tokens["additional_special_tokens"] = self.extra_special_tokens
        return tokens

    def __repr__(self) -> str:
        added = "\n\t".join(f"{index}: {token!r}," for index, token in self.added_tokens_decoder.items())
        added = f"\n\t{added}\n" if added else ""
        return (
            f"{type(self).__name__}(name_or_path='{self.name_or_path}', vocab_size={self.vocab_size}, "
            f"model_max_length={self.model_max_length}, padding_side='{self.padding_side}', "
            f"truncation_side='{self.truncation_side}', special_tokens={self.special_tokens_map}, "
            f"added_tokens_decoder={{{added}}})"
        )


TokenizersBackend = PreTrainedTokenizerFast  # transformers v5's name for the generic fast tokenizer


# --- model-specific tokenizers ----------------------------------------------------------------------------


class BertTokenizerFast(PreTrainedTokenizerFast):
    """BERT's WordPiece tokenizer: lower-casing and accent stripping per the settings, [CLS] A [SEP] B [SEP]."""

    model_input_names = ["input_ids", "token_type_ids", "attention_mask"]
    backend_settings = {"do_lower_case": True, "tokenize_chinese_chars": True, "strip_accents": None}
    default_special_tokens = {
        "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]",
    }
    model_kind = "WordPiece"

    @classmethod
    def _model_from_json(cls, checkpoint: Checkpoint, data: dict[str, Any], backend: Tokenizer) -> dict[str, Any]:
        _check_model_kind(checkpoint, cls, backend)
        vocab = data["model"]["vocab"]
        _record_vocab(checkpoint, cls, TOKENIZER_FILE, len(vocab), "WordPiece vocabulary from tokenizer.json")
        return {"vocab": vocab}

    @classmethod
    def _model_from_vocab_files(cls, checkpoint: Checkpoint) -> dict[str, Any]:
        path = checkpoint.require("vocab.txt", f"{cls.__name__} (there is no tokenizer.json)")
        vocab = _read_vocab_file(WordPiece.read_file, checkpoint.name_of("vocab.txt"), str(path))
        _record_vocab(checkpoint, cls, "vocab.txt", len(vocab), "WordPiece built from vocab.txt (no tokenizer.json)")
        return {"vocab": vocab}

    def _build(self, vocab: Any, merges: list[tuple[str, str]] | None) -> Tokenizer:
        model = _settings_call(self, WordPiece, vocab=_required_vocab(self, vocab), unk_token=str(self.unk_token))
        tokenizer = Tokenizer(model)
        tokenizer.normalizer = _settings_call(
            self, normalizers.BertNormalizer, clean_text=True, handle_chinese_chars=self.tokenize_chinese_chars,
            strip_accents=self.strip_accents, lowercase=self.do_lower_case,
        )
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tokenizer.decoder = decoders.WordPiece(prefix="##")
        return tokenizer

    def _post_processor(self) -> processors.PostProcessor:
        cls, sep = _required_tokens(self, "cls_token", "sep_token")
        return processors.TemplateProcessing(
            single=f"{cls}:0 $A:0 {sep}:0",
            pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
            special_tokens=[(cls, self.cls_token_id), (sep, self.sep_token_id)],
        )


class DistilBertTokenizerFast(BertTokenizerFast):
    """BERT's tokenizer without token type ids (DistilBERT has no segment embeddings)."""

    model_input_names = ["input_ids", "attention_mask"]


class RobertaTokenizerFast(PreTrainedTokenizerFast):
    """RoBERTa's byte-level BPE: spaces belong to the following token, <s> A </s></s> B </s>."""

    backend_settings = {"add_prefix_space": False, "trim_offsets": True, "errors": "replace"}
    default_special_tokens = {
        "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>",
        "pad_token": "<pad>", "mask_token": "<mask>",
    }
    model_kind = "BPE"

    @classmethod
    def _model_from_json(cls, checkpoint: Checkpoint, data: dict[str, Any], backend: Tokenizer) -> dict[str, Any]:
        _check_model_kind(checkpoint, cls, backend)
        vocab, merges = data["model"]["vocab"], data["model"]["merges"]
        _record_vocab(checkpoint, cls, TOKENIZER_FILE, len(vocab), "BPE vocabulary and merges from tokenizer.json")
        # merges are "a b" strings in older files, ["a", "b"] pairs in newer ones
        return {"vocab": vocab, "merges": [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]}

    @classmethod
    def _model_from_vocab_files(cls, checkpoint: Checkpoint) -> dict[str, Any]:
        needed_for = f"{cls.__name__} (there is no tokenizer.json)"
        vocab_path = checkpoint.require("vocab.json", needed_for)
        merges_path = checkpoint.require("merges.txt", needed_for)
        names = f"{checkpoint.name_of('vocab.json')} / {checkpoint.name_of('merges.txt')}"
        vocab, merges = _read_vocab_file(BPE.read_file, names, str(vocab_path), str(merges_path))
        result = "BPE built from vocab.json + merges.txt (no tokenizer.json)"
        _record_vocab(checkpoint, cls, "vocab.json", len(vocab), result)
        return {"vocab": vocab, "merges": merges}

    def _build(self, vocab: Any, merges: list[tuple[str, str]] | None) -> Tokenizer:
        model = _settings_call(
            self, BPE, vocab=_required_vocab(self, vocab), merges=merges or [], dropout=None,
            continuing_subword_prefix="", end_of_word_suffix="", fuse_unk=False,
        )
        tokenizer = Tokenizer(model)
        tokenizer.pre_tokenizer = _settings_call(self, pre_tokenizers.ByteLevel, add_prefix_space=self.add_prefix_space)
        tokenizer.decoder = decoders.ByteLevel()
        return tokenizer

    def _post_processor(self) -> processors.PostProcessor:
        cls, sep = _required_tokens(self, "cls_token", "sep_token")
        return processors.RobertaProcessing(
            (sep, self.sep_token_id), (cls, self.cls_token_id),
            trim_offsets=bool(self.trim_offsets), add_prefix_space=bool(self.add_prefix_space),
        )


class XLMRobertaTokenizerFast(PreTrainedTokenizerFast):
    """XLM-RoBERTa's SentencePiece (Unigram) tokenizer; loads from tokenizer.json only."""

    backend_settings = {"add_prefix_space": True}
    default_special_tokens = RobertaTokenizerFast.default_special_tokens
    model_kind = "Unigram"
    unk_id = 3  # transformers v5 hard-codes it: XLM-R vocabularies start with <s> <pad> </s> <unk>

    def __init__(self, tokenizer_object: Tokenizer | None = None, *, precompiled_charsmap: bytes | None = None,
                 **kwargs: Any) -> None:
        self._precompiled_charsmap = precompiled_charsmap
        super().__init__(tokenizer_object, **kwargs)

    @classmethod
    def _model_from_json(cls, checkpoint: Checkpoint, data: dict[str, Any], backend: Tokenizer) -> dict[str, Any]:
        _check_model_kind(checkpoint, cls, backend)
        vocab = [tuple(entry) for entry in data["model"]["vocab"]]
        _record_vocab(checkpoint, cls, TOKENIZER_FILE, len(vocab), "Unigram vocabulary from tokenizer.json")
        return {"vocab": vocab, "precompiled_charsmap": _precompiled_charsmap(data.get("normalizer"))}

    @classmethod
    def _model_from_vocab_files(cls, checkpoint: Checkpoint) -> dict[str, Any]:
        raise _no_tokenizer_json(
            checkpoint,
            f"explorer does not convert sentencepiece.bpe.model to {cls.__name__}; save the tokenizer once with "
            "transformers to get a tokenizer.json",
        )

    def _build(self, vocab: Any, merges: list[tuple[str, str]] | None) -> Tokenizer:
        tokenizer = Tokenizer(_settings_call(self, Unigram, vocab=_required_vocab(self, vocab), unk_id=self.unk_id,
                                             byte_fallback=False))
        if self._precompiled_charsmap is not None:
            charsmap = self._precompiled_charsmap
            tokenizer.normalizer = _settings_call(self, normalizers.Precompiled, precompiled_charsmap=charsmap)
        prepend_scheme = "always" if self.add_prefix_space else "never"
        metaspace = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme=prepend_scheme)
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), metaspace])
        tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme=prepend_scheme)
        return tokenizer

    def _post_processor(self) -> processors.PostProcessor:
        bos, eos = _required_tokens(self, "bos_token", "eos_token")
        return processors.TemplateProcessing(
            single=[bos, "$A", eos],
            pair=[bos, "$A", eos, eos, "$B", eos],
            special_tokens=[(bos, self.bos_token_id), (eos, self.eos_token_id)],
        )


# transformers v5 names: its slow and fast classes are one class now
BertTokenizer = BertTokenizerFast
DistilBertTokenizer = DistilBertTokenizerFast
RobertaTokenizer = RobertaTokenizerFast
XLMRobertaTokenizer = XLMRobertaTokenizerFast


def tokenizer_class_from_name(name: str) -> type[PreTrainedTokenizerFast] | None:
    """Our class for a ``tokenizer_class`` of tokenizer_config.json ("BertTokenizer", "BertTokenizerFast",
    "TokenizersBackend"...), or None if the registry has none (slow names map to the fast class)."""
    from .registry import TOKENIZERS

    if name in ("PreTrainedTokenizerFast", "TokenizersBackend"):
        return PreTrainedTokenizerFast
    return TOKENIZERS.by_class_name(name) or TOKENIZERS.by_class_name(name + "Fast")


# --- reading the checkpoint's files -----------------------------------------------------------------------


def _read_tokenizer_json(checkpoint: Checkpoint) -> tuple[dict[str, Any], Tokenizer] | None:
    """tokenizer.json as JSON and as a backend, or None if absent; anything unreadable names the file."""
    path = checkpoint.get(TOKENIZER_FILE)
    if path is None:
        return None
    name = checkpoint.name_of(TOKENIZER_FILE)
    data = load_json_file(path, name)
    try:
        backend = _backend_call(Tokenizer.from_str, path.read_text(encoding="utf-8"), failure="")
    except errors.TokenizerInputError as exc:
        raise errors.MalformedFileError(
            f"{name} is JSON but the tokenizers library cannot load it ({exc}). Re-save it with "
            "transformers' save_pretrained or tokenizers' Tokenizer.save."
        ) from None
    return data, backend


def _read_settings(
    checkpoint: Checkpoint, kwargs: dict[str, Any], tokenizer_json: tuple[dict[str, Any], Tokenizer] | None
) -> tuple[dict[str, Any], dict[int, AddedToken]]:
    """tokenizer_config.json overridden by ``kwargs``, and the added tokens by id. Without ``added_tokens_decoder``
    in the config (files saved before transformers 4.34), special_tokens_map.json, added_tokens.json and
    tokenizer.json's ``added_tokens`` supply them, as transformers reads them."""
    config_name = checkpoint.name_of(TOKENIZER_CONFIG_FILE)
    config = checkpoint.read_json(TOKENIZER_CONFIG_FILE) or {}
    settings = {key: value for key, value in config.items() if key not in _NOT_SETTINGS}
    settings.update(kwargs)
    if "additional_special_tokens" in settings and not settings.get("extra_special_tokens"):
        settings["extra_special_tokens"] = settings.pop("additional_special_tokens")
    if isinstance(settings.get("extra_special_tokens"), Mapping):  # v5's named extras: kept as unnamed ones
        settings["extra_special_tokens"] = list(settings["extra_special_tokens"].values())
    if not isinstance(settings.get("extra_special_tokens") or [], (list, tuple)):
        raise errors.ConfigValueError(
            f"{config_name}: extra_special_tokens (additional_special_tokens) must be a list of tokens, not "
            f"{settings['extra_special_tokens']!r}."
        )
    if "added_tokens_decoder" in settings:
        added = _parse_added_tokens_decoder(settings.pop("added_tokens_decoder"), config_name)
    else:
        added = _legacy_added_tokens(checkpoint, settings, kwargs, tokenizer_json)
    by_content = {str(token): token for token in added.values()}
    for key in (*SPECIAL_TOKENS_ATTRIBUTES, "extra_special_tokens"):
        if settings.get(key) is not None:
            settings[key] = _tokens_setting(settings[key], key, config_name)
    for key in SPECIAL_TOKENS_ATTRIBUTES:  # a named token takes the flags (lstrip...) of its added token
        if settings.get(key) is not None:
            settings[key] = by_content.get(str(settings[key]), settings[key])
    return settings, added


def _legacy_added_tokens(
    checkpoint: Checkpoint, settings: dict[str, Any], kwargs: dict[str, Any],
    tokenizer_json: tuple[dict[str, Any], Tokenizer] | None,
) -> dict[int, AddedToken]:
    special_map = checkpoint.read_json(SPECIAL_TOKENS_MAP_FILE) or {}
    if special_map:
        checkpoint.trace.decide(STAGE, checkpoint.name_of(SPECIAL_TOKENS_MAP_FILE), "", None, "special tokens",
                                note="tokenizer_config.json has no added_tokens_decoder")
    for key, value in special_map.items():
        if not kwargs.get(key):  # the caller's arguments win
            settings[key] = _tokens_setting(value, key, checkpoint.name_of(SPECIAL_TOKENS_MAP_FILE), special=True)
    # as transformers v5: the map's additional_special_tokens do not make added_tokens.json's tokens special
    special = {str(settings[key]) for key in SPECIAL_TOKENS_ATTRIBUTES if settings.get(key)}
    special |= {str(token) for token in settings.get("extra_special_tokens") or []}
    if "additional_special_tokens" in settings and not settings.get("extra_special_tokens"):
        settings["extra_special_tokens"] = settings.pop("additional_special_tokens")
    added: dict[int, AddedToken] = {}
    added_vocab = checkpoint.read_json(ADDED_TOKENS_FILE) or {}
    for content, index in added_vocab.items():
        if not isinstance(index, int):
            raise errors.MalformedFileError(
                f"{checkpoint.name_of(ADDED_TOKENS_FILE)}: the id of {content!r} must be an integer, not {index!r}."
            )
        is_special = content in special
        added[index] = AddedToken(content, rstrip=False, lstrip=False, normalized=not is_special, special=is_special)
    if tokenizer_json is not None:
        entries = tokenizer_json[0].get("added_tokens") or []
        added.update(_parse_added_tokens_decoder({entry.get("id"): entry for entry in entries}, TOKENIZER_FILE))
    return added


def _parse_added_tokens_decoder(entries: Any, source: str) -> dict[int, AddedToken]:
    if not isinstance(entries, Mapping):
        raise errors.MalformedFileError(f"{source}: added_tokens_decoder must map ids to tokens.")
    parsed = {}
    for index, entry in entries.items():
        token = entry if isinstance(entry, AddedToken) else _added_token_from_dict(entry)
        if token is None:
            raise errors.MalformedFileError(
                f"{source}: added token {index!r} must be an object with a string 'content' and boolean flags."
            )
        try:
            parsed[int(index)] = token
        except (TypeError, ValueError):
            raise errors.MalformedFileError(f"{source}: added token id {index!r} is not an integer.") from None
    return parsed


def _tokens_setting(value: Any, key: str, source: str, special: bool = False) -> Any:
    """A special token setting (or a list of them) with its AddedToken objects parsed."""
    if isinstance(value, (list, tuple)):
        return [_as_token(item, key, source, special) for item in value]
    return _as_token(value, key, source, special)


def _as_token(value: Any, key: str, source: str, special: bool = False) -> str | AddedToken | None:
    """A token given as a string, an AddedToken, or a serialized AddedToken (``{"content": ...}``)."""
    if value is None or isinstance(value, (str, AddedToken)):
        return value
    token = _added_token_from_dict(value, special)
    if token is None:
        raise errors.ConfigValueError(
            f"{source}: {key} must be a string or an AddedToken object with 'content', not {value!r}."
        )
    return token


def _added_token_from_dict(value: Any, special: bool = False) -> AddedToken | None:
    """A serialized AddedToken (``{"content": ..., "lstrip": ...}``), or None if ``value`` is not one."""
    if not isinstance(value, Mapping) or not isinstance(value.get("content"), str):
        return None
    fields = {name: value[name] for name in _ADDED_TOKEN_FIELDS if name in value}
    if special:
        fields["special"] = True
    try:
        return AddedToken(**fields)
    except TypeError:  # a flag that is not a boolean
        return None


def _special_added_token(value: Any, key: str) -> AddedToken:
    if isinstance(value, AddedToken):
        return value
    if isinstance(value, str):
        return AddedToken(value, rstrip=False, lstrip=False, normalized=False, special=True)
    raise errors.TokenizerInputError(f"add_special_tokens: {key} must be a str or an AddedToken, not {value!r}.")


def _sides_of(data: dict[str, Any]) -> dict[str, str]:
    """transformers takes the default padding and truncation sides from tokenizer.json's saved settings."""
    sides = {}
    for setting, key in (("padding", "padding_side"), ("truncation", "truncation_side")):
        direction = (data.get(setting) or {}).get("direction")
        if isinstance(direction, str):
            sides[key] = direction.lower()
    return sides


def _precompiled_charsmap(normalizer: Any) -> bytes | None:
    """The SentencePiece normalization table saved in tokenizer.json, if any."""
    import base64

    if not isinstance(normalizer, Mapping):
        return None
    candidates = (normalizer.get("normalizers") or []) if normalizer.get("type") == "Sequence" else [normalizer]
    for candidate in candidates:
        if candidate.get("type") == "Precompiled" and candidate.get("precompiled_charsmap"):
            return base64.b64decode(candidate["precompiled_charsmap"])
    return None


def _no_tokenizer_json(checkpoint: Checkpoint, why: str) -> errors.EntryNotFoundError:
    return errors.EntryNotFoundError(
        f"{checkpoint.describe()} has no {checkpoint.name_of(TOKENIZER_FILE)}, and {why}. Pass a checkpoint "
        "that has its tokenizer files."
    )


def _check_model_kind(checkpoint: Checkpoint, cls: type[PreTrainedTokenizerFast], backend: Tokenizer) -> None:
    found = type(backend.model).__name__
    if found != cls.model_kind:
        raise errors.MalformedFileError(
            f"{checkpoint.name_of(TOKENIZER_FILE)} holds a {found} model, but {cls.__name__} builds on "
            f"{cls.model_kind}. Load it with PreTrainedTokenizerFast (which uses the file as it is), or fix "
            "tokenizer_class in tokenizer_config.json."
        )


def _read_vocab_file(reader: Callable[..., Any], name: str, *paths: str) -> Any:
    try:
        return _backend_call(reader, *paths, failure="")
    except errors.TokenizerInputError as exc:
        raise errors.MalformedFileError(f"{name} cannot be read as a vocabulary ({exc}). Re-download it.") from None


def _record_vocab(checkpoint: Checkpoint, cls: type, file: str, size: int, result: str) -> None:
    key = "model.vocab" if file == TOKENIZER_FILE else ""
    checkpoint.trace.decide(
        STAGE, checkpoint.name_of(file), key, f"{size} entries", result,
        note=f"the rest of the pipeline from {cls.__name__}'s settings, as transformers v5 does",
    )


def _record_max_length(checkpoint: Checkpoint, settings: dict[str, Any], kwargs: dict[str, Any]) -> None:
    value = settings.get("model_max_length")
    source = "from_pretrained arguments" if "model_max_length" in kwargs else checkpoint.name_of(TOKENIZER_CONFIG_FILE)
    result = f"model_max_length={value}" if value is not None else "no length limit (VERY_LARGE_INTEGER)"
    checkpoint.trace.decide(STAGE, source, "model_max_length", value, result)


# --- small helpers ----------------------------------------------------------------------------------------

_ENCODE_FAILURE = (
    "The tokenizers library could not encode this input. Check truncation, max_length and stride against the "
    "inputs: truncation='only_second' needs pairs, max_length must leave room for the special tokens and the "
    "truncated text, and stride must be smaller than what each truncated sequence keeps"
)
_DECODE_FAILURE = "The tokenizers library could not convert these ids; pass non-negative integer token ids"


def _backend_call(function: Callable[..., Any], *args: Any, failure: str, **kwargs: Any) -> Any:
    """Call the tokenizers library; its errors, and its Rust panics, become TokenizerInputError."""
    try:
        return function(*args, **kwargs)
    except Exception as exc:
        message = f"{failure} ({type(exc).__name__}: {exc})." if failure else str(exc)
        raise errors.TokenizerInputError(message) from None
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException, a BaseException
        if type(exc).__name__ != "PanicException":
            raise
        message = f"{failure} (Rust panic: {exc})." if failure else f"Rust panic: {exc}"
        raise errors.TokenizerInputError(message) from None


def _settings_call(tokenizer: PreTrainedTokenizerFast, function: Callable[..., Any], **kwargs: Any) -> Any:
    """Build a pipeline part; a vocabulary or a setting it rejects is a ConfigValueError."""
    try:
        return _backend_call(function, failure="", **kwargs)
    except errors.TokenizerInputError as exc:
        settings = ", ".join(tokenizer.backend_settings)
        raise errors.ConfigValueError(
            f"{type(tokenizer).__name__}: cannot build {function.__name__} ({exc}). Check the vocabulary "
            f"files and the settings ({settings}) in tokenizer_config.json."
        ) from None


def _required_vocab(tokenizer: PreTrainedTokenizerFast, vocab: Any) -> Any:
    if vocab is None:
        raise errors.TokenizerInputError(
            f"{type(tokenizer).__name__} needs a vocabulary: pass vocab=, or use from_pretrained."
        )
    return vocab


def _required_tokens(tokenizer: PreTrainedTokenizerFast, *keys: str) -> list[str]:
    missing = [key for key in keys if getattr(tokenizer, key) is None]
    if missing:
        raise errors.ConfigValueError(
            f"{type(tokenizer).__name__} needs {' and '.join(missing)} to frame its inputs; set them in "
            "tokenizer_config.json or pass them to from_pretrained."
        )
    return [getattr(tokenizer, key) for key in keys]


def _strategy(value: Any, named: dict[Any, str], allowed: tuple[str, ...], argument: str) -> str:
    if isinstance(value, bool) or value is None:
        return named[value]
    value = getattr(value, "value", value)  # transformers' PaddingStrategy / TruncationStrategy enums
    if value not in allowed:
        raise errors.TokenizerInputError(
            f"{argument}={value!r} is not valid; use True, False or one of {', '.join(map(repr, allowed))}."
        )
    return value


def _side(value: Any, name: str, error: type[errors.ExplorerError] = errors.ConfigValueError) -> str:
    if value not in SIDES:
        raise error(f"{name} must be 'right' or 'left', not {value!r}.")
    return value


def _input_names(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(name, str) for name in value):
        raise errors.ConfigValueError(f"model_input_names must be a list of names, not {value!r}.")
    return list(value)


def _max_length_setting(value: Any) -> int:
    if value is None:
        return VERY_LARGE_INTEGER
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise errors.ConfigValueError(f"model_max_length must be a non-negative integer, not {value!r}.")
    return value


def _default(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def _is_text(value: Any) -> bool:
    """A string, or a (possibly nested, up to 3 levels) list or tuple whose first leaf is a string."""
    for _ in range(4):
        if isinstance(value, str):
            return True
        if not isinstance(value, (list, tuple)):
            return False
        if not value:
            return True
        value = value[0]
    return False


def _as_batch(text: Any, text_pair: Any, is_split_into_words: bool) -> tuple[list[Any], bool]:
    """The inputs as the backend's batch, and whether the caller passed a batch."""
    for argument, value in (("text", text), ("text_pair", text_pair)):
        if value is not None and not _is_text(value):
            raise errors.TokenizerInputError(
                f"{argument} must be a string (one example), a list of strings (a batch, or one pre-split example "
                "with is_split_into_words=True), a list of lists of strings (a batch of pre-split examples), or "
                f"a list of pairs; got {type(value).__name__}."
            )
    if is_split_into_words:
        is_batched = isinstance(text, (list, tuple)) and bool(text) and isinstance(text[0], (list, tuple))
    else:
        is_batched = isinstance(text, (list, tuple))
    if not is_batched:
        return ([(text, text_pair)] if text_pair else [text]), False
    if text_pair is None:
        return list(text), True
    if isinstance(text_pair, str) or len(text_pair) != len(text):
        raise errors.TokenizerInputError(
            "For a batch, text_pair must be a list as long as text (one second sequence per example)."
        )
    return list(zip(text, text_pair)), True


def _to_python(value: Any) -> Any:
    """Tensors, arrays and numpy scalars as Python lists and ints."""
    if hasattr(value, "tolist"):
        value = value.tolist()  # an object array (ragged rows) gives arrays: they are converted below
    if isinstance(value, Mapping):
        return {key: _to_python(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_python(item) for item in value]
    return value


def _tensor_kind_of(value: Any) -> str | None:
    """'pt' or 'np' if ``value`` (or its first row) is a torch tensor or a numpy array: pad() keeps the kind."""
    first = value[0] if isinstance(value, (list, tuple)) and value else value
    module = type(first).__module__.split(".")[0]
    return {"torch": "pt", "numpy": "np"}.get(module)
