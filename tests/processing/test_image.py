"""explorer's image processors against transformers' (its PIL backend, what transformers runs without
torchvision): the same settings, printed and saved alike, and the same ``pixel_values`` within 1e-5 for every
input transformers accepts. Inputs transformers refuses or misreads (RGBA or palette images for ViT, 2-D
arrays...) work here and equal transformers on the RGB image."""

from __future__ import annotations

import base64
import functools
import http.server
import io
import json
import logging
import os
import signal
import struct
import sys
import threading
import time
import types
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers
from PIL import Image, ImageOps

from explorer import errors
from explorer.auto import AutoImageProcessor
from explorer.batch import BatchFeature
from explorer.processing import image as image_module
from explorer.processing.image import (
    CLIPImageProcessor,
    ConvNextImageProcessor,
    LayoutLMv2ImageProcessor,
    ViTImageProcessor,
)

# name -> (explorer class, transformers class, settings)
PAIRS = {
    "vit": (ViTImageProcessor, transformers.ViTImageProcessorPil, {}),
    "convnext": (ConvNextImageProcessor, transformers.ConvNextImageProcessorPil, {}),
    "convnext-224": (ConvNextImageProcessor, transformers.ConvNextImageProcessorPil, {"size": {"shortest_edge": 224}}),
    "clip": (CLIPImageProcessor, transformers.CLIPImageProcessorPil, {}),
    "layoutlmv2": (LayoutLMv2ImageProcessor, transformers.LayoutLMv2ImageProcessorPil, {"apply_ocr": False}),
}
NAMES = list(PAIRS)
CONVERTS_RGB = {"clip"}  # processors whose transformers twin converts any PIL mode to RGB itself


@functools.cache
def pair(name: str):
    ours_class, theirs_class, settings = PAIRS[name]
    return ours_class(**settings), theirs_class(**settings)


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """An RGB picture with structure (gradients, a disc) and noise, so that resizing and turning matter."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    disc = ((x - width * 0.3) ** 2 + (y - height * 0.4) ** 2) < (min(width, height) * 0.25) ** 2
    pixels = np.stack([255 * x / max(width, 1), 255 * y / max(height, 1), 120 + 100 * disc], axis=-1)
    pixels += rng.normal(0, 12, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def as_numpy(value):
    return value.numpy() if torch.is_tensor(value) else np.asarray(value)


def assert_same(got: BatchFeature, expected, atol: float = 1e-5) -> None:
    assert isinstance(got, BatchFeature)
    a, b = got["pixel_values"], expected["pixel_values"]
    if isinstance(b, list):
        assert isinstance(a, list) and len(a) == len(b)
        pairs = list(zip(a, b))
    else:
        assert type(a) is type(b)
        pairs = [(a, b)]
    for x, y in pairs:
        x, y = as_numpy(x), as_numpy(y)
        assert x.shape == y.shape
        assert x.dtype == y.dtype
        np.testing.assert_allclose(x.astype(np.float64), y.astype(np.float64), rtol=0, atol=atol)


def compare(name: str, images, reference=None, return_tensors="pt", **overrides) -> BatchFeature:
    """explorer on ``images`` equals transformers on ``reference`` (default: the same images)."""
    ours, theirs = pair(name)
    expected = theirs(images if reference is None else reference, return_tensors=return_tensors, **overrides)
    got = ours(images, return_tensors=return_tensors, **overrides)
    assert_same(got, expected)
    return got


def json_of(processor) -> dict:
    return json.loads(processor.to_json_string())


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Each test sees explorer's once-only log warnings afresh."""
    monkeypatch.setattr(image_module, "_warned", set())


# --- settings, printing, the tutorial ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_repr_equals_transformers(name):
    ours, theirs = pair(name)
    their_name = type(theirs).__name__
    assert their_name == type(ours).__name__ + "Pil"  # transformers' PIL fallback of the same class
    assert repr(ours) == type(ours).__name__ + repr(theirs)[len(their_name):]
    assert ours.to_json_string() == theirs.to_json_string()


@pytest.mark.parametrize("name, settings", [
    ("vit", {"size": 384}),
    ("vit", {"size": [300, 200], "do_convert_rgb": True, "image_mean": 0.4, "image_std": [0.2, 0.3, 0.4]}),
    ("vit", {"rescale_factor": None, "do_convert_rgb": None}),
    ("vit", {"default_to_square": False, "size": 200}),
    ("clip", {"size": 256, "crop_size": 240}),
    ("clip", {"use_square_size": True}),
    ("convnext", {"size": 224, "crop_pct": 0.9}),
    ("layoutlmv2", {"ocr_lang": "eng", "rescale_factor": None, "tesseract_config": "--psm 6"}),
    ("layoutlmv2", {"apply_ocr": False, "size": 512}),
])
def test_settings_print_as_transformers(name, settings):
    ours_class, theirs_class, _ = PAIRS[name]
    assert json_of(ours_class(**settings)) == json_of(theirs_class(**settings))


