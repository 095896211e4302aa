"""Qwen2's byte-level BPE tokenizer (transformers v5's ``Qwen2Tokenizer``; Qwen2.5 and Qwen3 use it too).

As for GPT-2, only the vocabulary and merges are read (tokenizer.json, or vocab.json + merges.txt) and the
pipeline is rebuilt as transformers v5 builds it: NFC normalization; Qwen2's word split (contractions, letter
runs with one leading non-letter, single digits, punctuation runs, newlines, whitespace), then the byte-level
mapping; BPE with no unknown token; byte-level decoding. tokenizer.json's post-processor is kept (Qwen2 adds no
bos token: ``bos_token`` is unset); ``add_bos_token`` / ``add_eos_token`` work as for GPT-2.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import BPE

from .gpt2 import END_OF_TEXT, GPT2TokenizerFast
from .tokenizers_backend import required_vocab, settings_call

WORD_SPLIT = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"""
    r"""\s+(?!\S)|\s+"""
)


class Qwen2TokenizerFast(GPT2TokenizerFast):
    """Qwen2's tokenizer: <|endoftext|> ends and pads texts; there is no bos token."""

    backend_settings: ClassVar[dict[str, Any]] = {"add_prefix_space": False}
    default_special_tokens: ClassVar[dict[str, str]] = {
        "unk_token": END_OF_TEXT, "eos_token": END_OF_TEXT, "pad_token": END_OF_TEXT,
    }

    def _build(self, vocab: Any, merges: list[tuple[str, str]] | None) -> Tokenizer:
        model = settings_call(
            self, BPE, vocab=required_vocab(self, vocab), merges=merges or [], dropout=None, unk_token=None,
            continuing_subword_prefix="", end_of_word_suffix="", fuse_unk=False, byte_fallback=False,
        )
        tokenizer = Tokenizer(model)
        tokenizer.normalizer = normalizers.NFC()
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(WORD_SPLIT), behavior="isolated", invert=False),
            settings_call(self, pre_tokenizers.ByteLevel, add_prefix_space=bool(self.add_prefix_space),
                          use_regex=False),
        ])
        tokenizer.decoder = decoders.ByteLevel()
        return tokenizer

    def _add_initial_tokens(self, added_tokens_decoder: Any) -> None:
        """As transformers v5 does after loading: every special token is added again as a plain special token
        (no lstrip / rstrip / normalization, whatever the files said)."""
        super()._add_initial_tokens(added_tokens_decoder)
        self._tokenizer.add_tokens([AddedToken(token, special=True) for token in self.all_special_tokens])


Qwen2Tokenizer = Qwen2TokenizerFast  # transformers v5's name: its slow and fast classes are one class now
