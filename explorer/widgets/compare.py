"""Compare mode: two checkpoints side by side on one shared text and image. ``compare("bert-base-uncased",
"distilbert-base-uncased")`` in a notebook. Each side is a checkpoint box and one session (one model in memory
per side); ``render/compare.py`` draws the classes, the config diff, both tokenizations, both preprocessings,
and the shapes and parameter counts."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from ..hub import download_bars
from ..samples import CLIP, PHOTO, SENTENCE
from .app import catalog_ids
from .audio import read_clip
from .base import guarded
from .i18n import labels_for
from .render import compare as render
from .progress import Downloads
from .render.html import STYLE, busy_indicator, error_box, messages_html, note
from .session import Session, describe_error, load_session, return_freed_memory
from .text import encoding_rows


def components(session: Session) -> dict[str, render.Component]:
    """Each component's (Auto class, resolved class or why not, status), the config first."""
    rows = {"config": ("AutoConfig", type(session.config).__name__, "loaded")}
    return rows | {name: (part.auto, part.result, part.status) for name, part in session.parts.items()}


def token_side(session: Session, text: str) -> render.TokenSide | None:
    """The tokenizer's own encoding of ``text`` (special tokens added, nothing padded or cut) as chips' data."""
    tokenizer = session.get("tokenizer")
    if tokenizer is None:
        return None
    encoding = tokenizer([text], return_offsets_mapping=tokenizer.is_fast, return_special_tokens_mask=True,
                         verbose=False)
    return render.TokenSide(type(tokenizer).__name__, encoding_rows(encoding, [(text,)], tokenizer)[0])


def image_side(session: Session, image: tuple[str, bytes]) -> render.ImageSide | None:
    processor = session.get("image_processor")
    if processor is None:
        return None
    pixel_values = session.process_image(image).inputs["pixel_values"]
    return render.ImageSide(type(processor).__name__, pixel_values[0].numpy(), list(pixel_values.shape),
                            str(pixel_values.dtype), processor.to_dict())


def model_inputs(session: Session, text: str, image: tuple[str, bytes], accepts: set[str]) -> dict[str, Any]:
    """The shared inputs through the side's own preprocessing, as far as its model takes them: the text's ids
    (and mask) when it takes input_ids, the image's pixel_values, the sample clip's input_values."""
    inputs: dict[str, Any] = {}
    tokenizer, extractor = session.get("tokenizer"), session.get("feature_extractor")
    if tokenizer is not None and "input_ids" in accepts:
        inputs |= tokenizer(text, return_tensors="pt", truncation=True)
    if session.get("image_processor") is not None:
        inputs |= session.process_image(image).inputs
    if extractor is not None:
        waveform = read_clip(CLIP.read_bytes(), extractor.sampling_rate)
        inputs |= extractor(waveform, sampling_rate=extractor.sampling_rate, return_tensors="pt")
    return {name: value for name, value in inputs.items() if name in accepts}


def model_side(session: Session, text: str, image: tuple[str, bytes]) -> render.ModelSide | None:
    """The model on the shared inputs: its class, parameters, and the shapes in and out."""
    import torch

    model = session.get("model")
    if model is None:
        return None
    inputs = model_inputs(session, text, image, set(inspect.signature(model.forward).parameters))
    side = render.ModelSide(type(model).__name__, model.num_parameters(),
                            {name: list(value.shape) for name, value in inputs.items()})
    if inputs:
        with torch.no_grad():
            outputs = model(**inputs)
        side.outputs = output_shapes(outputs)
    return side


def output_shapes(outputs: Mapping[str, Any]) -> dict[str, list[int]]:
    """The shape of every tensor a model returned; a tuple's tensors (hidden_states, attentions) as name[index]."""
    shapes = {}
    for name, value in outputs.items():
        if isinstance(value, tuple):
            shapes |= {f"{name}[{index}]": list(item.shape) for index, item in enumerate(value)
                       if hasattr(item, "shape")}
        elif hasattr(value, "shape"):
            shapes[name] = list(value.shape)
    return shapes


def on_its_side(compute: Callable[..., Any], *args: Any) -> Any:
    """``compute(*args)`` for one side, or the message of its failure: the other side is still shown."""
    try:
        return compute(*args)
    except Exception as error:  # noqa: BLE001 - shown in that side's column
        return describe_error(error)


