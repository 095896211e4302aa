"""The pure-Python backend: transformers' ``PythonBackend`` (its "slow" tokenizers), for tokenizers that need
no ``tokenizers`` pipeline, such as Wav2Vec2's CTC tokenizer (:mod:`.wav2vec2_ctc`).

A subclass sets its vocabulary, ``encoder`` (token -> id) and ``decoder`` (id -> token), before calling
:meth:`PythonBackend.__init__`, and splits plain text into tokens (:meth:`PythonBackend._tokenize`). This class
keeps the added tokens, cuts the text around them, looks the tokens up, truncates and pads as transformers'
``prepare_for_model`` does. Nothing is added around the tokens, and there are no offsets.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

from tokenizers import AddedToken

from .. import errors
from .base import PreTrainedTokenizerBase, check_side, default_if_none, to_python
from .batch_encoding import BatchEncoding
from .files import SPECIAL_TOKENS_ATTRIBUTES

logger = logging.getLogger(__name__)


class PythonBackend(PreTrainedTokenizerBase):
    """A tokenizer in Python over a vocabulary dict (``encoder`` / ``decoder``) and its added tokens."""

    encoder: dict[str, int]
    decoder: dict[int, str]

    def __init__(self, *, added_tokens_decoder: Mapping[int, AddedToken] | None = None, **settings: Any) -> None:
        """As transformers' PythonBackend: the saved added tokens, then the special tokens the vocabulary lacks."""
        super().__init__(**settings)
        self._added_tokens_decoder: dict[int, AddedToken] = dict(added_tokens_decoder or {})
        self._added_tokens_encoder = {token.content: index for index, token in self._added_tokens_decoder.items()}
        self._add_tokens([t for t in self.all_special_tokens if t not in self._added_tokens_encoder],
                         special_tokens=True)

    # --- vocabulary ---------------------------------------------------------------------------------------

    @property
    def is_fast(self) -> bool:
        return False

    @property
    def vocab_size(self) -> int:
        """The vocabulary, without added tokens."""
        return len(self.decoder)

    def __len__(self) -> int:
        return len(self.get_vocab())

    def get_vocab(self) -> dict[str, int]:
        return {**self.encoder, **self.added_tokens_encoder}

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        return dict(sorted(self._added_tokens_decoder.items()))

    def convert_tokens_to_ids(self, tokens: str | list[str]) -> int | None | list[int | None]:
        if isinstance(tokens, str):
            if tokens in self._added_tokens_encoder:
                return self._added_tokens_encoder[tokens]
            return self.encoder.get(tokens, self.encoder.get(str(self.unk_token)))
        return [self.convert_tokens_to_ids(token) for token in tokens]

    def convert_ids_to_tokens(self, ids: int | list[int], skip_special_tokens: bool = False) -> str | list[str]:
        """Vocabulary entries take precedence over added tokens (as transformers); unknown ids give <unk>."""
        ids = to_python(ids)
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


    # --- added tokens ---------------------------------------------------------------------------------------

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
        """transformers' ``PythonBackend._add_tokens`` with Wav2Vec2's override (strings never strip): the
        only subclass here is Wav2Vec2's CTC tokenizer."""
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
        """The tokens (and whole added tokens) of ``text``, as transformers' slow ``tokenize``."""
        if not isinstance(text, str):
            raise errors.TokenizerInputError(f"tokenize takes a string, not {type(text).__name__}.")
        if default_if_none(split_special_tokens, self.split_special_tokens):
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

    @abstractmethod
    def _tokenize(self, text: str) -> list[str]:
        """The tokens of a piece of text without added tokens."""

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
        lists for one input, one list per row for a batch). Nothing is added around the tokens."""
        if text is None:
            raise errors.TokenizerInputError("Pass the text to tokenize: a string, a list of strings or of pairs.")
        if return_offsets_mapping:
            raise errors.TokenizerInputError(
                f"return_offsets_mapping=True is not available: {type(self).__name__} is a pure-Python tokenizer "
                "(transformers' slow tokenizer ignores the argument)."
            )
        padding, truncation, max_length = self._strategies(padding, truncation, max_length, pad_to_multiple_of, verbose)
        if padding_side is not None:
            check_side(padding_side, "padding_side", errors.TokenizerInputError)
        options = {
            "add_special_tokens": add_special_tokens, "truncation": truncation, "max_length": max_length,
            "stride": stride, "return_token_type_ids": return_token_type_ids,
            "return_overflowing_tokens": return_overflowing_tokens, "return_special_tokens_mask": return_special_tokens_mask,
            "return_length": return_length, "verbose": verbose,
        }
        with_mask = default_if_none(return_attention_mask, "attention_mask" in self.model_input_names)
        pad_options = {"max_length": max_length, "pad_to_multiple_of": pad_to_multiple_of, "padding_side": padding_side,
                       "return_attention_mask": with_mask, "verbose": verbose}
        split = default_if_none(split_special_tokens, self.split_special_tokens)
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
        if default_if_none(return_token_type_ids, "token_type_ids" in self.model_input_names):
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


# --- helpers ----------------------------------------------------------------------------------------------------


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


