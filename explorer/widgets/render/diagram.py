"""The resolution diagram: what ``from_pretrained`` did, as an SVG. The reference on the left, then one lane per
Auto class: the files it read (with their sizes), the key of the file that decided, and the class chosen (or
why there is none). Drawn from ``ResolutionTrace.to_dict()`` and the session's components only. Its type and
heights grow with ``scale`` (presenter mode); its width is its container's, so longer text is cut sooner."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...trace import format_size
from .html import esc

# vertical sizes in SVG units at scale 1 (multiplied by ``scale``); columns keep their widths at any scale
LANE = 46  # from one lane to the next
BOX = 36  # box height
TOP = 24  # room for the column headers
# the widest average width of a 12px character of a class or file name (DejaVu Sans, JupyterLab's system-ui on
# Linux; other systems' fonts are narrower), regular and bold, to cut text that would overflow its box
CHAR, BOLD_CHAR = 6.9, 7.6
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


FILE_SIZE_DOT = " \u00b7 "  # between a file's name and its size
MAX_REFERENCE_LINES = 3


def room(width: float, size: float, bold: bool = False) -> int:
    """How many characters of font ``size`` fit ``width`` px."""
    return int(width / ((BOLD_CHAR if bold else CHAR) * size / 12))


def fit(text: str, width: float, size: float = 12, bold: bool = False) -> str:
    """``text`` cut with an ellipsis (as wide as two characters) to fit ``width`` px at font ``size``."""
    chars = room(width, size, bold)
    return text if len(text) <= chars else text[: max(chars - 2, 1)] + "\u2026"


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """``text`` on one line, or on two when it is too long for ``width``: a file and its size at the dot between
    them ("preprocessor_config.json", "337 B"); a class name before its last capital that leaves a first line
    that fits ("AutoModelForSequence", "Classification"). Other text stays on one line, to be cut."""
    chars = room(width, size, bold)
    if len(text) <= chars:
        return [text]
    name, dot, detail = text.partition(FILE_SIZE_DOT)
    if dot:
        return [name, detail]
    splits = [index for index in range(1, min(chars, len(text) - 1) + 1) if text[index].isupper()]
    return [text[:splits[-1]], text[splits[-1]:]] if splits and text.isidentifier() else [text]


def without_paths(text: str, trace: Mapping[str, Any]) -> str:
    """``text`` with this machine's paths of the checkpoint's files as their names in it, and of its folder as
    the reference: a reason on a projector says which file, not where a cache or site-packages lies."""
    for read in trace["files"]:
        text = text.replace(read["path"], read["name"])
    return text.replace(trace["location"], trace["reference"]) if trace["location"] else text


def lane_for(component: tuple[str, str, str], trace: Mapping[str, Any]) -> Lane:
    """The decisions of one Auto class: those it made, and the weights its class read (stage = class name)."""
    auto, result, status = component
    result = result if status == "loaded" else without_paths(result, trace)
    decisions = [d for d in trace["decisions"] if d["stage"] in (auto, result)]
    sizes = {read["name"]: read["size"] for read in trace["files"]}
    names = list(dict.fromkeys(d["file"] for d in decisions))
    files = [f"{name}{FILE_SIZE_DOT}{format_size(sizes[name])}" if name in sizes else name for name in names]
    keyed = [d for d in decisions if d["key"]]
    key = [keyed[-1]["key"], repr(keyed[-1]["value"])] if keyed else []
    return Lane(auto, result, status, files, key)


def box(column: int, y: float, lines: Sequence[str], scale: float, css: str = "", title: str = "",
        last: int | None = None, names: Sequence[str] = ()) -> str:
    """A box in ``column`` (to column ``last``) at ``y`` with one line, a name, or two, a name and a detail (the
    name in bold when the box is a class chosen); ``names``, when given, the name's lines (the box grows by a
    line for each after the first)."""
    x, width = COLUMNS[column]
    if last is not None:
        width = COLUMNS[last][0] + COLUMNS[last][1] - x
    big, small, bold = 12 * scale, 11 * scale, css == "chosen"
    if len(lines) == 1:  # a name: on two lines of its size when it is too long for one
        rows = [(line, big, False) for line in wrap(lines[0], width - 12, big, bold)]
    else:  # a name and a quiet detail
        rows = [(name, big, False) for name in names or lines[:1]] + [(lines[1], small, True)]
    baseline = y + scale * (BOX / 2 + 4 if len(rows) == 1 else 15)
    texts = "".join(text_line(x + 6, baseline + index * 14 * scale, fit(text, width - 12, size, bold and not quiet),
                              size, quiet, bold and not quiet)
                    for index, (text, size, quiet) in enumerate(rows))
    tip = f"<title>{esc(title or chr(10).join(lines))}</title>"
    return (f'<g><rect class="{css}" x="{x}" y="{y:.0f}" width="{width}" height="{box_height(rows, scale):.0f}" '
            f'rx="5"></rect>{tip}{texts}</g>')


def box_height(rows: Sequence[Any], scale: float) -> float:
    """A box's height: room for two rows, and a row's more for each beyond."""
    return (BOX + 14 * max(0, len(rows) - 2)) * scale


def reference_names(reference: str, scale: float) -> list[str]:
    """The reference, the id the room reads first, on as many lines (up to three) as its box needs, broken after
    a slash or a hyphen: "sentence-transformers/", "all-MiniLM-L6-v2"; in presenter mode's larger type
    "sentence-", "transformers/", "all-MiniLM-L6-v2". A part longer than a line is cut."""
    chars = room(COLUMNS[0][1] - 12, 12 * scale, bold=True)
    lines = [""]
    for part in re.findall(r"[^/-]+[/-]?|[/-]", reference):
        if lines[-1] and len(lines[-1] + part) > chars and len(lines) < MAX_REFERENCE_LINES:
            lines.append(part)
        else:
            lines[-1] += part
    return lines


def text_line(x: float, y: float, text: str, size: float, quiet: bool, bold: bool) -> str:
    """A line of a box: a name (bold in a chosen box) or a quiet detail."""
    style = f'font-size="{size:.4g}"'
    if quiet:
        style += ' class="quiet"'
    elif bold:
        style += ' font-weight="bold"'
    return f'<text x="{x}" y="{y:.0f}" {style}>{esc(text)}</text>'


def arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    """A curve from (x1, y1) to (x2, y2) ending in an arrowhead."""
    middle = (x1 + x2) / 2
    return (f'<path d="M{x1},{y1:.0f} C{middle},{y1:.0f} {middle},{y2:.0f} {x2 - 5},{y2:.0f}"></path>'
            f'<path d="M{x2 - 9},{y2 - 4:.0f} L{x2 - 3},{y2:.0f} L{x2 - 9},{y2 + 4:.0f}"></path>')


def lane_svg(lane: Lane, y: float, source: tuple[float, float], labels: Mapping[str, str], scale: float) -> str:
    """One lane: an arrow from the reference, the Auto class, its files, its key and its class."""
    middle = y + BOX * scale / 2
    parts = [arrow(*source, COLUMNS[1][0], middle), box(1, y, [lane.auto], scale)]
    if lane.status != "loaded":  # absent, pending or failed: the reason spans the remaining columns
        css = "absent" if lane.status == "pending" else lane.status
        parts.append(arrow(COLUMNS[1][0] + COLUMNS[1][1], middle, COLUMNS[2][0], middle))
        parts.append(box(2, y, [labels[lane.status], lane.result], scale, css, lane.result, last=4))
        return "".join(parts)
    shown = lane.files[:MAX_FILES]
    if len(lane.files) > MAX_FILES:
        shown = [lane.files[0], f"+{len(lane.files) - 1} \u2026"]
    columns = [(shown or ["\u2014"], "", "\n".join(lane.files)), (lane.key or ["\u2014"], "", ""),
               ([lane.result], "chosen", "")]
    for column, (lines, css, title) in enumerate(columns, start=2):
        previous = COLUMNS[column - 1]
        parts.append(arrow(previous[0] + previous[1], middle, COLUMNS[column][0], middle))
        parts.append(box(column, y, lines, scale, css, title))
    return "".join(parts)


def resolution_diagram(trace: Mapping[str, Any], components: Sequence[tuple[str, str, str]],
                       labels: Mapping[str, str], scale: float = 1.0) -> str:
    """``trace`` is ``ResolutionTrace.to_dict()``; ``components`` (Auto class, result, status) rows, one lane
    each, in order; ``scale`` the type's size over the app's (presenter mode's is larger)."""
    lanes = [lane_for(component, trace) for component in components]
    top, lane_height = TOP * scale, LANE * scale
    height = round(top + lane_height * len(lanes))
    middle = top + (height - top) / 2  # of the lanes: the reference box is centred on it, its arrows leave from it
    catalog = next((d["note"] for d in trace["decisions"] if d["stage"] == "catalog"), "")
    where = catalog or trace["location"]
    names = reference_names(trace["reference"], scale)
    headers = (labels["reference"], labels["auto_class"], labels["files_read"], labels["key"], labels["resolved_to"])
    parts = [f'<text x="{x}" y="{14 * scale:.0f}" font-size="{11 * scale:.4g}" class="quiet">{esc(header)}</text>'
             for (x, _), header in zip(COLUMNS, headers)]
    parts.append(box(0, middle - box_height([*names, where], scale) / 2, [trace["reference"], where], scale, "chosen",
                     names=names))
    source = (COLUMNS[0][0] + COLUMNS[0][1], middle)
    parts += [lane_svg(lane, top + index * lane_height, source, labels, scale) for index, lane in enumerate(lanes)]
    return (f'<svg class="explorer-diagram" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{esc(labels["diagram"])}">{"".join(parts)}</svg>')
