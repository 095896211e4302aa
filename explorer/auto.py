"""The Auto classes: read a checkpoint's files, look the deciding key up in a registry table, build the
object, and record in the resolution trace which file and key decided.
"""

from __future__ import annotations

from typing import Any, ClassVar

from . import errors, registry
from .configuration import CONFIG_NAME, PretrainedConfig, read_config_dict
from .hub import Checkpoint, pop_hub_kwargs, refuse_remote_code
from .resolution import open_checkpoint
from .registry import Registry
from .tokenization.files import TOKENIZER_CONFIG, TOKENIZER_FILE


class AutoClass:
    """Auto classes are factories: they are never instantiated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise errors.AutoClassUsageError(
            f"{type(self).__name__} is not instantiated: use {type(self).__name__}.from_pretrained(reference)"
            + (" or .from_config(config)." if hasattr(self, "from_config") else ".")
        )


# --- configurations --------------------------------------------------------------------------------------------


class AutoConfig(AutoClass):
    @classmethod
    def for_model(cls, model_type: str, **kwargs: Any) -> PretrainedConfig:
        """A config of ``model_type`` with transformers' defaults, ``kwargs`` overriding them."""
        return registry.CONFIGS.get(model_type, source="AutoConfig.for_model")(**kwargs)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, **kwargs: Any) -> Any:
        """The config class named by ``config.json``'s ``model_type``; ``kwargs`` naming config fields
        override the file (``return_unused_kwargs=True`` also returns the others)."""
        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        refuse_remote_code(kwargs)
        data = read_config_dict(checkpoint)
        return config_class_for(checkpoint, data).from_checkpoint_dict(checkpoint, data, **kwargs)

    @staticmethod
    def register(model_type: str, config_class: type[PretrainedConfig], exist_ok: bool = False) -> None:
        if config_class.model_type != model_type:
            raise errors.ConfigValueError(
                f"{config_class.__name__}.model_type is {config_class.model_type!r}, not {model_type!r}: "
                "set the class attribute model_type to the key you register."
            )
        registry.CONFIGS.register(model_type, config_class, exist_ok=exist_ok)


def config_class_for(checkpoint: Checkpoint, data: dict[str, Any]) -> type[PretrainedConfig]:
    """config.json's ``model_type`` -> config class, recorded in the trace."""
    model_type, note = model_type_in(checkpoint, data)
    config_class = registry.CONFIGS.get(model_type, source=checkpoint.name_of(CONFIG_NAME))
    checkpoint.trace.decide("AutoConfig", checkpoint.name_of(CONFIG_NAME), "model_type", data.get("model_type"),
                            config_class.__name__, note=note)
    return config_class


def model_type_in(checkpoint: Checkpoint, data: dict[str, Any]) -> tuple[str, str]:
    """config.json's ``model_type``; without one, the longest known type in the name (as transformers does for
    old checkpoints), with a note saying so."""
    source = checkpoint.name_of(CONFIG_NAME)
    model_type = data.get("model_type")
    if model_type is None:
        name = checkpoint.reference.lower()
        found = [known for known in sorted(registry.CONFIGS, key=len, reverse=True) if known in name]
        if not found:
            raise errors.UnknownModelTypeError(
                f"{source} of {checkpoint.reference!r} has no model_type, and the name contains no supported "
                f"type ({', '.join(registry.CONFIGS)}). Add a \"model_type\" key to {source}."
            )
        return found[0], f"no model_type in the file; {found[0]!r} found in the name"
    if not isinstance(model_type, str):
        raise errors.MalformedFileError(f"{source}: model_type must be a string, got {model_type!r}.")
    return model_type, ""


# --- tokenizers ----------------------------------------------------------------------------------------------------


class AutoTokenizer(AutoClass):
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, *inputs: Any, **kwargs: Any) -> Any:
        """The class named by ``tokenizer_config.json``'s ``tokenizer_class``, else the one for
        ``config.json``'s model type; always the fast tokenizer (``use_fast`` is accepted and noted)."""
        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        refuse_remote_code(kwargs)
        use_fast = kwargs.pop("use_fast", True)
        tokenizer_class = tokenizer_class_for(checkpoint, kwargs.pop("config", None))
        if not use_fast:
            checkpoint.trace.decide("AutoTokenizer", "", "use_fast", False, tokenizer_class.__name__,
                                    note="explorer has only fast (tokenizers) tokenizers; their output is the same")
        return tokenizer_class.from_pretrained(checkpoint, *inputs, **kwargs)

    @staticmethod
    def register(model_type: str, tokenizer_class: type, exist_ok: bool = False) -> None:
        registry.TOKENIZERS.register(model_type, tokenizer_class, exist_ok=exist_ok)


