"""Adding to a vocabulary, against transformers, for each tokenizer family: what each kind of addition returns
and does to ``len(tokenizer)`` (a new word, a new special token, ``additional_special_tokens``, a duplicate, a
word already in the vocabulary), the ids and encodings that follow, and each library reloading the other's
save with the same ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import transformers

from explorer import AutoTokenizer
from explorer.tokenization import BatchEncoding
from parity import assert_same_encoding, plain

# (call, argument): applied in order to both tokenizers; each call's return value is compared
ADDITIONS = (
    ("add_tokens", ["hobbitses"]),  # a new word
    ("add_tokens", ["hobbitses", "gandalfish"]),  # a duplicate and a new one
    ("add_tokens", ["the"]),  # a word the vocabulary has (counted, as transformers counts it)
    ("add_tokens", [" spaced"]),
    ("add_special_tokens", {"additional_special_tokens": ["<ent>", "<ent2>"]}),
    ("add_special_tokens", {"additional_special_tokens": ["<ent>"]}),  # replaces the list, adds nothing
    ("add_special_tokens", {"cls_token": "<newcls>", "pad_token": "<newpad>"}),
    ("add_tokens_special", ["<tool>", "<ent2>"]),  # add_tokens(..., special_tokens=True), one a duplicate
)
TEXTS = ["the hobbitses met gandalfish<ent> near <tool>", "no additions here", " spaced <ent2>out<newcls>"]


def add(tokenizer: Any, call: str, argument: Any) -> int:
    if call == "add_tokens_special":
        return tokenizer.add_tokens(argument, special_tokens=True)
    return getattr(tokenizer, call)(argument)


def folders(request: pytest.FixtureRequest) -> dict[str, Path]:
    return {
        "bert": request.getfixturevalue("bert_folders")["tokenizer.json"],
        "bert-vocab-txt": request.getfixturevalue("bert_folders")["vocab.txt"],
        "roberta": request.getfixturevalue("roberta_folders")["tokenizer.json"],
        "gpt2": request.getfixturevalue("gpt2_folders")["bos-eos"],
        "llama3": request.getfixturevalue("llama3_folder"),
        "qwen2": request.getfixturevalue("qwen2_folders")["tokenizer.json"],
    }


FAMILIES = ("bert", "bert-vocab-txt", "roberta", "gpt2", "llama3", "qwen2")


@pytest.fixture(params=FAMILIES)
def source(request: pytest.FixtureRequest) -> Path:
    return folders(request)[request.param]


def assert_same_vocabulary(ours: Any, theirs: Any) -> None:
    """Same size, added and special tokens, tokens and encodings of texts using them (``ours`` may be a
    transformers tokenizer loaded from explorer's save)."""
    assert len(ours) == len(theirs)
    assert ours.get_added_vocab() == theirs.get_added_vocab()
    assert ours.all_special_tokens == theirs.all_special_tokens
    assert ours.all_special_ids == theirs.all_special_ids
    for text in TEXTS:
        assert ours.tokenize(text) == theirs.tokenize(text)
    expected = theirs(TEXTS, padding=True)
    encoded = ours(TEXTS, padding=True)
    if isinstance(encoded, BatchEncoding):
        assert_same_encoding(encoded, expected)
    else:  # transformers' load of explorer's save
        assert plain(dict(encoded)) == plain(dict(expected))


def test_each_addition_matches_transformers(source):
    ours, theirs = AutoTokenizer.from_pretrained(source), transformers.AutoTokenizer.from_pretrained(source)
    for call, argument in ADDITIONS:
        assert add(ours, call, argument) == add(theirs, call, argument), (call, argument)
        assert len(ours) == len(theirs), (call, argument)
    assert_same_vocabulary(ours, theirs)


def test_an_added_word_is_one_token(source):
    ours = AutoTokenizer.from_pretrained(source)
    before = ours.tokenize("gandalfish")
    ours.add_tokens(["gandalfish"])
    assert len(before) > 1 and ours.tokenize("gandalfish") == ["gandalfish"]
    assert ours.convert_tokens_to_ids("gandalfish") == len(ours) - 1


def test_each_library_reloads_the_others_save(source, tmp_path):
    """Compared reloaded with reloaded: a changed ``cls_token`` reaches transformers' post-processor only on
    reload (the tokenizer in memory still adds the old one), in explorer as in transformers."""
    ours, theirs = AutoTokenizer.from_pretrained(source), transformers.AutoTokenizer.from_pretrained(source)
    for call, argument in ADDITIONS:
        add(ours, call, argument), add(theirs, call, argument)
    ours.save_pretrained(tmp_path / "ours")
    theirs.save_pretrained(tmp_path / "theirs")
    theirs_reloaded = transformers.AutoTokenizer.from_pretrained(tmp_path / "theirs")
    assert_same_vocabulary(transformers.AutoTokenizer.from_pretrained(tmp_path / "ours"), theirs_reloaded)
    assert_same_vocabulary(AutoTokenizer.from_pretrained(tmp_path / "theirs"), theirs_reloaded)
    assert_same_vocabulary(AutoTokenizer.from_pretrained(tmp_path / "ours"), theirs_reloaded)
