"""zero-shot-classification against transformers' pipeline on the same tiny NLI heads: candidate labels as a
list or a comma-separated string, hypothesis_template, multi_label, one label, single sequences, lists and
batches; the steps record; bad inputs."""

from __future__ import annotations

import copy

import pytest
import transformers

import explorer
from explorer import errors

from pipeline_checks import assert_same_results, labels

SEQUENCES = ["The team scored twice in the last ten minutes.", "Parliament passed the budget after a long debate."]
CANDIDATES = ["sport", "politics", "cooking"]
HEADS = {"bert": ("BertForSequenceClassification", labels("contradiction", "neutral", "entailment")),
         "distilbert": ("DistilBertForSequenceClassification", labels("ENTAILMENT", "NEUTRAL", "CONTRADICTION"))}


@pytest.fixture(scope="module", params=sorted(HEADS))
def pair(request, tiny):
    class_name, config = HEADS[request.param]
    folder = str(tiny(class_name, **config))
    return (explorer.pipeline("zero-shot-classification", model=folder),
            transformers.pipeline("zero-shot-classification", model=folder))


CALLS = [
    ({"candidate_labels": CANDIDATES}, SEQUENCES[0]),
    ({"candidate_labels": "sport, politics,cooking"}, SEQUENCES[1]),
    ({"candidate_labels": CANDIDATES}, SEQUENCES),
    ({"candidate_labels": CANDIDATES, "batch_size": 2}, SEQUENCES),
    ({"candidate_labels": CANDIDATES, "multi_label": True}, SEQUENCES),
    ({"candidate_labels": ["sport"]}, SEQUENCES[0]),
    ({"candidate_labels": CANDIDATES, "hypothesis_template": "The topic is {}.", "batch_size": 4}, SEQUENCES),
]


@pytest.mark.parametrize("kwargs, inputs", CALLS, ids=[f"{sorted(k)}-{type(i).__name__}" for k, i in CALLS])
def test_results_equal_transformers(pair, kwargs, inputs):
    ours, theirs = pair
    assert_same_results(ours(inputs, **copy.deepcopy(kwargs)), theirs(inputs, **copy.deepcopy(kwargs)))


def test_labels_as_the_second_argument(pair):
    ours, theirs = pair
    assert_same_results(ours(SEQUENCES[0], CANDIDATES), theirs(SEQUENCES[0], CANDIDATES))


def test_steps_show_one_pair_per_label_and_the_entailment_softmax(tiny):
    pipe = explorer.pipeline("zero-shot-classification", model=str(tiny(HEADS["bert"][0], **HEADS["bert"][1])))
    result = pipe(SEQUENCES[0], candidate_labels=CANDIDATES)
    item = pipe.steps.items[0]
    assert len(item.chunks) == 3 and item.chunks[1].tokens[-4:] == ["is", "politics", ".", "[SEP]"]
    assert [step.name for step in item.postprocessing] == ["logits", "softmax", "sort"]
    entailment = [chunk.model_outputs["logits"][0][2] for chunk in item.chunks]
    assert item.postprocessing[0].value == [chunk.model_outputs["logits"][0] for chunk in item.chunks]
    assert result["labels"][0] == CANDIDATES[max(range(3), key=lambda index: entailment[index])]
    assert sum(result["scores"]) == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs, argument", [
    ({"candidate_labels": []}, "candidate_labels: pass at least one"),
    ({"candidate_labels": [1, 2]}, "candidate_labels=\\[1, 2\\]"),
    ({"candidate_labels": CANDIDATES, "hypothesis_template": "No slot."}, "hypothesis_template='No slot.'"),
])
def test_bad_arguments_are_named(tiny, kwargs, argument):
    pipe = explorer.pipeline("zero-shot-classification", model=str(tiny(HEADS["bert"][0], **HEADS["bert"][1])))
    with pytest.raises(errors.PipelineInputError, match=f"^{argument}"):
        pipe(SEQUENCES[0], **kwargs)
    with pytest.raises(errors.PipelineInputError, match="^sequences: the text is empty"):
        pipe("", candidate_labels=CANDIDATES)
