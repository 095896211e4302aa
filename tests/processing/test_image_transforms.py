"""The image transforms (explorer.processing.image_transforms), through the image processors against
transformers': sizes, resizing, center crop, rescale and normalise, padding, per-call settings."""

from __future__ import annotations

import time

import numpy as np
import pytest
import transformers
from image_checks import NAMES, compare, photo, pixels
from image_checks import fresh_warnings  # noqa: F401 - the autouse fixture, used by being imported
from PIL import Image

from explorer import errors
from explorer.processing.image import CLIPImageProcessor, LayoutLMv2ImageProcessor, ViTImageProcessor


# --- sizes ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1, 1), (3, 500), (500, 3), (640, 480), (480, 640), (37, 41), (224, 224)])
@pytest.mark.parametrize("name", NAMES)
def test_image_sizes(name, size):
    compare(name, photo(*size, seed=size[0]))


# --- values -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_float_arrays_without_resize(name):
    array = (pixels() / 255.0).astype(np.float32)
    compare(name, array, do_resize=False)
    compare(name, array.astype(np.float64) * 255, do_resize=False)


# --- per-call settings ------------------------------------------------------------------------------------------------


OVERRIDES = [
    ("vit", {"do_resize": False}),
    ("vit", {"size": 64}),
    ("vit", {"size": {"height": 30, "width": 50}}),
    ("vit", {"size": {"shortest_edge": 50}}),
    ("vit", {"size": {"shortest_edge": 40, "longest_edge": 60}}),
    ("vit", {"size": {"max_height": 50, "max_width": 40}}),
    ("vit", {"size": 100, "default_to_square": False}),
    *[("vit", {"resample": resample}) for resample in range(6)],
    ("vit", {"resample": Image.Resampling.LANCZOS}),
    ("vit", {"do_rescale": False}),
    ("vit", {"rescale_factor": 0.5}),
    ("vit", {"do_normalize": False}),
    ("vit", {"do_rescale": False, "do_normalize": False}),
    ("vit", {"image_mean": [0.1, 0.2, 0.3], "image_std": [0.9, 0.8, 0.7]}),
    ("vit", {"image_mean": 0.3, "image_std": 0.2}),
    ("vit", {"do_center_crop": True, "crop_size": {"height": 100, "width": 300}}),
    ("vit", {"do_pad": True, "pad_size": {"height": 300, "width": 320}, "size": {"shortest_edge": 100}}),
    ("vit", {"do_convert_rgb": True}),
    ("clip", {"do_center_crop": False}),
    ("clip", {"crop_size": 100}),
    ("clip", {"size": 300}),
    ("clip", {"do_convert_rgb": False}),
    ("clip", {"do_pad": True, "pad_size": {"height": 250, "width": 250}}),
    ("convnext", {"crop_pct": 0.5, "size": 200}),
    ("convnext", {"size": 384}),
    ("convnext", {"size": {"shortest_edge": 500}}),
    ("convnext", {"do_center_crop": True, "crop_size": 100}),
    ("convnext", {"do_resize": False}),
    ("layoutlmv2", {"size": 100}),
    ("layoutlmv2", {"do_resize": False}),
    ("layoutlmv2", {"do_rescale": True, "rescale_factor": 0.5, "do_normalize": True, "image_mean": 0.5,
                    "image_std": 0.5}),  # checked, then ignored, by both
]


@pytest.mark.parametrize("name, overrides", OVERRIDES, ids=[f"{n}-{o}" for n, o in OVERRIDES])
def test_per_call_settings(name, overrides):
    compare(name, photo(173, 131, seed=9), **overrides)
    compare(name, [photo(173, 131, seed=9), photo(120, 250, seed=10)], return_tensors=None, **overrides)
    compare(name, (pixels(131, 173) / 255.0).astype(np.float32), **overrides)


def test_data_format_channels_last():
    picture = photo(90, 60)
    got = ViTImageProcessor()(picture, return_tensors="np", data_format="channels_last").pixel_values
    # transformers' PIL backend ignores data_format (always channels first); explorer honours it
    expected = transformers.ViTImageProcessorPil()(picture, return_tensors="np").pixel_values
    assert got.shape == (1, 224, 224, 3)
    np.testing.assert_allclose(got, expected.transpose(0, 2, 3, 1), rtol=0, atol=1e-5)
    flipped = LayoutLMv2ImageProcessor(apply_ocr=False)(picture, return_tensors="np", data_format="channels_last")
    np.testing.assert_array_equal(flipped.pixel_values[0], np.asarray(picture.resize((224, 224), 2))[..., ::-1])


# --- resizing ---------------------------------------------------------------------------------------------------------


def test_resizing_to_a_bomb_is_refused():
    # a 1 x 100000 strip: its shortest edge to 224 would make 224 x 22,400,000 pixels
    strip = Image.new("RGB", (100_000, 1))
    started = time.monotonic()
    with pytest.raises(errors.ImageInputError, match="pixels"):
        CLIPImageProcessor()(strip)
    with pytest.raises(errors.ImageInputError, match="no pixels"):
        ViTImageProcessor()(strip, size={"max_height": 10, "max_width": 10})
    assert time.monotonic() - started < 2
