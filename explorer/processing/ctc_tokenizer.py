"""Wav2Vec2's CTC tokenizer: one token per character, read from ``vocab.json``; decoding undoes CTC.

transformers' ``Wav2Vec2CTCTokenizer`` is a pure-Python ("slow") tokenizer, and so is this one: no
``tokenizers`` backend, no offsets. What a call does to a string, top to bottom (as transformers):

1. **Added tokens first.** The string is cut around the vocabulary's multi-character entries (``<pad>``,
   ``<s>``, ``</s>``, ``<unk>``...), the word delimiter and any added token: leftmost match first, the longest
   one there. The multi-character vocabulary entries strip the spaces on both sides of them.
2. **Characters.** Every other piece is upper-cased when ``do_lower_case`` (the vocabularies are upper case:
   the setting means "accept lower-case input, output lower case"), its spaces become the word delimiter
   ``|``, and it is split into characters. A character missing from the vocabulary is ``<unk>``.
3. **No special tokens** are added; truncation, padding and tensors follow transformers' rules.

Decoding is CTC's: ids -> tokens (special tokens skipped on request, but never the word delimiter), runs of
the same token grouped into one, the pad token (CTC's blank) removed, the word delimiter turned into a
space; lower-cased when ``do_lower_case``. ``output_char_offsets`` / ``output_word_offsets`` also return where
each character and word starts and ends in the id sequence (frames of the model's output).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any, ClassVar

from tokenizers import AddedToken

from .. import errors
from ..hub import Checkpoint, load_json_file, pop_hub_kwargs
from ..resolution import open_checkpoint
from ..outputs import ModelOutput
from ..tokenization import (
    _LOADER_ONLY_KWARGS,
    SPECIAL_TOKENS_ATTRIBUTES,
    STAGE,
    TOKENIZER_CONFIG_FILE,
    BatchEncoding,
    PreTrainedTokenizerFast,
    _as_token,
    _default,
    _max_length_setting,
    _read_settings,
    _record_max_length,
    _side,
    _SpecialToken,
    _to_python,
)
from ..trace import ResolutionTrace

logger = logging.getLogger(__name__)

VOCAB_FILE = "vocab.json"

CharOffsets = list[dict[str, Any]]


@dataclass
class Wav2Vec2CTCTokenizerOutput(ModelOutput):
    """What ``decode`` returns when offsets are asked for: the text, and each character's / word's
    ``start_offset`` and ``end_offset`` in the id sequence (lists of those for ``batch_decode``)."""

    text: list[str] | str | None = None
    char_offsets: list[CharOffsets] | CharOffsets | None = None
    word_offsets: list[CharOffsets] | CharOffsets | None = None


class Wav2Vec2CTCTokenizer:
    """A character-level tokenizer with transformers' ``Wav2Vec2CTCTokenizer`` API. ``vocab`` maps characters
    (and multi-character specials) to ids; with ``target_lang`` it maps language codes to such vocabularies
    (MMS checkpoints)."""

    model_input_names: ClassVar[list[str]] = ["input_ids", "attention_mask"]

    bos_token, bos_token_id = _SpecialToken(), _SpecialToken()
    eos_token, eos_token_id = _SpecialToken(), _SpecialToken()
    unk_token, unk_token_id = _SpecialToken(), _SpecialToken()
    sep_token, sep_token_id = _SpecialToken(), _SpecialToken()
    pad_token, pad_token_id = _SpecialToken(), _SpecialToken()
    cls_token, cls_token_id = _SpecialToken(), _SpecialToken()
    mask_token, mask_token_id = _SpecialToken(), _SpecialToken()

    # Shared with the fast tokenizers, which do not depend on their backend for these: transformers' padding
    # and truncation rules, the special-token lists, encode, the printout. They read only what this class has
    # too (model_max_length, the pad token, padding_side, model_input_names, special_tokens_map...).
    _strategies = PreTrainedTokenizerFast._strategies
    pad = PreTrainedTokenizerFast.pad
    _pad_one = PreTrainedTokenizerFast._pad_one
    _warn_if_too_long = PreTrainedTokenizerFast._warn_if_too_long
    _warn_once = PreTrainedTokenizerFast._warn_once
    clean_up_tokenization = staticmethod(PreTrainedTokenizerFast.clean_up_tokenization)
    added_tokens_encoder = PreTrainedTokenizerFast.added_tokens_encoder
    get_added_vocab = PreTrainedTokenizerFast.get_added_vocab
    pad_token_type_id = PreTrainedTokenizerFast.pad_token_type_id
    extra_special_tokens = PreTrainedTokenizerFast.extra_special_tokens
    all_special_tokens = PreTrainedTokenizerFast.all_special_tokens
    all_special_ids = PreTrainedTokenizerFast.all_special_ids
    encode = PreTrainedTokenizerFast.encode
    __bool__ = PreTrainedTokenizerFast.__bool__
    __repr__ = PreTrainedTokenizerFast.__repr__

    def __init__(
        self,
        vocab_file: str | os.PathLike | None = None,
        *,
        vocab: Mapping[str, Any] | None = None,
        bos_token: str | AddedToken | None = "<s>",
        eos_token: str | AddedToken | None = "</s>",
        unk_token: str | AddedToken | None = "<unk>",
        pad_token: str | AddedToken | None = "<pad>",
        word_delimiter_token: str | AddedToken | None = "|",
        replace_word_delimiter_char: str = " ",
        do_lower_case: bool = False,
        target_lang: str | None = None,
        name_or_path: str | os.PathLike = "",
        added_tokens_decoder: Mapping[int, AddedToken] | None = None,
        **settings: Any,
    ) -> None:
        if vocab is None:
            if vocab_file is None:
                raise errors.TokenizerInputError(
                    "Wav2Vec2CTCTokenizer needs a vocabulary: pass vocab_file= (a vocab.json), vocab= (a dict), or "
                    "use from_pretrained."
                )
            path = Path(vocab_file)
            if not path.is_file():
                raise errors.EntryNotFoundError(f"{str(path)!r} is not a file: pass the path of a vocab.json.")
            vocab = _check_vocab(load_json_file(path, str(path)), str(path))
        self.vocab: dict[str, Any] = dict(vocab)
        self.name_or_path = os.fspath(name_or_path)
        self.resolution_trace: ResolutionTrace | None = None  # set by from_pretrained
        self.do_lower_case = bool(do_lower_case)
        self.replace_word_delimiter_char = replace_word_delimiter_char
        self.target_lang = target_lang
        self.encoder = self._language_vocab(target_lang)
        self.decoder = {index: token for token, index in self.encoder.items()}

        self._special_tokens: dict[str, str | AddedToken | None] = {}
        for key, value in (("bos_token", bos_token), ("eos_token", eos_token), ("unk_token", unk_token),
                           ("pad_token", pad_token)):
            settings.setdefault(key, value)
        for key in SPECIAL_TOKENS_ATTRIBUTES:
            setattr(self, key, _as_token(settings.pop(key, None), key, "the settings"))
        # transformers v5: any other "..._token" setting is a named, model-specific special token
        self._word_delimiter_token = _as_token(word_delimiter_token, "word_delimiter_token", "the settings")
        self._model_special_tokens: dict[str, str | AddedToken] = {}
        if self._word_delimiter_token is not None:
            self._model_special_tokens["word_delimiter_token"] = self._word_delimiter_token
        for key in [k for k, v in settings.items() if k.endswith("_token") and isinstance(v, (str, AddedToken))]:
            self._model_special_tokens[key] = settings.pop(key)
        extras = settings.pop("extra_special_tokens", settings.pop("additional_special_tokens", None)) or []
        self._extra_special_tokens = [_as_token(token, "extra_special_tokens", "the settings") for token in extras]
        self.model_max_length = _max_length_setting(settings.pop("model_max_length", None))
        self.padding_side = _side(settings.pop("padding_side", "right"), "padding_side")
        self.truncation_side = _side(settings.pop("truncation_side", "right"), "truncation_side")
        self.model_input_names = list(settings.pop("model_input_names", self.model_input_names))
        self.clean_up_tokenization_spaces = bool(settings.pop("clean_up_tokenization_spaces", False))
        self.split_special_tokens = bool(settings.pop("split_special_tokens", False))
        settings.pop("model_specific_special_tokens", None)
        self.init_kwargs = settings  # everything else is kept as given, and saved back
        self._warned: set[str] = set()

        # as transformers' PythonBackend, then Wav2Vec2CTCTokenizer.__init__: the saved added tokens, the special
        # tokens the vocabulary lacks, then every multi-character entry as an added token stripping spaces
        self._added_tokens_decoder: dict[int, AddedToken] = dict(added_tokens_decoder or {})
        self._added_tokens_encoder = {token.content: index for index, token in self._added_tokens_decoder.items()}
        self._add_tokens([t for t in self.all_special_tokens if t not in self._added_tokens_encoder],
                         special_tokens=True)
        for token in self.encoder:
            if len(token) > 1:
                self._add_tokens([AddedToken(token, rstrip=True, lstrip=True, normalized=False)])

    def _language_vocab(self, target_lang: str | None) -> dict[str, int]:
        if target_lang is None:
            if any(isinstance(index, Mapping) for index in self.vocab.values()):
                raise errors.ConfigValueError(
                    f"{VOCAB_FILE} holds one vocabulary per language: pass target_lang= (one of "
                    f"{', '.join(sorted(map(str, self.vocab)))[:500]})."
                )
            return _check_vocab(self.vocab, VOCAB_FILE)
        if target_lang not in self.vocab or not isinstance(self.vocab[target_lang], Mapping):
            raise errors.ConfigValueError(
                f"target_lang={target_lang!r} is not a language of this vocabulary (a dict of language -> "
                f"vocabulary is needed). Choose one of: {', '.join(sorted(map(str, self.vocab)))[:500]}."
            )
        return _check_vocab(self.vocab[target_lang], f"{VOCAB_FILE}[{target_lang!r}]")

    # --- loading ------------------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(
        cls, pretrained_model_name_or_path: str | os.PathLike | Checkpoint, *init_inputs: Any, **kwargs: Any
    ) -> Wav2Vec2CTCTokenizer:
        """Load vocab.json with tokenizer_config.json (and, for older checkpoints, special_tokens_map.json and
        added_tokens.json) from a folder, a Hub id or an open :class:`Checkpoint` (sharing its trace). Keyword
        arguments override the files (``do_lower_case=True``, ``target_lang="fra"``...)."""
        if init_inputs:
            raise errors.TokenizerInputError(
                f"{cls.__name__}.from_pretrained takes its settings as keyword arguments, not positionally."
            )
        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        for name in _LOADER_ONLY_KWARGS:
            kwargs.pop(name, None)
        path = checkpoint.require(VOCAB_FILE, cls.__name__)
        vocab = load_json_file(path, checkpoint.name_of(VOCAB_FILE))
        settings, added_tokens = _read_settings(checkpoint, kwargs, None)
        settings.pop("vocab", None)
        nested = settings.get("target_lang") is not None
        checkpoint.trace.decide(
            STAGE, checkpoint.name_of(VOCAB_FILE), "", f"{len(vocab)} entries",
            f"character vocabulary of language {settings['target_lang']!r}" if nested else "character vocabulary",
        )
        _record_max_length(checkpoint, settings, kwargs)
        tokenizer = cls(vocab=vocab, name_or_path=checkpoint.reference, added_tokens_decoder=added_tokens, **settings)
        tokenizer.resolution_trace = checkpoint.trace
        return tokenizer

    # --- vocabulary ---------------------------------------------------------------------------------------

    @property
    def is_fast(self) -> bool:
        return False

    @property
    def vocab_size(self) -> int:
        """The vocabulary (of the target language), without added tokens."""
        return len(self.decoder)

    def __len__(self) -> int:
        return len(self.get_vocab())

    def get_vocab(self) -> dict[str, int]:
        return {**self.encoder, **self.added_tokens_encoder}

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        return dict(sorted(self._added_tokens_decoder.items()))

    def set_target_lang(self, target_lang: str) -> None:
        """Switch a multilingual (nested) vocabulary to another language."""
        if self.vocab == self.encoder:
            raise errors.ConfigValueError("This vocabulary is not multilingual: it has no languages to choose from.")
        self.encoder = self._language_vocab(target_lang)
        self.target_lang = target_lang
        self.decoder = {index: token for token, index in self.encoder.items()}
        for index in [index for index in self._added_tokens_decoder if index in self.decoder]:
            self._added_tokens_encoder.pop(self._added_tokens_decoder.pop(index).content, None)
        for token in self.encoder:
            if len(token) > 1:
                self._add_tokens([AddedToken(token, rstrip=True, lstrip=True, normalized=False)])

    def convert_tokens_to_ids(self, tokens: str | list[str]) -> int | None | list[int | None]:
        if isinstance(tokens, str):
            if tokens in self._added_tokens_encoder:
                return self._added_tokens_encoder[tokens]
            return self.encoder.get(tokens, self.encoder.get(str(self.unk_token)))
        return [self.convert_tokens_to_ids(token) for token in tokens]

    def convert_ids_to_tokens(self, ids: int | list[int], skip_special_tokens: bool = False) -> str | list[str]:
        """Vocabulary entries take precedence over added tokens (as transformers); unknown ids give <unk>."""
        ids = _to_python(ids)
        if isinstance(ids, int):
            return self._id_to_token(ids)
        skipped = set(self.all_special_ids) if skip_special_tokens else set()
        return [self._id_to_token(int(index)) for index in ids if int(index) not in skipped]

    def _id_to_token(self, index: int) -> str:
        if index in self.decoder:
            return self.decoder[index]
        if index in self._added_tokens_decoder:
            return self._added_tokens_decoder[index].content
        return str(self.unk_token)

    # --- special tokens -----------------------------------------------------------------------------------

    @property
    def word_delimiter_token(self) -> str | None:
        return None if self._word_delimiter_token is None else str(self._word_delimiter_token)

    @word_delimiter_token.setter
    def word_delimiter_token(self, value: str | AddedToken | None) -> None:
        self._word_delimiter_token = value

    @property
    def word_delimiter_token_id(self) -> int | None:
        token = self.word_delimiter_token
        return None if token is None else self.convert_tokens_to_ids(token)

    @property
    def special_tokens_map(self) -> dict[str, str]:
        """The named special tokens, then the model's own (``word_delimiter_token``), as transformers v5."""
        named = {key: str(token) for key, token in self._special_tokens.items() if token is not None}
        return {**named, **{key: str(token) for key, token in self._model_special_tokens.items()}}

    def add_tokens(self, new_tokens: str | AddedToken | list[str | AddedToken], special_tokens: bool = False) -> int:
        """Add tokens (kept whole when tokenizing); returns how many are new to the vocabulary."""
        if not new_tokens:
            return 0
        if not isinstance(new_tokens, (list, tuple)):
            new_tokens = [new_tokens]
        return self._add_tokens(list(new_tokens), special_tokens=special_tokens)

    def add_special_tokens(self, special_tokens_dict: Mapping[str, Any]) -> int:
        """Set named special tokens (``{"pad_token": "<blank>"}``) or extra ones, adding what the vocabulary lacks."""
        added: list[AddedToken] = []
        for key, value in special_tokens_dict.items():
            if key in ("additional_special_tokens", "extra_special_tokens"):
                tokens = [AddedToken(t, normalized=False, special=True) if isinstance(t, str) else t for t in value]
                self._extra_special_tokens = tokens
                added += tokens
            elif key in SPECIAL_TOKENS_ATTRIBUTES:
                token = AddedToken(value, normalized=False, special=True) if isinstance(value, str) else value
                setattr(self, key, token)
                added.append(token)
            else:
                raise errors.TokenizerInputError(
                    f"{key!r} is not a special token name. Use one of {', '.join(SPECIAL_TOKENS_ATTRIBUTES)} or "
                    f"'additional_special_tokens'.{errors.closest(key, SPECIAL_TOKENS_ATTRIBUTES)}"
                )
        return self._add_tokens(added, special_tokens=True)

    def _add_tokens(self, new_tokens: list[str | AddedToken], special_tokens: bool = False) -> int:
        """transformers' ``PythonBackend._add_tokens`` with Wav2Vec2's override (strings never strip)."""
        current = self.get_vocab()
        new_index, count = len(current), 0
        for token in new_tokens:
            if not isinstance(token, (str, AddedToken)):
                raise errors.TokenizerInputError(f"Token {token!r} is not a string or an AddedToken.")
            if str(token) == "":
                continue
            if isinstance(token, str):
                token = AddedToken(token, rstrip=False, lstrip=False, normalized=False)
            if special_tokens:
                token.special = True
            if token.content in current:
                index = current[token.content]
            else:
                index = new_index + count
                current[token.content] = index
                count += 1
            if token.special and token.content not in self.all_special_tokens:
                self._extra_special_tokens.append(token)
            self._added_tokens_decoder[index] = token
            self._added_tokens_encoder[token.content] = index
        return count

    # --- encoding -----------------------------------------------------------------------------------------

    def tokenize(self, text: str, split_special_tokens: bool | None = None, **kwargs: Any) -> list[str]:
        """The characters (and whole added tokens) of ``text``, as transformers' slow ``tokenize``."""
        if not isinstance(text, str):
            raise errors.TokenizerInputError(f"tokenize takes a string, not {type(text).__name__}.")
        if _default(split_special_tokens, self.split_special_tokens):
            return self._tokenize(text)
        pieces = _split_on_tokens(text, set(self._added_tokens_encoder))
        for i, piece in enumerate(pieces):
            if piece not in self._added_tokens_encoder:
                continue
            token = self._added_tokens_decoder[self._added_tokens_encoder[piece]]
            left = pieces[i - 1] if i > 0 else None
            right = pieces[i + 1] if i < len(pieces) - 1 else None
            if token.rstrip and right:
                pieces[i + 1] = right.lstrip()
            if token.lstrip and left:
                pieces[i - 1] = left.rstrip()
            if token.single_word:
                if left and left[-1] != " ":
                    pieces[i - 1] += piece
                    pieces[i] = ""
                elif right and right[0] != " ":
                    pieces[i + 1] = piece + pieces[i + 1]
                    pieces[i] = ""
        special = set(self.all_special_tokens)
        tokens: list[str] = []
        for piece in pieces:
            if not piece:
                continue
            if piece in self._added_tokens_encoder or piece in special:
                tokens.append(piece)
            else:
                tokens.extend(self._tokenize(piece))
        return tokens

    def _tokenize(self, text: str) -> list[str]:
        if self.do_lower_case:
            text = text.upper()
        return list(text.replace(" ", str(self.word_delimiter_token)))

    def __call__(
        self,
        text: str | list[str] | list[list[str]] | list[tuple[Any, Any]] | None = None,
        text_pair: str | list[str] | None = None,
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
        split_special_tokens: bool | None = None,
    ) -> BatchEncoding:
        """Encode a string, a pair, or a batch of strings or pairs: ``input_ids`` and ``attention_mask`` (flat
        lists for one input, one list per row for a batch). Nothing is added around the characters."""
        if text is None:
            raise errors.TokenizerInputError("Pass the text to tokenize: a string, a list of strings or of pairs.")
        if return_offsets_mapping:
            raise errors.TokenizerInputError(
                "return_offsets_mapping=True is not available: Wav2Vec2CTCTokenizer is a character-level Python "
                "tokenizer (transformers' slow tokenizer ignores the argument). Each character is one token."
            )
        padding, truncation, max_length = self._strategies(padding, truncation, max_length, pad_to_multiple_of, verbose)
        if padding_side is not None:
            _side(padding_side, "padding_side", errors.TokenizerInputError)
        options = {
            "add_special_tokens": add_special_tokens, "truncation": truncation, "max_length": max_length,
            "stride": stride, "return_token_type_ids": return_token_type_ids,
            "return_overflowing_tokens": return_overflowing_tokens, "return_special_tokens_mask": return_special_tokens_mask,
            "return_length": return_length, "verbose": verbose,
        }
        with_mask = _default(return_attention_mask, "attention_mask" in self.model_input_names)
        pad_options = {"max_length": max_length, "pad_to_multiple_of": pad_to_multiple_of, "padding_side": padding_side,
                       "return_attention_mask": with_mask, "verbose": verbose}
        split = _default(split_special_tokens, self.split_special_tokens)
        if _is_batched(text, is_split_into_words):
            rows = []
            for first, second in _batch_rows(text, text_pair, is_split_into_words):
                ids = self._input_ids(first, is_split_into_words, split)
                pair_ids = None if second is None else self._input_ids(second, is_split_into_words, split)
                rows.append(self._prepare(ids, pair_ids, with_tensors=False, **options))
            batch = {key: [row[key] for row in rows] for key in rows[0]} if rows else {"input_ids": []}
            if return_tensors is not None and return_overflowing_tokens:
                batch.pop("overflowing_tokens", None)
                batch.pop("num_truncated_tokens", None)
            data = dict(self.pad(batch, padding=padding, **pad_options))
            return BatchEncoding(data, tensor_type=return_tensors)
        ids = self._input_ids(text, is_split_into_words, split)
        pair_ids = None if text_pair is None else self._input_ids(text_pair, is_split_into_words, split)
        data = self._prepare(ids, pair_ids, with_tensors=return_tensors is not None, **options)
        data.pop("length", None)  # counted again after padding, as transformers
        if padding != "do_not_pad" or with_mask:
            data = dict(self.pad(data, padding=padding, **pad_options))
        if return_length:
            data["length"] = len(data["input_ids"])
        return BatchEncoding(data, tensor_type=return_tensors, prepend_batch_axis=True)

    def _input_ids(self, text: Any, is_split_into_words: bool, split_special_tokens: bool) -> list[int]:
        """transformers' ``get_input_ids``: a string is tokenized; a list of words (with is_split_into_words)
        too, word by word; a list of tokens is looked up; a list of ids is used as it is."""
        if isinstance(text, str):
            return self.convert_tokens_to_ids(self.tokenize(text, split_special_tokens=split_special_tokens))
        if isinstance(text, (list, tuple)) and text:
            if all(isinstance(item, int) and not isinstance(item, bool) for item in text):
                return list(text)
            if all(isinstance(item, str) for item in text):
                if is_split_into_words:
                    return self.convert_tokens_to_ids(
                        [token for word in text for token in self.tokenize(word, split_special_tokens=split_special_tokens)]
                    )
                return self.convert_tokens_to_ids(list(text))
        raise errors.TokenizerInputError(
            "Input must be a string, a list of strings (tokens, or words with is_split_into_words=True) or a list of "
            f"ids; got {type(text).__name__}{' (empty)' if isinstance(text, (list, tuple)) else ''}."
        )

    def _prepare(
        self, ids: list[int], pair_ids: list[int] | None, *, with_tensors: bool, add_special_tokens: bool,
        truncation: str, max_length: int | None, stride: int, return_token_type_ids: bool | None,
        return_overflowing_tokens: bool, return_special_tokens_mask: bool, return_length: bool, verbose: bool,
    ) -> dict[str, Any]:
        """transformers' ``prepare_for_model`` without padding: truncation, then the fields of one row."""
        if return_overflowing_tokens and truncation == "longest_first" and pair_ids is not None:
            raise errors.TokenizerInputError(
                "Not possible to return overflowing tokens for pair of sequences with the `longest_first`. Please "
                "select another truncation strategy than `longest_first`, for instance `only_second` or `only_first`."
            )
        total = len(ids) + len(pair_ids or [])
        overflowing: list[int] = []
        if truncation != "do_not_truncate" and max_length and total > max_length:
            ids, pair_ids, overflowing = self.truncate_sequences(
                ids, pair_ids, num_tokens_to_remove=total - max_length, truncation_strategy=truncation, stride=stride
            )
        sequence = ids + (pair_ids or [])
        data: dict[str, Any] = {"input_ids": sequence}
        if _default(return_token_type_ids, "token_type_ids" in self.model_input_names):
            second = len(pair_ids) if add_special_tokens and pair_ids is not None else 0
            data["token_type_ids"] = [0] * (len(sequence) - second) + [1] * second
        if return_special_tokens_mask:
            data["special_tokens_mask"] = [0] * len(sequence)
        if return_overflowing_tokens and not with_tensors and overflowing:
            data["overflowing_tokens"] = overflowing
            data["num_truncated_tokens"] = total - max_length if max_length else 0
        self._warn_if_too_long(sequence, max_length, verbose)
        if return_length:
            data["length"] = len(sequence)
        return data

    def truncate_sequences(
        self, ids: list[int], pair_ids: list[int] | None = None, num_tokens_to_remove: int = 0,
        truncation_strategy: str = "longest_first", stride: int = 0,
    ) -> tuple[list[int], list[int] | None, list[int]]:
        """transformers' ``truncate_sequences``: the kept ids, the kept pair ids and the overflowing ids."""
        if num_tokens_to_remove <= 0:
            return ids, pair_ids, []
        strategy = getattr(truncation_strategy, "value", truncation_strategy)
        overflowing: list[int] = []
        right = self.truncation_side == "right"
        if strategy == "only_first" or (strategy == "longest_first" and pair_ids is None):
            window = min(len(ids), stride + num_tokens_to_remove)
            overflowing = ids[-window:] if right else ids[:window]
            ids = ids[:-num_tokens_to_remove] if right else ids[num_tokens_to_remove:]
        elif strategy == "longest_first":
            logger.warning(
                "Be aware, overflowing tokens are not returned for the setting you have chosen, i.e. sequence pairs "
                "with the 'longest_first' truncation strategy. So the returned list will always be empty even if "
                "some tokens have been removed."
            )
            assert pair_ids is not None
            first_remove = min(abs(len(pair_ids) - len(ids)), num_tokens_to_remove)
            second_remove = num_tokens_to_remove - first_remove
            if len(ids) > len(pair_ids):
                ids_to_move, pair_to_move = first_remove + second_remove // 2, second_remove - second_remove // 2
            else:
                ids_to_move, pair_to_move = second_remove // 2, first_remove + second_remove - second_remove // 2
            if right:
                ids = ids[:-ids_to_move] if ids_to_move > 0 else ids
                pair_ids = pair_ids[:-pair_to_move] if pair_ids and pair_to_move > 0 else pair_ids
            else:
                ids = ids[ids_to_move:]
                pair_ids = pair_ids[pair_to_move:] if pair_ids else None
        elif strategy == "only_second" and pair_ids:
            window = min(len(pair_ids), stride + num_tokens_to_remove)
            overflowing = pair_ids[-window:] if right else pair_ids[:window]
            pair_ids = pair_ids[:-num_tokens_to_remove] if right else pair_ids[num_tokens_to_remove:]
        return ids, pair_ids, overflowing

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        return 0

    def get_special_tokens_mask(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None, already_has_special_tokens: bool = False
    ) -> list[int]:
        if already_has_special_tokens:
            if token_ids_1 is not None:
                raise errors.TokenizerInputError(
                    "You should not supply a second sequence if the provided sequence of ids is already formatted "
                    "with special tokens for the model."
                )
            special = set(self.all_special_ids)
            return [1 if int(index) in special else 0 for index in token_ids_0]
        return [0] * (len(token_ids_0) + len(token_ids_1 or []))

    # --- decoding -----------------------------------------------------------------------------------------

    def decode(
        self,
        token_ids: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        output_char_offsets: bool = False,
        output_word_offsets: bool = False,
        group_tokens: bool = True,
        spaces_between_special_tokens: bool = False,
    ) -> str | Wav2Vec2CTCTokenizerOutput | list[Any]:
        """CTC decoding of one id sequence (e.g. the argmax of the logits): repeats grouped, blanks (the pad
        token) dropped, word delimiters as spaces. With offsets asked for, a :class:`Wav2Vec2CTCTokenizerOutput`.
        A batch (list of lists, 2-D tensor) gives a list, as :meth:`batch_decode`."""
        ids = _to_python(token_ids)
        if isinstance(ids, Mapping):
            ids = ids["input_ids"]
        if isinstance(ids, int):
            ids = [ids]
        options = {"skip_special_tokens": skip_special_tokens, "clean_up_tokenization_spaces": clean_up_tokenization_spaces,
                   "output_char_offsets": output_char_offsets, "output_word_offsets": output_word_offsets,
                   "group_tokens": group_tokens, "spaces_between_special_tokens": spaces_between_special_tokens}
        if ids and isinstance(ids[0], list):
            return self.batch_decode(ids, **options)
        return self._decode(ids, **options)

    def batch_decode(
        self,
        sequences: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        output_char_offsets: bool = False,
        output_word_offsets: bool = False,
        **kwargs: Any,
    ) -> list[str] | Wav2Vec2CTCTokenizerOutput:
        """:meth:`decode` of each row; with offsets, one :class:`Wav2Vec2CTCTokenizerOutput` of lists."""
        rows = _to_python(sequences)
        decoded = [
            self._decode(row, skip_special_tokens=skip_special_tokens,
                         clean_up_tokenization_spaces=clean_up_tokenization_spaces,
                         output_char_offsets=output_char_offsets, output_word_offsets=output_word_offsets, **kwargs)
            for row in rows
        ]
        if not (output_char_offsets or output_word_offsets):
            return decoded
        return Wav2Vec2CTCTokenizerOutput(
            text=[row.text for row in decoded],
            char_offsets=[row.char_offsets for row in decoded] if output_char_offsets else None,
            word_offsets=[row.word_offsets for row in decoded] if output_word_offsets else None,
        )

    def _decode(
        self, ids: Any, skip_special_tokens: bool = False, clean_up_tokenization_spaces: bool | None = None,
        output_char_offsets: bool = False, output_word_offsets: bool = False, group_tokens: bool = True,
        spaces_between_special_tokens: bool = False,
    ) -> str | Wav2Vec2CTCTokenizerOutput:
        if isinstance(ids, int):
            ids = [ids]
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise errors.TokenizerInputError("decode takes a sequence of integer ids (a list, array or 1-D tensor).")
        tokens = self.convert_ids_to_tokens(ids)
        if skip_special_tokens:  # the word delimiter is special but always kept: it is the space between words
            special = set(self.all_special_tokens) - {self.word_delimiter_token}
            tokens = [token for token in tokens if token not in special]
        result = self.convert_tokens_to_string(
            tokens, group_tokens=group_tokens, spaces_between_special_tokens=spaces_between_special_tokens,
            output_char_offsets=output_char_offsets, output_word_offsets=output_word_offsets,
        )
        text = result["text"]
        if _default(clean_up_tokenization_spaces, self.clean_up_tokenization_spaces):
            text = self.clean_up_tokenization(text)
        if output_char_offsets or output_word_offsets:
            return Wav2Vec2CTCTokenizerOutput(text=text, char_offsets=result["char_offsets"],
                                              word_offsets=result["word_offsets"])
        return text

    def convert_tokens_to_string(
        self, tokens: list[str], group_tokens: bool = True, spaces_between_special_tokens: bool = False,
        output_char_offsets: bool = False, output_word_offsets: bool = False,
    ) -> dict[str, Any]:
        """CTC tokens -> ``{"text", "char_offsets", "word_offsets"}`` (offsets None unless asked for)."""
        if not tokens:
            return {"text": "", "char_offsets": [], "word_offsets": []}
        if group_tokens:
            runs = [(token, len(list(run))) for token, run in groupby(tokens)]
        else:
            runs = [(token, 1) for token in tokens]
        blank, delimiter = str(self.pad_token), self.word_delimiter_token
        chars = [self.replace_word_delimiter_char if token == delimiter else token for token, _ in runs if token != blank]
        char_offsets = word_offsets = None
        if output_char_offsets or output_word_offsets:
            char_offsets, end = [], 0
            for token, repeats in runs:  # [start, end) of each run, blanks left out
                start, end = end, end + repeats
                if token != blank:
                    char_offsets.append({"char": token, "start_offset": start, "end_offset": end})
            for offset, char in zip(char_offsets, chars):
                offset["char"] = char
            if output_word_offsets:
                word_offsets = _word_offsets(char_offsets, self.replace_word_delimiter_char)
            if not output_char_offsets:
                char_offsets = None
        text = (" " if spaces_between_special_tokens else "").join(chars).strip()
        if self.do_lower_case:
            text = text.lower()
        return {"text": text, "char_offsets": char_offsets, "word_offsets": word_offsets}

    # --- saving -------------------------------------------------------------------------------------------

    def save_pretrained(self, save_directory: str | os.PathLike) -> tuple[str, ...]:
        """Write tokenizer_config.json and vocab.json (transformers v5's files for this tokenizer), which
        transformers' AutoTokenizer loads back to the same tokenizer; returns the paths written."""
        folder = Path(save_directory)
        folder.mkdir(parents=True, exist_ok=True)
        config_path, vocab_path = folder / TOKENIZER_CONFIG_FILE, folder / VOCAB_FILE
        config_path.write_text(_json(self._config_to_save()), encoding="utf-8")
        vocab_path.write_text(_json(self.vocab), encoding="utf-8")
        return str(config_path), str(vocab_path)

    def _config_to_save(self) -> dict[str, Any]:
        extra = {"extra_special_tokens": self.extra_special_tokens} if self._extra_special_tokens else {}
        return {
            **self.init_kwargs,
            "do_lower_case": self.do_lower_case,
            "replace_word_delimiter_char": self.replace_word_delimiter_char,
            "target_lang": self.target_lang,
            "model_max_length": self.model_max_length,
            "padding_side": self.padding_side,
            "truncation_side": self.truncation_side,
            "model_input_names": self.model_input_names,
            "clean_up_tokenization_spaces": self.clean_up_tokenization_spaces,
            "split_special_tokens": self.split_special_tokens,
            **self.special_tokens_map,
            **extra,
            "added_tokens_decoder": {str(i): token.__getstate__() for i, token in self.added_tokens_decoder.items()},
            "tokenizer_class": type(self).__name__,
        }


