"""Plain tables ``model_type -> class name``, imported lazily, extended with ``register()``.

A new architecture is one file in ``explorer/models/`` plus one row in each table below that applies.
Classes are imported only when a row is used, so ``import explorer`` stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from . import errors

# model types whose classes live in another architecture's file
MODULE_OF_TYPE = {"xlm-roberta": "roberta", "clip_text_model": "clip", "clip_vision_model": "clip"}

CONFIG_NAMES = {
    "bert": "BertConfig",
    "distilbert": "DistilBertConfig",
    "roberta": "RobertaConfig",
    "xlm-roberta": "XLMRobertaConfig",
    "vit": "ViTConfig",
    "swin": "SwinConfig",
    "convnext": "ConvNextConfig",
    "resnet": "ResNetConfig",
    "wav2vec2": "Wav2Vec2Config",
    "clip": "CLIPConfig",
    "clip_text_model": "CLIPTextConfig",
    "clip_vision_model": "CLIPVisionConfig",
    "layoutlmv2": "LayoutLMv2Config",  # the configuration only: explorer has its processor, not its model
}

MODEL_NAMES = {
    "bert": "BertModel",
    "distilbert": "DistilBertModel",
    "roberta": "RobertaModel",
    "xlm-roberta": "XLMRobertaModel",
    "vit": "ViTModel",
    "swin": "SwinModel",
    "convnext": "ConvNextModel",
    "resnet": "ResNetModel",
    "wav2vec2": "Wav2Vec2Model",
    "clip": "CLIPModel",
    "clip_text_model": "CLIPTextModel",
    "clip_vision_model": "CLIPVisionModel",
}

MASKED_LM_NAMES = {
    "bert": "BertForMaskedLM",
    "distilbert": "DistilBertForMaskedLM",
    "roberta": "RobertaForMaskedLM",
    "xlm-roberta": "XLMRobertaForMaskedLM",
}

SEQUENCE_CLASSIFICATION_NAMES = {
    "bert": "BertForSequenceClassification",
    "distilbert": "DistilBertForSequenceClassification",
    "roberta": "RobertaForSequenceClassification",
    "xlm-roberta": "XLMRobertaForSequenceClassification",
}

TOKEN_CLASSIFICATION_NAMES = {
    "bert": "BertForTokenClassification",
    "distilbert": "DistilBertForTokenClassification",
    "roberta": "RobertaForTokenClassification",
    "xlm-roberta": "XLMRobertaForTokenClassification",
}

QUESTION_ANSWERING_NAMES = {
    "bert": "BertForQuestionAnswering",
    "distilbert": "DistilBertForQuestionAnswering",
    "roberta": "RobertaForQuestionAnswering",
    "xlm-roberta": "XLMRobertaForQuestionAnswering",
}

TOKENIZER_NAMES = {
    "bert": "BertTokenizerFast",
    "distilbert": "DistilBertTokenizerFast",
    "roberta": "RobertaTokenizerFast",
    "xlm-roberta": "XLMRobertaTokenizerFast",
    "wav2vec2": "Wav2Vec2CTCTokenizer",
    "clip": "CLIPTokenizerFast",
    "layoutlmv2": "LayoutLMv2TokenizerFast",
}


IMAGE_CLASSIFICATION_NAMES = {
    "vit": "ViTForImageClassification",
    "swin": "SwinForImageClassification",
    "convnext": "ConvNextForImageClassification",
    "resnet": "ResNetForImageClassification",
}

BACKBONE_NAMES = {
    "swin": "SwinBackbone",
    "convnext": "ConvNextBackbone",
    "resnet": "ResNetBackbone",
}

AUDIO_CLASSIFICATION_NAMES = {"wav2vec2": "Wav2Vec2ForSequenceClassification"}

CTC_NAMES = {"wav2vec2": "Wav2Vec2ForCTC"}

# preprocessing: model type -> class, as transformers' image_processing_auto / feature_extraction_auto /
# processing_auto tables (Swin checkpoints use ViT's image processor, ResNet's ConvNeXt's)
IMAGE_PROCESSOR_NAMES = {
    "vit": "ViTImageProcessor",
    "swin": "ViTImageProcessor",
    "deit": "ViTImageProcessor",
    "convnext": "ConvNextImageProcessor",
    "resnet": "ConvNextImageProcessor",
    "clip": "CLIPImageProcessor",
    "layoutlmv2": "LayoutLMv2ImageProcessor",
}

FEATURE_EXTRACTOR_NAMES = {
    "wav2vec2": "Wav2Vec2FeatureExtractor",
    "whisper": "WhisperFeatureExtractor",
}

PROCESSOR_NAMES = {
    "wav2vec2": "Wav2Vec2Processor",
    "clip": "CLIPProcessor",
    "layoutlmv2": "LayoutLMv2Processor",
}

# tokenizers in a module of their own (the others are imported from the explorer.tokenization package)
TOKENIZER_MODULES = {
    "wav2vec2": "explorer.tokenization.wav2vec2_ctc",
    "clip": "explorer.tokenization.clip",
    "layoutlmv2": "explorer.tokenization.layoutlmv2",
}


def model_module(model_type: str) -> str:
    return "explorer.models." + MODULE_OF_TYPE.get(model_type, model_type.replace("-", "_"))


class Registry:
    """One table: ``model_type -> class``, resolved by importing the module that defines the class."""

    def __init__(self, what: str, names: dict[str, str], module_of=model_module) -> None:
        self.what = what  # e.g. "AutoModelForMaskedLM", used in error messages
        self._names = dict(names)
        self._module_of = module_of
        self._extra: dict[str, type] = {}

    def __contains__(self, model_type: object) -> bool:
        return model_type in self._names or model_type in self._extra

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names.keys() | self._extra.keys()))

    def class_name(self, model_type: str) -> str:
        return self._extra[model_type].__name__ if model_type in self._extra else self._names[model_type]

    def get(self, model_type: str, source: str = "config.json") -> type:
        """The class for ``model_type``; an unknown type names ``source``, the known types and the closest."""
        if model_type in self._extra:
            return self._extra[model_type]
        if model_type not in self._names:
            raise errors.UnknownModelTypeError(
                f"{source}: model_type={model_type!r} is not supported by {self.what}. Supported: "
                f"{', '.join(self)}.{errors.closest(str(model_type), self)} "
                f"Use a checkpoint of a supported type, or add one with {self.what}.register()."
            )
        return getattr(importlib.import_module(self._module_of(model_type)), self._names[model_type])

    def by_class_name(self, class_name: str) -> type | None:
        """The registered class called ``class_name``, if any (e.g. from ``tokenizer_class``)."""
        for model_type in self:
            if self.class_name(model_type) == class_name:
                return self.get(model_type)
        return None

    def register(self, model_type: str, cls: type, exist_ok: bool = False) -> None:
        if model_type in self and not exist_ok:
            raise errors.RegistryConflictError(
                f"{self.what} already maps {model_type!r} to {self.class_name(model_type)}; "
                "pass exist_ok=True to replace it."
            )
        self._extra[model_type] = cls


CONFIGS = Registry("AutoConfig", CONFIG_NAMES)
TOKENIZERS = Registry("AutoTokenizer", TOKENIZER_NAMES,
                      module_of=lambda model_type: TOKENIZER_MODULES.get(model_type, "explorer.tokenization"))
MODELS = Registry("AutoModel", MODEL_NAMES)
MASKED_LM = Registry("AutoModelForMaskedLM", MASKED_LM_NAMES)
SEQUENCE_CLASSIFICATION = Registry("AutoModelForSequenceClassification", SEQUENCE_CLASSIFICATION_NAMES)
TOKEN_CLASSIFICATION = Registry("AutoModelForTokenClassification", TOKEN_CLASSIFICATION_NAMES)
QUESTION_ANSWERING = Registry("AutoModelForQuestionAnswering", QUESTION_ANSWERING_NAMES)
IMAGE_CLASSIFICATION = Registry("AutoModelForImageClassification", IMAGE_CLASSIFICATION_NAMES)
BACKBONES = Registry("AutoBackbone", BACKBONE_NAMES)
AUDIO_CLASSIFICATION = Registry("AutoModelForAudioClassification", AUDIO_CLASSIFICATION_NAMES)
CTC = Registry("AutoModelForCTC", CTC_NAMES)
IMAGE_PROCESSORS = Registry("AutoImageProcessor", IMAGE_PROCESSOR_NAMES,
                            module_of=lambda model_type: "explorer.processing.image")
FEATURE_EXTRACTORS = Registry("AutoFeatureExtractor", FEATURE_EXTRACTOR_NAMES,
                              module_of=lambda model_type: "explorer.processing.audio")
PROCESSORS = Registry("AutoProcessor", PROCESSOR_NAMES, module_of=lambda model_type: "explorer.processing.multimodal")

# the Auto classes of models, by name; a head's Auto class before AutoModel, the backbone not among them (a
# checkpoint is never saved from a backbone)
MODEL_AUTO_CLASSES = {table.what: table for table in (
    MASKED_LM, SEQUENCE_CLASSIFICATION, TOKEN_CLASSIFICATION, QUESTION_ANSWERING, IMAGE_CLASSIFICATION,
    AUDIO_CLASSIFICATION, CTC, MODELS,
)}


def auto_class_for_architecture(model_type: str, architecture: str | None) -> str:
    """The name of the Auto class whose table has ``architecture`` (config.json's ``architectures[0]``) for
    ``model_type``; AutoModel when no table has it (e.g. a pre-training head explorer does not have)."""
    return next((name for name, table in MODEL_AUTO_CLASSES.items()
                 if model_type in table and table.class_name(model_type) == architecture), MODELS.what)
