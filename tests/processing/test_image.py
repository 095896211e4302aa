"""explorer's image processors against transformers' (its PIL backend, what transformers runs without
torchvision): the same settings, printed and saved alike, and the same ``pixel_values`` within 1e-5. Reading
inputs, the transforms, the thread pool and OCR are tested in test_image_input.py, test_image_transforms.py,
test_image_pool.py and test_ocr.py."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers
from image_checks import NAMES, PAIRS, assert_same, compare, pair, photo, pixels
from image_checks import fresh_warnings  # noqa: F401 - the autouse fixture, used by being imported

from explorer import errors
from explorer.auto import AutoImageProcessor
from explorer.batch import BatchFeature
from explorer.processing import image as image_module
from explorer.processing.image import (
    CLIPImageProcessor,
    ConvNextImageProcessor,
    ViTImageProcessor,
)


def json_of(processor) -> dict:
    return json.loads(processor.to_json_string())


# --- settings, printing, the tutorial ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_repr_equals_transformers(name):
    ours, theirs = pair(name)
    their_name = type(theirs).__name__
    assert their_name == type(ours).__name__ + "Pil"  # transformers' PIL fallback of the same class
    assert repr(ours) == type(ours).__name__ + repr(theirs)[len(their_name):]
    assert ours.to_json_string() == theirs.to_json_string()


@pytest.mark.parametrize("name, settings", [
    ("vit", {"size": 384}),
    ("vit", {"size": [300, 200], "do_convert_rgb": True, "image_mean": 0.4, "image_std": [0.2, 0.3, 0.4]}),
    ("vit", {"rescale_factor": None, "do_convert_rgb": None}),
    ("vit", {"default_to_square": False, "size": 200}),
    ("clip", {"size": 256, "crop_size": 240}),
    ("clip", {"use_square_size": True}),
    ("convnext", {"size": 224, "crop_pct": 0.9}),
    ("layoutlmv2", {"ocr_lang": "eng", "rescale_factor": None, "tesseract_config": "--psm 6"}),
    ("layoutlmv2", {"apply_ocr": False, "size": 512}),
])
def test_settings_print_as_transformers(name, settings):
    ours_class, theirs_class, _ = PAIRS[name]
    assert json_of(ours_class(**settings)) == json_of(theirs_class(**settings))


def tutorial_vit_folder(tmp_path: Path) -> Path:
    """google/vit-base-patch16-224's preprocessor_config.json (a legacy feature extractor config, int size)."""
    folder = tmp_path / "vit-base-patch16-224"
    folder.mkdir()
    (folder / "preprocessor_config.json").write_text(json.dumps({
        "do_normalize": True, "do_resize": True, "feature_extractor_type": "ViTFeatureExtractor",
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "resample": 2, "size": 224,
    }))
    (folder / "config.json").write_text(json.dumps({"model_type": "vit"}))
    return folder


def test_tutorial_lesson_2(tmp_path):
    folder = tutorial_vit_folder(tmp_path)
    processor = AutoImageProcessor.from_pretrained(folder)
    assert type(processor) is ViTImageProcessor
    printed = repr(processor)
    assert printed.startswith("ViTImageProcessor {")
    assert json.loads(printed[len("ViTImageProcessor "):]) == {
        "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
        "image_processor_type": "ViTImageProcessor", "resample": 2, "rescale_factor": 0.00392156862745098,
        "size": {"height": 224, "width": 224},
    }
    theirs = transformers.AutoImageProcessor.from_pretrained(folder)
    assert processor.to_json_string() == theirs.to_json_string()
    picture = photo(640, 480)
    inputs = processor(picture, return_tensors="pt")
    assert isinstance(inputs, BatchFeature)
    assert list(inputs.pixel_values.shape) == [1, 3, 224, 224]
    assert inputs.pixel_values.dtype == torch.float32
    assert_same(inputs, theirs(picture, return_tensors="pt"))


# --- return types -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("return_tensors", ["pt", "np", None])
@pytest.mark.parametrize("name", NAMES)
def test_return_types(name, return_tensors):
    images = [photo(64, 48, seed=1), photo(40, 90, seed=2)]
    got = compare(name, images, return_tensors=return_tensors)
    values = got["pixel_values"]
    expected_type = {"pt": torch.Tensor, "np": np.ndarray, None: list}[return_tensors]
    assert isinstance(values, expected_type)
    if return_tensors is not None:
        assert values.shape[:2] == (2, 3)
        assert str(values.dtype).endswith("uint8" if name == "layoutlmv2" else "float32")


