"""HTML building blocks shared by the renderers: escaping, tables, sections, errors, PNG data URIs."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from typing import Any

from PIL import Image

# One style block, scoped to the app's root class, so the panels need no stylesheet of their own.
STYLE = """<style>
.explorer-app table.explorer-table{border-collapse:collapse;font-size:12px;margin:4px 0}
.explorer-app table.explorer-table td,.explorer-app table.explorer-table th{border:1px solid #ddd;padding:2px 6px;
 text-align:left;vertical-align:top}
.explorer-app .explorer-error{background:#fdecea;color:#611a15;border-left:4px solid #d93025;padding:6px 10px;
 white-space:pre-wrap;font-size:13px}
.explorer-app .explorer-note{color:#555;font-size:12px;margin:2px 0}
.explorer-app .explorer-token-chip{display:inline-block;margin:2px;padding:1px 4px;border-radius:4px;
 font-family:monospace;font-size:12px;line-height:1.2;text-align:center;border:1px solid transparent}
.explorer-app .explorer-token-chip sub{display:block;font-size:10px;color:#444}
.explorer-app .explorer-token-chip.special{border:1px dashed #333;background:#eee !important}
.explorer-app .explorer-token-chip.added{border:2px solid #2a7d2a;font-style:italic}
.explorer-app .explorer-source{font-family:monospace;font-size:13px;white-space:pre-wrap;line-height:1.6}
.explorer-app .explorer-row{font-family:monospace;font-size:11px;white-space:pre;overflow-x:auto}
.explorer-app .explorer-feature-grid{display:flex;flex-wrap:wrap;gap:12px}
.explorer-app h4{margin:6px 0 2px 0}
</style>"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def table(rows: Iterable[Sequence[Any]], header: Sequence[str] | None = None, raw: bool = False) -> str:
    """A table; cells are escaped unless ``raw`` (then they are HTML already)."""
    cell = (lambda value: str(value)) if raw else esc
    head = "<tr>" + "".join(f"<th>{esc(name)}</th>" for name in header) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{cell(value)}</td>" for value in row) + "</tr>" for row in rows)
    return f'<table class="explorer-table">{head}{body}</table>'


def panel_title(title: str) -> str:
    return f"<h3>{esc(title)}</h3>"


def busy_indicator(text: str) -> str:
    """An hourglass and ``text``, shown while a checkpoint loads."""
    return f"<span>&#8987; {esc(text)}</span>"


def strong(text: str) -> str:
    return f"<b>{esc(text)}</b>"


def section(title: str, body: str) -> str:
    return f"<h4>{esc(title)}</h4>{body}"


def note(text: str) -> str:
    return f'<div class="explorer-note">{esc(text)}</div>'


def error_box(title: str, message: str) -> str:
    """A readable error inside a panel (the DOM contract's ``explorer-error``)."""
    return f'<div class="explorer-error"><b>{esc(title)}</b>\n{esc(message)}</div>'


def png_data_uri(image: Image.Image) -> str:
    """A PIL image as a PNG data URI (fast compression: these are redrawn on every change)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def img(image: Image.Image, css_class: str = "", title: str = "", width: int | None = None) -> str:
    attributes = f' class="{esc(css_class)}"' if css_class else ""
    attributes += f' title="{esc(title)}"' if title else ""
    attributes += f' width="{width}"' if width else ""
    return f'<img src="{png_data_uri(image)}"{attributes} style="image-rendering:pixelated">'


def number(value: float) -> str:
    return f"{value:.4g}"
