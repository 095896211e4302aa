"""What the tokenizer tests share: texts, expected ids, and helpers that load or compare tokenizers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import transformers
from tokenizers import Tokenizer

from explorer.tokenization import BertTokenizerFast, PreTrainedTokenizerFast

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


BERT_FILES = ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json")


def fresh_bert(folder: Path, **kwargs: Any) -> tuple[BertTokenizerFast, Any]:
    return (BertTokenizerFast.from_pretrained(folder, **kwargs),
            transformers.BertTokenizerFast.from_pretrained(folder, **kwargs))


ROBERTA_CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello world! Hello, tokenizers. Spaces  matter   here.",
    "A tiny corpus for a byte-level BPE, with émojis 🤗 and naïve café.",
    "RoBERTa uses byte-level BPE; <mask> tokens and </s> separators.",
]


def bare_tokenizer_json(roberta_folders: dict[str, Path], folder: Path) -> None:
    """Only a tokenizer.json, as the tokenizers library saves it: no config, no special tokens named."""
    Tokenizer.from_file(str(roberta_folders["tokenizer.json"] / "tokenizer.json")).save(str(folder / "tokenizer.json"))


LONGISH = "The hobbit lived in a comfortable hole under the hill at the end of Bagshot Row in Hobbiton."
