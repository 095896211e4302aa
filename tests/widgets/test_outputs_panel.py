"""The outputs panel: the steps of the checkpoint's pipeline (a classifier's tokens, logits, softmax; fill-mask
predictions; entities and answers marked in the text; a CTC transcription), a base model's hidden states, the
model of a head without a pipeline run on its own, one forward per run, and the attention heatmap with its
layer and head selectors (tests/widgets/test_outputs_steps.py compares every catalog kind with pipeline())."""

from __future__ import annotations

import html
import json
import re
import shutil

import pytest
import torch

from explorer import (
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    pipeline,
)
from explorer.samples import SENTENCE
from explorer.widgets.render import outputs as render
from explorer.widgets.outputs import GENERATED_TOKENS, TASK_CALLS, panel_task, with_mask


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
    assert "input: In a hole in the ground there lived a [MASK]." in html
    tokenizer = AutoTokenizer.from_pretrained(checkpoints["mlm"])
    model = AutoModelForMaskedLM.from_pretrained(checkpoints["mlm"])
    encoding = tokenizer("In a hole in the ground there lived a [MASK].", return_tensors="pt")
    with torch.no_grad():
        logits = model(**encoding).logits[0, 10]
    assert next(iter(probabilities(html))) == tokenizer.decode([int(logits.argmax())])


def test_fill_mask_masks_the_last_word_truncation_keeps(app, checkpoints):
    app.load(str(checkpoints["mlm"]))
    outputs = app.show("outputs")
    app.panels["text"].text.value = " ".join(["hobbit"] * 600)  # 1,800 tokens
    outputs.run_button.click()
    item = outputs.last_run.steps.items[0]
    limit = AutoTokenizer.from_pretrained(checkpoints["mlm"]).model_max_length
    assert item.input.endswith(" [MASK]") and len(item.chunks[0].tokens) <= limit
    assert len(probabilities(outputs.output.value)) == 5


def test_an_image_classifier_labels_the_photo(app, checkpoints):
    app.load(str(checkpoints["vit"]))
    html = app.show("outputs").output.value
    assert set(probabilities(html)) == {"cat", "dog", "fish"}
    assert sum(probabilities(html).values()) == pytest.approx(1.0, abs=2e-3)
    assert "pixel_values" in html and "[1, 3, 32, 32]" in html


def test_ctc_transcribes_the_clip(app, checkpoints):
    app.load(str(checkpoints["wav2vec2"]))
    outputs = app.show("outputs")
    html = outputs.output.value
    assert "AutoModelForCTC -&gt; Wav2Vec2ForCTC" in html and "input: audio" in html
    assert "pipeline(&#x27;automatic-speech-recognition&#x27;)" in html and "<td>input_values</td>" in html
    assert "ctc decode" in html


def marked(html: str) -> list[tuple[str, str]]:
    """The (title, text) of every span marked in the view's text."""
    return re.findall(r'<mark class="explorer-span"[^>]*title="([^"]*)">([^<]*)</mark>', html)


def test_token_classification_marks_the_pipelines_entities_in_the_text(app, checkpoints):
    app.load(str(checkpoints["ner"]))
    html = app.show("outputs").output.value
    entities = pipeline("token-classification", model=str(checkpoints["ner"]), aggregation_strategy="simple")(
        SENTENCE)
    assert entities  # the tiny model's spread logits label some words other than O
    assert marked(html) == [(f"{entity['entity_group']} {entity['score']:.4g}", SENTENCE[entity["start"]:entity["end"]])
                            for entity in entities]
    assert "aggregation: simple" in html and "ignore_labels" in html


def test_question_answering_asks_the_question_field_about_the_text(app, checkpoints):
    app.load(str(checkpoints["qa"]))
    outputs = app.show("outputs")
    assert outputs.task_fields.children == (outputs.question,)
    qa = pipeline("question-answering", model=str(checkpoints["qa"]))
    for question in (outputs.question.value, "Where did the hobbit live?"):
        outputs.question.value = question  # a new question reruns the panel
        answer = qa(question=question, context=SENTENCE)
        html = outputs.output.value
        assert f"question: {question}" in html
        assert marked(html) == [(f"{answer['score']:.4g}", answer["answer"])]
        assert outputs.last_run.steps.items[0].output == pytest.approx(answer)


def test_zero_shot_image_classification_scores_the_candidate_labels_field(app):
    app.load("explorer-catalog/clip-tiny")
    outputs = app.show("outputs")
    assert outputs.task_fields.children == (outputs.candidate_labels,)
    outputs.candidate_labels.value = "the digit seven, a flower,"
    assert set(probabilities(outputs.output.value)) == {"the digit seven", "a flower"}


