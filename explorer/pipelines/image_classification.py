"""image-classification, as transformers' ``ImageClassificationPipeline``: the image (a PIL image, a path, an
http(s) URL or an array) -> the image processor's ``pixel_values`` -> the head's logits -> softmax (or sigmoid,
or nothing) -> ``config.id2label`` names each score -> the ``top_k`` best (5 by default)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import errors
from ..batch import is_tensor
from ..hub import offline_mode
from ..processing.image_input import describe_image
from .base import ChunkResult, Pipeline, Step
from .text_classification import FUNCTIONS, checked_function, default_function


class ImageClassificationPipeline(Pipeline):
    """Classify images: ``[{"label": ..., "score": ...}]``, the ``top_k`` best labels sorted by score."""

    task = "image-classification"

    def is_one_input(self, inputs: Any) -> bool:
        # as transformers: any array is one image; a dict is one wrong input, not a list of its keys
        return is_one_image(inputs) or isinstance(inputs, Mapping) or isinstance(inputs, np.ndarray) or is_tensor(
            inputs)

    def _sanitize_parameters(self, top_k: Any = None, function_to_apply: str | None = None,
                             timeout: float | None = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        postprocess: dict[str, Any] = {}
        if top_k is not None:
            if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
                raise errors.PipelineInputError(f"top_k={top_k!r}: pass a whole number of at least 1.")
            postprocess["top_k"] = top_k
        if function_to_apply is not None:
            postprocess["function_to_apply"] = checked_function(function_to_apply)
        # timeout: transformers' argument for URLs; explorer's image reader has its own time limit
        return {}, {}, postprocess

    def preprocess(self, item: Any) -> list[dict[str, Any]]:
        return [dict(self.image_processor(images=checked_image(item, "inputs"), return_tensors="pt"))]

    def postprocess(self, results: list[ChunkResult], steps: list[Step], function_to_apply: str | None = None,
                    top_k: int = 5) -> list[dict[str, Any]]:
        function = function_to_apply or default_function(self.model.config)
        logits = results[0].outputs["logits"][0].float().numpy()
        scores = FUNCTIONS[function](logits)
        steps.append(Step("logits", "the classification head's output, one number per label", logits.tolist()))
        steps.append(Step(function, f"{function} over the logits", scores.tolist()))
        id2label = self.model.config.id2label
        labelled = [{"label": id2label[index], "score": score.item()} for index, score in enumerate(scores)]
        steps.append(Step("id2label", "config.id2label names each score", labelled))
        labelled = sorted(labelled, key=lambda entry: entry["score"], reverse=True)[:top_k]
        steps.append(Step("top_k", f"sorted by score, the best {top_k} kept", labelled))
        return labelled


def is_one_image(inputs: Any) -> bool:
    """One image rather than a collection of them: a path or URL, a PIL image, or one array."""
    from PIL import Image

    if isinstance(inputs, (str, os.PathLike, Image.Image)):
        return True
    return (isinstance(inputs, np.ndarray) or is_tensor(inputs)) and inputs.ndim in (2, 3)


def checked_image(image: Any, argument: str) -> Any:
    """``image`` if the image processor can read it; a URL offline, or anything not an image, is an error
    naming ``argument``."""
    if isinstance(image, str) and image.startswith(("http://", "https://")) and offline_mode():
        raise errors.PipelineInputError(
            f"{argument}: {image!r} is a URL and explorer is offline (HF_HUB_OFFLINE); download the image and pass "
            "its path or a PIL image."
        )
    if not is_one_image(image):
        raise errors.PipelineInputError(
            f"{argument}: {describe_image(image)} is not an image; pass a PIL image, a path, an http(s) URL or an "
            "array of shape (height, width[, channels]), or a list of them."
        )
    return image
