"""The compare view: two checkpoints side by side, as plain data in and HTML out. The classes each Auto class
resolved to, the config fields that differ, both tokenizations of one text, both preprocessings of one image,
and the models' input and output shapes with their parameter counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .html import error_box, esc, img, note, section, table
from .images import denormalise
from .tokens import TokenRow, chips

ABSENT = object()  # a field one side does not have at all (unlike a field set to None)
LONG_VALUE = 80  # characters of a value shown in a cell; the whole value is in its tooltip
PICTURE = 160  # display width of each side's processed image: both fit one screen with their tables
STYLE = """<style>
.explorer-compare .explorer-compare-pair,.explorer-compare .explorer-compare-overview{display:grid;
 grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px;align-items:start}
.explorer-compare .explorer-compare-pair>div,.explorer-compare .explorer-compare-overview>div{overflow-x:auto}
.explorer-compare .explorer-compare-scroll{max-height:300px;overflow-y:auto}
/* ipywidgets' HTML widget keeps each line 28 px high (one widget row): the tables need the room */
.explorer-compare .widget-html-content{line-height:1.35}
.explorer-compare h4{font-size:13px}
.explorer-compare td.explorer-compare-differs{background:rgba(245,124,0,.1)}
.explorer-compare .explorer-compare-side{font-weight:bold;font-size:12px;margin:2px 0}
</style>"""

Component = tuple[str, str, str]  # (Auto class, what it resolved to or why not, status)
# A side's token, image or model data is None when it has no such component, or a str: the message of what failed
# on that side (a tokenizer that needs word boxes, a model that cannot run on the shared input)


@dataclass
class TokenSide:
    """One side's tokenization of the shared text."""

    tokenizer_class: str
    row: TokenRow


@dataclass
class ImageSide:
    """One side's preprocessing of the shared image: the first image of the batch and the batch's shape."""

    processor_class: str
    pixel_values: np.ndarray  # (C, H, W)
    shape: list[int]
    dtype: str
    settings: dict[str, Any]  # the processor's to_dict()


@dataclass
class ModelSide:
    """One side's model on the shared input."""

    model_class: str
    parameters: int
    inputs: dict[str, list[int]] = field(default_factory=dict)  # each model input's shape
    outputs: dict[str, list[int]] = field(default_factory=dict)  # each output tensor's shape


def differing_fields(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, left value, right value) for every field whose values differ, ABSENT where a side lacks it;
    left's fields in their order, then right's own."""
    names = list(left) + [name for name in right if name not in left]
    return [(name, left.get(name, ABSENT), right.get(name, ABSENT)) for name in names
            if left.get(name, ABSENT) != right.get(name, ABSENT)]


def value_cell(value: Any, labels: Mapping[str, str]) -> str:
    """A value as a table cell: ABSENT as the "not set" label, long values cut with the whole in the tooltip."""
    if value is ABSENT:
        return f"<i>{esc(labels['compare_absent'])}</i>"
    text = value if isinstance(value, str) else repr(value)
    if len(text) > LONG_VALUE:
        return f'<span title="{esc(text)}">{esc(text[:LONG_VALUE])}&hellip;</span>'
    return esc(text)


def diff_table(rows: Sequence[tuple[str, Any, Any]], names: tuple[str, str], first_column: str,
               labels: Mapping[str, str]) -> str:
    """The rows of ``differing_fields`` as a table headed by the two checkpoints' names."""
    return table([(f"<code>{esc(name)}</code>", value_cell(left, labels), value_cell(right, labels))
                  for name, left, right in rows], header=(first_column, *names), raw=True)


def config_diff(left: Mapping[str, Any], right: Mapping[str, Any], names: tuple[str, str],
                labels: Mapping[str, str]) -> str:
    """Only the config fields that differ (``to_dict()`` of each side), with both values."""
    rows = differing_fields(left, right)
    if not rows:
        return note(labels["compare_same_config"])
    return note(f"{len(rows)} {labels['compare_fields_differ']}") + diff_table(rows, names, labels["key"], labels)


