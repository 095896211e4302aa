"""The image view: the original beside the processed pixel_values turned back into pixels, with shape, dtype,
per-channel statistics and the processor's settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image

from .html import esc, img, note, number, section, table

THUMBNAIL = 224  # display width of the original and the processed image


def denormalise(pixel_values: np.ndarray, settings: Mapping[str, Any]) -> Image.Image:
    """(C, H, W) model input -> the picture the model sees: undo normalisation (x * std + mean) and rescaling
    (/ rescale_factor) as far as the processor's settings say they were applied."""
    values = np.asarray(pixel_values, dtype=np.float32)
    channels = values.shape[0]
    if settings.get("do_normalize"):
        mean = np.resize(np.asarray(settings.get("image_mean", 0.0), dtype=np.float32), channels)
        std = np.resize(np.asarray(settings.get("image_std", 1.0), dtype=np.float32), channels)
        values = values * std[:, None, None] + mean[:, None, None]
    if settings.get("do_rescale"):
        values = values / float(settings.get("rescale_factor") or 1.0)
    pixels = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels[0]) if channels == 1 else Image.fromarray(pixels[:3].transpose(1, 2, 0))


def channel_stats(pixel_values: np.ndarray) -> list[tuple[int, float, float]]:
    values = np.asarray(pixel_values, dtype=np.float64).reshape(pixel_values.shape[0], -1)
    return [(channel, float(row.mean()), float(row.std())) for channel, row in enumerate(values)]


def thumbnail(image: Image.Image, width: int = THUMBNAIL) -> Image.Image:
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.BILINEAR)


def render_image(processor_class: str, original: Image.Image, pixel_values: np.ndarray, dtype: str,
                 shape: Sequence[int], settings: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """``processor_class`` names the image processor; ``pixel_values`` is one image (C, H, W) of the batch
    whose full ``shape`` and ``dtype`` are given."""
    processed = denormalise(pixel_values, settings)
    pictures = (
        '<div style="display:flex;gap:16px;align-items:flex-start">'
        f"<figure>{img(thumbnail(original.convert('RGB')), title=labels['original'])}"
        f"<figcaption>{esc(labels['original'])} {original.width}x{original.height}</figcaption></figure>"
        f"<figure>{img(processed, 'explorer-pixel-image', labels['processed'], width=THUMBNAIL)}"
        f"<figcaption>{esc(labels['processed'])} {processed.width}x{processed.height}</figcaption></figure></div>"
    )
    facts = table([("pixel_values.shape", list(shape)), ("dtype", dtype)])
    stats = table([(channel, number(mean), number(std)) for channel, mean, std in channel_stats(pixel_values)],
                  header=(labels["channel"], labels["mean"], labels["std"]))
    settings_table = table(sorted((key, value) for key, value in settings.items()),
                           header=(labels["setting"], labels["value"]))
    return (note(processor_class) + pictures + facts + section(labels["channel_stats"], stats)
            + section(labels["processor_settings"], settings_table))
