"""Reading images: any accepted input (a PIL image, a path, an ``http(s)://`` URL, a base64 string, a numpy
array or torch tensor, a batch of them) into an upright RGB PIL image or a (height, width, 3) array.

Files and URLs are opened with Pillow reading the header first, so an image above the pixel limit (a possible
decompression bomb) is refused before any pixel is allocated. Arrays are read as ``(height, width)``,
``(height, width, channels)`` or ``(channels, height, width)`` (transformers' rule: the axis of size 1, 3 or
4, the first one when both could be). The EXIF orientation of a photo is applied; every mode becomes RGB,
transparency composited onto white when asked (transformers' ``convert_to_rgb``), else dropped.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import os
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .. import errors
from ..batch import is_tensor
from ..hub import download_url

logger = logging.getLogger(__name__)

CHANNELS_FIRST, CHANNELS_LAST = "channels_first", "channels_last"
_HIGH_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")

_warned: set[str] = set()  # the warnings already given in this process


def check_pixels(height: int, width: int, what: str, max_pixels: int | None) -> None:
    """Refuse an image of more than ``max_pixels`` (None: no limit) as a possible decompression bomb."""
    if max_pixels is not None and height * width > max_pixels:
        raise errors.ImageInputError(
            f"{what} is {width}x{height} = {height * width:,} pixels, more than the limit of {max_pixels:,} "
            "(a possible decompression bomb). If you trust it, raise "
            "explorer.processing.image.MAX_IMAGE_PIXELS (None lifts the limit)."
        )


# --- reading images ---------------------------------------------------------------------------------------------------


@dataclass
class ImageSource:
    """One image of the batch as read (before conversion): a PIL image or an array, and what it came from."""

    image: Any
    name: str
    opened: bool = False  # we opened it from a path or URL: apply transformers' load_image (EXIF + RGB)
    file: Any = None  # the file object to close once the batch is done


def flatten_batch(images: Any, out: list[Any]) -> None:
    """A batch as a flat list: lists and tuples (nested too) and 4-D arrays are batches."""
    if isinstance(images, (list, tuple)):
        for item in images:
            flatten_batch(item, out)
    elif (isinstance(images, np.ndarray) or is_tensor(images)) and images.ndim == 4:
        out.extend(images[i] for i in range(images.shape[0]))
    else:
        out.append(images)


def describe_image(image: Any) -> str:
    """The input as error messages name it: a path (shortened), an array's shape, else its type."""
    if isinstance(image, (str, os.PathLike)):
        text = os.fspath(image)
        return repr(text if len(text) <= 80 else text[:77] + "...")
    if isinstance(image, np.ndarray) or is_tensor(image):
        return f"{type(image).__name__} of shape {tuple(image.shape)}"
    return type(image).__name__


def read_image(image: Any, name: str, max_pixels: int | None, max_download_bytes: int, url_timeout: float
               ) -> ImageSource:
    """A PIL image (opened lazily: only its header is read) or an array, checked for size: at most
    ``max_pixels``, and a URL's download at most ``max_download_bytes`` within ``url_timeout`` seconds."""
    if isinstance(image, Image.Image):
        if image.width == 0 or image.height == 0:
            raise errors.ImageInputError(f"{name} is an empty {image.width}x{image.height} image.")
        check_pixels(image.height, image.width, name, max_pixels)
        return ImageSource(image, name)
    if isinstance(image, np.ndarray) or is_tensor(image):
        return ImageSource(image, name)
    if isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        if isinstance(image, str) and path.startswith(("http://", "https://")):
            data = download_url(path, errors.ImageInputError, max_download_bytes, url_timeout)
            return _open_bytes(data, name, max_pixels)
        if os.path.isfile(path):  # not a folder, a pipe or a device: nothing that could block or never end
            return _open_file(path, name, max_pixels)
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
        return _open_bytes(data, name, max_pixels)
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


def _open_file(path: str, name: str, max_pixels: int | None) -> ImageSource:
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed when the batch is done
    except OSError as exc:
        raise errors.ImageInputError(f"{name}: cannot read the file ({exc.strerror or exc}).") from None
    try:
        source = _open_stream(handle, name, max_pixels)
    except BaseException:
        handle.close()
        raise
    source.file = handle
    return source


def _open_bytes(data: bytes, name: str, max_pixels: int | None) -> ImageSource:
    return _open_stream(io.BytesIO(data), name, max_pixels)


def _open_stream(stream: Any, name: str, max_pixels: int | None) -> ImageSource:
    """Image.open reads only the header: the pixel count is checked before anything is decoded."""
    with warnings.catch_warnings():
        # our own limit (max_pixels) decides; PIL's hard limit (twice its default) still raises
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
    check_pixels(image.height, image.width, name, max_pixels)
    return ImageSource(image, name, opened=True)


# --- conversion to RGB ------------------------------------------------------------------------------------------------


def upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF Orientation tag says (photos from phones and cameras)."""
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - an unreadable EXIF block, whatever PIL raises: use the pixels as stored
        return image
    return ImageOps.exif_transpose(image) if orientation in (2, 3, 4, 5, 6, 7, 8) else image


def pil_to_rgb(image: Image.Image, do_convert_rgb: bool, name: str) -> Image.Image:
    """RGB as transformers: with do_convert_rgb its convert_to_rgb (transparency over white), else
    ``convert("RGB")`` (transparency dropped)."""
    if image.mode in _HIGH_BIT_MODES:
        low, high = image.getextrema()
        if low < 0 or high > 255:
            errors.warn_once(
                logger,
                f"{name} has mode {image.mode} with values in [{low}, {high}]; converting it to RGB clips them to "
                "[0, 255] (as transformers). Scale it to 8 bits first for a faithful picture.",
                _warned,
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


def channel_format(value: Any, name: str) -> str | None:
    """A ``data_format`` setting (a string or transformers' ChannelDimension) as a string or None."""
    value = getattr(value, "value", value)
    if value is None or value in (CHANNELS_FIRST, CHANNELS_LAST):
        return value
    raise errors.ConfigValueError(f"{name}={value!r}: use {CHANNELS_FIRST!r} or {CHANNELS_LAST!r}.")


def as_numpy(image: Any, name: str) -> np.ndarray:
    """A torch tensor as a CPU numpy array of a pixel dtype (bfloat16 as float32); an array as it is."""
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


def array_to_rgb(image: Any, name: str, input_data_format: str | None, do_convert_rgb: bool) -> np.ndarray:
    """A (height, width, 3) array from a 2-D, channels-first or channels-last array of 1, 3 or 4 channels."""
    array = as_numpy(image, name)
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
            errors.warn_once(
                logger,
                f"The channel dimension is ambiguous. Got image shape {array.shape}. Assuming channels are the "
                "first dimension. Use the input_data_format parameter to assign the channel dimension.",
                _warned,
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
