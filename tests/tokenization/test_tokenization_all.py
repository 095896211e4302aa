"""explorer's tokenizers against transformers' (the oracle): same ids, masks, offsets, alignments, decoded text,
special tokens, saved files and errors, for BERT (the real bert-base-uncased vocabulary), DistilBERT, and tiny
RoBERTa and XLM-RoBERTa tokenizers trained here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import transformers
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from explorer import errors
from explorer.resolution import open_checkpoint
from explorer.tokenization import (
    BatchEncoding,
    BertTokenizer,
    BertTokenizerFast,
    DistilBertTokenizerFast,
    PreTrainedTokenizerFast,
    RobertaTokenizerFast,
    TokenizersBackend,
    XLMRobertaTokenizerFast,
    tokenizer_class_from_name,
)
from parity import assert_same_encoding, plain

HOBBIT = "In a hole in the ground there lived a hobbit."
HOBBIT_IDS = [101, 1999, 1037, 4920, 1999, 1996, 2598, 2045, 2973, 1037, 7570, 10322, 4183, 1012, 102]
PIPELINE_INPUTS = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!"]
PIPELINE_ROWS = [
    [101, 1045, 1005, 2310, 2042, 3403, 2005, 1037, 17662, 12172, 2607, 2026, 2878, 2166, 1012, 102],
    [101, 1045, 5223, 2023, 2061, 2172, 999, 102, 0, 0, 0, 0, 0, 0, 0, 0],
]
LONG = " ".join(["The hobbit walked a very long way through the Misty Mountains."] * 80)  # > 512 tokens
CORPUS = {
    "plain": HOBBIT,
    "accents": "Café naïve résumé, Ångström and Éowyn's façade — ÀÉÎÕÜ çñ",
    "cjk": "我爱北京天安门。東京タワーに行きました。한국어 텍스트",
    "emoji": "I ❤️ 🤗 Transformers 🚀🚀 (really!)",
    "control": "tab\there\nnew line\r\x00null\u200bzero-width\x07bell\u00a0nbsp",
    "punctuation": "don't stop—believing... \"quoted\" (parens) [brackets] a/b c-d e_f",
    "special_inline": "[CLS] hello [MASK] world [SEP] [UNK] [PAD]",
    "whitespace": "   spaced    out   ",
    "empty": "",
    "long": LONG,
}
PAIR = ("How old is the hobbit who lived in the hole under the hill?", "He is fifty years old.")


def assert_same_repr(ours: PreTrainedTokenizerFast, theirs: Any) -> None:
    """transformers' repr but for the class name (v5 calls its classes BertTokenizer...)."""
    expected = repr(theirs).replace(type(theirs).__name__, type(ours).__name__, 1)
    expected = expected.replace(f"name_or_path='{theirs.name_or_path}'", f"name_or_path='{ours.name_or_path}'")
    assert repr(ours) == expected


# --- fixtures ---------------------------------------------------------------------------------------------

BERT_FILES = ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json")


