"""Image processors: ViT (also used for Swin and DeiT), ConvNeXT (also ResNet), CLIP and LayoutLMv2.

Each turns images into ``pixel_values`` with transformers' numbers: those of its PIL backend, which resizes
with Pillow on 8-bit RGB and then rescales and normalises in float32, in that order. What happens to every
image, top to bottom:

1. **Read.** A PIL image is used as it is; a path or an ``http(s)://`` URL is opened with Pillow (reading the
   header first, so a decompression bomb is refused before any pixel is allocated); a numpy array or torch
   tensor is read as ``(height, width)``, ``(height, width, channels)`` or ``(channels, height, width)``
   (transformers' rule: the axis of size 1, 3 or 4, the first one when both could be). A 4-D array, a list or
   a nested list is a batch.
2. **Upright and RGB.** The EXIF orientation of a photo is applied; every mode (L, P, RGBA, CMYK, I;16...)
   becomes RGB, transparency composited onto white when ``do_convert_rgb`` is set (as transformers does), else
   dropped (as ``image.convert("RGB")``).
3. **Resize** with Pillow (``size``, ``resample``), as transformers' ``resize``: float arrays are turned into
   8 bits for it the way transformers does (x255 when they lie in [0, 1]).
4. **Center crop** (``crop_size``), padding with zeros when the image is smaller.
5. **Rescale and normalise**: ``(pixel * rescale_factor - mean) / std``. For 8-bit pixels this is a table of
   256 values per channel computed with transformers' exact float operations, looked up into one batch
   array, so the numbers are bit-identical and no per-pixel Python runs. Float pixels (no resize) are
   computed directly, in transformers' order.

Images are read, converted, resized and looked up on a small thread pool (Pillow releases the GIL while
decoding and resampling).

Where explorer differs from transformers, on purpose: a PIL image passed in is also turned upright by its
EXIF tag (transformers does this only for paths and URLs); images always come out with 3 channels (RGB, or
BGR for LayoutLMv2), where transformers keeps 1, 2 or 4 channels or fails (a ViT fed an RGBA, palette or
grayscale image); 2-D arrays are grayscale images; an empty batch, an image above MAX_IMAGE_PIXELS and
a resize that would produce one are refused; ``data_format="channels_last"`` is honoured (transformers' PIL
backend ignores it).
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import math
import os
import re
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .. import errors
from ..batch import BatchFeature, is_tensor
from ..configuration import merged_defaults
from ..hub import download_url
from . import Preprocessor

logger = logging.getLogger(__name__)

# Largest image (in pixels) that is decoded or produced by a resize; above it the image is refused as a
# possible decompression bomb. PIL's default. Set to None to lift the limit (at your own risk).
MAX_IMAGE_PIXELS: int | None = 89_478_485
# Seconds allowed for downloading one image from a URL, and the most bytes read from it.
URL_TIMEOUT: float = 10.0
MAX_DOWNLOAD_BYTES: int = 100 * 1024 * 1024

IMAGENET_STANDARD_MEAN = [0.5, 0.5, 0.5]
IMAGENET_STANDARD_STD = [0.5, 0.5, 0.5]
OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

# the key sets a size dictionary may have (transformers' VALID_SIZE_DICT_KEYS)
VALID_SIZE_KEYS = (
    {"height", "width"},
    {"shortest_edge"},
    {"shortest_edge", "longest_edge"},
    {"longest_edge"},
    {"max_height", "max_width"},
    {"min_pixels", "max_pixels"},
)

# the per-call arguments every image processor takes (transformers' ImagesKwargs)
IMAGES_KWARGS = (
    "do_convert_rgb", "do_resize", "size", "default_to_square", "crop_size", "resample", "do_rescale",
    "rescale_factor", "do_normalize", "image_mean", "image_std", "do_pad", "pad_size", "do_center_crop",
    "data_format", "input_data_format", "device", "return_tensors", "disable_grouping", "image_seq_length",
)

CHANNELS_FIRST, CHANNELS_LAST = "channels_first", "channels_last"
_HIGH_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")

_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        logger.warning(message)


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


def _check_pixels(height: int, width: int, what: str) -> None:
    if MAX_IMAGE_PIXELS is not None and height * width > MAX_IMAGE_PIXELS:
        raise errors.ImageInputError(
            f"{what} is {width}x{height} = {height * width:,} pixels, more than the limit of {MAX_IMAGE_PIXELS:,} "
            "(a possible decompression bomb). If you trust it, raise "
            "explorer.processing.image.MAX_IMAGE_PIXELS (None lifts the limit)."
        )


# --- reading images ---------------------------------------------------------------------------------------------------


@dataclass
class _Source:
    """One image of the batch as read (before conversion): a PIL image or an array, and what it came from."""

    image: Any
    name: str
    opened: bool = False  # we opened it from a path or URL: apply transformers' load_image (EXIF + RGB)
    file: Any = None  # the file object to close once the batch is done


def _flatten(images: Any, out: list[Any]) -> None:
    """A batch as a flat list: lists and tuples (nested too) and 4-D arrays are batches."""
    if isinstance(images, (list, tuple)):
        for item in images:
            _flatten(item, out)
    elif (isinstance(images, np.ndarray) or is_tensor(images)) and images.ndim == 4:
        out.extend(images[i] for i in range(images.shape[0]))
    else:
        out.append(images)


def _describe(image: Any) -> str:
    if isinstance(image, (str, os.PathLike)):
        text = os.fspath(image)
        return repr(text if len(text) <= 80 else text[:77] + "...")
    if isinstance(image, np.ndarray) or is_tensor(image):
        return f"{type(image).__name__} of shape {tuple(image.shape)}"
    return type(image).__name__


def _read(image: Any, name: str) -> _Source:
    """A PIL image (opened lazily: only its header is read) or an array, checked for size."""
    if isinstance(image, Image.Image):
        if image.width == 0 or image.height == 0:
            raise errors.ImageInputError(f"{name} is an empty {image.width}x{image.height} image.")
        _check_pixels(image.height, image.width, name)
        return _Source(image, name)
    if isinstance(image, np.ndarray) or is_tensor(image):
        return _Source(image, name)
    if isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        if isinstance(image, str) and path.startswith(("http://", "https://")):
            return _open_bytes(download_url(path, errors.ImageInputError, MAX_DOWNLOAD_BYTES, URL_TIMEOUT), name)
        if os.path.isfile(path):  # not a folder, a pipe or a device: nothing that could block or never end
            return _open_file(path, name)
        if os.path.isdir(path):
            raise errors.ImageInputError(f"{name} is a folder, not an image file.")
        if os.path.exists(path):
            raise errors.ImageInputError(
                f"{name} is not a regular file (a pipe or a device?): save the image to a file."
            )
        data = _base64_image(path) if isinstance(image, str) else None
        if data is None:
            raise errors.ImageInputError(
                f"{name}: no such file. A string must be the path of an image file, an http(s):// URL or a "
                "base64-encoded image."
            )
        return _open_bytes(data, name)
    raise errors.ImageInputError(
        f"{name} is a {type(image).__name__}, not an image: pass a PIL image, a numpy array, a torch tensor, a "
        "file path or an http(s) URL, or a list of them."
    )


def _base64_image(text: str) -> bytes | None:
    if text.startswith("data:image/"):
        text = text.partition(",")[2]
    compact = re.sub(r"\s+", "", text)
    if not compact or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", compact):
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _open_file(path: str, name: str) -> _Source:
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed when the batch is done
    except OSError as exc:
        raise errors.ImageInputError(f"{name}: cannot read the file ({exc.strerror or exc}).") from None
    try:
        source = _open_stream(handle, name)
    except BaseException:
        handle.close()
        raise
    source.file = handle
    return source


def _open_bytes(data: bytes, name: str) -> _Source:
    return _open_stream(io.BytesIO(data), name)


def _open_stream(stream: Any, name: str) -> _Source:
    """Image.open reads only the header: the pixel count is checked before anything is decoded."""
    with warnings.catch_warnings():
        # our own limit (MAX_IMAGE_PIXELS) decides; PIL's hard limit (twice its default) still raises
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(stream)
        except Image.DecompressionBombError as exc:
            raise errors.ImageInputError(
                f"{name} was refused as a possible decompression bomb ({exc}). If you trust it, raise "
                "PIL.Image.MAX_IMAGE_PIXELS and explorer.processing.image.MAX_IMAGE_PIXELS."
            ) from None
        except UnidentifiedImageError:
            raise errors.ImageInputError(
                f"{name} is not an image Pillow can read (unknown format or not an image file)."
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise errors.ImageInputError(f"{name} could not be opened as an image: {exc}") from None
    if image.width == 0 or image.height == 0:
        raise errors.ImageInputError(f"{name} is an empty {image.width}x{image.height} image.")
    _check_pixels(image.height, image.width, name)
    return _Source(image, name, opened=True)


# --- conversion to RGB ------------------------------------------------------------------------------------------------


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF Orientation tag says (photos from phones and cameras)."""
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - an unreadable EXIF block, whatever PIL raises: use the pixels as stored
        return image
    return ImageOps.exif_transpose(image) if orientation in (2, 3, 4, 5, 6, 7, 8) else image


