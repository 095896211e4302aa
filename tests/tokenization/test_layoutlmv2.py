"""LayoutLMv2's tokenizer against transformers' (the oracle): bert-base-uncased's WordPiece vocabulary (shipped
with all-MiniLM-L6-v2) and a tiny cased one, saved by transformers' LayoutLMv2Tokenizer and loaded by both:
the same ids, token types, masks, boxes and labels for documents (words + boxes), questions about documents,
and batches of them; padded on either side, truncated (with overflow), as lists and tensors; the same padding
of encoded inputs; transformers loads what explorer saves. AutoTokenizer picks the class once a registry row
names it (registered here in a patched registry)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import transformers
from parity import assert_same_encoding, plain
from tokenizers.models import WordPiece

from explorer import AutoTokenizer, errors, registry
from explorer.tokenization.layoutlmv2 import (
    LayoutLMv2Tokenizer,
    LayoutLMv2TokenizerFast,
)
from explorer.tokenization import tokenizer_class_from_name

WORDS = ["Hello", "wonderful", "WORLD", "antidisestablishmentarianism", "!", "naïve", "Café"]
BOXES = [[i, i + 1, i + 10, i + 11] for i in range(0, 70, 10)]
LABELS = [1, 2, 3, 4, 5, 6, 7]
WORDS_2 = ["Invoice", "#", "12345", "total:", "$99.00"]
BOXES_2 = [[100 + i, 200, 150 + i, 220] for i in range(0, 250, 50)]
LABELS_2 = [0, 1, 0, 2, 3]
QUESTION = "What is the total?"
QUESTION_2 = "who said hello"
CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((WORDS,), {"boxes": BOXES}),
    ((WORDS,), {"boxes": BOXES, "word_labels": LABELS}),
    ((WORDS,), {"boxes": BOXES, "word_labels": LABELS, "return_offsets_mapping": True}),
    ((QUESTION, WORDS_2), {"boxes": BOXES_2}),
    ((QUESTION_2, WORDS), {"boxes": BOXES, "word_labels": LABELS}),
    (([WORDS, WORDS_2],), {"boxes": [BOXES, BOXES_2]}),
    (([WORDS, WORDS_2],), {"boxes": [BOXES, BOXES_2], "word_labels": [LABELS, LABELS_2], "padding": True}),
    (([WORDS, WORDS_2],), {"boxes": [BOXES, BOXES_2], "word_labels": [LABELS, LABELS_2], "padding": "max_length",
                           "max_length": 12, "truncation": True, "return_tensors": "pt"}),
    (([QUESTION, QUESTION_2], [WORDS_2, WORDS]), {"boxes": [BOXES_2, BOXES], "padding": True,
                                                 "truncation": "only_second", "max_length": 14, "return_tensors": "np"}),
    (([WORDS, WORDS_2],), {"boxes": [BOXES, BOXES_2], "padding": True, "padding_side": "left",
                           "word_labels": [LABELS, LABELS_2], "return_special_tokens_mask": True, "return_length": True}),
    (([WORDS, WORDS_2],), {"boxes": [BOXES, BOXES_2], "padding": True, "pad_to_multiple_of": 8,
                           "return_attention_mask": False, "return_token_type_ids": False}),
    ((WORDS,), {"boxes": BOXES, "truncation": True, "max_length": 8, "return_overflowing_tokens": True,
                "return_offsets_mapping": True, "stride": 2, "word_labels": LABELS}),
    (([WORDS, WORDS_2],), {"boxes": [BOXES, BOXES_2], "truncation": True, "max_length": 7,
                           "return_overflowing_tokens": True, "return_offsets_mapping": True, "padding": True,
                           "return_tensors": "pt"}),
    ((WORDS,), {"boxes": BOXES, "padding": "max_length", "max_length": 24, "word_labels": LABELS,
                "return_tensors": "pt"}),
    ((WORDS,), {"boxes": BOXES, "add_special_tokens": False, "word_labels": LABELS}),
    ((WORDS,), {"boxes": BOXES, "max_length": 6}),
    (([],), {"boxes": []}),
    (([[], WORDS_2],), {"boxes": [[], BOXES_2], "padding": True}),
    ((("Hello", "world"),), {"boxes": (BOXES[0], BOXES[1])}),
]


@pytest.fixture(scope="module")
def uncased(minilm_path, tmp_path_factory) -> Path:
    """bert-base-uncased's vocabulary, saved by transformers' LayoutLMv2Tokenizer (tokenizer.json and config)."""
    folder = tmp_path_factory.mktemp("layoutlmv2-uncased")
    transformers.LayoutLMv2Tokenizer(vocab=WordPiece.read_file(str(minilm_path / "vocab.txt"))).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def cased(tmp_path_factory) -> Path:
    """A tiny cased WordPiece vocabulary, saved as vocab.txt + tokenizer_config.json only (no tokenizer.json),
    with boxes and labels of its own."""
    folder = tmp_path_factory.mktemp("layoutlmv2-cased")
    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Hello", "hello", "world", "WORLD", "In", "##voice", "#",
              "123", "##45", "total", ":", "$", "99", ".", "00", "!", "Ca", "##f", "##é", "na", "##ï", "##ve",
              "won", "##der", "##ful", "What", "is", "the", "?", "who", "said"]
    (folder / "vocab.txt").write_text("\n".join(pieces) + "\n", encoding="utf-8")
    config = {"tokenizer_class": "LayoutLMv2Tokenizer", "do_lower_case": False, "model_max_length": 16,
              "cls_token_box": [1, 2, 3, 4], "sep_token_box": [999, 999, 999, 999], "pad_token_label": -1,
              "only_label_first_subword": False}
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


@pytest.fixture(scope="module", params=["uncased", "cased"])
def pair(request) -> tuple[LayoutLMv2TokenizerFast, Any]:
    folder = request.getfixturevalue(request.param)
    return LayoutLMv2TokenizerFast.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)


def test_loads_like_transformers(pair):
    ours, theirs = pair
    assert type(theirs).__name__ == "LayoutLMv2Tokenizer"
    assert repr(ours) == repr(theirs).replace("LayoutLMv2Tokenizer(", "LayoutLMv2TokenizerFast(", 1)
    assert ours.get_vocab() == theirs.get_vocab()
    for key in ("cls_token_box", "sep_token_box", "pad_token_box", "pad_token_label", "only_label_first_subword",
                "do_lower_case", "model_max_length", "model_input_names"):
        assert getattr(ours, key) == getattr(theirs, key), key
    assert LayoutLMv2Tokenizer is LayoutLMv2TokenizerFast


@pytest.mark.parametrize(("args", "kwargs"), CALLS, ids=[f"call{i}" for i in range(len(CALLS))])
def test_call(pair, args, kwargs):
    ours, theirs = pair
    assert_same_encoding(ours(*args, **kwargs), theirs(*args, **kwargs))


def test_special_tokens_get_their_boxes(uncased):
    tokenizer = LayoutLMv2TokenizerFast.from_pretrained(uncased)
    encoding = tokenizer(QUESTION, WORDS_2, boxes=BOXES_2, padding="max_length", max_length=24)
    tokens, boxes = encoding.tokens(), encoding["bbox"]
    assert (tokens[0], boxes[0]) == ("[CLS]", [0, 0, 0, 0])
    assert all(box == [1000] * 4 for token, box in zip(tokens, boxes) if token == "[SEP]")
    assert all(box == [0, 0, 0, 0] for token, box in zip(tokens, boxes) if token == "[PAD]")
    question_tokens = encoding.sequence_ids().count(0)
    assert boxes[1:1 + question_tokens] == [[0, 0, 0, 0]] * question_tokens  # the question has no boxes


def test_tokenize_decode_and_pad(pair):
    ours, theirs = pair
    assert ours.tokenize("Hello wonderful WORLD") == theirs.tokenize("Hello wonderful WORLD")
    ids = ours(WORDS, boxes=BOXES)["input_ids"]
    assert ours.decode(ids) == theirs.decode(ids)
    assert ours.decode(ids, skip_special_tokens=True) == theirs.decode(ids, skip_special_tokens=True)
    features = [
        {"input_ids": [101, 7592, 102], "bbox": [[0, 0, 0, 0], [1, 2, 3, 4], [1000] * 4], "labels": [-100, 3, -100]},
        {"input_ids": [101, 102], "bbox": [[0, 0, 0, 0], [1000] * 4], "labels": [-100, -100]},
    ]
    for kwargs in ({}, {"padding_side": "left"}, {"padding": "max_length", "max_length": 5, "return_tensors": "pt"}):
        got, expected = ours.pad(features, **kwargs), theirs.pad(features, **kwargs)
        assert {key: plain(value) for key, value in got.items()} == {k: plain(v) for k, v in expected.items()}
        assert list(got) == list(expected) and [type(v) for v in got.values()] == [type(v) for v in expected.values()]
    assert ours.encode(WORDS, boxes=BOXES) == theirs(WORDS, boxes=BOXES)["input_ids"]


def test_settings_from_arguments(uncased):
    kwargs = {"cls_token_box": [5, 5, 5, 5], "pad_token_box": [7, 7, 7, 7], "only_label_first_subword": False,
              "pad_token_label": -7}
    ours = LayoutLMv2TokenizerFast.from_pretrained(uncased, **kwargs)
    theirs = transformers.AutoTokenizer.from_pretrained(uncased, **kwargs)
    call = {"boxes": BOXES, "word_labels": LABELS, "padding": "max_length", "max_length": 20}
    assert_same_encoding(ours(WORDS, **call), theirs(WORDS, **call))
    other = LayoutLMv2TokenizerFast.from_pretrained(uncased)
    assert other.cls_token_box == [0, 0, 0, 0]  # each tokenizer has its own boxes


def test_save_pretrained_loads_in_transformers(pair, tmp_path):
    ours, theirs = pair
    ours.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert saved["tokenizer_class"] == "LayoutLMv2Tokenizer"
    assert saved["cls_token_box"] == theirs.cls_token_box and saved["sep_token_box"] == theirs.sep_token_box
    reloaded = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(reloaded).__name__ == "LayoutLMv2Tokenizer"
    for args, kwargs in CALLS:
        assert_same_encoding(ours(*args, **kwargs), reloaded(*args, **kwargs))
    again = LayoutLMv2TokenizerFast.from_pretrained(tmp_path)
    assert repr(again).replace(str(tmp_path), "X") == repr(ours).replace(ours.name_or_path, "X")


def test_auto_tokenizer_with_a_registry_row(uncased, monkeypatch):
    """The row AutoTokenizer needs ("layoutlmv2" -> LayoutLMv2TokenizerFast), added to a patched registry."""
    monkeypatch.setattr(registry.TOKENIZERS, "_extra", dict(registry.TOKENIZERS._extra))
    AutoTokenizer.register("layoutlmv2", LayoutLMv2TokenizerFast, exist_ok=True)
    assert tokenizer_class_from_name("LayoutLMv2Tokenizer") is LayoutLMv2TokenizerFast
    tokenizer = AutoTokenizer.from_pretrained(uncased)
    assert type(tokenizer) is LayoutLMv2TokenizerFast
    decisions = [(d.file, d.key, d.value, d.result) for d in tokenizer.resolution_trace.decisions]
    assert ("tokenizer_config.json", "tokenizer_class", "LayoutLMv2Tokenizer", "LayoutLMv2TokenizerFast") in decisions
    assert_same_encoding(tokenizer(WORDS, boxes=BOXES), transformers.AutoTokenizer.from_pretrained(uncased)(WORDS, boxes=BOXES))


def test_refusals(uncased):
    tokenizer = LayoutLMv2TokenizerFast.from_pretrained(uncased)
    cases = [
        (lambda: tokenizer(WORDS), "bounding boxes"),
        (lambda: tokenizer(WORDS, boxes=BOXES[:2]), "as many words as there are bounding boxes"),
        (lambda: tokenizer([WORDS, WORDS_2], boxes=[BOXES]), "equal amount of examples"),
        (lambda: tokenizer([WORDS, WORDS_2], boxes=[BOXES, BOXES]), "as many words"),
        (lambda: tokenizer("a plain string", boxes=[]), "Words must be of type"),
        (lambda: tokenizer(QUESTION, "not a list", boxes=BOXES), "Words must be of type"),
        (lambda: tokenizer(42, WORDS, boxes=BOXES), "text input must"),
        (lambda: tokenizer([QUESTION], [WORDS, WORDS_2], boxes=[BOXES, BOXES_2]), "batch length"),
        (lambda: tokenizer("one two three four five six seven eight", WORDS_2, boxes=BOXES_2, word_labels=LABELS_2),
         "no label for word"),
    ]
    for call, message in cases:
        with pytest.raises(errors.TokenizerInputError, match=message):
            call()
    with pytest.raises(ValueError):  # TokenizerInputError is a ValueError, as transformers raises
        tokenizer(WORDS)
    with pytest.raises(errors.ConfigValueError, match="cls_token_box"):
        LayoutLMv2TokenizerFast.from_pretrained(uncased, cls_token_box=[0, 0])
