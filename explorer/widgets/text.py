"""The text panel: the tokenizer on the user's text (a single text, a pair, or a batch of lines), with padding,
truncation and max_length controls; tokens as chips (added tokens marked), offsets in the source, the mask rows,
the round trip."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets

from .base import Panel
from .render.html import note
from .render.tokens import ROWS, TokenRow, render_text
from .session import Session

MODES = ("single", "pair", "batch")
PADDING = (False, "longest", "max_length")
TRUNCATION = (False, True, "only_first", "only_second")


def split_inputs(mode: str, text: str, pair_text: str) -> tuple[list[str], list[str] | None]:
    """The texts (and pairs) the tokenizer gets, always as a batch: single = one text; pair = the two boxes
    (line by line when both hold several lines); batch = one sequence per non-empty line of the first box."""
    if mode == "batch":
        lines = [line for line in text.splitlines() if line.strip()]
        return lines or [""], None
    if mode == "pair":
        firsts, seconds = text.splitlines() or [""], pair_text.splitlines() or [""]
        if len(firsts) > 1 and len(firsts) == len(seconds):
            return firsts, seconds
        return [text], [pair_text]
    return [text], None


class TextPanel(Panel):
    name = "text"

    def controls(self) -> list[widgets.Widget]:
        labels = self.labels
        self.text = widgets.Textarea(value=self.state.text, placeholder=labels["text_placeholder"],
                                     layout=widgets.Layout(width="100%", height="60px"))
        self.pair_text = widgets.Textarea(value="", placeholder=labels["pair_placeholder"],
                                          layout=widgets.Layout(width="100%", height="40px"))
        self.mode = widgets.ToggleButtons(options=[(labels["mode_" + m], m) for m in MODES], value="single")
        self.padding = widgets.Dropdown(options=[(labels["padding_" + str(p).lower()], p) for p in PADDING],
                                        value=False, description="padding")
        self.truncation = widgets.Dropdown(options=[(labels["truncation_" + str(t).lower()], t) for t in TRUNCATION],
                                           value=False, description="truncation")
        self.max_length = widgets.BoundedIntText(value=0, min=0, max=100_000, description="max_length",
                                                 tooltip=labels["max_length_hint"])
        for control in (self.text, self.pair_text, self.mode, self.padding, self.truncation, self.max_length):
            control.observe(self.refresh, "value")
        self.text.observe(self.share_text, "value")
        return [self.text, self.pair_text, self.mode,
                widgets.HBox([self.padding, self.truncation, self.max_length]),
                widgets.HTML(note(self.labels["max_length_hint"]))]

    def share_text(self, change: dict[str, Any]) -> None:
        """The outputs panel runs the model on the same text."""
        self.state.text = change["new"]

    def applies_to(self, session: Session) -> bool:
        return self.has(session, "tokenizer")

    def render(self, session: Session) -> None:
        if self.show_part_error(session, "tokenizer"):
            return
        tokenizer = session.get("tokenizer")
        texts, pairs = split_inputs(self.mode.value, self.text.value, self.pair_text.value)
        encoding = tokenizer(texts, pairs, padding=self.padding.value, truncation=self.truncation.value,
                             max_length=self.max_length.value or None, return_offsets_mapping=tokenizer.is_fast,
                             return_special_tokens_mask=True, verbose=False)
        sources = [(text,) if pairs is None else (text, pair) for text, pair in zip(texts, pairs or texts)]
        rows = encoding_rows(encoding, sources, tokenizer)
        self.output.value = render_text(type(tokenizer).__name__, tokenizer.vocab_size, tokenizer.model_max_length,
                                        rows, self.labels, length=len(tokenizer))


def encoding_rows(encoding: Mapping, sources: Sequence[tuple[str, ...]], tokenizer: Any) -> list[TokenRow]:
    """A batched BatchEncoding (lists, asked with return_special_tokens_mask, and return_offsets_mapping when
    the tokenizer is fast) -> one TokenRow per sequence, with the tokenizer's decoded round trip. A Python
    tokenizer (Wav2Vec2's character tokenizer) has no offsets: its tokens come from the ids."""
    added = added_ids(tokenizer)
    rows = []
    for index, texts in enumerate(sources):
        ids = list(encoding["input_ids"][index])
        fast = "offset_mapping" in encoding
        rows.append(TokenRow(
            sources=texts,
            tokens=encoding.tokens(index) if fast else tokenizer.convert_ids_to_tokens(ids),
            ids=ids,
            special=[bool(flag) for flag in encoding["special_tokens_mask"][index]],
            offsets=[tuple(span) for span in encoding["offset_mapping"][index]] if fast else [],
            sequence_ids=encoding.sequence_ids(index) if fast else [],
            rows={name: list(encoding[name][index]) for name in ROWS[1:] if name in encoding},
            decoded=tokenizer.decode(ids),
            decoded_plain=tokenizer.decode(ids, skip_special_tokens=True),
            added=[token_id in added for token_id in ids],
        ))
    return rows


def added_ids(tokenizer: Any) -> set[int]:
    """The ids of the tokens added to the vocabulary (``add_tokens``, or a checkpoint saved after it) that are
    not special: what fine-tuning added, which the model's embeddings must have rows for."""
    return {token_id for token_id, token in tokenizer.added_tokens_decoder.items() if not token.special}
