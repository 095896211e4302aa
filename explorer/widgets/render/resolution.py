"""The resolution view: a diagram of what each Auto class resolved to and the file and key that decided it, the
load reports and messages, then (collapsed) the decisions, files read, the config's main fields and parameter
counts per module."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...trace import format_size
from .diagram import resolution_diagram
from .html import details, esc, messages_html, note, table

# config fields worth a glance, in this order, when the config has them
MAIN_FIELDS = (
    "model_type", "architectures", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
    "hidden_act", "vocab_size", "max_position_embeddings", "type_vocab_size", "dim", "n_layers", "n_heads",
    "image_size", "patch_size", "num_channels", "embed_dim", "depths", "hidden_sizes", "num_stages",
    "conv_dim", "num_feat_extract_layers", "stage_names", "out_features", "out_indices", "num_labels",
    "id2label", "problem_type", "dtype",
)


def main_fields(config: Mapping[str, Any], limit: int = 12) -> list[tuple[str, str]]:
    """The config's main fields; long lists (id2label of 1000 classes) are cut to ``limit`` items."""
    rows = []
    for name in MAIN_FIELDS:
        if name not in config or config[name] is None:
            continue
        value = config[name]
        if isinstance(value, dict) and len(value) > limit:
            value = dict(list(value.items())[:limit]) | {"...": f"{len(value) - limit} more"}
        rows.append((name, value if isinstance(value, str) else repr(value)))
    return rows


def components_table(components: Sequence[tuple[str, str, str]], labels: Mapping[str, str]) -> str:
    """(Auto class, result, status) rows; status is "loaded", "absent", "pending" or "error"."""
    rows = [(f"<code>{esc(auto)}</code>", f"{esc(labels[status])}: {esc(result)}" if status != "loaded"
             else f"<b>{esc(result)}</b>") for auto, result, status in components]
    return table(rows, header=(labels["auto_class"], labels["resolved_to"]), raw=True)


def decisions_table(decisions: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> str:
    rows = [(d["stage"], d["file"], d["key"], repr(d["value"]) if d["key"] else "", d["result"], d["note"])
            for d in decisions]
    return table(rows, header=(labels["stage"], labels["file"], labels["key"], labels["value"], labels["result"],
                               labels["why"]))


def files_table(files: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> str:
    rows = [(f["name"], format_size(f["size"]), f["source"]) for f in files]
    return table(rows, header=(labels["file"], labels["size"], labels["source"]))


def report_rows(report: Mapping[str, Any], labels: Mapping[str, str]) -> list[tuple[str, str, str]]:
    rows = [(labels["missing"], key, "") for key in report["missing"]]
    rows += [(labels["unexpected"], key, "") for key in report["unexpected"]]
    rows += [(labels["mismatched"], m["key"], f"{m['checkpoint']} -> {m['model']}") for m in report["mismatched"]]
    return rows


def load_report_html(report: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """A clean load report is one quiet line; random weights or keys that did not match (a classifier read as a
    backbone drops its head's keys) are a highlighted table, for a reason to look rather than an alarm."""
    if report["random_weights"]:
        text = f"{report['model_class']}: {labels['random_weights']}: {report['random_weights']}"
        return f'<div class="explorer-attention">{note(text)}</div>'
    summary = f"{report['model_class']}: {report['loaded']} {labels['tensors_loaded']} ({', '.join(report['files'])})"
    rows = report_rows(report, labels)
    if not rows:
        return note(f"{summary} \u00b7 {labels['load_clean']}")
    return (f'<div class="explorer-attention"><b>{esc(summary)}</b>{note(labels["load_unusual"])}'
            f'{table(rows, header=(labels["kind"], labels["key"], labels["shapes"]))}</div>')


def render_resolution(trace: Mapping[str, Any], components: Sequence[tuple[str, str, str]],
                      config: Mapping[str, Any] | None, parameters: Sequence[tuple[str, int]],
                      reports: Sequence[Mapping[str, Any]], labels: Mapping[str, str],
                      messages: Sequence[Mapping[str, str]] = (), scale: float = 1.0) -> str:
    """The diagram of what from_pretrained did, the load reports (one line each when clean) and the messages
    caught while loading; the details in collapsible sections below. ``trace`` is ``ResolutionTrace.to_dict()``,
    ``config`` ``config.to_dict()``, ``parameters`` (module path, count) rows, ``reports`` ``LoadReport.to_dict()``
    of each model loaded, ``messages`` ``logs.Message.to_dict()``, ``scale`` the diagram's type (presenter mode)."""
    revision = f" @ {trace['revision']}" if trace["revision"] else ""
    parts = [note(f"{trace['reference']}{revision}"),
             resolution_diagram(trace, components, labels, scale),
             *(load_report_html(report, labels) for report in reports)]
    if messages:
        parts.append(details(f"{labels['messages']} ({len(messages)})", messages_html(messages), opened=True))
    parts += [details(labels["auto_classes"], components_table(components, labels)),
              details(labels["decisions"], decisions_table(trace["decisions"], labels)),
              details(labels["files_read"], (note(trace["location"]) if trace["location"] else "")
                      + files_table(trace["files"], labels))]
    if config is not None:
        parts.append(details(labels["config_fields"], table(main_fields(config))))
    if parameters:
        parts.append(details(labels["parameters"], table([(name, f"{count:,}") for name, count in parameters],
                                                         header=(labels["module"], labels["parameters"]))))
    return "".join(parts)
