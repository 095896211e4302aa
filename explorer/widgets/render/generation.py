"""The generation view: the next-token distribution with the sampling set the warpers keep, the chat template
as rendered (special tokens marked), and the logit lens (each layer's top token at each position)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .colors import probability_colour
from .charts import TRACK
from .html import esc, note, section

# Sized in em of the rows' type, so presenter mode enlarges them with their text
BAR_EM = 16  # a probability of 1
TOKEN_EM = 10  # the token column
NUMBER_EM = 3  # a probability's "0.000" in monospace
ROW_STYLE = "display:flex;align-items:center;gap:0.5em;font-size:0.92em"


@dataclass
class Candidate:
    """One token of the next-token distribution: the model's probability, and whether the warpers keep it
    in the sampling set (with its renormalised probability there, 0 when dropped)."""

    token: str  # shown text (whitespace made visible)
    token_id: int
    probability: float
    kept: bool
    sampling_probability: float


def visible(text: str) -> str:
    """A token's text with its spaces, newlines and tabs made visible (a chip of " " would look empty)."""
    return text.replace(" ", "\u2423").replace("\n", "\u21b5").replace("\t", "\u21e5") or "\u2205"


def bar(probability: float, colour: str) -> str:
    width = max(0.0, min(1.0, probability)) * BAR_EM
    return (f'<span style="display:inline-block;width:{BAR_EM}em;background:{TRACK}">'
            f'<span style="display:block;width:{width:.2f}em;height:0.8em;background:{colour}"></span></span>')


def candidate_row(candidate: Candidate, chosen: bool) -> str:
    state = ("kept" if candidate.kept else "dropped") + (" chosen" if chosen else "")
    label = f"<s>{esc(candidate.token)}</s>" if not candidate.kept else esc(candidate.token)
    label = f"<b>{label}</b>" if chosen else label
    sampling = (bar(candidate.sampling_probability, "#2f9e44") + f"<span>{candidate.sampling_probability:.3f}</span>"
                if candidate.kept else "<span>-</span>")
    return (f'<div class="explorer-candidate {state}" data-token-id="{candidate.token_id}" '
            f'data-probability="{candidate.probability:.6f}" '
            f'data-sampling-probability="{candidate.sampling_probability:.6f}" '
            f'style="{ROW_STYLE};font-family:monospace">'
            f'<span style="width:{TOKEN_EM}em;overflow:hidden;white-space:nowrap" title="id {candidate.token_id}">'
            f"{label}</span>{bar(candidate.probability, '#4c6ef5')}<span>{candidate.probability:.3f}</span>{sampling}"
            "</div>")


def distribution(candidates: Sequence[Candidate], kept_count: int, vocab_size: int, title: str,
                 chosen_id: int | None, labels: Mapping[str, str]) -> str:
    """``candidates`` the most likely tokens, most likely first; ``kept_count`` how many tokens of the whole
    vocabulary the warpers keep; ``chosen_id`` the token this step picked (None before it is picked)."""
    # the rows' type size and gaps, so each title sits over its column at any size; the titles in smaller type
    header = (f'<div style="{ROW_STYLE};color:var(--jp-content-font-color2,#555)">'
              f'<span style="width:{TOKEN_EM}em"><small>{esc(labels["token"])}</small></span>'
              f'<span style="width:{BAR_EM + 0.5 + NUMBER_EM}em"><small>{esc(labels["model_probability"])}</small>'
              f'</span><span><small>{esc(labels["sampling_probability"])}</small></span></div>')
    rows = "".join(candidate_row(candidate, candidate.token_id == chosen_id) for candidate in candidates)
    summary = note(f"{labels['sampling_set']}: {kept_count:,} / {vocab_size:,} {labels['tokens_count']}")
    body = f'<div class="explorer-next-token" data-kept="{kept_count}">{header}{rows}</div>{summary}'
    return section(title, body)


def chat_prompt(rendered: str, special_tokens: Sequence[str], labels: Mapping[str, str]) -> str:
    """The chat template's text, each special token in a marked span (longest first, so <|im_start|> is not
    split by a shorter token inside it)."""
    ordered = sorted((token for token in set(special_tokens) if token), key=len, reverse=True)
    parts, cursor = [], 0
    while cursor < len(rendered):
        token = next((token for token in ordered if rendered.startswith(token, cursor)), None)
        if token is None:
            following = [rendered.find(token, cursor) for token in ordered]
            end = min([index for index in following if index >= 0], default=len(rendered))
            parts.append(esc(rendered[cursor:end]))
            cursor = end
        else:
            parts.append('<span class="explorer-special-token" '
                         f'style="background:rgba(28,126,214,.15);border:1px dashed #1c7ed6">{esc(token)}</span>')
            cursor += len(token)
    return section(labels["chat_rendered"], f'<div class="explorer-source explorer-chat-prompt">{"".join(parts)}</div>')


def logit_lens(tokens: Sequence[str], top_tokens: Sequence[Sequence[str]], probabilities: np.ndarray,
               labels: Mapping[str, str]) -> str:
    """Row ``layer`` (0 = the embeddings, last = the final layer, whose top tokens are the model's own
    predictions), column ``position``: the token that layer's hidden state predicts next there, coloured by
    its probability."""
    header = "<tr><th></th>" + "".join(f'<th title="{index}">{esc(token)}</th>' for index, token in
                                       enumerate(tokens)) + "</tr>"
    rows = []
    for layer in range(len(top_tokens) - 1, -1, -1):  # the last layer on top, next to the prediction
        cells = "".join(f'<td style="background:{probability_colour(float(p))}" title="{float(p):.3f}">'
                        f"{esc(token)}</td>" for token, p in zip(top_tokens[layer], probabilities[layer]))
        rows.append(f"<tr><th>{esc(labels['layer'])} {layer}</th>{cells}</tr>")
    table = (f'<table class="explorer-table explorer-logit-lens" style="font-family:monospace">{header}'
             f'{"".join(rows)}</table>')
    body = note(labels["logit_lens_hint"]) + f'<div style="overflow-x:auto">{table}</div>'
    return section(labels["logit_lens"], body)
