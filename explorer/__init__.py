"""explorer: transformers' Auto classes, reimplemented to be read and explored.

``from explorer import AutoTokenizer, AutoModel`` works as ``from transformers import ...`` for the supported
architectures. Names are imported on first use, so ``import explorer`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    **dict.fromkeys(
        (
            "AutoConfig",
            "AutoTokenizer",
            "AutoModel",
            "AutoModelForMaskedLM",
            "AutoModelForSequenceClassification",
            "AutoModelForTokenClassification",
            "AutoModelForQuestionAnswering",
            "AutoModelForImageClassification",
            "AutoModelForAudioClassification",
            "AutoModelForCTC",
            "AutoBackbone",
            "AutoImageProcessor",
            "AutoFeatureExtractor",
            "AutoProcessor",
        ),
        "explorer.auto",
    ),
    "PretrainedConfig": "explorer.configuration",
    "PreTrainedConfig": "explorer.configuration",
    "PreTrainedModel": "explorer.modeling",
    "PreTrainedTokenizerFast": "explorer.tokenization",
    "TokenizersBackend": "explorer.tokenization",
    "BatchEncoding": "explorer.tokenization",
    "BatchFeature": "explorer.batch",
    "ResolutionTrace": "explorer.trace",
    "LoadReport": "explorer.weights",
    "explore": "explorer.widgets",  # the notebook app; needs the lab extra (ipywidgets)
    **dict.fromkeys(
        ("BertConfig", "BertModel", "BertForMaskedLM", "BertForSequenceClassification",
         "BertForTokenClassification", "BertForQuestionAnswering"),
        "explorer.models.bert",
    ),
    **dict.fromkeys(
        ("DistilBertConfig", "DistilBertModel", "DistilBertForMaskedLM", "DistilBertForSequenceClassification",
         "DistilBertForTokenClassification", "DistilBertForQuestionAnswering"),
        "explorer.models.distilbert",
    ),
    **dict.fromkeys(
        ("RobertaConfig", "RobertaModel", "RobertaForMaskedLM", "RobertaForSequenceClassification",
         "RobertaForTokenClassification", "RobertaForQuestionAnswering", "XLMRobertaConfig", "XLMRobertaModel",
         "XLMRobertaForMaskedLM", "XLMRobertaForSequenceClassification", "XLMRobertaForTokenClassification",
         "XLMRobertaForQuestionAnswering"),
        "explorer.models.roberta",
    ),
    **dict.fromkeys(("ViTConfig", "ViTModel", "ViTForImageClassification"), "explorer.models.vit"),
    **dict.fromkeys(("SwinConfig", "SwinModel", "SwinForImageClassification", "SwinBackbone"), "explorer.models.swin"),
    **dict.fromkeys(("ConvNextConfig", "ConvNextModel", "ConvNextForImageClassification", "ConvNextBackbone"),
                    "explorer.models.convnext"),
    **dict.fromkeys(("ResNetConfig", "ResNetModel", "ResNetForImageClassification", "ResNetBackbone"),
                    "explorer.models.resnet"),
    **dict.fromkeys(("Wav2Vec2Config", "Wav2Vec2Model", "Wav2Vec2ForSequenceClassification", "Wav2Vec2ForCTC"),
                    "explorer.models.wav2vec2"),
    **dict.fromkeys(("CLIPConfig", "CLIPTextConfig", "CLIPVisionConfig", "CLIPModel", "CLIPTextModel",
                     "CLIPVisionModel"), "explorer.models.clip"),
    **dict.fromkeys(("CLIPTokenizer", "CLIPTokenizerFast"), "explorer.tokenization"),
    **dict.fromkeys(("ViTImageProcessor", "ConvNextImageProcessor", "CLIPImageProcessor", "LayoutLMv2ImageProcessor"),
                    "explorer.processing.image"),
    **dict.fromkeys(("Wav2Vec2FeatureExtractor", "WhisperFeatureExtractor"), "explorer.processing.audio"),
    "Wav2Vec2CTCTokenizer": "explorer.tokenization",
    **dict.fromkeys(("LayoutLMv2Tokenizer", "LayoutLMv2TokenizerFast"), "explorer.tokenization"),
    **dict.fromkeys(("Wav2Vec2Processor", "CLIPProcessor", "LayoutLMv2Processor", "ProcessorMixin"),
                    "explorer.processing.multimodal"),
    **dict.fromkeys(
        ("BertTokenizer", "BertTokenizerFast", "DistilBertTokenizer", "DistilBertTokenizerFast",
         "RobertaTokenizer", "RobertaTokenizerFast", "XLMRobertaTokenizer", "XLMRobertaTokenizerFast"),
        "explorer.tokenization",
    ),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'explorer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
