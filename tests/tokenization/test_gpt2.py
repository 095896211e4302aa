"""GPT-2's, Qwen2's and Llama-3-style byte-level BPE tokenizers against transformers' (the oracle), with tiny
tokenizers trained here on a varied corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import transformers

from explorer import AutoTokenizer, errors
from explorer.tokenization import GPT2TokenizerFast, PreTrainedTokenizerFast, Qwen2TokenizerFast
from explorer.tokenization import tokenizer_class_from_name
from parity import assert_same_encoding
from .cases import BPE_CORPUS, BPE_TEXTS, END_OF_TEXT, assert_same_repr

OPTIONS = {"return_offsets_mapping": True, "return_special_tokens_mask": True}


def assert_same_tokenizer(ours: Any, theirs: Any) -> None:
    """Ids, tokens, offsets, masks, padding on both sides, pairs, decoding and the repr over the corpus."""
    assert_same_encoding(ours(BPE_TEXTS, **OPTIONS), theirs(BPE_TEXTS, **OPTIONS))
    pairs = [(BPE_TEXTS[0], BPE_TEXTS[1]), (BPE_TEXTS[4], BPE_TEXTS[7])]
    assert_same_encoding(ours(pairs, **OPTIONS), theirs(pairs, **OPTIONS))
    if theirs.pad_token is not None:
        for side in ("left", "right"):
            padded = {"padding": True, "padding_side": side, "return_tensors": "pt"}
            assert_same_encoding(ours(BPE_TEXTS[:4], **padded), theirs(BPE_TEXTS[:4], **padded))
        truncated = {"truncation": True, "max_length": 12, "padding": "max_length"}
        assert_same_encoding(ours(BPE_TEXTS, **truncated), theirs(BPE_TEXTS, **truncated))
    ids = theirs(BPE_TEXTS)["input_ids"]
    for skip in (False, True):
        assert ours.batch_decode(ids, skip_special_tokens=skip) == theirs.batch_decode(ids, skip_special_tokens=skip)
    assert [ours.tokenize(text) for text in BPE_TEXTS] == [theirs.tokenize(text) for text in BPE_TEXTS]
    assert (ours.bos_token_id, ours.eos_token_id, ours.pad_token_id, ours.unk_token_id) == (
        theirs.bos_token_id, theirs.eos_token_id, theirs.pad_token_id, theirs.unk_token_id)
    assert ours.all_special_tokens == theirs.all_special_tokens
    assert_same_repr(ours, theirs)


def test_byte_level_decoding_restores_the_text(gpt2_folders: dict[str, Path]) -> None:
    ours = GPT2TokenizerFast.from_pretrained(gpt2_folders["tokenizer.json"])
    for text in BPE_TEXTS:
        assert ours.decode(ours(text)["input_ids"]) == text  # emoji, CJK, accents, whitespace runs: byte-exact


@pytest.mark.parametrize("source", ["tokenizer.json", "vocab.json", "bos-eos"])
@pytest.mark.parametrize("add_prefix_space", [None, True])
def test_gpt2_against_transformers(gpt2_folders: dict[str, Path], source: str, add_prefix_space: bool | None) -> None:
    kwargs = {} if add_prefix_space is None else {"add_prefix_space": add_prefix_space}
    ours = GPT2TokenizerFast.from_pretrained(gpt2_folders[source], **kwargs)
    theirs = transformers.GPT2Tokenizer.from_pretrained(gpt2_folders[source], **kwargs)
    assert_same_tokenizer(ours, theirs)
    assert ours.add_bos_token is (source == "bos-eos")
    assert type(AutoTokenizer.from_pretrained(gpt2_folders[source])) is GPT2TokenizerFast
    if add_prefix_space:
        words = [["Hello", "world"], ["byte-level", "BPE", "🤗"]]
        assert_same_encoding(ours(words, is_split_into_words=True), theirs(words, is_split_into_words=True))


@pytest.mark.parametrize("flags", [{"add_bos_token": True}, {"add_eos_token": True},
                                   {"add_bos_token": True, "add_eos_token": True}, {"add_bos_token": False}])
def test_bos_eos_flags(gpt2_folders: dict[str, Path], flags: dict[str, bool]) -> None:
    """Given to from_pretrained they replace tokenizer.json's post-processor (in tokenizer_config.json they do
    not: tokenizer.json's wins); set later they take effect at once."""
    ours = GPT2TokenizerFast.from_pretrained(gpt2_folders["tokenizer.json"], pad_token=END_OF_TEXT, **flags)
    theirs = transformers.GPT2Tokenizer.from_pretrained(gpt2_folders["tokenizer.json"], pad_token=END_OF_TEXT,
                                                         **flags)
    assert_same_tokenizer(ours, theirs)
    ours.add_eos_token = theirs.add_eos_token = not ours.add_eos_token
    assert_same_encoding(ours(BPE_TEXTS, **OPTIONS), theirs(BPE_TEXTS, **OPTIONS))


