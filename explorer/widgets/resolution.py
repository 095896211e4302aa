"""The resolution panel: each Auto class and what it resolved to, the decisions and files of the trace, the
config's main fields, parameter counts per module and the load report."""

from __future__ import annotations

import ipywidgets as widgets

from .base import Panel
from .render.resolution import render_resolution
from .session import Session, parameter_counts


class ResolutionPanel(Panel):
    name = "resolution"

    def controls(self) -> list[widgets.Widget]:
        self.state.observe(self.refresh, "parts_changed")  # the backbone, built by its panel after the load
        return []

    def applies_to(self, session: Session) -> bool:
        return True

    def render(self, session: Session) -> None:
        model = session.get("model")
        components = [("AutoConfig", type(session.config).__name__, "loaded")]
        components += [(part.auto, part.result, part.status) for part in session.parts.values()]
        self.output.value = render_resolution(
            session.trace.to_dict(),
            components,
            session.config.to_dict(),
            parameter_counts(model) if model is not None else [],
            model.load_report.to_dict() if model is not None else None,
            self.labels,
        )