def _pil_to_rgb(image: Image.Image, do_convert_rgb: bool, name: str) -> Image.Image:
    """RGB as transformers: with do_convert_rgb its convert_to_rgb (transparency over white), else
    ``convert("RGB")`` (transparency dropped)."""
    if image.mode in _HIGH_BIT_MODES:
        low, high = image.getextrema()
        if low < 0 or high > 255:
            _warn_once(
                f"{name} has mode {image.mode} with values in [{low}, {high}]; converting it to RGB clips them to "
                "[0, 255] (as transformers). Scale it to 8 bits first for a faithful picture."
            )
    try:
        if do_convert_rgb and ("A" in image.getbands() or image.info.get("transparency") is not None):
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(background, rgba).convert("RGB")
        if image.mode == "RGB":
            return image
        if image.mode == "P" and "transparency" in image.info:
            return image.convert("RGBA").convert("RGB")  # same pixels as convert("RGB"), without PIL's warning
        return image.convert("RGB")
    except (ValueError, OSError) as exc:
        raise errors.ImageInputError(f"{name}: cannot convert a {image.mode} image to RGB ({exc}).") from None


def _channel_format(value: Any, name: str) -> str | None:
    value = getattr(value, "value", value)
    if value is None or value in (CHANNELS_FIRST, CHANNELS_LAST):
        return value
    raise errors.ConfigValueError(f"{name}={value!r}: use {CHANNELS_FIRST!r} or {CHANNELS_LAST!r}.")


