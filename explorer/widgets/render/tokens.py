"""The token view: coloured chips with ids (special tokens and tokens added to the vocabulary marked), the source
text with each token's characters highlighted in the chip's colour, the attention_mask / token_type_ids rows,
and the decoded round trip."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .colors import token_colour
from .html import esc, note, section

ROWS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass
class TokenRow:
    """One sequence of a (possibly batched, possibly paired) encoding, as plain data."""

    sources: tuple[str, ...]  # the text, and the pair's second text if any
    tokens: list[str]
    ids: list[int]
    special: list[bool]
    offsets: list[tuple[int, int]]  # empty when the tokenizer gives none
    sequence_ids: list[int | None]
    rows: dict[str, list[int]] = field(default_factory=dict)  # attention_mask, token_type_ids when present
    decoded: str = ""
    decoded_plain: str = ""  # with skip_special_tokens=True
    added: list[bool] = field(default_factory=list)  # in the tokenizer's added vocabulary, not special

    def is_added(self, index: int) -> bool:
        return bool(self.added) and self.added[index]

    @property
    def has_offsets(self) -> bool:
        return bool(self.offsets)


def chips(row: TokenRow, labels: Mapping[str, str]) -> str:
    parts = []
    for index, (token, token_id, special) in enumerate(zip(row.tokens, row.ids, row.special)):
        start, end = row.offsets[index] if row.has_offsets else (0, 0)
        title = f"{labels['token']} {index} · id {token_id}" + (f" · {start}:{end}" if end > start else "")
        title += f" · {labels['special_token']}" if special else ""
        title += f" · {labels['added_token']}" if row.is_added(index) else ""
        css = "explorer-token-chip" + (" special" if special else "") + (" added" if row.is_added(index) else "")
        parts.append(f'<span class="{css}" style="background:{token_colour(index)}" title="{esc(title)}">'
                     f"{esc(token)}<sub>{token_id}</sub></span>")
    return "<div>" + "".join(parts) + "</div>"


def highlighted_source(row: TokenRow, sequence: int) -> str:
    """The text of ``sequence`` with every token's character span in its chip's colour; characters no token
    covers (spaces, truncated tails) stay plain, so truncation is visible."""
    text = row.sources[sequence]
    if not row.has_offsets:
        return f'<div class="explorer-source">{esc(text)}</div>'
    spans = sorted((start, end, index) for index, ((start, end), seq) in enumerate(zip(row.offsets, row.sequence_ids))
                   if seq == sequence and end > start and not row.special[index])
    parts, cursor = [], 0
    for start, end, index in spans:
        if start < cursor:  # overlapping offsets (byte-level pieces of one character): already coloured
            continue
        parts.append(esc(text[cursor:start]))
        parts.append(f'<span style="background:{token_colour(index)}" title="{esc(row.tokens[index])}">'
                     f"{esc(text[start:end])}</span>")
        cursor = end
    parts.append(f'<s title="not encoded">{esc(text[cursor:])}</s>' if text[cursor:].strip() else esc(text[cursor:]))
    return f'<div class="explorer-source">{"".join(parts)}</div>'


def value_rows(row: TokenRow) -> str:
    """input_ids, attention_mask and token_type_ids one above the other, column i = token i."""
    lines = [("input_ids", row.ids)] + list(row.rows.items())
    width = max(len(str(value)) for _, values in lines for value in values) if row.ids else 1
    text = "\n".join(f"{name:<15}" + " ".join(f"{value:>{width}}" for value in values) for name, values in lines)
    return f'<pre class="explorer-row">{esc(text)}</pre>'


def render_rows(rows: Sequence[TokenRow], labels: Mapping[str, str]) -> str:
    """The whole token view for every sequence of the encoding."""
    parts = []
    for number, row in enumerate(rows):
        heading = f"{labels['sequence']} {number}" if len(rows) > 1 else labels["tokens"]
        sources = "".join(highlighted_source(row, sequence) for sequence in range(len(row.sources)))
        body = (sources + chips(row, labels)
                + note(f"{len(row.tokens)} {labels['tokens_count']} · {sum(row.special)} {labels['special_tokens']}"
                       + (f" · {sum(row.added)} {labels['added_tokens']}" if any(row.added) else ""))
                + value_rows(row)
                + section(labels["decoded"], f'<div class="explorer-source">{esc(row.decoded)}</div>')
                + note(f"{labels['skip_special_tokens']}: {row.decoded_plain}"))
        parts.append(section(heading, body))
    return "".join(parts)


def added_legend(labels: Mapping[str, str]) -> str:
    """What the marked chips are: shown when a sequence has an added token."""
    sample = f'<span class="explorer-token-chip added">{esc(labels["added_token"])}</span>'
    return f'<div class="explorer-note explorer-legend">{sample} {esc(labels["added_token_legend"])}</div>'


def render_text(tokenizer_class: str, vocab_size: int, model_max_length: int, rows: Sequence[TokenRow],
                labels: Mapping[str, str], length: int | None = None) -> str:
    """The text panel's view: which tokenizer, its vocabulary (and ``len(tokenizer)`` when added tokens make it
    larger) and length limit, the legend of added tokens if any is shown, then every sequence's rows."""
    size = f"vocab {vocab_size:,}" + (f" · len(tokenizer) {length:,}" if length and length > vocab_size else "")
    header = note(f"{tokenizer_class} · {size} · model_max_length {model_max_length:,}")
    legend = added_legend(labels) if any(any(row.added) for row in rows) else ""
    return header + legend + render_rows(rows, labels)
