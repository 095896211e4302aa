"""The backbone panel: one checkbox per stage of ``stage_names``; the checked ones become ``out_features`` of
AutoBackbone, whose feature maps of the current image show as grids of channels with their shapes."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np

from .base import Panel, guarded
from .image import open_image
from .render.charts import feature_grid
from .render.html import note
from .session import Session, load_backbone


class BackbonePanel(Panel):
    name = "backbone"

    def controls(self) -> list[widgets.Widget]:
        self.stages = widgets.HBox()
        self.state.observe(self.refresh, "image")
        return [self.stages]

    def applies_to(self, session: Session) -> bool:
        return self.has(session, "backbone")

    def on_session(self, change: dict[str, Any]) -> None:
        """A new checkpoint: one checkbox per stage, checked as its config's out_features."""
        session = change["new"]
        backbone = session.get("backbone") if session is not None else None
        self.model = backbone
        boxes = []
        if backbone is not None:
            for stage in backbone.config.stage_names:
                box = widgets.Checkbox(value=stage in backbone.config.out_features, description=stage, indent=False,
                                       layout=widgets.Layout(width="auto"))
                box.observe(self.on_stages, "value")
                boxes.append(box)
        self.stages.children = boxes
        super().on_session(change)

    @property
    def selected(self) -> list[str]:
        return [box.description for box in self.stages.children if box.value]

    @guarded
    def on_stages(self, _: Any = None) -> None:
        """Other stages: the backbone is loaded again with these out_features (what AutoBackbone is for)."""
        if self.selected:
            self.model = load_backbone(self.state.session, self.selected)
        self.refresh()

    def render(self, session: Session) -> None:
        import torch

        if self.show_part_error(session, "backbone"):
            return
        if not self.selected:
            self.output.value = note(self.labels["pick_stage"])
            return
        processor = session.get("image_processor")
        if processor is None:
            if not self.show_part_error(session, "image_processor"):
                self.output.value = note(self.labels["needs_image_processor"])
            return
        name, data = self.state.image
        pixel_values = processor(open_image(name, data), return_tensors="pt")["pixel_values"]
        with torch.no_grad():
            maps = self.model(pixel_values).feature_maps
        config = self.model.config
        stages = {stage: np.asarray(feature[0]) for stage, feature in zip(config.out_features, maps)}
        self.output.value = (note(f"out_features={config.out_features} · out_indices={list(config.out_indices)}")
                             + feature_grid(stages, self.labels))
