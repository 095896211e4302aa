"""GPT-2's byte-level BPE tokenizer (transformers v5's ``GPT2Tokenizer``).

As transformers v5, only the vocabulary and merges are read (from tokenizer.json, or from vocab.json +
merges.txt, as for RoBERTa) and the pipeline is rebuilt around them:

- model: BPE with no unknown token (every byte has a piece);
- pre-tokenizer: byte-level with GPT-2's word split, a space belonging to the word after it
  (``add_prefix_space`` puts one before the first word too);
- post-processor: tokenizer.json's; with none (vocab.json + merges.txt), or when ``add_bos_token`` /
  ``add_eos_token`` are given, transformers' bos/eos template (GPT-2 frames nothing by default);
- decoding: byte-level, which gives back the exact bytes (emoji, CJK, accents, runs of whitespace).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tokenizers import Tokenizer, processors

from ..hub import Checkpoint
from .roberta import RobertaTokenizerFast
from .tokenizers_backend import PreTrainedTokenizerFast

END_OF_TEXT = "<|endoftext|>"


class GPT2TokenizerFast(RobertaTokenizerFast):
    """GPT-2's tokenizer: RoBERTa's files and byte-level BPE, without RoBERTa's framing of inputs."""

    backend_settings: ClassVar[dict[str, Any]] = {"add_prefix_space": False, "errors": "replace"}
    default_special_tokens: ClassVar[dict[str, str]] = {
        "unk_token": END_OF_TEXT, "bos_token": END_OF_TEXT, "eos_token": END_OF_TEXT,
    }

    @classmethod
    def _model_from_json(cls, checkpoint: Checkpoint, data: dict[str, Any], backend: Tokenizer) -> dict[str, Any]:
        """The vocabulary and merges, and the post-processor (transformers v5 keeps tokenizer.json's)."""
        return {**super()._model_from_json(checkpoint, data, backend), "post_processor": backend.post_processor}

    def _post_processor(self) -> processors.PostProcessor | None:
        return PreTrainedTokenizerFast._post_processor(self)  # the bos/eos template, not RoBERTa's framing


GPT2Tokenizer = GPT2TokenizerFast  # transformers v5's name: its slow and fast classes are one class now