# --- helpers ----------------------------------------------------------------------------------------------------


def _check_vocab(vocab: Any, source: str) -> dict[str, Any]:
    """A flat vocabulary (token -> int id) or a multilingual one (language -> such a vocabulary)."""
    if not isinstance(vocab, Mapping) or not vocab:
        raise errors.MalformedFileError(f"{source} must be a non-empty JSON object mapping tokens to ids.")
    for token, index in vocab.items():
        if isinstance(index, Mapping):
            continue
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise errors.MalformedFileError(
                f"{source}: the id of {token!r} must be a non-negative integer, not {index!r}."
            )
    return dict(vocab)


def _split_on_tokens(text: str, tokens: set[str]) -> list[str]:
    """``text`` cut around the occurrences of ``tokens``: at each point the leftmost match, and the longest one
    starting there (what transformers' Trie.split finds)."""
    tokens = {token for token in tokens if token}
    if not tokens:
        return [text]
    lengths = sorted({len(token) for token in tokens}, reverse=True)
    pieces, start, i = [], 0, 0
    while i < len(text):
        match = next((n for n in lengths if text[i:i + n] in tokens), 0)
        if not match:
            i += 1
            continue
        if i > start:
            pieces.append(text[start:i])
        pieces.append(text[i:i + match])
        i = start = i + match
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _is_batched(text: Any, is_split_into_words: bool) -> bool:
    """transformers' rule for the slow tokenizers' ``_encode_plus``."""
    if not isinstance(text, (list, tuple)):
        return False
    if not text:
        return not is_split_into_words
    if is_split_into_words:
        return isinstance(text[0], (list, tuple))
    return isinstance(text[0], (str, list, tuple))


