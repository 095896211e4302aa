"""The pipeline core (explorer/pipelines/base.py): text- and token-classification batch a list's inputs by
length, longest first, and still give transformers' results (transformers batches in the list's order), in the
list's order."""

from __future__ import annotations

import pytest
import transformers

import explorer

from pipeline_checks import assert_same_results, labels

WORDS = ("Sarah flew from New York to Paris with Hugging Face and the city council of Zürich on a rainy "
         "Tuesday morning while nobody expected the announcement about prices").split()
# lengths that alternate short and long, so batches in the list's order are mostly padding
MIXED = [" ".join(WORDS[:count]) + "." for count in (3, 25, 1, 14, 28, 2, 9, 20, 5, 17, 1, 11)]
BATCH_SIZE = 4
TASKS = {
    "text-classification": ("BertForSequenceClassification", labels("NEGATIVE", "POSITIVE"), {"top_k": None}),
    "token-classification": ("BertForTokenClassification", labels("O", "B-PER", "I-PER", "B-LOC", "I-LOC"),
                             {"aggregation_strategy": "simple", "ignore_labels": []}),
}


def padded_tokens(lengths: list[int]) -> int:
    """The tokens the model sees when ``lengths`` are batched in this order, each batch padded to its longest."""
    batches = [lengths[start:start + BATCH_SIZE] for start in range(0, len(lengths), BATCH_SIZE)]
    return sum(max(batch) * len(batch) for batch in batches)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_a_list_is_batched_by_length_with_transformers_results(tiny, task):
    class_name, config, kwargs = TASKS[task]
    folder = str(tiny(class_name, **config))
    ours, theirs = explorer.pipeline(task, model=folder), transformers.pipeline(task, model=folder)
    assert_same_results(ours(MIXED, batch_size=BATCH_SIZE, **kwargs), theirs(MIXED, batch_size=BATCH_SIZE, **kwargs))
    assert [item.input for item in ours.steps.items] == MIXED
    lengths = [len(ours.tokenizer(text)["input_ids"]) for text in MIXED]
    seen = sum(len(item.chunks[0].tokens) for item in ours.steps.items)
    assert seen == padded_tokens(sorted(lengths, reverse=True)) < padded_tokens(lengths) * 0.8
