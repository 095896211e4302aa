"""The explorer app: a checkpoint box (free text, or the offline catalog's ids) and a tab for each panel the
checkpoint has. ``explore("bert-base-uncased")`` in a notebook; ``app.load(id)`` from code."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import ipywidgets as widgets

from ..hub import download_bars

from .audio import AudioPanel
from .backbone import BackbonePanel
from .base import AppState, Panel
from .generation import GenerationPanel
from .i18n import labels_for
from .image import ImagePanel
from .outputs import OutputsPanel
from .progress import Downloads
from .render.html import STYLE, busy_indicator, error_box, note
from .resolution import ResolutionPanel
from .session import describe_error, load_session, return_freed_memory
from .text import TextPanel

# how long the kernel is left to answer the front end before the next hidden tab renders
IDLE_SECONDS = 0.05
# the app's class once a load has nothing left to render in the background (what browser tests wait for)
SETTLED = "explorer-settled"
PANELS = (ResolutionPanel, TextPanel, ImagePanel, AudioPanel, OutputsPanel, GenerationPanel, BackbonePanel)


def tab_title(label: str) -> str:
    """A panel's label up to its colon ("Text: the tokenizer" -> "Text"; Chinese labels use a full-width one)."""
    return re.split("[:\uff1a]", label, maxsplit=1)[0]


def kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The asyncio loop of the IPython kernel the app runs in; None in a script or a test, where nothing waits for
    idle time (another library's loop running in the same thread, as Playwright's sync API, is not a kernel's)."""
    from IPython import get_ipython

    if getattr(get_ipython(), "kernel", None) is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def catalog_ids() -> list[str]:
    from .. import catalog

    return [entry.id for entry in catalog.available()]


class ExplorerApp(widgets.VBox):
    """The app widget: the checkpoint box, then one tab per panel the checkpoint has, in the tutorial's order.
    ``state`` holds the loaded session and the inputs; ``panels`` maps names to panels; ``show(name)`` selects
    a panel's tab (only the selected panel renders; the others catch up when selected)."""

    def __init__(self, lang: str = "en") -> None:
        self.labels = labels_for(lang)
        self.state = AppState()
        self.checkpoint = widgets.Combobox(options=catalog_ids(), placeholder=self.labels["checkpoint_placeholder"],
                                           description=self.labels["checkpoint"], continuous_update=False,
                                           ensure_option=False, layout=widgets.Layout(width="520px"),
                                           style={"description_width": "initial"})  # never cut, at any type size
        self.checkpoint.add_class("explorer-checkpoint")
        self.load_button = widgets.Button(description=self.labels["load"], button_style="primary", icon="download")
        self.load_button.add_class("explorer-load")
        self.presenter = widgets.ToggleButton(description=self.labels["presenter"], icon="television",
                                              tooltip=self.labels["presenter_hint"])
        self.presenter.add_class("explorer-presenter-toggle")
        self.presenter.observe(self.on_presenter, "value")
        self.busy = widgets.HTML(busy_indicator(self.labels["loading"]),
                                 layout=widgets.Layout(display="none"))
        self.busy.add_class("explorer-busy")
        self.message = widgets.HTML()
        self.downloads = Downloads()
        self.requested = ""
        self.panels: dict[str, Panel] = {panel.name: panel(self.state, self.labels) for panel in PANELS}
        for panel in self.panels.values():
            panel.active = False
        self.tabs = widgets.Tab()
        self.tabs.add_class("explorer-tabs")
        self.shown: list[Panel] = []  # the panels in the tabs, in order
        self.selected_name = "resolution"  # the tab last chosen, selected again when the next checkpoint has it
        self.state.observe(self.arrange_tabs, "session")  # after the panels' own observers: they know if they apply
        self.tabs.observe(self.on_tab, "selected_index")
        self.checkpoint.observe(self.on_submit, "value")
        self.load_button.on_click(lambda _: self.load(self.checkpoint.value))
        header = widgets.HBox([self.checkpoint, self.load_button, self.presenter, self.busy])
        super().__init__([widgets.HTML(STYLE), header, self.message, self.downloads, self.tabs])
        self.add_class("explorer-app")

    def on_presenter(self, change: dict[str, Any]) -> None:
        """Presenter mode: larger type and stronger contrast for a projector (CSS on the app's root class; the
        resolution diagram, whose boxes are laid out for its type, is redrawn)."""
        (self.add_class if change["new"] else self.remove_class)("explorer-presenter")
        self.state.presenter = change["new"]

    def arrange_tabs(self, change: dict[str, Any]) -> None:
        """One tab per panel that applies to the new session; the tab selected before stays selected if it is
        still there, else the first (Resolution)."""
        selected = self.panels[self.selected_name]
        self.shown = [panel for panel in self.panels.values() if panel.visible]
        with self.tabs.hold_trait_notifications():
            self.tabs.selected_index = None
            self.tabs.children = [panel.box for panel in self.shown]
            self.tabs.titles = [tab_title(self.labels["panel_" + panel.name]) for panel in self.shown]
        self.tabs.selected_index = self.shown.index(selected) if selected in self.shown else (0 if self.shown else None)

    def selected_panel(self) -> Panel | None:
        index = self.tabs.selected_index
        return self.shown[index] if index is not None and index < len(self.shown) else None

    def on_tab(self, change: dict[str, Any]) -> None:
        selected = self.selected_panel()
        for panel in self.panels.values():
            if panel is not selected:
                panel.activate(False)
        if selected is not None:
            self.selected_name = selected.name
            selected.activate(True)

    def show(self, name: str) -> Panel:
        """Select the tab of panel ``name`` (it renders now if it missed a change); the panel."""
        panel = self.panels[name]
        self.tabs.selected_index = self.shown.index(panel)
        return panel

    def catch_up_when_idle(self) -> None:
        """In a kernel, render the hidden tabs one at a time once it is idle, so that a click on a tab shows it at
        once; a message from the front end (a click, an edit) is handled between two of them. Without an event
        loop (a script, a test) each tab renders when it is selected."""
        loop = kernel_loop()
        if loop is None:
            self.settle()
            return
        loop.call_later(IDLE_SECONDS, self.catch_up_next, loop, self.state.session)

    def catch_up_next(self, loop: asyncio.AbstractEventLoop, session: Any) -> None:
        if session is not self.state.session:  # another checkpoint was loaded meanwhile: it has its own round
            return
        behind = [panel for panel in self.shown if panel.stale and not panel.active]
        if behind:
            behind[0].catch_up()
            loop.call_later(IDLE_SECONDS, self.catch_up_next, loop, session)
        else:
            self.settle()

    def settle(self) -> None:
        """Every shown tab has rendered: their forward passes freed their temporaries (attention scores,
        activations), which glibc keeps for reuse, ~20 MiB per learner's kernel on ViT-base (bench/workshop.py)."""
        return_freed_memory()
        self.add_class(SETTLED)

    def on_submit(self, change: dict[str, Any]) -> None:
        """Enter in the box (or a catalog id picked from its list) loads that id."""
        if change["new"].strip() and change["new"].strip() != self.requested:
            self.load(change["new"])

    def load(self, reference: str) -> None:
        """Load ``reference`` (Hub id, catalog id or folder) and show its panels; a failure shows its message
        and leaves the app ready for the next id. Downloads show as progress rows; log lines and warnings are
        kept in the session and shown in the Resolution tab."""
        self.requested = reference = str(reference).strip()
        self.checkpoint.value = reference  # from code: the box shows what is loaded (on_submit skips it)
        self.busy.layout.display = None
        self.load_button.disabled = True
        self.state.status = "loading"
        self.message.value = ""
        self.remove_class(SETTLED)
        self.downloads.clear()  # the previous load's download rows
        # the previous checkpoint goes before the next one loads: memory holds one model at a time (a Binder
        # session has 2 GB; the wav2vec2-large copy alone takes 1.3 GB)
        self.state.session = None
        return_freed_memory()
        try:
            with download_bars(self.downloads.tqdm_class()):
                session, failure = self.try_load(reference)
            if failure is not None:
                self.state.status = "failed"
                self.message.value = error_box(f"{self.labels['load_failed']} {reference}", describe_error(failure))
                self.add_class(SETTLED)
            else:
                self.state.session = session
                self.state.status = "ready"
                self.message.value = self.catalog_note(reference)
                self.catch_up_when_idle()
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
