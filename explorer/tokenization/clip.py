"""CLIP's tokenizer: byte-level BPE whose word-final pieces end in ``</w>``, over lower-cased NFC text.

As transformers v5, only the vocabulary and merges are read (from tokenizer.json, or from vocab.json +
merges.txt, exactly as for RoBERTa) and the pipeline is rebuilt around them:

- normalizer: NFC, runs of whitespace to one space, lower case;
- pre-tokenizer: CLIP's word split (the two special tokens, English contractions, letter runs, single
  digits, other symbol runs; whitespace dropped), then byte-level mapping;
- model: BPE marking the end of each word with ``</w>``, unknown pieces as ``<|endoftext|>``;
- post-processor: ``<|startoftext|> A <|endoftext|>`` (pairs: ``... A <|endoftext|> <|endoftext|> B <|endoftext|>``);
- decoding: byte-level, then each ``</w>`` becomes a space and the ends are stripped.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import BPE

from .roberta import RobertaTokenizerFast
from .tokenizers_backend import required_tokens, required_vocab, settings_call

END_OF_WORD = "</w>"
# CLIP's word pattern (OpenAI's, lower-case text); matches are kept, whatever lies between them is dropped
WORD_SPLIT = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


class CLIPTokenizerFast(RobertaTokenizerFast):
    """CLIP's tokenizer. Vocabulary files are read as RoBERTa's (a byte-level BPE too); the pipeline is
    CLIP's, with no settings of its own (no ``add_prefix_space`` or ``trim_offsets``)."""

    model_input_names: ClassVar[list[str]] = ["input_ids", "attention_mask"]
    backend_settings: ClassVar[dict[str, Any]] = {}
    default_special_tokens: ClassVar[dict[str, str]] = {
        "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
    }

    def _build(self, vocab: Any, merges: list[tuple[str, str]] | None) -> Tokenizer:
        model = settings_call(
            self, BPE, vocab=required_vocab(self, vocab), merges=merges or [], dropout=None,
            continuing_subword_prefix="", end_of_word_suffix=END_OF_WORD, fuse_unk=False,
            unk_token=str(self.unk_token),
        )
        tokenizer = Tokenizer(model)
        tokenizer.normalizer = normalizers.Sequence(
            [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
        )
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(WORD_SPLIT), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ])
        tokenizer.decoder = decoders.ByteLevel()
        return tokenizer

    def _post_processor(self) -> processors.PostProcessor:
        bos, eos = required_tokens(self, "bos_token", "eos_token")
        return processors.RobertaProcessing((eos, self.eos_token_id), (bos, self.bos_token_id),
                                            trim_offsets=False, add_prefix_space=False)

    def _decode_one(self, ids: list[int], skip_special_tokens: bool, clean_up: bool | None) -> str:
        """Byte-level decoding leaves each word's ``</w>``: it becomes the space between words (transformers
        patches the backend's decode the same way)."""
        text = super()._decode_one(ids, skip_special_tokens, clean_up)
        return text.replace(END_OF_WORD, " ").strip()


CLIPTokenizer = CLIPTokenizerFast  # transformers v5's name: its slow and fast classes are one class now
