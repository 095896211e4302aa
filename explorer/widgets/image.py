"""The image panel: the sample photo or an upload, through the checkpoint's image processor; the processed
pixel_values turned back into a picture beside the original, with shape, dtype, statistics and settings."""

from __future__ import annotations

import ipywidgets as widgets

from ..samples import PHOTO
from .base import Panel
from .render.images import render_image
from .session import Session


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
        processed = session.process_image(self.state.image)
        pixel_values = processed.inputs["pixel_values"]
        self.output.value = render_image(type(processor).__name__, processed.image, pixel_values[0].numpy(),
                                         str(pixel_values.dtype), tuple(pixel_values.shape), processor.to_dict(),
                                         self.labels)
