"""The explorer app: a checkpoint box (free text, or the offline catalog's ids) and the panels for whatever the
checkpoint has. ``explore("bert-base-uncased")`` in a notebook; ``app.load(id)`` from code."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from .audio import AudioPanel
from .backbone import BackbonePanel
from .base import AppState, Panel
from .generation import GenerationPanel
from .i18n import labels_for
from .image import ImagePanel
from .outputs import OutputsPanel
from .render.html import STYLE, busy_indicator, error_box, note
from .resolution import ResolutionPanel
from .session import describe_error, load_session, return_freed_memory
from .text import TextPanel

PANELS = (ResolutionPanel, TextPanel, ImagePanel, AudioPanel, OutputsPanel, GenerationPanel, BackbonePanel)


def catalog_ids() -> list[str]:
    from .. import catalog

    return [entry.id for entry in catalog.available()]


class ExplorerApp(widgets.VBox):
    """The app widget. ``state`` holds the loaded session and the inputs; ``panels`` maps names to panels."""

    def __init__(self, lang: str = "en") -> None:
        self.labels = labels_for(lang)
        self.state = AppState()
        self.checkpoint = widgets.Combobox(options=catalog_ids(), placeholder=self.labels["checkpoint_placeholder"],
                                           description=self.labels["checkpoint"], continuous_update=False,
                                           ensure_option=False, layout=widgets.Layout(width="520px"))
        self.checkpoint.add_class("explorer-checkpoint")
        self.load_button = widgets.Button(description=self.labels["load"], button_style="primary", icon="download")
        self.load_button.add_class("explorer-load")
        self.busy = widgets.HTML(busy_indicator(self.labels["loading"]),
                                 layout=widgets.Layout(display="none"))
        self.busy.add_class("explorer-busy")
        self.message = widgets.HTML()
        self.progress = widgets.Output()  # huggingface_hub's download bars land here
        self.requested = ""
        self.panels: dict[str, Panel] = {panel.name: panel(self.state, self.labels) for panel in PANELS}
        self.checkpoint.observe(self.on_submit, "value")
        self.load_button.on_click(lambda _: self.load(self.checkpoint.value))
        header = widgets.HBox([self.checkpoint, self.load_button, self.busy])
        super().__init__([widgets.HTML(STYLE), header, self.message, self.progress,
                          *(panel.box for panel in self.panels.values())])
        self.add_class("explorer-app")

    def on_submit(self, change: dict[str, Any]) -> None:
        """Enter in the box (or a catalog id picked from its list) loads that id."""
        if change["new"].strip() and change["new"].strip() != self.requested:
            self.load(change["new"])

    def load(self, reference: str) -> None:
        """Load ``reference`` (Hub id, catalog id or folder) and show its panels; a failure shows its message
        and leaves the app ready for the next id."""
        self.requested = reference = str(reference).strip()
        self.checkpoint.value = reference  # from code: the box shows what is loaded (on_submit skips it)
        self.busy.layout.display = None
        self.load_button.disabled = True
        self.state.status = "loading"
        self.message.value = ""
        self.progress.clear_output()  # the previous load's download bars and load-report log lines
        # the previous checkpoint goes before the next one loads: memory holds one model at a time (a Binder
        # session has 2 GB; the wav2vec2-large copy alone takes 1.3 GB)
        self.state.session = None
        return_freed_memory()
        try:
            # the error is caught inside the Output block: in a kernel, Output.__exit__ prints and swallows
            # exceptions, so an except clause outside it would never run
            with self.progress:
                session, failure = self.try_load(reference)
            if failure is not None:
                self.state.status = "failed"
                self.message.value = error_box(f"{self.labels['load_failed']} {reference}", describe_error(failure))
            else:
                self.state.session = session
                self.state.status = "ready"
                self.message.value = self.catalog_note(reference)
                # the panels' forward passes freed their temporaries (attention scores, activations); glibc keeps
                # such memory for reuse: ~20 MiB per learner's kernel on ViT-base (bench/workshop.py)
                return_freed_memory()
        finally:
            self.busy.layout.display = "none"
            self.load_button.disabled = False

    @staticmethod
    def try_load(reference: str) -> tuple[Any, Exception | None]:
        try:
            return load_session(reference), None
        except Exception as error:  # noqa: BLE001 - any failure is shown; the app stays usable
            return None, error

    def catalog_note(self, reference: str) -> str:
        from .. import catalog

        entry = catalog.find(reference)
        return note(f"{self.labels['catalog']}: {entry.title}") if entry is not None else ""


def explore(reference: str | None = None, lang: str = "en") -> ExplorerApp:
    """The explorer app on ``reference`` (default: the offline catalog's default checkpoint), labels in
    ``lang`` ("en", "ko" or "zh")."""
    from .. import catalog

    app = ExplorerApp(lang=lang)
    app.load(reference or catalog.default_reference())
    return app
