"""pipeline() itself: the task table and its aliases, the offline defaults, loaded models and tokenizers, and
the errors for an unknown task, a head that cannot serve the task and a loaded model without its tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import explorer
from explorer import errors
from explorer.pipelines import TASKS, tasks
from explorer.pipelines.base import Pipeline

from pipeline_checks import labels

CATALOG = json.loads((Path(explorer.__file__).parent / "catalog" / "catalog.json").read_text())
CATALOG_IDS = {entry["id"] for entry in CATALOG}
SAMPLES = Path(explorer.__file__).parent / "samples"


def test_every_row_names_its_pipeline_class_and_auto_class():
    for row in TASKS:
        pipeline_class = getattr(explorer, row.pipeline_class)
        assert issubclass(pipeline_class, Pipeline) and pipeline_class.task == row.name
        assert row.auto_class in explorer.__all__
    assert tasks.find_task("sentiment-analysis").name == "text-classification"
    assert tasks.find_task("ner").name == "token-classification"


def test_offline_defaults_are_catalog_entries_and_the_others_are_not():
    for row in TASKS:
        assert (row.default in CATALOG_IDS) == bool(row.default_offline), row.name


@pytest.mark.parametrize("task, inputs, check", [
    ("sentiment-analysis", "I love this!", lambda result: result[0]["label"] in ("POSITIVE", "NEGATIVE")),
    ("fill-mask", "The [MASK] module reads files.", lambda result: len(result) == 5),
    ("text-generation", "In this case, the",
     lambda result: result[0]["generated_text"].startswith("In this case, the")),
    ("feature-extraction", "A hobbit.", lambda result: len(result[0][0]) == 384),
    ("image-classification", str(SAMPLES / "flower.jpg"), lambda result: len(result) == 5),
    ("audio-classification", str(SAMPLES / "hobbit.wav"), lambda result: len(result) == 10),
    ("automatic-speech-recognition", str(SAMPLES / "hobbit.wav"), lambda result: list(result) == ["text"]),
])
def test_offline_defaults_load(task, inputs, check):
    pipe = explorer.pipeline(task)
    assert pipe.model.config.name_or_path == tasks.find_task(task).default
    assert check(pipe(inputs))


@pytest.mark.parametrize("task", [row.name for row in TASKS if not row.default_offline])
def test_a_default_without_an_offline_copy_says_to_pass_a_model(task, hf_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(hf_cache))
    with pytest.raises(errors.NoOfflineDefaultError, match=f"^model: {task}'s default checkpoint") as raised:
        explorer.pipeline(task)
    assert "Pass model=" in str(raised.value)


def test_an_unknown_task_names_the_closest():
    with pytest.raises(errors.UnknownTaskError, match="task='sentiment-analisys' .* The closest: "
                                                      "'sentiment-analysis'") as raised:
        explorer.pipeline("sentiment-analisys")
    assert isinstance(raised.value, KeyError)
    with pytest.raises(errors.PipelineInputError, match="^task: pass the task's name"):
        explorer.pipeline()


def test_a_checkpoint_without_the_head_names_its_heads_and_tasks():
    with pytest.raises(errors.TaskHeadMismatchError, match="model_type 'vit' has no AutoModelForQuestionAnswering "
                                                           "class.*ViTForImageClassification") as raised:
        explorer.pipeline("question-answering", model="explorer-catalog/vit-digits")
    assert "feature-extraction" in str(raised.value)


def test_a_loaded_model_with_another_head_names_the_tasks_it_serves(tiny):
    folder = str(tiny("BertForMaskedLM"))
    model = explorer.AutoModelForMaskedLM.from_pretrained(folder)
    with pytest.raises(errors.TaskHeadMismatchError, match="^model: BertForMaskedLM is not an "
                                                           "AutoModelForTokenClassification model.*serves: fill-mask, "
                                                           "feature-extraction"):
        explorer.pipeline("ner", model=model, tokenizer=folder)


def test_a_loaded_model_needs_its_tokenizer(tiny):
    folder = str(tiny("BertForTokenClassification", **labels("O", "B-PER")))
    model = explorer.AutoModelForTokenClassification.from_pretrained(folder)
    with pytest.raises(errors.PipelineInputError, match="^tokenizer: the model was given loaded"):
        explorer.pipeline("ner", model=model)
    tokenizer = explorer.AutoTokenizer.from_pretrained(folder)
    by_object = explorer.pipeline("ner", model=model, tokenizer=tokenizer)
    by_reference = explorer.pipeline("ner", model=folder)
    assert by_object("Sarah lives here.", ignore_labels=[]) == by_reference("Sarah lives here.", ignore_labels=[])
    with pytest.raises(errors.PipelineInputError, match="^model: expected a Hub id"):
        explorer.pipeline("ner", model=object(), tokenizer=tokenizer)


def test_steps_are_replaced_by_each_call(tiny):
    pipe = explorer.pipeline("ner", model=str(tiny("BertForTokenClassification", **labels("O", "B-PER"))))
    pipe(["One.", "Two."], batch_size=2, aggregation_strategy="simple")
    assert [item.input for item in pipe.steps.items] == ["One.", "Two."]
    assert pipe.steps.batch_size == 2 and pipe.steps.parameters == {"aggregation_strategy": "simple"}
    pipe("Three.")
    assert [item.input for item in pipe.steps.items] == ["Three."]
