"""Shared by the image tests: explorer's image processors paired with transformers' (its PIL backend), test
pictures, and the comparison of their ``pixel_values``."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
import transformers
from PIL import Image

from explorer.batch import BatchFeature
from explorer.processing import image as image_module
from explorer.processing import image_input
from explorer.processing.image import (
    CLIPImageProcessor,
    ConvNextImageProcessor,
    LayoutLMv2ImageProcessor,
    ViTImageProcessor,
)

# name -> (explorer class, transformers class, settings)
PAIRS = {
    "vit": (ViTImageProcessor, transformers.ViTImageProcessorPil, {}),
    "convnext": (ConvNextImageProcessor, transformers.ConvNextImageProcessorPil, {}),
    "convnext-224": (ConvNextImageProcessor, transformers.ConvNextImageProcessorPil, {"size": {"shortest_edge": 224}}),
    "clip": (CLIPImageProcessor, transformers.CLIPImageProcessorPil, {}),
    "layoutlmv2": (LayoutLMv2ImageProcessor, transformers.LayoutLMv2ImageProcessorPil, {"apply_ocr": False}),
}
NAMES = list(PAIRS)
CONVERTS_RGB = {"clip"}  # processors whose transformers twin converts any PIL mode to RGB itself


@functools.cache
def pair(name: str):
    ours_class, theirs_class, settings = PAIRS[name]
    return ours_class(**settings), theirs_class(**settings)


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """An RGB picture with structure (gradients, a disc) and noise, so that resizing and turning matter."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    disc = ((x - width * 0.3) ** 2 + (y - height * 0.4) ** 2) < (min(width, height) * 0.25) ** 2
    pixels = np.stack([255 * x / max(width, 1), 255 * y / max(height, 1), 120 + 100 * disc], axis=-1)
    pixels += rng.normal(0, 12, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def as_numpy(value):
    return value.numpy() if torch.is_tensor(value) else np.asarray(value)


def assert_same(got: BatchFeature, expected, atol: float = 1e-5) -> None:
    assert isinstance(got, BatchFeature)
    a, b = got["pixel_values"], expected["pixel_values"]
    if isinstance(b, list):
        assert isinstance(a, list) and len(a) == len(b)
        pairs = list(zip(a, b))
    else:
        assert type(a) is type(b)
        pairs = [(a, b)]
    for x, y in pairs:
        x, y = as_numpy(x), as_numpy(y)
        assert x.shape == y.shape
        assert x.dtype == y.dtype
        np.testing.assert_allclose(x.astype(np.float64), y.astype(np.float64), rtol=0, atol=atol)


def compare(name: str, images, reference=None, return_tensors="pt", **overrides) -> BatchFeature:
    """explorer on ``images`` equals transformers on ``reference`` (default: the same images)."""
    ours, theirs = pair(name)
    expected = theirs(images if reference is None else reference, return_tensors=return_tensors, **overrides)
    got = ours(images, return_tensors=return_tensors, **overrides)
    assert_same(got, expected)
    return got


def pixels(height=29, width=37, seed=4) -> np.ndarray:
    return np.asarray(photo(width, height, seed=seed))


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Each test sees explorer's once-only log warnings afresh."""
    monkeypatch.setattr(image_module, "_warned", set())
    monkeypatch.setattr(image_input, "_warned", set())
