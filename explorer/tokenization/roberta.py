"""RoBERTa's byte-level BPE tokenizer, and XLM-RoBERTa's SentencePiece (Unigram) one."""

from __future__ import annotations

from typing import Any

from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import BPE, Unigram

from ..hub import Checkpoint
from .files import TOKENIZER_FILE, no_tokenizer_json, precompiled_charsmap, read_bpe_vocab, record_vocab
from .tokenizers_backend import (
    PreTrainedTokenizerFast,
    check_model_kind,
    required_tokens,
    required_vocab,
    settings_call,
)


class RobertaTokenizerFast(PreTrainedTokenizerFast):
    """RoBERTa's byte-level BPE: spaces belong to the following token, <s> A </s></s> B </s>."""

    backend_settings = {"add_prefix_space": False, "trim_offsets": True, "errors": "replace"}
    default_special_tokens = {
        "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>",
        "pad_token": "<pad>", "mask_token": "<mask>",
    }
    model_kind = "BPE"

    @classmethod
    def _model_from_json(cls, checkpoint: Checkpoint, data: dict[str, Any], backend: Tokenizer) -> dict[str, Any]:
        check_model_kind(checkpoint, cls, backend)
        vocab, merges = data["model"]["vocab"], data["model"]["merges"]
        record_vocab(checkpoint, cls, TOKENIZER_FILE, len(vocab), "BPE vocabulary and merges from tokenizer.json")
        # merges are "a b" strings in older files, ["a", "b"] pairs in newer ones
        return {"vocab": vocab, "merges": [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]}

    @classmethod
    def _model_from_vocab_files(cls, checkpoint: Checkpoint) -> dict[str, Any]:
        needed_for = f"{cls.__name__} (there is no tokenizer.json)"
        vocab, merges = read_bpe_vocab(checkpoint, needed_for)
        result = "BPE built from vocab.json + merges.txt (no tokenizer.json)"
        record_vocab(checkpoint, cls, "vocab.json", len(vocab), result)
        return {"vocab": vocab, "merges": merges}

    def _build(self, vocab: Any, merges: list[tuple[str, str]] | None) -> Tokenizer:
        model = settings_call(
            self, BPE, vocab=required_vocab(self, vocab), merges=merges or [], dropout=None,
            continuing_subword_prefix="", end_of_word_suffix="", fuse_unk=False,
        )
        tokenizer = Tokenizer(model)
        tokenizer.pre_tokenizer = settings_call(self, pre_tokenizers.ByteLevel, add_prefix_space=self.add_prefix_space)
        tokenizer.decoder = decoders.ByteLevel()
        return tokenizer

    def _post_processor(self) -> processors.PostProcessor:
        cls, sep = required_tokens(self, "cls_token", "sep_token")
        return processors.RobertaProcessing(
            (sep, self.sep_token_id), (cls, self.cls_token_id),
            trim_offsets=bool(self.trim_offsets), add_prefix_space=bool(self.add_prefix_space),
        )


class XLMRobertaTokenizerFast(PreTrainedTokenizerFast):
    """XLM-RoBERTa's SentencePiece (Unigram) tokenizer; loads from tokenizer.json only."""

    backend_settings = {"add_prefix_space": True}
    default_special_tokens = RobertaTokenizerFast.default_special_tokens
    model_kind = "Unigram"
    unk_id = 3  # transformers v5 hard-codes it: XLM-R vocabularies start with <s> <pad> </s> <unk>

    def __init__(self, tokenizer_object: Tokenizer | None = None, *, precompiled_charsmap: bytes | None = None,
                 **kwargs: Any) -> None:
        self.precompiled_charsmap = precompiled_charsmap
        super().__init__(tokenizer_object, **kwargs)

    @classmethod
    def _model_from_json(cls, checkpoint: Checkpoint, data: dict[str, Any], backend: Tokenizer) -> dict[str, Any]:
        check_model_kind(checkpoint, cls, backend)
        vocab = [tuple(entry) for entry in data["model"]["vocab"]]
        record_vocab(checkpoint, cls, TOKENIZER_FILE, len(vocab), "Unigram vocabulary from tokenizer.json")
        return {"vocab": vocab, "precompiled_charsmap": precompiled_charsmap(data.get("normalizer"))}

    @classmethod
    def _model_from_vocab_files(cls, checkpoint: Checkpoint) -> dict[str, Any]:
        raise no_tokenizer_json(
            checkpoint,
            f"explorer does not convert sentencepiece.bpe.model to {cls.__name__}; save the tokenizer once with "
            "transformers to get a tokenizer.json",
        )

    def _build(self, vocab: Any, merges: list[tuple[str, str]] | None) -> Tokenizer:
        tokenizer = Tokenizer(settings_call(self, Unigram, vocab=required_vocab(self, vocab), unk_id=self.unk_id,
                                             byte_fallback=False))
        if self.precompiled_charsmap is not None:
            charsmap = self.precompiled_charsmap
            tokenizer.normalizer = settings_call(self, normalizers.Precompiled, precompiled_charsmap=charsmap)
        prepend_scheme = "always" if self.add_prefix_space else "never"
        metaspace = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme=prepend_scheme)
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), metaspace])
        tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme=prepend_scheme)
        return tokenizer

    def _post_processor(self) -> processors.PostProcessor:
        bos, eos = required_tokens(self, "bos_token", "eos_token")
        return processors.TemplateProcessing(
            single=[bos, "$A", eos],
            pair=[bos, "$A", eos, eos, "$B", eos],
            special_tokens=[(bos, self.bos_token_id), (eos, self.eos_token_id)],
        )




# transformers v5 names: its slow and fast classes are one class now
RobertaTokenizer = RobertaTokenizerFast
XLMRobertaTokenizer = XLMRobertaTokenizerFast
