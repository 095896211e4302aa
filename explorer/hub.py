"""A resolved checkpoint (a local folder, or a Hub repository through the Hugging Face cache) -> its files.

With ``prefetch.py`` (the workshop command), the only module that touches the network, and only through
huggingface_hub, so explorer shares transformers' cache (``HF_HOME``, ``HF_HUB_CACHE``) and its offline rules
(``HF_HUB_OFFLINE``, ``local_files_only``). A :class:`Checkpoint` resolves each file once and reads it once: its
paths, bytes and parsed JSON are kept for every Auto class of the same load, and every file is recorded in its
:class:`ResolutionTrace`. Which checkpoint a reference names is decided in ``resolution.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from pathlib import Path
from collections.abc import Callable
from typing import Any

from . import errors
from .trace import FileRead, ResolutionTrace

# The keyword arguments of from_pretrained that say where and how to find files.
HUB_KWARGS = ("cache_dir", "revision", "token", "local_files_only", "subfolder", "force_download")

JSON_MAX_BYTES = 64 * 1024 * 1024  # tokenizer.json of large vocabularies is tens of MB; configs are KBs

# The tqdm class huggingface_hub draws download bars with; None: its own, on stderr. The explorer app sets its
# progress widget's for the duration of a load (see download_bars).
DOWNLOAD_BARS: ContextVar[type | None] = ContextVar("explorer_download_bars", default=None)


@contextmanager
def download_bars(tqdm_class: type) -> Iterator[None]:
    """Downloads inside this block report their progress to ``tqdm_class`` (a subclass of ``tqdm.std.tqdm``)
    instead of printing bars to stderr."""
    token = DOWNLOAD_BARS.set(tqdm_class)
    try:
        yield
    finally:
        DOWNLOAD_BARS.reset(token)


def offline_mode() -> bool:
    """``HF_HUB_OFFLINE`` read now (not at import), so a notebook can switch it mid-session."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def pop_hub_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the file-finding arguments out of ``kwargs`` (also accepts transformers' ``use_auth_token``)."""
    hub = {name: kwargs.pop(name) for name in HUB_KWARGS if name in kwargs}
    if "use_auth_token" in kwargs:
        hub.setdefault("token", kwargs.pop("use_auth_token"))
    return hub


def refuse_remote_code(kwargs: dict[str, Any]) -> None:
    """Take ``trust_remote_code`` out of ``kwargs``: accepted when false, an error when true (every loader)."""
    if kwargs.pop("trust_remote_code", None):
        raise errors.RemoteCodeError(
            "trust_remote_code=True: explorer never runs code from a checkpoint. Use a supported architecture."
        )