def tokenizer_class_for(checkpoint: Checkpoint, config: PretrainedConfig | None) -> type:
    from .tokenization import PreTrainedTokenizerFast, tokenizer_class_from_name

    settings = checkpoint.read_json(TOKENIZER_CONFIG) or {}
    source = checkpoint.name_of(TOKENIZER_CONFIG)
    name = settings.get("tokenizer_class")
    if name is not None:
        found = tokenizer_class_from_name(name) if isinstance(name, str) else None
        if found is not None and found.__name__ == "LlamaTokenizerFast" and _is_byte_level(checkpoint):
            # as transformers: Llama's class rebuilds a SentencePiece-style pipeline, wrong for this vocabulary
            checkpoint.trace.decide("AutoTokenizer", source, "tokenizer_class", name, PreTrainedTokenizerFast.__name__,
                                    note="tokenizer.json is byte-level (Llama 3 style): used as it is")
            return PreTrainedTokenizerFast
        if found is not None:
            checkpoint.trace.decide("AutoTokenizer", source, "tokenizer_class", name, found.__name__)
            return found
        checkpoint.trace.decide("AutoTokenizer", source, "tokenizer_class", name, "not a known class",
                                note="falling back to the model type")
    model_type = config.model_type if config is not None else _model_type_of(checkpoint)
    if model_type is not None and (model_type in registry.TOKENIZERS or not checkpoint.has(TOKENIZER_FILE)):
        found = registry.TOKENIZERS.get(model_type, source=checkpoint.name_of(CONFIG_NAME))
        checkpoint.trace.decide("AutoTokenizer", checkpoint.name_of(CONFIG_NAME), "model_type", model_type,
                                found.__name__)
        return found
    if checkpoint.has(TOKENIZER_FILE):
        checkpoint.trace.decide("AutoTokenizer", checkpoint.name_of(TOKENIZER_FILE), "", None,
                                PreTrainedTokenizerFast.__name__,
                                note="no tokenizer_class, and no tokenizer class for the model type")
        return PreTrainedTokenizerFast
    raise errors.EntryNotFoundError(
        f"{checkpoint.describe()} has no tokenizer: no tokenizer_class in {TOKENIZER_CONFIG}, no model_type in "
        f"{CONFIG_NAME}, and no tokenizer.json. Pass the checkpoint the tokenizer came with."
    )


def _is_byte_level(checkpoint: Checkpoint) -> bool:
    """transformers' test: tokenizer.json names "ByteLevel" anywhere (its pre-tokenizer, decoder or post-processor)."""
    if checkpoint.read_json(TOKENIZER_FILE) is None:  # first: it refuses a file too large before reading it
        return False
    return '"ByteLevel"' in checkpoint.read_text(TOKENIZER_FILE)


def _model_type_of(checkpoint: Checkpoint) -> str | None:
    """config.json's model type without building a config (AutoTokenizer alone needs only the type)."""
    data = checkpoint.read_json(CONFIG_NAME)
    return None if data is None else model_type_in(checkpoint, data)[0]


# --- preprocessing ------------------------------------------------------------------------------------------------


def class_named(checkpoint: Checkpoint, stage: str, file: str, data: dict[str, Any], key: str,
                registries: tuple[Registry, ...], spellings: Any = lambda name: (name,)) -> type | None:
    """The class a file names under ``key`` (tried in each of its ``spellings``), recorded in the trace."""
    name = data.get(key)
    if not isinstance(name, str):
        return None
    for spelling in spellings(name):
        for table in registries:
            found = table.by_class_name(spelling)
            if found is not None:
                checkpoint.trace.decide(stage, checkpoint.name_of(file), key, name, found.__name__)
                return found
    checkpoint.trace.decide(stage, checkpoint.name_of(file), key, name, "not a known class",
                            note="falling back to the model type")
    return None


def class_for_model_type(checkpoint: Checkpoint, stage: str, table: Registry,
                         config: PretrainedConfig | None = None) -> type | None:
    """The class ``table`` has for the model type (of ``config``, else config.json's; None without config.json
    or a row)."""
    model_type = config.model_type if config is not None else (checkpoint.read_json(CONFIG_NAME) or {}).get("model_type")
    if model_type not in table:
        return None
    found = table.get(model_type)
    checkpoint.trace.decide(stage, checkpoint.name_of(CONFIG_NAME), "model_type", model_type, found.__name__)
    return found


