"""The outputs view, plain data in, HTML out. A checkpoint with a pipeline task shows the steps its pipeline
recorded for the call (``pipeline.steps``): the inputs as the model saw them, its raw outputs, each
postprocessing step with what it gave, and the result (bars for scores, entities or the answer marked in the
text, the transcription). A model with no such task shows a summary of its hidden states. The attention heatmap
is a view of its own (its selectors redraw it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .charts import axis_labels, bar_chart, heatmap
from .colors import probability_colour
from .html import esc, note, number, section, strong, table

if TYPE_CHECKING:
    from ...pipelines.base import CallSteps, ChunkSteps, ItemSteps

PREVIEW = 8  # numbers shown of a long list


@dataclass
class RunFacts:
    """What every view of a run starts with: the classes that ran and the kind of input they ran on."""

    auto: str  # the Auto class, e.g. "AutoModelForSequenceClassification"
    model_class: str  # what it resolved to, e.g. "BertForSequenceClassification"
    kind: str  # "text", "image" or "audio"
    tokens: list[str] = field(default_factory=list)  # a text input's tokens (the run without a pipeline)
    input_shapes: dict[str, list[int]] = field(default_factory=dict)  # each model input's shape (idem)


def run_header(facts: RunFacts, labels: Mapping[str, str]) -> str:
    return note(f"{facts.auto} -> {facts.model_class} · {labels['input']}: {labels['kind_' + facts.kind]}")


# --- plain values as short text -----------------------------------------------------------------------------


def shape_of(value: Any) -> list[int]:
    """The shape of nested lists (of a tensor made plain), down to the first level whose lists differ in
    length (the token lists of several sentences)."""
    shape, level = [], [value]
    while level and all(isinstance(item, (list, tuple)) for item in level):
        lengths = {len(item) for item in level}
        if len(lengths) > 1:
            break
        shape.append(lengths.pop())
        if not (level[0] and isinstance(level[0][0], (list, tuple))):
            break  # the innermost lists: the numbers in them are not walked (a vocabulary's logits are millions)
        level = [inner for item in level for inner in item]
    return shape


def compact(value: Any) -> str:
    """A plain value as one short line: numbers to 4 digits, long lists cut after their first items, an array
    of more than one dimension as its shape and first row."""
    if isinstance(value, float):
        return number(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {compact(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        shape = shape_of(value)
        if len(shape) > 1 and np.prod(shape) > PREVIEW:
            return f"shape {shape}, first row: {compact(first_row(value))}"
        shown = ", ".join(compact(item) for item in value[:PREVIEW])
        return f"[{shown}{f', ... ({len(value) - PREVIEW} more)' if len(value) > PREVIEW else ''}]"
    return str(value)


def first_row(value: list) -> list:
    """The innermost first row of nested lists."""
    while value and isinstance(value[0], (list, tuple)):
        value = value[0]
    return value


# --- the pipeline's steps -----------------------------------------------------------------------------------


def pipeline_steps(facts: RunFacts, steps: CallSteps, labels: Mapping[str, str]) -> str:
    """A call of one input: its parameters, then 1. inputs, 2. raw outputs, 3. postprocessing, 4. result."""
    item = steps.items[0]
    parameters = ", ".join(f"{name}={value!r}" for name, value in steps.parameters.items())
    return (run_header(facts, labels)
            + note(f"{labels['pipeline']}: pipeline({steps.task!r}) · {parameters or labels['defaults']}")
            + section(f"1. {labels['step_inputs']}", input_text(item, labels) + chunk_views(item.chunks, inputs_view,
                                                                                            labels))
            + section(f"2. {labels['step_raw_outputs']}", chunk_views(item.chunks, raw_outputs_view, labels))
            + section(f"3. {labels['step_postprocessing']}", postprocessing_view(item))
            + section(f"4. {labels['step_result']}", RESULT_VIEWS.get(steps.task, generic_result)(item, labels)))


def input_text(item: ItemSteps, labels: Mapping[str, str]) -> str:
    """A text input as given (the masked text for fill-mask; the question and context for QA); an image or a
    clip is shown by its panel."""
    if isinstance(item.input, str):
        return note(f"{labels['input']}: {item.input}")
    if isinstance(item.input, Mapping):
        return "".join(note(f"{name}: {value}") for name, value in item.input.items() if isinstance(value, str))
    return ""


def chunk_views(chunks: Sequence[ChunkSteps], view: Callable[[ChunkSteps], str], labels: Mapping[str, str]) -> str:
    """One view per chunk; chunks (the spans of a long QA context) are titled when there are several."""
    if len(chunks) == 1:
        return view(chunks[0])
    return "".join(note(f"{labels['chunk']} {index}") + view(chunk) for index, chunk in enumerate(chunks))


def inputs_view(chunk: ChunkSteps) -> str:
    """The tokens (for text) and each model input's shape and first values."""
    tokens = note(" ".join(chunk.tokens)) if chunk.tokens else ""
    return tokens + values_table(chunk.model_inputs)


def raw_outputs_view(chunk: ChunkSteps) -> str:
    return values_table(chunk.model_outputs)


def values_table(values: Mapping[str, Any]) -> str:
    return table([(name, shape_of(value), compact(value)) for name, value in values.items()])