def tutorial_vit_folder(tmp_path: Path) -> Path:
    """google/vit-base-patch16-224's preprocessor_config.json (a legacy feature extractor config, int size)."""
    folder = tmp_path / "vit-base-patch16-224"
    folder.mkdir()
    (folder / "preprocessor_config.json").write_text(json.dumps({
        "do_normalize": True, "do_resize": True, "feature_extractor_type": "ViTFeatureExtractor",
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "resample": 2, "size": 224,
    }))
    (folder / "config.json").write_text(json.dumps({"model_type": "vit"}))
    return folder


def test_tutorial_lesson_2(tmp_path):
    folder = tutorial_vit_folder(tmp_path)
    processor = AutoImageProcessor.from_pretrained(folder)
    assert type(processor) is ViTImageProcessor
    printed = repr(processor)
    assert printed.startswith("ViTImageProcessor {")
    assert json.loads(printed[len("ViTImageProcessor "):]) == {
        "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
        "image_processor_type": "ViTImageProcessor", "resample": 2, "rescale_factor": 0.00392156862745098,
        "size": {"height": 224, "width": 224},
    }
    theirs = transformers.AutoImageProcessor.from_pretrained(folder)
    assert processor.to_json_string() == theirs.to_json_string()
    picture = photo(640, 480)
    inputs = processor(picture, return_tensors="pt")
    assert isinstance(inputs, BatchFeature)
    assert list(inputs.pixel_values.shape) == [1, 3, 224, 224]
    assert inputs.pixel_values.dtype == torch.float32
    assert_same(inputs, theirs(picture, return_tensors="pt"))


# --- sizes and return types -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1, 1), (3, 500), (500, 3), (640, 480), (480, 640), (37, 41), (224, 224)])
@pytest.mark.parametrize("name", NAMES)
def test_image_sizes(name, size):
    compare(name, photo(*size, seed=size[0]))


@pytest.mark.parametrize("return_tensors", ["pt", "np", None])
@pytest.mark.parametrize("name", NAMES)
def test_return_types(name, return_tensors):
    images = [photo(64, 48, seed=1), photo(40, 90, seed=2)]
    got = compare(name, images, return_tensors=return_tensors)
    values = got["pixel_values"]
    expected_type = {"pt": torch.Tensor, "np": np.ndarray, None: list}[return_tensors]
    assert isinstance(values, expected_type)
    if return_tensors is not None:
        assert values.shape[:2] == (2, 3)
        assert str(values.dtype).endswith("uint8" if name == "layoutlmv2" else "float32")


def test_pixel_values_move_with_to():
    inputs = ViTImageProcessor()(photo(30, 20), return_tensors="pt").to(torch.float16)
    assert inputs.pixel_values.dtype == torch.float16


# --- PIL modes, EXIF --------------------------------------------------------------------------------------------------


def image_in_mode(mode: str) -> Image.Image:
    rgb = photo(37, 29, seed=3)
    if mode == "I;16":
        return Image.fromarray(np.asarray(rgb.convert("L")).astype(np.uint16) * 3)  # 0..765: clipped to 255
    if mode == "I":
        return Image.fromarray(np.asarray(rgb.convert("L")).astype(np.int32) - 20)
    if mode == "F":
        return Image.fromarray(np.asarray(rgb.convert("L")).astype(np.float32) * 0.9 + 0.25)
    if mode == "P+transparency":
        palette = rgb.convert("P")
        palette.info["transparency"] = bytes(range(256))
        return palette
    if mode == "RGBA":
        alpha = Image.fromarray(np.linspace(0, 255, 37 * 29).reshape(29, 37).astype(np.uint8))
        rgba = rgb.convert("RGBA")
        rgba.putalpha(alpha)
        return rgba
    return rgb.convert(mode)


def rgb_reference(image: Image.Image) -> Image.Image:
    """``image.convert("RGB")``; PIL warns doing so for a palette with byte transparency (explorer does not)."""
    if image.mode == "P" and isinstance(image.info.get("transparency"), bytes):
        with pytest.warns(UserWarning, match="Palette images with Transparency"):
            return image.convert("RGB")
    return image.convert("RGB")


MODES = ["1", "L", "LA", "P", "P+transparency", "PA", "RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "LAB", "HSV",
         "I;16", "I", "F"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", NAMES)
def test_pil_modes(name, mode, caplog):
    image = image_in_mode(mode)
    if name in CONVERTS_RGB:
        got = compare(name, image)  # transformers converts (compositing transparency onto white) and works
    else:
        got = compare(name, image, reference=rgb_reference(image))
    assert got.pixel_values.shape[1] == 3
    if mode == "I;16":
        assert "clips them to [0, 255]" in caplog.text


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "CMYK", "I;16"])
def test_transformers_vit_fails_where_explorer_works(mode):
    image = image_in_mode(mode)
    with pytest.raises(ValueError, match="mean must have|outside the range"):
        transformers.ViTImageProcessorPil()(image, return_tensors="pt")
    assert ViTImageProcessor()(image, return_tensors="pt").pixel_values.shape == (1, 3, 224, 224)


