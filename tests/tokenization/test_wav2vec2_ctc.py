"""Wav2Vec2's CTC tokenizer against transformers' (the oracle): tiny character vocabularies saved by
transformers (v5 files, and an older checkpoint's layout with special_tokens_map.json), loaded by both: the
same printout, vocabulary and special tokens; the same ids, masks and fields for strings, pairs and batches,
padded and truncated, in lists and tensors; the same CTC decoding (grouped repeats, blanks, word delimiters,
skipped specials, character and word offsets); transformers loads what explorer saves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import transformers
from parity import plain

from explorer import AutoTokenizer, errors
from explorer.tokenization.wav2vec2_ctc import (
    Wav2Vec2CTCTokenizer,
    Wav2Vec2CTCTokenizerOutput,
)
from explorer.tokenization import BatchEncoding

LETTERS = "ABCDEHILNORSTW'"
VOCAB = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, **{c: i + 5 for i, c in enumerate(LETTERS)}}
EXTRA = {"ab": len(VOCAB), "É": len(VOCAB) + 1}  # a multi-character entry (kept whole, strips spaces), an accent
ID = {**VOCAB, **EXTRA}

TEXTS = [
    "HELLO WORLD", "hello world", "Hello World's end", "  spaced   out  ", "", "a", "ab abab <s>x </s> y",
    "HELLO <unk>ab world", "a|b", "héllo ß", "WHAT'S THIS", "<pad>dad<pad>",
]
CALLS: list[tuple[Any, dict[str, Any]]] = [
    *((text, {}) for text in TEXTS),
    (TEXTS, {"padding": True}),
    (TEXTS[:4], {"padding": True, "return_length": True, "return_special_tokens_mask": True,
                 "return_token_type_ids": True}),
    (TEXTS[:3], {"padding": "max_length", "max_length": 20, "truncation": True, "return_tensors": "pt"}),
    (TEXTS[:3], {"padding": True, "pad_to_multiple_of": 8, "padding_side": "left", "return_tensors": "np"}),
    (TEXTS[:3], {"padding": "longest", "return_attention_mask": False}),
    ("hello world", {"truncation": True, "max_length": 4, "return_overflowing_tokens": True, "stride": 1}),
    ("hello world", {"padding": "max_length", "max_length": 16, "return_tensors": "pt", "return_length": True}),
    ("hello world", {"padding": "max_length", "max_length": 16, "return_length": True}),
    ("hello", {"max_length": 3}),
    (("hello", "ab"), {}),
    ([("hello", "ab"), ("x", "y")], {"padding": True}),
    ("hello", {"text_pair": "world", "return_token_type_ids": True, "truncation": "only_second", "max_length": 7}),
    ("hello", {"text_pair": "world", "truncation": "only_first", "max_length": 7}),
    (["HELLO", "WORLD"], {"is_split_into_words": True}),
    ([["HELLO", "WORLD"], ["A"]], {"is_split_into_words": True, "padding": True}),
    (["H", "E", "zz"], {}),  # a batch of one-character strings
    ([5, 6, 7], {}),  # already ids
    (["hello", "world"], {"return_tensors": "pt", "padding": True, "split_special_tokens": True}),
]
ID_SEQUENCES = [
    [ID["H"], ID["H"], 0, ID["E"], ID["L"], 0, ID["L"], ID["O"], 4, 4, ID["W"], ID["O"], 1, 2, 3],
    [], [0, 0], [ID["A"], 4, 4, ID["B"]], [4, ID["A"], ID["A"], 4, ID["B"], 4], [ID["ab"], ID["ab"], 0, ID["ab"]],
    [ID["É"], ID["C"], 99], [1, ID["A"], 2, 0, 0, ID["T"], 3],
]
DECODE_OPTIONS = [
    {}, {"skip_special_tokens": True}, {"output_char_offsets": True},
    {"output_char_offsets": True, "output_word_offsets": True}, {"output_word_offsets": True},
    {"group_tokens": False}, {"spaces_between_special_tokens": True}, {"clean_up_tokenization_spaces": True},
]


def assert_same_encoding(ours: BatchEncoding, theirs: Any) -> None:
    """Same fields in the same order, same values; tensors of the same kind and dtype (a slow tokenizer's
    encodings carry no token alignment)."""
    assert isinstance(ours, BatchEncoding) and ours.encodings is None and theirs.encodings is None
    assert list(ours) == list(theirs)
    for key in theirs:
        assert plain(ours[key]) == plain(theirs[key]), key
        assert type(ours[key]) is type(theirs[key]), key
        assert str(getattr(ours[key], "dtype", None)) == str(getattr(theirs[key], "dtype", None)), key


def save_vocab(folder: Path, vocab: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "vocab.json"
    path.write_text(json.dumps(vocab), encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["v5", "v5-lower", "legacy"])
def folder(request, tmp_path_factory) -> Path:
    """A tokenizer folder: saved by transformers v5 (with and without do_lower_case), or laid out as older
    Hub checkpoints are (tokenizer_config.json without added tokens, special_tokens_map.json, config.json)."""
    root = tmp_path_factory.mktemp(request.param)
    if request.param == "legacy":
        save_vocab(root, ID)
        config = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>",
                  "do_lower_case": True, "word_delimiter_token": "|", "tokenizer_class": "Wav2Vec2CTCTokenizer"}
        (root / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
        specials = {key: config[key] for key in ("unk_token", "bos_token", "eos_token", "pad_token")}
        (root / "special_tokens_map.json").write_text(json.dumps(specials), encoding="utf-8")
        (root / "config.json").write_text(json.dumps({"model_type": "wav2vec2"}), encoding="utf-8")
        return root
    vocab_file = save_vocab(root / "source", ID)
    tokenizer = transformers.Wav2Vec2CTCTokenizer(str(vocab_file), do_lower_case=request.param == "v5-lower")
    tokenizer.save_pretrained(root / "saved")
    return root / "saved"


@pytest.fixture(scope="module")
def pair(folder) -> tuple[Wav2Vec2CTCTokenizer, Any]:
    return Wav2Vec2CTCTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)


def test_loads_like_transformers(pair):
    ours, theirs = pair
    assert repr(ours) == repr(theirs)
    assert ours.get_vocab() == theirs.get_vocab()
    assert (ours.vocab_size, len(ours)) == (theirs.vocab_size, len(theirs))
    assert ours.special_tokens_map == theirs.special_tokens_map
    assert ours.all_special_tokens == theirs.all_special_tokens
    assert ours.all_special_ids == theirs.all_special_ids
    assert (ours.word_delimiter_token, ours.word_delimiter_token_id) == (
        theirs.word_delimiter_token, theirs.word_delimiter_token_id)
    assert (ours.pad_token_id, ours.unk_token_id, ours.bos_token_id, ours.eos_token_id) == (
        theirs.pad_token_id, theirs.unk_token_id, theirs.bos_token_id, theirs.eos_token_id)
    assert ours.do_lower_case == theirs.do_lower_case
    assert ours.model_input_names == theirs.model_input_names
    assert not ours.is_fast


@pytest.mark.parametrize("text", TEXTS)
def test_tokenize(pair, text):
    ours, theirs = pair
    assert ours.tokenize(text) == theirs.tokenize(text)
    assert ours.convert_tokens_to_ids(ours.tokenize(text)) == theirs.convert_tokens_to_ids(theirs.tokenize(text))


@pytest.mark.parametrize(("text", "kwargs"), CALLS, ids=[f"call{i}" for i in range(len(CALLS))])
def test_call(pair, text, kwargs):
    ours, theirs = pair
    assert_same_encoding(ours(text, **kwargs), theirs(text, **kwargs))


def test_pair_truncation_longest_first(pair, caplog):
    ours, theirs = pair
    kwargs = {"text_pair": "world wide", "truncation": "longest_first", "max_length": 9}
    assert_same_encoding(ours("hello there", **kwargs), theirs("hello there", **kwargs))
    assert "overflowing tokens are not returned" in caplog.text


@pytest.mark.parametrize("ids", ID_SEQUENCES, ids=[f"ids{i}" for i in range(len(ID_SEQUENCES))])
@pytest.mark.parametrize("options", DECODE_OPTIONS, ids=[",".join(o) or "plain" for o in DECODE_OPTIONS])
def test_decode(pair, ids, options):
    ours, theirs = pair
    expected = theirs.decode(ids, **options)
    got = ours.decode(ids, **options)
    if isinstance(expected, str):
        assert got == expected
    else:
        assert isinstance(got, Wav2Vec2CTCTokenizerOutput)
        assert list(got) == list(expected)
        assert dict(got) == dict(expected)
        assert got.text == expected.text


def test_decode_takes_tensors_and_arrays(pair):
    ours, theirs = pair
    ids = ID_SEQUENCES[0]
    assert ours.decode(torch.tensor(ids)) == theirs.decode(torch.tensor(ids))
    assert ours.decode(np.array(ids)) == theirs.decode(np.array(ids))
    assert ours.decode(ID["A"]) == theirs.decode(ID["A"])


def test_batch_decode(pair):
    ours, theirs = pair
    rows = [ID_SEQUENCES[0][:8], ID_SEQUENCES[4] + [0, 0]]
    for source in (rows, torch.tensor([row[:6] for row in rows])):
        assert ours.batch_decode(source) == theirs.batch_decode(source)
        assert ours.batch_decode(source, skip_special_tokens=True) == theirs.batch_decode(source, skip_special_tokens=True)
        for options in ({"output_char_offsets": True}, {"output_word_offsets": True},
                        {"output_char_offsets": True, "output_word_offsets": True}):
            got, expected = ours.batch_decode(source, **options), theirs.batch_decode(source, **options)
            assert isinstance(got, Wav2Vec2CTCTokenizerOutput)
            assert dict(got) == dict(expected)
    assert ours.decode(rows) == ours.batch_decode(rows)  # a batch given to decode: one text per row


def test_pad(pair):
    ours, theirs = pair
    features = [{"input_ids": [5, 6, 7]}, {"input_ids": [8]}]
    assert_same_encoding(ours.pad(features), theirs.pad(features))
    assert_same_encoding(ours.pad(features, padding="max_length", max_length=6, return_tensors="pt"),
                         theirs.pad(features, padding="max_length", max_length=6, return_tensors="pt"))


def test_add_tokens(folder):
    ours, theirs = Wav2Vec2CTCTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    assert ours.add_tokens(["xyz", "ab"]) == theirs.add_tokens(["xyz", "ab"]) == 1
    assert ours.add_tokens("<new>", special_tokens=True) == theirs.add_tokens("<new>", special_tokens=True)
    text = "hello xyz ab<new> world"
    assert ours.tokenize(text) == theirs.tokenize(text)
    assert_same_encoding(ours(text), theirs(text))
    assert repr(ours) == repr(theirs)
    assert ours.all_special_tokens == theirs.all_special_tokens
    ids = ours(text)["input_ids"]
    assert ours.decode(ids, skip_special_tokens=True) == theirs.decode(ids, skip_special_tokens=True)


def test_auto_tokenizer_resolves_it(folder):
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert type(tokenizer) is Wav2Vec2CTCTokenizer
    decisions = [(d.stage, d.file, d.key, d.value, d.result) for d in tokenizer.resolution_trace.decisions]
    assert ("AutoTokenizer", "tokenizer_config.json", "tokenizer_class", "Wav2Vec2CTCTokenizer",
            "Wav2Vec2CTCTokenizer") in decisions
    assert any(d.file == "vocab.json" for d in tokenizer.resolution_trace.decisions)
    assert "vocab.json" in [read.name for read in tokenizer.resolution_trace.files]


def test_model_type_picks_it_without_tokenizer_class(tmp_path):
    save_vocab(tmp_path, VOCAB)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "wav2vec2"}), encoding="utf-8")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    assert type(tokenizer) is Wav2Vec2CTCTokenizer
    theirs = transformers.Wav2Vec2CTCTokenizer(str(tmp_path / "vocab.json"))
    assert tokenizer.get_vocab() == theirs.get_vocab()
    assert_same_encoding(tokenizer("HELLO WORLD"), theirs("HELLO WORLD"))


def test_save_pretrained_loads_in_transformers(pair, tmp_path):
    ours, theirs = pair
    written = ours.save_pretrained(tmp_path)
    assert sorted(Path(path).name for path in written) == ["tokenizer_config.json", "vocab.json"]
    reloaded = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(reloaded).__name__ == "Wav2Vec2CTCTokenizer"
    assert repr(reloaded).replace(str(tmp_path), "X") == repr(theirs).replace(str(theirs.name_or_path), "X")
    for text, kwargs in CALLS[:14]:
        assert_same_encoding(ours(text, **kwargs), reloaded(text, **kwargs))
    ids = ID_SEQUENCES[0]
    assert reloaded.decode(ids) == ours.decode(ids)
    again = Wav2Vec2CTCTokenizer.from_pretrained(tmp_path)
    assert repr(again).replace(str(tmp_path), "X") == repr(ours).replace(str(ours.name_or_path), "X")


def test_multilingual_vocabulary(tmp_path):
    vocab_file = save_vocab(tmp_path / "source", {"eng": VOCAB, "fra": {**VOCAB, "É": len(VOCAB), "ç": len(VOCAB) + 1}})
    theirs = transformers.Wav2Vec2CTCTokenizer(str(vocab_file), target_lang="fra")
    theirs.save_pretrained(tmp_path / "saved")
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path / "saved", target_lang="fra")
    ours = Wav2Vec2CTCTokenizer.from_pretrained(tmp_path / "saved", target_lang="fra")
    assert repr(ours) == repr(theirs)
    for text in ("ÉTÉ ça", "HELLO"):
        assert_same_encoding(ours(text), theirs(text))
    ours.set_target_lang("eng")
    theirs.set_target_lang("eng")
    assert ours.get_vocab() == theirs.get_vocab()
    assert_same_encoding(ours("ÉTÉ ça"), theirs("ÉTÉ ça"))
    with pytest.raises(errors.ConfigValueError, match="deu"):
        ours.set_target_lang("deu")
    with pytest.raises(errors.ConfigValueError, match="target_lang="):
        Wav2Vec2CTCTokenizer(vocab_file)


def test_built_from_a_vocab_file_as_transformers(tmp_path):
    vocab_file = save_vocab(tmp_path, ID)
    ours = Wav2Vec2CTCTokenizer(vocab_file, do_lower_case=True)
    theirs = transformers.Wav2Vec2CTCTokenizer(str(vocab_file), do_lower_case=True)
    assert repr(ours) == repr(theirs)
    assert_same_encoding(ours(TEXTS, padding=True), theirs(TEXTS, padding=True))


def test_refusals(pair, tmp_path):
    ours, _ = pair
    with pytest.raises(errors.TokenizerInputError, match="offsets"):
        ours("hello", return_offsets_mapping=True)
    with pytest.raises(errors.TokenizerInputError, match="Pass the text"):
        ours(None)
    with pytest.raises(errors.TokenizerInputError, match="same length"):
        ours(["a", "b"], ["c"])
    with pytest.raises(errors.TokenizerInputError, match="Expected a pair"):
        ours([["a", "b", "c"]])
    with pytest.raises(errors.TokenizerInputError, match="is not valid"):
        ours("hello", padding="bogus")
    with pytest.raises(errors.TokenizerInputError, match="integer ids"):
        ours.decode(["A"])
    with pytest.raises(errors.TokenizerInputError, match="vocabulary"):
        Wav2Vec2CTCTokenizer()
    with pytest.raises(errors.EntryNotFoundError, match="vocab.json"):
        Wav2Vec2CTCTokenizer(tmp_path / "missing" / "vocab.json")
    save_vocab(tmp_path / "bad", {"A": "one"})
    with pytest.raises(errors.MalformedFileError, match="non-negative integer"):
        Wav2Vec2CTCTokenizer.from_pretrained(tmp_path / "bad")
    (tmp_path / "empty").mkdir()
    with pytest.raises(errors.EntryNotFoundError, match="vocab.json"):
        Wav2Vec2CTCTokenizer.from_pretrained(tmp_path / "empty")
    no_pad = Wav2Vec2CTCTokenizer(vocab=VOCAB, pad_token=None)
    with pytest.raises(errors.TokenizerInputError, match="padding token"):
        no_pad(["a", "bc"], padding=True)


def test_specials_missing_from_the_vocabulary_and_added_tokens_survive_saving(tmp_path):
    """<s> and </s> absent from vocab.json are appended (as transformers does); tokens added afterwards are
    saved in added_tokens_decoder and read back by both libraries."""
    vocab_file = save_vocab(tmp_path / "source", {"<pad>": 0, "<unk>": 1, "|": 2, "A": 3, "B": 4, "[PAD]": 5})
    ours, theirs = Wav2Vec2CTCTokenizer(vocab_file), transformers.Wav2Vec2CTCTokenizer(str(vocab_file))
    assert repr(ours) == repr(theirs)
    for tokenizer in (ours, theirs):
        tokenizer.add_tokens(["xyz"])
        tokenizer.add_special_tokens({"additional_special_tokens": ["<sp>"]})
    text, ids = "AB <s> [PAD]A </s>B xyz <sp> B", [1, 3, 3, 0, 6, 7, 2, 4, 8, 9]
    assert_same_encoding(ours(text), theirs(text))
    assert ours.decode(ids, skip_special_tokens=True) == theirs.decode(ids, skip_special_tokens=True)
    ours.save_pretrained(tmp_path / "ours")
    theirs.save_pretrained(tmp_path / "theirs")
    loaded = [Wav2Vec2CTCTokenizer.from_pretrained(tmp_path / "ours"), Wav2Vec2CTCTokenizer.from_pretrained(tmp_path / "theirs"),
              transformers.AutoTokenizer.from_pretrained(tmp_path / "ours")]
    expected = transformers.AutoTokenizer.from_pretrained(tmp_path / "theirs")
    for tokenizer in loaded:
        assert repr(tokenizer).replace(tokenizer.name_or_path, "X") == repr(expected).replace(expected.name_or_path, "X")
        assert tokenizer.all_special_tokens == expected.all_special_tokens
        assert plain(tokenizer(text)["input_ids"]) == expected(text)["input_ids"]
