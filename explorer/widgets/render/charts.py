"""Charts: label probabilities as bars, attention as a heatmap, backbone feature maps as a grid of channels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image

from .colors import to_viridis
from .html import esc, img, note

HEATMAP_SIZE = 320  # pixels across a heatmap
TILE = 64  # pixels across one channel of a feature map
TRACK = "var(--jp-layout-color2,#eee)"  # behind a bar: light grey, or the dark theme's dark grey


def bar_chart(rows: Sequence[tuple[str, float]]) -> str:
    """(label, probability) rows, largest first, as horizontal bars: sized in em, so presenter mode enlarges
    them with their labels; the track in the theme's colour."""
    lines = []
    for label, probability in rows:
        width = max(0.0, min(1.0, probability)) * 100
        lines.append(
            f'<div style="display:flex;align-items:center;gap:0.5em;font-size:0.92em">'
            f'<span style="width:13.4em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap">{esc(label)}</span>'
            f'<span style="display:inline-block;width:20em;background:{TRACK}">'
            f'<span class="explorer-bar" style="display:block;width:{width:.1f}%;height:1em;background:#4c6ef5">'
            f"</span></span><span>{probability:.3f}</span></div>"
        )
    return "".join(lines)


def heatmap(matrix: np.ndarray, title: str = "") -> str:
    """A 2-D array as a viridis picture, each cell a square of equal size."""
    matrix = np.asarray(matrix, dtype=np.float32)
    rows, columns = matrix.shape
    cell = max(1, HEATMAP_SIZE // max(rows, columns))
    picture = Image.fromarray(to_viridis(matrix)).resize((columns * cell, rows * cell), Image.Resampling.NEAREST)
    return img(picture, title=title)


def axis_labels(tokens: Sequence[str]) -> str:
    """The tokens along a heatmap's axes, numbered, for reading rows and columns."""
    return note(" ".join(f"{index}:{token}" for index, token in enumerate(tokens)))


def feature_grid(stages: Mapping[str, np.ndarray], labels: Mapping[str, str], max_channels: int = 16) -> str:
    """For each stage, its feature map of one image (C, H, W): the first ``max_channels`` channels as tiles,
    each scaled to its own range."""
    blocks = []
    for name, maps in stages.items():
        maps = np.asarray(maps, dtype=np.float32)
        shown = maps[:max_channels]
        tiles = "".join(
            img(Image.fromarray(to_viridis(channel)).resize((TILE, TILE), Image.Resampling.NEAREST),
                title=f"{name} {labels['channel']} {index}")
            for index, channel in enumerate(shown)
        )
        caption = f"{name}: {list(maps.shape)} ({labels['channels_shown']} {len(shown)}/{maps.shape[0]})"
        blocks.append(f'<div><div style="font-size:0.92em"><b>{esc(caption)}</b></div>'
                      f'<div style="display:grid;grid-template-columns:repeat(4,{TILE}px);gap:2px">{tiles}</div></div>')
    return f'<div class="explorer-feature-grid">{"".join(blocks)}</div>'


def render_backbone(out_features: Sequence[str], out_indices: Sequence[int], stages: Mapping[str, np.ndarray],
                    labels: Mapping[str, str]) -> str:
    """The backbone panel's view: the stages it returns (names and indices), then their feature maps."""
    return note(f"out_features={list(out_features)} · out_indices={list(out_indices)}") + feature_grid(stages, labels)
