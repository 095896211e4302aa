"""The base configuration: defaults per class, unknown keys kept, validation, and JSON in and out.

A subclass declares ``model_type``, its ``defaults`` (transformers' values for that architecture) and which
fields are sizes; everything else, including keys this version does not know, is kept as an attribute and
written back on save, as transformers does.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any, ClassVar

from . import errors
from .hub import Checkpoint, pop_hub_kwargs
from .resolution import open_checkpoint
from .trace import ResolutionTrace

CONFIG_NAME = "config.json"

MAX_LABELS = 1 << 20  # ImageNet-22k has 21,841: a million labels is beyond any real classifier

FLAGS = ("output_hidden_states", "output_attentions", "return_dict", "is_encoder_decoder")

PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")

# Upper bounds that no real checkpoint reaches: a config beyond them is refused before any allocation.
SIZE_LIMITS = {
    "vocab_size": 1 << 24,
    "hidden_size": 1 << 16,
    "intermediate_size": 1 << 18,
    "num_hidden_layers": 1024,
    "num_attention_heads": 1024,
    "max_position_embeddings": 1 << 20,
    "type_vocab_size": 1 << 16,
}

# Keys kept on the object but never serialised (as transformers); _name_or_path is left out of the diff only.
NOT_SERIALIZED = ("_commit_hash", "_attn_implementation", "_resolution_trace")


def merged_defaults(cls: type) -> dict[str, Any]:
    """The ``defaults`` tables of ``cls`` and its bases, merged; a subclass's values win."""
    merged: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        merged.update(vars(klass).get("defaults", {}))
    return merged


