"""Every error a user of explorer can see, grouped by the stage that raises it.

Each error subclasses a builtin exception (so ``except FileNotFoundError`` or ``except ValueError`` keeps
working in user code) and :class:`ExplorerError` (so the widgets can catch all of ours at once). Each message
names the file or field at fault and says what to do about it.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable


class ExplorerError(Exception):
    """Base of every error explorer raises on purpose."""


# --- Resolving a checkpoint reference to local files (hub.py) ---------------------------------------------


class CheckpointNotFoundError(ExplorerError, FileNotFoundError):
    """The reference is neither a local folder nor a repository on the Hub."""


class EntryNotFoundError(ExplorerError, FileNotFoundError):
    """The checkpoint exists but lacks a file that loading needs."""


class OfflineCacheMissError(ExplorerError, FileNotFoundError):
    """Offline (``HF_HUB_OFFLINE=1`` or ``local_files_only=True``) and the file is not in the cache."""


class AuthorizationError(ExplorerError, PermissionError):
    """The Hub refused access: a gated or private repository, or a missing or wrong token."""


class HubConnectionError(ExplorerError, ConnectionError):
    """The Hub could not be reached, or the download failed part way, and no cached copy exists."""


class UnsafePathError(ExplorerError, ValueError):
    """A file name or link would lead outside the checkpoint's folder."""


class ArchiveError(ExplorerError, ValueError):
    """A prefetch archive (``python -m explorer unpack``) that is damaged or holds what no cache entry holds."""


# --- Reading files ----------------------------------------------------------------------------------------


class MalformedFileError(ExplorerError, ValueError):
    """A JSON or tokenizer file that cannot be parsed or has the wrong structure."""


class ConfigValueError(ExplorerError, ValueError):
    """A configuration field whose value cannot work (a negative size, heads that do not divide...)."""


class UnknownModelTypeError(ExplorerError, ValueError):
    """A ``model_type`` (or class name) that no registry table knows."""


class RegistryConflictError(ExplorerError, ValueError):
    """``register()`` for a model type that a table already maps, without ``exist_ok=True``."""


class MissingDependencyError(ExplorerError, ImportError):
    """An optional package or program a feature needs is not installed (e.g. pytesseract for OCR)."""


class RemoteCodeError(ExplorerError, ValueError):
    """The checkpoint asks for code shipped inside it, which explorer never runs."""


# --- Weights (weights.py, loading.py) ---------------------------------------------------------------------


class CorruptWeightsError(ExplorerError, ValueError):
    """A weights file that is truncated, malformed, or lies about its contents."""


class UnsafePickleError(CorruptWeightsError):
    """A ``.bin`` file whose pickle holds more than tensors: refused without running any of it."""


class ShapeMismatchError(ExplorerError, ValueError):
    """A checkpoint tensor whose shape differs from the model's parameter."""


class PickleWeightsWarning(UserWarning):
    """A ``.bin`` (pickle) weights file was read, with ``torch.load(weights_only=True)``: prefer safetensors."""


# --- Calling the API ----------------------------------------------------------------------------------------


class UnexpectedArgumentError(ExplorerError, TypeError):
    """A keyword argument that neither the loader nor the configuration knows."""


class AutoClassUsageError(ExplorerError, TypeError):
    """An Auto class called as a constructor: they are used through from_pretrained / from_config."""


class InputError(ExplorerError, ValueError):
    """Inputs to a call that cannot be honoured; the stage-specific kinds below subclass it."""


class ModelInputError(InputError):
    """Arguments to a model's forward that cannot work together (e.g. both input_ids and inputs_embeds)."""


# --- Generation (generation/) -------------------------------------------------------------------------------


class GenerationInputError(InputError):
    """Arguments to ``generate`` that cannot work: a prompt longer than the model's positions, no prompt and no
    bos_token_id, a length the model cannot reach."""


class UnsupportedGenerationError(ExplorerError, NotImplementedError):
    """A generation mode or setting explorer does not implement (beam search, typical_p, ...)."""


# --- Tokenizer inputs -------------------------------------------------------------------------------------


class ImageInputError(InputError):
    """An image that cannot be processed: empty, not an image, too large (a decompression bomb), odd layout."""


class AudioInputError(InputError):
    """Audio that cannot be processed: empty, unreadable, or at the wrong sampling rate."""


class TokenizerInputError(InputError):
    """Arguments to a tokenizer call that cannot be honoured (e.g. padding without a pad token)."""


class ChatTemplateError(ExplorerError, ValueError):
    """A chat template that cannot be rendered: a syntax error, a refusal (``raise_exception``), a reach for
    Python internals, or more work or output than a chat template may take."""


class NoChatTemplateError(ExplorerError, ValueError):
    """A chat method called on a tokenizer that has no chat template and was given none."""


# --- Pipelines (pipelines/) ------------------------------------------------------------------------------


class UnknownTaskError(ExplorerError, KeyError):
    """``pipeline()`` was given a task it does not know (a KeyError, as transformers raises)."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class TaskHeadMismatchError(ExplorerError, ValueError):
    """The model given to ``pipeline()`` has no head for the task (e.g. a masked LM for question answering)."""


class NoOfflineDefaultError(ExplorerError, FileNotFoundError):
    """``pipeline(task)`` without ``model=``, offline, for a task whose default checkpoint has no offline copy."""


class PipelineInputError(InputError):
    """Inputs or arguments of a pipeline call that cannot work: empty text, a wrong type, no mask token..."""


def closest(name: str, choices: Iterable[str]) -> str:
    """' Did you mean 'x'?' for the nearest of ``choices``, or an empty string."""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" Did you mean {match[0]!r}?" if match else ""


def warn_once(logger: logging.Logger, message: str, seen: set[str], key: str | None = None) -> None:
    """Log ``message`` as a warning the first time its ``key`` (default: the message) is not in ``seen``, the
    caller's set (a module's, for once per process; an object's, for once per object)."""
    key = message if key is None else key
    if key not in seen:
        seen.add(key)
        logger.warning(message)