def test_transparency_composited_onto_white_with_do_convert_rgb():
    image = image_in_mode("RGBA")
    compare("vit", image, do_convert_rgb=True)
    clear = Image.new("RGBA", (8, 8), (10, 20, 30, 0))
    white = CLIPImageProcessor()(clear, return_tensors="np", do_normalize=False).pixel_values
    assert np.allclose(white, 1.0)
    dropped = ViTImageProcessor()(clear, return_tensors="np", do_normalize=False).pixel_values
    assert np.allclose(dropped[0, :, 0, 0], np.array([10, 20, 30]) / 255)


def exif_photo(tmp_path: Path, orientation: int) -> Path:
    path = tmp_path / f"turned-{orientation}.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    photo(64, 40, seed=orientation).save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path


@pytest.mark.parametrize("orientation", [3, 6, 8])
@pytest.mark.parametrize("name", NAMES)
def test_exif_orientation(tmp_path, name, orientation):
    path = exif_photo(tmp_path, orientation)
    compare(name, str(path))  # transformers' load_image applies the orientation to files too
    with Image.open(path) as opened:
        upright = ImageOps.exif_transpose(opened)
        assert upright.size == ((40, 64) if orientation in (6, 8) else (64, 40))
        # a PIL image is turned upright as well (transformers uses a PIL image as stored)
        compare(name, opened, reference=upright)


# --- arrays and tensors -----------------------------------------------------------------------------------------------


def pixels(height=29, width=37, seed=4) -> np.ndarray:
    return np.asarray(photo(width, height, seed=seed))


ARRAYS = {
    "hwc-uint8": lambda: pixels(),
    "chw-uint8": lambda: pixels().transpose(2, 0, 1).copy(),
    "hwc-float01": lambda: pixels() / 255.0,
    "chw-float32-01": lambda: (pixels().transpose(2, 0, 1) / 255.0).astype(np.float32),
    "hwc-float-0-255": lambda: pixels().astype(np.float32),
    "hwc-int64": lambda: pixels().astype(np.int64),
    "odd-3x500": lambda: pixels(3, 500),
    "ambiguous-3x3x3": lambda: pixels(3, 3),
    "tensor-chw-uint8": lambda: torch.from_numpy(pixels().transpose(2, 0, 1).copy()),
    "tensor-chw-float": lambda: torch.from_numpy(pixels().transpose(2, 0, 1) / 255.0).float(),
    "tensor-batch": lambda: torch.from_numpy(np.stack([pixels(seed=1), pixels(seed=2)]).transpose(0, 3, 1, 2).copy()),
    "numpy-batch": lambda: np.stack([pixels(seed=1), pixels(seed=2)]),
}


@pytest.mark.parametrize("kind", list(ARRAYS))
@pytest.mark.parametrize("name", NAMES)
def test_arrays_and_tensors(name, kind):
    compare(name, ARRAYS[kind]())


@pytest.mark.parametrize("name", NAMES)
def test_float_arrays_without_resize(name):
    array = (pixels() / 255.0).astype(np.float32)
    compare(name, array, do_resize=False)
    compare(name, array.astype(np.float64) * 255, do_resize=False)


@pytest.mark.parametrize("name", NAMES)
def test_grayscale_arrays(name):
    gray = pixels()[..., 0]
    rgb = np.repeat(gray[..., None], 3, axis=-1)
    compare(name, gray, reference=rgb)  # transformers refuses 2-D arrays
    compare(name, [gray, gray.T.copy()], reference=[rgb, rgb.transpose(1, 0, 2).copy()], return_tensors=None)
    if name in CONVERTS_RGB:
        compare(name, gray[..., None])
        compare(name, gray[None])
    else:
        compare(name, gray[..., None], reference=rgb)


@pytest.mark.parametrize("name", NAMES)
def test_rgba_arrays(name):
    rgba = np.asarray(image_in_mode("RGBA"))
    if name in CONVERTS_RGB:
        compare(name, rgba)  # composited onto white
        compare(name, rgba / 255.0)
        compare(name, rgba.transpose(2, 0, 1).copy())
    else:
        compare(name, rgba, reference=rgba[..., :3].copy())


def test_tensor_that_requires_grad():
    tensor = torch.rand(3, 20, 30, requires_grad=True)
    compare("vit", tensor, reference=tensor.detach())


def test_ambiguous_channels_are_first_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="explorer.processing.image"):
        compare("vit", pixels(3, 4))  # (3, 4, 3): both ends could be channels; the first is taken
    assert "The channel dimension is ambiguous" in caplog.text


