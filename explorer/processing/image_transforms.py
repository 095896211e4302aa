"""Image transforms, as transformers' PIL backend does them: the size rules (``get_size_dict``, the target of
a resize), resizing with Pillow, center crop, rescale and normalise as per-channel tables of 256 values, and
padding.

Rescale and normalise compute ``(pixel * rescale_factor - mean) / std`` with transformers' exact float
operations: for 8-bit pixels once per level into a (3, 256) table, looked up into the output array, so the
numbers are bit-identical and no per-pixel Python runs; float pixels (no resize) directly, in the same order.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from .. import errors
from .image_input import check_pixels

# the key sets a size dictionary may have (transformers' VALID_SIZE_DICT_KEYS)
VALID_SIZE_KEYS = (
    {"height", "width"},
    {"shortest_edge"},
    {"shortest_edge", "longest_edge"},
    {"longest_edge"},
    {"max_height", "max_width"},
    {"min_pixels", "max_pixels"},
)


# --- sizes ------------------------------------------------------------------------------------------------------------


def get_size_dict(size: Any, default_to_square: bool = True, param_name: str = "size") -> dict[str, int]:
    """transformers' ``get_size_dict``: an int is ``{"height": n, "width": n}`` (or ``{"shortest_edge": n}``
    when ``default_to_square`` is False), a pair is ``(height, width)``; a dict must have a known key set."""
    if isinstance(size, dict):
        size_dict = dict(size)
    elif isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size_dict = {"height": int(size), "width": int(size)} if default_to_square else {"shortest_edge": int(size)}
    elif isinstance(size, (list, tuple)) and len(size) == 2:
        size_dict = {"height": size[0], "width": size[1]}
    else:
        raise errors.ConfigValueError(
            f"{param_name}={size!r} is not a size: use an int, a (height, width) pair, or a dict with the keys "
            f"{' or '.join(str(sorted(keys)) for keys in VALID_SIZE_KEYS)}."
        )
    if set(size_dict) not in VALID_SIZE_KEYS:
        raise errors.ConfigValueError(
            f"{param_name} has the keys {sorted(size_dict)}; it must have one of these key sets: "
            f"{', '.join(str(sorted(keys)) for keys in VALID_SIZE_KEYS)}."
        )
    for key, value in size_dict.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise errors.ConfigValueError(f"{param_name}[{key!r}] must be a positive int, got {value!r}.")
    return size_dict


def shortest_edge_size(height: int, width: int, size: int) -> tuple[int, int]:
    """(height, width) with the shorter side ``size`` and the aspect ratio kept (transformers'
    ``get_resize_output_image_size`` with ``default_to_square=False``)."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    return (new_long, new_short) if width <= height else (new_short, new_long)


def size_with_aspect_ratio(height: int, width: int, size: int, max_size: int | None = None) -> tuple[int, int]:
    """transformers' ``get_size_with_aspect_ratio``: shorter side ``size``, longer side at most ``max_size``."""
    raw_size = None
    if max_size is not None:
        min_original, max_original = float(min(height, width)), float(max(height, width))
        if max_original / min_original * size > max_size:
            raw_size = max_size * min_original / max_original
            size = round(raw_size)
    if (height <= width and height == size) or (width <= height and width == size):
        return height, width
    if width < height:
        return (int(raw_size * height / width) if raw_size is not None else int(size * height / width)), size
    return size, (int(raw_size * width / height) if raw_size is not None else int(size * width / height))


def resize_target(height: int, width: int, size: dict[str, int]) -> tuple[int, int]:
    """The (height, width) transformers' PIL backend resizes an image of (height, width) to for ``size``."""
    if size.get("shortest_edge") and size.get("longest_edge"):
        return size_with_aspect_ratio(height, width, size["shortest_edge"], size["longest_edge"])
    if size.get("shortest_edge"):
        return shortest_edge_size(height, width, size["shortest_edge"])
    if size.get("max_height") and size.get("max_width"):
        scale = min(size["max_height"] / height, size["max_width"] / width)
        return int(height * scale), int(width * scale)
    if size.get("height") and size.get("width"):
        return size["height"], size["width"]
    raise errors.ConfigValueError(
        f"size={size} cannot be resized to: use 'height' and 'width', 'shortest_edge' (optionally with "
        "'longest_edge'), or 'max_height' and 'max_width'."
    )


