"""generation/logits_process.py: each processor against transformers' on random scores and ids with repeats."""

from __future__ import annotations

import pytest
import torch
from transformers.generation import logits_process as theirs

from explorer.generation import logits_process as ours

EOS = torch.tensor([3, 7])
IGNORED = torch.tensor([0, 3, 6])
# (class, arguments, transformers' extra keywords, whether the scores change: the ids are 10 long)
PROCESSORS = [
    ("MinLengthLogitsProcessor", (12, EOS), {}, True),
    ("MinLengthLogitsProcessor", (5, EOS), {}, False),
    ("MinNewTokensLengthLogitsProcessor", (4, 9, EOS), {}, True),
    ("MinNewTokensLengthLogitsProcessor", (4, 3, EOS), {}, False),
    ("RepetitionPenaltyLogitsProcessor", (1.7,), {}, True),
    ("RepetitionPenaltyLogitsProcessor", (0.5,), {"prompt_ignore_length": IGNORED}, True),
    ("NoRepeatNGramLogitsProcessor", (2,), {}, True),
    ("NoRepeatNGramLogitsProcessor", (3,), {}, True),
    ("NoRepeatNGramLogitsProcessor", (11,), {}, False),
    ("TemperatureLogitsWarper", (0.6,), {}, True),
    ("TopKLogitsWarper", (5,), {}, True),
    ("TopKLogitsWarper", (500,), {}, False),
    ("TopPLogitsWarper", (0.7,), {}, True),
    ("TopPLogitsWarper", (0.01,), {}, True),
    ("MinPLogitsWarper", (0.3,), {}, True),
]


def ids_and_scores(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three rows of ten ids from a small range (so n-grams and tokens repeat), and scores over 50 tokens."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, 6, (3, 10), generator=generator)
    return ids, torch.randn(3, 50, generator=generator) * 3


@pytest.mark.parametrize("case", PROCESSORS, ids=lambda case: f"{case[0]}{case[1][:1]}{list(case[2])}")
def test_processors_give_transformers_scores(case):
    name, arguments, their_keywords, changes = case
    ids, scores = ids_and_scores()
    expected = getattr(theirs, name)(*arguments, **their_keywords)(ids, scores.clone())
    got = getattr(ours, name)(*arguments, *their_keywords.values())(ids, scores.clone())
    torch.testing.assert_close(got, expected, atol=0, rtol=0)
    assert bool((got != scores).any()) == changes


def test_a_list_chains_in_order():
    ids, scores = ids_and_scores(1)
    chain = ours.LogitsProcessorList([ours.TemperatureLogitsWarper(0.5), ours.TopKLogitsWarper(4)])
    reference = theirs.LogitsProcessorList([theirs.TemperatureLogitsWarper(0.5), theirs.TopKLogitsWarper(4)])
    torch.testing.assert_close(chain(ids, scores), reference(ids, scores), atol=0, rtol=0)
    assert int((chain(ids, scores) > -torch.inf).sum(dim=-1).max()) == 4
