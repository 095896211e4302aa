"""token-classification against transformers' pipeline on the same tiny checkpoints: every aggregation
strategy, ignore_labels, offsets, single texts, lists and batches; the steps record; bad inputs."""

from __future__ import annotations

import pytest
import transformers

import explorer
from explorer import errors

from pipeline_checks import assert_same_results, labels

TEXTS = ["Hugging Face Inc. is a company based in New York City, near Brooklyn.",
         "Sarah Connorsdottir flew to Zürich ☃ yesterday.",
         "unbelievably multilingual tokenization"]
LABELS = labels("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")
STRATEGIES = ["none", "simple", "first", "average", "max"]


@pytest.fixture(scope="module", params=["BertForTokenClassification", "DistilBertForTokenClassification"])
def pair(request, tiny):
    folder = str(tiny(request.param, **LABELS))
    return explorer.pipeline("ner", model=folder), transformers.pipeline("ner", model=folder)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("ignore_labels", [None, []], ids=["ignore-O", "keep-all"])
def test_entities_equal_transformers(pair, strategy, ignore_labels):
    ours, theirs = pair
    kwargs = {"aggregation_strategy": strategy, "ignore_labels": ignore_labels}
    for inputs in (TEXTS[1], TEXTS):
        assert_same_results(ours(inputs, **kwargs), theirs(inputs, **kwargs))


@pytest.mark.parametrize("strategy", ["none", "average"])
def test_batches_equal_transformers(pair, strategy):
    ours, theirs = pair
    kwargs = {"aggregation_strategy": strategy, "ignore_labels": [], "batch_size": 2}
    assert_same_results(ours(TEXTS, **kwargs), theirs(TEXTS, **kwargs))


def test_offsets_point_at_the_words(pair):
    ours, _ = pair
    for entity in ours(TEXTS[0], aggregation_strategy="first", ignore_labels=[]):
        assert TEXTS[0][entity["start"]:entity["end"]].lower() == entity["word"]


def test_pipeline_defaults_apply_to_every_call(tiny):
    folder = str(tiny("BertForTokenClassification", **LABELS))
    ours = explorer.pipeline("token-classification", model=folder, aggregation_strategy="simple")
    theirs = transformers.pipeline("token-classification", model=folder, aggregation_strategy="simple")
    assert_same_results(ours(TEXTS), theirs(TEXTS))


def test_steps_show_tokens_scores_and_aggregation(tiny):
    pipe = explorer.pipeline("ner", model=str(tiny("BertForTokenClassification", **LABELS)))
    result = pipe(TEXTS[2], aggregation_strategy="first", ignore_labels=[])
    item = pipe.steps.items[0]
    tokens = item.chunks[0].tokens
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and any(token.startswith("##") for token in tokens)
    names = [step.name for step in item.postprocessing]
    assert names == ["logits", "softmax", "tokens", "aggregation: first", "ignore_labels"]
    assert len(item.postprocessing[0].value) == len(tokens)
    assert [token["word"] for token in item.postprocessing[2].value] == tokens[1:-1]
    subwords = [token["is_subword"] for token in item.postprocessing[2].value]
    assert subwords == [token.startswith("##") for token in tokens[1:-1]]
    assert item.postprocessing[-1].value == item.output == result
    # every word kept (ignore_labels=[]), whole, in its group
    assert " ".join(entity["word"] for entity in result) == TEXTS[2].lower()


@pytest.mark.parametrize("kwargs, argument", [({"aggregation_strategy": "longest"}, "aggregation_strategy")])
def test_bad_arguments_are_named(tiny, kwargs, argument):
    pipe = explorer.pipeline("ner", model=str(tiny("BertForTokenClassification", **LABELS)))
    with pytest.raises(errors.PipelineInputError, match=f"^{argument}="):
        pipe(TEXTS[0], **kwargs)
    with pytest.raises(errors.PipelineInputError, match="^inputs: the text is empty"):
        pipe("")
