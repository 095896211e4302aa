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

from ..configuration import merged_defaults
from ..hub import Checkpoint, pop_hub_kwargs
from ..trace import ResolutionTrace

PREPROCESSOR_CONFIG = "preprocessor_config.json"


class Preprocessor:
    """Settings and their JSON. Subclasses set ``defaults``, ``type_key`` and ``model_input_names`` and
    implement ``__call__``."""

    defaults: ClassVar[dict[str, Any]] = {}
    type_key: ClassVar[str]  # "image_processor_type" or "feature_extractor_type", written with the class name
    model_input_names: ClassVar[list[str]] = []
    # keys of preprocessor_config.json that name classes rather than settings
    class_keys: ClassVar[tuple[str, ...]] = ("image_processor_type", "feature_extractor_type", "processor_class")

    def __init__(self, **kwargs: Any) -> None:
        for name, value in merged_defaults(type(self)).items():
            setattr(self, name, copy.deepcopy(value))
        for name, value in kwargs.items():
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
        checkpoint = Checkpoint.open(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        data = checkpoint.read_json(PREPROCESSOR_CONFIG, needed_for=cls.__name__)
        assert data is not None
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