def postprocessing_view(item: ItemSteps) -> str:
    """Every step the pipeline recorded, in order: its name, what it did, what it gave."""
    return table([(f"3.{index} {step.name}", step.detail, compact(step.value))
                  for index, step in enumerate(item.postprocessing, 1)])


# --- results --------------------------------------------------------------------------------------------------


def label_scores(item: ItemSteps, labels: Mapping[str, str]) -> str:
    """Classifiers' results, ``{"label", "score"}`` (or a list of them), as bars, best first."""
    result = item.output if isinstance(item.output, list) else [item.output]
    return bar_chart([(entry["label"], entry["score"]) for entry in result])


def fill_mask_result(item: ItemSteps, labels: Mapping[str, str]) -> str:
    """The tokens proposed for each mask (one list, or one per mask) as bars, best first."""
    masks = item.output if item.output and isinstance(item.output[0], list) else [item.output]
    return "".join(note(f"{labels['predictions']} ({labels['mask']} {index})")
                   + bar_chart([(entry["token_str"], entry["score"]) for entry in proposals])
                   for index, proposals in enumerate(masks, 1))


def entities_result(item: ItemSteps, labels: Mapping[str, str]) -> str:
    """Each entity's span marked in the text (its label and score as the title), then listed."""
    entities = item.output
    names = [entity.get("entity_group", entity.get("entity")) for entity in entities]
    spans = [(entity["start"], entity["end"], f"{name} {number(entity['score'])}", entity["score"])
             for entity, name in zip(entities, names)]
    rows = [(name, entity["word"], number(entity["score"]), f"{entity['start']}:{entity['end']}")
            for entity, name in zip(entities, names)]
    listed = table(rows, header=(labels["label"], labels["word"], labels["score"], labels["span"])) if rows else \
        note(labels["no_entities"])
    return marked_text(item.input, spans) + listed


def answer_result(item: ItemSteps, labels: Mapping[str, str]) -> str:
    """The best answer marked in the context, then said with its score."""
    answers = item.output if isinstance(item.output, list) else [item.output]
    spans = [(answer["start"], answer["end"], number(answer["score"]), answer["score"]) for answer in answers]
    said = "".join(note(f"{labels['answer']}: {answer['answer']!r} · {labels['score']} {number(answer['score'])}")
                   for answer in answers)
    return marked_text(item.input["context"], spans) + said


def transcription_result(item: ItemSteps, labels: Mapping[str, str]) -> str:
    return strong(item.output["text"]) if item.output["text"] else note(labels["empty_transcription"])


def features_result(item: ItemSteps, labels: Mapping[str, str]) -> str:
    return note(f"{labels['features']}: {shape_of(item.output)}")


def generic_result(item: ItemSteps, labels: Mapping[str, str]) -> str:
    return note(compact(item.output))


RESULT_VIEWS: dict[str, Callable[[ItemSteps, Mapping[str, str]], str]] = {
    "text-classification": label_scores,
    "image-classification": label_scores,
    "audio-classification": label_scores,
    "zero-shot-image-classification": label_scores,
    "fill-mask": fill_mask_result,
    "token-classification": entities_result,
    "question-answering": answer_result,
    "automatic-speech-recognition": transcription_result,
    "feature-extraction": features_result,
}


def marked_text(text: str, spans: Sequence[tuple[int, int, str, float]]) -> str:
    """``text`` with each (start, end, title, score) character span marked, coloured by its score; a span
    overlapping one already marked is left out."""
    parts, cursor = [], 0
    for start, end, title, score in sorted(spans):
        if start < cursor:
            continue
        parts.append(esc(text[cursor:start]))
        parts.append(f'<mark class="explorer-span" style="background:{probability_colour(score)}" '
                     f'title="{esc(title)}">{esc(text[start:end])}</mark>')
        cursor = end
    parts.append(esc(text[cursor:]))
    return f'<div class="explorer-source">{"".join(parts)}</div>'


# --- without a pipeline -------------------------------------------------------------------------------------


def hidden_states(rows: Sequence[tuple[str, Sequence[int], float, float]], labels: Mapping[str, str]) -> str:
    """``rows`` (output name, shape, mean, std), one per tensor of the model's output."""
    summary = table([(name, list(shape), number(mean), number(std)) for name, shape, mean, std in rows],
                    header=(labels["output"], "shape", labels["mean"], labels["std"]))
    return section(labels["hidden_states"], summary)


def model_run(facts: RunFacts, why: str, rows: Sequence[tuple[str, Sequence[int], float, float]],
              labels: Mapping[str, str]) -> str:
    """The model run without a pipeline (``why`` says why): its inputs and the summary of its outputs."""
    inputs = note(" ".join(facts.tokens)) if facts.kind == "text" else table(facts.input_shapes.items())
    return (run_header(facts, labels) + note(why) + section(f"1. {labels['step_inputs']}", inputs)
            + hidden_states(rows, labels))


def attention(matrix: np.ndarray, layer: int, head: int, tokens: Sequence[str], labels: Mapping[str, str]) -> str:
    """One head's attention (query x key) as a heatmap; a text input's tokens label its axes."""
    title = f"{labels['layer']} {layer} · {labels['head']} {head}"
    axes = axis_labels(tokens) if tokens else ""
    return section(f"{labels['attention']} ({title}, {list(np.shape(matrix))})", heatmap(matrix, title) + axes)
