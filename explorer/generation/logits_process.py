"""Logits processors: each takes the ids so far ``[batch, length]`` and the next token's scores
``[batch, vocab]`` and returns new scores. ``generate`` chains them in transformers' order (penalties and
length constraints first, then, when sampling, the warpers: temperature, top-k, top-p, min-p), with
transformers' arithmetic, so that the same seed samples the same tokens.
"""

from __future__ import annotations

import math

import torch


class LogitsProcessor:
    """Base of the processors: ``processor(input_ids, scores) -> scores``."""

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__.")


class LogitsProcessorList(list):
    """Processors applied one after the other."""

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        for processor in self:
            scores = processor(input_ids, scores)
        return scores


def eos_mask(eos_token_id: torch.Tensor, vocab_size: int, device: torch.device) -> torch.Tensor:
    return torch.isin(torch.arange(vocab_size, device=device), eos_token_id)


class MinLengthLogitsProcessor(LogitsProcessor):
    """No end of sequence before the sequence (prompt included) has ``min_length`` tokens."""

    def __init__(self, min_length: int, eos_token_id: torch.Tensor) -> None:
        self.min_length = min_length
        self.eos_token_id = eos_token_id

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        if input_ids.shape[-1] < self.min_length:
            return torch.where(eos_mask(self.eos_token_id, scores.shape[-1], scores.device), -math.inf, scores)
        return scores.clone()


class MinNewTokensLengthLogitsProcessor(LogitsProcessor):
    """No end of sequence before ``min_new_tokens`` tokens follow the prompt's ``prompt_length_to_skip``."""

    def __init__(self, prompt_length_to_skip: int, min_new_tokens: int, eos_token_id: torch.Tensor) -> None:
        self.prompt_length_to_skip = prompt_length_to_skip
        self.min_new_tokens = min_new_tokens
        self.eos_token_id = eos_token_id

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        if input_ids.shape[-1] - self.prompt_length_to_skip < self.min_new_tokens:
            return torch.where(eos_mask(self.eos_token_id, scores.shape[-1], scores.device), -math.inf, scores)
        return scores.clone()


class RepetitionPenaltyLogitsProcessor(LogitsProcessor):
    """Tokens already in the sequence become less likely: a positive score is divided by ``penalty``, a
    negative one multiplied (CTRL's penalty). ``prompt_ignore_length`` (one count per row: the left padding)
    leaves that many first positions out."""

    def __init__(self, penalty: float, prompt_ignore_length: torch.Tensor | None = None) -> None:
        self.penalty = penalty
        self.prompt_ignore_length = prompt_ignore_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        vocab_size = scores.shape[-1]
        if self.prompt_ignore_length is not None:  # ignored positions point at a spare column, dropped below
            positions = torch.arange(input_ids.shape[1], device=input_ids.device)
            ignored = positions[None, :] < self.prompt_ignore_length.to(input_ids.device)[:, None]
            input_ids = input_ids.masked_fill(ignored, vocab_size)
        # ids past the head's width (an embedding larger than the head) also land in the spare column
        input_ids = input_ids.clamp(max=vocab_size)
        padded = torch.nn.functional.pad(scores, (0, 1))
        seen = torch.gather(padded, 1, input_ids)
        seen = torch.where(seen < 0, seen * self.penalty, seen / self.penalty)
        return padded.scatter(1, input_ids, seen)[..., :vocab_size]


class NoRepeatNGramLogitsProcessor(LogitsProcessor):
    """No n-gram of ``ngram_size`` tokens twice: a token that would complete an n-gram already in the sequence
    (prompt included) is banned."""

    def __init__(self, ngram_size: int) -> None:
        self.ngram_size = ngram_size

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        length = input_ids.shape[-1]
        if length < self.ngram_size:
            return scores
        # the next token completes an n-gram that starts with the last n-1 tokens: every earlier window
        # starting with them bans its own last token
        prefix = input_ids[:, length + 1 - self.ngram_size:]
        windows = input_ids.unfold(dimension=1, size=self.ngram_size, step=1)
        matches = (windows[..., :-1] == prefix.unsqueeze(1)).all(dim=-1)
        vocab_size = scores.shape[-1]
        banned = scores.new_zeros((scores.shape[0], vocab_size + 1), dtype=torch.bool)  # a spare column for misses
        banned.scatter_(1, torch.where(matches, windows[..., -1].clamp(max=vocab_size), vocab_size), True)
        return scores.masked_fill(banned[:, :vocab_size], -math.inf)


class TemperatureLogitsWarper(LogitsProcessor):
    """Scores divided by ``temperature``: below 1 sharpens the distribution, above 1 flattens it."""

    def __init__(self, temperature: float) -> None:
        self.temperature = temperature

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        return scores / self.temperature


class TopKLogitsWarper(LogitsProcessor):
    """Only the ``top_k`` highest scores (ties with the k-th included) stay; the rest become ``filter_value``."""

    def __init__(self, top_k: int, filter_value: float = -math.inf, min_tokens_to_keep: int = 1) -> None:
        self.top_k = max(top_k, min_tokens_to_keep)
        self.filter_value = filter_value

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        top_k = min(self.top_k, scores.size(-1))
        kth = torch.topk(scores, top_k)[0][..., -1, None]
        return scores.masked_fill(scores < kth, self.filter_value)


class TopPLogitsWarper(LogitsProcessor):
    """Nucleus sampling: the fewest most likely tokens whose probabilities add up to ``top_p`` stay."""

    def __init__(self, top_p: float, filter_value: float = -math.inf, min_tokens_to_keep: int = 1) -> None:
        self.top_p = float(top_p)
        self.filter_value = filter_value
        self.min_tokens_to_keep = min_tokens_to_keep

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        sorted_logits, sorted_indices = torch.sort(scores, descending=False)
        cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        sorted_remove = cumulative <= (1 - self.top_p)  # ascending: the unlikely tail adding up to 1 - top_p
        sorted_remove[..., -self.min_tokens_to_keep:] = 0
        remove = sorted_remove.scatter(1, sorted_indices, sorted_remove)
        return scores.masked_fill(remove, self.filter_value)


class MinPLogitsWarper(LogitsProcessor):
    """Tokens less likely than ``min_p`` times the most likely one's probability are removed."""

    def __init__(self, min_p: float, filter_value: float = -math.inf, min_tokens_to_keep: int = 1) -> None:
        self.min_p = min_p
        self.filter_value = filter_value
        self.min_tokens_to_keep = min_tokens_to_keep

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(scores, dim=-1)
        remove = probs < self.min_p * probs.amax(dim=-1, keepdim=True)
        kept = torch.topk(probs, min(self.min_tokens_to_keep, probs.shape[-1]), dim=-1).indices
        remove.scatter_(-1, kept, False)
        return scores.masked_fill(remove, self.filter_value)
