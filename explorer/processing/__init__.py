"""Preprocessing: image processors, feature extractors and processors.

:class:`Preprocessor` is the base of image processors and feature extractors: settings with transformers'
defaults per class, read from and written to ``preprocessor_config.json``, printed as transformers prints
them (``ViTImageProcessor {...json...}``), with the resolution trace of the load.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any, ClassVar

from .. import errors
from ..configuration import check_field_name, merged_defaults
from ..hub import Checkpoint, pop_hub_kwargs
from ..resolution import open_checkpoint
from ..trace import ResolutionTrace

PREPROCESSOR_CONFIG = "preprocessor_config.json"
PROCESSOR_CONFIG = "processor_config.json"  # transformers >= 5 nests each part's settings in it
# the keys of processor_config.json under which transformers nests one part's settings
NESTED_KEYS = {"image_processor": ("image_processor",), "feature_extractor": ("feature_extractor", "audio_processor")}


class Preprocessor:
    """Settings and their JSON. Subclasses set ``defaults``, ``type_key`` and ``model_input_names`` and
    implement ``__call__``."""

    defaults: ClassVar[dict[str, Any]] = {}
    type_key: ClassVar[str]  # "image_processor_type" or "feature_extractor_type", written with the class name
    part: ClassVar[str]  # "image_processor" or "feature_extractor": its name in a processor
    model_input_names: ClassVar[list[str]] = []
    # keys of preprocessor_config.json that name classes rather than settings
    class_keys: ClassVar[tuple[str, ...]] = ("image_processor_type", "feature_extractor_type", "processor_class")

    def __init__(self, **kwargs: Any) -> None:
        for name, value in merged_defaults(type(self)).items():
            setattr(self, name, copy.deepcopy(value))
        for name, value in kwargs.items():
            check_field_name(type(self), name, PREPROCESSOR_CONFIG)
            setattr(self, name, value)
        self._resolution_trace: ResolutionTrace | None = None
        self.validate()

    def validate(self) -> None:
        """Refuse settings that cannot work, naming the field; subclasses add their checks."""

    @property
    def resolution_trace(self) -> ResolutionTrace | None:
        return self._resolution_trace

    # --- JSON ----------------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any], **overrides: Any) -> Preprocessor:
        settings = {key: value for key, value in data.items() if key not in cls.class_keys}
        return cls(**{**settings, **overrides})

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, **kwargs: Any) -> Preprocessor:
        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        _, data = read_settings(checkpoint, cls.part, cls.__name__)
        return cls.from_checkpoint_dict(checkpoint, data, **kwargs)

    @classmethod
    def from_checkpoint_dict(cls, checkpoint: Checkpoint, data: dict[str, Any], **overrides: Any) -> Preprocessor:
        preprocessor = cls.from_dict(data, **overrides)
        preprocessor._resolution_trace = checkpoint.trace
        return preprocessor

    def to_dict(self) -> dict[str, Any]:
        settings = {k: copy.deepcopy(v) for k, v in vars(self).items() if not k.startswith("_")}
        return {**settings, self.type_key: type(self).__name__}

    def to_json_string(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def save_pretrained(self, save_directory: str | os.PathLike) -> list[Path]:
        directory = Path(save_directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / PREPROCESSOR_CONFIG
        path.write_text(self.to_json_string(), encoding="utf-8")
        return [path]

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string()}"


def nested_settings(checkpoint: Checkpoint, part: str) -> dict[str, Any] | None:
    """One part's settings nested in processor_config.json (as transformers v5 saves processors), or None."""
    saved = checkpoint.read_json(PROCESSOR_CONFIG) or {}
    nested = next((saved[key] for key in NESTED_KEYS[part] if key in saved), None)
    if nested is not None and not isinstance(nested, dict):
        raise errors.MalformedFileError(
            f"{checkpoint.name_of(PROCESSOR_CONFIG)}: {part!r} must be a JSON object of settings."
        )
    return nested


def read_settings(checkpoint: Checkpoint, part: str, needed_for: str) -> tuple[str, dict[str, Any]]:
    """transformers' order for an image processor's or feature extractor's settings: nested in
    processor_config.json, else preprocessor_config.json. Returns the file's name and the settings."""
    nested = nested_settings(checkpoint, part)
    if nested is not None:
        return PROCESSOR_CONFIG, nested
    settings = checkpoint.read_json(PREPROCESSOR_CONFIG)
    if settings is None:
        raise errors.EntryNotFoundError(
            f"{checkpoint.describe()} has neither {checkpoint.name_of(PREPROCESSOR_CONFIG)} nor a {part!r} entry "
            f"in {checkpoint.name_of(PROCESSOR_CONFIG)}, which {needed_for} needs. Pass a checkpoint saved with "
            "its preprocessing (save_pretrained of an image processor, feature extractor or processor)."
        )
    return PREPROCESSOR_CONFIG, settings
