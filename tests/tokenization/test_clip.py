"""CLIP's tokenizer against transformers' (the oracle): a tiny CLIP-style byte-level BPE trained here, saved
by transformers' CLIPTokenizer, loaded from tokenizer.json and from vocab.json + merges.txt alone (with v5's
and with openai's older tokenizer_config.json): same ids, masks, tokens, offsets and decoded text over a
varied corpus, single and batched, padded and truncated; AutoTokenizer resolves it; transformers loads what
explorer saves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import transformers
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

from explorer import AutoTokenizer
from explorer.tokenization.clip import WORD_SPLIT, CLIPTokenizer, CLIPTokenizerFast
from explorer.tokenization import tokenizer_class_from_name
from parity import assert_same_encoding

BOS, EOS = "<|startoftext|>", "<|endoftext|>"
MAX_LENGTH = 24
TRAINING = [
    "a photo of a cat", "a photo of a dog", "a picture of two dogs playing in the park",
    "The quick brown fox jumps over the lazy dog.", "I'm sure they'll say it's fine, isn't it?",
    "naïve café résumé crème brûlée", "numbers 0123456789 and 42", "hello world, HELLO WORLD!",
] * 4
CORPUS = {
    "plain": "a photo of a cat",
    "case": "A PHOTO of a Cat on a MAT",
    "accents": "Café naïve résumé, Ångström and Éowyn's façade — ÀÉÎÕÜ çñ",
    "decomposed": "Cafe\u0301 nai\u0308ve",  # NFC composes these
    "punctuation": "don't stop—believing... \"quoted\" (parens) [brackets] a/b c-d e_f!!",
    "contractions": "I'm you're we've they'll she'd it's can't",
    "digits": "1234 apples and 56.78 pears in 2024",
    "emoji": "I ❤️ 🤗 emoji 🚀🚀",
    "cjk": "我爱北京 東京タワー 한국어",
    "whitespace": "   spaced \t\n  out   ",
    "special_inline": f"{BOS}a photo{EOS} of {EOS}",
    "unknown_bytes": "\x00\x07 zero\u200bwidth",
    "empty": "",
    "long": " ".join(["a picture of two dogs playing in the park"] * 6),
}
TEXTS = list(CORPUS.values())
# openai/clip-vit-base-patch32's tokenizer_config.json (saved by transformers v4): specials as AddedToken dicts
OPENAI_CONFIG = {
    "unk_token": {"content": EOS, "single_word": False, "lstrip": False, "rstrip": False, "normalized": True,
                  "__type": "AddedToken"},
    "bos_token": {"content": BOS, "single_word": False, "lstrip": False, "rstrip": False, "normalized": True,
                  "__type": "AddedToken"},
    "eos_token": {"content": EOS, "single_word": False, "lstrip": False, "rstrip": False, "normalized": True,
                  "__type": "AddedToken"},
    "pad_token": EOS,
    "add_prefix_space": False,
    "errors": "replace",
    "do_lower_case": True,
    "name_or_path": "./clip_ViT_B_32/",
    "model_max_length": MAX_LENGTH,
    "special_tokens_map_file": "./special_tokens_map.json",
    "tokenizer_class": "CLIPTokenizer",
}


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CLIP-style BPE trained on TRAINING with CLIP's pipeline, its two special tokens at the end of the
    vocabulary as in openai's, saved by transformers ("tokenizer.json"), and as vocab.json + merges.txt only,
    with transformers v5's tokenizer_config.json ("vocab.json") or openai's older one ("openai")."""
    trainer_backend = Tokenizer(models.BPE(unk_token=EOS, end_of_word_suffix="</w>", continuing_subword_prefix=""))
    trainer_backend.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    trainer_backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(WORD_SPLIT), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    trainer = trainers.BpeTrainer(vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  end_of_word_suffix="</w>", show_progress=False)
    trainer_backend.train_from_iterator(TRAINING, trainer)
    files = tmp_path_factory.mktemp("clip-bpe")
    trainer_backend.model.save(str(files))
    vocab = json.loads((files / "vocab.json").read_text(encoding="utf-8"))
    vocab.update({BOS: len(vocab), EOS: len(vocab) + 1})
    (files / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    saved = tmp_path_factory.mktemp("clip-tokenizer-json")
    theirs = transformers.CLIPTokenizer(vocab=str(files / "vocab.json"), merges=str(files / "merges.txt"),
                                        model_max_length=MAX_LENGTH)
    theirs.save_pretrained(saved)
    vocab_only = tmp_path_factory.mktemp("clip-vocab-files")
    openai = tmp_path_factory.mktemp("clip-openai-config")
    for folder in (vocab_only, openai):
        for name in ("vocab.json", "merges.txt"):
            shutil.copy(files / name, folder / name)
    shutil.copy(saved / "tokenizer_config.json", vocab_only / "tokenizer_config.json")
    (openai / "tokenizer_config.json").write_text(json.dumps(OPENAI_CONFIG), encoding="utf-8")
    return {"tokenizer.json": saved, "vocab.json": vocab_only, "openai": openai}


@pytest.fixture(scope="module", params=["tokenizer.json", "vocab.json", "openai"])
def pair(request: pytest.FixtureRequest, folders: dict[str, Path]) -> tuple[CLIPTokenizerFast, Any]:
    """(ours, transformers'), loaded from the same folder; shared by the tests that do not change them."""
    folder = folders[request.param]
    return CLIPTokenizerFast.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)