def test_pixel_values_move_with_to():
    inputs = ViTImageProcessor()(photo(30, 20), return_tensors="pt").to(torch.float16)
    assert inputs.pixel_values.dtype == torch.float16


# --- warnings ---------------------------------------------------------------------------------------------------------


def test_rescale_warning_for_floats_in_0_1(caplog):
    with caplog.at_level(logging.WARNING, logger="explorer.processing.image"):
        ViTImageProcessor()(pixels() / 255.0)
    assert "already rescaled images" in caplog.text
    caplog.clear()
    ViTImageProcessor()(pixels() / 255.0, do_rescale=False)
    ViTImageProcessor()(pixels().astype(np.float32))
    assert "already rescaled" not in caplog.text


# --- saving and loading -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_saved_by_explorer_loads_in_transformers(name, tmp_path):
    ours, _ = pair(name)
    ours.save_pretrained(tmp_path)
    theirs = transformers.AutoImageProcessor.from_pretrained(tmp_path)
    assert type(theirs).__name__ == type(ours).__name__ + "Pil"
    assert theirs.to_json_string() == ours.to_json_string()
    picture = photo(90, 70)
    assert_same(ours(picture, return_tensors="pt"), theirs(picture, return_tensors="pt"))


@pytest.mark.parametrize("name", NAMES)
def test_saved_by_transformers_loads_in_explorer(name, tmp_path):
    _, theirs = pair(name)
    theirs.save_pretrained(tmp_path)
    ours = AutoImageProcessor.from_pretrained(tmp_path)
    assert type(ours) is PAIRS[name][0]
    assert repr(ours) == type(ours).__name__ + repr(theirs)[len(type(theirs).__name__):]
    picture = photo(70, 90)
    assert_same(ours(picture, return_tensors="pt"), theirs(picture, return_tensors="pt"))
    assert ours.resolution_trace is not None


LEGACY = {
    "vit": {"feature_extractor_type": "ViTFeatureExtractor", "size": 224, "resample": 2, "do_resize": True,
            "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]},
    "clip": {"feature_extractor_type": "CLIPFeatureExtractor", "size": 224, "crop_size": 224, "do_center_crop": True,
             "do_resize": True, "do_normalize": True, "resample": 3, "processor_class": "CLIPProcessor",
             "image_mean": CLIPImageProcessor.defaults["image_mean"],
             "image_std": CLIPImageProcessor.defaults["image_std"]},
    "convnext": {"feature_extractor_type": "ConvNextFeatureExtractor", "size": 224, "crop_pct": 0.875,
                 "do_resize": True, "do_normalize": True, "resample": 3, "image_mean": [0.485, 0.456, 0.406],
                 "image_std": [0.229, 0.224, 0.225]},
    "layoutlmv2": {"feature_extractor_type": "LayoutLMv2FeatureExtractor", "size": 224, "do_resize": True,
                   "resample": 2, "apply_ocr": False},
}


@pytest.mark.parametrize("name", list(LEGACY))
def test_legacy_feature_extractor_configs(name, tmp_path):
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(LEGACY[name]))
    ours = AutoImageProcessor.from_pretrained(tmp_path)
    theirs = transformers.AutoImageProcessor.from_pretrained(tmp_path)
    assert type(ours) is PAIRS[name][0]
    assert ours.to_json_string() == theirs.to_json_string()
    assert isinstance(ours.size, dict)
    pictures = [photo(100, 60, seed=1), photo(45, 80, seed=2)]
    assert_same(ours(pictures, return_tensors="pt"), theirs(pictures, return_tensors="pt"))


@pytest.mark.parametrize("model_type, expected", [
    ("vit", ViTImageProcessor), ("swin", ViTImageProcessor), ("deit", ViTImageProcessor),
    ("convnext", ConvNextImageProcessor), ("resnet", ConvNextImageProcessor), ("clip", CLIPImageProcessor),
])
def test_model_type_chooses_the_class(model_type, expected, tmp_path):
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"do_resize": True}))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": model_type}))
    assert type(AutoImageProcessor.from_pretrained(tmp_path)) is expected