@pytest.fixture(scope="module")
def bert_folders(minilm_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The real bert-base-uncased tokenizer files: as shipped (with tokenizer.json), and without tokenizer.json."""
    vocab_only = tmp_path_factory.mktemp("bert-vocab-only")
    for name in BERT_FILES:
        shutil.copy(minilm_path / name, vocab_only / name)
    return {"tokenizer.json": minilm_path, "vocab.txt": vocab_only}


@pytest.fixture(scope="module", params=["tokenizer.json", "vocab.txt"])
def bert(request: pytest.FixtureRequest, bert_folders: dict[str, Path]) -> tuple[BertTokenizerFast, Any]:
    """(ours, transformers'), loaded from the same folder; shared by the tests that do not change them."""
    folder = bert_folders[request.param]
    return BertTokenizerFast.from_pretrained(folder), transformers.BertTokenizerFast.from_pretrained(folder)


def fresh_bert(folder: Path, **kwargs: Any) -> tuple[BertTokenizerFast, Any]:
    return (BertTokenizerFast.from_pretrained(folder, **kwargs),
            transformers.BertTokenizerFast.from_pretrained(folder, **kwargs))


ROBERTA_CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello world! Hello, tokenizers. Spaces  matter   here.",
    "A tiny corpus for a byte-level BPE, with émojis 🤗 and naïve café.",
    "RoBERTa uses byte-level BPE; <mask> tokens and </s> separators.",
]


@pytest.fixture(scope="session")
def roberta_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny byte-level BPE trained here, saved by transformers' RobertaTokenizer (tokenizer.json), as bare
    vocab.json + merges.txt, and as roberta-base ships its files (added_tokens_decoder, <mask> with lstrip)."""
    root = tmp_path_factory.mktemp("roberta")
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=420, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    backend.train_from_iterator(ROBERTA_CORPUS * 4, trainer)
    files = root / "vocab-files"
    files.mkdir()
    backend.model.save(str(files))
    vocab = json.loads((files / "vocab.json").read_text())
    merges = [tuple(line.split()) for line in (files / "merges.txt").read_text().splitlines()[1:] if line]
    saved = root / "saved"
    transformers.RobertaTokenizer(vocab=vocab, merges=merges).save_pretrained(saved)
    lstrip_mask = root / "lstrip-mask"
    shutil.copytree(saved, lstrip_mask)
    tokenizer_json = json.loads((lstrip_mask / "tokenizer.json").read_text())
    for token in tokenizer_json["added_tokens"]:
        token["lstrip"] = token["content"] == "<mask>"
    (lstrip_mask / "tokenizer.json").write_text(json.dumps(tokenizer_json))
    config = json.loads((lstrip_mask / "tokenizer_config.json").read_text())
    config["mask_token"] = {"__type": "AddedToken", "content": "<mask>", "lstrip": True, "rstrip": False,
                            "normalized": False, "single_word": False, "special": True}
    config["added_tokens_decoder"] = {
        str(token["id"]): {key: value for key, value in token.items() if key != "id"}
        for token in tokenizer_json["added_tokens"]
    }
    config["model_max_length"] = 64
    (lstrip_mask / "tokenizer_config.json").write_text(json.dumps(config))
    return {"tokenizer.json": saved, "vocab.json": files, "lstrip-mask": lstrip_mask}


@pytest.fixture(scope="session")
def xlmr_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny SentencePiece-like Unigram tokenizer saved by transformers' XLMRobertaTokenizer."""
    backend = Tokenizer(models.Unigram())
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=150, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], unk_token="<unk>",
        show_progress=False,
    )
    backend.train_from_iterator(ROBERTA_CORPUS * 4, trainer)
    vocab = [tuple(entry) for entry in json.loads(backend.to_str())["model"]["vocab"]]
    folder = tmp_path_factory.mktemp("xlmr")
    transformers.XLMRobertaTokenizer(vocab=vocab).save_pretrained(folder)
    return folder


def bare_tokenizer_json(roberta_folders: dict[str, Path], folder: Path) -> None:
    """Only a tokenizer.json, as the tokenizers library saves it: no config, no special tokens named."""
    Tokenizer.from_file(str(roberta_folders["tokenizer.json"] / "tokenizer.json")).save(str(folder / "tokenizer.json"))


# --- the tutorial's figures -------------------------------------------------------------------------------


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


# --- BERT, from tokenizer.json and from vocab.txt, against transformers -----------------------------------


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


LONGISH = "The hobbit lived in a comfortable hole under the hill at the end of Bagshot Row in Hobbiton."
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


# --- RoBERTa and XLM-RoBERTa --------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["tokenizer.json", "vocab.json", "lstrip-mask"])
@pytest.mark.parametrize("add_prefix_space", [None, True])
def test_roberta_against_transformers(
    roberta_folders: dict[str, Path], source: str, add_prefix_space: bool | None
) -> None:
    kwargs = {} if add_prefix_space is None else {"add_prefix_space": add_prefix_space}
    ours = RobertaTokenizerFast.from_pretrained(roberta_folders[source], **kwargs)
    theirs = transformers.RobertaTokenizer.from_pretrained(roberta_folders[source], **kwargs)
    texts = [*ROBERTA_CORPUS, " leading space", "Hello <mask> world</s>", CORPUS["cjk"], CORPUS["control"], ""]
    options = {"return_offsets_mapping": True, "return_special_tokens_mask": True}
    assert_same_encoding(ours(texts, **options), theirs(texts, **options))
    assert "token_type_ids" not in ours(texts[0])
    pairs = [(texts[0], texts[1]), (texts[2], texts[5])]
    assert_same_encoding(ours(pairs, padding=True, **options), theirs(pairs, padding=True, **options))
    truncated = {"truncation": "only_first", "max_length": 30, "stride": 2, "return_overflowing_tokens": True}
    assert_same_encoding(ours(pairs, **truncated), theirs(pairs, **truncated))
    if add_prefix_space:
        words = [["Hello", "world"], ["byte-level", "BPE", "🤗"]]
        assert_same_encoding(ours(words, is_split_into_words=True, padding=True),
                             theirs(words, is_split_into_words=True, padding=True))
    ids = theirs(texts, padding=True)["input_ids"]
    for skip in (False, True):
        assert ours.batch_decode(ids, skip_special_tokens=skip) == theirs.batch_decode(ids, skip_special_tokens=skip)
    assert ours.tokenize(texts[1]) == theirs.tokenize(texts[1])
    assert_same_repr(ours, theirs)
    if source == "lstrip-mask":  # the space before <mask> belongs to it, as in roberta-base
        assert ours.added_tokens_decoder[4].lstrip
        assert ours.tokenize("Hello <mask>")[-2:] != ["Ġ", "<mask>"]