@dataclass
class Checkpoint:
    """A resolved reference: hands out its files by name, each resolved and read once, and records what it
    read. Open one with :func:`explorer.resolution.open_checkpoint`."""

    reference: str
    folder: Path | None = None  # set when the reference is a local folder
    subfolder: str = ""
    revision: str | None = None
    cache_dir: str | os.PathLike | None = None
    token: str | bool | None = None
    local_files_only: bool = False
    force_download: bool = False
    trace: ResolutionTrace = field(init=False)
    _paths: dict[str, Path | None] = field(init=False, repr=False, default_factory=dict)
    _bytes: dict[str, bytes] = field(init=False, repr=False, default_factory=dict)
    _json: dict[str, dict[str, Any]] = field(init=False, repr=False, default_factory=dict)
    _made: dict[Any, Any] = field(init=False, repr=False, default_factory=dict)
    _commit: str | None = field(init=False, repr=False, default=None)  # see _cached_commit

    def __post_init__(self) -> None:
        location = str(self.folder / self.subfolder) if self.folder else ""
        self.trace = ResolutionTrace(self.reference, location=location, revision=self.revision)

    def hub_arguments(self) -> dict[str, Any]:
        """The file-finding arguments this checkpoint was opened with (those of :data:`HUB_KWARGS`)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in HUB_KWARGS}

    @property
    def offline(self) -> bool:
        return self.local_files_only or offline_mode()

    def name_of(self, filename: str) -> str:
        return f"{self.subfolder}/{filename}" if self.subfolder else filename

    def get(self, filename: str) -> Path | None:
        """The local path of ``filename``, or None when the checkpoint does not have it; resolved once (a Hub
        file is looked up in the cache, or downloaded, on the first call only)."""
        if filename not in self._paths:
            self._paths[filename] = self._resolve(filename)
        return self._paths[filename]

    def _resolve(self, filename: str) -> Path | None:
        _check_relative_name(filename, self.reference)
        path, source = self._local(filename) if self.folder else self._from_hub(filename)
        if path is not None and not self.folder:  # a cache entry links into its repository's blobs, nowhere else
            _check_inside(path, self._cache_folder().resolve(), self.reference)
        if path is not None:
            self.trace.record_file(FileRead(self.name_of(filename), path.stat().st_size, str(path), source))
        return path

    def require(self, filename: str, needed_for: str) -> Path:
        """Like :meth:`get`, but a missing file is an error that says what it was needed for."""
        path = self.get(filename)
        if path is None:
            raise errors.EntryNotFoundError(
                f"{self.describe()} has no {self.name_of(filename)}, which {needed_for} needs. "
                "Check the reference (and `subfolder=`), or pass a checkpoint that has this file."
            )
        return path

    def has(self, filename: str) -> bool:
        return self.get(filename) is not None

    def read_bytes(self, filename: str, needed_for: str | None = None, max_bytes: int | None = None) -> bytes | None:
        """The file's bytes, read once; None if absent and optional (``needed_for`` None). A file larger than
        ``max_bytes`` is refused before it is read."""
        if filename not in self._bytes:
            path = self.require(filename, needed_for) if needed_for else self.get(filename)
            if path is None:
                return None
            size = path.stat().st_size
            if max_bytes is not None and size > max_bytes:
                raise errors.MalformedFileError(
                    f"{self.name_of(filename)} is {size} bytes, more than the {max_bytes} such a file of a "
                    "checkpoint may have."
                )
            self._bytes[filename] = path.read_bytes()
        return self._bytes[filename]

    def read_text(self, filename: str, needed_for: str | None = None) -> str | None:
        """The file as UTF-8 text (read once); a file that is not UTF-8 is a MalformedFileError naming it."""
        data = self.read_bytes(filename, needed_for)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise errors.MalformedFileError(
                f"{self.name_of(filename)} is not UTF-8 text ({exc}). Re-download or re-save the file."
            ) from None

    def read_json(self, filename: str, needed_for: str | None = None) -> dict[str, Any] | None:
        """Parse a JSON object file (read and parsed once); None if absent and optional (``needed_for`` None).
        Each call returns a new top-level dict, so a caller may pop keys; nested values are shared."""
        if filename not in self._json:
            data = self.read_bytes(filename, needed_for, max_bytes=JSON_MAX_BYTES)
            if data is None:
                return None
            self._json[filename] = parse_json(data, self.name_of(filename))
        return dict(self._json[filename])

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()``'s result, made once per checkpoint: what a later load of the same checkpoint reuses
        instead of opening a file again (e.g. a memory-mapped weights file, for the backbone after the model)."""
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def describe(self) -> str:
        if self.folder:
            return f"The folder {str(self.folder / self.subfolder)!r}"
        revision = f" (revision {self.revision!r})" if self.revision else ""
        return f"The Hub repository {self.reference!r}{revision}"

    # --- local folders ------------------------------------------------------------------------------------

    def _local(self, filename: str) -> tuple[Path | None, str]:
        assert self.folder is not None
        path = self.folder / self.subfolder / filename
        if not path.is_file():
            return None, ""
        _check_inside(path, _allowed_root(self.folder), self.reference)
        return path, "local folder"

    # --- the Hub, through huggingface_hub ------------------------------------------------------------------

    def _from_hub(self, filename: str) -> tuple[Path | None, str]:
        import huggingface_hub
        from huggingface_hub import errors as hub_errors

        cached = self._cached(filename)
        if self.offline and not self.force_download:
            if cached is huggingface_hub._CACHED_NO_EXIST:  # known to be absent from the repository
                return None, ""
            if isinstance(cached, Path):
                return cached, "cache"
            if self.revision_cached():  # offline, the snapshot is there and the file not in it: absent, as below
                return None, ""
        try:
            path = huggingface_hub.hf_hub_download(
                self.reference,
                filename,
                subfolder=self.subfolder or None,
                revision=self.revision,
                cache_dir=self.cache_dir,
                token=self.token,
                local_files_only=self.offline,
                force_download=self.force_download,
                library_name="explorer",
                tqdm_class=DOWNLOAD_BARS.get(),
            )
        except hub_errors.GatedRepoError as exc:
            raise errors.AuthorizationError(
                f"{self.describe()} is gated: accept its conditions on its Hub page, then log in "
                "(`hf auth login`) or pass `token=`."
            ) from exc
        except hub_errors.RepositoryNotFoundError as exc:
            raise errors.CheckpointNotFoundError(
                f"{self.describe()} does not exist, or is private. Check the id's spelling; for a private "
                "repository log in (`hf auth login`) or pass `token=`. A local folder must exist on disk."
            ) from exc
        except hub_errors.RevisionNotFoundError as exc:
            raise errors.CheckpointNotFoundError(
                f"{self.describe()} has no revision {self.revision!r}. Pass a branch, tag or commit hash "
                "that exists."
            ) from exc
        except hub_errors.LocalEntryNotFoundError as exc:
            # Not in the cache and the Hub not asked (offline) or not reachable. If other files of this
            # revision are cached, transformers treats the file as absent; so do we. A Hub that answered with
            # an error (401, 403, 5xx) is no reason to think the file absent: that error is raised.
            if cached is huggingface_hub._CACHED_NO_EXIST or (self.revision_cached() and _http_status(exc) is None):
                return None, ""
            raise self._connection_error(filename, exc) from exc
        except hub_errors.EntryNotFoundError:
            return None, ""
        except (OSError, ValueError, *transport_errors()) as exc:  # other HTTP errors, cut connections, timeouts
            raise self._connection_error(filename, exc) from exc
        if isinstance(cached, Path):
            return Path(path), "cache"
        self._verify_download(Path(path), filename)
        return Path(path), "download"

    def _verify_download(self, path: Path, filename: str) -> None:
        """A fresh download must hash to the Hub's ETag (the blob's name in the cache: sha256 for large files, the
        git blob id for others); a damaged one is removed, never taken for the file."""
        blob = path.resolve()
        data_hash = named_hash(blob)
        if data_hash is None or data_hash == blob.name:
            return
        size = blob.stat().st_size
        blob.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        raise errors.HubConnectionError(
            f"{self.name_of(filename)} of {self.reference!r} arrived damaged ({size} bytes whose checksum is not the "
            "Hub's); it was removed from the cache. Try again; if it keeps happening, check the network or proxy."
        )

    def _cached(self, filename: str) -> Any:
        """The cached path, huggingface_hub's marker for a file known to be absent, or None."""
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(
            self.reference, self.name_of(filename), cache_dir=self.cache_dir,
            revision=self._cached_commit() or self.revision,
        )
        return Path(found) if isinstance(found, str) else found

    def _cache_folder(self) -> Path:
        """This repository's folder in the Hugging Face cache (``models--org--name``)."""
        from huggingface_hub import constants

        return Path(self.cache_dir or constants.HF_HUB_CACHE) / f"models--{self.reference.replace('/', '--')}"

    def revision_cached(self) -> bool:
        """Whether the Hugging Face cache holds a snapshot of this revision."""
        return self._cached_commit() is not None

    def _cached_commit(self) -> str | None:
        """The commit of this revision's snapshot in the cache, or None; read from ``refs/`` until found, then
        kept (huggingface_hub would read the ref again for every file name asked)."""
        if self._commit is None:
            repo = self._cache_folder()
            revision = self.revision or "main"
            ref = repo / "refs" / revision
            commit = ref.read_text().strip() if ref.is_file() else revision
            if (repo / "snapshots" / commit).is_dir():
                self._commit = commit
        return self._commit

    def _connection_error(self, filename: str, exc: Exception) -> errors.ExplorerError:
        status = _http_status(exc)
        if status in (401, 403):
            return errors.AuthorizationError(
                f"The Hub refused {self.name_of(filename)} of {self.reference!r} (HTTP {status}): the repository is "
                "private or gated, or the token lacks access. Log in (`hf auth login`) or pass `token=` with access."
            )
        if self.offline:
            return errors.OfflineCacheMissError(
                f"Offline (HF_HUB_OFFLINE or local_files_only), and {self.name_of(filename)} of "
                f"{self.reference!r} is not in the cache. Download it once while online, or pass a local "
                "folder that holds it."
            )
        return errors.HubConnectionError(
            f"Could not download {self.name_of(filename)} of {self.reference!r}: {what_went_wrong(exc)}. Check the "
            "network and try again; with a cached copy (or a copy in explorer's offline catalog), set "
            "HF_HUB_OFFLINE=1."
        )


