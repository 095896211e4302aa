"""Backbones: which stages' feature maps a model returns, by name (``out_features``) or by position
(``out_indices``) in ``stage_names``, with transformers' rules: each set from the other, the last stage by
default, both validated (known names, valid indices, no duplicates, in stage order, consistent)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import errors


class BackboneConfigMixin:
    """For configs of architectures with stages. The config class provides ``compute_stage_names()``."""

    def __init__(self, **kwargs: Any) -> None:
        out_features = kwargs.pop("out_features", None)
        out_indices = kwargs.pop("out_indices", None)
        kwargs.pop("stage_names", None)  # derived from the architecture, as transformers does
        super().__init__(**kwargs)
        self.stage_names = self.compute_stage_names()
        self.set_output_features_output_indices(out_features, out_indices)

    def compute_stage_names(self) -> list[str]:
        raise NotImplementedError(f"{type(self).__name__} must name its stages")

    @property
    def out_features(self) -> list[str]:
        return self._out_features

    @out_features.setter
    def out_features(self, out_features: Sequence[str] | None) -> None:
        self.set_output_features_output_indices(out_features=out_features, out_indices=None)

    @property
    def out_indices(self) -> list[int]:
        return self._out_indices

    @out_indices.setter
    def out_indices(self, out_indices: Sequence[int] | None) -> None:
        self.set_output_features_output_indices(out_features=None, out_indices=out_indices)

    def set_output_features_output_indices(self, out_features: Sequence[str] | None,
                                           out_indices: Sequence[int] | None) -> None:
        features, indices = align_stages(self.stage_names, out_features, out_indices)
        self._out_features, self._out_indices = features, indices

    def to_dict(self) -> dict[str, Any]:
        output = super().to_dict()  # type: ignore[misc]
        output["out_features"] = output.pop("_out_features")
        output["out_indices"] = output.pop("_out_indices")
        return output


def align_stages(stage_names: list[str], out_features: Sequence[str] | None,
                 out_indices: Sequence[int] | None) -> tuple[list[str], list[int]]:
    """Validate both selections and fill whichever is missing from the other (default: the last stage)."""
    features = None if out_features is None else check_features(stage_names, out_features)
    indices = None if out_indices is None else check_indices(stage_names, out_indices)
    if features is None and indices is None:
        return [stage_names[-1]], [len(stage_names) - 1]
    if indices is None:
        return features, [stage_names.index(name) for name in features]  # type: ignore[union-attr]
    if features is None:
        return [stage_names[index] for index in indices], indices
    if features != [stage_names[index] for index in indices]:
        raise errors.ConfigValueError(
            f"out_features={features} and out_indices={indices} name different stages of {stage_names}; "
            "pass one of them, or two that agree."
        )
    return features, indices


def check_features(stage_names: list[str], out_features: Sequence[str]) -> list[str]:
    if isinstance(out_features, str) or not all(isinstance(name, str) for name in out_features):
        raise errors.ConfigValueError(f"out_features must be a list of stage names, got {out_features!r}.")
    features = list(out_features)
    unknown = [name for name in features if name not in stage_names]
    if unknown:
        raise errors.ConfigValueError(f"out_features: {unknown} are not stages; the stages are {stage_names}.")
    if len(set(features)) != len(features):
        raise errors.ConfigValueError(f"out_features must not repeat a stage, got {features}.")
    in_order = [name for name in stage_names if name in features]
    if features != in_order:
        raise errors.ConfigValueError(f"out_features must follow the stage order: {in_order}, got {features}.")
    return features


def check_indices(stage_names: list[str], out_indices: Sequence[int]) -> list[int]:
    count = len(stage_names)
    if isinstance(out_indices, (str, bytes)) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in out_indices
    ):
        raise errors.ConfigValueError(f"out_indices must be a list of stage numbers, got {out_indices!r}.")
    if any(not -count <= i < count for i in out_indices):
        raise errors.ConfigValueError(
            f"out_indices={list(out_indices)} has a stage number outside 0..{count - 1} (stages: {stage_names})."
        )
    indices = [i % count for i in out_indices]  # -1 is the last stage
    if len(set(indices)) != len(indices):
        raise errors.ConfigValueError(f"out_indices must not repeat a stage, got {list(out_indices)}.")
    if indices != sorted(indices):
        raise errors.ConfigValueError(f"out_indices must follow the stage order, got {list(out_indices)}.")
    return indices


class BackboneMixin:
    """For ``<Arch>Backbone`` models. The model sets ``num_features``: the channel count of every stage."""

    config: Any
    num_features: list[int]

    @property
    def stage_names(self) -> list[str]:
        return self.config.stage_names

    @property
    def out_features(self) -> list[str]:
        return self.config.out_features

    @out_features.setter
    def out_features(self, out_features: Sequence[str]) -> None:
        self.config.out_features = out_features

    @property
    def out_indices(self) -> list[int]:
        return self.config.out_indices

    @out_indices.setter
    def out_indices(self, out_indices: Sequence[int]) -> None:
        self.config.out_indices = out_indices

    @property
    def out_feature_channels(self) -> dict[str, int]:
        return dict(zip(self.stage_names, self.num_features))

    @property
    def channels(self) -> list[int]:
        return [self.out_feature_channels[name] for name in self.out_features]
