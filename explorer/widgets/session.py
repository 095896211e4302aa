"""One load of one checkpoint: a single ``open_checkpoint(reference)`` and a single config, both handed to every
Auto class, so the resolution trace is one object. Which components the checkpoint has is decided up front from
its files and the registry's rows; each is then loaded, absent (saying why), or failed with a readable message.
The session also keeps the current image decoded and processed, once per input, for the panels that show it."""

from __future__ import annotations

import contextlib
import copy
import ctypes
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from .. import errors, registry
from ..tokenization.files import BPE_VOCAB, TOKENIZER_CONFIG, TOKENIZER_FILE, WORDPIECE_VOCAB
from .logs import Message, captured

# files any tokenizer is read from: a checkpoint with none of them has no tokenizer (its model type may still
# have a tokenizer class, as wav2vec2 classifiers saved without a vocabulary)
TOKENIZER_FILES = (TOKENIZER_FILE, TOKENIZER_CONFIG, WORDPIECE_VOCAB, BPE_VOCAB)


@dataclass
class Part:
    """One component of a load: its value, or why it is absent, or the message of what went wrong; a
    component built later by its panel (the backbone) is pending until then."""

    auto: str  # the Auto class asked, e.g. "AutoTokenizer"
    value: Any = None
    absent: str = ""
    error: str = ""
    pending: str = ""
    messages: list[Message] = field(default_factory=list)  # warnings and log lines caught while loading it

    @property
    def status(self) -> str:
        return ("error" if self.error else "absent" if self.absent else "pending" if self.pending
                else "loaded")

    @property
    def result(self) -> str:
        return self.error or self.absent or self.pending or type(self.value).__name__


@dataclass
class ProcessedImage:
    """One input image: its (name, bytes), the decoded picture and what the image processor made of it."""

    source: tuple[str, bytes]
    image: Image.Image
    inputs: dict[str, Any]  # the image processor's output: pixel_values (and any other model inputs)


@dataclass
class Session:
    reference: str
    checkpoint: Any  # explorer.hub.Checkpoint
    config: Any  # a PretrainedConfig
    parts: dict[str, Part] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)  # caught while opening the checkpoint and its config
    processed: ProcessedImage | None = None  # the last image through the image processor

    def get(self, name: str) -> Any:
        """The loaded component ``name``, or None when absent, pending or failed."""
        part = self.parts.get(name)
        return part.value if part is not None and part.status == "loaded" else None

    @property
    def trace(self) -> Any:
        return self.checkpoint.trace

    def message_rows(self) -> list[dict[str, str]]:
        """Every message caught while loading, as plain data: the checkpoint's, then each part's (its source
        prefixed with the part's Auto class)."""
        rows = [message.to_dict() for message in self.messages]
        return rows + [message.to_dict() | {"source": f"{part.auto} \u00b7 {message.source}"}
                       for part in self.parts.values() for message in part.messages]

    def process_image(self, source: tuple[str, bytes]) -> ProcessedImage:
        """The image ``source`` (name, bytes) decoded and through the image processor, once per input: the
        image, outputs and backbone panels share it; another image replaces it."""
        if self.processed is None or self.processed.source != source:
            image = open_image(*source)
            inputs = dict(self.get("image_processor")(image, return_tensors="pt"))
            self.processed = ProcessedImage(source, image, inputs)
        return self.processed


def open_image(name: str, data: bytes) -> Image.Image:
    """The picture in an uploaded file; a file PIL cannot read is an ImageInputError naming it."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise errors.ImageInputError(
            f"{name} is not an image PIL can read ({error}). Upload a JPEG, PNG, WebP or another common format."
        ) from None
    return image


def describe_error(error: BaseException) -> str:
    """A readable one-paragraph message: ours carry their own advice; anything else is a bug, named as such."""
    if isinstance(error, errors.ExplorerError):
        return f"{type(error).__name__}: {error}"
    return f"Unexpected {type(error).__name__}: {error} (a bug in explorer; please report it with the checkpoint id)"


def attempt(auto: str, load: Callable[[], Any], absent: Callable[[], str] = lambda: "") -> Part:
    """``absent()`` says why the checkpoint has no such component ("" when it has one); else ``load()`` it.
    A failure of either is the component's error: nothing that fails is taken for absent."""
    messages: list[Message] = []
    try:
        with captured(messages):  # the load report is the value's; warnings and the Hub's lines are the Part's
            reason = absent()
            part = Part(auto, absent=reason) if reason else Part(auto, value=load())
    except Exception as error:  # noqa: BLE001 - shown in the panel instead of breaking the app
        part = Part(auto, error=describe_error(error))
    part.messages = messages
    return part


def model_auto_class(config: Any) -> str:
    """The Auto class for the head the checkpoint was saved with (config.architectures[0]), else AutoModel."""
    return registry.auto_class_for_architecture(config.model_type, (config.architectures or [None])[0])


def no_row(table: registry.Registry, model_type: str) -> str:
    """Why a component is absent: ``table`` has no class for the model type ("" when it has one)."""
    if model_type in table:
        return ""
    return f"{table.what} has no class for model_type={model_type!r} (it has {', '.join(table)})."


def tokenizer_absent(checkpoint: Any) -> str:
    if any(checkpoint.has(name) for name in TOKENIZER_FILES):
        return ""
    return f"{checkpoint.describe()} has none of the tokenizer files {', '.join(TOKENIZER_FILES)}."