def differs_cell(text: str, differs: bool) -> str:
    return f'<td class="explorer-compare-differs">{text}</td>' if differs else f"<td>{text}</td>"


def component_text(component: Component | None, with_auto: bool, labels: Mapping[str, str]) -> str:
    """The class a component resolved to, or its status with the reason in the tooltip; prefixed with the Auto
    class asked when the two sides asked different ones."""
    if component is None:
        return value_cell(ABSENT, labels)
    auto, result, status = component
    prefix = f"<code>{esc(auto)}</code> &rarr; " if with_auto else ""
    if status == "loaded":
        return f"{prefix}<b>{esc(result)}</b>"
    return f'{prefix}<span title="{esc(result)}">{esc(labels[status])}</span>'


def shown(component: Component | None) -> tuple[str, str] | None:
    """What a row compares: the Auto class and the class it resolved to, or its status (the reasons name each
    side's own folder, so they always differ)."""
    if component is None:
        return None
    auto, result, status = component
    return auto, result if status == "loaded" else status


def class_table(left: Mapping[str, Component], right: Mapping[str, Component], names: tuple[str, str],
                labels: Mapping[str, str]) -> str:
    """One row per component (config, tokenizer, image processor, model, ...), headed by the Auto class the
    sides asked (both when they differ): the class each resolved to; a row whose two sides differ is marked."""
    parts = list(left) + [part for part in right if part not in left]
    head = "<tr>" + "".join(f"<th>{esc(name)}</th>" for name in (labels["auto_class"], *names)) + "</tr>"
    body = ""
    for part in parts:
        sides = (left.get(part), right.get(part))
        autos = list(dict.fromkeys(side[0] for side in sides if side is not None))
        cells = "".join(differs_cell(component_text(side, len(autos) > 1, labels), shown(sides[0]) != shown(sides[1]))
                        for side in sides)
        body += f"<tr><td><code>{esc(' / '.join(autos))}</code></td>{cells}</tr>"
    return f'<table class="explorer-table">{head}{body}</table>'


def pair(left: str, right: str, names: tuple[str, str]) -> str:
    """Two columns, each headed by its checkpoint's name."""
    columns = "".join(f'<div><div class="explorer-compare-side">{esc(name)}</div>{body}</div>'
                      for name, body in zip(names, (left, right)))
    return f'<div class="explorer-compare-pair">{columns}</div>'


def failure(message: str, labels: Mapping[str, str]) -> str:
    return error_box(labels["compare_failed"], message)


def token_side(side: TokenSide | str | None, labels: Mapping[str, str]) -> str:
    if side is None:
        return note(labels["compare_no_tokenizer"])
    if isinstance(side, str):
        return failure(side, labels)
    return (note(side.tokenizer_class) + chips(side.row, labels)
            + note(f"{len(side.row.tokens)} {labels['tokens_count']} · {sum(side.row.special)} "
                   f"{labels['special_tokens']}"))


def token_pair(left: TokenSide | str | None, right: TokenSide | str | None, names: tuple[str, str],
               labels: Mapping[str, str]) -> str:
    """Both tokenizations of the same text, chips side by side with their counts, and whether the ids agree."""
    verdict = ""
    if isinstance(left, TokenSide) and isinstance(right, TokenSide):
        verdict = note(labels["compare_same_ids"] if left.row.ids == right.row.ids else labels["compare_other_ids"])
    return pair(token_side(left, labels), token_side(right, labels), names) + verdict


def image_side(side: ImageSide | str | None, labels: Mapping[str, str]) -> str:
    if side is None:
        return note(labels["compare_no_image_processor"])
    if isinstance(side, str):
        return failure(side, labels)
    picture = denormalise(side.pixel_values, side.settings)
    facts = table([("pixel_values.shape", side.shape), ("dtype", side.dtype)])
    return (note(side.processor_class) + '<div style="display:flex;gap:12px;align-items:flex-start">'
            f'<figure style="margin:0">{img(picture, "explorer-pixel-image", labels["processed"], width=PICTURE)}'
            f"<figcaption>{esc(labels['processed'])} {picture.width}x{picture.height}</figcaption></figure>"
            f"{facts}</div>")


