"""A Hub-compatible HTTP server for tests, on 127.0.0.1, serving repositories the tests build.

It answers what huggingface_hub's client asks (``hf_hub_download``, ``snapshot_download``, ``model_info``):
``HEAD``/``GET /{repo}/resolve/{revision}/{file}`` with ``X-Repo-Commit``, ``ETag``, ``Content-Length`` and
``Range``; weight files (``*.safetensors``, ``*.bin``) are redirected, as on the Hub, to a second port standing
for the CDN, the redirect carrying ``X-Linked-Etag`` / ``X-Linked-Size``; errors carry the Hub's
``X-Error-Code``. ``/api/models/{repo}[/revision/{rev}]`` and ``/api/models/{repo}/tree/{rev}`` list a commit.

Faults are switched on per test with :meth:`HubServer.fault`: a status code (with an ``X-Error-Code``), a delay
before answering, a body cut or stalled after N bytes, a lying ``Content-Length``; :meth:`HubServer.stop` takes the
server away. ``HubServer.requests`` records every request, so a test can tell a download from a cache hit, and
``HubServer.ranges`` the ``Range`` asked by each resumed download.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

LFS_SUFFIXES = (".safetensors", ".bin", ".h5", ".msgpack")
RESOLVE = re.compile(r"^/(?P<repo>[^/]+(?:/[^/]+)?)/resolve/(?P<revision>[^/]+)/(?P<file>.+)$")
API = re.compile(r"^/api/models/(?P<repo>[^/]+(?:/[^/]+)??)(?:/(?P<kind>revision|tree)/(?P<revision>[^/]+))?/?$")
LFS = re.compile(r"^/lfs/(?P<sha>[0-9a-f]{64})$")


@dataclass
class Fault:
    """What goes wrong, for requests whose path contains ``path`` (and of ``method``, if given)."""

    path: str = ""
    method: str | None = None
    status: int | None = None  # answer with this status instead
    error_code: str | None = None  # the Hub's X-Error-Code for that status
    delay: float = 0.0  # seconds to wait before answering
    cut_after: int | None = None  # send this many body bytes, then close the connection
    stall_after: int | None = None  # send this many body bytes, then wait ``stall`` seconds before the rest
    stall: float = 0.0
    content_length: int | None = None  # announce this Content-Length instead of the true one
    times: int | None = None  # how many requests it hits; None: until cleared
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.path in path and self.method in (None, method)
                and (self.times is None or self.hits < self.times))


@dataclass
class Repo:
    branches: dict[str, str] = field(default_factory=dict)  # branch -> commit
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)  # commit -> file name -> bytes
    gated: bool = False


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class HubServer:
    """Start with ``with HubServer() as hub:``; ``hub.endpoint`` is the base URL to give huggingface_hub."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.blobs: dict[str, bytes] = {}  # sha256 -> bytes, what the "CDN" serves
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self.ranges: list[tuple[str, str]] = []  # (path, Range header) of requests that asked for part of a file
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self._urls: list[str] = []

    # --- repositories -------------------------------------------------------------------------------------------

    def add_repo(self, repo_id: str, files: dict[str, bytes | Path], branch: str = "main",
                 gated: bool = False) -> str:
        """A new commit of ``repo_id`` holding ``files`` (name -> bytes or a file to read), made the head of
        ``branch``; returns its 40-hex commit hash."""
        data = {name: content.read_bytes() if isinstance(content, Path) else content for name, content in files.items()}
        repo = self.repos.setdefault(repo_id, Repo())
        repo.gated = gated
        digest = hashlib.sha1(repo_id.encode() + branch.encode() + str(len(repo.commits)).encode())
        for name in sorted(data):
            digest.update(name.encode() + hashlib.sha256(data[name]).digest())
        commit = digest.hexdigest()
        repo.commits[commit] = data
        repo.branches[branch] = commit
        for content in data.values():
            self.blobs[hashlib.sha256(content).hexdigest()] = content
        return commit

    def add_folder(self, repo_id: str, folder: Path, branch: str = "main") -> str:
        files = {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file()}
        return self.add_repo(repo_id, files, branch)

    # --- faults ---------------------------------------------------------------------------------------------------

    def fault(self, **kwargs) -> Fault:
        """Switch a fault on (see :class:`Fault`); returns it so a test can read ``hits``."""
        fault = Fault(**kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def _take_fault(self, method: str, path: str, ranged: str | None) -> Fault | None:
        with self._lock:
            self.requests.append((method, path))
            if ranged:
                self.ranges.append((path, ranged))
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    def downloads(self, name: str) -> int:
        """How many GETs fetched a body for ``name`` (by its resolve path or its blob)."""
        shas = {hashlib.sha256(c).hexdigest() for repo in self.repos.values() for files in repo.commits.values()
                for n, c in files.items() if n == name}
        return sum(1 for method, path in self.requests
                   if method == "GET" and (path.endswith("/" + name) or path.rsplit("/", 1)[-1] in shas))

    # --- lifecycle ------------------------------------------------------------------------------------------------

    def start(self) -> HubServer:
        for _ in range(2):  # the Hub, and the "CDN" that weight files redirect to (another origin)
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            self._servers.append(server)
        self._urls = [f"http://127.0.0.1:{server.server_address[1]}" for server in self._servers]
        return self

    def stop(self) -> None:
        """Take the server away: later connections are refused."""
        while self._servers:
            server = self._servers.pop()
            server.shutdown()
            server.server_close()

    @property
    def endpoint(self) -> str:
        return self._urls[0]

    @property
    def cdn(self) -> str:
        return self._urls[1]

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- answering ------------------------------------------------------------------------------------------------

    def resolve(self, repo_id: str, revision: str) -> tuple[Repo | None, str | None]:
        repo = self.repos.get(repo_id)
        if repo is None:
            return None, None
        commit = repo.branches.get(revision) or (revision if revision in repo.commits else None)
        return repo, commit


def _handler_for(hub: HubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        pass

    Handler.hub = hub
    return Handler


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet: pytest shows failures, not access logs
        pass

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        fault = self.hub._take_fault(self.command, path, self.headers.get("Range"))
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status:
            return self._error(fault.status, fault.error_code or "", "fault injected by the test")
        if match := LFS.match(path):
            data = self.hub.blobs.get(match["sha"])
            if data is None:
                return self._error(404, "EntryNotFound", "no such blob")
            # the CDN names the file in Content-Disposition, as asked by the redirect (clients show that name)
            name = parse_qs(urlsplit(self.path).query).get("filename", ["blob"])[0]
            disposition = f"attachment; filename*=UTF-8''{quote(name)}; filename=\"{name}\";"
            return self._send_file(data, {"ETag": f'"{match["sha"]}"', "Content-Disposition": disposition}, send_body,
                                   fault)
        if match := RESOLVE.match(path):
            return self._resolve(match["repo"], match["revision"], match["file"], send_body, fault)
        if match := API.match(path):
            return self._api(match["repo"], match["kind"], match["revision"] or "main")
        self._error(404, "", "unknown endpoint")

    def _resolve(self, repo_id: str, revision: str, name: str, send_body: bool, fault: Fault | None) -> None:
        repo, commit = self.hub.resolve(repo_id, revision)
        if repo is None:
            return self._error(401, "RepoNotFound", "Repository not found")
        if repo.gated and "authorization" not in {k.lower() for k in self.headers.keys()}:
            return self._error(401, "GatedRepo", "Access to this model is restricted")
        if commit is None:
            return self._error(404, "RevisionNotFound", "Invalid rev id")
        data = repo.commits[commit].get(name)
        if data is None:
            return self._error(404, "EntryNotFound", "Entry not found", commit)
        if name.endswith(LFS_SUFFIXES):
            sha = hashlib.sha256(data).hexdigest()
            self.send_response(302)
            self._headers({"Location": f"{self.hub.cdn}/lfs/{sha}?filename={quote(name.rsplit('/', 1)[-1])}",
                           "X-Repo-Commit": commit,
                           "X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(data)), "Content-Length": "0"})
            return
        self._send_file(data, {"ETag": f'"{git_blob_sha1(data)}"', "X-Repo-Commit": commit}, send_body, fault)

    def _send_file(self, data: bytes, headers: dict[str, str], send_body: bool, fault: Fault | None) -> None:
        start = _range_start(self.headers.get("Range"))
        status = 206 if start else 200
        body = data[start:]
        length = fault.content_length if fault and fault.content_length is not None else len(body)
        self.send_response(status)
        if start:
            headers = {**headers, "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
        self._headers({**headers, "Content-Length": str(length), "Accept-Ranges": "bytes"})
        if not send_body:
            return
        if fault and fault.cut_after is not None:
            self.wfile.write(body[: fault.cut_after])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)  # the connection drops mid-file
            return
        if fault and fault.stall_after is not None:
            self.wfile.write(body[: fault.stall_after])
            self.wfile.flush()
            time.sleep(fault.stall)
            body = body[fault.stall_after:]
            length -= fault.stall_after
        self.wfile.write(body[:length])
        if length != len(body):
            self.close_connection = True

    def _api(self, repo_id: str, kind: str | None, revision: str) -> None:
        repo, commit = self.hub.resolve(repo_id, revision)
        if repo is None:
            return self._error(401, "RepoNotFound", "Repository not found")
        if commit is None:
            return self._error(404, "RevisionNotFound", "Invalid rev id")
        files = repo.commits[commit]
        if kind == "tree":
            listing = [_tree_entry(name, data) for name, data in sorted(files.items())]
            return self._json(listing)
        self._json({"id": repo_id, "modelId": repo_id, "sha": commit, "private": False, "gated": repo.gated,
                    "siblings": [{"rfilename": name} for name in sorted(files)]})

    def _json(self, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self._headers({"Content-Type": "application/json", "Content-Length": str(len(body))})
        self.wfile.write(body)

    def _error(self, status: int, code: str, message: str, commit: str | None = None) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), "X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        if commit:
            headers["X-Repo-Commit"] = commit
        self._headers(headers)
        if self.command != "HEAD":
            self.wfile.write(body)

    def _headers(self, headers: dict[str, str]) -> None:
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()


def _range_start(header: str | None) -> int:
    match = re.fullmatch(r"bytes=(\d+)-", header or "")
    return int(match.group(1)) if match else 0


def _tree_entry(name: str, data: bytes) -> dict[str, object]:
    entry: dict[str, object] = {"type": "file", "path": name, "size": len(data), "oid": git_blob_sha1(data)}
    if name.endswith(LFS_SUFFIXES):
        entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
    return entry


# --- pointing huggingface_hub at the server -------------------------------------------------------------------


def go_online(monkeypatch, endpoint: str, cache: Path, timeout: float = 1.0) -> None:
    """Point huggingface_hub at ``endpoint`` (online, with a ``timeout`` in seconds and short retry waits) and its
    default cache at ``cache``, for one test (``monkeypatch`` undoes it all)."""
    import time as real_time
    import types

    from huggingface_hub import constants, file_download
    from huggingface_hub.utils import _http

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_ETAG_TIMEOUT", timeout)
    monkeypatch.setattr(constants, "HF_HUB_DOWNLOAD_TIMEOUT", timeout)
    monkeypatch.setattr(file_download, "_ETAG_RETRY_TIMEOUT", timeout)
    # huggingface_hub waits 1-8 s between retries: the same retries, 100 times shorter, keep the suite fast
    quick = types.SimpleNamespace(**{name: getattr(real_time, name) for name in dir(real_time) if not name.startswith("_")})
    quick.sleep = lambda seconds: real_time.sleep(seconds / 100)
    monkeypatch.setattr(_http, "time", quick)
    monkeypatch.setattr(file_download, "time", quick)


def go_offline(monkeypatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


@pytest.fixture
def hub(monkeypatch, tmp_path):
    """A running server with huggingface_hub pointed at it (timeouts 1 s) and an empty cache at
    ``hub.cache``; import this fixture into a test module to use it."""
    with HubServer() as server:
        server.cache = tmp_path / "hf-cache"
        go_online(monkeypatch, server.endpoint, server.cache)
        yield server


def assert_cache_sound(cache: Path) -> None:
    """Nothing partial in a huggingface_hub cache: no temporary download left, every blob hashes to its name
    (the Hub's ETag), every snapshot entry points at a blob that exists."""
    assert not list(cache.rglob("*.incomplete")), "a partial download was left in the cache"
    for blob in cache.glob("models--*/blobs/*"):
        data = blob.read_bytes()
        expected = hashlib.sha256(data).hexdigest() if len(blob.name) == 64 else git_blob_sha1(data)
        assert blob.name == expected, f"{blob} does not hold the file its name promises"
    for entry in cache.glob("models--*/snapshots/*/**/*"):
        if entry.is_symlink():
            assert entry.resolve().is_file(), f"{entry} points at nothing"