def test_gpt2_added_tokens_and_save_round_trip(gpt2_folders: dict[str, Path], tmp_path: Path) -> None:
    ours = GPT2TokenizerFast.from_pretrained(gpt2_folders["bos-eos"], padding_side="left")
    ours.add_tokens(["<new>", " spaced"])
    ours.add_special_tokens({"additional_special_tokens": ["<|tool|>"]})
    ours.save_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(theirs) is transformers.GPT2Tokenizer
    assert theirs.padding_side == "left"
    texts = ["Hello <new> world<|tool|>!", BPE_CORPUS[3], *BPE_CORPUS[:2]]
    assert_same_encoding(ours(texts, padding=True), theirs(texts, padding=True))
    assert_same_repr(ours, theirs)
    again = GPT2TokenizerFast.from_pretrained(tmp_path)
    assert_same_encoding(again(texts, padding=True), theirs(texts, padding=True))


def test_qwen2_against_transformers(qwen2_folders: dict[str, Path]) -> None:
    for folder in qwen2_folders.values():
        ours, theirs = Qwen2TokenizerFast.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
        assert type(theirs) is transformers.Qwen2Tokenizer
        assert type(AutoTokenizer.from_pretrained(folder)) is Qwen2TokenizerFast
        assert ours.bos_token is None and ours.eos_token == "<|im_end|>"
        assert_same_tokenizer(ours, theirs)
        texts = ["<|im_start|>user\nHi<|im_end|>\n", "e\u0301 NFC: é"]
        assert_same_encoding(ours(texts, **OPTIONS), theirs(texts, **OPTIONS))
        flagged = {"add_bos_token": True, "add_eos_token": True}  # no bos token: only eos is added
        assert_same_encoding(Qwen2TokenizerFast.from_pretrained(folder, **flagged)(texts),
                             transformers.AutoTokenizer.from_pretrained(folder, **flagged)(texts))


def test_qwen2_save_round_trip(qwen2_folders: dict[str, Path], tmp_path: Path) -> None:
    ours = Qwen2TokenizerFast.from_pretrained(qwen2_folders["tokenizer.json"])
    ours.save_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(theirs) is transformers.Qwen2Tokenizer
    assert theirs.chat_template == ours.chat_template
    assert_same_tokenizer(ours, theirs)


@pytest.mark.parametrize("flags", [{}, {"add_bos_token": False}, {"add_eos_token": True}])
def test_llama3_style_against_transformers(llama3_folder: Path, flags: dict[str, bool]) -> None:
    """Llama 3 names PreTrainedTokenizerFast: tokenizer.json is used as it is (its bos template and
    ignore_merges), and add_bos_token / add_eos_token given to from_pretrained replace the template."""
    ours = AutoTokenizer.from_pretrained(llama3_folder, **flags)
    theirs = transformers.AutoTokenizer.from_pretrained(llama3_folder, **flags)
    assert type(ours) is PreTrainedTokenizerFast
    assert type(theirs) is transformers.TokenizersBackend
    ours.pad_token = theirs.pad_token = "<|end_of_text|>"
    assert_same_tokenizer(ours, theirs)
    # a flag given turns the template's bos off unless add_bos_token is given too
    assert (ours("Hi")["input_ids"][0] == ours.bos_token_id) is (flags.get("add_bos_token", not flags))


def test_class_names_of_tokenizer_config() -> None:
    for name in ("GPT2Tokenizer", "GPT2TokenizerFast"):
        assert tokenizer_class_from_name(name) is GPT2TokenizerFast
    for name in ("Qwen2Tokenizer", "Qwen2TokenizerFast"):
        assert tokenizer_class_from_name(name) is Qwen2TokenizerFast


def test_bad_flags(gpt2_folders: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "vocab.json").write_bytes((gpt2_folders["vocab.json"] / "vocab.json").read_bytes())
    (tmp_path / "merges.txt").write_bytes((gpt2_folders["vocab.json"] / "merges.txt").read_bytes())
    (tmp_path / "tokenizer_config.json").write_text('{"add_bos_token": "yes"}')
    with pytest.raises(errors.ConfigValueError, match="add_bos_token must be true or false"):
        GPT2TokenizerFast.from_pretrained(tmp_path)
    ours = GPT2TokenizerFast.from_pretrained(gpt2_folders["vocab.json"])
    with pytest.raises(errors.TokenizerInputError, match="add_eos_token"):
        ours.add_eos_token = 1
