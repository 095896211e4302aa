"""The text panel: edits re-tokenize; pairs and batches; padding, truncation and max_length; failures stay in
the panel."""

from __future__ import annotations

import re
import shutil

import pytest

from explorer import AutoTokenizer
from explorer.widgets.text import split_inputs


@pytest.fixture
def text(app, checkpoints):
    app.load(str(checkpoints["sentiment"]))
    return app.show("text")


def chips(html: str) -> list[str]:
    return re.findall(r'class="explorer-token-chip[^"]*"[^>]*>([^<]*)<sub>', html)


def value_rows(html: str) -> list[dict[str, list[int]]]:
    """Per sequence, the rows under the chips: input_ids, attention_mask, token_type_ids."""
    return [{line.split()[0]: [int(v) for v in line.split()[1:]] for line in block.splitlines()}
            for block in re.findall(r'<pre class="explorer-row">(.*?)</pre>', html, re.DOTALL)]


def test_editing_the_text_updates_the_tokens_and_the_shared_state(text):
    text.text.value = "a hobbit"
    assert chips(text.output.value) == ["[CLS]", "a", "ho", "##bb", "##it", "[SEP]"]
    assert text.state.text == "a hobbit"
    assert "[CLS] a hobbit [SEP]" in text.output.value


def test_a_pair_has_token_types_and_both_sources(text):
    text.text.value, text.pair_text.value = "a b", "c"
    text.mode.value = "pair"
    html = text.output.value
    assert chips(html) == ["[CLS]", "a", "b", "[SEP]", "c", "[SEP]"]
    [rows] = value_rows(html)
    assert rows["token_type_ids"] == [0, 0, 0, 0, 1, 1] and rows["attention_mask"] == [1] * 6
    assert html.count('class="explorer-source"><span') == 2  # the text and the pair, each highlighted


def test_a_batch_with_padding_and_truncation(text):
    text.text.value = "one two three four five\nsix"
    text.mode.value = "batch"
    assert text.output.value.count("<h4>Sequence") == 2
    text.padding.value = "longest"
    html = text.output.value
    assert [rows["attention_mask"] for rows in value_rows(html)] == [[1] * 7, [1, 1, 1, 0, 0, 0, 0]]
    text.truncation.value = True
    text.max_length.value = 4
    html = text.output.value
    assert chips(html)[:4] == ["[CLS]", "one", "two", "[SEP]"] and chips(html)[4:] == ["[CLS]", "six", "[SEP]", "[PAD]"]
    assert '<s title="not encoded"> three four five</s>' in html
    text.padding.value = "max_length"
    text.max_length.value = 6
    assert chips(text.output.value)[-6:] == ["[CLS]", "six", "[SEP]", "[PAD]", "[PAD]", "[PAD]"]


def test_a_batch_of_pairs_goes_line_by_line(text):
    text.text.value, text.pair_text.value = "a\nb", "c\nd"
    text.mode.value = "pair"
    assert chips(text.output.value) == ["[CLS]", "a", "[SEP]", "c", "[SEP]", "[CLS]", "b", "[SEP]", "d", "[SEP]"]


def test_a_tokenizer_error_shows_in_the_panel_and_the_next_edit_recovers(text):
    text.truncation.value = "only_second"  # no second text: the tokenizer refuses
    text.max_length.value = 3
    assert 'class="explorer-error"' in text.output.value
    text.truncation.value = False
    assert "explorer-error" not in text.output.value and chips(text.output.value)[0] == "[CLS]"


def test_the_character_tokenizer_of_wav2vec2_has_no_offsets_but_shows_tokens(app, checkpoints):
    app.load(str(checkpoints["wav2vec2"]))
    text = app.show("text")
    text.text.value = "ab c"
    assert chips(text.output.value) == ["a", "b", "|", "c"]
    assert '<div class="explorer-source">ab c</div>' in text.output.value


@pytest.mark.parametrize("mode, text, pair, expected", [
    ("single", "x\ny", "z", (["x\ny"], None)),
    ("batch", "x\n\ny\n", "z", (["x", "y"], None)),
    ("pair", "x", "z", (["x"], ["z"])),
    ("pair", "x\ny", "z", (["x\ny"], ["z"])),
    ("pair", "x\ny", "z\nw", (["x", "y"], ["z", "w"])),
])
def test_split_inputs(mode, text, pair, expected):
    assert split_inputs(mode, text, pair) == expected


def test_tokens_added_to_the_checkpoints_tokenizer_are_marked(app, checkpoints, tmp_path):
    """A checkpoint saved after ``add_tokens``: its added word is one chip, marked, with the legend; the
    tokenizer's own special tokens are not marked as added."""
    shutil.copytree(checkpoints["sentiment"], tmp_path / "added")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "added")
    tokenizer.add_tokens(["hobbitses"])
    tokenizer.save_pretrained(tmp_path / "added")
    app.load(str(tmp_path / "added"))
    text = app.show("text")
    text.text.value = "the hobbitses"
    html = text.output.value
    assert chips(html) == ["[CLS]", "the", "hobbitses", "[SEP]"]
    assert re.findall(r'class="explorer-token-chip added"[^>]*>([^<]*)<sub>', html) == ["hobbitses"]
    assert "explorer-legend" in html and "len(tokenizer) 30,523" in html
    text.text.value = "the hobbit"
    assert "explorer-legend" not in text.output.value
