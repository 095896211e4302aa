"""BERT's WordPiece tokenizer (and DistilBERT's, the same without token type ids)."""

from __future__ import annotations

from typing import Any

from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

from ..hub import Checkpoint
from .files import TOKENIZER_FILE, read_wordpiece_vocab, record_vocab
from .tokenizers_backend import (
    PreTrainedTokenizerFast,
    check_model_kind,
    required_tokens,
    required_vocab,
    settings_call,
)


class BertTokenizerFast(PreTrainedTokenizerFast):
    """BERT's WordPiece tokenizer: lower-casing and accent stripping per the settings, [CLS] A [SEP] B [SEP]."""

    model_input_names = ["input_ids", "token_type_ids", "attention_mask"]
    backend_settings = {"do_lower_case": True, "tokenize_chinese_chars": True, "strip_accents": None}
    default_special_tokens = {
        "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]",
    }
    model_kind = "WordPiece"

    @classmethod
    def _model_from_json(cls, checkpoint: Checkpoint, data: dict[str, Any], backend: Tokenizer) -> dict[str, Any]:
        check_model_kind(checkpoint, cls, backend)
        vocab = data["model"]["vocab"]
        record_vocab(checkpoint, cls, TOKENIZER_FILE, len(vocab), "WordPiece vocabulary from tokenizer.json")
        return {"vocab": vocab}

    @classmethod
    def _model_from_vocab_files(cls, checkpoint: Checkpoint) -> dict[str, Any]:
        vocab = read_wordpiece_vocab(checkpoint, f"{cls.__name__} (there is no tokenizer.json)")
        record_vocab(checkpoint, cls, "vocab.txt", len(vocab), "WordPiece built from vocab.txt (no tokenizer.json)")
        return {"vocab": vocab}

    def _build(self, vocab: Any, merges: list[tuple[str, str]] | None) -> Tokenizer:
        model = settings_call(self, WordPiece, vocab=required_vocab(self, vocab), unk_token=str(self.unk_token))
        tokenizer = Tokenizer(model)
        tokenizer.normalizer = settings_call(
            self, normalizers.BertNormalizer, clean_text=True, handle_chinese_chars=self.tokenize_chinese_chars,
            strip_accents=self.strip_accents, lowercase=self.do_lower_case,
        )
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tokenizer.decoder = decoders.WordPiece(prefix="##")
        return tokenizer

    def _post_processor(self) -> processors.PostProcessor:
        cls, sep = required_tokens(self, "cls_token", "sep_token")
        return processors.TemplateProcessing(
            single=f"{cls}:0 $A:0 {sep}:0",
            pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
            special_tokens=[(cls, self.cls_token_id), (sep, self.sep_token_id)],
        )


class DistilBertTokenizerFast(BertTokenizerFast):
    """BERT's tokenizer without token type ids (DistilBERT has no segment embeddings)."""

    model_input_names = ["input_ids", "attention_mask"]


# transformers v5 names: its slow and fast classes are one class now
BertTokenizer = BertTokenizerFast
DistilBertTokenizer = DistilBertTokenizerFast
