"""What every panel shares: the app's state (panels observe it) and the panel frame, which is hidden when the
checkpoint lacks what the panel shows, and turns any exception of its callbacks into a message in the panel."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import traitlets

from ..samples import CLIP, PHOTO, SENTENCE
from .logs import Message, captured
from .render.html import error_box, messages_html, note, panel_title
from .session import Session, describe_error


class AppState(traitlets.HasTraits):
    """Everything the panels read: the loaded session and the inputs the user chose."""

    session = traitlets.Any(None, allow_none=True)  # a Session, or None before a load or after a failed one
    status = traitlets.Unicode("idle")  # idle, loading, ready, failed
    text = traitlets.Unicode(SENTENCE)
    image = traitlets.Tuple(("flower.jpg", PHOTO.read_bytes()))  # (name, bytes): the sample photo or an upload
    audio = traitlets.Tuple(("hobbit.wav", CLIP.read_bytes()))  # (name, bytes): the sample clip or an upload
    # bumped when a panel adds a component to the session after the load (the backbone, built when shown):
    # the resolution panel shows it and its decisions
    parts_changed = traitlets.Int(0)
    presenter = traitlets.Bool(False)  # presenter mode: the app's CSS enlarges its type, the diagram's renderer its own


def guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Any exception in a panel's callback ends as a readable message in that panel, never only in the log; so
    do the warnings and log lines it causes, shown styled below the panel's view instead of on stderr."""

    @functools.wraps(method)
    def call(panel: Panel, *args: Any, **kwargs: Any) -> Any:
        messages: list[Message] = []
        try:
            with captured(messages):
                return method(panel, *args, **kwargs)
        except Exception as error:  # noqa: BLE001 - shown to the user; the app stays usable
            panel.show_error(error)
            return None
        finally:
            if messages:
                panel.output.value += messages_html(message.to_dict() for message in messages)

    return call


class Panel:
    """One panel: a title, its controls, and an HTML output. Subclasses set ``name``, build ``controls()``,
    say whether they ``applies_to`` a session, and ``render`` it. A panel renders only while ``active`` (the app
    keeps only its selected tab's panel active); a change it misses meanwhile is rendered when it is activated."""

    name = ""

    def __init__(self, state: AppState, labels: Mapping[str, str]) -> None:
        self.state = state
        self.labels = labels
        self.active = True
        self.stale = False  # something changed while the panel was not active
        self.output = widgets.HTML()
        title = widgets.HTML(panel_title(labels["panel_" + self.name]))
        title.add_class("explorer-panel-title")
        self.box = widgets.VBox([title, *self.controls(), self.output])
        self.box.add_class(f"explorer-panel-{self.name}")
        self.box.layout.display = "none"
        state.observe(self.on_session, "session")

    def controls(self) -> list[widgets.Widget]:
        return []

    def applies_to(self, session: Session) -> bool:
        raise NotImplementedError

    def render(self, session: Session) -> None:
        raise NotImplementedError

    @property
    def visible(self) -> bool:
        return self.box.layout.display != "none"

    def on_session(self, change: Mapping[str, Any]) -> None:
        session = change["new"]
        shown = session is not None and self.applies_to(session)
        self.box.layout.display = None if shown else "none"
        self.stale = False
        if shown:
            self.refresh()

    def activate(self, active: bool) -> None:
        """Selected (``active``) or not: a panel that missed a change renders when it is selected."""
        self.active = active
        if active and self.stale:
            self.refresh()

    def catch_up(self) -> None:
        """Render now, while not selected, what the panel missed (the app calls this when the kernel is idle, so
        that selecting the tab later only shows it)."""
        if self.stale and not self.active:
            self.active = True
            try:
                self.refresh()
            finally:
                self.active = False

    @guarded
    def refresh(self, *_: Any) -> None:
        """Render the current session (controls' and inputs' observers call this too); while the panel is not
        active, only remember that it is out of date."""
        if self.state.session is not None and self.visible:
            self.stale = not self.active
            if self.active:
                self.render(self.state.session)

    def show_error(self, error: BaseException) -> None:
        self.output.value = error_box(self.labels["panel_failed"], describe_error(error))

    def input_row(self, trait: str, sample: Path, accept: str, icon: str) -> widgets.HBox:
        """The sample button, an upload, and the name of the input in use; both set the state's ``trait`` to
        (name, bytes), which the panels showing that input observe."""
        self.input_trait, self.sample_path = trait, sample
        self.sample = widgets.Button(description=self.labels["use_sample"], icon=icon)
        self.upload = widgets.FileUpload(accept=accept, multiple=False, description=self.labels["upload"])
        self.source = widgets.HTML()
        self.sample.on_click(self.use_sample)
        self.upload.observe(self.use_upload, "value")
        self.state.observe(self.refresh, trait)
        return widgets.HBox([self.sample, self.upload, self.source])

    @guarded
    def use_sample(self, _: Any = None) -> None:
        self.state.set_trait(self.input_trait, (self.sample_path.name, self.sample_path.read_bytes()))

    @guarded
    def use_upload(self, _: Any = None) -> None:
        if self.upload.value:
            item = self.upload.value[-1]
            self.state.set_trait(self.input_trait, (item["name"], bytes(item["content"])))

    def show_input_name(self) -> None:
        self.source.value = note(f"{self.labels['input']}: {getattr(self.state, self.input_trait)[0]}")

    @staticmethod
    def has(session: Session, *names: str) -> bool:
        """The checkpoint has one of these components (loaded, pending, or failed: then the panel shows why)."""
        return any(name in session.parts and session.parts[name].status != "absent" for name in names)

    def show_part_error(self, session: Session, *names: str) -> bool:
        """When one of the components this panel needs failed to load, show its message; True if so."""
        for name in names:
            part = session.parts.get(name)
            if part is not None and part.status == "error":
                self.output.value = error_box(f"{part.auto}: {self.labels['panel_failed']}", part.error)
                return True
        return False
