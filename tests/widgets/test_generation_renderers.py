"""The generation view's pure renderers: plain data in, HTML out, without widgets, a model or a browser."""

from __future__ import annotations

import re

import numpy as np

from explorer.widgets.i18n import EN
from explorer.widgets.render import colors, generation


def candidates() -> list[generation.Candidate]:
    return [generation.Candidate("\u2423the", 7, 0.5, True, 0.625), generation.Candidate("a", 3, 0.3, True, 0.375),
            generation.Candidate("<b>", 9, 0.2, False, 0.0)]


def test_the_distribution_marks_kept_dropped_and_chosen_tokens():
    view = generation.distribution(candidates(), 2, 320, "Next", chosen_id=3, labels=EN)
    classes = re.findall(r'class="explorer-candidate ([a-z ]+)" data-token-id="(\d+)"', view)
    assert classes == [("kept", "7"), ("kept chosen", "3"), ("dropped", "9")]
    assert 'data-kept="2"' in view and "2 / 320 tokens" in view
    assert re.findall(r'data-sampling-probability="([0-9.]+)"', view) == ["0.625000", "0.375000", "0.000000"]
    assert "<s>&lt;b&gt;</s>" in view  # escaped, and struck out: not in the sampling set
    assert "<h4>Next</h4>" in view


def test_bars_are_as_wide_as_their_probabilities():
    view = generation.distribution(candidates(), 2, 320, "Next", chosen_id=None, labels=EN)
    widths = [float(w) for w in re.findall(r"width:([0-9.]+)em;height:0.8em", view)]
    assert widths == [0.5 * 16, 0.625 * 16, 0.3 * 16, 0.375 * 16, 0.2 * 16]
    assert "px" not in view  # sized in em: presenter mode's larger type enlarges the rows
    assert "chosen" not in view


def test_the_chat_prompt_marks_each_special_token_longest_first():
    rendered = "<|im_start|>user\nHi <you>!<|im_end|>\n<|im_start|>assistant\n"
    view = generation.chat_prompt(rendered, ["<|im_start|>", "<|im_end|>", "<|im", ""], EN)
    marked = re.findall(r'<span class="explorer-special-token"[^>]*>([^<]+)</span>', view)
    assert marked == ["&lt;|im_start|&gt;", "&lt;|im_end|&gt;", "&lt;|im_start|&gt;"]
    assert "Hi &lt;you&gt;!" in view and view.startswith(f"<h4>{EN['chat_rendered']}</h4>")


def test_the_chat_prompt_without_special_tokens_is_the_escaped_text():
    view = generation.chat_prompt("a < b", [], EN)
    assert "a &lt; b</div>" in view and "explorer-special-token" not in view


def test_the_logit_lens_puts_the_last_layer_on_top_and_colours_by_probability():
    top = [["a", "b"], ["c", "d"], ["e", "f"]]  # embeddings, layer 1, layer 2
    probabilities = np.array([[0.0, 0.1], [0.5, 0.6], [1.0, 0.9]])
    view = generation.logit_lens(["x", "\u2423y"], top, probabilities, EN)
    assert re.findall(r"<tr><th>layer (\d)</th>", view) == ["2", "1", "0"]
    assert re.findall(r">([a-f])</td>", view) == ["e", "f", "c", "d", "a", "b"]
    assert f'background:{colors.probability_colour(1.0)}" title="1.000">e<' in view
    assert '<th title="1">\u2423y</th>' in view


def test_visible_whitespace_and_the_probability_colours():
    assert generation.visible(" a\n\tb") == "\u2423a\u21b5\u21e5b"
    assert generation.visible("") == "\u2205"
    assert colors.probability_colour(0.0) == "hsl(0,75%,78%)"
    assert colors.probability_colour(1.0) == colors.probability_colour(3.0) == "hsl(120,75%,78%)"