def test_a_causal_lm_shows_a_short_greedy_continuation_as_the_pipeline_does(app):
    app.load("explorer-catalog/gpt2-python-docs")
    outputs = app.show("outputs")
    steps = outputs.last_run.steps
    oracle = pipeline("text-generation", model="explorer-catalog/gpt2-python-docs")
    expected = oracle(SENTENCE, max_new_tokens=GENERATED_TOKENS, do_sample=False)
    assert steps.task == "text-generation" and steps.items[0].output == expected
    assert html.escape(expected[0]["generated_text"]) in outputs.output.value
    # the prompt's forward gave the heatmap's maps; generate's later steps ran without them
    assert len(outputs.last_run.attentions[0][0, 0]) == len(outputs.last_run.tokens)


def test_a_head_without_a_pipeline_runs_its_model_alone(app, monkeypatch):
    monkeypatch.delitem(TASK_CALLS, "text-generation")  # a head whose task this panel has no input for
    app.load("explorer-catalog/gpt2-python-docs")
    outputs = app.show("outputs")
    html = outputs.output.value
    assert "No pipeline of this panel serves this head" in html and "(AutoModelForCausalLM)" in html
    assert re.search(r"<td>logits</td><td>\[1, \d+, 4096\]</td>", html)
    assert outputs.last_run.steps is None and outputs.attention_controls in outputs.box.children


def test_a_ctc_checkpoint_without_its_tokenizer_says_what_the_pipeline_lacks(app, checkpoints, tmp_path):
    folder = shutil.copytree(checkpoints["wav2vec2"], tmp_path / "no-tokenizer")
    (folder / "vocab.json").unlink()
    (folder / "tokenizer_config.json").unlink()
    app.load(str(folder))
    html = app.show("outputs").output.value
    assert "automatic-speech-recognition -&gt; tokenizer" in html
    assert re.search(r"<td>logits</td><td>\[1, \d+, 32\]</td>", html)


def test_a_speech_base_model_with_a_vocabulary_is_not_fed_text(app, checkpoints, tmp_path):
    folder = shutil.copytree(checkpoints["wav2vec2"], tmp_path / "base")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "architectures": ["Wav2Vec2Model"]}))
    app.load(str(folder))
    assert app.state.session.get("tokenizer") is not None
    html = app.show("outputs").output.value
    assert "feature-extraction -&gt; attention_mask, input_ids; input_values" in html
    assert "input: audio" in html and re.search(r"<td>last_hidden_state</td><td>\[1, \d+, 16\]</td>", html)


def test_one_forward_serves_the_steps_and_the_attention_maps(app, checkpoints):
    app.load(str(checkpoints["sentiment"]))
    outputs = app.show("outputs")
    calls = []
    outputs.state.session.get("model").register_forward_hook(lambda *_: calls.append(1))
    outputs.run_button.click()
    assert len(calls) == 1
    assert set(outputs.last_run.steps.items[0].chunks[0].model_outputs) == {"logits"}  # a plain call's record
    assert len(outputs.last_run.attentions) == 2  # kept for the heatmap; the hidden states are not


@pytest.mark.parametrize("name, task", [("sentiment", "text-classification"), ("ner", "token-classification"),
                                        ("qa", "question-answering"), ("mlm", "fill-mask"),
                                        ("vit", "image-classification"), ("wav2vec2", "automatic-speech-recognition")])
def test_the_task_is_the_one_of_the_loaded_head(app, checkpoints, name, task):
    app.load(str(checkpoints[name]))
    assert panel_task(app.state.session.get("model")).name == task


def test_clip_is_zero_shot_image_classification_and_a_base_model_feature_extraction(app, minilm_path):
    for reference, task in (("explorer-catalog/clip-tiny", "zero-shot-image-classification"),
                            (str(minilm_path), "feature-extraction")):
        app.load(reference)
        assert panel_task(app.state.session.get("model")).name == task


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
    # the maps are the model's own, kept in half precision (a picture of 256 colours needs no more)
    model, tokenizer = app.state.session.get("model"), app.state.session.get("tokenizer")
    with torch.no_grad():
        own = model(**tokenizer(SENTENCE, return_tensors="pt"), output_attentions=True).attentions[0][0, 1]
    kept = outputs.last_run.attentions[0][0, 1]
    assert kept.dtype == torch.float16 and torch.allclose(kept.float(), own, rtol=1e-3, atol=1e-4)
    assert render.attention(kept.numpy(), 0, 1, outputs.last_run.tokens, outputs.labels) == outputs.attention.value
    app.load(str(checkpoints["convnext"]))  # no attention in a ConvNeXt: the selectors go away
    assert outputs.attention_controls not in outputs.box.children


@pytest.mark.parametrize("text, expected", [
    ("In a hole there lived a hobbit.", "In a hole there lived a [MASK]."),
    ("a [MASK] b", "a [MASK] b"),
    ("hobbit", "[MASK]"),
])
def test_with_mask(text, expected):
    assert with_mask(text, "[MASK]") == expected


def test_a_one_value_output_has_no_spread_and_no_warning():
    # CLIP's logits_per_image for one image and one text is [1, 1]: torch's std of one value warns on stderr
    from explorer.widgets.outputs import hidden_state_rows

    assert hidden_state_rows({"logits_per_image": torch.tensor([[2.5]])}) == [("logits_per_image", [1, 1], 2.5, 0.0)]
