"""feature-extraction against transformers' pipeline on the same tiny checkpoints (and all-MiniLM-L6-v2's
real weights): single texts, lists, batches (padding positions included, as in transformers), tokenize_kwargs,
return_tensors; the steps record."""

from __future__ import annotations

import copy
import pytest
import torch
import transformers

import explorer
from explorer import errors

from pipeline_checks import assert_same_results

TEXTS = ["In a hole in the ground there lived a hobbit.", "Short.", "Not a nasty, dirty, wet hole."]


@pytest.fixture(scope="module", params=["BertModel", "DistilBertModel", "minilm"])
def pair(request, tiny, minilm_path):
    folder = str(minilm_path if request.param == "minilm" else tiny(request.param))
    return (explorer.pipeline("feature-extraction", model=folder),
            transformers.pipeline("feature-extraction", model=folder))


CALLS = [
    ({}, TEXTS[0]),
    ({}, TEXTS),
    ({"batch_size": 3}, TEXTS),
    ({"tokenize_kwargs": {"truncation": True, "max_length": 5}}, TEXTS),
    ({"truncation": True, "tokenize_kwargs": {"max_length": 4}}, TEXTS[0]),
]


@pytest.mark.parametrize("kwargs, inputs", CALLS, ids=[f"{sorted(k)}-{type(i).__name__}" for k, i in CALLS])
def test_features_equal_transformers(pair, kwargs, inputs):
    ours, theirs = pair
    # copies: transformers writes into the dicts it is given (tokenize_kwargs)
    assert_same_results(ours(inputs, **copy.deepcopy(kwargs)), theirs(inputs, **copy.deepcopy(kwargs)))


def test_return_tensors_gives_the_tensor(pair):
    ours, theirs = pair
    mine, other = ours(TEXTS[0], return_tensors=True), theirs(TEXTS[0], return_tensors=True)
    assert isinstance(mine, torch.Tensor) and mine.shape == other.shape
    torch.testing.assert_close(mine, other, atol=1e-5, rtol=0)


def test_steps_show_the_tokens_and_the_hidden_state(minilm_path):
    pipe = explorer.pipeline("feature-extraction", model=str(minilm_path))
    features = pipe(TEXTS[1])
    item = pipe.steps.items[0]
    assert item.chunks[0].tokens == ["[CLS]", "short", ".", "[SEP]"]
    assert item.chunks[0].model_outputs["last_hidden_state"] == features == item.output
    assert [(step.name, step.value) for step in item.postprocessing] == [("last_hidden_state", [1, 4, 384])]


def test_truncation_given_twice_is_an_error(minilm_path):
    pipe = explorer.pipeline("feature-extraction", model=str(minilm_path))
    with pytest.raises(errors.PipelineInputError, match="^truncation: given both"):
        pipe(TEXTS[0], truncation=True, tokenize_kwargs={"truncation": True})