def test_rescale_warning_for_floats_in_0_1(caplog):
    with caplog.at_level(logging.WARNING, logger="explorer.processing.image"):
        ViTImageProcessor()(pixels() / 255.0)
    assert "already rescaled images" in caplog.text
    caplog.clear()
    ViTImageProcessor()(pixels() / 255.0, do_rescale=False)
    ViTImageProcessor()(pixels().astype(np.float32))
    assert "already rescaled" not in caplog.text


@pytest.mark.parametrize("input_data_format", ["channels_first", "channels_last"])
def test_input_data_format(input_data_format):
    array = pixels(3, 5)  # (3, 5, 3) is ambiguous; input_data_format decides
    if input_data_format == "channels_first":
        array = array.transpose(2, 0, 1).copy()
    compare("vit", array, input_data_format=input_data_format)


# --- batches, files, URLs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_batches(name, tmp_path):
    a, b, c = photo(64, 48, seed=1), photo(31, 77, seed=2), photo(120, 90, seed=3)
    path = tmp_path / "c.png"
    c.save(path)
    compare(name, [a, b, c])
    compare(name, (a, b))
    compare(name, [[a, b], [c]], reference=[a, b, c])
    compare(name, [a, np.asarray(b), torch.from_numpy(np.asarray(c).transpose(2, 0, 1).copy()), str(path)])
    compare(name, [np.stack([np.asarray(a)] * 2), np.stack([np.asarray(a)] * 3)])
    compare(name, [a, a, a])  # the same object several times


@pytest.mark.parametrize("name", NAMES)
def test_files(name, tmp_path):
    picture = photo(50, 70, seed=5)
    jpeg, png = tmp_path / "photo.jpg", tmp_path / "photo with space.png"
    picture.save(jpeg, quality=90)
    picture.save(png)
    compare(name, str(jpeg))
    compare(name, png, reference=str(png))  # a pathlib.Path (transformers takes only str)
    rgba = tmp_path / "clear.png"
    image_in_mode("RGBA").save(rgba)
    compare(name, str(rgba))  # transformers' load_image: convert("RGB") (alpha dropped) for every processor
    palette = tmp_path / "palette.png"
    single = photo(30, 20).convert("P")
    single.info["transparency"] = 3
    single.save(palette)
    compare(name, str(palette))
    gray16 = tmp_path / "gray16.png"
    Image.fromarray(pixels()[..., 0].astype(np.uint16) * 100).save(gray16)
    compare(name, str(gray16))


def test_single_thread_equals_pool(monkeypatch):
    images = [photo(64 + i, 48, seed=i) for i in range(6)]
    pooled = CLIPImageProcessor()(images, return_tensors="np").pixel_values
    monkeypatch.setattr(image_module, "_WORKERS", 1)
    assert np.array_equal(pooled, CLIPImageProcessor()(images, return_tensors="np").pixel_values)


def test_processing_in_a_forked_child(tmp_path):
    """A DataLoader worker forked after the parent used the thread pool must not wait on the parent's threads."""
    images = [photo(30 + i, 20, seed=i) for i in range(4)]
    expected = ViTImageProcessor()(images, return_tensors="np").pixel_values  # starts the pool
    result = tmp_path / "child.txt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork() of a multi-threaded process
        pid = os.fork()
    if pid == 0:  # the child: answer through a file, never return into pytest
        try:
            got = ViTImageProcessor()(images, return_tensors="np").pixel_values
            result.write_text("same" if np.array_equal(got, expected) else "different")
        finally:
            os._exit(0)
    deadline = time.monotonic() + 30
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung")
        time.sleep(0.05)
    assert result.read_text() == "same"


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(3)
        return super().do_GET()


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up early (the size limit, the timeout) is expected here


@pytest.fixture
def served(tmp_path):
    """tmp_path served over http on 127.0.0.1; yields (folder, base URL)."""
    folder = tmp_path / "www"
    folder.mkdir()
    server = QuietServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize("name", NAMES)
def test_urls(name, served):
    folder, base = served
    photo(80, 60, seed=7).save(folder / "cat.jpg", quality=90)
    photo(60, 80, seed=8).save(folder / "dog.png")
    # transformers downloads with httpx, which this environment lacks: it reads the same files from disk
    compare(name, f"{base}/cat.jpg", reference=str(folder / "cat.jpg"))
    compare(name, [f"{base}/cat.jpg", f"{base}/dog.png"], reference=[str(folder / "cat.jpg"), str(folder / "dog.png")])


