"""Downloads in the app: huggingface_hub draws its bars with the app's tqdm class (hub.download_bars), as rows
with the file name, a progress bar, size and speed; against the local Hub-compatible server (tests/hubserver.py);
nothing is written to stderr."""

from __future__ import annotations

import pytest
from hubserver import hub  # noqa: F401  (hub: a fixture)

from explorer.widgets.progress import Downloads


@pytest.fixture
def served(hub, checkpoints):  # noqa: F811
    hub.add_folder("org/sentiment", checkpoints["sentiment"])
    return hub


def rows(downloads: Downloads) -> dict[str, tuple[float, str, str]]:
    """file name -> (bar value, bar style, status text) of each row."""
    return {row.children[0].value: (row.bar.value, row.bar.bar_style, row.status.value) for row in downloads.children}


def test_a_bar_is_a_row_with_the_name_size_and_speed():
    downloads = Downloads()
    bar = downloads.tqdm_class()(desc="(…)org/sentiment/resolve/main/model.safetensors", total=4096, unit="B",
                                 unit_scale=True, mininterval=0)  # mininterval: redrawn at every update
    assert downloads.layout.display is None
    bar.update(1024)
    value, style, status = rows(downloads)["<code>model.safetensors</code>"]
    assert value == 0.25 and style == "" and status.startswith("<span>1.0 KB / 4.0 KB · ") and "/s" in status
    bar.update(3072)
    bar.close()
    assert rows(downloads)["<code>model.safetensors</code>"][:2] == (1.0, "success")
    downloads.clear()
    assert downloads.children == () and downloads.layout.display == "none"


def test_an_app_load_shows_each_download_as_a_row_and_nothing_on_stderr(app, served, capfd):
    app.load("org/sentiment")
    assert app.state.status == "ready", app.message.value
    shown = rows(app.downloads)
    assert "<code>model.safetensors</code>" in shown and "<code>config.json</code>" in shown
    assert all(value == 1.0 and style == "success" for value, style, _ in shown.values())
    size = app.state.session.checkpoint.get("model.safetensors").stat().st_size
    assert shown["<code>model.safetensors</code>"][2].startswith(f"<span>{_size(size)} / {_size(size)}")
    assert capfd.readouterr().err == ""
    app.load("org/sentiment")  # the same id again, from the cache: no rows
    assert app.downloads.children == ()


def _size(size: int) -> str:
    from explorer.trace import format_size

    return format_size(size)


def test_a_compare_side_shows_its_downloads_as_rows_and_nothing_on_stderr(served, capfd):
    from explorer.widgets.compare import CompareApp

    app = CompareApp("org/sentiment")
    shown = rows(app.sides[0].downloads)
    assert "<code>model.safetensors</code>" in shown and "<code>config.json</code>" in shown
    assert app.sides[0].session is not None and "explorer-error" not in app.sides[0].message.value
    assert capfd.readouterr().err == ""