class PretrainedConfig:
    """Hyper-parameters of one architecture. Subclasses set ``model_type`` and ``defaults``."""

    model_type: ClassVar[str] = ""
    # names some architectures use for the common ones, e.g. DistilBERT's ``dim`` for ``hidden_size``
    attribute_map: ClassVar[dict[str, str]] = {}
    # field defaults; merged along the class hierarchy, the subclass winning
    defaults: ClassVar[dict[str, Any]] = {
        "transformers_version": None,
        "architectures": None,
        "output_hidden_states": False,
        "output_attentions": False,
        "return_dict": True,
        "dtype": None,
        "chunk_size_feed_forward": 0,
        "is_encoder_decoder": False,
        "id2label": None,
        "label2id": None,
        "problem_type": None,
    }
    size_limits: ClassVar[dict[str, int]] = SIZE_LIMITS
    # (size, heads): heads must divide size
    head_division: ClassVar[tuple[str, str] | None] = None

    def __init__(self, **kwargs: Any) -> None:
        for name, value in self.default_values().items():
            object.__setattr__(self, self.attribute_map.get(name, name), copy.deepcopy(value))
        torch_dtype = kwargs.pop("torch_dtype", None)
        num_labels = kwargs.pop("num_labels", None)
        self._name_or_path = str(kwargs.pop("name_or_path", kwargs.pop("_name_or_path", "")))
        for name, value in kwargs.items():
            check_field_name(type(self), name)
            setattr(self, name, value)
        if self.dtype is None and torch_dtype is not None:
            self.dtype = torch_dtype
        if self.__dict__.get("pruned_heads") is not None:  # JSON object keys are strings
            self.pruned_heads = read_pruned_heads(self.pruned_heads)
        self._init_labels(num_labels)
        self.validate()

    @classmethod
    def default_values(cls) -> dict[str, Any]:
        return merged_defaults(cls)

    # attribute_map: ``config.hidden_size`` reads and writes DistilBERT's ``dim``
    def __getattr__(self, name: str) -> Any:
        mapped = type(self).attribute_map.get(name)
        if mapped is None:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        return getattr(self, mapped)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, type(self).attribute_map.get(name, name), value)

    # --- labels ----------------------------------------------------------------------------------------

    def _init_labels(self, num_labels: int | None) -> None:
        if self.id2label is None:
            self.num_labels = 2 if num_labels is None else num_labels
            return
        if not isinstance(self.id2label, dict):
            raise errors.ConfigValueError(
                f"id2label must map label ids to names, not be a {type(self.id2label).__name__}."
            )
        try:
            self.id2label = {int(key): value for key, value in self.id2label.items()}
        except (TypeError, ValueError):
            raise errors.ConfigValueError(
                f"id2label keys must be label ids (integers), got {list(self.id2label)[:5]}."
            ) from None
        if self.label2id is None:
            self.label2id = {name: index for index, name in self.id2label.items()}
        if num_labels is not None and num_labels != len(self.id2label):
            self.num_labels = num_labels  # an explicit count wins, as in transformers' from_pretrained

    @property
    def num_labels(self) -> int | None:
        return None if self.id2label is None else len(self.id2label)

    @num_labels.setter
    def num_labels(self, count: int) -> None:
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_LABELS:
            raise errors.ConfigValueError(
                f"num_labels must be a whole number from 0 to {MAX_LABELS:,}, got {count!r}."
            )
        if self.id2label is None or len(self.id2label) != count:
            self.id2label = {index: f"LABEL_{index}" for index in range(count)}
            self.label2id = {name: index for index, name in self.id2label.items()}

    @property
    def name_or_path(self) -> str:
        return self._name_or_path

    @name_or_path.setter
    def name_or_path(self, value: str | os.PathLike) -> None:
        self._name_or_path = str(value)

    @property
    def torch_dtype(self) -> Any:
        """transformers' older name for :attr:`dtype`."""
        return self.dtype

    @property
    def resolution_trace(self) -> ResolutionTrace | None:
        return self.__dict__.get("_resolution_trace")

    # --- validation ------------------------------------------------------------------------------------

    def validate(self) -> None:
        """Refuse values that cannot work, naming the field, before any model allocates memory."""
        for name, limit in self.size_limits.items():
            if name in self.__dict__:
                check_size(name, self.__dict__[name], limit)
        defaults = self.default_values()
        for name, value in self.__dict__.items():
            if name.endswith(("dropout", "dropout_prob")) and (value is not None or defaults.get(name) is not None):
                check_probability(name, value)  # None only where the class itself defaults to None
            elif name.endswith(("_eps", "_epsilon")) or name in ("initializer_range", "chunk_size_feed_forward"):
                check_non_negative(name, value)
            elif name.endswith("_token_id"):
                check_token_id(name, value, self.__dict__.get("vocab_size"))
            elif name in FLAGS and not isinstance(value, bool):
                raise errors.ConfigValueError(f"{name} must be true or false, got {value!r}.")
        architectures = self.__dict__.get("architectures")
        if architectures is not None and not (
            isinstance(architectures, list) and all(isinstance(name, str) for name in architectures)
        ):
            raise errors.ConfigValueError(f"architectures must be a list of class names, got {architectures!r}.")
        if not isinstance(self.label2id, (dict, type(None))):
            raise errors.ConfigValueError(f"label2id must map label names to ids, got {self.label2id!r}.")
        if self.head_division:
            size, heads = self.head_division
            if getattr(self, size) % getattr(self, heads):
                raise errors.ConfigValueError(
                    f"{size}={getattr(self, size)} is not a multiple of {heads}={getattr(self, heads)}: each "
                    f"attention head gets {size} / {heads} features. Change one of them."
                )
        if self.problem_type not in (None, *PROBLEM_TYPES):
            raise errors.ConfigValueError(
                f"problem_type={self.problem_type!r} is not one of {PROBLEM_TYPES} (or None)."
            )

    # --- serialisation ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        output = {
            name: copy.deepcopy(value) for name, value in self.__dict__.items() if name not in NOT_SERIALIZED
        }
        output["model_type"] = self.model_type
        if output.get("dtype") is not None:
            output["dtype"] = str(output["dtype"]).removeprefix("torch.")
        return output

    def to_diff_dict(self) -> dict[str, Any]:
        """Only what differs from the base and class defaults (what transformers writes and prints)."""
        base = PretrainedConfig().to_dict()
        class_defaults = type(self)().to_dict()
        diff = {}
        for name, value in self.to_dict().items():
            if name == "_name_or_path" or (name == "transformers_version" and value is None):
                continue
            if (
                name not in base
                or name in ("model_type", "transformers_version")
                or value != base[name]
                or value != class_defaults.get(name, value)
            ):
                diff[name] = value
        return diff

    def to_json_string(self, use_diff: bool = True) -> str:
        data = self.to_diff_dict() if use_diff else self.to_dict()
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    def to_json_file(self, path: str | os.PathLike, use_diff: bool = True) -> None:
        Path(path).write_text(self.to_json_string(use_diff=use_diff), encoding="utf-8")

    def save_pretrained(self, save_directory: str | os.PathLike) -> Path:
        path = file_to_save(save_directory, CONFIG_NAME)
        self.to_json_file(path)
        return path

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string()}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PretrainedConfig) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    # --- loading ---------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, config_dict: dict[str, Any], **kwargs: Any) -> PretrainedConfig:
        """Build from a dict; ``kwargs`` naming config attributes override it (others are ignored unless
        ``return_unused_kwargs=True``, which returns ``(config, unused)``)."""
        return_unused = kwargs.pop("return_unused_kwargs", False)
        data = dict(config_dict)
        data.pop("model_type", None)
        config = cls(**data)
        unused = apply_overrides(config, kwargs)
        return (config, unused) if return_unused else config

    @classmethod
    def from_json_file(cls, path: str | os.PathLike) -> PretrainedConfig:
        from .hub import load_json_file

        return cls.from_dict(load_json_file(Path(path), Path(path).name))

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Any, **kwargs: Any) -> PretrainedConfig:
        checkpoint = open_checkpoint(pretrained_model_name_or_path, **pop_hub_kwargs(kwargs))
        data = read_config_dict(checkpoint)
        return cls.from_checkpoint_dict(checkpoint, data, **kwargs)

    @classmethod
    def from_checkpoint_dict(cls, checkpoint: Checkpoint, data: dict[str, Any], **kwargs: Any) -> Any:
        """The config for ``data`` read from ``checkpoint``, its trace attached."""
        return_unused = kwargs.pop("return_unused_kwargs", False)
        config, unused = cls.from_dict(data, return_unused_kwargs=True, **kwargs)
        config.name_or_path = checkpoint.reference
        config._resolution_trace = checkpoint.trace
        return (config, unused) if return_unused else config


