"""BatchEncoding: token, word and character alignment, and tensors, against transformers'."""

from __future__ import annotations

from typing import Any

import pytest

from explorer import errors
from explorer.tokenization import BertTokenizerFast
from .cases import LONGISH, PAIR


def test_batch_encoding_alignment(bert: tuple[BertTokenizerFast, Any]) -> None:
    ours, theirs = bert
    texts = [PAIR, ("Café naïve", "hobbit")]
    mine, reference = ours(texts), theirs(texts)
    assert mine.input_ids is mine["input_ids"]
    assert mine[1].ids == reference[1].ids
    assert mine.n_sequences == reference.n_sequences == 2
    assert mine.is_fast
    for batch_index in (0, 1):
        for token_index in range(len(reference.tokens(batch_index))):
            assert mine.token_to_chars(batch_index, token_index) == reference.token_to_chars(batch_index, token_index)
            assert mine.token_to_word(batch_index, token_index) == reference.token_to_word(batch_index, token_index)
            assert mine.token_to_sequence(batch_index, token_index) == reference.token_to_sequence(
                batch_index, token_index
            )
        for char_index in range(10):
            for sequence_index in (0, 1):
                assert mine.char_to_token(batch_index, char_index, sequence_index) == reference.char_to_token(
                    batch_index, char_index, sequence_index
                )
                assert mine.char_to_word(batch_index, char_index, sequence_index) == reference.char_to_word(
                    batch_index, char_index, sequence_index
                )
        for word_index in set(reference.word_ids(batch_index)) - {None}:
            for sequence_index in (0, 1):
                assert mine.word_to_tokens(batch_index, word_index, sequence_index) == reference.word_to_tokens(
                    batch_index, word_index, sequence_index
                )
            assert mine.word_to_chars(batch_index, word_index) == reference.word_to_chars(batch_index, word_index)
        assert mine.word_to_chars(batch_index, 99) is None  # transformers raises a TypeError here
    assert mine.char_to_token(3) == reference.char_to_token(3)
    assert mine.token_to_chars(-2) == mine.token_to_chars(len(mine.tokens()) - 2)
    with pytest.raises(AttributeError):
        mine.not_a_field  # noqa: B018


def test_batch_encoding_tensors(bert: tuple[BertTokenizerFast, Any]) -> None:
    import torch

    ours, _ = bert
    encoded = ours(["short", LONGISH], padding=True)
    assert isinstance(encoded["input_ids"], list)
    assert encoded.convert_to_tensors("pt") is encoded
    assert encoded.input_ids.dtype == torch.int64
    assert encoded.to("cpu") is encoded and encoded["attention_mask"].device.type == "cpu"
    unequal = ours(["short", LONGISH])
    with pytest.raises(errors.TokenizerInputError, match="padding=True"):
        unequal.convert_to_tensors("pt")
    padded = ours.pad(dict(unequal))
    with pytest.raises(errors.TokenizerInputError, match="no encodings"):
        padded.word_ids()
