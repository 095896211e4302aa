"""The backbone panel: one checkbox per stage of the config's ``stage_names``; the checked ones become
``out_features`` of AutoBackbone, built from the session's open checkpoint when the panel is first shown and
again when the stages change, whose feature maps of the current image show as grids of channels with their
shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import numpy as np

from .base import Panel, guarded
from .render.charts import render_backbone
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

    def on_session(self, change: Mapping[str, Any]) -> None:
        """A new checkpoint: one checkbox per stage, checked as its config's out_features (no model needed)."""
        session = change["new"]
        boxes = []
        if session is not None and self.applies_to(session):
            for stage in session.config.stage_names:
                box = widgets.Checkbox(value=stage in session.config.out_features, description=stage, indent=False,
                                       layout=widgets.Layout(width="auto"))
                box.observe(self.on_stages, "value")
                boxes.append(box)
        self.stages.children = boxes
        super().on_session(change)

    @property
    def model(self) -> Any:
        """The backbone shown, or None before it is built."""
        return self.state.session.get("backbone") if self.state.session is not None else None

    @property
    def selected(self) -> list[str]:
        return [box.description for box in self.stages.children if box.value]

    @guarded
    def on_stages(self, _: Any = None) -> None:
        """Other stages: the backbone is built again with these out_features (what AutoBackbone is for)."""
        if self.selected:
            self.build(self.state.session)
        self.refresh()

    def build(self, session: Session) -> None:
        session.parts["backbone"] = load_backbone(session, self.selected)
        self.state.parts_changed += 1

    def render(self, session: Session) -> None:
        import torch

        if session.parts["backbone"].status == "pending" and self.selected:
            self.build(session)  # first shown
        if self.show_part_error(session, "backbone"):
            return
        if not self.selected:
            self.output.value = note(self.labels["pick_stage"])
            return
        if session.get("image_processor") is None:
            if not self.show_part_error(session, "image_processor"):
                self.output.value = note(self.labels["needs_image_processor"])
            return
        pixel_values = session.process_image(self.state.image).inputs["pixel_values"]
        with torch.no_grad():
            maps = self.model(pixel_values).feature_maps
        config = self.model.config
        stages = {stage: np.asarray(feature[0]) for stage, feature in zip(config.out_features, maps)}
        self.output.value = render_backbone(config.out_features, config.out_indices, stages, self.labels)
