"""zero-shot-image-classification against transformers' pipeline on the catalog's trained tiny CLIP (saved by
transformers' classes, with its processor): images, paths, lists and batches, one label and several,
hypothesis_template; the steps record; bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

import explorer
from explorer import errors
from explorer.catalog import find

from pipeline_checks import assert_same_results

FOLDER = str(find("explorer-catalog/clip-tiny").path())
LABELS = ["the digit one", "the digit seven", "a handwritten three", "a cat"]


def random_image(seed: int, size: tuple[int, int] = (40, 30)) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8))


IMAGES = [random_image(seed) for seed in range(3)]


@pytest.fixture(scope="module")
def pair():
    return explorer.pipeline("zero-shot-image-classification", model=FOLDER), transformers.pipeline(
        "zero-shot-image-classification", model=FOLDER)


CALLS = [
    ({"candidate_labels": LABELS}, IMAGES[0]),
    ({"candidate_labels": LABELS}, IMAGES),
    ({"candidate_labels": LABELS, "batch_size": 2}, IMAGES),
    ({"candidate_labels": LABELS[:1]}, IMAGES[1]),
    ({"candidate_labels": LABELS, "hypothesis_template": "a picture of {}", "batch_size": 3}, IMAGES),
]


@pytest.mark.parametrize("kwargs, inputs", CALLS, ids=[f"{sorted(k)}-{type(i).__name__}" for k, i in CALLS])
def test_results_equal_transformers(pair, kwargs, inputs):
    ours, theirs = pair
    assert_same_results(ours(inputs, **kwargs), theirs(inputs, **kwargs))


def test_labels_as_the_second_argument_and_a_path(pair, tmp_path):
    ours, theirs = pair
    path = str(tmp_path / "digit.png")
    random_image(5, (28, 28)).save(path)
    assert_same_results(ours(path, LABELS), theirs(path, LABELS))


def test_steps_show_texts_logits_softmax_and_sort(pair):
    ours, _ = pair
    result = ours(IMAGES[0], candidate_labels=LABELS[:2], hypothesis_template="{}")
    item = ours.steps.items[0]
    assert [step.name for step in item.postprocessing] == ["texts", "logits_per_image", "softmax", "sort"]
    assert item.postprocessing[0].value == [["the</w>", "digit</w>", "one</w>"], ["the</w>", "digit</w>",
                                                                                 "seven</w>"]]
    logits = item.chunks[0].model_outputs["logits"][0]
    assert item.postprocessing[1].value == logits
    assert item.postprocessing[2].value == pytest.approx(torch.tensor(logits).softmax(-1).tolist(), abs=1e-6)
    best = LABELS[int(np.argmax(logits))]
    assert item.output == result and result[0]["label"] == best
    assert ours.steps.parameters["candidate_labels"] == LABELS[:2]


@pytest.mark.parametrize("kwargs, argument", [
    ({}, "candidate_labels"),
    ({"candidate_labels": "a cat"}, "candidate_labels="),
    ({"candidate_labels": []}, "candidate_labels="),
    ({"candidate_labels": LABELS, "hypothesis_template": "a photo"}, "hypothesis_template="),
])
def test_bad_arguments_are_named(pair, kwargs, argument):
    with pytest.raises(errors.PipelineInputError, match=f"^{argument}"):
        pair[0](IMAGES[0], **kwargs)


@pytest.mark.parametrize("image", [3.5, {"image": IMAGES[0]}, np.zeros(4)])
def test_what_is_not_an_image_is_named(pair, image):
    with pytest.raises(errors.PipelineInputError, match="^(image|inputs): "):
        pair[0](image, candidate_labels=LABELS)


def test_the_offline_default_is_the_catalogs_tiny_clip():
    pipe = explorer.pipeline("zero-shot-image-classification")
    assert pipe.model.config.name_or_path == "explorer-catalog/clip-tiny"
    assert sorted(entry["label"] for entry in pipe(IMAGES[0], candidate_labels=LABELS)) == sorted(LABELS)


def test_a_model_without_both_towers_cannot_serve_it():
    with pytest.raises(errors.TaskHeadMismatchError, match="no AutoModelForZeroShotImageClassification class"):
        explorer.pipeline("zero-shot-image-classification", model="explorer-catalog/vit-digits")
