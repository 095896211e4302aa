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
decoding and resampling). Steps 1-2 live in :mod:`explorer.processing.image_input`, steps 3-5 and padding in
:mod:`explorer.processing.image_transforms`, the pool in :mod:`explorer.processing.image_pool` and LayoutLMv2's
OCR in :mod:`explorer.processing.ocr`; this module holds the processors and the limits they apply.

Where explorer differs from transformers, on purpose: a PIL image passed in is also turned upright by its
EXIF tag (transformers does this only for paths and URLs); images always come out with 3 channels (RGB, or
BGR for LayoutLMv2), where transformers keeps 1, 2 or 4 channels or fails (a ViT fed an RGBA, palette or
grayscale image); 2-D arrays are grayscale images; an empty batch, an image above MAX_IMAGE_PIXELS and
a resize that would produce one are refused; ``data_format="channels_last"`` is honoured (transformers' PIL
backend ignores it).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from .. import errors
from ..batch import BatchFeature, is_tensor
from ..configuration import merged_defaults
from . import Preprocessor
from .image_input import (
    CHANNELS_LAST,
    ImageSource,
    array_to_rgb,
    as_numpy,
    channel_format,
    describe_image,
    flatten_batch,
    pil_to_rgb,
    read_image,
    upright,
)
from .image_pool import map_on_pool
from .image_transforms import (
    apply_values,
    center_crop,
    empty_output,
    fits_float32,
    get_size_dict,
    map_uint8,
    pad_values,
    pil_resize,
    resize_target,
    shortest_edge_size,
    three_values,
    to_uint8_for_pil,
    value_table,
)
from .ocr import apply_tesseract, import_pytesseract

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

# the per-call arguments every image processor takes (transformers' ImagesKwargs)
IMAGES_KWARGS = (
    "do_convert_rgb", "do_resize", "size", "default_to_square", "crop_size", "resample", "do_rescale",
    "rescale_factor", "do_normalize", "image_mean", "image_std", "do_pad", "pad_size", "do_center_crop",
    "data_format", "input_data_format", "device", "return_tensors", "disable_grouping", "image_seq_length",
)

