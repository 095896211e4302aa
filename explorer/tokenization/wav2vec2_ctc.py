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

import os
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any, ClassVar

from tokenizers import AddedToken

from .. import errors
from ..hub import Checkpoint, load_json_file
from ..outputs import ModelOutput
from .base import default_if_none, to_python
from .files import BPE_VOCAB, SPECIAL_TOKENS_ATTRIBUTES, STAGE, as_token, read_settings, write_json
from .python_backend import PythonBackend

VOCAB_FILE = BPE_VOCAB  # a JSON token -> id map, under the name BPE vocabularies use

CharOffsets = list[dict[str, Any]]


@dataclass
class Wav2Vec2CTCTokenizerOutput(ModelOutput):
    """What ``decode`` returns when offsets are asked for: the text, and each character's / word's
    ``start_offset`` and ``end_offset`` in the id sequence (lists of those for ``batch_decode``)."""

    text: list[str] | str | None = None
    char_offsets: list[CharOffsets] | CharOffsets | None = None
    word_offsets: list[CharOffsets] | CharOffsets | None = None


class Wav2Vec2CTCTokenizer(PythonBackend):
    """A character-level tokenizer with transformers' ``Wav2Vec2CTCTokenizer`` API. ``vocab`` maps characters
    (and multi-character specials) to ids; with ``target_lang`` it maps language codes to such vocabularies
    (MMS checkpoints)."""

    extra_special_tokens_key: ClassVar[str] = "extra_special_tokens"  # transformers v5 saves its slow ones so

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
        self.do_lower_case = bool(do_lower_case)
        self.replace_word_delimiter_char = replace_word_delimiter_char
        self.target_lang = target_lang
        self.encoder = self._language_vocab(target_lang)
        self.decoder = {index: token for token, index in self.encoder.items()}
        self._word_delimiter_token = as_token(word_delimiter_token, "word_delimiter_token", "the settings")
        self._model_special_tokens = _model_special_tokens(self._word_delimiter_token, settings)
        super().__init__(bos_token=bos_token, eos_token=eos_token, unk_token=unk_token, pad_token=pad_token, **settings)
        # then, as transformers' Wav2Vec2CTCTokenizer: every multi-character entry is an added token stripping spaces
        self._add_multi_character_entries()

    def _add_multi_character_entries(self) -> None:
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
    def _read_checkpoint(
        cls, checkpoint: Checkpoint, kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[int, AddedToken]]:
        """vocab.json with tokenizer_config.json (and, for older checkpoints, special_tokens_map.json and
        added_tokens.json). Keyword arguments override the files (``do_lower_case=True``, ``target_lang="fra"``...)."""
        vocab = checkpoint.read_json(VOCAB_FILE, needed_for=cls.__name__)
        settings, added_tokens = read_settings(checkpoint, kwargs, None)
        settings.pop("vocab", None)
        nested = settings.get("target_lang") is not None
        checkpoint.trace.decide(
            STAGE, checkpoint.name_of(VOCAB_FILE), "", f"{len(vocab)} entries",
            f"character vocabulary of language {settings['target_lang']!r}" if nested else "character vocabulary",
        )
        return {"vocab": vocab}, settings, added_tokens

    # --- vocabulary ---------------------------------------------------------------------------------------

    def set_target_lang(self, target_lang: str) -> None:
        """Switch a multilingual (nested) vocabulary to another language."""
        if self.vocab == self.encoder:
            raise errors.ConfigValueError("This vocabulary is not multilingual: it has no languages to choose from.")
        self.encoder = self._language_vocab(target_lang)
        self.target_lang = target_lang
        self.decoder = {index: token for token, index in self.encoder.items()}
        for index in [index for index in self._added_tokens_decoder if index in self.decoder]:
            self._added_tokens_encoder.pop(self._added_tokens_decoder.pop(index).content, None)
        self._add_multi_character_entries()

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

    # --- encoding -----------------------------------------------------------------------------------------

    def _tokenize(self, text: str) -> list[str]:
        if self.do_lower_case:
            text = text.upper()
        return list(text.replace(" ", str(self.word_delimiter_token)))

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
        ids = to_python(token_ids)
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
        rows = to_python(sequences)
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
        if default_if_none(clean_up_tokenization_spaces, self.clean_up_tokenization_spaces):
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

    def _save_backend_files(self, folder: Path) -> list[str]:
        """vocab.json (with tokenizer_config.json, transformers v5's files for this tokenizer)."""
        return [write_json(folder / VOCAB_FILE, self.vocab)]

    def _backend_settings_to_save(self) -> dict[str, Any]:
        return {
            "do_lower_case": self.do_lower_case,
            "replace_word_delimiter_char": self.replace_word_delimiter_char,
            "target_lang": self.target_lang,
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


def _model_special_tokens(
    word_delimiter_token: str | AddedToken | None, settings: dict[str, Any]
) -> dict[str, str | AddedToken]:
    """The word delimiter and, as transformers v5, any other "..._token" setting (taken out of ``settings``):
    named special tokens of this model."""
    tokens: dict[str, str | AddedToken] = {}
    if word_delimiter_token is not None:
        tokens["word_delimiter_token"] = word_delimiter_token
    for key, value in list(settings.items()):
        if key.endswith("_token") and key not in SPECIAL_TOKENS_ATTRIBUTES and isinstance(value, (str, AddedToken)):
            tokens[key] = settings.pop(key)
    settings.pop("model_specific_special_tokens", None)
    return tokens


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


__all__ = ["Wav2Vec2CTCTokenizer", "Wav2Vec2CTCTokenizerOutput"]
