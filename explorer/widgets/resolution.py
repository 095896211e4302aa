"""The resolution panel: a diagram of each Auto class and what it resolved to, the load reports and the messages
caught while loading; the decisions and files of the trace, the config's main fields and parameter counts per
module in collapsible sections."""

from __future__ import annotations

import ipywidgets as widgets

from .base import Panel
from .render.html import PRESENTER_SCALE
from .render.resolution import render_resolution
from .session import Session, parameter_counts


class ResolutionPanel(Panel):
    name = "resolution"

    def controls(self) -> list[widgets.Widget]:
        self.state.observe(self.refresh, "parts_changed")  # the backbone, built by its panel after the load
        self.state.observe(self.refresh, "presenter")  # the diagram's type and boxes grow
        return []

    def applies_to(self, session: Session) -> bool:
        return True

    def render(self, session: Session) -> None:
        model = session.get("model")
        components = [("AutoConfig", type(session.config).__name__, "loaded")]
        components += [(part.auto, part.result, part.status) for part in session.parts.values()]
        reports = [part.value.load_report.to_dict() for part in session.parts.values()
                   if part.status == "loaded" and hasattr(part.value, "load_report")]
        self.output.value = render_resolution(
            session.trace.to_dict(),
            components,
            session.config.to_dict(),
            parameter_counts(model) if model is not None else [],
            reports,
            self.labels,
            session.message_rows(),
            PRESENTER_SCALE if self.state.presenter else 1.0,
        )
