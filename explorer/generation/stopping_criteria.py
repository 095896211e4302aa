"""Stopping criteria: after each new token, which rows are done (``[batch]`` of booleans). ``generate`` stops a
row at ``max_length`` tokens or at an end-of-sequence token, as transformers does."""

from __future__ import annotations

import torch


class StoppingCriteria:
    """Base of the criteria: ``criteria(input_ids, scores) -> [batch] bool``."""

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor, ...] | None) -> torch.BoolTensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__.")


class MaxLengthCriteria(StoppingCriteria):
    """Every row is done once the sequences (prompt included) have ``max_length`` tokens."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor, ...] | None) -> torch.BoolTensor:
        done = input_ids.shape[1] >= self.max_length
        return torch.full((input_ids.shape[0],), done, device=input_ids.device, dtype=torch.bool)


class EosTokenCriteria(StoppingCriteria):
    """A row is done when its last token is one of ``eos_token_id``."""

    def __init__(self, eos_token_id: torch.Tensor) -> None:
        self.eos_token_id = eos_token_id

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor, ...] | None) -> torch.BoolTensor:
        return torch.isin(input_ids[:, -1], self.eos_token_id.to(input_ids.device))


class StoppingCriteriaList(list):
    """A row is done when any criterion says so."""

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor, ...] | None) -> torch.BoolTensor:
        done = torch.zeros(input_ids.shape[0], device=input_ids.device, dtype=torch.bool)
        for criteria in self:
            done = done | criteria(input_ids, scores)
        return done