def test_roberta_save_round_trip(roberta_folders: dict[str, Path], tmp_path: Path) -> None:
    ours = RobertaTokenizerFast.from_pretrained(roberta_folders["lstrip-mask"])
    assert ours.model_max_length == 64
    ours.add_tokens(["<new>"])
    ours.save_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(theirs) is transformers.RobertaTokenizer
    texts = ["Hello <mask> world <new>!", ROBERTA_CORPUS[0] * 5]
    assert_same_encoding(ours(texts, padding=True, truncation=True), theirs(texts, padding=True, truncation=True))
    assert_same_repr(ours, theirs)


def test_xlm_roberta(xlmr_folder: Path, tmp_path: Path) -> None:
    ours = XLMRobertaTokenizerFast.from_pretrained(xlmr_folder)
    theirs = transformers.XLMRobertaTokenizer.from_pretrained(xlmr_folder)
    texts = [*ROBERTA_CORPUS, "unseen wörds ☃", "Hello <mask> world"]
    assert_same_encoding(ours(texts, padding=True, return_offsets_mapping=True),
                         theirs(texts, padding=True, return_offsets_mapping=True))
    assert_same_encoding(ours(texts[0], texts[1]), theirs(texts[0], texts[1]))
    ids = theirs(texts)["input_ids"]
    assert ours.batch_decode(ids, skip_special_tokens=True) == theirs.batch_decode(ids, skip_special_tokens=True)
    assert_same_repr(ours, theirs)
    (tmp_path / "tokenizer_config.json").write_text((xlmr_folder / "tokenizer_config.json").read_text())
    with pytest.raises(errors.EntryNotFoundError, match="sentencepiece"):
        XLMRobertaTokenizerFast.from_pretrained(tmp_path)


def test_precompiled_charsmap_is_taken_from_tokenizer_json() -> None:
    """XLM-RoBERTa's SentencePiece normalization table, alone or inside a Sequence (as transformers v5 finds it)."""
    from explorer.tokenization.files import precompiled_charsmap

    precompiled = {"type": "Precompiled", "precompiled_charsmap": "AAEC"}
    assert precompiled_charsmap(precompiled) == b"\x00\x01\x02"
    in_sequence = {"type": "Sequence", "normalizers": [{"type": "NFKC"}, precompiled]}
    assert precompiled_charsmap(in_sequence) == b"\x00\x01\x02"
    assert precompiled_charsmap({"type": "NFKC"}) is None
    assert precompiled_charsmap(None) is None


