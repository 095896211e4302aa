"""The outputs panel: a classifier's three steps, fill-mask predictions, a CTC transcription, a base model's
hidden states, and the attention heatmap with its layer and head selectors."""

from __future__ import annotations

import re

import pytest
import torch

from explorer import (
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
)
from explorer.widgets.outputs import with_mask


def probabilities(html: str) -> dict[str, float]:
    return {label: float(p) for label, p in re.findall(r">([^<>]+)</span><span[^>]*><span class=\"explorer-bar\""
                                                       r"[^>]*></span></span><span>([\d.]+)</span>", html)}


def test_a_text_classifier_shows_tokens_logits_and_softmax_as_the_pipeline_does(app, checkpoints):
    app.load(str(checkpoints["sentiment"]))
    html = app.show("outputs").output.value
    assert "AutoModelForSequenceClassification -&gt; BertForSequenceClassification" in html
    assert "[CLS] in a hole in the ground there lived a ho ##bb ##it . [SEP]" in html
    tokenizer = AutoTokenizer.from_pretrained(checkpoints["sentiment"])
    model = AutoModelForSequenceClassification.from_pretrained(checkpoints["sentiment"])
    with torch.no_grad():
        expected = model(**tokenizer(app.state.text, return_tensors="pt")).logits.softmax(-1)[0]
    assert probabilities(html) == pytest.approx({"NEGATIVE": float(expected[0]), "POSITIVE": float(expected[1])},
                                                abs=1e-3)


def test_run_uses_the_text_typed_in_the_text_panel(app, checkpoints):
    app.load(str(checkpoints["sentiment"]))
    app.panels["text"].text.value = "a hobbit"
    outputs = app.show("outputs")
    outputs.run_button.click()
    assert "[CLS] a ho ##bb ##it [SEP]" in outputs.output.value


def test_fill_mask_predicts_for_the_masked_word(app, checkpoints):
    app.load(str(checkpoints["mlm"]))
    html = app.show("outputs").output.value
    assert "Masked text: In a hole in the ground there lived a [MASK]." in html
    tokenizer = AutoTokenizer.from_pretrained(checkpoints["mlm"])
    model = AutoModelForMaskedLM.from_pretrained(checkpoints["mlm"])
    encoding = tokenizer("In a hole in the ground there lived a [MASK].", return_tensors="pt")
    with torch.no_grad():
        logits = model(**encoding).logits[0, 10]
    best = tokenizer.convert_ids_to_tokens(int(logits.argmax()))
    assert next(iter(probabilities(html))) == best


def test_an_image_classifier_labels_the_photo(app, checkpoints):
    app.load(str(checkpoints["vit"]))
    html = app.show("outputs").output.value
    assert set(probabilities(html)) == {"cat", "dog", "fish"}
    assert sum(probabilities(html).values()) == pytest.approx(1.0, abs=2e-3)
    assert "pixel_values" in html and "[1, 3, 32, 32]" in html


def test_ctc_transcribes_the_clip(app, checkpoints):
    app.load(str(checkpoints["wav2vec2"]))
    html = app.show("outputs").output.value
    assert "AutoModelForCTC -&gt; Wav2Vec2ForCTC" in html and "input: audio" in html
    assert "Transcription" in html and "input_values" in html


def test_a_base_model_summarises_its_hidden_states(app, minilm_path):
    app.load(str(minilm_path))
    html = app.show("outputs").output.value
    assert "AutoModel -&gt; BertModel" in html
    assert re.search(r"<td>last_hidden_state</td><td>\[1, 15, 384\]</td>", html)
    assert re.search(r"<td>attentions\[5\]</td><td>\[1, 12, 15, 15\]</td>", html)


def test_the_attention_heatmap_follows_layer_and_head(app, checkpoints):
    app.load(str(checkpoints["sentiment"]))
    outputs = app.show("outputs")
    assert outputs.attention_controls in outputs.box.children
    assert (outputs.layer.max, outputs.head.max) == (1, 1)
    first = outputs.attention.value
    assert "layer 0 · head 0, [15, 15]" in first and "0:[CLS]" in first
    outputs.head.value = 1
    assert "layer 0 · head 1" in outputs.attention.value and outputs.attention.value != first
    app.load(str(checkpoints["convnext"]))  # no attention in a ConvNeXt: the selectors go away
    assert outputs.attention_controls not in outputs.box.children


@pytest.mark.parametrize("text, expected", [
    ("In a hole there lived a hobbit.", "In a hole there lived a [MASK]."),
    ("a [MASK] b", "a [MASK] b"),
    ("hobbit", "[MASK]"),
])
def test_with_mask(text, expected):
    assert with_mask(text, "[MASK]") == expected
