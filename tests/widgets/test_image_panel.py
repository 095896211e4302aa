"""The image panel: the sample photo, an upload, a bad upload; pixel_values shown de-normalised with shape,
dtype and statistics."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image


def upload(widget, name: str, data: bytes) -> None:
    """What the front end sends when a file is picked, deserialised as a comm message from it would be."""
    widget.set_state({"value": [{"name": name, "type": "", "size": len(data), "content": memoryview(data),
                                 "last_modified": 0}]})


def png_bytes(colour, size=(50, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def image(app, checkpoints):
    app.load(str(checkpoints["vit"]))
    return app.show("image")


def test_the_sample_photo_through_the_image_processor(image):
    html = image.output.value
    assert "ViTImageProcessor" in html and "[1, 3, 32, 32]" in html and "torch.float32" in html
    assert html.count('class="explorer-pixel-image"') == 1
    assert "flower.jpg" in image.source.value
    assert re.search(r"<td>image_mean</td><td>\[0.5, 0.5, 0.5\]</td>", html)


def test_an_upload_replaces_the_photo_everywhere(image, app):
    upload(image.upload, "red.png", png_bytes((255, 0, 0)))
    assert app.state.image[0] == "red.png" and "red.png" in image.source.value
    # red is 1.0 after normalisation with mean and std 0.5, green and blue -1.0: every pixel alike, std 0
    rows = re.findall(r"<tr><td>(\d)</td><td>([-\d.e]+)</td><td>([-\d.e]+)</td></tr>", image.output.value)
    assert [(int(c), float(m), float(s)) for c, m, s in rows] == [(0, 1.0, 0.0), (1, -1.0, 0.0), (2, -1.0, 0.0)]
    assert "red.png" not in app.show("outputs").output.value and "cat" in app.show("outputs").output.value
    image.sample.click()
    assert app.state.image[0] == "flower.jpg"


def test_a_file_that_is_not_an_image_is_a_readable_message_and_the_next_one_works(image):
    upload(image.upload, "notes.txt", b"not a picture")
    assert 'class="explorer-error"' in image.output.value
    assert "ImageInputError: notes.txt is not an image PIL can read" in image.output.value
    upload(image.upload, "blue.png", png_bytes((0, 0, 255)))
    assert "explorer-error" not in image.output.value and "blue.png" in image.source.value
