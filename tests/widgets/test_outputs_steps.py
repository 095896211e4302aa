"""The outputs panel shows the steps of its checkpoint's pipeline: for each kind of catalog checkpoint, the result
the panel shows is what ``explorer.pipeline(task, model=the same checkpoint)`` returns on the same input, and
every step the pipeline recorded is in the view."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

import numpy as np
import pytest

import explorer
from explorer.samples import CLIP, PHOTO, SENTENCE
from explorer.widgets.i18n import EN
from explorer.widgets.outputs import TASK_CALLS

CATALOG = [
    ("sentence-transformers/all-MiniLM-L6-v2", "feature-extraction"),
    ("explorer-catalog/distilbert-sentiment", "text-classification"),
    ("explorer-catalog/bert-mlm", "fill-mask"),
    ("explorer-catalog/vit-digits", "image-classification"),
    ("explorer-catalog/wav2vec2-spoken-digits", "audio-classification"),
    ("facebook/wav2vec2-base-960h", "automatic-speech-recognition"),
    ("explorer-catalog/clip-tiny", "zero-shot-image-classification"),
]

# each task's input, written out here rather than taken from the panel: the sample files and sentence
ORACLE_INPUTS = {
    "feature-extraction": (SENTENCE, {}),
    "text-classification": (SENTENCE, {}),
    "fill-mask": ("In a hole in the ground there lived a [MASK].", {}),
    "image-classification": (str(PHOTO), {}),
    "audio-classification": (str(CLIP), {}),
    "automatic-speech-recognition": (str(CLIP), {}),
    "zero-shot-image-classification": (str(PHOTO), {"candidate_labels": ["a flower", "a cat", "a dog"]}),
}


def bars(view: str) -> list[tuple[str, float]]:
    """The (label, probability) of every bar of a view, in order."""
    return [(html.unescape(label), float(p))
            for label, p in re.findall(r">([^<>]+)</span><span[^>]*><span class=\"explorer-bar\"[^>]*></span>"
                                       r"</span><span>([\d.]+)</span>", view)]


def result_section(view: str) -> str:
    """The HTML of the view's result, up to the next section."""
    return view.split(f"4. {EN['step_result']}</h4>", 1)[1].split("<h4>", 1)[0]


def assert_close(shown: object, expected: object) -> None:
    """Equal structures, numbers within float32 noise (the panel's run asks for the attention maps, which
    takes PyTorch's explicit attention instead of the fused kernel)."""
    if isinstance(expected, Mapping):
        assert set(shown) == set(expected)
        for key in expected:
            assert_close(shown[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(shown) == len(expected)
        for a, b in zip(shown, expected):
            assert_close(a, b)
    elif isinstance(expected, float):
        assert shown == pytest.approx(expected, rel=1e-4, abs=1e-5)
    else:
        assert shown == expected


def expected_bars(task: str, result: list) -> list[tuple[str, float]]:
    name = "token_str" if task == "fill-mask" else "label"
    return [(entry[name], entry["score"]) for entry in result]


@pytest.mark.parametrize("reference, task", CATALOG)
def test_the_panel_shows_what_the_tasks_pipeline_returns_on_the_same_input(app, reference, task):
    app.load(reference)
    panel = app.show("outputs")
    view, steps = panel.output.value, panel.last_run.steps
    oracle = explorer.pipeline(task, model=reference)
    inputs, arguments = ORACLE_INPUTS[task]
    expected = oracle(inputs, **TASK_CALLS[task].arguments, **arguments)
    assert steps.task == task and steps.parameters == oracle.steps.parameters
    assert_close(steps.items[0].output, expected)
    shown = result_section(view)
    if task == "automatic-speech-recognition":
        assert html.unescape(re.sub(r"<[^>]+>", "", shown)) == (expected["text"] or EN["empty_transcription"])
    elif task == "feature-extraction":
        assert f"{list(np.shape(expected))}</div>" in shown
    else:
        labels, probabilities = zip(*bars(shown))
        expected_labels, expected_probabilities = zip(*expected_bars(task, expected))
        assert labels == expected_labels
        assert probabilities == pytest.approx(expected_probabilities, abs=6e-4)  # shown to 3 decimals
    assert [step.name for step in steps.items[0].postprocessing] == \
        [step.name for step in oracle.steps.items[0].postprocessing]


@pytest.mark.parametrize("reference, task", CATALOG)
def test_the_view_shows_every_recorded_step(app, reference, task):
    app.load(reference)
    panel = app.show("outputs")
    view, item = panel.output.value, panel.last_run.steps.items[0]
    assert f"pipeline(&#x27;{task}&#x27;)" in view
    for chunk in item.chunks:
        if chunk.tokens:
            assert html.escape(" ".join(chunk.tokens)) in view
        for name in (*chunk.model_inputs, *chunk.model_outputs):
            assert f"<td>{name}</td>" in view
    for index, step in enumerate(item.postprocessing, 1):
        assert f"<td>3.{index} {html.escape(step.name)}</td><td>{html.escape(step.detail)}</td>" in view
