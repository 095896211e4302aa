"""Reading images (explorer.processing.image_input), through the image processors against transformers': PIL
modes, EXIF orientation, arrays and tensors, batches, files, URLs and base64, and the inputs that are refused.
Inputs transformers refuses or misreads (RGBA or palette images for ViT, 2-D arrays...) work here and equal
transformers on the RGB image."""

from __future__ import annotations

import base64
import functools
import http.server
import io
import logging
import os
import struct
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers
from image_checks import CONVERTS_RGB, NAMES, compare, pair, photo, pixels
from image_checks import fresh_warnings  # noqa: F401 - the autouse fixture, used by being imported
from PIL import Image, ImageOps

from explorer import errors
from explorer.processing import image as image_module
from explorer.processing.image import CLIPImageProcessor, ViTImageProcessor


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
    with caplog.at_level(logging.WARNING, logger="explorer.processing.image_input"):
        compare("vit", pixels(3, 4))  # (3, 4, 3): both ends could be channels; the first is taken
    assert "The channel dimension is ambiguous" in caplog.text

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


# --- bad inputs -------------------------------------------------------------------------------------------------------


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
