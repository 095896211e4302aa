"""audio-classification, as transformers' ``AudioClassificationPipeline``: the clip (a 1-D array of samples, an
audio file, or a ``{"raw" | "array": ..., "sampling_rate": ...}`` dict, resampled to the feature extractor's
rate) -> the feature extractor's ``input_values`` -> the head's logits -> softmax (or sigmoid, or nothing) ->
the ``top_k`` best labels (all of them by default), named by ``config.id2label``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from .. import errors
from ..batch import is_tensor
from ..processing.audio_file import load_audio
from ..processing.resampling import is_positive_int, resample
from .base import ChunkResult, Pipeline, Step

FUNCTIONS = ("softmax", "sigmoid", "none")


class AudioClassificationPipeline(Pipeline):
    """Classify clips: ``[{"score": ..., "label": ...}]``, the ``top_k`` best labels sorted by score."""

    task = "audio-classification"

    def is_one_input(self, inputs: Any) -> bool:
        return is_one_clip(inputs)

    def _sanitize_parameters(self, top_k: Any = None, function_to_apply: str | None = None
                             ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        postprocess: dict[str, Any] = {}
        if top_k is not None:
            if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
                raise errors.PipelineInputError(f"top_k={top_k!r}: pass a whole number of at least 1, or None for "
                                                "every label.")
            postprocess["top_k"] = top_k
        if function_to_apply is not None:
            if function_to_apply not in FUNCTIONS:
                raise errors.PipelineInputError(f"function_to_apply={function_to_apply!r}: pass one of "
                                                f"{', '.join(map(repr, FUNCTIONS))}.")
            postprocess["function_to_apply"] = function_to_apply
        return {}, {}, postprocess

    def preprocess(self, item: Any) -> list[dict[str, Any]]:
        rate = self.feature_extractor.sampling_rate
        samples = read_clip(item, rate, "inputs", mono=False)
        return [dict(self.feature_extractor(samples, sampling_rate=rate, return_tensors="pt"))]

    def _padding_value(self, key: str) -> int:
        return self.feature_extractor.padding_value if key == "input_values" else super()._padding_value(key)

    def default_function(self) -> str:
        """transformers' choice from the config (softmax for one label too, unlike text-classification)."""
        problem = self.model.config.problem_type
        return {"regression": "none", "multi_label_classification": "sigmoid"}.get(problem, "softmax")

    def postprocess(self, results: list[ChunkResult], steps: list[Step], top_k: int | None = None,
                    function_to_apply: str | None = None) -> list[dict[str, Any]]:
        function = function_to_apply or self.default_function()
        logits = results[0].outputs["logits"][0]
        probs = {"softmax": lambda: logits.softmax(-1), "sigmoid": logits.sigmoid, "none": lambda: logits}[function]()
        steps.append(Step("logits", "the classification head's output, one number per label", logits.tolist()))
        steps.append(Step(function, f"{function} over the logits", probs.tolist()))
        scores, ids = probs.topk(min(top_k or len(probs), len(probs)))
        labelled = [{"score": score, "label": self.model.config.id2label[index]}
                    for score, index in zip(scores.tolist(), ids.tolist())]
        steps.append(Step("top_k", f"the best {len(labelled)} scores, named by config.id2label", labelled))
        return labelled


def is_one_clip(inputs: Any) -> bool:
    """One clip rather than a collection of them: a path, bytes, a dict, or one array."""
    return isinstance(inputs, (str, os.PathLike, bytes, Mapping, np.ndarray)) or is_tensor(inputs)


def read_clip(item: Any, sampling_rate: int, argument: str, mono: bool) -> np.ndarray:
    """The samples of one clip at ``sampling_rate``: a file read and resampled, a dict's array resampled from
    its ``sampling_rate``, or an array taken as it is. ``mono``: a (channels, samples) array is averaged (as
    transformers' speech recognition); else only 1-D arrays (as its audio classification)."""
    if isinstance(item, (str, os.PathLike, bytes)):
        if isinstance(item, str) and item.startswith(("http://", "https://")):
            raise errors.PipelineInputError(f"{argument}: {item!r} is a URL; download the audio file and pass its "
                                            "path.")
        return load_audio(item, sampling_rate)
    rate = sampling_rate
    if isinstance(item, Mapping):
        item, rate = dict_clip(item, argument)
    samples = as_samples(item, argument, mono)
    return samples if rate == sampling_rate else resample(samples, rate, sampling_rate)


def dict_clip(item: Mapping[str, Any], argument: str) -> tuple[Any, int]:
    """A ``{"raw" | "array": samples, "sampling_rate": rate}`` dict's samples and rate, checked."""
    samples = item.get("raw", item.get("array"))
    if samples is None or "sampling_rate" not in item:
        raise errors.PipelineInputError(
            f"{argument}: a dict clip needs a 'raw' (or 'array') key with the samples and a 'sampling_rate' key; "
            f"got the keys {sorted(item)}."
        )
    if not is_positive_int(item["sampling_rate"]):
        raise errors.PipelineInputError(
            f"{argument}['sampling_rate']={item['sampling_rate']!r}: pass the clip's rate in Hz, a positive integer."
        )
    return samples, int(item["sampling_rate"])


def as_samples(value: Any, argument: str, mono: bool) -> np.ndarray:
    """A numpy array (a tensor's too) of one channel; ``mono`` averages a (channels, samples) one."""
    if isinstance(value, torch.Tensor):
        value = value.cpu().numpy()
    if not isinstance(value, np.ndarray):
        raise errors.PipelineInputError(
            f"{argument}: {type(value).__name__} is not audio; pass a 1-D array of samples, a path, or a dict "
            "{'raw': samples, 'sampling_rate': rate}."
        )
    if mono and value.ndim == 2 and value.shape[0] <= 2:
        value = value.mean(axis=0)
    if value.ndim != 1 or value.size == 0:
        raise errors.PipelineInputError(
            f"{argument}: an array of shape {value.shape} is not one channel of samples; pass a non-empty 1-D array"
            + (" or (channels, samples) with 1 or 2 channels." if mono else " (average the channels first).")
        )
    return value