def image_pair(left: ImageSide | str | None, right: ImageSide | str | None, names: tuple[str, str],
               labels: Mapping[str, str]) -> str:
    """Both preprocessings of the same image: pixel_values de-normalised, their shapes, and the processor
    settings that differ."""
    settings = ""
    if isinstance(left, ImageSide) and isinstance(right, ImageSide):
        rows = differing_fields(left.settings, right.settings)
        settings = section(labels["compare_settings_differ"],
                           diff_table(rows, names, labels["setting"], labels) if rows
                           else note(labels["compare_same_settings"]))
    return pair(image_side(left, labels), image_side(right, labels), names) + settings


def shapes_table(left: ModelSide | str | None, right: ModelSide | str | None, names: tuple[str, str],
                 labels: Mapping[str, str]) -> str:
    """Model class, parameter count, and every input's and output's shape on each side (rows that differ
    marked); below it, what failed on a side."""
    failures = "".join(failure(f"{name}: {side}", labels) for name, side in zip(names, (left, right))
                       if isinstance(side, str))
    sides = tuple(side if isinstance(side, ModelSide) else None for side in (left, right))

    def cells(values: Sequence[str]) -> str:
        return "".join(differs_cell(value, values[0] != values[1]) for value in values)

    def shape(side: ModelSide | None, group: str, name: str) -> str:
        shapes = getattr(side, group) if side is not None else {}
        return value_cell(shapes[name] if name in shapes else ABSENT, labels)

    rows = [(labels["compare_model_class"], [value_cell(side.model_class if side else ABSENT, labels)
                                             for side in sides]),
            (labels["parameters"], [value_cell(f"{side.parameters:,}" if side else ABSENT, labels) for side in sides])]
    for group, title in (("inputs", labels["input"]), ("outputs", labels["output"])):
        keys = [name for side in sides if side is not None for name in getattr(side, group)]
        rows += [(f"{title} <code>{esc(name)}</code>", [shape(side, group, name) for side in sides])
                 for name in dict.fromkeys(keys)]
    head = "<tr>" + "".join(f"<th>{esc(name)}</th>" for name in ("", *names)) + "</tr>"
    body = "".join(f"<tr><td>{title}</td>{cells(values)}</tr>" for title, values in rows)
    return f'<table class="explorer-table">{head}{body}</table>{failures}'


def render_compare(names: tuple[str, str], components: tuple[Mapping[str, Component], Mapping[str, Component]],
                   configs: tuple[Mapping[str, Any], Mapping[str, Any]],
                   tokens: tuple[TokenSide | str | None, TokenSide | str | None],
                   images: tuple[ImageSide | str | None, ImageSide | str | None],
                   models: tuple[ModelSide | str | None, ModelSide | str | None], labels: Mapping[str, str]) -> str:
    """The whole comparison, for one screen: the classes and the models beside the config diff (which scrolls
    in its own box), then the text and image sections when a side has a tokenizer or an image processor."""
    summary = (section(labels["compare_classes"], class_table(*components, names, labels))
               + section(labels["compare_shapes"], shapes_table(*models, names, labels)))
    config = section(labels["compare_config"],
                     f'<div class="explorer-compare-scroll">{config_diff(*configs, names, labels)}</div>')
    parts = [f'<div class="explorer-compare-overview"><div>{summary}</div><div>{config}</div></div>']
    if any(tokens):
        parts.append(section(labels["compare_tokens"], token_pair(*tokens, names, labels)))
    if any(images):
        parts.append(section(labels["compare_images"], image_pair(*images, names, labels)))
    return "".join(parts)
