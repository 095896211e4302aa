"""The resolution trace: which files a load read and which file and key decided each class.

Every object that ``from_pretrained`` returns carries one as ``.resolution_trace``. Its ``repr`` reads like
a log (``config.json: model_type='bert' -> BertConfig``); ``to_dict()`` gives the same facts as plain data
for the explorer's panels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class FileRead:
    """One file a load opened."""

    name: str  # as named inside the checkpoint, e.g. "config.json" or "onnx/config.json"
    size: int  # bytes
    path: str  # where it was read from on this machine
    source: str  # "local folder", "cache" or "download"
    reads: int = 1  # how often it was opened: more than once would be a bug, and shows


@dataclass(frozen=True)
class Decision:
    """One choice made by reading one key of one file."""

    stage: str  # who decided: "AutoConfig", "AutoTokenizer", "AutoModel", "weights", ...
    file: str
    key: str
    value: Any
    result: str
    note: str = ""

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}={self.value!r}" if self.key else self.file
        text = f"{where} -> {self.result}"
        return f"{text} ({self.note})" if self.note else text


@dataclass
class ResolutionTrace:
    """What one reference resolved to. Shared by the config, tokenizer and model of one load."""

    reference: str
    location: str = ""  # the local folder the files were read from
    revision: str | None = None
    files: list[FileRead] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    def record_file(self, read: FileRead) -> None:
        """A file the load resolved; the same file again counts as another read (it should not happen)."""
        for index, existing in enumerate(self.files):
            if existing.path == read.path:
                self.files[index] = replace(existing, reads=existing.reads + read.reads)
                return
        self.files.append(read)

    def decide(self, stage: str, file: str, key: str, value: Any, result: str, note: str = "") -> None:
        self.decisions.append(Decision(stage, file, key, value, result, note))

    def merge(self, other: ResolutionTrace) -> None:
        """Take in another trace of the same reference (e.g. the config's, read before the model's)."""
        for read in other.files:
            self.record_file(read)
        self.decisions.extend(d for d in other.decisions if d not in self.decisions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "location": self.location,
            "revision": self.revision,
            "files": [asdict(read) for read in self.files],
            "decisions": [asdict(decision) | {"text": str(decision)} for decision in self.decisions],
        }

    def __repr__(self) -> str:
        lines = [f"ResolutionTrace({self.reference!r})"]
        if self.location:
            lines.append(f"  location: {self.location}")
        lines.append("  files read:")
        lines += [f"    {read.name:<40} {format_size(read.size):>10}  ({read.source}){times(read.reads)}"
                  for read in self.files]
        lines.append("  decisions:")
        lines += [f"    [{d.stage}] {d}" for d in self.decisions]
        return "\n".join(lines)


def times(reads: int) -> str:
    return f", read {reads} times" if reads > 1 else ""


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
