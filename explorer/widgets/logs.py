"""Log lines, warnings and stray stderr text caught while the app works, kept as plain data for the panels to
show styled: in the app nothing reaches stderr (a notebook draws stderr as a red block that looks like a crash)."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

# the libraries whose loggers the app listens to: explorer's own and the Hub client's
LOGGERS = ("explorer", "huggingface_hub")
# the loader logs an unclean load report; the app shows the report itself (LoadReport.to_dict()) instead
SHOWN_AS_DATA = ("explorer.loading",)


@dataclass(frozen=True)
class Message:
    level: str  # "warning", "error" or "info"
    source: str  # the logger's name, the warning's category, or "stderr"
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"level": self.level, "source": self.source, "text": self.text}


class Collector(logging.Handler):
    def __init__(self, into: list[Message]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(SHOWN_AS_DATA):
            level = "error" if record.levelno >= logging.ERROR else "warning"
            self.into.append(Message(level, record.name, record.getMessage()))


@contextlib.contextmanager
def captured(into: list[Message]) -> Iterator[list[Message]]:
    """Inside the block, warnings and the log records of :data:`LOGGERS` (warning and above), and any text
    written to sys.stderr (a library's own progress bar or print), are appended to ``into`` instead of being
    printed."""
    collector = Collector(into)
    loggers = [logging.getLogger(name) for name in LOGGERS]
    propagated = [logger.propagate for logger in loggers]
    stderr = io.StringIO()
    for logger in loggers:
        logger.addHandler(collector)
        logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(stderr):
            warnings.simplefilter("always")  # every load shows its warnings, not only the first
            try:
                yield into
            finally:  # kept when the block raises too: what led up to a failure is worth seeing
                into.extend(Message("warning", warning.category.__name__, str(warning.message))
                            for warning in caught)
                if stderr.getvalue().strip():
                    into.append(Message("info", "stderr", stderr.getvalue().strip()))
    finally:
        for logger, propagate in zip(loggers, propagated):
            logger.removeHandler(collector)
            logger.propagate = propagate