def transport_errors() -> tuple[type[Exception], ...]:
    """The network errors of the HTTP library huggingface_hub uses (httpx2, httpx or requests, by version);
    requests' are OSErrors already."""
    import importlib

    found = []
    for module in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(module).HTTPError)
        except ImportError:
            pass
    return tuple(found)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from, outermost first."""
    chain = [exc]
    while (inner := chain[-1].__cause__ or chain[-1].__context__) is not None and inner not in chain:
        chain.append(inner)
    return chain


def _http_status(exc: BaseException) -> int | None:
    return next((status for e in _chain(exc)
                 if isinstance(status := getattr(getattr(e, "response", None), "status_code", None), int)), None)


def what_went_wrong(exc: BaseException) -> str:
    """The root of a download failure, in words: the HTTP status, a timeout, or the innermost error."""
    if (status := _http_status(exc)) is not None:
        return f"the Hub answered HTTP {status}"
    root = _chain(exc)[-1]
    if isinstance(root, TimeoutError) or "Timeout" in type(root).__name__:
        return "the Hub did not answer in time (see HF_HUB_ETAG_TIMEOUT and HF_HUB_DOWNLOAD_TIMEOUT)"
    return f"{type(root).__name__}: {str(root).splitlines()[0] if str(root) else 'no details'}"


def named_hash(blob: Path) -> str | None:
    """The file's hash in the form its cache name (the Hub's ETag) has: sha256 for 64 hex digits, the git blob
    sha1 for 40; None for any other name."""
    import re

    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", blob.name):
        return None
    return content_hash(blob, "sha256" if len(blob.name) == 64 else "git-sha1")


def content_hash(path: Path, algorithm: str) -> str:
    """The file's sha256 ("sha256", an LFS file's id on the Hub) or git blob sha1 ("git-sha1", the id of any
    file in a git repository), read in 1 MiB pieces."""
    import hashlib

    digest = hashlib.sha256() if algorithm == "sha256" else hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_json_file(path: Path, name: str) -> dict[str, Any]:
    """Parse the file at ``path`` (outside any checkpoint) as a JSON object, naming it ``name`` in errors."""
    size = path.stat().st_size
    if size > JSON_MAX_BYTES:
        raise errors.MalformedFileError(
            f"{name} is {size} bytes, more than the {JSON_MAX_BYTES} a JSON file of a checkpoint may have."
        )
    return parse_json(path.read_bytes(), name)


def parse_json(data: bytes, name: str) -> dict[str, Any]:
    """``data`` as a JSON object; any fault is a :class:`MalformedFileError` naming ``name``."""
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise errors.MalformedFileError(
            f"{name} is not valid JSON ({type(exc).__name__}: {exc}). Re-download or re-save the file."
        ) from None
    if not isinstance(parsed, dict):
        raise errors.MalformedFileError(
            f"{name} must hold a JSON object, but holds a {type(parsed).__name__}. Re-download or re-save it."
        )
    return parsed


def _check_relative_name(filename: str, reference: str) -> None:
    parts = filename.replace("\\", "/").split("/")
    if filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        raise errors.UnsafePathError(
            f"The file name {filename!r} in {reference!r} leaves the checkpoint's folder; refusing to read it."
        )


def _allowed_root(folder: Path) -> Path:
    """Where links from ``folder`` may point: the folder, or a whole repository of the HF cache, whose
    snapshot files are links into the repository's ``blobs/``."""
    if folder.parent.name == "snapshots" and folder.parent.parent.name.startswith(("models--", "datasets--")):
        return folder.parent.parent
    return folder


