"""zero-shot-image-classification, as transformers' ``ZeroShotImageClassificationPipeline``, on CLIP: each
candidate label becomes a sentence (``hypothesis_template`` filled with it) -> the image's ``pixel_values`` and
the sentences' tokens -> ``logits_per_image``, the image's scaled cosine similarity to each sentence -> softmax
across the labels -> labels sorted by score."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from .. import errors
from ..batch import is_tensor
from .base import ChunkResult, Pipeline, Step
from .image_classification import checked_image, is_one_image

DEFAULT_TEMPLATE = "This is a photo of {}."


class ZeroShotImageClassificationPipeline(Pipeline):
    """Score candidate labels for images: ``[{"score": ..., "label": ...}]``, best first."""

    task = "zero-shot-image-classification"

    def __call__(self, image: Any, candidate_labels: Any = None, **kwargs: Any) -> Any:
        if candidate_labels is not None:
            kwargs["candidate_labels"] = candidate_labels
        return super().__call__(image, **kwargs)

    def is_one_input(self, inputs: Any) -> bool:
        return is_one_image(inputs) or isinstance(inputs, Mapping) or isinstance(inputs, np.ndarray) or is_tensor(
            inputs)

    def _sanitize_parameters(self, candidate_labels: Any = None, hypothesis_template: Any = None,
                             timeout: float | None = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        preprocess: dict[str, Any] = {}
        if candidate_labels is not None:
            preprocess["candidate_labels"] = checked_labels(candidate_labels)
        if hypothesis_template is not None:
            preprocess["hypothesis_template"] = checked_template(hypothesis_template)
        # timeout: transformers' argument for URLs; explorer's image reader has its own time limit
        return preprocess, {}, {}

    def preprocess(self, item: Any, candidate_labels: list[str] | None = None,
                   hypothesis_template: str = DEFAULT_TEMPLATE) -> list[dict[str, Any]]:
        if not candidate_labels:
            raise errors.PipelineInputError(
                "candidate_labels: pass at least one label, e.g. candidate_labels=['a cat', 'a dog']."
            )
        pixels = self.image_processor(images=[checked_image(item, "image")], return_tensors="pt")
        sentences = [hypothesis_template.format(label) for label in candidate_labels]
        # the texts are carried whole, not batched row by row: every image is scored against all of them
        texts = dict(self.tokenizer(sentences, padding=True, return_tensors="pt"))
        # the labels as a tuple: a batch keeps plain lists row by row, a tuple whole
        return [{**pixels, "text_inputs": texts, "candidate_labels": tuple(candidate_labels)}]

    def _model_inputs(self, inputs: dict[str, Any]) -> dict[str, torch.Tensor]:
        texts = inputs["text_inputs"]
        # a batch lists each image's texts; one call's images share their labels, so the first serve (as in
        # transformers)
        return {"pixel_values": inputs["pixel_values"], **(texts if isinstance(texts, Mapping) else texts[0])}

    def _forward(self, model_inputs: dict[str, torch.Tensor], **params: Any) -> dict[str, Any]:
        return {"logits": self.model(**model_inputs).logits_per_image}

    def postprocess(self, results: list[ChunkResult], steps: list[Step]) -> list[dict[str, Any]]:
        inputs = results[0].inputs
        labels = list(inputs["candidate_labels"])
        steps.append(Step("texts", f"each label in the template: {len(labels)} sentences, tokenized",
                          [self.tokenizer.convert_ids_to_tokens(ids, skip_special_tokens=True)
                           for ids in inputs["text_inputs"]["input_ids"].tolist()]))
        logits = results[0].outputs["logits"][0]
        steps.append(Step("logits_per_image", "the image's cosine similarity to each sentence, times "
                                              "exp(logit_scale)", logits.tolist()))
        scores = logits.softmax(dim=-1).tolist()
        steps.append(Step("softmax", "softmax across the labels", scores))
        result = [{"score": score, "label": label}
                  for score, label in sorted(zip(scores, labels), key=lambda pair: -pair[0])]
        steps.append(Step("sort", "labels sorted by score, best first", [entry["label"] for entry in result]))
        return result


def checked_labels(labels: Any) -> list[str]:
    if isinstance(labels, (list, tuple)) and labels and all(isinstance(label, str) for label in labels):
        return list(labels)
    raise errors.PipelineInputError(
        f"candidate_labels={labels!r}: pass a non-empty list of strings, e.g. ['a cat', 'a dog']."
    )


def checked_template(template: Any) -> str:
    if not isinstance(template, str) or template.format("x") == template:
        raise errors.PipelineInputError(
            f"hypothesis_template={template!r}: it needs a {{}} where each label goes, e.g. {DEFAULT_TEMPLATE!r}."
        )
    return template
