"""What a tokenizer call returns: :class:`BatchEncoding`, a dict of fields that also maps tokens to the words and
characters they came from (through the backend's ``tokenizers.Encoding`` of each row)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from tokenizers import Encoding

from .. import errors
from ..batch import BatchFeature


class CharSpan(NamedTuple):
    """Characters ``[start, end)`` of the original string."""

    start: int
    end: int


class TokenSpan(NamedTuple):
    """Tokens ``[start, end)`` of an encoded sequence."""

    start: int
    end: int


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

