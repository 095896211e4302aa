"""The outputs panel: the model on the current input, through the pipeline of the checkpoint's task.

The task is the row of ``explorer.pipelines.TASKS`` whose Auto class has the loaded model's class: sequence
classification -> text-classification, CTC -> automatic-speech-recognition, ``CLIPModel`` ->
zero-shot-image-classification, a base model -> feature-extraction, and so on. Its pipeline is made from the
session's loaded model and preprocessors (nothing is read again), called on the app's current text, image or
clip, and the steps it recorded (``pipeline.steps``) are drawn by ``render/outputs.py``. A head whose task
this panel has no input for (a causal LM: the Generation panel shows it), or a checkpoint lacking a part its
pipeline needs, runs its model on the preprocessed input and shows a summary of the hidden states.

One forward serves the steps and the attention heatmap: while the pipeline runs, hooks ask the model for its
attentions and hidden states and keep them for the panel, out of the pipeline's record (that of a plain call).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from ..pipelines import TASKS, Task, heads_of, pipeline
from .audio import read_clip
from .base import Panel, guarded
from .render import outputs as render
from .render.outputs import RunFacts
from .session import Session

if TYPE_CHECKING:
    from ..pipelines.base import CallSteps

TOP_K = 5
GENERATED_TOKENS = 8
# the panel's defaults for the inputs a task needs besides the app's text, image or clip
QUESTION = "What lived in a hole in the ground?"
CANDIDATE_LABELS = "a flower, a cat, a dog"
# what the hooks ask the model for, and the output field each gives
EXTRA_OUTPUTS = {"output_attentions": "attentions", "output_hidden_states": "hidden_states"}


@dataclass
class Run:
    """One forward pass, as the panel keeps it for the heatmap: its attention maps only, in half precision (the
    hidden states, summarised when shown, are let go). In every learner's kernel that is 11 MiB for ViT-base
    instead of 30; a map is drawn in 256 colours, far coarser than half precision's rounding."""

    attentions: tuple[Any, ...] | None  # one (batch, heads, query, key) tensor per layer, if the model has them
    tokens: list[str] = field(default_factory=list)  # a text input's tokens: the heatmap's axes
    steps: CallSteps | None = None  # the pipeline's record of the call; None for a model run on its own


@dataclass(frozen=True)
class TaskCall:
    """How the panel calls a task's pipeline: the kind of input, a function making the input and any call
    arguments from the app's state and the panel's fields, and the arguments every call has."""

    kind: str  # "text", "image" or "audio"
    make_input: Callable[[OutputsPanel, Session], tuple[Any, dict[str, Any]]]
    arguments: Mapping[str, Any] = field(default_factory=dict)
    field: str = ""  # the panel's own text field the task reads: "question" or "candidate_labels"


def the_text(panel: OutputsPanel, session: Session) -> tuple[Any, dict[str, Any]]:
    return panel.state.text, {}


def masked_text(panel: OutputsPanel, session: Session) -> tuple[Any, dict[str, Any]]:
    tokenizer = session.get("tokenizer")
    return with_mask(kept_text(panel.state.text, tokenizer), tokenizer.mask_token), {}


def question_and_context(panel: OutputsPanel, session: Session) -> tuple[Any, dict[str, Any]]:
    return {"question": panel.question.value, "context": panel.state.text}, {}


def the_image(panel: OutputsPanel, session: Session) -> tuple[Any, dict[str, Any]]:
    return session.process_image(panel.state.image).image, {}  # decoded once, shared with the image panel


def the_image_and_labels(panel: OutputsPanel, session: Session) -> tuple[Any, dict[str, Any]]:
    return the_image(panel, session)[0], {"candidate_labels": split_labels(panel.candidate_labels.value)}


def the_clip(panel: OutputsPanel, session: Session) -> tuple[Any, dict[str, Any]]:
    return read_clip(panel.state.audio[1], session.get("feature_extractor").sampling_rate), {}


# The tasks the panel runs, by name; a task missing here keeps the model's forward and its hidden states.
TASK_CALLS = {
    "text-classification": TaskCall("text", the_text, {"top_k": TOP_K, "truncation": True}),
    "token-classification": TaskCall("text", the_text, {"aggregation_strategy": "simple"}),
    "question-answering": TaskCall("text", question_and_context, field="question"),
    "fill-mask": TaskCall("text", masked_text, {"top_k": TOP_K, "tokenizer_kwargs": {"truncation": True}}),
    "feature-extraction": TaskCall("text", the_text, {"truncation": True}),
    "image-classification": TaskCall("image", the_image, {"top_k": TOP_K}),
    "audio-classification": TaskCall("audio", the_clip, {"top_k": TOP_K}),
    "automatic-speech-recognition": TaskCall("audio", the_clip),
    "zero-shot-image-classification": TaskCall("image", the_image_and_labels, field="candidate_labels"),
    # a short greedy continuation: the Generation panel is where decoding is explored step by step
    "text-generation": TaskCall("text", the_text, {"max_new_tokens": GENERATED_TOKENS, "do_sample": False}),
}


