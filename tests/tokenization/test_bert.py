"""BERT's and DistilBERT's tokenizers against transformers' (the oracle), with the real bert-base-uncased
vocabulary, from tokenizer.json and from vocab.txt: same ids, masks, offsets, decoded text, special tokens, saved
files; and the tutorial's figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import transformers

from explorer.tokenization import BatchEncoding, BertTokenizerFast, DistilBertTokenizerFast
from parity import assert_same_encoding, plain
from .cases import (
    CORPUS,
    HOBBIT,
    HOBBIT_IDS,
    LONG,
    LONGISH,
    PAIR,
    PIPELINE_INPUTS,
    PIPELINE_ROWS,
    assert_same_repr,
    fresh_bert,
)


def test_tutorial_hobbit(minilm_path: Path) -> None:
    tokenizer = BertTokenizerFast.from_pretrained(minilm_path)
    encoded = tokenizer(HOBBIT)
    assert encoded["input_ids"] == HOBBIT_IDS
    assert encoded.token_type_ids == [0] * 15
    assert encoded.attention_mask == [1] * 15
    assert tokenizer.tokenize("hobbit") == ["ho", "##bb", "##it"]


def test_tutorial_repr(minilm_path: Path) -> None:
    tokenizer = BertTokenizerFast.from_pretrained(minilm_path)
    text = repr(tokenizer)
    assert text.startswith(f"BertTokenizerFast(name_or_path='{minilm_path}', vocab_size=30522, model_max_length=512,")
    assert "padding_side='right', truncation_side='right'" in text
    for index, token in ((0, "[PAD]"), (100, "[UNK]"), (101, "[CLS]"), (102, "[SEP]"), (103, "[MASK]")):
        assert f'\t{index}: AddedToken("{token}", rstrip=False, lstrip=False' in text
    assert_same_repr(tokenizer, transformers.AutoTokenizer.from_pretrained(minilm_path))


def test_tutorial_distilbert(minilm_path: Path) -> None:
    tokenizer = DistilBertTokenizerFast.from_pretrained(minilm_path)
    encoded = tokenizer("This restaurant is awesome", return_tensors="pt")
    assert list(encoded) == ["input_ids", "attention_mask"]
    assert encoded["input_ids"].tolist() == [[101, 2023, 4825, 2003, 12476, 102]]
    assert encoded["attention_mask"].tolist() == [[1] * 6]


def test_tutorial_behind_the_pipeline(minilm_path: Path) -> None:
    tokenizer = DistilBertTokenizerFast.from_pretrained(minilm_path)
    batch = tokenizer(PIPELINE_INPUTS, padding=True, truncation=True, return_tensors="pt")
    assert batch["input_ids"].tolist() == PIPELINE_ROWS
    assert batch["attention_mask"].tolist() == [[1] * 16, [1] * 8 + [0] * 8]


@pytest.mark.parametrize("text", CORPUS.values(), ids=CORPUS.keys())
def test_bert_corpus(bert: tuple[BertTokenizerFast, Any], text: str) -> None:
    ours, theirs = bert
    options = {"return_offsets_mapping": True, "return_special_tokens_mask": True, "return_length": True}
    assert_same_encoding(ours(text, **options), theirs(text, **options))
    assert ours.tokenize(text) == theirs.tokenize(text)
    ids = theirs(text)["input_ids"]
    for skip in (False, True):
        assert ours.decode(ids, skip_special_tokens=skip) == theirs.decode(ids, skip_special_tokens=skip)
    assert ours.convert_ids_to_tokens(ids, skip_special_tokens=True) == theirs.convert_ids_to_tokens(
        ids, skip_special_tokens=True
    )


CALLS = {
    "pair": (PAIR, {}),
    "batch": ((list(CORPUS.values()),), {}),
    "batch_padded": ((list(CORPUS.values()),), {"padding": True, "truncation": True}),
    "batch_of_pairs": (([PAIR, (HOBBIT, LONGISH), ("a", "b")],), {"padding": True}),
    "text_and_pair_batches": (([HOBBIT, "a"], [LONGISH, "b c"]), {"padding": "longest", "truncation": True}),
    "truncate_to_model_max_length": ((LONG,), {"truncation": True}),
    "truncate_small": ((LONG,), {"truncation": True, "max_length": 8}),
    "max_length_alone_truncates": ((LONG,), {"max_length": 10}),
    "truncation_false_long": ((LONG,), {"truncation": False}),
    "pair_longest_first": ((LONGISH, HOBBIT), {"truncation": True, "max_length": 20}),
    "pair_longest_first_named": ((LONGISH, HOBBIT), {"truncation": "longest_first", "max_length": 11}),
    "pair_only_first": ((LONGISH, HOBBIT), {"truncation": "only_first", "max_length": 20}),
    "pair_only_second": ((HOBBIT, LONGISH), {"truncation": "only_second", "max_length": 20}),
    "pair_do_not_truncate": ((HOBBIT, LONGISH), {"truncation": "do_not_truncate", "max_length": 20}),
    "pairs_batch_only_second": (([(HOBBIT, LONGISH), ("a", LONG)],), {"truncation": "only_second", "padding": True}),
    "pad_max_length": ((["short", LONGISH],), {"padding": "max_length", "max_length": 30, "truncation": True}),
    "pad_max_length_model": (("short",), {"padding": "max_length"}),
    "pad_max_length_no_truncation": ((["short", LONGISH],), {"padding": "max_length", "max_length": 12}),
    "pad_to_multiple_of": ((["short", LONGISH],), {"padding": True, "pad_to_multiple_of": 8}),
    "pad_and_truncate_multiple": ((["short", LONG],), {"padding": "max_length", "truncation": True, "max_length": 16,
                                                       "pad_to_multiple_of": 8}),
    "pad_left": ((["short", LONGISH],), {"padding": True, "padding_side": "left"}),
    "pad_single": (("short",), {"padding": True}),
    "pad_do_not_pad": ((["short", LONGISH],), {"padding": "do_not_pad"}),
    "overflow_stride": ((LONG,), {"truncation": True, "max_length": 16, "stride": 4,
                                  "return_overflowing_tokens": True}),
    "overflow_batch_pairs": (([(LONGISH, "short"), (HOBBIT, "x")],),
                             {"truncation": "only_first", "max_length": 12, "stride": 2, "padding": True,
                              "return_overflowing_tokens": True, "return_offsets_mapping": True}),
    "split_into_words": ((["Hello", "wörld", "hobbit", "ÉOWYN"],), {"is_split_into_words": True}),
    "split_into_words_batch": (([["a", "b"], ["hobbit", "hole", "!"]],),
                               {"is_split_into_words": True, "padding": True}),
    "split_into_words_pair": ((["Hello", "world"], ["hobbit"]), {"is_split_into_words": True}),
    "no_special_tokens": ((PAIR[0], PAIR[1]), {"add_special_tokens": False}),
    "no_masks": ((HOBBIT,), {"return_attention_mask": False, "return_token_type_ids": False}),
    "special_tokens_mask_padded": ((["a", LONGISH],), {"padding": True, "return_special_tokens_mask": True}),
    "tensors_pt": ((["short", LONGISH],), {"padding": True, "return_tensors": "pt", "return_offsets_mapping": True}),
    "tensors_np": ((["short", LONGISH],), {"padding": True, "return_tensors": "np", "return_length": True}),
    "tensors_np_ragged": ((["short", LONGISH],), {"return_tensors": "np"}),
    "tensors_single": ((HOBBIT,), {"return_tensors": "pt"}),
    "empty_second_sequence": (("Hello", ""), {}),
    "tuple_batch": ((("one", "two words"),), {}),
}


@pytest.mark.parametrize(("args", "kwargs"), CALLS.values(), ids=CALLS.keys())
def test_bert_calls(bert: tuple[BertTokenizerFast, Any], args: tuple, kwargs: dict[str, Any]) -> None:
    ours, theirs = bert
    assert_same_encoding(ours(*args, **kwargs), theirs(*args, **kwargs))


@pytest.mark.parametrize("do_lower_case", [True, False])
@pytest.mark.parametrize("strip_accents", [None, True, False])
@pytest.mark.parametrize("source", ["tokenizer.json", "vocab.txt"])
def test_bert_normalizer_settings(
    bert_folders: dict[str, Path], source: str, do_lower_case: bool, strip_accents: bool | None
) -> None:
    ours, theirs = fresh_bert(bert_folders[source], do_lower_case=do_lower_case, strip_accents=strip_accents,
                              tokenize_chinese_chars=do_lower_case)
    texts = [CORPUS[name] for name in ("accents", "cjk", "plain", "control", "special_inline")]
    assert_same_encoding(ours(texts, return_offsets_mapping=True), theirs(texts, return_offsets_mapping=True))
    assert ours.do_lower_case is do_lower_case and ours.strip_accents is strip_accents


def test_bert_encode_tokenize_and_decode(bert: tuple[BertTokenizerFast, Any]) -> None:
    ours, theirs = bert
    assert ours.encode(*PAIR) == theirs.encode(*PAIR)
    assert ours.encode(LONG, truncation=True, max_length=12) == theirs.encode(LONG, truncation=True, max_length=12)
    assert ours.tokenize(*PAIR, add_special_tokens=True) == theirs.tokenize(*PAIR, add_special_tokens=True)
    batch = theirs([PAIR, ("I don't know.", "It's 5 o'clock , isn't it ?")], padding=True, return_tensors="pt")
    ids = batch["input_ids"]
    for skip in (False, True):
        for clean in (None, False, True):
            assert ours.batch_decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=clean) == (
                theirs.batch_decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=clean)
            )
            assert ours.decode(ids[1], skip_special_tokens=skip, clean_up_tokenization_spaces=clean) == (
                theirs.decode(ids[1], skip_special_tokens=skip, clean_up_tokenization_spaces=clean)
            )
    assert ours.decode(ids.tolist()) == theirs.decode(ids.tolist())
    assert ours.decode(101) == theirs.decode(101)
    tokens = theirs.convert_ids_to_tokens(ids[0])
    assert ours.convert_ids_to_tokens(ids[0]) == tokens
    assert ours.convert_ids_to_tokens(7570) == theirs.convert_ids_to_tokens(7570) == "ho"
    assert ours.convert_tokens_to_ids(tokens) == theirs.convert_tokens_to_ids(tokens)
    assert ours.convert_tokens_to_ids("not-a-token") == theirs.convert_tokens_to_ids("not-a-token") == 100
    assert ours.convert_tokens_to_string(tokens) == theirs.convert_tokens_to_string(tokens)


def test_bert_vocabulary_and_special_tokens(bert: tuple[BertTokenizerFast, Any]) -> None:
    ours, theirs = bert
    assert (ours.vocab_size, len(ours), ours.model_max_length) == (theirs.vocab_size, len(theirs), 512)
    assert ours.get_vocab() == theirs.get_vocab()
    assert ours.get_added_vocab() == theirs.get_added_vocab()
    assert ours.special_tokens_map == theirs.special_tokens_map
    assert ours.all_special_tokens == theirs.all_special_tokens
    assert ours.all_special_ids == theirs.all_special_ids
    for name in ("unk", "sep", "pad", "cls", "mask", "bos", "eos"):
        assert getattr(ours, f"{name}_token") == getattr(theirs, f"{name}_token")
        assert getattr(ours, f"{name}_token_id") == getattr(theirs, f"{name}_token_id")
    for pair in (False, True):
        assert ours.num_special_tokens_to_add(pair) == theirs.num_special_tokens_to_add(pair)
    assert ours.max_len_single_sentence == theirs.max_len_single_sentence == 510
    assert ours.max_len_sentences_pair == theirs.max_len_sentences_pair == 509
    assert ours.model_input_names == theirs.model_input_names
    ids = theirs(*PAIR)["input_ids"]
    assert ours.get_special_tokens_mask(ids, already_has_special_tokens=True) == theirs.get_special_tokens_mask(
        ids, already_has_special_tokens=True
    )
    assert_same_repr(ours, theirs)


@pytest.mark.parametrize("source", ["tokenizer.json", "vocab.txt"])
def test_bert_added_tokens(bert_folders: dict[str, Path], source: str, tmp_path: Path) -> None:
    ours, theirs = fresh_bert(bert_folders[source])
    for tokenizer in (ours, theirs):
        assert tokenizer.add_tokens(["hobbitses", "new_tok", "hole"]) == 3  # "hole" is in the vocabulary, and counted
        assert tokenizer.add_tokens("another") == 1
        assert tokenizer.add_tokens([]) == 0
        new_special = {"additional_special_tokens": ["<ent>", "<ent2>"], "pad_token": "[PAD]"}
        assert tokenizer.add_special_tokens(new_special) == 2
    text = "I saw HOBBITSES <ent> near new_tok and another<ent2>hobbit"
    assert_same_encoding(ours([text, PAIR[0]], padding=True), theirs([text, PAIR[0]], padding=True))
    ids = theirs(text)["input_ids"]
    for skip in (False, True):
        assert ours.decode(ids, skip_special_tokens=skip) == theirs.decode(ids, skip_special_tokens=skip)
    assert len(ours) == len(theirs) == 30522 + 4  # "hole" and "another" keep their ids
    assert ours.extra_special_tokens == theirs.extra_special_tokens == ["<ent>", "<ent2>"]
    assert ours.all_special_ids == theirs.all_special_ids
    assert ours.get_added_vocab() == theirs.get_added_vocab()
    assert_same_repr(ours, theirs)

    # each library loads what the other saved, with the added tokens
    ours_saved, theirs_saved = tmp_path / "ours", tmp_path / "theirs"
    written = ours.save_pretrained(ours_saved)
    assert sorted(Path(path).name for path in written) == [
        "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"
    ]
    theirs.save_pretrained(theirs_saved)
    reloaded_by_them = transformers.AutoTokenizer.from_pretrained(ours_saved)
    reloaded_by_us = BertTokenizerFast.from_pretrained(theirs_saved)
    for reloaded in (reloaded_by_them, reloaded_by_us):
        assert reloaded([text, PAIR[0]], padding=True)["input_ids"] == (
            theirs([text, PAIR[0]], padding=True)["input_ids"]
        )
        assert reloaded.decode(ids, skip_special_tokens=True) == theirs.decode(ids, skip_special_tokens=True)
        assert reloaded.all_special_tokens == theirs.all_special_tokens
    assert type(reloaded_by_them) is transformers.BertTokenizer
    assert_same_repr(reloaded_by_us, reloaded_by_them)


@pytest.mark.parametrize("source", ["tokenizer.json", "vocab.txt"])
def test_bert_save_round_trip(bert_folders: dict[str, Path], source: str, tmp_path: Path) -> None:
    ours, theirs = fresh_bert(bert_folders[source], do_lower_case=False, model_max_length=32, padding_side="left")
    ours.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "BertTokenizer"
    assert (config["do_lower_case"], config["model_max_length"], config["padding_side"]) == (False, 32, "left")
    assert config["added_tokens_decoder"]["100"]["content"] == "[UNK]"
    reloaded = transformers.AutoTokenizer.from_pretrained(tmp_path)
    texts = [CORPUS["accents"], LONG, "short"]
    options = {"padding": True, "truncation": True, "return_offsets_mapping": True}
    assert_same_encoding(ours(texts, **options), reloaded(texts, **options))
    assert_same_encoding(ours(texts, **options), theirs(texts, **options))
    again = BertTokenizerFast.from_pretrained(tmp_path)
    assert_same_encoding(again(texts, **options), reloaded(texts, **options))
    assert repr(again) == repr(ours).replace(str(bert_folders[source]), str(tmp_path))


def test_bert_settings_from_arguments(bert_folders: dict[str, Path]) -> None:
    ours, theirs = fresh_bert(bert_folders["tokenizer.json"], truncation_side="left", padding_side="left",
                              model_max_length=16, clean_up_tokenization_spaces=True)
    texts = [LONG, "short", PAIR[0]]
    assert_same_encoding(ours(texts, padding=True, truncation=True), theirs(texts, padding=True, truncation=True))
    assert_same_encoding(ours(texts, padding="max_length"), theirs(texts, padding="max_length"))
    ids = theirs("I don't know , isn't it ?")["input_ids"]
    assert ours.decode(ids) == theirs.decode(ids) == "[CLS] i don't know, isn't it? [SEP]"


def test_bert_pad(bert: tuple[BertTokenizerFast, Any]) -> None:
    ours, theirs = bert
    examples = [dict(theirs(text)) for text in ("short", LONGISH, PAIR[0])]
    for kwargs in ({}, {"padding": "max_length", "max_length": 40}, {"pad_to_multiple_of": 8, "padding_side": "left"},
                   {"return_tensors": "pt"}, {"padding": False}, {"return_attention_mask": False}):
        assert_pad_equal(ours.pad(examples, **kwargs), theirs.pad(examples, **kwargs))
    batch = theirs(["short", LONGISH], padding=True, return_tensors="np")
    assert_pad_equal(ours.pad(dict(batch), padding="max_length", max_length=32),
                     theirs.pad(dict(batch), padding="max_length", max_length=32))
    single = dict(theirs("short", return_special_tokens_mask=True))
    assert_pad_equal(ours.pad(single, padding="max_length", max_length=8),
                     theirs.pad(single, padding="max_length", max_length=8))


def assert_pad_equal(ours: BatchEncoding, theirs: Any) -> None:
    assert list(ours) == list(theirs)
    for key in theirs:
        assert plain(ours[key]) == plain(theirs[key]), key
        assert type(ours[key]) is type(theirs[key]), key


def test_distilbert_token_type_ids(minilm_path: Path) -> None:
    ours = DistilBertTokenizerFast.from_pretrained(minilm_path)
    theirs = transformers.DistilBertTokenizerFast.from_pretrained(minilm_path)
    assert "token_type_ids" not in ours(*PAIR)
    assert_same_encoding(ours(*PAIR), theirs(*PAIR))
    assert_same_encoding(ours(*PAIR, return_token_type_ids=True), theirs(*PAIR, return_token_type_ids=True))
    assert ours(*PAIR, return_token_type_ids=True)["token_type_ids"][-2:] == [1, 1]
