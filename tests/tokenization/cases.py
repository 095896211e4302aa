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


# a few KB of varied text for the byte-level BPE tokenizers trained here: whitespace runs, code, emoji, CJK,
# accents, numbers, contractions, newlines
BPE_CORPUS = [
    "The quick brown fox jumps over the lazy dog. It's 2024, and we've got 3.14159 reasons to smile!",
    "def greet(name: str) -> str:\n    return f\"Hello, {name}!\"\n\n\nif __name__ == '__main__':\n\tprint(greet('world'))",
    "for (int i = 0; i < 10; ++i) { sum += a[i] * b[i]; }  // dot product\r\n",
    "Emoji: 🤗 🚀🚀 👩‍👩‍👧‍👦 ❤️ 🇰🇷 — and a flag 🏳️‍🌈 in a sentence.",
    "我爱北京天安门。東京タワーに行きました。한국어 텍스트도 있어요。中文，標點！",
    "Café naïve résumé, Ångström and Éowyn's façade — ÀÉÎÕÜ çñ ß ø œ; e\u0301 (combining) vs é.",
    "Numbers: 1234567890, 1,000,000.00, 0x1F, 3e-5, 42nd, 1st; phone +82-10-1234-5678.",
    "   leading spaces, trailing spaces   \n\n\n   and    runs     of      spaces\t\t\ttabs",
    "I'm, you're, he's, we'll, they'd, can't, WON'T, I'VE — contractions and CAPS.",
    "<html><body class=\"x\">&amp; &lt;tags&gt;</body></html> {\"json\": [1, 2, {\"k\": null}]}",
]
BPE_TEXTS = [*BPE_CORPUS, " leading space", "trailing space ", "\n", "  ", "", "x" * 300]
END_OF_TEXT = "<|endoftext|>"
LLAMA3_SPECIAL = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
QWEN2_SPECIAL = [END_OF_TEXT, "<|im_start|>", "<|im_end|>"]
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                r"\s*[\r\n]+|\s+(?!\S)|\s+")
# a ChatML template like Qwen2's (a default system prompt, <|im_start|>role ... <|im_end|>, the generation prompt)
CHATML_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# Llama 3's: a bos token, header ids, <|eot_id|> after each message
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim"
    " + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
CHAT = [
    {"role": "user", "content": "Hello! 你好 🤗"},
    {"role": "assistant", "content": "Hi there.  How can I help?"},
    {"role": "user", "content": "Write def f(x):\n    return x * 2"},
]
