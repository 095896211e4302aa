"""zero-shot-classification, as transformers' ``ZeroShotClassificationPipeline``, on an NLI head: each candidate
label becomes a hypothesis (``hypothesis_template`` filled with it) paired with the sequence -> the head's logits
for every pair -> softmax of the entailment logits across the labels (or, with ``multi_label``, of entailment
against contradiction for each label alone) -> labels sorted by score."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from .. import errors
from .base import ChunkResult, Pipeline, Step, check_text

logger = logging.getLogger(__name__)
DEFAULT_TEMPLATE = "This example is {}."


class ZeroShotClassificationPipeline(Pipeline):
    """Score candidate labels for a sequence: ``{"sequence", "labels", "scores"}``, labels best first."""

    task = "zero-shot-classification"

    def __init__(self, model: Any, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        if self.entailment_id == -1:
            logger.warning("zero-shot-classification: no label of %s's config.label2id starts with 'entail'; the "
                           "last label is taken as entailment. Use an NLI head (labels such as ENTAILMENT, NEUTRAL, "
                           "CONTRADICTION).", type(model).__name__)

    @property
    def entailment_id(self) -> int:
        """The index of the config's first label starting with "entail" (any case), else -1 (the last)."""
        return next((index for label, index in self.model.config.label2id.items()
                     if label.lower().startswith("entail")), -1)

    def __call__(self, sequences: Any, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and "candidate_labels" not in kwargs:
            kwargs["candidate_labels"] = args[0]
        elif args:
            raise errors.PipelineInputError(
                f"candidate_labels: pass them once, as the second argument or by name; got {len(args)} extra "
                "positional arguments."
            )
        return super().__call__(sequences, **kwargs)

    def _sanitize_parameters(self, candidate_labels: Any = None, hypothesis_template: str | None = None,
                             multi_label: bool | None = None) -> tuple[dict, dict, dict]:
        preprocess: dict[str, Any] = {}
        if candidate_labels is not None:
            preprocess["candidate_labels"] = parse_labels(candidate_labels)
        if hypothesis_template is not None:
            preprocess["hypothesis_template"] = hypothesis_template
        return preprocess, {}, {} if multi_label is None else {"multi_label": multi_label}

    def preprocess(self, item: Any, candidate_labels: list[str] | None = None,
                   hypothesis_template: str = DEFAULT_TEMPLATE) -> list[dict[str, Any]]:
        sequence = check_text(item, "sequences")
        if not candidate_labels:
            raise errors.PipelineInputError(
                "candidate_labels: pass at least one label, e.g. candidate_labels=['politics', 'sport']."
            )
        if not isinstance(hypothesis_template, str) or hypothesis_template.format(candidate_labels[0]) == \
                hypothesis_template:
            raise errors.PipelineInputError(
                f"hypothesis_template={hypothesis_template!r}: it needs a {{}} where each label goes, e.g. "
                f"{DEFAULT_TEMPLATE!r}."
            )
        return [{**self.tokenizer(text=[sequence], text_pair=[hypothesis_template.format(label)], padding=True,
                                  truncation="only_first", return_tensors="pt"),
                 "candidate_label": label, "sequence": sequence}
                for label in candidate_labels]

    def postprocess(self, results: list[ChunkResult], steps: list[Step], multi_label: bool = False) -> dict:
        labels = [result.inputs["candidate_label"] for result in results]
        logits = np.concatenate([result.outputs["logits"].float().numpy() for result in results])
        logits = logits.reshape((1, len(labels), -1))
        steps.append(Step("logits", "the NLI head's logits for each (sequence, hypothesis) pair, by label",
                          logits[0].tolist()))
        entailment = self.entailment_id
        if multi_label or len(labels) == 1:
            contradiction = -1 if entailment == 0 else 0
            pairs = logits[..., [contradiction, entailment]]
            scores = (np.exp(pairs) / np.exp(pairs).sum(-1, keepdims=True))[..., 1]
            detail = (f"for each label alone: softmax of contradiction (label {contradiction}) against entailment "
                      f"(label {entailment}), the entailment share kept")
        else:
            entailment_logits = logits[..., entailment]
            scores = np.exp(entailment_logits) / np.exp(entailment_logits).sum(-1, keepdims=True)
            detail = f"softmax across the labels of the entailment logits (label {entailment})"
        steps.append(Step("softmax", detail, scores[0].tolist()))
        order = list(reversed(scores[0].argsort()))
        result = {"sequence": results[0].inputs["sequence"], "labels": [labels[index] for index in order],
                  "scores": scores[0, order].tolist()}
        steps.append(Step("sort", "labels sorted by score, best first", result["labels"]))
        return result


def parse_labels(labels: Any) -> list[str]:
    """A comma-separated string or a list of labels -> the list."""
    if isinstance(labels, str):
        return [label.strip() for label in labels.split(",") if label.strip()]
    if isinstance(labels, (list, tuple)) and all(isinstance(label, str) for label in labels):
        return list(labels)
    raise errors.PipelineInputError(f"candidate_labels={labels!r}: pass a list of strings or one comma-separated "
                                    "string.")
