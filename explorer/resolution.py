"""Reference resolution: which checkpoint a reference names, decided once per load.

:func:`open_checkpoint` tries the resolvers of :data:`RESOLVERS` in order; the first that claims the reference
returns its :class:`~explorer.hub.Checkpoint`, whose files every Auto class of the load then shares:

1. a **local folder** (a path that exists; a path-like reference that does not is an error here);
2. the **offline catalog** (``explorer/catalog/``): its own ``explorer-catalog/...`` ids always, and its copies
   of Hub checkpoints only offline with nothing in the Hugging Face cache;
3. the **Hugging Face cache, then the Hub**: each file from the cache when it is there, else downloaded
   (never downloaded offline).

Resolvers are named by module path and imported only when reached, so opening a local folder imports
neither the catalog nor huggingface_hub's download code.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from . import errors
from .hub import Checkpoint

# (what it resolves, "module:function"); each function takes (reference, hub_kwargs) -> Checkpoint | None
RESOLVERS = (
    ("local folder", "explorer.resolution:local_folder"),
    ("offline catalog", "explorer.catalog:resolve"),
    ("Hugging Face cache, then the Hub", "explorer.resolution:hub_repository"),
)


def open_checkpoint(reference: str | os.PathLike | Checkpoint, **hub_kwargs: Any) -> Checkpoint:
    """The checkpoint ``reference`` names, without touching the network. An open :class:`Checkpoint` is
    returned as it is; hub arguments that differ from its own are an error (they cannot apply any more)."""
    if isinstance(reference, Checkpoint):
        check_no_new_hub_arguments(reference, hub_kwargs)
        return reference
    if not isinstance(reference, (str, os.PathLike)):
        raise errors.CheckpointNotFoundError(
            f"A checkpoint reference must be a Hub id or a folder path, not {type(reference).__name__}."
        )
    text = os.fspath(reference)
    for _, target in RESOLVERS:
        module, _, function = target.partition(":")
        found = getattr(importlib.import_module(module), function)(text, hub_kwargs)
        if found is not None:
            return found
    raise AssertionError("the last resolver claims every reference")  # pragma: no cover


def check_no_new_hub_arguments(checkpoint: Checkpoint, hub_kwargs: dict[str, Any]) -> None:
    own = checkpoint.hub_arguments()
    changed = sorted(name for name, value in hub_kwargs.items() if own.get(name) != value)
    if changed:
        given = ", ".join(f"{name}={hub_kwargs[name]!r}" for name in changed)
        raise errors.UnexpectedArgumentError(
            f"{given} given with an already open checkpoint of {checkpoint.reference!r}, whose files are resolved "
            "with its own arguments. Pass them when opening it (open_checkpoint(reference, ...)), or pass the "
            "reference string instead of the checkpoint."
        )


def local_folder(reference: str, hub_kwargs: dict[str, Any]) -> Checkpoint | None:
    """A folder on disk; a reference that looks like a path but is no folder is an error, not a Hub id."""
    folder = Path(reference).expanduser()
    if folder.is_dir():
        return Checkpoint(reference, folder=folder.resolve(), **hub_kwargs)
    if folder.exists():
        raise errors.CheckpointNotFoundError(
            f"{reference!r} is a file, not a checkpoint folder. Pass the folder that holds config.json."
        )
    if _looks_like_path(reference):
        raise errors.CheckpointNotFoundError(
            f"No folder {reference!r} exists. Check the path, or pass a Hub id such as 'bert-base-uncased'."
        )
    _validate_repo_id(reference)
    return None


def hub_repository(reference: str, hub_kwargs: dict[str, Any]) -> Checkpoint:
    """A Hub repository: files from the Hugging Face cache, else downloaded (unless offline)."""
    return Checkpoint(reference, **hub_kwargs)


def _looks_like_path(text: str) -> bool:
    return text.startswith((".", "/", "~", "\\")) or text.count("/") > 1 or os.sep in text.replace("/", "")


def _validate_repo_id(text: str) -> None:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(text)
    except HFValidationError:
        raise errors.CheckpointNotFoundError(
            f"{text!r} is neither a local folder nor a valid Hub id (an id looks like 'bert-base-uncased' "
            "or 'org/name'). Check the spelling or the path."
        ) from None
