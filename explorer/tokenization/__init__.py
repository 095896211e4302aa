"""Tokenizers, with transformers' API and outputs (v5 behaviour).

- :mod:`.base`: :class:`PreTrainedTokenizerBase`, what every tokenizer has whatever its backend (special
  tokens, padding and truncation rules, ``pad``, saving, the ``from_pretrained`` template);
- :mod:`.tokenizers_backend`: :class:`PreTrainedTokenizerFast` (``TokenizersBackend``), over the ``tokenizers``
  library; :mod:`.python_backend`: :class:`PythonBackend`, in pure Python;
- :mod:`.bert`, :mod:`.roberta`, :mod:`.clip`, :mod:`.gpt2`, :mod:`.qwen2`, :mod:`.llama`, :mod:`.layoutlmv2`
  (over the ``tokenizers`` library) and :mod:`.wav2vec2_ctc` (pure Python): the model-specific tokenizers;
- :mod:`.batch_encoding`: :class:`BatchEncoding`, what a call returns; :mod:`.files`: reading the checkpoint's
  tokenizer files and writing them back; :mod:`.chat_template`: chat templates, rendered in a sandbox.

``from explorer.tokenization import BertTokenizerFast`` imports only the module that defines the name.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the module of this package that defines it
_EXPORTS = {
    **dict.fromkeys(("PreTrainedTokenizerBase", "VERY_LARGE_INTEGER"), "base"),
    **dict.fromkeys(("BatchEncoding", "CharSpan", "TokenSpan"), "batch_encoding"),
    **dict.fromkeys(("TOKENIZER_CONFIG", "TOKENIZER_FILE", "SPECIAL_TOKENS_ATTRIBUTES"), "files"),
    **dict.fromkeys(("PreTrainedTokenizerFast", "TokenizersBackend", "tokenizer_class_from_name"),
                    "tokenizers_backend"),
    "PythonBackend": "python_backend",
    **dict.fromkeys(("BertTokenizer", "BertTokenizerFast", "DistilBertTokenizer", "DistilBertTokenizerFast"), "bert"),
    **dict.fromkeys(("RobertaTokenizer", "RobertaTokenizerFast", "XLMRobertaTokenizer", "XLMRobertaTokenizerFast"),
                    "roberta"),
    **dict.fromkeys(("CLIPTokenizer", "CLIPTokenizerFast"), "clip"),
    **dict.fromkeys(("GPT2Tokenizer", "GPT2TokenizerFast"), "gpt2"),
    **dict.fromkeys(("Qwen2Tokenizer", "Qwen2TokenizerFast"), "qwen2"),
    **dict.fromkeys(("LlamaTokenizer", "LlamaTokenizerFast"), "llama"),
    **dict.fromkeys(("LayoutLMv2Tokenizer", "LayoutLMv2TokenizerFast"), "layoutlmv2"),
    **dict.fromkeys(("Wav2Vec2CTCTokenizer", "Wav2Vec2CTCTokenizerOutput"), "wav2vec2_ctc"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'explorer.tokenization' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
