"""feature-extraction, as transformers' ``FeatureExtractionPipeline``: the text -> tokens -> the model's first
output (the last hidden state: one vector per token), as nested lists or, with ``return_tensors=True``, the
tensor. In a batch, a text's vectors include its padding positions, as in transformers."""

from __future__ import annotations

from typing import Any

from .. import errors
from .base import ChunkResult, Pipeline, Step, check_text


class FeatureExtractionPipeline(Pipeline):
    """The hidden states of every token: ``[[vector, ...]]`` (batch of one, tokens, hidden size)."""

    task = "feature-extraction"

    def _sanitize_parameters(self, truncation: bool | None = None, tokenize_kwargs: dict[str, Any] | None = None,
                             return_tensors: bool | None = None) -> tuple[dict, dict, dict]:
        tokenize_kwargs = dict(tokenize_kwargs or {})
        if truncation is not None:
            if "truncation" in tokenize_kwargs:
                raise errors.PipelineInputError(
                    "truncation: given both as an argument and in tokenize_kwargs; give it once."
                )
            tokenize_kwargs["truncation"] = truncation
        postprocess = {} if return_tensors is None else {"return_tensors": return_tensors}
        return {"tokenize_kwargs": tokenize_kwargs}, {}, postprocess

    def preprocess(self, item: Any, tokenize_kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        return [self.tokenizer(check_text(item, "inputs"), return_tensors="pt", **tokenize_kwargs)]

    def postprocess(self, results: list[ChunkResult], steps: list[Step], return_tensors: bool = False) -> Any:
        name, features = next(iter(results[0].outputs.items()))
        steps.append(Step(name, f"the model's first output, shape {list(features.shape)}: one vector per token",
                          list(features.shape)))
        return features if return_tensors else features.tolist()
