"""The image panel: the sample photo or an upload, through the checkpoint's image processor; the processed
pixel_values turned back into a picture beside the original, with shape, dtype, statistics and settings."""

from __future__ import annotations

import io

import ipywidgets as widgets
from PIL import Image

from ..samples import PHOTO
from .base import Panel
from .render.html import esc, note
from .render.images import render_image
from .session import Session


def open_image(name: str, data: bytes) -> Image.Image:
    """The picture in an uploaded file; a file PIL cannot read is an ImageInputError naming it."""
    from .. import errors

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise errors.ImageInputError(
            f"{name} is not an image PIL can read ({error}). Upload a JPEG, PNG, WebP or another common format."
        ) from None
    return image


class ImagePanel(Panel):
    name = "image"

    def controls(self) -> list[widgets.Widget]:
        return [self.input_row("image", PHOTO, accept="image/*", icon="image")]

    def applies_to(self, session: Session) -> bool:
        return self.has(session, "image_processor")

    def render(self, session: Session) -> None:
        if self.show_part_error(session, "image_processor"):
            return
        processor = session.get("image_processor")
        self.show_input_name()
        name, data = self.state.image
        original = open_image(name, data)
        pixel_values = processor(original, return_tensors="pt")["pixel_values"]
        self.output.value = note(esc(type(processor).__name__)) + render_image(
            original, pixel_values[0].numpy(), str(pixel_values.dtype), tuple(pixel_values.shape),
            processor.to_dict(), self.labels)