def image_processor_spellings(name: str) -> tuple[str, ...]:
    """transformers' names for one image processor: ``...Fast``/``...Pil`` backends, legacy ``...FeatureExtractor``."""
    base = name.removesuffix("Fast").removesuffix("Pil")
    return base, base.replace("FeatureExtractor", "ImageProcessor")


class AutoImageProcessor(AutoClass):
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, *inputs: Any, **kwargs: Any) -> Any:
        """The settings nested in processor_config.json, else preprocessor_config.json; the class their
        ``image_processor_type`` names, else the legacy ``feature_extractor_type``, else config.json's model
        type. ``use_fast`` is accepted: there is one implementation."""
        from .processing import read_settings

        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        refuse_remote_code(kwargs)
        kwargs.pop("use_fast", None)
        config = kwargs.pop("config", None)
        file, data = read_settings(checkpoint, "image_processor", cls.__name__)
        tables = (registry.IMAGE_PROCESSORS,)
        found = (
            class_named(checkpoint, cls.__name__, file, data, "image_processor_type", tables,
                        image_processor_spellings)
            or class_named(checkpoint, cls.__name__, file, data, "feature_extractor_type", tables,
                           image_processor_spellings)
            or class_for_model_type(checkpoint, cls.__name__, registry.IMAGE_PROCESSORS, config)
        )
        if found is None:
            raise errors.UnknownModelTypeError(
                f"{checkpoint.describe()}: neither {file} nor {CONFIG_NAME} names an image processor "
                f"explorer has ({', '.join(sorted({registry.IMAGE_PROCESSORS.class_name(t) for t in registry.IMAGE_PROCESSORS}))})."
            )
        return found.from_checkpoint_dict(checkpoint, data, **kwargs)

    @staticmethod
    def register(model_type: str, image_processor_class: type, exist_ok: bool = False) -> None:
        registry.IMAGE_PROCESSORS.register(model_type, image_processor_class, exist_ok=exist_ok)


class AutoFeatureExtractor(AutoClass):
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, **kwargs: Any) -> Any:
        """The settings nested in processor_config.json, else preprocessor_config.json; the class their
        ``feature_extractor_type`` names, else config.json's model type; vision checkpoints get their image
        processor, as transformers' legacy feature extractors."""
        from .processing import read_settings

        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        refuse_remote_code(kwargs)
        config = kwargs.pop("config", None)
        file, data = read_settings(checkpoint, "feature_extractor", cls.__name__)
        tables = (registry.FEATURE_EXTRACTORS, registry.IMAGE_PROCESSORS)
        found = (
            class_named(checkpoint, cls.__name__, file, data, "feature_extractor_type", tables,
                        image_processor_spellings)
            or class_for_model_type(checkpoint, cls.__name__, registry.FEATURE_EXTRACTORS, config)
            or class_for_model_type(checkpoint, cls.__name__, registry.IMAGE_PROCESSORS, config)
        )
        if found is None:
            raise errors.UnknownModelTypeError(
                f"{checkpoint.describe()}: neither {file} nor {CONFIG_NAME} names a feature "
                f"extractor explorer has (types: {', '.join(registry.FEATURE_EXTRACTORS)})."
            )
        return found.from_checkpoint_dict(checkpoint, data, **kwargs)

    @staticmethod
    def register(model_type: str, feature_extractor_class: type, exist_ok: bool = False) -> None:
        registry.FEATURE_EXTRACTORS.register(model_type, feature_extractor_class, exist_ok=exist_ok)


class AutoProcessor(AutoClass):
    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, **kwargs: Any) -> Any:
        """transformers' order: ``processor_class`` in processor_config.json, preprocessor_config.json,
        tokenizer_config.json or config.json; the model type's processor; else a tokenizer, image processor or
        feature extractor alone."""
        from .processing import PREPROCESSOR_CONFIG, PROCESSOR_CONFIG

        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        refuse_remote_code(kwargs)
        stage, tables = cls.__name__, (registry.PROCESSORS,)
        config = kwargs.get("config")  # passed on to the parts: the processor's tokenizer takes it too
        for file in (PROCESSOR_CONFIG, PREPROCESSOR_CONFIG, TOKENIZER_CONFIG, CONFIG_NAME):
            found = class_named(checkpoint, stage, file, checkpoint.read_json(file) or {}, "processor_class", tables)
            if found is not None:
                return found.from_pretrained(checkpoint, **kwargs)
        found = class_for_model_type(checkpoint, stage, registry.PROCESSORS, config)
        if found is not None:
            return found.from_pretrained(checkpoint, **kwargs)
        for fallback in (AutoTokenizer, AutoImageProcessor, AutoFeatureExtractor):
            try:
                loaded = fallback.from_pretrained(checkpoint, **kwargs)
            except (errors.EntryNotFoundError, errors.UnknownModelTypeError):
                continue
            checkpoint.trace.decide(stage, "", "", None, type(loaded).__name__,
                                    note=f"no processor; {fallback.__name__} found one")
            return loaded
        raise errors.EntryNotFoundError(
            f"{checkpoint.describe()} has no processor, tokenizer, image processor or feature extractor that "
            "explorer can load."
        )

    @staticmethod
    def register(model_type: str, processor_class: type, exist_ok: bool = False) -> None:
        registry.PROCESSORS.register(model_type, processor_class, exist_ok=exist_ok)