def test_from_pretrained_overrides(tmp_path):
    ViTImageProcessor().save_pretrained(tmp_path)
    ours = AutoImageProcessor.from_pretrained(tmp_path, size=384, do_normalize=False)
    theirs = transformers.AutoImageProcessor.from_pretrained(tmp_path, size=384, do_normalize=False)
    assert ours.to_json_string() == theirs.to_json_string()
    assert ours.size == {"height": 384, "width": 384}

def test_settings_are_not_changed_by_a_call():
    processor = ViTImageProcessor()
    before = processor.to_json_string()
    processor(photo(30, 30), size=64, do_normalize=False, image_mean=[0.1, 0.1, 0.1])
    assert processor.to_json_string() == before


# --- bad settings and the pixel limit ---------------------------------------------------------------------------------


def test_pixel_limit_can_be_lifted(tmp_path, monkeypatch):
    monkeypatch.setattr(image_module, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(errors.ImageInputError, match="MAX_IMAGE_PIXELS"):
        ViTImageProcessor()(photo(20, 20), size=8)
    monkeypatch.setattr(image_module, "MAX_IMAGE_PIXELS", None)
    assert ViTImageProcessor()(photo(20, 20), return_tensors="pt").pixel_values.shape == (1, 3, 224, 224)

def test_ragged_batch_needs_padding_or_a_list():
    images = [photo(50, 40), photo(40, 50)]
    with pytest.raises(errors.ImageInputError, match="different sizes"):
        ViTImageProcessor()(images, return_tensors="pt", do_resize=False)
    assert len(ViTImageProcessor()(images, do_resize=False).pixel_values) == 2


def test_bad_call_arguments():
    processor = ViTImageProcessor()
    with pytest.raises(errors.UnexpectedArgumentError, match="do_resise.*Did you mean 'do_resize'"):
        processor(photo(10, 10), do_resise=False)
    with pytest.raises(errors.ImageInputError, match="return_tensors='tf'"):
        processor(photo(10, 10), return_tensors="tf")
    with pytest.raises(errors.ConfigValueError, match="data_format"):
        processor(photo(10, 10), data_format="sideways")
    with pytest.raises(errors.ConfigValueError, match="rescale_factor"):
        processor(photo(10, 10), rescale_factor=None)
    with pytest.raises(errors.ConfigValueError, match="image_mean"):
        processor(photo(10, 10), image_mean=None)
    with pytest.raises(errors.ConfigValueError, match="pad_size"):
        processor(photo(10, 10), do_pad=True)
    with pytest.raises(errors.ImageInputError, match="larger than pad_size"):
        processor(photo(10, 10), do_pad=True, pad_size={"height": 100, "width": 100})
    with pytest.raises(errors.ConfigValueError, match="shortest_edge"):
        ConvNextImageProcessor()(photo(10, 10), size={"height": 20, "width": 20})


@pytest.mark.parametrize("settings, message", [
    ({"size": {"height": 224}}, "key sets"),
    ({"size": {"height": 0, "width": 10}}, "positive int"),
    ({"size": "large"}, "not a size"),
    ({"crop_size": {"side": 3}}, "crop_size"),
    ({"image_std": [0.5, 0.0, 0.5]}, "zero"),
    ({"image_mean": ["0.5", 0.5, 0.5]}, "three"),
    ({"resample": 9}, "PIL filter"),
    ({"rescale_factor": "1/255"}, "number"),
])
def test_bad_settings(settings, message):
    with pytest.raises(errors.ConfigValueError, match=message):
        ViTImageProcessor(**settings)


def test_settings_checked_at_call():
    processor = ViTImageProcessor(image_mean=[0.5], image_std=[0.5])  # loads (as in transformers) ...
    with pytest.raises(errors.ConfigValueError, match="three"):
        processor(photo(10, 10))  # ... but cannot normalise RGB
    with pytest.raises(errors.ConfigValueError, match="MAX_IMAGE_PIXELS"):
        ViTImageProcessor()(photo(10, 10), do_center_crop=True, crop_size=100_000)
    with pytest.raises(errors.ConfigValueError, match="MAX_IMAGE_PIXELS"):
        ViTImageProcessor()(photo(10, 10), size=100_000)


def test_bad_crop_pct():
    with pytest.raises(errors.ConfigValueError, match="crop_pct"):
        ConvNextImageProcessor(crop_pct=0)
