"""The outputs view: a forward pass as plain data in, HTML out. Classifiers show the pipeline's three steps
(inputs, logits, softmax), masked LMs the top predictions for each mask, CTC models the transcription, base
models a summary of their hidden states; the attention heatmap is a view of its own (its selectors redraw it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .charts import axis_labels, bar_chart, heatmap
from .html import note, number, section, strong, table


@dataclass
class RunFacts:
    """What every view of a forward pass starts with: the classes that ran and the input they ran on."""

    auto: str  # the Auto class, e.g. "AutoModelForSequenceClassification"
    model_class: str  # what it resolved to, e.g. "BertForSequenceClassification"
    kind: str  # "text", "image" or "audio"
    tokens: list[str] = field(default_factory=list)  # a text input's tokens
    input_shapes: dict[str, list[int]] = field(default_factory=dict)  # each model input's shape


def run_header(facts: RunFacts, labels: Mapping[str, str]) -> str:
    return note(f"{facts.auto} -> {facts.model_class} · {labels['input']}: {labels['kind_' + facts.kind]}")


def inputs_step(facts: RunFacts, labels: Mapping[str, str]) -> str:
    """Step 1: a text input as its tokens; an image or audio input as the shapes of its tensors."""
    body = note(" ".join(facts.tokens)) if facts.kind == "text" else table(facts.input_shapes.items())
    return section(f"1. {labels['step_inputs']}", body)


def logits_title(shape: Sequence[int], labels: Mapping[str, str]) -> str:
    return f"2. {labels['step_logits']} {list(shape)}"


def classification(facts: RunFacts, logits_shape: Sequence[int], logit_rows: Sequence[tuple[str, float]],
                   top: Sequence[tuple[str, float]], labels: Mapping[str, str]) -> str:
    """``logit_rows`` (label, logit) of the classes shown, ``top`` (label, probability), most likely first."""
    logits = table([(label, number(logit)) for label, logit in logit_rows])
    return (run_header(facts, labels) + inputs_step(facts, labels)
            + section(logits_title(logits_shape, labels), logits)
            + section(f"3. {labels['step_softmax']}", bar_chart(top)))


def fill_mask(facts: RunFacts, masked_text: str, predictions: Mapping[int, Sequence[tuple[str, float]]],
              labels: Mapping[str, str]) -> str:
    """``predictions`` maps each mask's token position to its (token, probability) rows, most likely first."""
    parts = [run_header(facts, labels), note(f"{labels['masked_text']}: {masked_text}")]
    parts += [section(f"{labels['predictions']} ({labels['token']} {position})", bar_chart(rows))
              for position, rows in predictions.items()]
    return "".join(parts)


def transcription(facts: RunFacts, logits_shape: Sequence[int], predicted_ids: Sequence[int], text: str | None,
                  labels: Mapping[str, str]) -> str:
    """``predicted_ids`` the argmax of each frame; ``text`` their decoding, None when there is no tokenizer."""
    return (run_header(facts, labels) + inputs_step(facts, labels)
            + section(logits_title(logits_shape, labels), note(" ".join(map(str, predicted_ids))))
            + section(f"3. {labels['transcription']}", strong(labels["no_tokenizer"] if text is None else text)))


def hidden_states(facts: RunFacts, rows: Sequence[tuple[str, Sequence[int], float, float]],
                  labels: Mapping[str, str]) -> str:
    """``rows`` (output name, shape, mean, std), one per tensor of the model's output."""
    summary = table([(name, list(shape), number(mean), number(std)) for name, shape, mean, std in rows],
                    header=(labels["output"], "shape", labels["mean"], labels["std"]))
    return run_header(facts, labels) + inputs_step(facts, labels) + section(labels["hidden_states"], summary)


def attention(matrix: np.ndarray, layer: int, head: int, tokens: Sequence[str], labels: Mapping[str, str]) -> str:
    """One head's attention (query x key) as a heatmap; a text input's tokens label its axes."""
    title = f"{labels['layer']} {layer} · {labels['head']} {head}"
    axes = axis_labels(tokens) if tokens else ""
    return section(f"{labels['attention']} ({title}, {list(np.shape(matrix))})", heatmap(matrix, title) + axes)
