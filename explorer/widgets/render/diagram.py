"""The resolution diagram: what ``from_pretrained`` did, as an SVG. The reference on the left, then one lane per
Auto class: the files it read (with their sizes), the key of the file that decided, and the class chosen (or
why there is none). Drawn from ``ResolutionTrace.to_dict()`` and the session's components only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...trace import format_size
from .html import esc

LANE = 46  # px from one lane to the next
BOX = 36  # box height
TOP = 24  # room for the column headers
CHAR = 6.6  # the average width of a 12px sans-serif character, to cut text that would overflow its box
# (x, width) of the columns: reference, Auto class, files read, deciding key, class chosen
COLUMNS = ((4, 190), (226, 220), (476, 230), (736, 210), (976, 240))
WIDTH = COLUMNS[-1][0] + COLUMNS[-1][1] + 4
MAX_FILES = 2  # file lines per box; more are counted


@dataclass(frozen=True)
class Lane:
    auto: str  # the Auto class asked
    result: str  # the class chosen, or why there is none
    status: str  # "loaded", "absent", "pending" or "error"
    files: list[str]  # "name · size" of each file it read
    key: list[str]  # the key of the decision that chose and its value, or nothing


def fit(text: str, width: float, size: float = 12) -> str:
    """``text`` cut with an ellipsis to fit ``width`` px at font ``size``."""
    room = int(width / (CHAR * size / 12))
    return text if len(text) <= room else text[: max(room - 1, 1)] + "\u2026"


def lane_for(component: tuple[str, str, str], trace: Mapping[str, Any]) -> Lane:
    """The decisions of one Auto class: those it made, and the weights its class read (stage = class name)."""
    auto, result, status = component
    decisions = [d for d in trace["decisions"] if d["stage"] in (auto, result)]
    sizes = {read["name"]: read["size"] for read in trace["files"]}
    names = list(dict.fromkeys(d["file"] for d in decisions))
    files = [f"{name} \u00b7 {format_size(sizes[name])}" if name in sizes else name for name in names]
    keyed = [d for d in decisions if d["key"]]
    key = [keyed[-1]["key"], repr(keyed[-1]["value"])] if keyed else []
    return Lane(auto, result, status, files, key)


def box(column: int, y: float, lines: Sequence[str], css: str = "", title: str = "", last: int | None = None) -> str:
    """A box in ``column`` (to column ``last``) at ``y`` with one or two lines of text (the first in bold when
    the box is a class)."""
    x, width = COLUMNS[column]
    if last is not None:
        width = COLUMNS[last][0] + COLUMNS[last][1] - x
    shown = [fit(line, width - 12, 12 if index == 0 else 11) for index, line in enumerate(lines[:2])]
    baseline = y + (BOX / 2 + 4 if len(shown) == 1 else 15)
    texts = "".join(text_line(x + 6, baseline + index * 14, line, first=index == 0, bold=css == "chosen")
                    for index, line in enumerate(shown))
    tip = f"<title>{esc(title or chr(10).join(lines))}</title>"
    return (f'<g><rect class="{css}" x="{x}" y="{y}" width="{width}" height="{BOX}" rx="5">'
            f"</rect>{tip}{texts}</g>")


def text_line(x: float, y: float, text: str, first: bool, bold: bool) -> str:
    """A box's first line (12px, bold in a chosen box) or second line (11px, quiet)."""
    style = ('font-size="12" font-weight="bold"' if bold else 'font-size="12"') if first else 'font-size="11" class="quiet"'
    return f'<text x="{x}" y="{y:.0f}" {style}>{esc(text)}</text>'


def arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    """A curve from (x1, y1) to (x2, y2) ending in an arrowhead."""
    middle = (x1 + x2) / 2
    return (f'<path d="M{x1},{y1:.0f} C{middle},{y1:.0f} {middle},{y2:.0f} {x2 - 5},{y2:.0f}"></path>'
            f'<path d="M{x2 - 9},{y2 - 4:.0f} L{x2 - 3},{y2:.0f} L{x2 - 9},{y2 + 4:.0f}"></path>')


def lane_svg(lane: Lane, y: float, source: tuple[float, float], labels: Mapping[str, str]) -> str:
    """One lane: an arrow from the reference, the Auto class, its files, its key and its class."""
    middle = y + BOX / 2
    parts = [arrow(*source, COLUMNS[1][0], middle), box(1, y, [lane.auto])]
    if lane.status != "loaded":  # absent, pending or failed: the reason spans the remaining columns
        css = "absent" if lane.status == "pending" else lane.status
        parts.append(arrow(COLUMNS[1][0] + COLUMNS[1][1], middle, COLUMNS[2][0], middle))
        parts.append(box(2, y, [labels[lane.status], lane.result], css, lane.result, last=4))
        return "".join(parts)
    shown = lane.files[:MAX_FILES]
    if len(lane.files) > MAX_FILES:
        shown = [lane.files[0], f"+{len(lane.files) - 1} \u2026"]
    columns = [(shown or ["\u2014"], "", "\n".join(lane.files)), (lane.key or ["\u2014"], "", ""),
               ([lane.result], "chosen", "")]
    for column, (lines, css, title) in enumerate(columns, start=2):
        previous = COLUMNS[column - 1]
        parts.append(arrow(previous[0] + previous[1], middle, COLUMNS[column][0], middle))
        parts.append(box(column, y, lines, css, title))
    return "".join(parts)


def resolution_diagram(trace: Mapping[str, Any], components: Sequence[tuple[str, str, str]],
                       labels: Mapping[str, str]) -> str:
    """``trace`` is ``ResolutionTrace.to_dict()``; ``components`` (Auto class, result, status) rows, one lane
    each, in order."""
    lanes = [lane_for(component, trace) for component in components]
    height = TOP + LANE * len(lanes)
    reference_y = TOP + (height - TOP) / 2 - BOX / 2
    catalog = next((d["note"] for d in trace["decisions"] if d["stage"] == "catalog"), "")
    where = catalog or trace["location"]
    headers = (labels["reference"], labels["auto_class"], labels["files_read"], labels["key"], labels["resolved_to"])
    parts = [f'<text x="{x}" y="14" font-size="11" class="quiet">{esc(header)}</text>'
             for (x, _), header in zip(COLUMNS, headers)]
    parts.append(box(0, reference_y, [trace["reference"], where], "chosen"))
    source = (COLUMNS[0][0] + COLUMNS[0][1], reference_y + BOX / 2)
    parts += [lane_svg(lane, TOP + index * LANE, source, labels) for index, lane in enumerate(lanes)]
    return (f'<svg class="explorer-diagram" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{esc(labels["diagram"])}">{"".join(parts)}</svg>')
