"""text-classification against transformers' pipeline on the same tiny checkpoints: single texts, lists,
batches, pairs, top_k and function_to_apply; the steps record; bad inputs."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import transformers
from transformers.pipelines.text_classification import softmax

import explorer
from explorer import errors

from pipeline_checks import assert_same_results, labels

TEXTS = ["I love this movie, it is wonderful.", "Awful.", "The plot was fine but the ending dragged on and on."]
PAIRS = [{"text": "A man plays a guitar.", "text_pair": "Someone makes music."}, {"text": "It rains."}]
HEADS = {
    "distilbert-2": ("DistilBertForSequenceClassification", labels("NEGATIVE", "POSITIVE")),
    "bert-3": ("BertForSequenceClassification", labels("sad", "neutral", "happy")),
    "bert-1": ("BertForSequenceClassification", {"num_labels": 1}),
    "bert-regression": ("BertForSequenceClassification", {"num_labels": 2, "problem_type": "regression"}),
}


@pytest.fixture(scope="module")
def tiny_head(tiny):
    """The folder of one of HEADS, by name."""
    return lambda name: str(tiny(HEADS[name][0], **HEADS[name][1]))


@pytest.fixture(scope="module", params=sorted(HEADS))
def pair(request, tiny_head):
    folder = tiny_head(request.param)
    return explorer.pipeline("text-classification", model=str(folder)), transformers.pipeline(
        "text-classification", model=str(folder))


CALLS = [
    ({}, TEXTS[0]),
    ({}, TEXTS),
    ({"batch_size": 2}, TEXTS),
    ({"top_k": 2}, TEXTS[1]),
    ({"top_k": None}, TEXTS),
    ({"top_k": None, "batch_size": 3}, TEXTS),
    ({"top_k": 1}, TEXTS),
    ({"function_to_apply": "sigmoid"}, TEXTS),
    ({"function_to_apply": "none", "top_k": None}, TEXTS[2]),
    ({"function_to_apply": "SOFTMAX"}, TEXTS[0]),
    ({}, PAIRS[0]),
    ({"batch_size": 2, "top_k": None}, PAIRS),
    ({"truncation": True, "max_length": 6}, TEXTS),
]


@pytest.mark.parametrize("kwargs, inputs", CALLS, ids=[f"{sorted(k)}-{type(i).__name__}" for k, i in CALLS])
def test_results_equal_transformers(pair, kwargs, inputs):
    ours, theirs = pair
    # copies: transformers writes into the dicts it is given (tokenize_kwargs)
    assert_same_results(ours(inputs, **copy.deepcopy(kwargs)), theirs(inputs, **copy.deepcopy(kwargs)))


def test_a_generator_streams_the_same_results(pair):
    ours, theirs = pair
    streamed = ours(text for text in TEXTS)
    assert not isinstance(streamed, list)
    assert_same_results(list(streamed), theirs(TEXTS))


def test_pipeline_defaults_apply_to_every_call(tiny_head):
    folder = tiny_head("bert-3")
    ours = explorer.pipeline("sentiment-analysis", model=folder, top_k=None)
    theirs = transformers.pipeline("sentiment-analysis", model=folder, top_k=None)
    assert_same_results(ours(TEXTS), theirs(TEXTS))


def test_steps_show_tokens_logits_softmax_and_labels(tiny_head):
    pipe = explorer.pipeline("sentiment-analysis", model=tiny_head("distilbert-2"))
    result = pipe(TEXTS[1])
    item = pipe.steps.items[0]
    chunk = item.chunks[0]
    assert chunk.tokens == ["[CLS]", "awful", ".", "[SEP]"]
    assert chunk.model_inputs["input_ids"] == [pipe.tokenizer.convert_tokens_to_ids(chunk.tokens)]
    logits = chunk.model_outputs["logits"][0]
    assert [step.name for step in item.postprocessing] == ["logits", "softmax", "id2label"]
    assert item.postprocessing[0].value == logits
    assert item.postprocessing[1].value == pytest.approx(softmax(np.array(logits, dtype="float32")).tolist())
    assert item.output == result[0] and result[0]["label"] == pipe.model.config.id2label[
        max(range(2), key=lambda index: logits[index])]
    assert pipe.steps.to_dict()["items"][0]["chunks"][0]["tokens"] == chunk.tokens  # plain data throughout


@pytest.mark.parametrize("inputs, argument", [("", "inputs"), ("   ", "inputs"), (3, "inputs"),
                                              ([["a", "b"]], "inputs"), ({"txt": "a"}, "inputs"),
                                              ({"text": "a", "text_pair": ""}, "inputs['text_pair']")])
def test_bad_inputs_name_the_argument(tiny_head, inputs, argument):
    pipe = explorer.pipeline("text-classification", model=tiny_head("bert-3"))
    with pytest.raises(errors.PipelineInputError, match=f"^{re.escape(argument)}"):
        pipe(inputs)


@pytest.mark.parametrize("kwargs, argument", [({"top_k": "two"}, "top_k"), ({"function_to_apply": "tanh"},
                                                                            "function_to_apply"),
                                              ({"batch_size": 0}, "batch_size")])
def test_bad_arguments_are_named(tiny_head, kwargs, argument):
    pipe = explorer.pipeline("text-classification", model=tiny_head("bert-3"))
    with pytest.raises(errors.PipelineInputError, match=f"^{argument}="):
        pipe(TEXTS[0], **kwargs)
