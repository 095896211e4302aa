"""Screenshots compared with committed baselines, as ipywidgets' own visual tests do: a screenshot passes when at
most ``tolerance`` of its pixels differ from tests/browser/baselines/NAME.png. ``EXPLORER_UPDATE_BASELINES=1``
rewrites the baselines instead (look at them before committing)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from lab_page import ARTIFACTS  # where a failing screenshot and its difference are kept
from PIL import Image

BASELINES = Path(__file__).parent / "baselines"
UPDATE = "EXPLORER_UPDATE_BASELINES"


def read_png(data: bytes) -> Image.Image:
    """The picture in ``data``, decoded and in RGB (no file left open)."""
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def different_pixels(actual: Image.Image, expected: Image.Image) -> np.ndarray:
    """True where a pixel's colour differs at all (two RGB images of one size)."""
    return np.any(np.asarray(actual) != np.asarray(expected), axis=-1)


def difference_ratio(actual: Image.Image, expected: Image.Image) -> float:
    """The share of pixels whose colour differs at all."""
    return float(different_pixels(actual, expected).mean())


def keep_failure(name: str, actual: Image.Image, expected: Image.Image) -> Path:
    """The failing screenshot beside the baseline, for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}-actual.png"
    actual.save(path)
    if actual.size == expected.size:
        difference = different_pixels(actual, expected)
        Image.fromarray((difference * 255).astype(np.uint8)).save(ARTIFACTS / f"{name}-difference.png")
    return path


def assert_screenshot(png_bytes: bytes, name: str, tolerance: float = 0.02) -> None:
    """``png_bytes`` (a Playwright screenshot) matches the baseline ``name`` within ``tolerance``."""
    baseline = BASELINES / f"{name}.png"
    if os.environ.get(UPDATE) == "1":
        BASELINES.mkdir(exist_ok=True)
        baseline.write_bytes(png_bytes)
        return
    if not baseline.is_file():
        pytest.fail(f"{baseline} is missing: run this test once with {UPDATE}=1 to write it, look at it, commit it.")
    actual, expected = read_png(png_bytes), read_png(baseline.read_bytes())
    if actual.size != expected.size:
        kept = keep_failure(name, actual, expected)
        pytest.fail(f"the screenshot {name} is {actual.size[0]}x{actual.size[1]}, its baseline {baseline} "
                    f"{expected.size[0]}x{expected.size[1]} (kept as {kept}); if the change is intended, "
                    f"rerun with {UPDATE}=1.")
    ratio = difference_ratio(actual, expected)
    if ratio > tolerance:
        kept = keep_failure(name, actual, expected)
        pytest.fail(f"the screenshot {name} differs from {baseline} in {ratio:.1%} of its pixels (tolerance "
                    f"{tolerance:.1%}; kept as {kept}); if the change is intended, rerun with {UPDATE}=1.")
