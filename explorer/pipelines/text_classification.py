"""text-classification (alias sentiment-analysis), as transformers' ``TextClassificationPipeline``: the text
(or a ``{"text": ..., "text_pair": ...}`` pair) -> tokens -> the head's logits -> softmax (or sigmoid, or
nothing) -> ``config.id2label`` names each score."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import errors
from .base import ChunkResult, Pipeline, Step, check_text, sigmoid, softmax

FUNCTIONS = {"softmax": softmax, "sigmoid": sigmoid, "none": lambda values: values}
_NOT_GIVEN = ""  # top_k's default: transformers' "legacy" output (the best label only)


class TextClassificationPipeline(Pipeline):
    """Classify texts or text pairs: ``[{"label": ..., "score": ...}]``; with ``top_k`` the ``top_k`` best labels
    (``top_k=None``: all of them), sorted by score."""

    task = "text-classification"
    sort_by_length = True

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        result = super().__call__(inputs, **kwargs)
        # transformers wraps a single text's best label in a list, unless top_k was asked for
        return [result] if isinstance(inputs, str) and "top_k" not in kwargs else result

    def _sanitize_parameters(self, function_to_apply: str | None = None, top_k: Any = _NOT_GIVEN,
                             **tokenizer_kwargs: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        postprocess: dict[str, Any] = {}
        if top_k is None or isinstance(top_k, int):
            postprocess.update(top_k=top_k, legacy=False)
        elif top_k != _NOT_GIVEN:
            raise errors.PipelineInputError(f"top_k={top_k!r}: pass a whole number, or None for every label.")
        if function_to_apply is not None:
            postprocess["function_to_apply"] = checked_function(function_to_apply)
        return tokenizer_kwargs, {}, postprocess

    def preprocess(self, item: Any, **tokenizer_kwargs: Any) -> list[dict[str, Any]]:
        if isinstance(item, Mapping):
            return [self.tokenizer(**text_pair(item), return_tensors="pt", **tokenizer_kwargs)]
        return [self.tokenizer(check_text(item, "inputs"), return_tensors="pt", **tokenizer_kwargs)]

    def default_function(self) -> str:
        return default_function(self.model.config)

    def postprocess(self, results: list[ChunkResult], steps: list[Step], function_to_apply: str | None = None,
                    top_k: int | None = 1, legacy: bool = True) -> Any:
        function = function_to_apply or self.default_function()
        logits = results[0].outputs["logits"][0].float().numpy()
        scores = FUNCTIONS[function](logits)
        steps.append(Step("logits", "the classification head's output, one number per label", logits.tolist()))
        steps.append(Step(function, f"{function} over the logits" + ("" if function != "none" else " (kept as they are)"),
                          scores.tolist()))
        id2label = self.model.config.id2label
        if top_k == 1 and legacy:
            best = int(scores.argmax())
            result = {"label": id2label[best], "score": scores[best].item()}
            steps.append(Step("id2label", f"the best score, {best}, named by config.id2label", result))
            return result
        labelled = [{"label": id2label[index], "score": score.item()} for index, score in enumerate(scores)]
        steps.append(Step("id2label", "config.id2label names each score", labelled))
        if not legacy:
            labelled.sort(key=lambda entry: entry["score"], reverse=True)
            labelled = labelled if top_k is None else labelled[:top_k]
            steps.append(Step("top_k", f"sorted by score, the best {top_k if top_k is not None else 'all'} kept",
                              labelled))
        return labelled


def default_function(config: Any) -> str:
    """What transformers applies when ``function_to_apply`` is not given, from the config."""
    if config.problem_type == "regression":
        return "none"
    if config.problem_type == "multi_label_classification" or config.num_labels == 1:
        return "sigmoid"
    return "softmax"


def checked_function(name: Any) -> str:
    if not isinstance(name, str) or name.lower() not in FUNCTIONS:
        raise errors.PipelineInputError(
            f"function_to_apply={name!r}: pass one of {', '.join(map(repr, FUNCTIONS))} (or leave it out: softmax "
            "for several labels, sigmoid for one, none for regression)."
        )
    return name.lower()


def text_pair(item: Mapping[str, Any]) -> dict[str, str]:
    """A ``{"text": ..., "text_pair": ...}`` input, checked."""
    unknown = set(item) - {"text", "text_pair"}
    if "text" not in item or unknown:
        raise errors.PipelineInputError(
            f"inputs: a text pair is a dict {{'text': ..., 'text_pair': ...}}; got the keys {sorted(item)}."
        )
    pair = {"text": check_text(item["text"], "inputs['text']")}
    if "text_pair" in item:
        pair["text_pair"] = check_text(item["text_pair"], "inputs['text_pair']")
    return pair