def _check_inside(path: Path, root: Path, reference: str) -> None:
    if not path.resolve().is_relative_to(root):
        raise errors.UnsafePathError(
            f"{path.name} in the checkpoint {reference!r} is a link to {path.resolve()}, outside the "
            "checkpoint's folder; refusing to read it. Replace the link with the file itself."
        )


# --- other downloads ------------------------------------------------------------------------------------------


def download_url(url: str, error: type[errors.ExplorerError], max_bytes: int, timeout: float) -> bytes:
    """The bytes at an http(s) URL (e.g. an image to preprocess), within ``timeout`` seconds in all and
    ``max_bytes``; any failure is an ``error`` saying what happened."""
    import http.client
    import time
    import urllib.error
    import urllib.request

    opener = urllib.request.OpenerDirector()  # http and https only, also after redirects: no file:// or ftp://
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(),
                    urllib.request.HTTPRedirectHandler(), urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    request = urllib.request.Request(url, headers={"User-Agent": "explorer"})
    deadline = time.monotonic() + timeout
    chunks, total = [], 0
    try:
        with opener.open(request, timeout=timeout) as response:
            while chunk := response.read(1 << 16):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"not finished after {timeout} s")
                total += len(chunk)
                if total > max_bytes:
                    raise error(f"The file at {url} is larger than {max_bytes:,} bytes; download it yourself and "
                                "pass the file.")
                chunks.append(chunk)
    except errors.ExplorerError:
        raise
    except urllib.error.HTTPError as exc:
        raise error(f"The file at {url} could not be downloaded: HTTP {exc.code} {exc.reason}.") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise error(f"The file at {url} could not be downloaded ({reason}). Check the address and the network, "
                    "or pass a local file.") from None
    if not chunks:
        raise error(f"The file at {url} is empty (the server sent no bytes).")
    return b"".join(chunks)
