"""HTML building blocks shared by the renderers: escaping, tables, sections, errors, PNG data URIs."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PIL import Image

from ...trace import format_size

PRESENTER_SCALE = 18 / 13  # presenter mode's type over the app's (font-size of .explorer-presenter, .explorer-app)

# One style block, scoped to the app's root class, so the panels need no stylesheet of their own. Colours are
# JupyterLab's theme variables (with fallbacks for other front ends), so the app follows light and dark themes;
# sizes are in em of the app's root, which presenter mode enlarges. Nothing is fetched from anywhere.
STYLE = """<style>
.explorer-app{--explorer-text:var(--jp-content-font-color1,#1f1f1f);--explorer-quiet:var(--jp-content-font-color2,#555);
 --explorer-line:var(--jp-border-color2,#ddd);--explorer-fill:var(--jp-layout-color2,#f2f2f2);
 --explorer-accent:var(--jp-brand-color1,#1976d2);--explorer-warn:var(--jp-warn-color1,#f57c00);
 --explorer-danger:var(--jp-error-color1,#d32f2f);font-size:13px;color:var(--explorer-text)}
.explorer-app.explorer-presenter{font-size:18px;--jp-widgets-font-size:18px;--jp-widgets-inline-height:36px;
 --explorer-text:var(--jp-content-font-color0,#000);--explorer-quiet:var(--jp-content-font-color1,#111);
 --explorer-line:var(--jp-border-color0,#555)}
/* not the diagram's text: its renderer enlarges it (PRESENTER_SCALE) and cuts it to widths of its own weights */
.explorer-app.explorer-presenter .explorer-table{font-weight:600}
.explorer-app table.explorer-table{border-collapse:collapse;font-size:0.92em;margin:4px 0}
.explorer-app table.explorer-table td,.explorer-app table.explorer-table th{border:1px solid var(--explorer-line);
 padding:2px 6px;text-align:left;vertical-align:top}
.explorer-app .explorer-error{background:rgba(211,47,47,.12);color:var(--explorer-text);
 border-left:4px solid var(--explorer-danger);padding:6px 10px;white-space:pre-wrap;font-size:1em}
.explorer-app .explorer-attention{background:rgba(245,124,0,.12);border-left:4px solid var(--explorer-warn);
 padding:4px 10px;margin:4px 0}
.explorer-app .explorer-note{color:var(--explorer-quiet);font-size:0.92em;margin:2px 0}
.explorer-app .explorer-messages{font-size:0.92em;margin:4px 0}
.explorer-app .explorer-message{border-left:3px solid var(--explorer-warn);padding:1px 8px;margin:2px 0;
 white-space:pre-wrap}
.explorer-app .explorer-message.info{border-left-color:var(--explorer-line)}
.explorer-app .explorer-message.error{border-left-color:var(--explorer-danger)}
.explorer-app details.explorer-details{margin:2px 0}
.explorer-app details.explorer-details>summary{cursor:pointer;font-weight:600;padding:2px 0}
.explorer-app [style*="background:"]{color:#111}
.explorer-app .explorer-token-chip{display:inline-block;margin:2px;padding:1px 4px;border-radius:4px;
 font-family:monospace;font-size:0.92em;line-height:1.2;text-align:center;border:1px solid transparent}
.explorer-app .explorer-token-chip sub{display:block;font-size:0.8em;color:#444}
.explorer-app .explorer-token-chip.special{border:1px dashed #333;background:#eee !important}
.explorer-app .explorer-token-chip.added{border:2px solid #2a7d2a;font-style:italic}
.explorer-app .explorer-source{font-family:monospace;font-size:1em;white-space:pre-wrap;line-height:1.6}
.explorer-app .explorer-row{font-family:monospace;font-size:0.85em;white-space:pre;overflow-x:auto}
.explorer-app .explorer-feature-grid{display:flex;flex-wrap:wrap;gap:12px}
.explorer-app h4{margin:6px 0 2px 0}
.explorer-app .explorer-tabs .explorer-panel-title{display:none}
.explorer-app .explorer-tabs>.widget-tab-contents{padding:6px 10px}
.explorer-app .widget-html-content{line-height:1.4}
.explorer-app .explorer-header{align-items:center}
.explorer-app .explorer-diagram{max-width:100%;height:auto}
.explorer-app .explorer-diagram text{fill:var(--explorer-text);font-family:var(--jp-ui-font-family,sans-serif)}
.explorer-app .explorer-diagram .quiet{fill:var(--explorer-quiet)}
.explorer-app .explorer-diagram rect{fill:var(--explorer-fill);stroke:var(--explorer-line)}
.explorer-app .explorer-diagram rect.chosen{stroke:var(--explorer-accent);stroke-width:2}
.explorer-app .explorer-diagram rect.absent{fill:none;stroke-dasharray:4 3}
.explorer-app .explorer-diagram rect.error{stroke:var(--explorer-danger);stroke-width:2}
.explorer-app .explorer-diagram path{stroke:var(--explorer-quiet);fill:none}
.explorer-app .explorer-download{align-items:center;gap:8px;font-size:0.92em}
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


def details(title: str, body: str, opened: bool = False) -> str:
    """A collapsible section (HTML <details>): closed unless ``opened``."""
    return (f'<details class="explorer-details"{" open" if opened else ""}><summary>{esc(title)}</summary>'
            f"{body}</details>")


def messages_html(messages: Iterable[Mapping[str, str]]) -> str:
    """Log lines and warnings caught while the app worked (logs.Message.to_dict()), each a styled line."""
    lines = "".join(f'<div class="explorer-message {esc(m["level"])}"><b>{esc(m["source"])}</b>: {esc(m["text"])}'
                    "</div>" for m in messages)
    return f'<div class="explorer-messages">{lines}</div>' if lines else ""


def download_name(name: str) -> str:
    return f"<code>{esc(name)}</code>"


def download_status(done: float, total: float | None, rate: float | None) -> str:
    """"3.1 MB of 12.0 MB · 2.4 MB/s" (sizes and speed of one download; either may not be known yet)."""
    size = format_size(int(done)) + (f" / {format_size(int(total))}" if total else "")
    speed = f" · {format_size(int(rate))}/s" if rate else ""
    return f"<span>{esc(size + speed)}</span>"


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