def preprocessing_settings(checkpoint: Any, part: str) -> dict[str, Any] | None:
    """The settings the checkpoint has for ``part`` ("image_processor" or "feature_extractor"): nested in
    processor_config.json or in preprocessor_config.json; None when it has neither."""
    from ..processing import PREPROCESSOR_CONFIG, nested_settings, read_settings

    if nested_settings(checkpoint, part) is None and not checkpoint.has(PREPROCESSOR_CONFIG):
        return None
    return read_settings(checkpoint, part, "the explorer app")[1]


def names_a_class(settings: dict[str, Any], keys: tuple[str, ...], table: registry.Registry) -> bool:
    """One of ``keys`` of the settings names a class of ``table`` (in any of transformers' spellings)."""
    from ..auto import image_processor_spellings

    names = [settings[key] for key in keys if isinstance(settings.get(key), str)]
    return any(table.by_class_name(spelling) is not None
               for name in names for spelling in image_processor_spellings(name))


def image_processor_absent(checkpoint: Any, config: Any) -> str:
    """An image processor when the checkpoint has its settings and explorer a class for them: one the settings
    name (legacy feature_extractor_type included, as AutoImageProcessor reads it), else the model type's."""
    settings = preprocessing_settings(checkpoint, "image_processor")
    if settings is None:
        return f"{checkpoint.describe()} has no image processor settings."
    table = registry.IMAGE_PROCESSORS
    if names_a_class(settings, ("image_processor_type", "feature_extractor_type"), table):
        return ""
    return no_row(table, config.model_type)


def feature_extractor_absent(checkpoint: Any, config: Any) -> str:
    """A feature extractor when the checkpoint has its settings and explorer a class for them (named by
    feature_extractor_type, else the model type's)."""
    settings = preprocessing_settings(checkpoint, "feature_extractor")
    if settings is None:
        return f"{checkpoint.describe()} has no feature extractor settings."
    table = registry.FEATURE_EXTRACTORS
    return "" if names_a_class(settings, ("feature_extractor_type",), table) else no_row(table, config.model_type)


def load_session(reference: str, **hub_kwargs: Any) -> Session:
    """Resolve ``reference`` and load everything it has. A bad reference or config raises (the app shows it);
    a failing component is kept in its Part. The backbone is left pending: its panel builds it when shown."""
    import explorer
    from explorer.resolution import open_checkpoint

    messages: list[Message] = []
    with captured(messages):
        checkpoint = open_checkpoint(reference, **hub_kwargs)
        config = explorer.AutoConfig.from_pretrained(checkpoint)
    session = Session(reference, checkpoint, config, messages=messages)
    parts = session.parts
    parts["tokenizer"] = attempt("AutoTokenizer",
                                 lambda: explorer.AutoTokenizer.from_pretrained(checkpoint, config=config),
                                 lambda: tokenizer_absent(checkpoint))
    parts["image_processor"] = attempt("AutoImageProcessor",
                                       lambda: explorer.AutoImageProcessor.from_pretrained(checkpoint, config=config),
                                       lambda: image_processor_absent(checkpoint, config))
    if parts["image_processor"].status == "absent":  # vision checkpoints' feature extractor is their image processor
        parts["feature_extractor"] = attempt(
            "AutoFeatureExtractor", lambda: explorer.AutoFeatureExtractor.from_pretrained(checkpoint, config=config),
            lambda: feature_extractor_absent(checkpoint, config))
    auto = model_auto_class(config)
    parts["model"] = attempt(auto, lambda: getattr(explorer, auto).from_pretrained(checkpoint, config=config).eval(),
                             lambda: no_row(registry.MODEL_TABLES[auto], config.model_type))
    absent = no_row(registry.BACKBONES, config.model_type)
    parts["backbone"] = Part("AutoBackbone", absent=absent, pending="" if absent else "built when its panel is shown")
    return session


def load_backbone(session: Session, out_features: list[str]) -> Part:
    """The session's checkpoint as a backbone returning ``out_features``: the same open checkpoint (its files,
    hub arguments and trace) and a copy of the session's config with those stages (the session's stays)."""
    import explorer

    config = copy.copy(session.config)  # shallow: the setter gives the copy its own out_features and out_indices
    config.out_features = out_features
    return attempt("AutoBackbone",
                   lambda: explorer.AutoBackbone.from_pretrained(session.checkpoint, config=config).eval())


def return_freed_memory() -> None:
    """Give the memory of a released model back to the system. glibc keeps freed heap pages for reuse, so
    after bert-base-uncased's copy, loading wav2vec2-large's holds 2.3 GB instead of 1.5 GB: over a Binder
    session's 2 GB. Other C libraries (macOS, Windows, musl) have no malloc_trim and keep their own ways."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def parameter_counts(model: Any, depth: int = 2) -> list[tuple[str, int]]:
    """(module path, parameters) for the whole model and its modules down to ``depth`` levels."""
    rows = [(type(model).__name__, model.num_parameters())]

    def visit(module: Any, prefix: str, level: int) -> None:
        for name, child in module.named_children():
            count = sum(parameter.numel() for parameter in child.parameters())
            if count:
                path = f"{prefix}{name}"
                rows.append(("  " * level + path, count))
                if level < depth:
                    visit(child, path + ".", level + 1)

    visit(model, "", 1)
    return rows
