"""Screenshots compared with committed baselines, within a tolerance (as ipywidgets' own visual tests do).

Both sides are reduced the same way before comparing: half size, 64 colours. That keeps the committed PNGs
small and ignores sub-pixel font smoothing. A pixel differs when one of its channels is off by more than
``CHANNEL_STEP``; a screenshot matches when at most ``tolerance`` of its pixels differ. Run the browser tests
with ``EXPLORER_UPDATE_BASELINES=1`` to rewrite the baselines (look at them before committing).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from lab_page import ARTIFACTS
from PIL import Image

BASELINES = Path(__file__).parent / "baselines"
CHANNEL_STEP = 24  # out of 255
COLOURS = 64


def reduced(png_bytes: bytes) -> Image.Image:
    """Half size, ``COLOURS`` colours (a palette image: what a baseline stores)."""
    image = Image.open(io.BytesIO(png_bytes)).convert("RGB")
    half = image.resize((max(image.width // 2, 1), max(image.height // 2, 1)), Image.Resampling.BOX)
    return half.quantize(COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def difference_ratio(actual: Image.Image, expected: Image.Image) -> float:
    """The share of pixels that differ (1.0 when the sizes differ)."""
    if actual.size != expected.size:
        return 1.0
    delta = np.abs(np.asarray(actual, dtype=np.int16) - np.asarray(expected, dtype=np.int16)).max(axis=2)
    return float((delta > CHANNEL_STEP).mean())


def assert_screenshot(png_bytes: bytes, name: str, tolerance: float = 0.01) -> None:
    """``png_bytes`` matches tests/browser/baselines/``name``.png within ``tolerance`` (a share of pixels);
    with EXPLORER_UPDATE_BASELINES=1 the baseline is rewritten instead. The screenshot is kept in artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(png_bytes)
    actual = reduced(png_bytes)
    path = BASELINES / f"{name}.png"
    if os.environ.get("EXPLORER_UPDATE_BASELINES") == "1":
        BASELINES.mkdir(exist_ok=True)
        actual.save(path, optimize=True)
        return
    assert path.is_file(), f"no baseline {path}: run with EXPLORER_UPDATE_BASELINES=1 and commit it"
    ratio = difference_ratio(actual.convert("RGB"), Image.open(path).convert("RGB"))
    assert ratio <= tolerance, (f"{name}: {ratio:.2%} of pixels differ from {path.name} (tolerance {tolerance:.2%}); "
                                f"see artifacts/{name}.png")