PreTrainedConfig = PretrainedConfig  # transformers v5's spelling


def file_to_save(save_directory: str | os.PathLike, filename: str) -> Path:
    """The path of ``filename`` in ``save_directory``, the folder made if need be (a file there is an error)."""
    directory = Path(save_directory)
    if directory.is_file():
        raise errors.UnsafePathError(f"{directory} is a file; save_pretrained needs a folder.")
    directory.mkdir(parents=True, exist_ok=True)
    return directory / filename


def read_config_dict(checkpoint: Checkpoint) -> dict[str, Any]:
    data = checkpoint.read_json(CONFIG_NAME, needed_for="every Auto class")
    assert data is not None
    if data.get("auto_map") and "model_type" not in data:
        raise errors.RemoteCodeError(
            f"{checkpoint.name_of(CONFIG_NAME)} of {checkpoint.reference!r} names only custom code (auto_map) "
            "and no model_type; explorer never runs code from a checkpoint."
        )
    return data


def apply_overrides(config: PretrainedConfig, overrides: dict[str, Any]) -> dict[str, Any]:
    """Set the overrides that name config attributes; return the rest."""
    unused = {}
    for name, value in overrides.items():
        settable = isinstance(getattr(type(config), name, None), property)  # num_labels, out_indices...
        if settable or name in config.__dict__ or name in config.attribute_map:
            setattr(config, name, value)
        else:
            unused[name] = value
    if "id2label" in overrides and "label2id" not in overrides:
        config._init_labels(None)
        config.label2id = {name: index for index, name in config.id2label.items()}
    config.validate()
    return unused


def check_size(name: str, value: Any, limit: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.ConfigValueError(f"{name} must be a whole number, got {value!r}.")
    if not 1 <= value <= limit:
        raise errors.ConfigValueError(
            f"{name}={value} is out of range: it must be between 1 and {limit}. Fix config.json or the override."
        )


def check_field_name(cls: type, name: str, file: str = "config.json") -> None:
    """A key of a settings file (config.json, preprocessor_config.json) becomes an attribute: it must not
    replace a method, a read-only property or Python's own machinery (``__class__``, ``__dict__``)."""
    attribute = getattr(cls, name, None)
    read_only = isinstance(attribute, property) and attribute.fset is None
    if name.startswith("__") or read_only or (callable(attribute) and not isinstance(attribute, type)):
        raise errors.ConfigValueError(
            f"{name!r} cannot be a setting: it is a name of {cls.__name__} itself. Remove it from {file}."
        )


def check_non_negative(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
        raise errors.ConfigValueError(f"{name} must be a number of at least 0, got {value!r}.")


def check_token_id(name: str, value: Any, vocab_size: Any) -> None:
    """None, a token id, or (eos/bos in some configs) a list of them; a padding id must index the vocabulary."""
    ids = value if isinstance(value, list) and name != "pad_token_id" else [value]
    for token_id in ids:
        if token_id is None and ids is not value:
            continue
        if isinstance(token_id, bool) or not isinstance(token_id, int):
            raise errors.ConfigValueError(f"{name} must be a token id (a whole number) or null, got {value!r}.")
    if name == "pad_token_id" and isinstance(value, int) and isinstance(vocab_size, int) and not (
        -vocab_size <= value < vocab_size
    ):
        raise errors.ConfigValueError(
            f"pad_token_id={value} is not a token of the vocabulary (vocab_size={vocab_size}). Fix config.json."
        )


def read_pruned_heads(value: Any) -> dict[int, list[int]]:
    """``{"layer": [heads]}`` as JSON stores it -> ``{layer: [heads]}``."""
    try:
        pruned = {int(layer): list(heads) for layer, heads in value.items()}
    except (AttributeError, TypeError, ValueError):
        pruned = None
    if pruned is None or any(isinstance(h, bool) or not isinstance(h, int) or h < 0
                             for heads in pruned.values() for h in heads):
        raise errors.ConfigValueError(
            f"pruned_heads must map layer numbers to lists of head numbers, got {value!r}."
        ) from None
    return pruned


def check_probability(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise errors.ConfigValueError(f"{name} is a probability and must be between 0 and 1, got {value!r}.")

