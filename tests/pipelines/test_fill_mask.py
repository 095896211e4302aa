"""fill-mask against transformers' pipeline on the same tiny checkpoints: top_k, targets (in the vocabulary
and not), one mask and several, single texts, lists and batches; the steps record; bad inputs."""

from __future__ import annotations

import copy
import pytest
import transformers

import explorer
from explorer import errors

from pipeline_checks import assert_same_results

TEXTS = ["The capital of France is [MASK].", "Paris is a [MASK] city with many [MASK].",
         "I would like a [MASK] of tea, please, and some biscuits."]


@pytest.fixture(scope="module", params=["BertForMaskedLM", "DistilBertForMaskedLM"])
def pair(request, tiny):
    folder = str(tiny(request.param))
    return explorer.pipeline("fill-mask", model=folder), transformers.pipeline("fill-mask", model=folder)


CALLS = [
    ({}, TEXTS[0]),
    ({}, TEXTS[1]),
    ({}, TEXTS),
    ({}, TEXTS[:1]),
    ({"batch_size": 2}, TEXTS),
    ({"top_k": 2}, TEXTS[0]),
    ({"top_k": 1, "batch_size": 3}, TEXTS),
    ({"targets": ["paris", "london", "tea"]}, TEXTS[0]),
    ({"targets": "cup", "top_k": 3}, TEXTS),
    ({"targets": ["paris", "Bordeaux"]}, TEXTS[1]),  # Bordeaux is no token: its first token stands in
    ({"tokenizer_kwargs": {"truncation": True, "max_length": 9}}, TEXTS[2]),
]


@pytest.mark.parametrize("kwargs, inputs", CALLS, ids=[f"{sorted(k)}-{type(i).__name__}" for k, i in CALLS])
def test_results_equal_transformers(pair, kwargs, inputs):
    ours, theirs = pair
    # copies: transformers writes into the dicts it is given (tokenize_kwargs)
    assert_same_results(ours(inputs, **copy.deepcopy(kwargs)), theirs(inputs, **copy.deepcopy(kwargs)))


def test_steps_show_the_mask_its_scores_and_the_fills(tiny):
    pipe = explorer.pipeline("fill-mask", model=str(tiny("BertForMaskedLM")))
    result = pipe(TEXTS[0], top_k=3)
    item = pipe.steps.items[0]
    chunk = item.chunks[0]
    position = chunk.tokens.index("[MASK]")
    names = [step.name for step in item.postprocessing]
    assert names == ["mask positions", "softmax", "top_k"] and item.postprocessing[0].value == [position]
    # the record keeps the logits at the masks only: one row of the vocabulary per mask
    assert list(chunk.model_outputs) == ["logits at the masks"]
    (logits,) = chunk.model_outputs["logits at the masks"][0]
    assert logits == pipe.model(**pipe.tokenizer(TEXTS[0], return_tensors="pt")).logits[0, position].tolist()
    best = sorted(range(len(logits)), key=lambda token: logits[token], reverse=True)[:3]
    assert [fill["token"] for fill in result] == best == [fill["token"] for fill in item.postprocessing[-1].value[0]]


def test_bad_inputs_name_the_argument(tiny):
    pipe = explorer.pipeline("fill-mask", model=str(tiny("BertForMaskedLM")))
    with pytest.raises(errors.PipelineInputError, match="^inputs: 'No mask here.' has no mask token; put \\[MASK\\]"):
        pipe("No mask here.")
    with pytest.raises(errors.PipelineInputError, match="^inputs: the text is empty"):
        pipe("")
    with pytest.raises(errors.PipelineInputError, match="^top_k=0"):
        pipe(TEXTS[0], top_k=0)
    with pytest.raises(errors.PipelineInputError, match="^targets=\\[\\]"):
        pipe(TEXTS[0], targets=[])
