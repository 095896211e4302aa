"""image-classification against transformers' pipeline on the catalog's trained digit classifiers (saved by
transformers' classes, with their image processors): PIL images, paths, arrays, lists and batches, top_k and
function_to_apply; the steps record; bad inputs."""

from __future__ import annotations

import re

import numpy as np
import pytest
import transformers
from PIL import Image

import explorer
from explorer import errors
from explorer.catalog import find

from pipeline_checks import assert_same_results

CHECKPOINTS = ["explorer-catalog/vit-digits", "explorer-catalog/convnext-digits"]


def random_image(seed: int, size: tuple[int, int] = (40, 30)) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


IMAGES = [random_image(seed) for seed in range(3)]


@pytest.fixture(scope="module", params=CHECKPOINTS)
def pair(request):
    folder = str(find(request.param).path())
    return explorer.pipeline("image-classification", model=folder), transformers.pipeline(
        "image-classification", model=folder)


@pytest.fixture(scope="module")
def image_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("images") / "digit.png"
    random_image(7, (28, 28)).save(path)
    return str(path)


CALLS = [
    ({}, IMAGES[0]),
    ({}, IMAGES),
    ({"batch_size": 2}, IMAGES),
    ({"top_k": 2}, IMAGES[1]),
    ({"top_k": 20, "batch_size": 3}, IMAGES),  # more than the labels: all of them
    ({"function_to_apply": "sigmoid"}, IMAGES),
    ({"function_to_apply": "NONE", "top_k": 3}, IMAGES[2]),
]


@pytest.mark.parametrize("kwargs, inputs", CALLS, ids=[f"{sorted(k)}-{type(i).__name__}" for k, i in CALLS])
def test_results_equal_transformers(pair, kwargs, inputs):
    ours, theirs = pair
    assert_same_results(ours(inputs, **kwargs), theirs(inputs, **kwargs))


def test_paths_and_arrays_give_transformers_results(pair, image_file):
    ours, theirs = pair
    assert_same_results(ours(image_file), theirs(image_file))
    array = np.asarray(IMAGES[1])
    assert_same_results(ours(array), theirs(array))
    assert_same_results(ours([array, np.asarray(IMAGES[2])], batch_size=2), theirs([array, np.asarray(IMAGES[2])]))


def test_pipeline_defaults_apply_to_every_call(pair):
    folder = pair[0].model.config.name_or_path
    ours = explorer.pipeline("image-classification", model=folder, top_k=1)
    assert_same_results(ours(IMAGES), pair[1](IMAGES, top_k=1))


def test_steps_show_logits_softmax_labels_and_top_k():
    pipe = explorer.pipeline("image-classification", model="explorer-catalog/vit-digits")
    result = pipe(IMAGES[0], top_k=3)
    item = pipe.steps.items[0]
    chunk = item.chunks[0]
    assert np.array(chunk.model_inputs["pixel_values"]).shape == (1, 3, 32, 32)
    logits = chunk.model_outputs["logits"][0]
    assert [step.name for step in item.postprocessing] == ["logits", "softmax", "id2label", "top_k"]
    assert item.postprocessing[0].value == logits
    assert sum(item.postprocessing[1].value) == pytest.approx(1.0, abs=1e-5)
    assert item.output == result and [entry["label"] for entry in result] == [
        pipe.model.config.id2label[index] for index in np.argsort(logits)[::-1][:3]]
    assert pipe.steps.parameters == {"top_k": 3}


@pytest.mark.parametrize("inputs, message", [(3, "takes one input"), ({"image": IMAGES[0]}, "dict is not an image"),
                                             ([b"not an image"], "bytes is not an image"),
                                             (np.zeros(5), r"ndarray of shape \(5,\) is not an image")])
def test_what_is_not_an_image_is_named(inputs, message):
    pipe = explorer.pipeline("image-classification", model="explorer-catalog/vit-digits")
    with pytest.raises(errors.PipelineInputError, match=f"^inputs: .*{message}"):
        pipe(inputs)


def test_a_url_offline_says_to_download_it(monkeypatch, no_network):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pipe = explorer.pipeline("image-classification", model="explorer-catalog/vit-digits")
    with pytest.raises(errors.PipelineInputError, match=re.escape("inputs: 'https://example.com/cat.png' is a URL")):
        pipe("https://example.com/cat.png")


@pytest.mark.parametrize("kwargs, argument", [({"top_k": 0}, "top_k"), ({"function_to_apply": "tanh"},
                                                                         "function_to_apply")])
def test_bad_arguments_are_named(kwargs, argument):
    pipe = explorer.pipeline("image-classification", model="explorer-catalog/vit-digits")
    with pytest.raises(errors.PipelineInputError, match=f"^{argument}="):
        pipe(IMAGES[0], **kwargs)


def test_a_loaded_model_needs_its_image_processor():
    folder = str(find("explorer-catalog/vit-digits").path())
    model = explorer.AutoModelForImageClassification.from_pretrained(folder)
    with pytest.raises(errors.PipelineInputError, match="^image_processor: the model was given loaded"):
        explorer.pipeline("image-classification", model=model)
    by_object = explorer.pipeline("image-classification", model=model,
                                  image_processor=explorer.AutoImageProcessor.from_pretrained(folder))
    assert by_object(IMAGES) == explorer.pipeline("image-classification", model=folder)(IMAGES)