def test_url_errors(served, monkeypatch):
    folder, base = served
    (folder / "notes.txt").write_text("not an image")
    (folder / "empty.jpg").write_bytes(b"")
    processor = ViTImageProcessor()
    with pytest.raises(errors.ImageInputError, match="HTTP 404"):
        processor(f"{base}/missing.jpg")
    with pytest.raises(errors.ImageInputError, match="not an image"):
        processor(f"{base}/notes.txt")
    with pytest.raises(errors.ImageInputError, match="empty"):
        processor(f"{base}/empty.jpg")
    with pytest.raises(errors.ImageInputError, match="could not be downloaded"):
        processor("http://127.0.0.1:9/nothing-listens-here.jpg")
    photo(200, 200).save(folder / "big.png")
    monkeypatch.setattr(image_module, "MAX_DOWNLOAD_BYTES", 1000)
    with pytest.raises(errors.ImageInputError, match="larger than 1,000 bytes"):
        processor(f"{base}/big.png")
    monkeypatch.setattr(image_module, "URL_TIMEOUT", 0.3)
    started = time.monotonic()
    with pytest.raises(errors.ImageInputError, match="could not be downloaded"):
        processor(f"{base}/slow")
    assert time.monotonic() - started < 2.5


def test_base64_images(tmp_path):
    path = tmp_path / "photo.png"
    photo(40, 30).save(path)
    encoded = base64.b64encode(path.read_bytes()).decode()
    compare("vit", encoded, reference=str(path))
    compare("clip", "data:image/png;base64," + encoded, reference=str(path))


# --- saving and loading -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_saved_by_explorer_loads_in_transformers(name, tmp_path):
    ours, _ = pair(name)
    ours.save_pretrained(tmp_path)
    theirs = transformers.AutoImageProcessor.from_pretrained(tmp_path)
    assert type(theirs).__name__ == type(ours).__name__ + "Pil"
    assert theirs.to_json_string() == ours.to_json_string()
    picture = photo(90, 70)
    assert_same(ours(picture, return_tensors="pt"), theirs(picture, return_tensors="pt"))


@pytest.mark.parametrize("name", NAMES)
def test_saved_by_transformers_loads_in_explorer(name, tmp_path):
    _, theirs = pair(name)
    theirs.save_pretrained(tmp_path)
    ours = AutoImageProcessor.from_pretrained(tmp_path)
    assert type(ours) is PAIRS[name][0]
    assert repr(ours) == type(ours).__name__ + repr(theirs)[len(type(theirs).__name__):]
    picture = photo(70, 90)
    assert_same(ours(picture, return_tensors="pt"), theirs(picture, return_tensors="pt"))
    assert ours.resolution_trace is not None


LEGACY = {
    "vit": {"feature_extractor_type": "ViTFeatureExtractor", "size": 224, "resample": 2, "do_resize": True,
            "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]},
    "clip": {"feature_extractor_type": "CLIPFeatureExtractor", "size": 224, "crop_size": 224, "do_center_crop": True,
             "do_resize": True, "do_normalize": True, "resample": 3, "processor_class": "CLIPProcessor",
             "image_mean": CLIPImageProcessor.defaults["image_mean"],
             "image_std": CLIPImageProcessor.defaults["image_std"]},
    "convnext": {"feature_extractor_type": "ConvNextFeatureExtractor", "size": 224, "crop_pct": 0.875,
                 "do_resize": True, "do_normalize": True, "resample": 3, "image_mean": [0.485, 0.456, 0.406],
                 "image_std": [0.229, 0.224, 0.225]},
    "layoutlmv2": {"feature_extractor_type": "LayoutLMv2FeatureExtractor", "size": 224, "do_resize": True,
                   "resample": 2, "apply_ocr": False},
}


@pytest.mark.parametrize("name", list(LEGACY))
def test_legacy_feature_extractor_configs(name, tmp_path):
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(LEGACY[name]))
    ours = AutoImageProcessor.from_pretrained(tmp_path)
    theirs = transformers.AutoImageProcessor.from_pretrained(tmp_path)
    assert type(ours) is PAIRS[name][0]
    assert ours.to_json_string() == theirs.to_json_string()
    assert isinstance(ours.size, dict)
    pictures = [photo(100, 60, seed=1), photo(45, 80, seed=2)]
    assert_same(ours(pictures, return_tensors="pt"), theirs(pictures, return_tensors="pt"))


@pytest.mark.parametrize("model_type, expected", [
    ("vit", ViTImageProcessor), ("swin", ViTImageProcessor), ("deit", ViTImageProcessor),
    ("convnext", ConvNextImageProcessor), ("resnet", ConvNextImageProcessor), ("clip", CLIPImageProcessor),
])
def test_model_type_chooses_the_class(model_type, expected, tmp_path):
    (tmp_path / "preprocessor_config.json").write_text(json.dumps({"do_resize": True}))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": model_type}))
    assert type(AutoImageProcessor.from_pretrained(tmp_path)) is expected


def test_from_pretrained_overrides(tmp_path):
    ViTImageProcessor().save_pretrained(tmp_path)
    ours = AutoImageProcessor.from_pretrained(tmp_path, size=384, do_normalize=False)
    theirs = transformers.AutoImageProcessor.from_pretrained(tmp_path, size=384, do_normalize=False)
    assert ours.to_json_string() == theirs.to_json_string()
    assert ours.size == {"height": 384, "width": 384}