def _as_numpy(image: Any, name: str) -> np.ndarray:
    if is_tensor(image):
        import torch

        tensor = image.detach()
        if tensor.device.type != "cpu":
            tensor = tensor.cpu()
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.float()
        if tensor.is_complex() or tensor.dtype == torch.bool or not (tensor.is_floating_point() or tensor.dtype in (
                torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.uint16, torch.uint32)):
            raise errors.ImageInputError(f"{name} has dtype {tensor.dtype}; use uint8 (0-255) or float pixels.")
        return tensor.resolve_conj().resolve_neg().numpy()
    return image


def _array_to_rgb(image: Any, name: str, input_data_format: str | None, do_convert_rgb: bool) -> np.ndarray:
    """A (height, width, 3) array from a 2-D, channels-first or channels-last array of 1, 3 or 4 channels."""
    array = _as_numpy(image, name)
    if array.dtype.kind not in "uif":
        hint = " (multiply by 255 and cast to uint8)" if array.dtype.kind == "b" else ""
        raise errors.ImageInputError(f"{name} has dtype {array.dtype}; use uint8 (0-255) or float pixels{hint}.")
    if array.size == 0:
        raise errors.ImageInputError(f"{name} is empty (shape {array.shape}): an image needs at least one pixel.")
    if array.ndim == 2:
        array = array[:, :, None]
        input_data_format = CHANNELS_LAST
    elif array.ndim != 3:
        raise errors.ImageInputError(
            f"{name} has {array.ndim} dimensions; an image is (height, width), (height, width, channels) or "
            "(channels, height, width), and a batch is 4-D or a list."
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise errors.ImageInputError(f"{name} contains NaN or infinite values.")
    if input_data_format is None:
        first, last = array.shape[0] in (1, 3, 4), array.shape[2] in (1, 3, 4)
        if first and last:
            _warn_once(
                f"The channel dimension is ambiguous. Got image shape {array.shape}. Assuming channels are the "
                "first dimension. Use the input_data_format parameter to assign the channel dimension."
            )
        if first:
            input_data_format = CHANNELS_FIRST
        elif last:
            input_data_format = CHANNELS_LAST
        else:
            raise errors.ImageInputError(
                f"{name}: cannot tell which axis holds the colour channels: neither the first nor the last of "
                f"{array.shape} is 1, 3 or 4. Pass (height, width, 3) or (3, height, width)."
            )
    if input_data_format == CHANNELS_FIRST:
        array = np.moveaxis(array, 0, -1)
    channels = array.shape[-1]
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise errors.ImageInputError(f"{name} is empty: {array.shape[0]}x{array.shape[1]} pixels.")
    if channels == 3:
        return array
    if channels == 1:
        return np.repeat(array, 3, axis=-1)
    if channels == 4:
        if not do_convert_rgb:
            return array[..., :3]
        # transformers' convert_to_rgb: alpha-composite onto white
        integer = np.issubdtype(array.dtype, np.integer)
        if not integer and (array.min() < 0.0 or array.max() > 1.0):
            raise errors.ImageInputError(
                f"{name}: a float RGBA image must have values in [0, 1] to be composited onto white, got "
                f"[{array.min()}, {array.max()}]."
            )
        white = 255 if integer else 1.0
        alpha = array[..., 3:4] / white
        composite = alpha * array[..., :3] + (1 - alpha) * white
        return np.round(composite).astype(array.dtype) if integer else composite.astype(array.dtype)
    raise errors.ImageInputError(
        f"{name} has {channels} channels; use 1 (grayscale), 3 (RGB) or 4 (RGBA)."
    )


def _to_uint8_for_pil(array: np.ndarray, name: str) -> tuple[np.ndarray, bool]:
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


def _apply_values(x: np.ndarray, unscale: bool, rescale_factor: float | None,
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
def _value_table(unscale: bool, rescale_factor: float | None, mean: tuple[float, ...] | None,
                 std: tuple[float, ...] | None) -> np.ndarray | None:
    """(3, 256): the value each 8-bit pixel becomes in each channel; None when pixels stay uint8."""
    if not unscale and rescale_factor is None and mean is None:
        return None
    levels = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    table = np.ascontiguousarray(_apply_values(levels, unscale, rescale_factor, mean, std).T)
    table.setflags(write=False)
    return table


def _float32(value: Any) -> bool:
    """A number pixels can be computed with in float32: not a bool, not NaN, not beyond float32's range."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return False
    try:
        return abs(float(value)) <= float(np.finfo(np.float32).max)
    except OverflowError:  # an int beyond any float
        return False


def _three(values: Any, name: str) -> tuple[float, ...]:
    """image_mean / image_std as three floats (a single number is used for every channel)."""
    if isinstance(values, (int, float, np.number)) and not isinstance(values, bool):
        return (float(values),) * 3
    if isinstance(values, (list, tuple, np.ndarray)) and len(values) == 3 and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values):
        return tuple(float(v) for v in values)
    raise errors.ConfigValueError(f"{name}={values!r}: give one number or three (one per RGB channel).")


# --- the thread pool --------------------------------------------------------------------------------------------------

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_WORKERS = max(1, min(4, os.cpu_count() or 1))


def _forget_pool() -> None:
    """In a forked child (a DataLoader worker...) the parent's threads do not exist: start a new pool."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _map(function: Callable[[int], Any], count: int) -> list[Any]:
    """[function(0), ..., function(count - 1)], on the pool when there is more than one; every call has
    finished when this returns, and the first error (in order) is raised."""
    global _pool
    if count <= 1 or _WORKERS == 1:
        return [function(i) for i in range(count)]
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="explorer-image")
    futures = [_pool.submit(function, i) for i in range(count)]
    wait(futures)
    return [future.result() for future in futures]


# --- the processors ---------------------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    """One image after resize and crop: (height, width, 3) pixels, and what the values stage must know."""

    pixels: np.ndarray
    unscale: bool = False  # 8-bit pixels that transformers holds as value/255 floats (a [0, 1] float input)
    words: list[str] | None = None
    boxes: list[list[int]] | None = None


class BaseImageProcessor(Preprocessor):
    """The PIL-backend pipeline shared by the image processors: read, RGB, resize, center crop, rescale,
    normalise, pad. Subclasses set ``defaults`` (transformers' values for the class)."""

    type_key = "image_processor_type"
    part = "image_processor"
    model_input_names: ClassVar[list[str]] = ["pixel_values"]
    # how an int ``size`` is read: a square (True) or the shortest edge (False)
    default_to_square: ClassVar[bool] = True
    # arguments __call__ takes besides the images (transformers' valid_kwargs)
    call_arguments: ClassVar[tuple[str, ...]] = IMAGES_KWARGS
    # whether do_pad is honoured (transformers' PIL backend pads; some processors' own pipelines do not)
    pads: ClassVar[bool] = True
    # output channel c comes from RGB channel channel_order[c]
    channel_order: ClassVar[tuple[int, int, int]] = (0, 1, 2)
    # LayoutLMv2: no center crop, rescale or normalisation whatever the settings (as transformers)
    _ignores_values: ClassVar[bool] = False

    def __init__(self, **kwargs: Any) -> None:
        for key in self.class_keys:
            kwargs.pop(key, None)
        super().__init__(**self._standardize_sizes(kwargs))

    def _standardize_sizes(self, settings: dict[str, Any]) -> dict[str, Any]:
        """``size``, ``crop_size`` and ``pad_size`` in their dict form (an int ``size`` per default_to_square)."""
        square = settings.get("default_to_square")
        square = type(self).default_to_square if square is None else square
        if settings.get("size") is not None:
            settings["size"] = get_size_dict(settings["size"], default_to_square=square)
        for key in ("crop_size", "pad_size"):
            if settings.get(key) is not None:
                settings[key] = get_size_dict(settings[key], param_name=key)
        return settings

    def validate(self) -> None:
        self._check({name: getattr(self, name, None) for name in self.call_arguments}, calling=False)

    def to_dict(self) -> dict[str, Any]:
        """As transformers: a None whose class default is None (or unset) is left out."""
        data = super().to_dict()
        defaults = merged_defaults(type(self))
        for key in [key for key, value in data.items() if value is None]:
            default = defaults.get(key, getattr(type(self), key, None))
            if default is None or callable(default):
                del data[key]
        return data

    # --- options ------------------------------------------------------------------------------------------------------

    def _options(self, overrides: dict[str, Any]) -> dict[str, Any]:
        unknown = [name for name in overrides if name not in self.call_arguments]
        if unknown:
            raise errors.UnexpectedArgumentError(
                f"{type(self).__name__}() got an unexpected keyword argument {unknown[0]!r}."
                f"{errors.closest(unknown[0], self.call_arguments)} It takes: {', '.join(self.call_arguments)}."
            )
        options = self._standardize_sizes({**{name: getattr(self, name, None) for name in self.call_arguments},
                                           **overrides})
        self._check(options, calling=True)
        return options

    def _check(self, options: dict[str, Any], calling: bool) -> None:
        """Values that cannot work; with ``calling``, also the settings one step needs (transformers'
        validate_preprocess_arguments)."""
        resample = options.get("resample")
        if resample is not None and (isinstance(resample, bool) or not isinstance(resample, (int, np.integer))
                                     or not 0 <= int(resample) <= 5):
            raise errors.ConfigValueError(
                f"resample={resample!r}: use a PIL filter number: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, "
                "4 box, 5 hamming."
            )
        for key in ("image_mean", "image_std"):
            values = options.get(key)
            if values is None:
                continue
            if calling:  # a config with another number of values still loads, to be looked at
                values = _three(values, key)
            numbers = values if isinstance(values, (list, tuple, np.ndarray)) else [values]
            if not all(_float32(v) for v in numbers):
                raise errors.ConfigValueError(
                    f"{key}={options[key]!r}: give one number or three (one per RGB channel)."
                )
            if key == "image_std" and any(v == 0 for v in numbers):
                raise errors.ConfigValueError(f"image_std={options[key]!r} has a zero: it divides the pixels.")
        factor = options.get("rescale_factor")
        if factor is not None and not _float32(factor):
            raise errors.ConfigValueError(f"rescale_factor={factor!r} must be a number (transformers: 1/255).")
        _channel_format(options.get("data_format"), "data_format")
        _channel_format(options.get("input_data_format"), "input_data_format")
        if not calling:
            return
        if options["do_rescale"] and factor is None:
            raise errors.ConfigValueError("do_rescale is set but rescale_factor is None: give rescale_factor.")
        if options["do_normalize"] and (options["image_mean"] is None or options["image_std"] is None):
            raise errors.ConfigValueError("do_normalize is set: image_mean and image_std must both be given.")
        if options["do_center_crop"] and options["crop_size"] is None:
            raise errors.ConfigValueError("do_center_crop is set but crop_size is None: give crop_size.")
        if options["do_resize"] and (options["size"] is None or resample is None):
            raise errors.ConfigValueError("do_resize is set: size and resample must both be given.")
        if self.pads and options["do_pad"] and options["pad_size"] is None:
            raise errors.ConfigValueError("do_pad is set but pad_size is None: give pad_size (height and width).")
        if self.pads and options["do_pad"] and not {"height", "width"} <= set(options["pad_size"]):
            raise errors.ConfigValueError(f"pad_size={options['pad_size']} must have 'height' and 'width'.")
        if options["do_center_crop"] and not {"height", "width"} <= set(options["crop_size"]):
            raise errors.ConfigValueError(f"crop_size={options['crop_size']} must have 'height' and 'width'.")
        for key in ("size", "crop_size", "pad_size"):
            dims = options.get(key) or {}
            if MAX_IMAGE_PIXELS is not None and dims.get("height", 0) * dims.get("width", 0) > MAX_IMAGE_PIXELS:
                raise errors.ConfigValueError(
                    f"{key}={dims} is more than MAX_IMAGE_PIXELS ({MAX_IMAGE_PIXELS:,}) pixels per image. Raise "
                    "explorer.processing.image.MAX_IMAGE_PIXELS if you mean it."
                )

    # --- the call -----------------------------------------------------------------------------------------------------

    def __call__(self, images: Any, return_tensors: Any = None, **overrides: Any) -> BatchFeature:
        """Preprocess an image or a batch of images: ``pixel_values`` ('pt': a float32 [batch, 3, H, W]
        tensor; 'np': an array; None: a list of [3, H, W] arrays). Any setting can be overridden for the call."""
        return self.preprocess(images, return_tensors=return_tensors, **overrides)

    def preprocess(self, images: Any, return_tensors: Any = None, **overrides: Any) -> BatchFeature:
        options = self._options(overrides)
        options["return_tensors"] = return_tensors = getattr(return_tensors, "value", return_tensors)
        if return_tensors not in (None, "pt", "np"):
            raise errors.ImageInputError(f"return_tensors={return_tensors!r} is not supported; use 'pt', 'np' or None.")
        self._before_reading(options)
        flat: list[Any] = []
        _flatten(images, flat)
        if not flat:
            raise errors.ImageInputError("No images were given (an empty list): pass at least one image.")
        sources: list[_Source] = []
        try:
            # headers are read one by one (cheap, and the pixel limit is checked before any decoding) ...
            unique: dict[int, int] = {}
            first_of: list[int] = []
            for i, image in enumerate(flat):
                key = id(image) if isinstance(image, (Image.Image, str, os.PathLike)) else -1 - i
                if key not in unique:
                    unique[key] = len(sources)
                    name = f"images[{i}] ({_describe(image)})" if len(flat) > 1 else f"The image ({_describe(image)})"
                    sources.append(_read(image, name))
                first_of.append(unique[key])
            self._warn_if_rescaled(sources, options)
            # ... pixels are decoded, converted and resized on the pool
            prepared = _map(lambda i: self._prepare(sources[i], options), len(sources))
        finally:
            for source in sources:
                if source.file is not None:
                    source.file.close()
        return self._finish([prepared[k] for k in first_of], options)

    def _before_reading(self, options: dict[str, Any]) -> None:
        """A hook for what must be checked before any image is read."""

    def _warn_if_rescaled(self, sources: list[_Source], options: dict[str, Any]) -> None:
        """transformers' (4.x) rule: rescaling float images already in [0, 1] scales them twice."""
        if not options["do_rescale"] or self._ignores_values:
            return
        for source in sources:
            image = source.image
            if isinstance(image, np.ndarray) or is_tensor(image):
                array = _as_numpy(image, source.name)
                if array.dtype != np.uint8 and array.size and array.dtype.kind in "uif" \
                        and array.min() >= 0 and array.max() <= 1:
                    _warn_once(
                        "It looks like you are trying to rescale already rescaled images. If the input images "
                        "have pixel values between 0 and 1, set `do_rescale=False` to avoid rescaling them again."
                    )
                    return

    # --- one image (runs on the pool) ---------------------------------------------------------------------------------

    def _prepare(self, source: _Source, options: dict[str, Any]) -> _Prepared:
        try:
            return self._prepare_one(source, options)
        finally:
            if source.opened:  # free the decoded pixels of an image we read from a file or URL
                source.image.close()

    def _prepare_one(self, source: _Source, options: dict[str, Any]) -> _Prepared:
        image, name = source.image, source.name
        do_resize = bool(options["do_resize"])
        needs_pil = do_resize or self._needs_pil(options)
        pil: Image.Image | None = None
        unscale = False
        if isinstance(image, Image.Image):
            try:
                image.load()
            except Exception as exc:  # noqa: BLE001 - truncated or corrupt data; PIL raises many kinds
                raise errors.ImageInputError(f"{name} could not be decoded: {exc}") from None
            if source.opened:  # transformers' load_image: EXIF orientation, then convert("RGB")
                pil = _pil_to_rgb(_upright(image), False, name)
            else:
                pil = _pil_to_rgb(_upright(image), bool(options["do_convert_rgb"]), name)
            pixels = None
        else:
            pixels = _array_to_rgb(image, name, _channel_format(options["input_data_format"], "input_data_format"),
                                   bool(options["do_convert_rgb"]))
            if pixels.dtype.kind in "ui" and pixels.dtype != np.uint8:
                if pixels.min() >= 0 and pixels.max() <= 255:
                    pixels = pixels.astype(np.uint8)
                elif needs_pil:
                    raise errors.ImageInputError(
                        f"{name} has integer values in [{pixels.min()}, {pixels.max()}], outside [0, 255]: scale "
                        "it to 8 bits (0-255) or to floats in [0, 1]."
                    )
                else:
                    pixels = pixels.astype(np.float64)
            if needs_pil:
                pixels, unscale = _to_uint8_for_pil(pixels, name)
                pil = Image.fromarray(np.ascontiguousarray(pixels))
        words = boxes = None
        if self._needs_pil(options):
            assert pil is not None
            words, boxes = self._ocr(pil, options)
        if do_resize:
            assert pil is not None
            pixels = self._resize(pil, options)
        elif pixels is None:
            assert pil is not None
            pixels = np.asarray(pil)
        if options["do_center_crop"] and not self._ignores_values:
            pixels = center_crop(pixels, options["crop_size"]["height"], options["crop_size"]["width"])
        return _Prepared(pixels, unscale, words, boxes)

    def _needs_pil(self, options: dict[str, Any]) -> bool:
        """Whether a PIL image is needed besides resizing (LayoutLMv2's OCR)."""
        return False

    def _ocr(self, image: Image.Image, options: dict[str, Any]) -> tuple[list[str], list[list[int]]]:
        raise NotImplementedError

    def _resize(self, image: Image.Image, options: dict[str, Any]) -> np.ndarray:
        height, width = resize_target(image.height, image.width, options["size"])
        return _pil_resize(image, height, width, options["resample"])

    # --- the batch ----------------------------------------------------------------------------------------------------

    def _value_settings(self, options: dict[str, Any]) -> tuple[float | None, tuple | None, tuple | None]:
        """(rescale_factor or None, mean or None, std or None) for this call."""
        if self._ignores_values:
            return None, None, None
        factor = float(options["rescale_factor"]) if options["do_rescale"] else None
        if options["do_normalize"]:
            return factor, _three(options["image_mean"], "image_mean"), _three(options["image_std"], "image_std")
        return factor, None, None

    def _finish(self, prepared: list[_Prepared], options: dict[str, Any]) -> BatchFeature:
        factor, mean, std = self._value_settings(options)
        last = _channel_format(options["data_format"], "data_format") == CHANNELS_LAST
        order = self.channel_order
        shapes = {(p.pixels.shape, p.pixels.dtype == np.uint8, p.unscale) for p in prepared}
        if len(shapes) == 1 and prepared[0].pixels.dtype == np.uint8:
            # one batch array, filled image by image on the pool through one table lookup per channel
            table = _value_table(prepared[0].unscale, factor, mean, std)
            out = _output(prepared[0].pixels, table, last, count=len(prepared))
            _map(lambda b: _map_uint8(prepared[b].pixels, table, order, last, out[b]), len(prepared))
            values: list[np.ndarray] | np.ndarray = out
        else:
            values = [self._values_of_one(p, factor, mean, std, order, last) for p in prepared]
            if len({(v.shape, v.dtype) for v in values}) > 1:
                dtype = np.result_type(*[v.dtype for v in values])
                values = [v.astype(dtype, copy=False) for v in values]
        if self.pads and options["do_pad"]:
            values = _pad(values, options["pad_size"]["height"], options["pad_size"]["width"], last)
        pixel_values = self._to_tensors(values, options)
        data = BatchFeature({"pixel_values": pixel_values})
        if prepared[0].words is not None:
            data["words"] = [p.words for p in prepared]
            data["boxes"] = [p.boxes for p in prepared]
        return data

    @staticmethod
    def _values_of_one(p: _Prepared, factor: float | None, mean: tuple | None, std: tuple | None,
                       order: tuple[int, int, int], last: bool) -> np.ndarray:
        if p.pixels.dtype == np.uint8:
            table = _value_table(p.unscale, factor, mean, std)
            return _map_uint8(p.pixels, table, order, last, _output(p.pixels, table, last))
        x = _apply_values(p.pixels, False, factor, mean, std)  # float32 once rescaled, else the input's float dtype
        if order != (0, 1, 2):
            x = x[..., list(order)]
        return np.ascontiguousarray(x if last else np.moveaxis(x, -1, 0))

    @staticmethod
    def _to_tensors(values: list[np.ndarray] | np.ndarray, options: dict[str, Any]) -> Any:
        kind = options["return_tensors"]
        if kind is None:
            return list(values)
        if not isinstance(values, np.ndarray):
            shapes = {v.shape for v in values}
            if len(shapes) > 1:
                raise errors.ImageInputError(
                    "The images have different sizes after preprocessing "
                    f"({', '.join(str(s) for s in sorted(shapes))}) "
                    "and cannot stack into one tensor: resize them to one size (do_resize with a height and width, or "
                    "do_center_crop), pad them (do_pad), or pass return_tensors=None for a list."
                )
            values = np.stack(values)
        if kind == "np":
            return values
        import torch

        tensor = torch.from_numpy(values)
        return tensor.to(options["device"]) if options["device"] is not None else tensor


def _pil_resize(image: Image.Image, height: int, width: int, resample: Any) -> np.ndarray:
    if height < 1 or width < 1:
        raise errors.ImageInputError(
            f"Resizing a {image.width}x{image.height} image to {width}x{height} leaves no pixels: its aspect ratio "
            "is too extreme for these size settings."
        )
    _check_pixels(height, width, f"Resizing a {image.width}x{image.height} image gives an image that")
    return np.asarray(image.resize((width, height), resample=int(resample)))


def _output(pixels: np.ndarray, table: np.ndarray | None, last: bool, count: int | None = None) -> np.ndarray:
    """An empty array for the values of (height, width, 3) ``pixels`` (``count`` of them when given)."""
    height, width = pixels.shape[:2]
    shape = (height, width, 3) if last else (3, height, width)
    return np.empty(shape if count is None else (count, *shape), dtype=np.uint8 if table is None else table.dtype)


def _map_uint8(pixels: np.ndarray, table: np.ndarray | None, order: tuple[int, int, int], last: bool,
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


def _pad(values: list[np.ndarray] | np.ndarray, height: int, width: int, last: bool) -> np.ndarray | list:
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


class ViTImageProcessor(BaseImageProcessor):
    """ViT's image processor (also Swin's and DeiT's): resize to 224x224 (bilinear), rescale by 1/255,
    normalise with mean and std 0.5."""

    defaults: ClassVar[dict[str, Any]] = {
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": IMAGENET_STANDARD_MEAN,
        "image_std": IMAGENET_STANDARD_STD,
        "resample": 2,
        "rescale_factor": 1 / 255,
        "size": {"height": 224, "width": 224},
    }


class ConvNextImageProcessor(BaseImageProcessor):
    """ConvNeXT's image processor (also ResNet's): below a shortest edge of 384, resize the shortest edge to
    ``shortest_edge / crop_pct`` and center-crop a ``shortest_edge`` square; at 384 and above, warp to a square."""

    default_to_square = False
    call_arguments = IMAGES_KWARGS + ("crop_pct",)
    pads = False  # transformers' ConvNeXT pipeline does not pad
    defaults: ClassVar[dict[str, Any]] = {
        "crop_pct": 224 / 256,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": IMAGENET_STANDARD_MEAN,
        "image_std": IMAGENET_STANDARD_STD,
        "resample": 3,
        "rescale_factor": 1 / 255,
        "size": {"shortest_edge": 384},
    }

    def _check(self, options: dict[str, Any], calling: bool) -> None:
        super()._check(options, calling)
        crop_pct = options.get("crop_pct")
        if crop_pct is not None and (isinstance(crop_pct, bool) or not isinstance(crop_pct, (int, float))
                                     or crop_pct <= 0):
            raise errors.ConfigValueError(f"crop_pct={crop_pct!r} must be a positive number (224/256 = 0.875).")
        if not (calling and options["do_resize"]):
            return
        if not options["size"].get("shortest_edge"):
            raise errors.ConfigValueError(
                f"size={options['size']}: ConvNextImageProcessor resizes by 'shortest_edge' "
                "(e.g. {'shortest_edge': 224})."
            )
        if options["size"]["shortest_edge"] < 384 and crop_pct is None:
            raise errors.ConfigValueError("crop_pct is None: below a shortest_edge of 384 it is needed (e.g. 0.875).")

    def _resize(self, image: Image.Image, options: dict[str, Any]) -> np.ndarray:
        shortest_edge, resample = options["size"]["shortest_edge"], options["resample"]
        if shortest_edge < 384:
            height, width = shortest_edge_size(image.height, image.width, int(shortest_edge / options["crop_pct"]))
            return center_crop(_pil_resize(image, height, width, resample), shortest_edge, shortest_edge)
        return _pil_resize(image, shortest_edge, shortest_edge, resample)


class CLIPImageProcessor(BaseImageProcessor):
    """CLIP's image processor: RGB (transparency over white), resize the shortest edge to 224 (bicubic),
    center-crop 224x224, rescale by 1/255, normalise with OpenAI CLIP's mean and std."""

    default_to_square = False
    defaults: ClassVar[dict[str, Any]] = {
        "crop_size": {"height": 224, "width": 224},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": OPENAI_CLIP_MEAN,
        "image_std": OPENAI_CLIP_STD,
        "resample": 3,
        "rescale_factor": 1 / 255,
        "size": {"shortest_edge": 224},
    }

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.pop("use_square_size", False):  # transformers' backward compatibility for KOSMOS-2
            edge = self.defaults["size"]["shortest_edge"]
            kwargs["size"] = {"height": edge, "width": edge}
        super().__init__(**kwargs)


class LayoutLMv2ImageProcessor(BaseImageProcessor):
    """LayoutLMv2's image processor: resize to 224x224 (bilinear), no rescaling or normalisation (the model
    does it), channels flipped to BGR (Detectron2's order); pixel values stay uint8 as in transformers. With
    ``apply_ocr`` (the default) Tesseract reads the page first: ``words`` and their ``boxes`` (0-1000)."""

    call_arguments = IMAGES_KWARGS + ("apply_ocr", "ocr_lang", "tesseract_config")
    pads = False
    channel_order = (2, 1, 0)
    _ignores_values = True  # transformers' LayoutLMv2 pipeline neither rescales, normalises nor crops
    defaults: ClassVar[dict[str, Any]] = {
        "apply_ocr": True,
        "do_resize": True,
        "resample": 2,
        "size": {"height": 224, "width": 224},
        "tesseract_config": "",
    }

    def _before_reading(self, options: dict[str, Any]) -> None:
        if options["apply_ocr"]:
            _pytesseract()

    def _needs_pil(self, options: dict[str, Any]) -> bool:
        return bool(options["apply_ocr"])

    def _ocr(self, image: Image.Image, options: dict[str, Any]) -> tuple[list[str], list[list[int]]]:
        return apply_tesseract(image, options["ocr_lang"], options["tesseract_config"])


_OCR_INSTALL = (
    "Install the Python wrapper with `pip install pytesseract` and the Tesseract program itself "
    "(`apt-get install tesseract-ocr` on Debian/Ubuntu, `brew install tesseract` on macOS), or pass "
    "apply_ocr=False and give the words and boxes yourself."
)


def _pytesseract() -> Any:
    try:
        import pytesseract
    except ImportError:
        raise errors.MissingDependencyError(f"apply_ocr=True needs pytesseract, which is not installed. {_OCR_INSTALL}") from None
    return pytesseract


def normalize_box(box: list[int], width: int, height: int) -> list[int]:
    """A (left, top, right, bottom) pixel box on a 0-1000 scale, as LayoutLM expects."""
    return [
        int(1000 * (box[0] / width)),
        int(1000 * (box[1] / height)),
        int(1000 * (box[2] / width)),
        int(1000 * (box[3] / height)),
    ]


def apply_tesseract(image: Image.Image, lang: str | None, tesseract_config: str | None = None
                    ) -> tuple[list[str], list[list[int]]]:
    """Tesseract OCR on a page: its non-empty words and their boxes normalised to 0-1000 (transformers'
    ``apply_tesseract``)."""
    pytesseract = _pytesseract()
    not_found = getattr(pytesseract, "TesseractNotFoundError", ())
    try:
        data = pytesseract.image_to_data(image, lang=lang, output_type="dict",
                                         config=tesseract_config if tesseract_config is not None else "")
    except not_found:
        raise errors.MissingDependencyError(
            f"pytesseract is installed but the tesseract program is not. {_OCR_INSTALL}"
        ) from None
    width, height = image.size
    words, boxes = [], []
    for word, left, top, w, h in zip(data["text"], data["left"], data["top"], data["width"], data["height"]):
        if not str(word).strip():
            continue
        words.append(word)
        boxes.append(normalize_box([left, top, left + w, top + h], width, height))
    return words, boxes


__all__ = [
    "BaseImageProcessor",
    "CLIPImageProcessor",
    "ConvNextImageProcessor",
    "LayoutLMv2ImageProcessor",
    "ViTImageProcessor",
    "apply_tesseract",
    "get_size_dict",
]