class CompareSide:
    """One side: its checkpoint box and the session loaded from it (None before a load or after a failure)."""

    def __init__(self, labels: Any, description: str, on_loaded: Any) -> None:
        self.labels = labels
        self.on_loaded = on_loaded
        self.session: Session | None = None
        self.requested = ""
        self.checkpoint = widgets.Combobox(options=catalog_ids(), placeholder=labels["checkpoint_placeholder"],
                                           description=description, continuous_update=False, ensure_option=False,
                                           layout=widgets.Layout(width="100%"))
        self.checkpoint.add_class("explorer-checkpoint")
        self.message = widgets.HTML()
        self.downloads = Downloads()  # huggingface_hub's download bars, as rows
        self.checkpoint.observe(self.on_submit, "value")
        self.box = widgets.VBox([self.checkpoint, self.message, self.downloads], layout=widgets.Layout(width="50%"))

    def on_submit(self, change: dict[str, Any]) -> None:
        if change["new"].strip() and change["new"].strip() != self.requested:
            self.load(change["new"])

    def load(self, reference: str) -> None:
        """Load ``reference`` on this side, the previous model released first; a failure shows its message."""
        self.requested = reference = str(reference).strip()
        self.checkpoint.value = reference
        self.session = None
        return_freed_memory()
        self.message.value = busy_indicator(self.labels["loading"])
        self.downloads.clear()
        failure = None
        with download_bars(self.downloads.tqdm_class()):
            try:
                self.session = load_session(reference)
            except Exception as error:  # noqa: BLE001 - shown on its side; the app stays usable
                failure = error
        if failure is not None:
            self.message.value = error_box(f"{self.labels['load_failed']} {reference}", describe_error(failure))
        else:  # the load's warnings and the Hub client's lines, styled (never a stderr block)
            self.message.value = messages_html(self.session.message_rows())
        self.on_loaded()


class CompareApp(widgets.VBox):
    """Two checkpoint boxes, one shared text and image, and the comparison of what each side made of them."""

    def __init__(self, left: str | None = None, right: str | None = None, lang: str = "en") -> None:
        self.labels = labels = labels_for(lang)
        self.sides = (CompareSide(labels, labels["compare_left"], self.refresh),
                      CompareSide(labels, labels["compare_right"], self.refresh))
        self.text = widgets.Textarea(value=SENTENCE, placeholder=labels["text_placeholder"],
                                     layout=widgets.Layout(width="100%", height="40px"))
        self.image = (PHOTO.name, PHOTO.read_bytes())
        self.sample = widgets.Button(description=labels["use_sample"], icon="image")
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description=labels["upload"])
        self.source = widgets.HTML(note(f"{labels['input']}: {self.image[0]}"))
        self.output = widgets.HTML()
        self.text.observe(self.refresh, "value")
        self.sample.on_click(self.use_sample)
        self.upload.observe(self.use_upload, "value")
        self.image_row = widgets.HBox([self.sample, self.upload, self.source])
        super().__init__([widgets.HTML(STYLE + render.STYLE), widgets.HBox([side.box for side in self.sides]),
                          self.text, self.image_row, self.output])
        self.add_class("explorer-app")
        self.add_class("explorer-compare")
        for side, reference in zip(self.sides, (left, right)):
            if reference:
                side.load(reference)

    @property
    def names(self) -> tuple[str, str]:
        return tuple(side.requested or "-" for side in self.sides)

    def set_image(self, name: str, data: bytes) -> None:
        self.image = (name, data)
        self.source.value = note(f"{self.labels['input']}: {name}")
        self.refresh()

    @guarded
    def use_sample(self, _: Any = None) -> None:
        self.set_image(PHOTO.name, PHOTO.read_bytes())

    @guarded
    def use_upload(self, _: Any = None) -> None:
        if self.upload.value:
            item = self.upload.value[-1]
            self.set_image(item["name"], bytes(item["content"]))

    @guarded
    def refresh(self, *_: Any) -> None:
        """Redraw the comparison once both sides are loaded."""
        left, right = (side.session for side in self.sides)
        if left is None or right is None:
            self.output.value = note(self.labels["compare_waiting"])
            return
        self.show_inputs_for(left, right)
        text = self.text.value
        self.output.value = render.render_compare(
            self.names, (components(left), components(right)), (left.config.to_dict(), right.config.to_dict()),
            tuple(on_its_side(token_side, session, text) for session in (left, right)),
            tuple(on_its_side(image_side, session, self.image) for session in (left, right)),
            tuple(on_its_side(model_side, session, text, self.image) for session in (left, right)), self.labels)

    def show_inputs_for(self, *sessions: Session) -> None:
        """The text box when a side has a tokenizer, the image row when a side has an image processor."""
        for control, part in ((self.text, "tokenizer"), (self.image_row, "image_processor")):
            control.layout.display = None if any(session.get(part) is not None for session in sessions) else "none"

    def show_error(self, error: BaseException) -> None:
        self.output.value = error_box(self.labels["panel_failed"], describe_error(error))


def compare(left: str, right: str, lang: str = "en") -> CompareApp:
    """Compare mode on checkpoints ``left`` and ``right`` (Hub ids, catalog ids or folders), labels in ``lang``
    ("en", "ko" or "zh")."""
    return CompareApp(left, right, lang=lang)