class SharedImageProcessing:
    """The session's image processor as the pipeline sees it: the image the session processed (the same
    object) gets that processing, done once for the image, outputs and backbone panels; any other call is the
    processor's."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.processor = session.get("image_processor")

    def __call__(self, images: Any, return_tensors: Any = None, **overrides: Any) -> Any:
        done = self.session.processed
        one = images[0] if isinstance(images, list) and len(images) == 1 else images
        if done is not None and one is done.image and return_tensors == "pt" and not overrides:
            return dict(done.inputs)
        return self.processor(images, return_tensors=return_tensors, **overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.processor, name)


def pipeline_parts(session: Session, task: Task) -> dict[str, Any]:
    """The session's loaded preprocessors the task's pipeline takes."""
    parts = {part: session.get(part) for part in task.preprocessors}
    if "image_processor" in parts:
        parts["image_processor"] = SharedImageProcessing(session)
    return parts


def panel_task(model: Any) -> Task | None:
    """The task of the loaded model's head the panel runs: a head's before AutoModel's feature-extraction
    (``CLIPModel`` is the class of both AutoModel and AutoModelForZeroShotImageClassification)."""
    heads = {auto for auto, name in heads_of(model.config.model_type).items() if name == type(model).__name__}
    rows = [task for task in TASKS if task.auto_class in heads and task.name in TASK_CALLS]
    return min(rows, key=lambda task: task.auto_class == "AutoModel", default=None)


def split_labels(text: str) -> list[str]:
    return [label.strip() for label in text.split(",") if label.strip()]


def kept_text(text: str, tokenizer: Any) -> str:
    """The text up to the end of the last token truncation keeps: a mask put at its end is not cut off."""
    offsets = tokenizer(text, truncation=True, return_offsets_mapping=True)["offset_mapping"]
    return text[:max((end for _, end in offsets), default=len(text))]


def with_mask(text: str, mask_token: str) -> str:
    """The text as given when it holds the mask token; else its last word masked (keeping final punctuation)."""
    if mask_token in text:
        return text
    words = text.rstrip().split(" ")
    tail = words[-1][len(words[-1].rstrip(".!?")):]
    return " ".join(words[:-1] + [mask_token + tail])


@contextmanager
def full_outputs(model: Any) -> Iterator[list[Mapping[str, Any]]]:
    """While in the block, the model's first call also returns its attentions and hidden states (when its forward
    takes the flags): its whole output is kept in the list yielded, and the caller gets the output without them.
    Later calls (a long QA context's other spans, generate's steps) run as asked: the first one's maps are shown."""
    accepts = inspect.signature(model.forward).parameters
    flags = {flag: True for flag in EXTRA_OUTPUTS if flag in accepts}
    asked = {EXTRA_OUTPUTS[flag] for flag in flags}
    kept: list[Mapping[str, Any]] = []

    def ask(module: Any, args: tuple, kwargs: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        return args, kwargs if kept else {**kwargs, **flags}

    def keep(module: Any, args: tuple, kwargs: dict[str, Any], output: Any) -> Any:
        if kept:
            return output
        kept.append(output)
        return type(output)(**{name: value for name, value in output.items() if name not in asked})

    handles = [model.register_forward_pre_hook(ask, with_kwargs=True),
               model.register_forward_hook(keep, with_kwargs=True)]
    try:
        yield kept
    finally:
        for handle in handles:
            handle.remove()


def maps_to_keep(outputs: Any) -> tuple[Any, ...] | None:
    """A run's attention maps as the panel keeps them for its heatmap: in half precision."""
    attentions = getattr(outputs, "attentions", None)
    return tuple(layer.half() for layer in attentions) if attentions else None


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
                # one value has no sample std (torch would warn on stderr): its spread is 0
                spread = float(data.std()) if data.numel() > 1 else 0.0
                rows.append((label, list(tensor.shape), float(data.mean()), spread))
    return rows


class OutputsPanel(Panel):
    name = "outputs"

    def controls(self) -> list[widgets.Widget]:
        self.run_button = widgets.Button(description=self.labels["run"], icon="play",
                                         layout=widgets.Layout(width="max-content"))  # its whole label, in any language
        self.question = self.text_field(QUESTION, "question")
        self.candidate_labels = self.text_field(CANDIDATE_LABELS, "candidate_labels")
        self.task_fields = widgets.HBox([])  # the field of the task shown, if it has one
        self.layer = widgets.IntSlider(min=0, max=0, description=self.labels["layer"], continuous_update=False)
        self.head = widgets.IntSlider(min=0, max=0, description=self.labels["head"], continuous_update=False)
        self.attention = widgets.HTML()
        self.attention_controls = widgets.HBox([self.layer, self.head])
        self.run_button.on_click(self.refresh)
        self.layer.observe(self.show_attention, "value")
        self.head.observe(self.show_attention, "value")
        self.state.observe(self.refresh, ["image", "audio"])
        self.last_run: Run | None = None
        return [self.run_button, self.task_fields]

    def text_field(self, value: str, label: str) -> widgets.Text:
        """A labelled text field that reruns the panel when its value is submitted."""
        made = widgets.Text(value=value, description=self.labels[label], continuous_update=False,
                            style={"description_width": "initial"}, layout=widgets.Layout(width="32em"))
        made.observe(self.refresh, "value")
        return made

    def applies_to(self, session: Session) -> bool:
        return self.has(session, "model")

    def on_session(self, change: Mapping[str, Any]) -> None:
        if change["new"] is None:
            self.last_run = None  # its attention maps (150 MB for 512 tokens of bert-base) go with the model
        super().on_session(change)

    def render(self, session: Session) -> None:
        # the attention view comes back only if this run has one
        self.box.children = self.box.children[:self.box.children.index(self.output) + 1]
        self.last_run = None
        self.task_fields.children = []
        if self.show_part_error(session, "model"):
            return
        task = panel_task(session.get("model"))
        why = self.why_no_pipeline(session, task)
        self.output.value, run = self.without_pipeline(session, why) if why else self.with_pipeline(session, task)
        self.last_run = run
        attentions = run.attentions
        if attentions:
            self.layer.max, self.head.max = len(attentions) - 1, attentions[0].shape[1] - 1
            self.box.children = (*self.box.children, self.attention_controls, self.attention)
            self.show_attention()

    def with_pipeline(self, session: Session, task: Task) -> tuple[str, Run]:
        """The task's pipeline on the current input, over the session's loaded parts; its recorded steps."""
        call = TASK_CALLS[task.name]
        if call.field:
            self.task_fields.children = [getattr(self, call.field)]
        model = session.get("model")
        pipe = pipeline(task.name, model=model, **pipeline_parts(session, task))
        inputs, arguments = call.make_input(self, session)
        with full_outputs(model) as kept:
            pipe(inputs, **call.arguments, **arguments)
        facts = RunFacts(session.parts["model"].auto, type(model).__name__, call.kind)
        view = render.pipeline_steps(facts, pipe.steps, self.labels)
        if task.auto_class == "AutoModel":  # a base model's result is its hidden states: all of them summarised
            view += render.hidden_states(hidden_state_rows(kept[0]), self.labels)
        return view, Run(maps_to_keep(kept[0]), pipe.steps.items[0].chunks[0].tokens, pipe.steps)

    def why_no_pipeline(self, session: Session, task: Task | None) -> str:
        """Why the task's pipeline cannot run on this checkpoint ("" when it can): no task, a missing part, or
        parts that do not make the model's main input (a speech base model with a CTC vocabulary)."""
        if task is None:
            return f"{self.labels['no_pipeline']} ({session.parts['model'].auto})"
        missing = [part for part in task.preprocessors if session.get(part) is None]
        if missing:
            return f"{self.labels['missing_part']}: {task.name} -> {', '.join(missing)}"
        made = {name for part in task.preprocessors for name in session.get(part).model_input_names}
        main = session.get("model").main_input_name
        return "" if main in made else f"{self.labels['other_input']}: {task.name} -> {', '.join(sorted(made))}; {main}"

    def without_pipeline(self, session: Session, why: str) -> tuple[str, Run]:
        """The model on the input prepared with the checkpoint's own preprocessing; its outputs summarised."""
        import torch

        model = session.get("model")
        facts, inputs = self.preprocessed(session)
        accepts = inspect.signature(model.forward).parameters
        with full_outputs(model) as kept, torch.no_grad():
            model(**{name: value for name, value in inputs.items() if name in accepts})
        return render.model_run(facts, why, hidden_state_rows(kept[0]), self.labels), Run(maps_to_keep(kept[0]), facts.tokens)

    def preprocessed(self, session: Session) -> tuple[RunFacts, dict[str, Any]]:
        """The current input through the checkpoint's image processor, feature extractor or tokenizer."""
        if session.get("image_processor") is not None:
            kind, inputs = "image", dict(session.process_image(self.state.image).inputs)
        elif session.get("feature_extractor") is not None:
            extractor = session.get("feature_extractor")
            waveform = read_clip(self.state.audio[1], extractor.sampling_rate)
            kind, inputs = "audio", dict(extractor(waveform, sampling_rate=extractor.sampling_rate,
                                                   return_tensors="pt"))
        elif session.get("tokenizer") is not None:
            kind, inputs = "text", session.get("tokenizer")(self.state.text, return_tensors="pt", truncation=True)
        else:
            raise self.missing_input(session)
        facts = RunFacts(session.parts["model"].auto, type(session.get("model")).__name__, kind,
                         inputs.tokens() if kind == "text" else [],
                         {name: list(value.shape) for name, value in inputs.items()})
        return facts, dict(inputs)

    def missing_input(self, session: Session) -> Exception:
        from .. import errors

        return errors.EntryNotFoundError(
            f"{session.reference!r} has no tokenizer, image processor or feature extractor, so there is no input "
            "to run its model on. Load a checkpoint that ships its preprocessing files."
        )

    @guarded
    def show_attention(self, *_: Any) -> None:
        if self.last_run is None:
            return
        attentions = self.last_run.attentions
        matrix = np.asarray(attentions[self.layer.value][0, self.head.value])
        self.attention.value = render.attention(matrix, self.layer.value, self.head.value, self.last_run.tokens,
                                                self.labels)

