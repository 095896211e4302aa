"""The outputs panel: the model on the current input. Classifiers show the pipeline's three steps (inputs,
logits, softmax with id2label); masked LMs the top predictions for each mask; CTC models the transcription;
base models a summary of their hidden states. An attention heatmap has layer and head selectors. The panel
runs the model and turns its tensors into plain data (softmax, top-k, id2label names, shapes, decoded text);
``render/outputs.py`` draws them."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
import numpy as np

from .audio import read_clip
from .base import Panel, guarded
from .render import outputs as render
from .render.outputs import RunFacts
from .session import Session

CLASSIFIERS = ("AutoModelForSequenceClassification", "AutoModelForImageClassification",
               "AutoModelForAudioClassification")
TOP_K = 5


@dataclass
class Run:
    """One forward pass: what went in and what came out."""

    kind: str  # "text", "image" or "audio"
    inputs: dict[str, Any]
    outputs: Any
    tokens: list[str] = field(default_factory=list)  # for text: the tokens of the heatmap's axes
    text: str = ""


def softmax_top(logits: Any, k: int = TOP_K) -> list[tuple[int, float]]:
    """(index, probability) of the ``k`` most likely classes of one row of logits."""
    import torch

    probabilities = torch.softmax(logits.float(), dim=-1)
    values, indices = probabilities.topk(min(k, probabilities.numel()))
    return [(int(i), float(v)) for v, i in zip(values, indices)]


def hidden_state_rows(outputs: Mapping[str, Any]) -> list[tuple[str, list[int], float, float]]:
    """(name, shape, mean, std) of every tensor of a model's output; a tuple's tensors (hidden_states,
    attentions) one per layer, as name[index]."""
    rows = []
    for name, value in outputs.items():
        values = value if isinstance(value, tuple) else (value,)
        for index, tensor in enumerate(values):
            if hasattr(tensor, "shape"):
                label = f"{name}[{index}]" if isinstance(value, tuple) else name
                data = tensor.float()
                rows.append((label, list(tensor.shape), float(data.mean()), float(data.std())))
    return rows


def with_mask(text: str, mask_token: str) -> str:
    """The text as given when it holds the mask token; else its last word masked (keeping final punctuation)."""
    if mask_token in text:
        return text
    words = text.rstrip().split(" ")
    tail = words[-1][len(words[-1].rstrip(".!?")):]
    return " ".join(words[:-1] + [mask_token + tail])


class OutputsPanel(Panel):
    name = "outputs"

    def controls(self) -> list[widgets.Widget]:
        self.run_button = widgets.Button(description=self.labels["run"], icon="play")
        self.layer = widgets.IntSlider(min=0, max=0, description=self.labels["layer"], continuous_update=False)
        self.head = widgets.IntSlider(min=0, max=0, description=self.labels["head"], continuous_update=False)
        self.attention = widgets.HTML()
        self.attention_controls = widgets.HBox([self.layer, self.head])
        self.run_button.on_click(self.refresh)
        self.layer.observe(self.show_attention, "value")
        self.head.observe(self.show_attention, "value")
        self.state.observe(self.refresh, ["image", "audio"])
        self.last_run: Run | None = None
        return [self.run_button]

    def applies_to(self, session: Session) -> bool:
        return self.has(session, "model")

    def on_session(self, change: Mapping[str, Any]) -> None:
        if change["new"] is None:
            self.last_run = None  # its attention maps (150 MB for 512 tokens of bert-base) go with the model
        super().on_session(change)

    def render(self, session: Session) -> None:
        self.box.children = self.box.children[:3]  # the attention view comes back only if this run has one
        self.last_run = None
        if self.show_part_error(session, "model"):
            return
        run = self.forward(session)
        self.last_run = run
        auto = session.parts["model"].auto
        facts = self.facts(session, run)
        if auto in CLASSIFIERS:
            view = self.classification(session, run, facts)
        elif auto == "AutoModelForMaskedLM":
            view = self.fill_mask(session, run, facts)
        elif auto == "AutoModelForCTC":
            view = self.transcription(session, run, facts)
        else:
            view = render.hidden_states(facts, hidden_state_rows(run.outputs), self.labels)
        self.output.value = view
        attentions = getattr(run.outputs, "attentions", None)
        if attentions:
            self.layer.max, self.head.max = len(attentions) - 1, attentions[0].shape[1] - 1
            self.box.children = (*self.box.children, self.attention_controls, self.attention)
            self.show_attention()

    def forward(self, session: Session) -> Run:
        """Prepare the input with the checkpoint's own preprocessing, as a pipeline does, and run the model."""
        import torch

        model = session.get("model")
        if session.get("image_processor") is not None:
            run = Run("image", dict(session.process_image(self.state.image).inputs), None)
        elif session.get("feature_extractor") is not None:
            extractor = session.get("feature_extractor")
            waveform = read_clip(self.state.audio[1], extractor.sampling_rate)
            run = Run("audio", dict(extractor(waveform, sampling_rate=extractor.sampling_rate, return_tensors="pt")),
                      None)
        else:
            tokenizer = session.get("tokenizer")
            if tokenizer is None:
                raise self.missing_input(session)
            text = self.state.text
            if session.parts["model"].auto == "AutoModelForMaskedLM":
                text = with_mask(text, tokenizer.mask_token)
            encoding = tokenizer(text, return_tensors="pt", truncation=True)
            run = Run("text", dict(encoding), None, tokens=encoding.tokens(), text=text)
        accepts = inspect.signature(model.forward).parameters
        flags = {name: True for name in ("output_attentions", "output_hidden_states") if name in accepts}
        inputs = {key: value for key, value in run.inputs.items() if key in accepts}
        with torch.no_grad():
            run.outputs = model(**inputs, **flags)
        return run

    def missing_input(self, session: Session) -> Exception:
        from .. import errors

        return errors.EntryNotFoundError(
            f"{session.reference!r} has no tokenizer, image processor or feature extractor, so there is no input "
            "to run its model on. Load a checkpoint that ships its preprocessing files."
        )

    @staticmethod
    def facts(session: Session, run: Run) -> RunFacts:
        return RunFacts(session.parts["model"].auto, type(session.get("model")).__name__, run.kind, run.tokens,
                        {name: list(value.shape) for name, value in run.inputs.items()})

    def classification(self, session: Session, run: Run, facts: RunFacts) -> str:
        logits = run.outputs.logits[0]
        id2label = session.get("model").config.id2label
        logit_rows = [(id2label.get(i, f"LABEL_{i}"), float(v)) for i, v in enumerate(logits[:50])]
        top = [(id2label.get(i, f"LABEL_{i}"), p) for i, p in softmax_top(logits)]
        return render.classification(facts, list(run.outputs.logits.shape), logit_rows, top, self.labels)

    def fill_mask(self, session: Session, run: Run, facts: RunFacts) -> str:
        tokenizer = session.get("tokenizer")
        ids = run.inputs["input_ids"][0]
        positions = (ids == tokenizer.mask_token_id).nonzero().flatten().tolist()
        predictions = {position: [(tokenizer.convert_ids_to_tokens(i), p)
                                  for i, p in softmax_top(run.outputs.logits[0, position])] for position in positions}
        return render.fill_mask(facts, run.text, predictions, self.labels)

    def transcription(self, session: Session, run: Run, facts: RunFacts) -> str:
        predicted = run.outputs.logits[0].argmax(-1).tolist()
        tokenizer = session.get("tokenizer")
        text = tokenizer.decode(predicted) if tokenizer is not None else None
        return render.transcription(facts, list(run.outputs.logits.shape), predicted, text, self.labels)

    @guarded
    def show_attention(self, *_: Any) -> None:
        if self.last_run is None:
            return
        attentions = self.last_run.outputs.attentions
        matrix = np.asarray(attentions[self.layer.value][0, self.head.value])
        self.attention.value = render.attention(matrix, self.layer.value, self.head.value, self.last_run.tokens,
                                                self.labels)
