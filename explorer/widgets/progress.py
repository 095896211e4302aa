"""Downloads shown in the app: one row per file (name, a progress bar, size and speed), fed by a tqdm class
that huggingface_hub draws its bars with (``hub.download_bars``) instead of printing them to stderr."""

from __future__ import annotations

import io
from typing import Any

import ipywidgets as widgets
from tqdm.std import tqdm

from .render.html import download_name, download_status


class DownloadRow(widgets.HBox):
    def __init__(self, name: str) -> None:
        self.bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, layout=widgets.Layout(width="240px"))
        self.status = widgets.HTML()
        super().__init__([widgets.HTML(download_name(name)), self.bar, self.status])
        self.add_class("explorer-download")

    def show(self, state: dict[str, Any], finished: bool) -> None:
        """Draw a tqdm ``format_dict``: bytes done of total, and the speed (tqdm's smoothed rate, else the
        average so far)."""
        done, total, elapsed = state["n"], state["total"], state["elapsed"]
        rate = state["rate"] or (done / elapsed if elapsed else None)
        self.bar.value = done / total if total else float(finished)
        self.bar.bar_style = "success" if finished else ""
        self.status.value = download_status(done, total, rate)


class Downloads(widgets.VBox):
    """The files downloading (or downloaded) during the current load; hidden while there are none."""

    def __init__(self) -> None:
        super().__init__(layout=widgets.Layout(display="none"))
        self.add_class("explorer-downloads")

    def clear(self) -> None:
        self.children = ()
        self.layout.display = "none"

    def add(self, name: str) -> DownloadRow:
        row = DownloadRow(name)
        self.children = (*self.children, row)
        self.layout.display = None
        return row

    def tqdm_class(self) -> type[tqdm]:
        """A tqdm class whose bars are rows of this widget (huggingface_hub calls it with desc, total, unit)."""
        return type("DownloadBar", (WidgetBar,), {"downloads": self})


class WidgetBar(tqdm):
    """A tqdm bar drawn as a :class:`DownloadRow` of ``downloads``; nothing is written to a terminal."""

    downloads: Downloads
    monitor_interval = 0  # no monitor thread: the bars are redrawn by the download's own updates

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("name", None)  # huggingface_hub's own bar class takes a name; plain tqdm refuses it
        kwargs["file"] = io.StringIO()
        # huggingface_hub's desc is the file's URL, cut at the front: the file name is its last part
        self.row = self.downloads.add(str(kwargs.get("desc") or "").rsplit("/", 1)[-1])
        super().__init__(*args, **kwargs)

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        self.row.show(self.format_dict, finished=False)
        return True

    def close(self) -> None:
        drawn = not self.disable
        super().close()  # draws the bar one last time, unfinished
        if drawn:
            state = self.format_dict
            self.row.show(state, finished=state["n"] == state["total"])
