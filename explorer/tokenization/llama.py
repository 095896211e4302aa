"""Llama's SentencePiece-style BPE tokenizer (transformers v5's ``LlamaTokenizer``: Llama 1 and 2, TinyLlama,
Vicuna, Mistral 7B v0.1 and the many checkpoints that name it). Llama 3 is not this tokenizer: its files name
``PreTrainedTokenizerFast`` (a byte-level BPE used as tokenizer.json has it).

As transformers v5, only the vocabulary and merges are read from tokenizer.json and the pipeline is rebuilt:

- no normalizer; a Metaspace pre-tokenizer (spaces become ``▁``, the text is not split on them), which puts a
  ``▁`` before the first word when ``add_prefix_space`` (default) is on: before every piece of text between
  special tokens too with ``legacy=True``, before the first piece only otherwise;
- BPE with byte fallback: a character the vocabulary lacks is spelled with its UTF-8 bytes (``<0xF0>``...);
- decoding: ``▁`` back to spaces, byte tokens back to characters, the prefix space stripped;
- post-processor: tokenizer.json's (Llama's adds ``<s>``); ``add_bos_token`` / ``add_eos_token`` given replace
  it with transformers' bos/eos template, as for GPT-2. Batches are padded on the left unless the files say
  otherwise.

A checkpoint with only ``tokenizer.model`` (the SentencePiece protobuf) is refused with what to do.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tokenizers import Tokenizer, decoders, pre_tokenizers
from tokenizers.models import BPE

from ..hub import Checkpoint
from .files import no_tokenizer_json
from .gpt2 import GPT2TokenizerFast
from .tokenizers_backend import required_vocab, settings_call

SPIECE_UNDERLINE = "▁"  # SentencePiece's mark of a space
SENTENCEPIECE_MODEL = "tokenizer.model"


class LlamaTokenizerFast(GPT2TokenizerFast):
    """Llama's tokenizer: ``<s>`` starts texts, ``</s>`` ends them, ``<unk>`` is the unknown token; no pad token."""

    backend_settings: ClassVar[dict[str, Any]] = {"add_prefix_space": None, "use_default_system_prompt": False}
    default_special_tokens: ClassVar[dict[str, str]] = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>"}

    def __init__(self, tokenizer_object: Tokenizer | None = None, **settings: Any) -> None:
        # left in the settings, so saved when given (transformers v5 never saves it: legacy=True is lost on reload)
        self.legacy = settings.get("legacy", False)
        settings.setdefault("padding_side", "left")  # the class's default: tokenizer_config.json's wins
        super().__init__(tokenizer_object, **settings)

    @classmethod
    def _model_from_vocab_files(cls, checkpoint: Checkpoint) -> dict[str, Any]:
        """transformers reads Llama's vocabulary from tokenizer.json or tokenizer.model only (not vocab.json)."""
        why = f"{cls.__name__} reads its vocabulary from no other file"
        if checkpoint.has(SENTENCEPIECE_MODEL):
            why = (
                f"explorer does not convert {checkpoint.name_of(SENTENCEPIECE_MODEL)} (a SentencePiece model) to "
                f"{cls.__name__}. Convert it once with transformers, which needs the sentencepiece and protobuf "
                "packages: transformers.AutoTokenizer.from_pretrained(folder).save_pretrained(folder) writes the "
                "tokenizer.json explorer reads"
            )
        raise no_tokenizer_json(checkpoint, why)

    def _build(self, vocab: Any, merges: list[tuple[str, str]] | None) -> Tokenizer:
        # transformers' Llama BPE has no unknown token: byte fallback spells every character
        model = settings_call(self, BPE, vocab=required_vocab(self, vocab), merges=merges or [], fuse_unk=True,
                              byte_fallback=True, dropout=None)
        tokenizer = Tokenizer(model)
        prefix_space = True if self.add_prefix_space is None else bool(self.add_prefix_space)
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
            replacement=SPIECE_UNDERLINE, prepend_scheme=prepend_scheme(prefix_space, self.legacy), split=False
        )
        steps = [decoders.Replace(SPIECE_UNDERLINE, " "), decoders.ByteFallback(), decoders.Fuse()]
        if prefix_space:
            steps.append(decoders.Strip(content=" ", left=1))
        tokenizer.decoder = decoders.Sequence(steps)
        return tokenizer


def prepend_scheme(add_prefix_space: bool, legacy: Any) -> str:
    """Where Metaspace puts its ``▁`` (transformers' ``_get_prepend_scheme``): before every piece of text
    between special tokens ("always", legacy), before the first one only ("first"), or nowhere ("never")."""
    if not add_prefix_space:
        return "never"
    return "always" if legacy else "first"


LlamaTokenizer = LlamaTokenizerFast  # transformers v5's name: its slow and fast classes are one class now