def _batch_rows(text: Any, text_pair: Any, is_split_into_words: bool) -> list[tuple[Any, Any]]:
    """(first, second) per example; an example given as a 2-tuple (or 2-list) of texts is a pair."""
    if text_pair is not None and (not isinstance(text_pair, (list, tuple)) or len(text_pair) != len(text)):
        raise errors.TokenizerInputError("If `text` is a batch, `text_pair` must also be a batch of the same length.")
    rows = []
    for first, second in zip(text, text_pair if text_pair is not None else [None] * len(text)):
        if isinstance(first, (list, tuple)) and first and not isinstance(first[0], int) and second is None:
            is_pair = (
                len(first) == 2
                and (not is_split_into_words or isinstance(first, tuple))
                and all(isinstance(part, (str, list, tuple)) for part in first)
            )
            if is_pair:
                first, second = first
            elif len(first) == 1:
                first = first[0]
            elif not is_split_into_words:
                raise errors.TokenizerInputError(f"Expected a pair of sequences, got {len(first)} sequences.")
        rows.append((first, second))
    return rows


def _word_offsets(char_offsets: CharOffsets, delimiter_char: str = " ") -> CharOffsets:
    """Words from character offsets: a word runs between delimiter characters (transformers' _get_word_offsets)."""
    words: CharOffsets = []
    last_state, word, start, end = "SPACE", "", 0, 0
    for offset in char_offsets:
        char = offset["char"]
        state = "SPACE" if char == delimiter_char else "WORD"
        if state == last_state:
            end = offset["end_offset"]
            word += char
        elif state == "SPACE":
            words.append({"word": word, "start_offset": start, "end_offset": end})
        else:
            start, end, word = offset["start_offset"], offset["end_offset"], char
        last_state = state
    if last_state == "WORD":
        words.append({"word": word, "start_offset": start, "end_offset": end})
    return words


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


__all__ = ["Wav2Vec2CTCTokenizer", "Wav2Vec2CTCTokenizerOutput"]