# --- models ----------------------------------------------------------------------------------------------------------


class AutoModelClass(AutoClass):
    """Picks the class for a config's model type from its own registry table (``registry.MODEL_TABLES``, by the
    Auto class's name)."""

    _registry: ClassVar[Registry]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._registry = registry.MODEL_TABLES[cls.__name__]

    @classmethod
    def model_class_for(cls, config: PretrainedConfig, source: str) -> type:
        return cls._registry.get(config.model_type, source=source)

    @classmethod
    def from_config(cls, config: PretrainedConfig, **kwargs: Any) -> Any:
        """A model with random weights for ``config`` (nothing is read)."""
        return cls.model_class_for(config, type(config).__name__).from_config(config, **kwargs)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, *model_args: Any, **kwargs: Any) -> Any:
        from .loading import LOAD_ARGUMENTS

        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        refuse_remote_code(kwargs)
        options = {name: kwargs.pop(name) for name in LOAD_ARGUMENTS if name in kwargs}
        config = kwargs.pop("config", None)
        if config is None:
            config, kwargs = AutoConfig.from_pretrained(checkpoint, return_unused_kwargs=True, **kwargs)
        elif not isinstance(config, PretrainedConfig):
            config = AutoConfig.from_pretrained(config)
        model_class = cls.model_class_for(config, checkpoint.name_of(CONFIG_NAME))
        record_architecture(checkpoint, cls.__name__, config, model_class)
        return model_class.from_pretrained(checkpoint, *model_args, config=config, **options, **kwargs)

    @classmethod
    def register(cls, config_class: type[PretrainedConfig], model_class: type, exist_ok: bool = False) -> None:
        cls._registry.register(config_class.model_type, model_class, exist_ok=exist_ok)


def record_architecture(checkpoint: Checkpoint, auto_name: str, config: PretrainedConfig, model_class: type) -> None:
    """Trace which class the checkpoint was saved from, and which one this Auto class chose."""
    saved_from = (config.architectures or [None])[0]
    note = "" if saved_from in (None, model_class.__name__) else f"saved from {saved_from}; {auto_name} picks its own head"
    checkpoint.trace.decide(auto_name, checkpoint.name_of(CONFIG_NAME), "model_type", config.model_type,
                            model_class.__name__)
    if saved_from is not None:
        checkpoint.trace.decide(auto_name, checkpoint.name_of(CONFIG_NAME), "architectures[0]", saved_from,
                                model_class.__name__, note=note)


class AutoModel(AutoModelClass):
    """The base model, without a head: hidden states (and CLIP's embeddings)."""


class AutoModelForMaskedLM(AutoModelClass):
    """A masked-language-model head: logits over the vocabulary at every position."""


class AutoModelForCausalLM(AutoModelClass):
    """A decoder with a language-model head: next-token logits at every position; ``generate()`` extends a text."""


class AutoModelForSequenceClassification(AutoModelClass):
    """A text classifier: one row of ``id2label`` logits per sequence."""


class AutoModelForTokenClassification(AutoModelClass):
    """A token classifier: ``id2label`` logits at every position."""


class AutoModelForQuestionAnswering(AutoModelClass):
    """Extractive question answering: start and end logits of the answer span."""


class AutoModelForImageClassification(AutoModelClass):
    """An image classifier: ``id2label`` logits per image."""


class AutoModelForAudioClassification(AutoModelClass):
    """An audio classifier: ``id2label`` logits per clip."""


class AutoModelForCTC(AutoModelClass):
    """A CTC head for speech recognition: logits over the characters at every frame."""


class AutoModelForZeroShotImageClassification(AutoModelClass):
    """Image and text towers scoring images against texts: ``logits_per_image`` (CLIP)."""


class AutoBackbone(AutoModelClass):
    """A model returning the feature maps of the stages in ``out_features`` / ``out_indices``; a base or
    classification checkpoint of the same architecture loads into it."""