def center_crop(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """transformers' ``center_crop`` on a (height, width, channels) array: a smaller image is padded with
    zeros, centred, before cropping."""
    orig_height, orig_width = image.shape[:2]
    top, left = (orig_height - height) // 2, (orig_width - width) // 2
    bottom, right = top + height, left + width
    if top >= 0 and bottom <= orig_height and left >= 0 and right <= orig_width:
        return image[top:bottom, left:right]
    new_height, new_width = max(height, orig_height), max(width, orig_width)
    padded = np.zeros((new_height, new_width) + image.shape[2:], dtype=image.dtype)
    top_pad, left_pad = math.ceil((new_height - orig_height) / 2), math.ceil((new_width - orig_width) / 2)
    padded[top_pad:top_pad + orig_height, left_pad:left_pad + orig_width] = image
    top, bottom, left, right = top + top_pad, bottom + top_pad, left + left_pad, right + left_pad
    return padded[max(0, top):min(new_height, bottom), max(0, left):min(new_width, right)]


# --- resizing ---------------------------------------------------------------------------------------------------------


def pil_resize(image: Image.Image, height: int, width: int, resample: Any, max_pixels: int | None) -> np.ndarray:
    """``image`` resized with Pillow's filter ``resample`` to (height, width) pixels, at most ``max_pixels``."""
    if height < 1 or width < 1:
        raise errors.ImageInputError(
            f"Resizing a {image.width}x{image.height} image to {width}x{height} leaves no pixels: its aspect ratio "
            "is too extreme for these size settings."
        )
    check_pixels(height, width, f"Resizing a {image.width}x{image.height} image gives an image that", max_pixels)
    return np.asarray(image.resize((width, height), resample=int(resample)))


def to_uint8_for_pil(array: np.ndarray, name: str) -> tuple[np.ndarray, bool]:
    """transformers' _rescale_for_pil_conversion: whole numbers in [0, 255] are cast to uint8; floats in
    [0, 1] are multiplied by 255 first (and divided back after resizing: the second value)."""
    if array.dtype == np.uint8:
        return array, False
    if np.allclose(array, array.astype(np.int64)):
        if array.min() >= 0 and array.max() <= 255:
            return array.astype(np.uint8), False
        raise errors.ImageInputError(
            f"{name} has whole-number values in [{array.min()}, {array.max()}], outside [0, 255]: scale it to 8 "
            "bits (0-255) or to floats in [0, 1]."
        )
    if array.min() >= 0 and array.max() <= 1:
        return (array.astype(np.float64) * 255).astype(np.float32).astype(np.uint8), True
    raise errors.ImageInputError(
        f"{name} has float values in [{array.min()}, {array.max()}]: use floats in [0, 1] or whole numbers in "
        "[0, 255]."
    )


# --- values -----------------------------------------------------------------------------------------------------------


def apply_values(x: np.ndarray, unscale: bool, rescale_factor: float | None,
                 mean: tuple[float, ...] | None, std: tuple[float, ...] | None) -> np.ndarray:
    """transformers' operations on channels-last values, in its order and dtypes: the /255 after a PIL round
    trip of [0, 1] floats, ``rescale`` (float64 product cast to float32), ``normalize`` (in the image's float
    dtype)."""
    if unscale:
        x = (x.astype(np.float64) * (1 / 255)).astype(np.float32)
    if rescale_factor is not None:
        x = (x.astype(np.float64) * rescale_factor).astype(np.float32)
    if mean is not None and std is not None:
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float32)
        x = (x - np.array(mean, dtype=x.dtype)) / np.array(std, dtype=x.dtype)
    return x


@lru_cache(maxsize=64)
def value_table(unscale: bool, rescale_factor: float | None, mean: tuple[float, ...] | None,
                std: tuple[float, ...] | None) -> np.ndarray | None:
    """(3, 256): the value each 8-bit pixel becomes in each channel; None when pixels stay uint8."""
    if not unscale and rescale_factor is None and mean is None:
        return None
    levels = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    table = np.ascontiguousarray(apply_values(levels, unscale, rescale_factor, mean, std).T)
    table.setflags(write=False)
    return table


def fits_float32(value: Any) -> bool:
    """A number pixels can be computed with in float32: not a bool, not NaN, not beyond float32's range."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return False
    try:
        return abs(float(value)) <= float(np.finfo(np.float32).max)
    except OverflowError:  # an int beyond any float
        return False


def three_values(values: Any, name: str) -> tuple[float, ...]:
    """image_mean / image_std as three floats (a single number is used for every channel)."""
    if isinstance(values, (int, float, np.number)) and not isinstance(values, bool):
        return (float(values),) * 3
    if isinstance(values, (list, tuple, np.ndarray)) and len(values) == 3 and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values):
        return tuple(float(v) for v in values)
    raise errors.ConfigValueError(f"{name}={values!r}: give one number or three (one per RGB channel).")


# --- the output and padding ------------------------------------------------------------------------------------------


def empty_output(pixels: np.ndarray, table: np.ndarray | None, last: bool, count: int | None = None) -> np.ndarray:
    """An empty array for the values of (height, width, 3) ``pixels`` (``count`` of them when given)."""
    height, width = pixels.shape[:2]
    shape = (height, width, 3) if last else (3, height, width)
    return np.empty(shape if count is None else (count, *shape), dtype=np.uint8 if table is None else table.dtype)


def map_uint8(pixels: np.ndarray, table: np.ndarray | None, order: tuple[int, int, int], last: bool,
              out: np.ndarray) -> np.ndarray:
    """(height, width, 3) uint8 -> ``out``: the values of ``table`` (3, 256) or the pixels themselves, output
    channel c taken from channel order[c], channels first unless ``last``."""
    for c, source in enumerate(order):
        plane = pixels[..., source]
        target = out[..., c] if last else out[c]
        if table is None:
            target[...] = plane
        else:
            target[...] = table[source][plane]
    return out


def pad_values(values: list[np.ndarray] | np.ndarray, height: int, width: int, last: bool) -> np.ndarray | list:
    """Zeros below and to the right up to (height, width), after normalisation (transformers' ``pad``)."""
    padded = []
    for v in values:
        h, w = (v.shape[0], v.shape[1]) if last else (v.shape[1], v.shape[2])
        if h > height or w > width:
            raise errors.ImageInputError(
                f"An image of {h}x{w} (after resizing) is larger than pad_size {height}x{width}: raise pad_size."
            )
        if (h, w) == (height, width):
            padded.append(v)
            continue
        shape = (height, width, v.shape[2]) if last else (v.shape[0], height, width)
        out = np.zeros(shape, dtype=v.dtype)
        if last:
            out[:h, :w] = v
        else:
            out[:, :h, :w] = v
        padded.append(out)
    return np.stack(padded) if isinstance(values, np.ndarray) else padded