def test_generic_tokenizer_uses_tokenizer_json_as_is(roberta_folders: dict[str, Path], tmp_path: Path) -> None:
    bare_tokenizer_json(roberta_folders, tmp_path)
    ours = PreTrainedTokenizerFast.from_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert TokenizersBackend is PreTrainedTokenizerFast
    assert_same_encoding(ours(ROBERTA_CORPUS), theirs(ROBERTA_CORPUS))
    assert_same_repr(ours, theirs)
    assert ours.special_tokens_map == {} and ours.model_max_length == int(1e30)
    saved = tmp_path / "saved"
    ours.save_pretrained(saved)
    assert json.loads((saved / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"
    reloaded = transformers.AutoTokenizer.from_pretrained(saved)
    assert_same_encoding(ours(ROBERTA_CORPUS), reloaded(ROBERTA_CORPUS))


# --- BatchEncoding --------------------------------------------------------------------------------------------


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


def test_tokenizer_path_does_not_import_torch(minilm_path: Path) -> None:
    code = (
        "import sys; from explorer.tokenization import BertTokenizerFast;"
        f"t = BertTokenizerFast.from_pretrained({str(minilm_path)!r}); t(['a', 'b c'], padding=True);"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- loading: classes, trace, files -----------------------------------------------------------------------


def test_tokenizer_class_from_name() -> None:
    assert tokenizer_class_from_name("BertTokenizer") is BertTokenizerFast is BertTokenizer
    assert tokenizer_class_from_name("BertTokenizerFast") is BertTokenizerFast
    assert tokenizer_class_from_name("DistilBertTokenizer") is DistilBertTokenizerFast
    assert tokenizer_class_from_name("RobertaTokenizerFast") is RobertaTokenizerFast
    assert tokenizer_class_from_name("XLMRobertaTokenizer") is XLMRobertaTokenizerFast
    for name in ("TokenizersBackend", "PreTrainedTokenizerFast"):
        assert tokenizer_class_from_name(name) is PreTrainedTokenizerFast
    assert tokenizer_class_from_name("GPT2Tokenizer") is None


def test_trace_is_shared_and_records_decisions(bert_folders: dict[str, Path]) -> None:
    checkpoint = open_checkpoint(bert_folders["vocab.txt"])
    tokenizer = BertTokenizerFast.from_pretrained(checkpoint)
    assert tokenizer.resolution_trace is checkpoint.trace
    assert tokenizer.name_or_path == str(bert_folders["vocab.txt"])
    results = [decision.result for decision in checkpoint.trace.decisions]
    assert "WordPiece built from vocab.txt (no tokenizer.json)" in results
    assert "model_max_length=512" in results
    assert {read.name for read in checkpoint.trace.files} >= {"vocab.txt", "tokenizer_config.json"}
    from_json = BertTokenizerFast.from_pretrained(bert_folders["tokenizer.json"]).resolution_trace
    assert any(d.file == "tokenizer.json" and d.key == "model.vocab" for d in from_json.decisions)


def test_legacy_added_tokens_file(bert_folders: dict[str, Path], tmp_path: Path) -> None:
    for name in BERT_FILES:
        shutil.copy(bert_folders["vocab.txt"] / name, tmp_path / name)
    (tmp_path / "added_tokens.json").write_text(json.dumps({"<ent>": 30522, "hobbitses": 30523}))
    special_map = json.loads((tmp_path / "special_tokens_map.json").read_text())
    special_map["additional_special_tokens"] = ["<ent>"]
    (tmp_path / "special_tokens_map.json").write_text(json.dumps(special_map))
    ours, theirs = fresh_bert(tmp_path)
    text = "the <ent> met HOBBITSES"
    assert_same_encoding(ours(text), theirs(text))
    assert ours.decode(ours(text)["input_ids"], skip_special_tokens=True) == theirs.decode(
        theirs(text)["input_ids"], skip_special_tokens=True
    )
    assert_same_repr(ours, theirs)


# --- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["{not json", '{"model": {"type": "Nope"}}', "[1, 2]"])
@pytest.mark.parametrize("cls", [BertTokenizerFast, PreTrainedTokenizerFast])
def test_malformed_tokenizer_json(tmp_path: Path, content: str, cls: type) -> None:
    (tmp_path / "tokenizer.json").write_text(content)
    with pytest.raises(errors.MalformedFileError, match="tokenizer.json"):
        cls.from_pretrained(tmp_path)


def test_tokenizer_json_of_another_model(roberta_folders: dict[str, Path]) -> None:
    with pytest.raises(errors.MalformedFileError, match="BPE model, but BertTokenizerFast builds on WordPiece"):
        BertTokenizerFast.from_pretrained(roberta_folders["tokenizer.json"])


def test_malformed_vocabulary_files(tmp_path: Path) -> None:
    (tmp_path / "vocab.json").write_text("{broken")
    (tmp_path / "merges.txt").write_text("#version: 0.2\n")
    with pytest.raises(errors.MalformedFileError, match="vocab.json"):
        RobertaTokenizerFast.from_pretrained(tmp_path)


@pytest.mark.parametrize(
    ("cls", "missing"),
    [(BertTokenizerFast, "vocab.txt"), (RobertaTokenizerFast, "vocab.json"),
     (PreTrainedTokenizerFast, "tokenizer.json"), (XLMRobertaTokenizerFast, "tokenizer.json")],
)
def test_folder_without_tokenizer_files(tmp_path: Path, cls: type, missing: str) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(errors.EntryNotFoundError, match=missing):
        cls.from_pretrained(tmp_path)


def test_merges_missing(roberta_folders: dict[str, Path], tmp_path: Path) -> None:
    shutil.copy(roberta_folders["vocab.json"] / "vocab.json", tmp_path / "vocab.json")
    with pytest.raises(errors.EntryNotFoundError, match="merges.txt"):
        RobertaTokenizerFast.from_pretrained(tmp_path)


def test_padding_without_pad_token(roberta_folders: dict[str, Path], tmp_path: Path) -> None:
    bare_tokenizer_json(roberta_folders, tmp_path)
    ours = PreTrainedTokenizerFast.from_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    for padding, max_length in ((True, None), ("longest", None), ("max_length", 8)):
        with pytest.raises(ValueError, match="does not have a padding token"):
            theirs(["a", "b c"], padding=padding, max_length=max_length)
        with pytest.raises(errors.TokenizerInputError, match="does not have a padding token"):
            ours(["a", "b c"], padding=padding, max_length=max_length)
    ours.pad_token = theirs.pad_token = "</s>"  # the usual fix, as the message suggests
    assert_same_encoding(ours(["a", "b c"], padding=True), theirs(["a", "b c"], padding=True))
    ours.pad_token_id = theirs.pad_token_id = 1
    assert ours.pad_token == theirs.pad_token == "<pad>"
    assert ours.add_special_tokens({"pad_token": "<pad>"}) == theirs.add_special_tokens({"pad_token": "<pad>"}) == 0
    assert_same_encoding(ours(["a", "b c"], padding=True), theirs(["a", "b c"], padding=True))


BACKEND_FAILURES = {
    "only_second_without_pair": ((HOBBIT,), {"truncation": "only_second", "max_length": 4}),
    "pair_too_short_to_truncate": ((HOBBIT, "a"), {"truncation": "only_second", "max_length": 4}),
    "stride_too_large": ((LONG,), {"truncation": True, "max_length": 6, "stride": 5,
                                   "return_overflowing_tokens": True}),
}


@pytest.mark.parametrize(("args", "kwargs"), BACKEND_FAILURES.values(), ids=BACKEND_FAILURES.keys())
def test_backend_errors_do_not_leak(bert: tuple[BertTokenizerFast, Any], args: tuple, kwargs: dict[str, Any]) -> None:
    ours, theirs = bert
    with pytest.raises(Exception):  # noqa: B017 - transformers lets the tokenizers library's own exception through
        theirs(*args, **kwargs)
    with pytest.raises(errors.TokenizerInputError, match="max_length"):
        ours(*args, **kwargs)


def test_rust_panic_becomes_an_error(bert: tuple[BertTokenizerFast, Any]) -> None:
    """transformers lets this pair + stride reach a panic in the tokenizers library (a BaseException)."""
    ours, _ = bert
    with pytest.raises(errors.TokenizerInputError, match="stride"):
        ours(LONGISH, HOBBIT, truncation="longest_first", max_length=12, stride=4, return_overflowing_tokens=True)
    assert ours(HOBBIT)["input_ids"] == HOBBIT_IDS  # still usable


def test_invalid_arguments(bert: tuple[BertTokenizerFast, Any]) -> None:
    ours, theirs = bert
    with pytest.raises(errors.TokenizerInputError, match="padding='sideways'"):
        ours(HOBBIT, padding="sideways")
    with pytest.raises(errors.TokenizerInputError, match="truncation='most'"):
        ours(HOBBIT, truncation="most")
    with pytest.raises(errors.TokenizerInputError, match="return_tensors='tf'"):
        ours(HOBBIT, return_tensors="tf")
    with pytest.raises(errors.TokenizerInputError, match="text must be a string"):
        ours(5)
    with pytest.raises(errors.TokenizerInputError, match="text_pair must be a list as long as text"):
        ours(["a", "b"], ["c"])
    with pytest.raises(errors.TokenizerInputError, match="padding_side must be"):
        ours(HOBBIT, padding=True, padding_side="middle")
    with pytest.raises(errors.TokenizerInputError, match="not a multiple of pad_to_multiple_of"):
        ours(HOBBIT, padding=True, truncation=True, max_length=10, pad_to_multiple_of=8)
    with pytest.raises(errors.TokenizerInputError, match="non-negative integer"):
        ours.decode([101, -1])
    with pytest.raises(errors.TokenizerInputError, match="not a special token name"):
        ours.add_special_tokens({"pda_token": "[PAD]"})
    with pytest.raises(errors.ConfigValueError, match="padding_side"):
        BertTokenizerFast.from_pretrained(ours.name_or_path, padding_side="up")
    assert ours([]) == {"input_ids": [], "token_type_ids": [], "attention_mask": []}


def test_padding_true_with_max_length_warns_like_transformers(bert: tuple[BertTokenizerFast, Any]) -> None:
    ours, theirs = bert
    with pytest.warns(UserWarning, match="`max_length` is ignored"):
        expected = theirs(["a", "b c"], padding=True, max_length=3)
    with pytest.warns(UserWarning, match="`max_length` is ignored"):
        assert_same_encoding(ours(["a", "b c"], padding=True, max_length=3), expected)