# --- per-call settings ------------------------------------------------------------------------------------------------


OVERRIDES = [
    ("vit", {"do_resize": False}),
    ("vit", {"size": 64}),
    ("vit", {"size": {"height": 30, "width": 50}}),
    ("vit", {"size": {"shortest_edge": 50}}),
    ("vit", {"size": {"shortest_edge": 40, "longest_edge": 60}}),
    ("vit", {"size": {"max_height": 50, "max_width": 40}}),
    ("vit", {"size": 100, "default_to_square": False}),
    *[("vit", {"resample": resample}) for resample in range(6)],
    ("vit", {"resample": Image.Resampling.LANCZOS}),
    ("vit", {"do_rescale": False}),
    ("vit", {"rescale_factor": 0.5}),
    ("vit", {"do_normalize": False}),
    ("vit", {"do_rescale": False, "do_normalize": False}),
    ("vit", {"image_mean": [0.1, 0.2, 0.3], "image_std": [0.9, 0.8, 0.7]}),
    ("vit", {"image_mean": 0.3, "image_std": 0.2}),
    ("vit", {"do_center_crop": True, "crop_size": {"height": 100, "width": 300}}),
    ("vit", {"do_pad": True, "pad_size": {"height": 300, "width": 320}, "size": {"shortest_edge": 100}}),
    ("vit", {"do_convert_rgb": True}),
    ("clip", {"do_center_crop": False}),
    ("clip", {"crop_size": 100}),
    ("clip", {"size": 300}),
    ("clip", {"do_convert_rgb": False}),
    ("clip", {"do_pad": True, "pad_size": {"height": 250, "width": 250}}),
    ("convnext", {"crop_pct": 0.5, "size": 200}),
    ("convnext", {"size": 384}),
    ("convnext", {"size": {"shortest_edge": 500}}),
    ("convnext", {"do_center_crop": True, "crop_size": 100}),
    ("convnext", {"do_resize": False}),
    ("layoutlmv2", {"size": 100}),
    ("layoutlmv2", {"do_resize": False}),
    ("layoutlmv2", {"do_rescale": True, "rescale_factor": 0.5, "do_normalize": True, "image_mean": 0.5,
                    "image_std": 0.5}),  # checked, then ignored, by both
]


@pytest.mark.parametrize("name, overrides", OVERRIDES, ids=[f"{n}-{o}" for n, o in OVERRIDES])
def test_per_call_settings(name, overrides):
    compare(name, photo(173, 131, seed=9), **overrides)
    compare(name, [photo(173, 131, seed=9), photo(120, 250, seed=10)], return_tensors=None, **overrides)
    compare(name, (pixels(131, 173) / 255.0).astype(np.float32), **overrides)


def test_data_format_channels_last():
    picture = photo(90, 60)
    got = ViTImageProcessor()(picture, return_tensors="np", data_format="channels_last").pixel_values
    # transformers' PIL backend ignores data_format (always channels first); explorer honours it
    expected = transformers.ViTImageProcessorPil()(picture, return_tensors="np").pixel_values
    assert got.shape == (1, 224, 224, 3)
    np.testing.assert_allclose(got, expected.transpose(0, 2, 3, 1), rtol=0, atol=1e-5)
    flipped = LayoutLMv2ImageProcessor(apply_ocr=False)(picture, return_tensors="np", data_format="channels_last")
    np.testing.assert_array_equal(flipped.pixel_values[0], np.asarray(picture.resize((224, 224), 2))[..., ::-1])


def test_settings_are_not_changed_by_a_call():
    processor = ViTImageProcessor()
    before = processor.to_json_string()
    processor(photo(30, 30), size=64, do_normalize=False, image_mean=[0.1, 0.1, 0.1])
    assert processor.to_json_string() == before


# --- bad inputs and settings ------------------------------------------------------------------------------------------


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels: a header and nothing to decode (a decompression bomb's shape)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.mark.parametrize("width, height", [(100_000, 100_000), (10_000, 9_000)])
def test_decompression_bomb_refused_quickly(tmp_path, width, height):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header(width, height))
    started = time.monotonic()
    with pytest.raises(errors.ImageInputError, match="decompression bomb"):
        ViTImageProcessor()(str(path))
    with pytest.raises(errors.ImageInputError, match="decompression bomb"):
        CLIPImageProcessor()("data:image/png;base64," + base64.b64encode(png_header(width, height)).decode())
    assert time.monotonic() - started < 2


def test_resizing_to_a_bomb_is_refused():
    # a 1 x 100000 strip: its shortest edge to 224 would make 224 x 22,400,000 pixels
    strip = Image.new("RGB", (100_000, 1))
    started = time.monotonic()
    with pytest.raises(errors.ImageInputError, match="pixels"):
        CLIPImageProcessor()(strip)
    with pytest.raises(errors.ImageInputError, match="no pixels"):
        ViTImageProcessor()(strip, size={"max_height": 10, "max_width": 10})
    assert time.monotonic() - started < 2


