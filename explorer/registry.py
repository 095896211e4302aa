"""One row per architecture: which module, config, model classes, tokenizer and preprocessing serve each
``model_type``. Everything that lists classes is derived from :data:`ARCHITECTURES`: the Auto classes' tables,
``explorer.__all__``, the processors' part classes and the app's "which Auto class loads ``architectures[0]``".

A new architecture is one file in ``explorer/models/`` plus one :class:`Architecture` row below. Rows are plain
data (class names and module paths): a class is imported only when a lookup uses it, so ``import explorer``
stays cheap. ``register()`` on an Auto class (or a table) adds classes defined elsewhere.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import errors

# where each kind of preprocessing class lives (a tokenizer's module is in its row)
IMAGE_PROCESSOR_MODULE = "explorer.processing.image"
FEATURE_EXTRACTOR_MODULE = "explorer.processing.audio"
PROCESSOR_MODULE = "explorer.processing.multimodal"

# the Auto classes of models, each a table of its own (a row's ``models`` says which class each one loads)
MODEL_AUTO_CLASSES = (
    "AutoModel",
    "AutoModelForMaskedLM",
    "AutoModelForCausalLM",
    "AutoModelForSequenceClassification",
    "AutoModelForTokenClassification",
    "AutoModelForQuestionAnswering",
    "AutoModelForImageClassification",
    "AutoModelForAudioClassification",
    "AutoModelForCTC",
    "AutoModelForZeroShotImageClassification",
    "AutoBackbone",
)


@dataclass(frozen=True)
class Architecture:
    """One ``model_type``: its classes by name. ``models`` maps an Auto class to the class it loads."""

    model_type: str
    module: str = ""  # under explorer/models/ ("" for a type with no model: its preprocessing only)
    config: str = ""
    models: dict[str, str] = field(default_factory=dict)
    tokenizer: str = ""
    tokenizer_module: str = ""  # under explorer/tokenization/
    # the tokenizer is found by tokenizer_config.json's tokenizer_class only: transformers' TOKENIZER_MAPPING has
    # no entry for the model type (a checkpoint of it without tokenizer_class gets tokenizer.json as it is)
    tokenizer_by_name_only: bool = False
    image_processor: str = ""
    feature_extractor: str = ""
    processor: str = ""

    @property
    def model_module(self) -> str:
        return f"explorer.models.{self.module}"

    @property
    def tokenizer_module_path(self) -> str:
        return f"explorer.tokenization.{self.tokenizer_module}"


def text_heads(prefix: str) -> dict[str, str]:
    """The five classes of a BERT-style text encoder (base model and its four heads)."""
    return {
        "AutoModel": f"{prefix}Model",
        "AutoModelForMaskedLM": f"{prefix}ForMaskedLM",
        "AutoModelForSequenceClassification": f"{prefix}ForSequenceClassification",
        "AutoModelForTokenClassification": f"{prefix}ForTokenClassification",
        "AutoModelForQuestionAnswering": f"{prefix}ForQuestionAnswering",
    }


def vision_heads(prefix: str, backbone: bool = True) -> dict[str, str]:
    """An image model, its classifier, and (for staged architectures) its backbone."""
    heads = {"AutoModel": f"{prefix}Model", "AutoModelForImageClassification": f"{prefix}ForImageClassification"}
    return {**heads, "AutoBackbone": f"{prefix}Backbone"} if backbone else heads


def decoder_heads(prefix: str) -> dict[str, str]:
    """A decoder, its language-model head and its last-token classifier."""
    return {"AutoModel": f"{prefix}Model", "AutoModelForCausalLM": f"{prefix}ForCausalLM",
            "AutoModelForSequenceClassification": f"{prefix}ForSequenceClassification"}


ARCHITECTURES = (
    Architecture("bert", "bert", "BertConfig", text_heads("Bert"), tokenizer="BertTokenizerFast",
                 tokenizer_module="bert"),
    Architecture("distilbert", "distilbert", "DistilBertConfig", text_heads("DistilBert"),
                 tokenizer="DistilBertTokenizerFast", tokenizer_module="bert"),
    Architecture("roberta", "roberta", "RobertaConfig", text_heads("Roberta"), tokenizer="RobertaTokenizerFast",
                 tokenizer_module="roberta"),
    Architecture("xlm-roberta", "roberta", "XLMRobertaConfig", text_heads("XLMRoberta"),
                 tokenizer="XLMRobertaTokenizerFast", tokenizer_module="roberta"),
    Architecture("vit", "vit", "ViTConfig", vision_heads("ViT", backbone=False), image_processor="ViTImageProcessor"),
    Architecture("swin", "swin", "SwinConfig", vision_heads("Swin"), image_processor="ViTImageProcessor"),
    Architecture("convnext", "convnext", "ConvNextConfig", vision_heads("ConvNext"),
                 image_processor="ConvNextImageProcessor"),
    Architecture("resnet", "resnet", "ResNetConfig", vision_heads("ResNet"), image_processor="ConvNextImageProcessor"),
    Architecture("wav2vec2", "wav2vec2", "Wav2Vec2Config",
                 {"AutoModel": "Wav2Vec2Model", "AutoModelForAudioClassification": "Wav2Vec2ForSequenceClassification",
                  "AutoModelForCTC": "Wav2Vec2ForCTC"},
                 tokenizer="Wav2Vec2CTCTokenizer", tokenizer_module="wav2vec2_ctc",
                 feature_extractor="Wav2Vec2FeatureExtractor", processor="Wav2Vec2Processor"),
    Architecture("clip", "clip", "CLIPConfig",
                 {"AutoModel": "CLIPModel", "AutoModelForZeroShotImageClassification": "CLIPModel"},
                 tokenizer="CLIPTokenizerFast", tokenizer_module="clip", image_processor="CLIPImageProcessor",
                 processor="CLIPProcessor"),
    Architecture("clip_text_model", "clip", "CLIPTextConfig", {"AutoModel": "CLIPTextModel"}),
    Architecture("clip_vision_model", "clip", "CLIPVisionConfig", {"AutoModel": "CLIPVisionModel"}),
    Architecture("gpt2", "gpt2", "GPT2Config",
                 {"AutoModel": "GPT2Model", "AutoModelForCausalLM": "GPT2LMHeadModel",
                  "AutoModelForSequenceClassification": "GPT2ForSequenceClassification",
                  "AutoModelForTokenClassification": "GPT2ForTokenClassification",
                  "AutoModelForQuestionAnswering": "GPT2ForQuestionAnswering"},
                 tokenizer="GPT2TokenizerFast", tokenizer_module="gpt2"),
    # Llama 1/2's SentencePiece-style tokenizer, by its name only (Llama 3's files name PreTrainedTokenizerFast)
    Architecture("llama", "llama", "LlamaConfig", decoder_heads("Llama"), tokenizer="LlamaTokenizerFast",
                 tokenizer_module="llama", tokenizer_by_name_only=True),
    Architecture("qwen2", "qwen2", "Qwen2Config", decoder_heads("Qwen2"), tokenizer="Qwen2TokenizerFast",
                 tokenizer_module="qwen2"),
    # the configuration and preprocessing only: the model's visual backbone needs detectron2
    Architecture("layoutlmv2", "layoutlmv2", "LayoutLMv2Config", tokenizer="LayoutLMv2TokenizerFast",
                 tokenizer_module="layoutlmv2",
                 image_processor="LayoutLMv2ImageProcessor", processor="LayoutLMv2Processor"),
    # preprocessing of types whose models explorer does not have (transformers' tables list them too)
    Architecture("deit", image_processor="ViTImageProcessor"),
    Architecture("whisper", feature_extractor="WhisperFeatureExtractor"),
)

ARCHITECTURE_OF = {row.model_type: row for row in ARCHITECTURES}


class Registry:
    """One table, ``model_type -> class``, derived from the rows; a class is imported when looked up."""

    def __init__(self, what: str, names: dict[str, tuple[str, str]],
                 named_only: tuple[tuple[str, str], ...] = ()) -> None:
        self.what = what  # e.g. "AutoModelForMaskedLM", used in error messages
        self._names = dict(names)  # model_type -> (module, class name)
        self._named_only = {name: module for module, name in named_only}  # found by by_class_name only
        self._extra: dict[str, type] = {}

    def __contains__(self, model_type: object) -> bool:
        return model_type in self._names or model_type in self._extra

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names.keys() | self._extra.keys()))

    def class_name(self, model_type: str) -> str:
        return self._extra[model_type].__name__ if model_type in self._extra else self._names[model_type][1]

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
        module, name = self._names[model_type]
        return getattr(importlib.import_module(module), name)

    def by_class_name(self, class_name: str) -> type | None:
        """The registered class called ``class_name``, if any (e.g. from ``tokenizer_class``)."""
        for model_type in self:
            if self.class_name(model_type) == class_name:
                return self.get(model_type)
        if class_name in self._named_only:
            return getattr(importlib.import_module(self._named_only[class_name]), class_name)
        return None

    def register(self, model_type: str, cls: type, exist_ok: bool = False) -> None:
        if model_type in self and not exist_ok:
            raise errors.RegistryConflictError(
                f"{self.what} already maps {model_type!r} to {self.class_name(model_type)}; "
                "pass exist_ok=True to replace it."
            )
        self._extra[model_type] = cls


def table(what: str, column) -> Registry:
    """The table of one column of the rows: ``column(row)`` gives (module, class name), or a falsy name."""
    return Registry(what, {row.model_type: column(row) for row in ARCHITECTURES if column(row)[1]})


def model_table(auto: str) -> Registry:
    return table(auto, lambda row: (row.model_module, row.models.get(auto, "")))


CONFIGS = table("AutoConfig", lambda row: (row.model_module, row.config))
TOKENIZERS = Registry(
    "AutoTokenizer",
    {row.model_type: (row.tokenizer_module_path, row.tokenizer)
     for row in ARCHITECTURES if row.tokenizer and not row.tokenizer_by_name_only},
    named_only=tuple((row.tokenizer_module_path, row.tokenizer) for row in ARCHITECTURES if row.tokenizer_by_name_only),
)
IMAGE_PROCESSORS = table("AutoImageProcessor", lambda row: (IMAGE_PROCESSOR_MODULE, row.image_processor))
FEATURE_EXTRACTORS = table("AutoFeatureExtractor", lambda row: (FEATURE_EXTRACTOR_MODULE, row.feature_extractor))
PROCESSORS = table("AutoProcessor", lambda row: (PROCESSOR_MODULE, row.processor))
MODEL_TABLES = {auto: model_table(auto) for auto in MODEL_AUTO_CLASSES}
MODELS = MODEL_TABLES["AutoModel"]
BACKBONES = MODEL_TABLES["AutoBackbone"]


def auto_class_for_architecture(model_type: str, architecture: str | None) -> str:
    """The name of the Auto class whose table has ``architecture`` (config.json's ``architectures[0]``) for
    ``model_type``; AutoModel when no table has it (e.g. a pre-training head explorer does not have). A
    checkpoint is never saved from a backbone, so AutoBackbone is not among the answers."""
    return next((auto for auto, found in MODEL_TABLES.items()
                 if auto != "AutoBackbone" and model_type in found and found.class_name(model_type) == architecture),
                "AutoModel")


def exported_classes() -> dict[str, str]:
    """Every class a row names, with its module (``explorer.__all__`` is built from this); a fast tokenizer's
    slow name (``BertTokenizer`` for ``BertTokenizerFast``) is the same class, exported too."""
    found: dict[str, str] = {}
    for row in ARCHITECTURES:
        for name in (row.config, *row.models.values()):
            found[name] = row.model_module
        if row.tokenizer:
            found[row.tokenizer] = row.tokenizer_module_path
            if row.tokenizer.endswith("Fast"):
                found[row.tokenizer.removesuffix("Fast")] = row.tokenizer_module_path
        for name, module in ((row.image_processor, IMAGE_PROCESSOR_MODULE),
                             (row.feature_extractor, FEATURE_EXTRACTOR_MODULE), (row.processor, PROCESSOR_MODULE)):
            found[name] = module
    found.pop("", None)
    return found


def class_named(name: str) -> type:
    """The class a row names ``name`` (e.g. the part class of a processor), imported from its module."""
    return getattr(importlib.import_module(exported_classes()[name]), name)