# --- encoding ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORPUS)
def test_each_text_matches_transformers(pair, name):
    ours, theirs = pair
    text = CORPUS[name]
    assert_same_encoding(ours(text), theirs(text))
    assert_same_encoding(ours(text, return_offsets_mapping=True, return_special_tokens_mask=True),
                         theirs(text, return_offsets_mapping=True, return_special_tokens_mask=True))
    assert ours.tokenize(text) == theirs.tokenize(text)
    ids = theirs(text)["input_ids"]
    for skip in (False, True):
        assert ours.decode(ids, skip_special_tokens=skip) == theirs.decode(ids, skip_special_tokens=skip)


@pytest.mark.parametrize(
    "options",
    [
        {"padding": True},
        {"padding": True, "truncation": True},
        {"padding": "max_length", "truncation": True, "max_length": 12},
        {"padding": True, "truncation": True, "max_length": 10, "return_tensors": "pt"},
        {"padding": True, "pad_to_multiple_of": 8, "return_tensors": "np"},
        {"padding": True, "padding_side": "left", "return_length": True},
        {"truncation": True, "max_length": 6, "return_overflowing_tokens": True, "stride": 2},
        {"add_special_tokens": False, "padding": True},
    ],
    ids=["pad", "pad-truncate", "max-length", "pt", "multiple-of-8", "left", "overflow", "no-specials"],
)
def test_batches_match_transformers(pair, options):
    ours, theirs = pair
    assert_same_encoding(ours(TEXTS, **options), theirs(TEXTS, **options))


def test_pairs_match_transformers(pair):
    ours, theirs = pair
    firsts, seconds = TEXTS[:5], TEXTS[5:10]
    assert_same_encoding(ours(firsts, seconds, padding=True), theirs(firsts, seconds, padding=True))
    assert_same_encoding(ours(firsts[0], seconds[0]), theirs(firsts[0], seconds[0]))
    assert ours.num_special_tokens_to_add(pair=True) == theirs.num_special_tokens_to_add(pair=True) == 4


def test_batch_decode_matches_transformers(pair):
    ours, theirs = pair
    rows = theirs(TEXTS, padding=True)["input_ids"]
    for skip in (False, True):
        assert ours.batch_decode(rows, skip_special_tokens=skip) == theirs.batch_decode(rows, skip_special_tokens=skip)
    assert ours.convert_tokens_to_string(ours.tokenize("a photo")) == theirs.convert_tokens_to_string(
        theirs.tokenize("a photo"))


def test_special_tokens_and_vocabulary_match_transformers(pair):
    ours, theirs = pair
    for name in ("bos_token", "eos_token", "unk_token", "pad_token"):
        assert getattr(ours, name) == getattr(theirs, name)
        assert getattr(ours, name + "_id") == getattr(theirs, name + "_id")
    assert ours.pad_token_id == ours.eos_token_id == len(ours) - 1 and ours.bos_token_id == len(ours) - 2
    assert ours.all_special_ids == theirs.all_special_ids
    assert ours.get_vocab() == theirs.get_vocab() and len(ours) == len(theirs) and ours.vocab_size == theirs.vocab_size
    assert ours.model_input_names == theirs.model_input_names == ["input_ids", "attention_mask"]
    assert ours.model_max_length == theirs.model_max_length == MAX_LENGTH


def test_repr_matches_transformers(folders):
    folder = folders["tokenizer.json"]
    ours, theirs = CLIPTokenizerFast.from_pretrained(folder), transformers.CLIPTokenizer.from_pretrained(folder)
    assert repr(ours) == repr(theirs).replace("CLIPTokenizer(", "CLIPTokenizerFast(", 1)


# --- resolution and saving --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tokenizer.json", "vocab.json", "openai"])
def test_auto_tokenizer_resolves_clip(folders, kind):
    tokenizer = AutoTokenizer.from_pretrained(folders[kind])
    assert type(tokenizer) is CLIPTokenizerFast
    assert "tokenizer_class='CLIPTokenizer' -> CLIPTokenizerFast" in str(tokenizer.resolution_trace)


def test_auto_tokenizer_resolves_clip_by_model_type(folders, tmp_path):
    """No tokenizer_class: config.json's model_type 'clip' picks the tokenizer."""
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(folders["vocab.json"] / name, tmp_path / name)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "clip"}))
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    assert type(tokenizer) is CLIPTokenizerFast
    assert tokenizer("a photo of a cat")["input_ids"] == CLIPTokenizerFast.from_pretrained(
        folders["vocab.json"])("a photo of a cat")["input_ids"]


def test_names():
    assert CLIPTokenizer is CLIPTokenizerFast
    assert tokenizer_class_from_name("CLIPTokenizer") is CLIPTokenizerFast
    assert tokenizer_class_from_name("CLIPTokenizerFast") is CLIPTokenizerFast


def test_transformers_loads_what_explorer_saves(folders, tmp_path):
    ours = CLIPTokenizerFast.from_pretrained(folders["openai"])
    ours.save_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(theirs).__name__ == "CLIPTokenizer"
    options = {"padding": True, "truncation": True}
    assert_same_encoding(ours(TEXTS, **options), theirs(TEXTS, **options))
    assert_same_encoding(CLIPTokenizerFast.from_pretrained(tmp_path)(TEXTS, **options), theirs(TEXTS, **options))
    assert json.loads((tmp_path / "tokenizer_config.json").read_text())["tokenizer_class"] == "CLIPTokenizer"


def test_overrides_match_transformers(folders):
    """from_pretrained arguments win over the files, as in transformers."""
    folder = folders["tokenizer.json"]
    options = {"model_max_length": 8, "padding_side": "left"}
    ours = CLIPTokenizerFast.from_pretrained(folder, **options)
    theirs = transformers.AutoTokenizer.from_pretrained(folder, **options)
    assert_same_encoding(ours(TEXTS, padding=True, truncation=True), theirs(TEXTS, padding=True, truncation=True))
