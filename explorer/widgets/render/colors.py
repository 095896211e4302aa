"""Colours: a small viridis table for heatmaps and feature maps, and a palette for token chips."""

from __future__ import annotations

import numpy as np

# viridis at 9 evenly spaced points (matplotlib's values), interpolated linearly in between
_VIRIDIS_ANCHORS = np.array([
    [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
], dtype=np.float32)
VIRIDIS = np.stack([np.interp(np.linspace(0, 8, 256), np.arange(9), _VIRIDIS_ANCHORS[:, c]) for c in range(3)],
                   axis=1).astype(np.uint8)

# light colours that keep black text readable; tokens cycle through them, and their source spans share them
TOKEN_PALETTE = ("#ffd8a8", "#c3fae8", "#d0bfff", "#ffc9c9", "#b2f2bb", "#a5d8ff", "#fcc2d7", "#ffec99")


def to_viridis(values: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
    """An array of any shape -> uint8 RGB of that shape + (3,), scaled from [low, high] (default: min, max)."""
    values = np.asarray(values, dtype=np.float32)
    low = float(np.nanmin(values)) if low is None else low
    high = float(np.nanmax(values)) if high is None else high
    scale = 255.0 / (high - low) if high > low else 0.0
    index = np.clip((np.nan_to_num(values, nan=low) - low) * scale, 0, 255).astype(np.uint8)
    return VIRIDIS[index]


def token_colour(index: int) -> str:
    return TOKEN_PALETTE[index % len(TOKEN_PALETTE)]


def probability_colour(probability: float) -> str:
    """A light colour from red (unlikely) through yellow to green (likely), readable under black text."""
    hue = 120 * max(0.0, min(1.0, probability))
    return f"hsl({hue:.0f},75%,78%)"
