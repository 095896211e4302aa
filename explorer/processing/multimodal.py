"""Processors: one object holding the preprocessing of each modality a model reads.

A processor is a thin shell (transformers' ``ProcessorMixin``) around its parts, named by ``attributes``:

- :class:`Wav2Vec2Processor`: ``feature_extractor`` (audio -> ``input_values``) + ``tokenizer`` (transcripts ->
  ``labels`` for CTC training, and CTC decoding of predicted ids);
- :class:`CLIPProcessor`: ``image_processor`` (-> ``pixel_values``) + ``tokenizer`` (-> ``input_ids``,
  ``attention_mask``), merged into one ``BatchFeature``;
- :class:`LayoutLMv2Processor`: ``image_processor`` (page -> ``image``, and with ``apply_ocr`` the words and
  boxes Tesseract reads) + ``tokenizer`` (words and boxes -> ``input_ids``, ``bbox``...).

``from_pretrained`` opens the checkpoint once and loads every part through that same :class:`Checkpoint`, so
the parts and the processor share one resolution trace. Where each part's settings come from, as
transformers v5 reads them:

1. ``processor_config.json`` (written by transformers >= 5): ``{"processor_class": ..., "image_processor":
   {...}}`` holds the image processor's / feature extractor's settings, nested under the attribute name;
2. otherwise ``preprocessor_config.json`` (older checkpoints), read by AutoImageProcessor / AutoFeatureExtractor;
3. the tokenizer always from its own files (``tokenizer_config.json``, ``vocab.json``, ``tokenizer.json``...).

``save_pretrained`` writes what transformers v5 writes: the tokenizer's files (with ``processor_class``) and
``processor_config.json``, which transformers' AutoProcessor loads back.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, ClassVar

from .. import errors, registry
from ..batch import BatchFeature
from ..configuration import merged_defaults
from ..hub import Checkpoint, pop_hub_kwargs, refuse_remote_code
from ..resolution import open_checkpoint
from ..tokenization.files import TOKENIZER_CONFIG
from ..trace import ResolutionTrace
from . import PROCESSOR_CONFIG, nested_settings

logger = logging.getLogger(__name__)

# the keyword arguments each modality's preprocessing takes in a processor call (transformers' TextKwargs,
# ImagesKwargs and AudioKwargs); a call's keyword argument goes to every modality that takes it
TEXT_KWARGS = (
    "text_pair", "text_target", "text_pair_target", "add_special_tokens", "padding", "truncation", "max_length",
    "stride", "is_split_into_words", "pad_to_multiple_of", "return_token_type_ids", "return_attention_mask",
    "return_overflowing_tokens", "return_special_tokens_mask", "return_offsets_mapping", "return_length", "verbose",
    "padding_side", "return_tensors",
)
AUDIO_KWARGS = (
    "sampling_rate", "raw_speech", "padding", "max_length", "truncation", "pad_to_multiple_of",
    "return_attention_mask", "device", "return_tensors",
)
MODALITY_KWARGS = ("text_kwargs", "images_kwargs", "audio_kwargs")
_INPUT_NAMES = ("text", "images", "audio", "videos")


def _base_classes(attribute: str) -> tuple[type, ...]:
    """What each kind of part must be (transformers' MODALITY_TO_BASE_CLASS_MAPPING)."""
    if attribute == "tokenizer":
        from ..tokenization import PreTrainedTokenizerFast, Wav2Vec2CTCTokenizer

        return PreTrainedTokenizerFast, Wav2Vec2CTCTokenizer
    if attribute == "image_processor":
        from .image import BaseImageProcessor

        return (BaseImageProcessor,)
    from . import Preprocessor

    return (Preprocessor,)


class ProcessorMixin:
    """The shared shell: parts named by ``attributes`` (in transformers' order), loading, saving, printing,
    decoding through the tokenizer. Subclasses set ``attributes`` and ``part_classes`` (the class each part
    is, unless the checkpoint's files name another of the same kind) and implement ``__call__``."""

    attributes: ClassVar[tuple[str, ...]] = ()
    part_classes: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        for key in kwargs:
            if key not in self.attributes:
                raise errors.UnexpectedArgumentError(
                    f"{name}() got an unexpected keyword argument {key!r}. It takes: {', '.join(self.attributes)}."
                )
        if len(args) > len(self.attributes):
            raise errors.UnexpectedArgumentError(
                f"{name} takes {len(self.attributes)} parts ({', '.join(self.attributes)}), got {len(args)}."
            )
        for value, attribute in zip(args, self.attributes):
            if attribute in kwargs:
                raise errors.UnexpectedArgumentError(f"{name}() got multiple values for argument {attribute!r}.")
            kwargs[attribute] = value
        missing = [attribute for attribute in self.attributes if kwargs.get(attribute) is None]
        if missing:
            raise errors.UnexpectedArgumentError(
                f"{name} needs {', '.join(self.attributes)}; missing: {', '.join(missing)}. Build the parts first "
                f"(e.g. with their from_pretrained), or load the whole processor with {name}.from_pretrained."
            )
        for attribute in self.attributes:
            part = kwargs[attribute]
            expected = _base_classes(attribute)
            if not isinstance(part, expected):
                raise errors.UnexpectedArgumentError(
                    f"{name}: {attribute} must be a {' or '.join(cls.__name__ for cls in expected)}, not "
                    f"{type(part).__name__}."
                )
            setattr(self, attribute, part)
        self._resolution_trace: ResolutionTrace | None = None

    @property
    def resolution_trace(self) -> ResolutionTrace | None:
        """The trace of ``from_pretrained``, shared with the parts (None for a processor built by hand)."""
        return self._resolution_trace

    # --- loading ----------------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike | Checkpoint, **kwargs: Any) -> Any:
        """Load every part from a folder, a Hub id or an open :class:`Checkpoint`. Keyword arguments that are
        settings of the image processor / feature extractor go to it, all others to the tokenizer
        (``apply_ocr=False``, ``do_lower_case=True``...)."""
        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        refuse_remote_code(kwargs)
        # config= (from AutoProcessor) is accepted as transformers does: the processor's class fixes its parts
        for loader_only in ("config", "use_fast", "_from_auto", "_from_pipeline", "proxies", "code_revision"):
            kwargs.pop(loader_only, None)
        parts, rest = {}, dict(kwargs)
        for attribute in cls.attributes:
            if attribute == "tokenizer":
                continue
            default = registry.class_named(cls.part_classes[attribute])
            known = set(merged_defaults(default)) | set(getattr(default, "call_arguments", ()))
            own = {key: rest.pop(key) for key in list(rest) if key in known}
            parts[attribute] = cls._load_preprocessor(checkpoint, attribute, default, own)
        if "tokenizer" in cls.attributes:
            parts["tokenizer"] = cls._load_tokenizer(checkpoint, rest)
        processor = cls(**parts)
        processor._resolution_trace = checkpoint.trace
        return processor

    @classmethod
    def _load_preprocessor(cls, checkpoint: Checkpoint, attribute: str, default: type,
                           kwargs: dict[str, Any]) -> Any:
        """The nested settings of processor_config.json (transformers v5), else preprocessor_config.json
        through the Auto class for the attribute (as transformers)."""
        from .. import auto

        nested = nested_settings(checkpoint, attribute)
        if nested is None:
            auto_class = auto.AutoImageProcessor if attribute == "image_processor" else auto.AutoFeatureExtractor
            return auto_class.from_pretrained(checkpoint, **kwargs)
        source = checkpoint.name_of(PROCESSOR_CONFIG)
        type_key = f"{attribute}_type"
        named = nested.get(type_key)
        tables = (registry.IMAGE_PROCESSORS,) if attribute == "image_processor" else (
            registry.FEATURE_EXTRACTORS, registry.IMAGE_PROCESSORS)
        spellings = auto.image_processor_spellings(named) if isinstance(named, str) else ()
        candidates = (table.by_class_name(spelling) for spelling in spellings for table in tables)
        found = next((candidate for candidate in candidates if candidate is not None), None)
        chosen = found if found is not None else default
        note = "" if found is not None else f"{cls.__name__}'s {attribute} class (the file names no known class)"
        checkpoint.trace.decide(cls.__name__, source, f"{attribute}.{type_key}", named, chosen.__name__, note=note)
        return chosen.from_checkpoint_dict(checkpoint, nested, **kwargs)

    @classmethod
    def _load_tokenizer(cls, checkpoint: Checkpoint, kwargs: dict[str, Any]) -> Any:
        """The tokenizer class tokenizer_config.json names when it is the processor's kind (or a subclass),
        else the processor's own tokenizer class."""
        from ..tokenization import tokenizer_class_from_name

        expected = registry.class_named(cls.part_classes["tokenizer"])
        named = (checkpoint.read_json(TOKENIZER_CONFIG) or {}).get("tokenizer_class")
        found = tokenizer_class_from_name(named) if isinstance(named, str) else None
        chosen = found if found is not None and issubclass(found, expected) else expected
        note = "" if chosen is found else f"{cls.__name__}'s tokenizer class"
        checkpoint.trace.decide(cls.__name__, checkpoint.name_of(TOKENIZER_CONFIG), "tokenizer_class", named,
                                chosen.__name__, note=note)
        return chosen.from_pretrained(checkpoint, **kwargs)

    # --- saving and printing ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """processor_config.json's content: each part's settings but the tokenizer's, and ``processor_class``."""
        data = {attribute: getattr(self, attribute).to_dict() for attribute in self.attributes
                if attribute != "tokenizer"}
        return {**data, "processor_class": type(self).__name__}

    def to_json_string(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def save_pretrained(self, save_directory: str | os.PathLike) -> list[str]:
        """Write the tokenizer's files (marked with ``processor_class``) and processor_config.json with the
        other parts' settings, as transformers v5; returns [the processor_config.json path]."""
        folder = Path(save_directory)
        folder.mkdir(parents=True, exist_ok=True)
        if "tokenizer" in self.attributes:
            self.tokenizer.init_kwargs["processor_class"] = type(self).__name__
            self.tokenizer.save_pretrained(folder)
        path = folder / PROCESSOR_CONFIG
        path.write_text(self.to_json_string(), encoding="utf-8")
        return [str(path)]

    def __repr__(self) -> str:
        parts = "\n".join(f"- {attribute}: {getattr(self, attribute)!r}" for attribute in self.attributes)
        return f"{type(self).__name__}:\n{parts}\n\n{self.to_json_string()}"

    # --- the tokenizer's side ---------------------------------------------------------------------------

    def batch_decode(self, *args: Any, **kwargs: Any) -> Any:
        """The tokenizer's ``batch_decode``."""
        return self.tokenizer.batch_decode(*args, **kwargs)

    def decode(self, *args: Any, **kwargs: Any) -> Any:
        """The tokenizer's ``decode``."""
        return self.tokenizer.decode(*args, **kwargs)

    @property
    def model_input_names(self) -> list[str]:
        """The parts' input names, in the order of ``attributes``."""
        return [name for attribute in self.attributes for name in getattr(self, attribute).model_input_names]

    # --- calls --------------------------------------------------------------------------------------------

    def _merge_kwargs(self, **kwargs: Any) -> dict[str, dict[str, Any]]:
        """transformers' ``_merge_kwargs``: each keyword argument goes to every modality that takes it; per-
        modality dicts (``text_kwargs={...}``) and ``common_kwargs`` are honoured; settings the tokenizer was
        loaded with come first; anything no modality takes is ignored, with a warning."""
        valid = {modality: set(names) for modality, names in (("text_kwargs", TEXT_KWARGS),
                                                              ("audio_kwargs", AUDIO_KWARGS))}
        image_processor = getattr(self, "image_processor", None)
        valid["images_kwargs"] = set(getattr(image_processor, "call_arguments", ()))
        if not valid["images_kwargs"]:
            from .image import IMAGES_KWARGS

            valid["images_kwargs"] = set(IMAGES_KWARGS)
        merged: dict[str, dict[str, Any]] = {modality: {} for modality in MODALITY_KWARGS}
        tokenizer = getattr(self, "tokenizer", None)
        init_kwargs = getattr(tokenizer, "init_kwargs", {})
        for modality, names in valid.items():
            for key in sorted(names & set(init_kwargs)):
                merged[modality][key] = getattr(tokenizer, key, init_kwargs[key])
        common = kwargs.pop("common_kwargs", None) or {}
        for modality in MODALITY_KWARGS:
            merged[modality].update(common)
        for key, value in kwargs.items():
            if key in MODALITY_KWARGS:
                for subkey, subvalue in (value or {}).items():
                    if subkey in kwargs and subkey in valid[key]:
                        raise errors.InputError(
                            f"Keyword argument {subkey} was passed two times: in a dictionary for {key} and as a "
                            "**kwarg."
                        )
                    merged[key][subkey] = subvalue
            elif any(key in names for names in valid.values()):
                for modality, names in valid.items():
                    if key in names:
                        merged[modality][key] = value
            elif key not in _INPUT_NAMES:
                logger.warning(f"Keyword argument `{key}` is not a valid argument for this processor and will be ignored.")
        return merged

    def __call__(self, images: Any = None, text: Any = None, **kwargs: Any) -> BatchFeature:
        """transformers' generic processor call: ``text`` through the tokenizer, ``images`` through the image
        processor, the outputs merged into one BatchFeature (text fields first)."""
        name = type(self).__name__
        for other in ("videos", "audio"):
            if kwargs.get(other) is not None:
                raise errors.InputError(f"{name} has no {other} processor: pass images and/or text.")
        if images is None and text is None:
            raise errors.InputError(f"You need to provide at least one input to call {name}")
        if text is not None and not (
            isinstance(text, str) or (isinstance(text, list) and all(isinstance(sample, str) for sample in text))
        ):
            raise errors.InputError("`text` must be a string or list of strings.")
        merged = self._merge_kwargs(**kwargs)
        text_inputs = self.tokenizer(text, **merged["text_kwargs"]) if text is not None else {}
        image_inputs = self.image_processor(images, **merged["images_kwargs"]) if images is not None else {}
        return BatchFeature({**text_inputs, **image_inputs}, tensor_type=merged["text_kwargs"].get("return_tensors"))


class Wav2Vec2Processor(ProcessorMixin):
    """Wav2Vec2's feature extractor and CTC tokenizer: audio -> ``input_values`` (and ``attention_mask``),
    transcripts -> ``labels``; ``batch_decode`` turns predicted ids into text."""

    attributes: ClassVar[tuple[str, ...]] = ("feature_extractor", "tokenizer")
    part_classes: ClassVar[dict[str, str]] = {"feature_extractor": "Wav2Vec2FeatureExtractor", "tokenizer": "Wav2Vec2CTCTokenizer"}

    def __init__(self, feature_extractor: Any = None, tokenizer: Any = None) -> None:
        super().__init__(feature_extractor, tokenizer)

    def __call__(self, audio: Any = None, text: Any = None, **kwargs: Any) -> BatchFeature:  # type: ignore[override]
        """``audio`` through the feature extractor, ``text`` through the tokenizer; both given, the text's
        ``input_ids`` become the audio features' ``labels`` (as transformers)."""
        if audio is None and text is None:
            raise errors.InputError("You need to specify either an `audio` or `text` input to process.")
        merged = self._merge_kwargs(**kwargs)
        inputs = self.feature_extractor(audio, **merged["audio_kwargs"]) if audio is not None else None
        encodings = self.tokenizer(text, **merged["text_kwargs"]) if text is not None else None
        if encodings is None:
            return inputs
        if inputs is None:
            return encodings
        inputs["labels"] = encodings["input_ids"]
        return inputs

    def pad(self, *args: Any, **kwargs: Any) -> Any:
        """Pad features with the feature extractor's ``pad`` (first argument or ``input_features=``) and
        ``labels=`` with the tokenizer's; both given, the padded label ids become ``labels``."""
        input_features = kwargs.pop("input_features", None)
        labels = kwargs.pop("labels", None)
        if args:
            input_features, args = args[0], args[1:]
        if input_features is not None:
            input_features = self.feature_extractor.pad(input_features, *args, **kwargs)
        if labels is not None:
            labels = self.tokenizer.pad(labels, **kwargs)
        if labels is None:
            return input_features
        if input_features is None:
            return labels
        input_features["labels"] = labels["input_ids"]
        return input_features

    @property
    def model_input_names(self) -> list[str]:
        return [*self.feature_extractor.model_input_names, "labels"]


class CLIPProcessor(ProcessorMixin):
    """CLIP's image processor and tokenizer: ``processor(text=..., images=...)`` gives ``input_ids``,
    ``attention_mask`` and ``pixel_values`` in one BatchFeature."""

    attributes: ClassVar[tuple[str, ...]] = ("image_processor", "tokenizer")
    part_classes: ClassVar[dict[str, str]] = {"image_processor": "CLIPImageProcessor", "tokenizer": "CLIPTokenizerFast"}

    def __init__(self, image_processor: Any = None, tokenizer: Any = None) -> None:
        super().__init__(image_processor, tokenizer)


class LayoutLMv2Processor(ProcessorMixin):
    """LayoutLMv2's image processor and tokenizer. With ``apply_ocr`` (the image processor's default) the page
    is read by Tesseract (pytesseract must be installed) and its words and boxes are tokenized; with
    ``apply_ocr=False`` the words and boxes are given. Returns the tokenizer's fields and ``image``."""

    attributes: ClassVar[tuple[str, ...]] = ("image_processor", "tokenizer")
    part_classes: ClassVar[dict[str, str]] = {"image_processor": "LayoutLMv2ImageProcessor", "tokenizer": "LayoutLMv2TokenizerFast"}

    def __init__(self, image_processor: Any = None, tokenizer: Any = None) -> None:
        super().__init__(image_processor, tokenizer)

    def __call__(  # type: ignore[override]
        self,
        images: Any,
        text: Any = None,
        text_pair: Any = None,
        boxes: Any = None,
        word_labels: Any = None,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str = False,
        max_length: int | None = None,
        stride: int = 0,
        pad_to_multiple_of: int | None = None,
        return_token_type_ids: bool | None = None,
        return_attention_mask: bool | None = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        verbose: bool = True,
        return_tensors: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Pages (``images``) and, without OCR, their ``text`` (words) and ``boxes`` (optionally
        ``word_labels``), or a question (``text``) about OCR'd pages. Returns ``input_ids``, ``token_type_ids``,
        ``attention_mask``, ``bbox`` (``labels``) and ``image`` (BGR, 224x224, uint8 values)."""
        apply_ocr = bool(getattr(self.image_processor, "apply_ocr", False))
        if apply_ocr and boxes is not None:
            raise errors.InputError(
                "You cannot provide bounding boxes if you initialized the image processor with apply_ocr set to True."
            )
        if apply_ocr and word_labels is not None:
            raise errors.InputError(
                "You cannot provide word labels if you initialized the image processor with apply_ocr set to True."
            )
        if return_overflowing_tokens is True and return_offsets_mapping is False:
            raise errors.InputError("You cannot return overflowing tokens without returning the offsets mapping.")
        if not apply_ocr and (text is None or boxes is None):
            raise errors.InputError(
                "With apply_ocr=False, give the words (text=, or text_pair= after a question) and their boxes= (one "
                "[x0, y0, x1, y1] box per word, 0-1000)."
            )
        features = self.image_processor(images=images, return_tensors=return_tensors)
        if text is not None and apply_ocr and text_pair is None:
            if isinstance(text, str):
                text = [text]  # the image processor always returns a batch
            text_pair = features["words"]
        encoded_inputs = self.tokenizer(
            text=text if text is not None else features["words"],
            text_pair=text_pair,
            boxes=boxes if boxes is not None else features["boxes"],
            word_labels=word_labels,
            add_special_tokens=add_special_tokens,
            padding=padding,
            truncation=truncation,
            max_length=max_length,
            stride=stride,
            pad_to_multiple_of=pad_to_multiple_of,
            return_token_type_ids=return_token_type_ids,
            return_attention_mask=return_attention_mask,
            return_overflowing_tokens=return_overflowing_tokens,
            return_special_tokens_mask=return_special_tokens_mask,
            return_offsets_mapping=return_offsets_mapping,
            return_length=return_length,
            verbose=verbose,
            return_tensors=return_tensors,
            **kwargs,
        )
        pages = features.pop("pixel_values")
        if return_overflowing_tokens is True:
            pages = self.get_overflowing_images(pages, encoded_inputs["overflow_to_sample_mapping"])
        encoded_inputs["image"] = pages
        return encoded_inputs

    def get_overflowing_images(self, images: Any, overflow_to_sample_mapping: Any) -> list[Any]:
        """One page per row when long documents overflow into several rows."""
        return [images[int(sample)] for sample in overflow_to_sample_mapping]

    @property
    def model_input_names(self) -> list[str]:
        return ["input_ids", "bbox", "token_type_ids", "attention_mask", "image"]


__all__ = ["CLIPProcessor", "LayoutLMv2Processor", "ProcessorMixin", "Wav2Vec2Processor"]