def test_pixel_limit_can_be_lifted(tmp_path, monkeypatch):
    monkeypatch.setattr(image_module, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(errors.ImageInputError, match="MAX_IMAGE_PIXELS"):
        ViTImageProcessor()(photo(20, 20), size=8)
    monkeypatch.setattr(image_module, "MAX_IMAGE_PIXELS", None)
    assert ViTImageProcessor()(photo(20, 20), return_tensors="pt").pixel_values.shape == (1, 3, 224, 224)


def bad_inputs(tmp_path: Path) -> dict:
    text = tmp_path / "notes.png"
    text.write_text("these are not pixels")
    truncated = tmp_path / "truncated.jpg"
    buffer = io.BytesIO()
    photo(200, 150).save(buffer, "JPEG")
    truncated.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # opening it for reading would block until someone writes
    return {
        "empty list": ([], "No images"),
        "empty nested list": ([[], []], "No images"),
        "None": (None, "NoneType"),
        "int": (3, "int"),
        "dict": ({"pixels": 1}, "dict"),
        "bytes": (b"\x89PNG", "bytes"),
        "zero-size array": (np.zeros((0, 5, 3), np.uint8), "empty"),
        "zero-width array": (np.zeros((5, 0, 3), np.uint8), "empty"),
        "zero-size tensor": (torch.zeros(3, 0, 4), "empty"),
        "zero-size PIL image": (Image.new("RGB", (0, 0)), "empty"),
        "1-D array": (np.zeros(10, np.uint8), "1 dimensions"),
        "5-D array": (np.zeros((1, 1, 3, 4, 4), np.uint8), "5 dimensions"),
        "2 channels": (np.zeros((10, 10, 2), np.uint8), "which axis holds the colour channels"),
        "5 channels": (np.zeros((5, 10, 10), np.uint8), "which axis"),
        "2 channels declared": (np.zeros((10, 10, 2), np.uint8), "2 channels"),
        "bool array": (np.zeros((10, 10, 3), bool), "multiply by 255"),
        "complex array": (np.zeros((10, 10, 3), complex), "complex"),
        "NaN": (np.full((10, 10, 3), np.nan, np.float32), "NaN"),
        "inf": (np.full((10, 10, 3), np.inf), "infinite"),
        "floats out of range": (np.full((10, 10, 3), 300.5), r"\[0, 1\]"),
        "negative ints": (np.full((10, 10, 3), -4, np.int64), r"outside \[0, 255\]"),
        "16-bit ints": (np.full((10, 10, 3), 4000, np.uint16), r"outside \[0, 255\]"),
        "not an image file": (str(text), "not an image"),
        "truncated file": (str(truncated), "could not be decoded"),
        "missing file": (str(tmp_path / "missing.jpg"), "no such file"),
        "folder": (str(tmp_path), "folder"),
        "missing Path": (tmp_path / "missing.jpg", "no such file"),
        "a pipe": (fifo, "not a regular file"),
        "bad item in a batch": ([photo(10, 10), "nowhere.png"], r"images\[1\]"),
    }


BAD = ["empty list", "empty nested list", "None", "int", "dict", "bytes", "zero-size array", "zero-width array",
       "zero-size tensor", "zero-size PIL image", "1-D array", "5-D array", "2 channels", "5 channels",
       "2 channels declared", "bool array", "complex array", "NaN", "inf", "floats out of range", "negative ints",
       "16-bit ints", "not an image file", "truncated file", "missing file", "folder", "missing Path", "a pipe",
       "bad item in a batch"]


@pytest.mark.parametrize("case", BAD)
@pytest.mark.parametrize("name", ["vit", "clip"])
def test_bad_inputs(tmp_path, name, case):
    value, message = bad_inputs(tmp_path)[case]
    overrides = {"input_data_format": "channels_last"} if case == "2 channels declared" else {}
    with pytest.raises(errors.ImageInputError, match=message) as raised:
        pair(name)[0](value, return_tensors="pt", **overrides)
    assert isinstance(raised.value, ValueError)


def test_ragged_batch_needs_padding_or_a_list():
    images = [photo(50, 40), photo(40, 50)]
    with pytest.raises(errors.ImageInputError, match="different sizes"):
        ViTImageProcessor()(images, return_tensors="pt", do_resize=False)
    assert len(ViTImageProcessor()(images, do_resize=False).pixel_values) == 2


def test_bad_call_arguments():
    processor = ViTImageProcessor()
    with pytest.raises(errors.UnexpectedArgumentError, match="do_resise.*Did you mean 'do_resize'"):
        processor(photo(10, 10), do_resise=False)
    with pytest.raises(errors.ImageInputError, match="return_tensors='tf'"):
        processor(photo(10, 10), return_tensors="tf")
    with pytest.raises(errors.ConfigValueError, match="data_format"):
        processor(photo(10, 10), data_format="sideways")
    with pytest.raises(errors.ConfigValueError, match="rescale_factor"):
        processor(photo(10, 10), rescale_factor=None)
    with pytest.raises(errors.ConfigValueError, match="image_mean"):
        processor(photo(10, 10), image_mean=None)
    with pytest.raises(errors.ConfigValueError, match="pad_size"):
        processor(photo(10, 10), do_pad=True)
    with pytest.raises(errors.ImageInputError, match="larger than pad_size"):
        processor(photo(10, 10), do_pad=True, pad_size={"height": 100, "width": 100})
    with pytest.raises(errors.ConfigValueError, match="shortest_edge"):
        ConvNextImageProcessor()(photo(10, 10), size={"height": 20, "width": 20})


@pytest.mark.parametrize("settings, message", [
    ({"size": {"height": 224}}, "key sets"),
    ({"size": {"height": 0, "width": 10}}, "positive int"),
    ({"size": "large"}, "not a size"),
    ({"crop_size": {"side": 3}}, "crop_size"),
    ({"image_std": [0.5, 0.0, 0.5]}, "zero"),
    ({"image_mean": ["0.5", 0.5, 0.5]}, "three"),
    ({"resample": 9}, "PIL filter"),
    ({"rescale_factor": "1/255"}, "number"),
])
def test_bad_settings(settings, message):
    with pytest.raises(errors.ConfigValueError, match=message):
        ViTImageProcessor(**settings)


def test_settings_checked_at_call():
    processor = ViTImageProcessor(image_mean=[0.5], image_std=[0.5])  # loads (as in transformers) ...
    with pytest.raises(errors.ConfigValueError, match="three"):
        processor(photo(10, 10))  # ... but cannot normalise RGB
    with pytest.raises(errors.ConfigValueError, match="MAX_IMAGE_PIXELS"):
        ViTImageProcessor()(photo(10, 10), do_center_crop=True, crop_size=100_000)
    with pytest.raises(errors.ConfigValueError, match="MAX_IMAGE_PIXELS"):
        ViTImageProcessor()(photo(10, 10), size=100_000)


def test_bad_crop_pct():
    with pytest.raises(errors.ConfigValueError, match="crop_pct"):
        ConvNextImageProcessor(crop_pct=0)


# --- LayoutLMv2 and OCR -----------------------------------------------------------------------------------------------


def test_layoutlmv2_ocr_without_pytesseract(monkeypatch):
    monkeypatch.setitem(sys.modules, "pytesseract", None)  # import pytesseract -> ImportError
    processor = LayoutLMv2ImageProcessor()
    assert processor.apply_ocr is True
    with pytest.raises(ImportError) as raised:
        processor(photo(40, 30), return_tensors="pt")
    assert isinstance(raised.value, errors.ExplorerError)
    assert "pip install pytesseract" in str(raised.value)
    assert "apt-get install tesseract-ocr" in str(raised.value)
    assert "apply_ocr=False" in str(raised.value)
    inputs = processor(photo(40, 30), return_tensors="pt", apply_ocr=False)
    assert set(inputs) == {"pixel_values"}


def fake_pytesseract() -> types.ModuleType:
    module = types.ModuleType("pytesseract")
    calls = []

    def image_to_data(image, lang=None, output_type=None, config=""):
        calls.append((image.size, image.mode, lang, output_type, config))
        return {"text": ["", "Hello", " ", "world", "!"], "left": [0, 3, 9, 10, 33], "top": [0, 4, 4, 5, 20],
                "width": [40, 20, 1, 15, 4], "height": [30, 8, 8, 9, 6]}

    module.image_to_data = image_to_data
    module.calls = calls
    return module


def test_layoutlmv2_ocr_words_and_boxes(monkeypatch):
    fake = fake_pytesseract()
    monkeypatch.setitem(sys.modules, "pytesseract", fake)
    from transformers.models.layoutlmv2 import (
        image_processing_pil_layoutlmv2 as theirs_module,
    )

    monkeypatch.setattr(theirs_module, "pytesseract", fake)
    monkeypatch.setattr(theirs_module, "requires_backends", lambda *args, **kwargs: None)
    pictures = [photo(40, 30, seed=1), photo(50, 20, seed=2)]
    ours = LayoutLMv2ImageProcessor(ocr_lang="eng", tesseract_config="--psm 6")(pictures, return_tensors="pt")
    theirs = transformers.LayoutLMv2ImageProcessorPil(ocr_lang="eng", tesseract_config="--psm 6")(
        pictures, return_tensors="pt")
    assert_same(ours, theirs)
    assert ours["words"] == theirs["words"] == [["Hello", "world", "!"]] * 2
    assert ours["boxes"] == theirs["boxes"]
    assert ours["boxes"][0] == [[75, 133, 575, 400], [250, 166, 625, 466], [825, 666, 925, 866]]
    assert {call[1:] for call in fake.calls} == {("RGB", "eng", "dict", "--psm 6")}
