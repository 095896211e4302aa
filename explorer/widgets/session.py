"""One load of one checkpoint: a single ``open_checkpoint(reference)`` shared by every Auto class, so the
resolution trace is one object, and each component either loaded, absent, or failed with a readable message."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .. import errors

# config.architectures[0] suffix -> the Auto class that loads that head
TASK_AUTO_CLASSES = (
    ("ForMaskedLM", "AutoModelForMaskedLM"),
    ("ForTokenClassification", "AutoModelForTokenClassification"),
    ("ForQuestionAnswering", "AutoModelForQuestionAnswering"),
    ("ForImageClassification", "AutoModelForImageClassification"),
    ("ForCTC", "AutoModelForCTC"),
    ("ForSequenceClassification", "AutoModelForSequenceClassification"),
)
# a checkpoint without this component: not an error, the panel is simply not shown
ABSENT = (errors.EntryNotFoundError, errors.UnknownModelTypeError)


@dataclass
class Part:
    """One component of a load: its value, or why it is absent, or the message of what went wrong."""

    auto: str  # the Auto class asked, e.g. "AutoTokenizer"
    value: Any = None
    absent: str = ""
    error: str = ""

    @property
    def status(self) -> str:
        return "error" if self.error else "absent" if self.absent else "loaded"

    @property
    def result(self) -> str:
        return self.error or self.absent or type(self.value).__name__


@dataclass
class Session:
    reference: str
    checkpoint: Any  # explorer.hub.Checkpoint
    config: Any  # a PretrainedConfig
    parts: dict[str, Part] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        """The loaded component ``name``, or None when absent or failed."""
        part = self.parts.get(name)
        return part.value if part is not None and part.status == "loaded" else None

    @property
    def trace(self) -> Any:
        return self.checkpoint.trace


def describe_error(error: BaseException) -> str:
    """A readable one-paragraph message: ours carry their own advice; anything else is a bug, named as such."""
    if isinstance(error, errors.ExplorerError):
        return f"{type(error).__name__}: {error}"
    return f"Unexpected {type(error).__name__}: {error} (a bug in explorer; please report it with the checkpoint id)"


@contextmanager
def load_reports_in_panel() -> Iterator[None]:
    """The loader logs an unclean load report as a warning; the app shows it in the Resolution panel instead
    of a red log block above the panels."""
    logger = logging.getLogger("explorer.weights")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def attempt(auto: str, load: Callable[[], Any]) -> Part:
    """Run one Auto call; a missing component is absent, any other failure is kept as its message."""
    try:
        with load_reports_in_panel():
            return Part(auto, value=load())
    except ABSENT as error:
        return Part(auto, absent=str(error))
    except Exception as error:  # noqa: BLE001 - shown in the panel instead of breaking the app
        return Part(auto, error=describe_error(error))


def model_auto_class(config: Any) -> str:
    """The Auto class for the head the checkpoint was saved with (config.architectures[0]), else AutoModel."""
    saved_from = (config.architectures or [""])[0]
    if config.model_type == "wav2vec2" and saved_from.endswith("ForSequenceClassification"):
        return "AutoModelForAudioClassification"
    return next((auto for suffix, auto in TASK_AUTO_CLASSES if saved_from.endswith(suffix)), "AutoModel")


def load_session(reference: str, **hub_kwargs: Any) -> Session:
    """Resolve ``reference`` and load everything it has. A bad reference or config raises (the app shows it);
    a failing component is kept in its Part."""
    import explorer
    from explorer.resolution import open_checkpoint

    checkpoint = open_checkpoint(reference, **hub_kwargs)
    config = explorer.AutoConfig.from_pretrained(checkpoint)
    session = Session(reference, checkpoint, config)
    parts = session.parts
    parts["tokenizer"] = attempt("AutoTokenizer", lambda: explorer.AutoTokenizer.from_pretrained(checkpoint,
                                                                                                 config=config))
    parts["image_processor"] = attempt("AutoImageProcessor",
                                       lambda: explorer.AutoImageProcessor.from_pretrained(checkpoint))
    if parts["image_processor"].status != "loaded":  # vision checkpoints' feature extractor is their image processor
        parts["feature_extractor"] = attempt("AutoFeatureExtractor",
                                             lambda: explorer.AutoFeatureExtractor.from_pretrained(checkpoint))
    auto = model_auto_class(config)
    parts["model"] = attempt(auto, lambda: getattr(explorer, auto).from_pretrained(checkpoint, config=config).eval())
    if auto != "AutoModel" and parts["model"].status == "absent":
        parts["model"] = attempt("AutoModel", lambda: explorer.AutoModel.from_pretrained(checkpoint, config=config))
    parts["backbone"] = attempt("AutoBackbone", lambda: explorer.AutoBackbone.from_pretrained(checkpoint).eval())
    return session


def return_freed_memory() -> None:
    """Give the memory of a released model back to the system. glibc keeps freed heap pages for reuse, so
    after bert-base-uncased's copy, loading wav2vec2-large's holds 2.3 GB instead of 1.5 GB: over a Binder
    session's 2 GB. Other C libraries (macOS, Windows, musl) have no malloc_trim and keep their own ways."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def load_backbone(session: Session, out_features: list[str]) -> Any:
    """The session's checkpoint as a backbone returning ``out_features`` (read afresh: the stages are a
    config field, and the loaded model's config stays as it was)."""
    import explorer

    with load_reports_in_panel():
        return explorer.AutoBackbone.from_pretrained(session.checkpoint.reference, out_features=out_features).eval()


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
