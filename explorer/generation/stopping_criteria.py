"""Stopping criteria: after each new token, which rows are done (``[batch]`` of booleans). ``generate`` stops a
row at an end-of-sequence token, as transformers does; ``max_length`` it counts itself, in Python (a criterion
would be tensor operations and a read-back every step)."""

from __future__ import annotations

import torch


class StoppingCriteria:
    """Base of the criteria: ``criteria(input_ids, scores) -> [batch] bool``."""

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor, ...] | None) -> torch.BoolTensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__.")


class EosTokenCriteria(StoppingCriteria):
    """A row is done when its last token is one of ``eos_token_id``."""

    def __init__(self, eos_token_id: torch.Tensor) -> None:
        self.eos_token_id = eos_token_id

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor, ...] | None) -> torch.BoolTensor:
        return torch.isin(input_ids[:, -1], self.eos_token_id.to(input_ids.device))

