"""fill-mask, as transformers' ``FillMaskPipeline``: the text with the tokenizer's mask token -> tokens -> the
masked LM's logits at each mask -> softmax over the vocabulary (or over ``targets`` only) -> the ``top_k``
tokens, each decoded and put back into the sequence."""

from __future__ import annotations

import logging
from typing import Any

import torch

from .. import errors
from .base import ChunkResult, Pipeline, Step, check_text, plain

logger = logging.getLogger(__name__)


class FillMaskPipeline(Pipeline):
    """Fill the mask: ``[{"score", "token", "token_str", "sequence"}]`` (``top_k`` of them), one such list per
    mask when the text has several."""

    task = "fill-mask"

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        results = super().__call__(inputs, **kwargs)
        return results[0] if isinstance(inputs, list) and len(inputs) == 1 else results

    def _sanitize_parameters(self, top_k: int | None = None, targets: str | list[str] | None = None,
                             tokenizer_kwargs: dict[str, Any] | None = None) -> tuple[dict, dict, dict]:
        if self.tokenizer.mask_token_id is None:
            raise errors.PipelineInputError(
                f"tokenizer: {type(self.tokenizer).__name__} defines no mask token, so fill-mask has nothing to fill."
            )
        postprocess: dict[str, Any] = {}
        if targets is not None:
            postprocess["target_ids"] = self.target_ids(targets)
        if top_k is not None:
            if not isinstance(top_k, int) or top_k < 1:
                raise errors.PipelineInputError(f"top_k={top_k!r}: pass a whole number of at least 1.")
            postprocess["top_k"] = top_k
        return {"tokenizer_kwargs": tokenizer_kwargs or {}}, {}, postprocess

    def target_ids(self, targets: str | list[str]) -> list[int]:
        """Each target's id; a word not in the vocabulary becomes its first token (said in a warning)."""
        vocabulary = self.tokenizer.get_vocab()
        found = []
        for target in [targets] if isinstance(targets, str) else targets:
            index = vocabulary.get(target)
            if index is None:
                ids = self.tokenizer(target, add_special_tokens=False, return_attention_mask=False,
                                     return_token_type_ids=False, max_length=1, truncation=True)["input_ids"]
                if not ids:
                    logger.warning("targets: %r is not in the vocabulary and has no token; it is ignored.", target)
                    continue
                index = ids[0]
                logger.warning("targets: %r is not in the vocabulary; its first token %r is used instead.", target,
                               self.tokenizer.convert_ids_to_tokens(index))
            found.append(index)
        if not found:
            raise errors.PipelineInputError(f"targets={targets!r}: none of them can be a token; pass at least one.")
        return list(set(found))  # as transformers: one entry per token, in the set's order

    def preprocess(self, item: Any, tokenizer_kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        inputs = self.tokenizer(check_text(item, "inputs"), return_tensors="pt", **tokenizer_kwargs)
        if not (inputs["input_ids"] == self.tokenizer.mask_token_id).any():
            raise errors.PipelineInputError(
                f"inputs: {item!r} has no mask token; put {self.tokenizer.mask_token} where a word should be filled."
            )
        return [inputs]

    def postprocess(self, results: list[ChunkResult], steps: list[Step], top_k: int = 5,
                    target_ids: list[int] | None = None) -> Any:
        if target_ids is not None:
            top_k = min(top_k, len(target_ids))
        input_ids = results[0].inputs["input_ids"][0]
        masked = self.mask_positions(results[0])
        probabilities = results[0].outputs["logits"][0, masked, :].softmax(dim=-1)
        steps.append(Step("mask positions", "where the mask tokens are", masked.tolist()))
        steps.append(Step("softmax", "softmax over the vocabulary of the logits at each mask (the value is its "
                          "shape: masks x vocabulary; the chunk's model_outputs hold those logits)",
                          list(probabilities.shape)))
        if target_ids is not None:
            probabilities = probabilities[..., target_ids]
            steps.append(Step("targets", "only the targets' probabilities kept", target_ids))
        values, predictions = probabilities.topk(top_k)
        single = values.shape[0] == 1
        rows = [[self.proposition(input_ids, int(masked[row]), score, token if target_ids is None
                                  else target_ids[token], skip_special_tokens=single)
                 for score, token in zip(scores, tokens)]
                for row, (scores, tokens) in enumerate(zip(values.tolist(), predictions.tolist()))]
        steps.append(Step("top_k", f"the {top_k} most probable tokens at each mask, decoded into the sequence",
                          rows))
        return rows[0] if single else rows

    def mask_positions(self, result: ChunkResult) -> torch.Tensor:
        return torch.nonzero(result.inputs["input_ids"][0] == self.tokenizer.mask_token_id).squeeze(-1)

    def recorded_outputs(self, result: ChunkResult) -> dict[str, Any]:
        """The logits at the masks only: every position's row of the vocabulary (512 x 30,522 for bert-base) as
        Python numbers would take seconds and half a GiB, for rows the postprocessing never reads."""
        return {"logits at the masks": plain(result.outputs["logits"][:, self.mask_positions(result), :])}

    def proposition(self, input_ids: torch.Tensor, position: int, score: float, token: int,
                    skip_special_tokens: bool) -> dict[str, Any]:
        filled = input_ids.clone()
        filled[position] = token
        filled = filled[filled != self.tokenizer.pad_token_id]
        return {"score": score, "token": token, "token_str": self.tokenizer.decode([token]),
                "sequence": self.tokenizer.decode(filled.tolist(), skip_special_tokens=skip_special_tokens)}