_warned: set[str] = set()  # the warnings already given in this process


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
                values = three_values(values, key)
            numbers = values if isinstance(values, (list, tuple, np.ndarray)) else [values]
            if not all(fits_float32(v) for v in numbers):
                raise errors.ConfigValueError(
                    f"{key}={options[key]!r}: give one number or three (one per RGB channel)."
                )
            if key == "image_std" and any(v == 0 for v in numbers):
                raise errors.ConfigValueError(f"image_std={options[key]!r} has a zero: it divides the pixels.")
        factor = options.get("rescale_factor")
        if factor is not None and not fits_float32(factor):
            raise errors.ConfigValueError(f"rescale_factor={factor!r} must be a number (transformers: 1/255).")
        channel_format(options.get("data_format"), "data_format")
        channel_format(options.get("input_data_format"), "input_data_format")
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
        flatten_batch(images, flat)
        if not flat:
            raise errors.ImageInputError("No images were given (an empty list): pass at least one image.")
        sources: list[ImageSource] = []
        try:
            # headers are read one by one (cheap, and the pixel limit is checked before any decoding) ...
            unique: dict[int, int] = {}
            first_of: list[int] = []
            for i, image in enumerate(flat):
                key = id(image) if isinstance(image, (Image.Image, str, os.PathLike)) else -1 - i
                if key not in unique:
                    unique[key] = len(sources)
                    name = f"images[{i}] ({describe_image(image)})" if len(flat) > 1 else f"The image ({describe_image(image)})"
                    sources.append(read_image(image, name, MAX_IMAGE_PIXELS, MAX_DOWNLOAD_BYTES, URL_TIMEOUT))
                first_of.append(unique[key])
            self._warn_if_rescaled(sources, options)
            # ... pixels are decoded, converted and resized on the pool
            prepared = map_on_pool(lambda i: self._prepare(sources[i], options), len(sources))
        finally:
            for source in sources:
                if source.file is not None:
                    source.file.close()
        return self._finish([prepared[k] for k in first_of], options)

    def _before_reading(self, options: dict[str, Any]) -> None:
        """A hook for what must be checked before any image is read."""

    def _warn_if_rescaled(self, sources: list[ImageSource], options: dict[str, Any]) -> None:
        """transformers' (4.x) rule: rescaling float images already in [0, 1] scales them twice."""
        if not options["do_rescale"] or self._ignores_values:
            return
        for source in sources:
            image = source.image
            if isinstance(image, np.ndarray) or is_tensor(image):
                array = as_numpy(image, source.name)
                if array.dtype != np.uint8 and array.size and array.dtype.kind in "uif" \
                        and array.min() >= 0 and array.max() <= 1:
                    errors.warn_once(
                        logger,
                        "It looks like you are trying to rescale already rescaled images. If the input images "
                        "have pixel values between 0 and 1, set `do_rescale=False` to avoid rescaling them again.",
                        _warned,
                    )
                    return

    # --- one image (runs on the pool) ---------------------------------------------------------------------------------

    def _prepare(self, source: ImageSource, options: dict[str, Any]) -> _Prepared:
        try:
            return self._prepare_one(source, options)
        finally:
            if source.opened:  # free the decoded pixels of an image we read from a file or URL
                source.image.close()

    def _prepare_one(self, source: ImageSource, options: dict[str, Any]) -> _Prepared:
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
                pil = pil_to_rgb(upright(image), False, name)
            else:
                pil = pil_to_rgb(upright(image), bool(options["do_convert_rgb"]), name)
            pixels = None
        else:
            pixels = array_to_rgb(image, name, channel_format(options["input_data_format"], "input_data_format"),
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
                pixels, unscale = to_uint8_for_pil(pixels, name)
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
        return pil_resize(image, height, width, options["resample"], MAX_IMAGE_PIXELS)

    # --- the batch ----------------------------------------------------------------------------------------------------

    def _value_settings(self, options: dict[str, Any]) -> tuple[float | None, tuple | None, tuple | None]:
        """(rescale_factor or None, mean or None, std or None) for this call."""
        if self._ignores_values:
            return None, None, None
        factor = float(options["rescale_factor"]) if options["do_rescale"] else None
        if options["do_normalize"]:
            return factor, three_values(options["image_mean"], "image_mean"), three_values(options["image_std"], "image_std")
        return factor, None, None

    def _finish(self, prepared: list[_Prepared], options: dict[str, Any]) -> BatchFeature:
        factor, mean, std = self._value_settings(options)
        last = channel_format(options["data_format"], "data_format") == CHANNELS_LAST
        order = self.channel_order
        shapes = {(p.pixels.shape, p.pixels.dtype == np.uint8, p.unscale) for p in prepared}
        if len(shapes) == 1 and prepared[0].pixels.dtype == np.uint8:
            # one batch array, filled image by image on the pool through one table lookup per channel
            table = value_table(prepared[0].unscale, factor, mean, std)
            out = empty_output(prepared[0].pixels, table, last, count=len(prepared))
            map_on_pool(lambda b: map_uint8(prepared[b].pixels, table, order, last, out[b]), len(prepared))
            values: list[np.ndarray] | np.ndarray = out
        else:
            values = [self._values_of_one(p, factor, mean, std, order, last) for p in prepared]
            if len({(v.shape, v.dtype) for v in values}) > 1:
                dtype = np.result_type(*[v.dtype for v in values])
                values = [v.astype(dtype, copy=False) for v in values]
        if self.pads and options["do_pad"]:
            values = pad_values(values, options["pad_size"]["height"], options["pad_size"]["width"], last)
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
            table = value_table(p.unscale, factor, mean, std)
            return map_uint8(p.pixels, table, order, last, empty_output(p.pixels, table, last))
        x = apply_values(p.pixels, False, factor, mean, std)  # float32 once rescaled, else the input's float dtype
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
            resized = pil_resize(image, height, width, resample, MAX_IMAGE_PIXELS)
            return center_crop(resized, shortest_edge, shortest_edge)
        return pil_resize(image, shortest_edge, shortest_edge, resample, MAX_IMAGE_PIXELS)


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
            import_pytesseract()

    def _needs_pil(self, options: dict[str, Any]) -> bool:
        return bool(options["apply_ocr"])

    def _ocr(self, image: Image.Image, options: dict[str, Any]) -> tuple[list[str], list[list[int]]]:
        return apply_tesseract(image, options["ocr_lang"], options["tesseract_config"])



__all__ = [
    "BaseImageProcessor",
    "CLIPImageProcessor",
    "ConvNextImageProcessor",
    "LayoutLMv2ImageProcessor",
    "ViTImageProcessor",
    "apply_tesseract",
    "get_size_dict",
]

