"""The audio view: the waveform and the extracted features as pictures (inline SVG and PNG)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from PIL import Image

from .colors import to_viridis
from .html import img, note, number, section, table

WIDTH, HEIGHT = 640, 90


def waveform_svg(samples: np.ndarray, width: int = WIDTH, height: int = HEIGHT, colour: str = "#1c7ed6") -> str:
    """The min/max envelope of ``samples`` per pixel column, as one SVG polygon."""
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    if samples.size == 0:
        return f'<svg width="{width}" height="{height}"></svg>'
    columns = np.array_split(samples, min(width, samples.size))
    top = np.array([column.max() for column in columns])
    bottom = np.array([column.min() for column in columns])
    peak = float(max(np.abs(top).max(), np.abs(bottom).max())) or 1.0
    xs = np.linspace(0, width, len(columns))
    half = height / 2
    upper = [f"{x:.1f},{half - y / peak * (half - 1):.1f}" for x, y in zip(xs, top)]
    lower = [f"{x:.1f},{half - y / peak * (half - 1):.1f}" for x, y in zip(xs[::-1], bottom[::-1])]
    return (f'<svg width="{width}" height="{height}" style="background:var(--jp-layout-color2,#f8f9fa)">'
            f'<polygon points="{" ".join(upper + lower)}" fill="{colour}"/></svg>')


def spectrogram_image(features: np.ndarray, height: int = 2 * HEIGHT) -> Image.Image:
    """(mel bins, frames) -> a viridis picture, low frequencies at the bottom."""
    features = np.asarray(features, dtype=np.float32)
    picture = Image.fromarray(to_viridis(features[::-1]))
    return picture.resize((min(WIDTH, max(features.shape[1], 1) * 2), height), Image.Resampling.NEAREST)


def render_audio(extractor_class: str, waveform: np.ndarray, sampling_rate: int, features: Mapping[str, Any],
                 settings: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """``extractor_class`` names the feature extractor; ``features`` maps its output names to one example's
    array (input_values: samples; input_features: mel bins x frames)."""
    parts = [note(extractor_class), section(labels["waveform"], waveform_svg(waveform)
                     + note(f"{len(waveform) / sampling_rate:.2f} s · {sampling_rate} Hz · {len(waveform)} "
                            f"{labels['samples']}"))]
    for name, value in features.items():
        value = np.asarray(value)
        if value.ndim == 2:
            picture = img(spectrogram_image(value), title=name)
            caption = labels["log_mel"]
        else:
            picture = waveform_svg(value, colour="#2b8a3e")
            caption = labels["normalised_input"]
        stats = f"{name}: {list(value.shape)} · {labels['mean']} {number(float(value.mean()))} · " \
                f"{labels['std']} {number(float(value.std()))}"
        parts.append(section(f"{name} ({caption})", picture + note(stats)))
    parts.append(section(labels["processor_settings"],
                         table(sorted(settings.items()), header=(labels["setting"], labels["value"]))))
    return "".join(parts)

