"""Workshops: fetch the checkpoints once, carry them to the room, load them there with no network.

``python -m explorer prefetch ID... | --notebooks`` downloads, through huggingface_hub into its cache, only the
files explorer reads (:data:`READ_FILES`, and one weights format chosen as ``weights.open_weights`` chooses it),
lists them with their sizes first, and checks each against the hash the Hub's tree API gives (sha256 for LFS
files, the git blob sha1 for the others). ``--pack FILE.tar`` writes those cache entries (blobs, snapshot links,
refs) to one archive; ``python -m explorer unpack FILE.tar`` puts them into the cache of a machine with no
network, refusing any member that is not such an entry.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from . import errors
from .configuration import CONFIG_NAME
from .generation.configuration import GENERATION_CONFIG_NAME
from .hub import Checkpoint, content_hash, named_hash, offline_mode, transport_errors, what_went_wrong
from .loading import RANDOM_WEIGHTS_FILE
from .processing import PREPROCESSOR_CONFIG, PROCESSOR_CONFIG
from .tokenization.chat_template import CHAT_TEMPLATE_FILE
from .tokenization.files import (ADDED_TOKENS_FILE, BPE_MERGES, BPE_VOCAB, SPECIAL_TOKENS_MAP_FILE, TOKENIZER_CONFIG,
                                 TOKENIZER_FILE, WORDPIECE_VOCAB)
from .tokenization.llama import SENTENCEPIECE_MODEL
from .trace import format_size
from .weights import WEIGHT_FORMATS, shard_names

# Every file other than weights that explorer asks a checkpoint for, by the names the modules reading them use
# (tests/test_prefetch.py checks that loads ask for no other)
READ_FILES = (CONFIG_NAME, GENERATION_CONFIG_NAME, TOKENIZER_FILE, TOKENIZER_CONFIG, SPECIAL_TOKENS_MAP_FILE,
              ADDED_TOKENS_FILE, WORDPIECE_VOCAB, BPE_VOCAB, BPE_MERGES, SENTENCEPIECE_MODEL, CHAT_TEMPLATE_FILE,
              PREPROCESSOR_CONFIG, PROCESSOR_CONFIG, RANDOM_WEIGHTS_FILE)
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PARTIAL_FOLDER = ".explorer-partial"  # in the cache: what a cut download received, kept for the next run
CACHE_PARTS = ("blobs", "snapshots", "refs")  # what an archive holds of a repository, in the order it is moved in


@dataclass(frozen=True)
class HubFile:
    """One file of a commit, as the Hub's tree API lists it."""

    name: str
    size: int
    blob_id: str  # git blob sha1: every file has one
    sha256: str | None  # LFS files only

    @property
    def algorithm(self) -> str:
        return "sha256" if self.sha256 else "git-sha1"

    @property
    def expected_hash(self) -> str:
        return self.sha256 or self.blob_id


@dataclass(frozen=True)
class Plan:
    """What prefetch fetches of one repository: the files explorer reads, at the commit ``revision`` names."""

    repo_id: str
    revision: str
    commit: str
    files: tuple[HubFile, ...]

    @property
    def folder_name(self) -> str:
        return f"models--{self.repo_id.replace('/', '--')}"


@dataclass(frozen=True)
class Outcome:
    repo_id: str
    file: HubFile
    status: str  # "downloaded", "resumed", "cached" or "failed"
    detail: str = ""


# --- which checkpoints: the notebooks' ids --------------------------------------------------------------------


def notebook_ids(folder: Path = NOTEBOOKS) -> list[str]:
    """Every Hub id the notebooks under ``folder`` load (``from_pretrained``, ``explore``, ``pipeline``), as
    string literals or names bound to one; ids only explorer's catalog has are left out (nothing to fetch)."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    from .catalog import find

    found: dict[str, None] = {}
    for notebook in sorted(folder.rglob("*.ipynb")):  # every series (notebooks/ko, notebooks/zh) too
        for reference in references_in(_code_cells(notebook)):
            try:
                validate_repo_id(reference)
            except HFValidationError:
                continue
            entry = find(reference)
            if not (entry and entry.owned):
                found[reference] = None
    return sorted(found)


def _code_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    return ["".join(cell.get("source", "")) for cell in cells if cell.get("cell_type") == "code"]


def references_in(cells: Iterable[str]) -> Iterator[str]:
    """The checkpoint references the code passes to ``from_pretrained``, ``explore`` and ``pipeline`` (for a
    pipeline without ``model=``, its task's default; for ``explore()``, the catalog's default)."""
    from .catalog import default_reference
    from .pipelines.tasks import TASK_NAMED

    trees = [tree for source in cells if (tree := _parse(source)) is not None]
    strings = {target.id: node.value.value for tree in trees for node in ast.walk(tree)
               if isinstance(node, ast.Assign) and _is_str(node.value)
               for target in node.targets if isinstance(target, ast.Name)}

    def value(node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Name):
            return strings.get(node.id)
        return node.value if node is not None and _is_str(node) else None

    for call in (node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.Call)):
        callee = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        named = value(_argument(call, 0, keywords, "pretrained_model_name_or_path"))
        if callee == "from_pretrained" and named:
            yield named
        elif callee == "explore":
            yield value(_argument(call, 0, keywords, "reference")) or default_reference()
        elif callee == "pipeline":
            task = value(_argument(call, 0, keywords, "task"))
            model = value(_argument(call, 1, keywords, "model"))
            if model or task in TASK_NAMED:
                yield model or TASK_NAMED[task].default


def _parse(source: str) -> ast.Module | None:
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        return ast.parse(code)
    except SyntaxError:  # a cell of another kernel's language, or cell magics: no Python to read
        return None


def _is_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _argument(call: ast.Call, position: int, keywords: dict[str | None, ast.expr], name: str) -> ast.expr | None:
    return call.args[position] if len(call.args) > position else keywords.get(name)


# --- what to fetch --------------------------------------------------------------------------------------------


def plan(repo_id: str, revision: str | None = None, cache_dir: str | os.PathLike | None = None,
         token: str | bool | None = None) -> Plan:
    """Ask the Hub which commit ``revision`` is and what it holds; keep the files explorer reads (for sharded
    weights the index is downloaded, to read its shard names)."""
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    if offline_mode():
        raise errors.HubConnectionError(
            "HF_HUB_OFFLINE is set: prefetch needs the network. Unset it (or run where the Hub is reachable), or "
            "bring an archive made elsewhere and run `python -m explorer unpack FILE.tar`."
        )
    api = HfApi(token=token)
    info = _ask_hub(repo_id, lambda: api.model_info(repo_id, revision=revision))
    listing = _ask_hub(repo_id, lambda: list(api.list_repo_tree(repo_id, revision=info.sha, recursive=True)))
    tree = {entry.path: HubFile(entry.path, entry.size, entry.blob_id, entry.lfs.sha256 if entry.lfs else None)
            for entry in listing if isinstance(entry, RepoFile)}
    names = [name for name in READ_FILES if name in tree]
    names += _weight_names(tree, Checkpoint(repo_id, revision=info.sha, cache_dir=cache_dir, token=token))
    missing = [name for name in names if name not in tree]
    if missing:
        raise errors.MalformedFileError(
            f"The shard index of {repo_id!r} names {', '.join(missing)}, which the repository does not have. "
            "Report it to the repository's owners; pick another revision meanwhile."
        )
    return Plan(repo_id, revision or "main", info.sha, tuple(tree[name] for name in names))


def _weight_names(tree: dict[str, HubFile], checkpoint: Checkpoint) -> list[str]:
    """The weight files explorer would read: the first format (safetensors, then .bin) the repository has."""
    for index, single, _ in WEIGHT_FORMATS:
        if single in tree:
            return [single]
        if index in tree:
            return [index, *shard_names(checkpoint, index)]
    return []


def _ask_hub(repo_id: str, call: Any) -> Any:
    from huggingface_hub import errors as hub_errors

    try:
        return call()
    except (hub_errors.RepositoryNotFoundError, hub_errors.RevisionNotFoundError) as exc:
        raise errors.CheckpointNotFoundError(
            f"The Hub has no repository {repo_id!r} (or not that revision, or it is private): "
            f"{what_went_wrong(exc)}. Check the id's spelling; for a private one log in (`hf auth login`)."
        ) from exc
    except (OSError, ValueError, *transport_errors()) as exc:
        raise errors.HubConnectionError(
            f"Could not list the files of {repo_id!r}: {what_went_wrong(exc)}. Check the network and try again."
        ) from exc


# --- fetching -------------------------------------------------------------------------------------------------


def cache_root(cache_dir: str | os.PathLike | None) -> Path:
    from huggingface_hub import constants

    return Path(cache_dir or constants.HF_HUB_CACHE)


def cached_path(plan: Plan, file: HubFile, cache_dir: str | os.PathLike | None) -> Path | None:
    """The file's entry in the cache at the plan's commit, or None."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(plan.repo_id, file.name, cache_dir=cache_dir, revision=plan.commit)
    return Path(found) if isinstance(found, str) else None


def fetch(plan: Plan, cache_dir: str | os.PathLike | None = None, token: str | bool | None = None) -> list[Outcome]:
    """Download every file of the plan not already cached whole; each checked against the Hub's hash."""
    outcomes = [_fetch_one(plan, file, cache_dir, token) for file in plan.files]
    if plan.revision != plan.commit and all(outcome.status != "failed" for outcome in outcomes):
        ref = cache_root(cache_dir) / plan.folder_name / "refs" / plan.revision
        ref.parent.mkdir(parents=True, exist_ok=True)  # a fully cached plan downloads nothing, so writes no ref
        ref.write_text(plan.commit)
    return outcomes


def _fetch_one(plan: Plan, file: HubFile, cache_dir: str | os.PathLike | None, token: str | bool | None) -> Outcome:
    from huggingface_hub import hf_hub_download

    path = cached_path(plan, file, cache_dir)
    if path is not None and _sound(path, file):
        return Outcome(plan.repo_id, file, "cached")
    try:
        status = _download_blob(plan, file, cache_root(cache_dir), token)
        # the blob is in place: huggingface_hub only links it into the snapshot and writes the ref
        path = Path(hf_hub_download(plan.repo_id, file.name, revision=plan.revision, cache_dir=cache_dir,
                                    token=token, library_name="explorer"))
        if path.parent.name != plan.commit:
            raise errors.HubConnectionError(f"{plan.revision!r} moved to another commit while fetching: run again")
        if path.resolve().name != file.expected_hash and not _sound(path, file):  # not the blob checked above
            raise errors.HubConnectionError(f"is not the Hub's file (its {file.algorithm} differs); removed")
    except errors.ExplorerError as exc:
        return Outcome(plan.repo_id, file, "failed", str(exc))
    except (OSError, ValueError, *transport_errors()) as exc:
        return Outcome(plan.repo_id, file, "failed", what_went_wrong(exc))
    return Outcome(plan.repo_id, file, status)


def _download_blob(plan: Plan, file: HubFile, root: Path, token: str | bool | None) -> str:
    """Download the file into its blob (named by its hash, as huggingface_hub names it), resuming what an earlier
    run left in ``.explorer-partial/`` (huggingface_hub deletes its partial file when a download fails, so a run
    cut for good would start again from zero); "downloaded", "resumed", or "cached" when another process
    finished it meanwhile. Done under huggingface_hub's own lock for the blob: a kernel downloading the same
    file at the same moment waits, and finds it."""
    from urllib.parse import urlsplit

    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import WeakFileLock, build_hf_headers

    blob = root / plan.folder_name / "blobs" / file.expected_hash
    partial = root / PARTIAL_FOLDER / plan.folder_name / file.expected_hash  # guarded by the lock below
    lock = root / ".locks" / plan.folder_name / f"{file.expected_hash}.lock"  # huggingface_hub's path for it
    for folder in (blob.parent, partial.parent, lock.parent):
        folder.mkdir(parents=True, exist_ok=True)
    with WeakFileLock(lock):
        if blob.exists():
            return "cached"
        url = hf_hub_url(plan.repo_id, file.name, revision=plan.commit)
        location = get_hf_file_metadata(url, token=token, timeout=constants.HF_HUB_ETAG_TIMEOUT).location
        same_host = urlsplit(location).netloc == urlsplit(url).netloc  # no token for a CDN, as huggingface_hub
        resume = partial.stat().st_size if partial.exists() and partial.stat().st_size <= file.size else 0
        with partial.open("ab" if resume else "wb") as out:
            http_get(location, out, resume_size=resume, expected_size=file.size, displayed_filename=file.name,
                     headers=build_hf_headers(token=token if same_host else False, library_name="explorer"))
        if content_hash(partial, file.algorithm) != file.expected_hash:
            partial.unlink()
            raise errors.HubConnectionError(f"arrived damaged (its {file.algorithm} is not the Hub's); removed")
        os.replace(partial, blob)
    return "resumed" if resume else "downloaded"


def _sound(path: Path, file: HubFile) -> bool:
    """Whether the cached file hashes to the Hub's hash; a damaged one is removed (its link and its blob)."""
    blob = path.resolve()
    if content_hash(blob, file.algorithm) == file.expected_hash:
        return True
    blob.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    return False


# --- carrying the cache: pack and unpack ----------------------------------------------------------------------


def pack(plans: Iterable[Plan], archive: str | os.PathLike, cache_dir: str | os.PathLike | None = None) -> int:
    """Write the plans' cache entries (blobs, snapshot links, refs) to the tar ``archive``; returns its size.
    Written beside it first, then renamed: a cut leaves no archive that looks whole."""
    root = cache_root(cache_dir)
    archive = Path(archive)
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w") as tar:
        for plan in plans:
            for entry, name in _cache_entries(plan, root).items():
                tar.add(entry, arcname=name, recursive=False)
    os.replace(partial, archive)
    return archive.stat().st_size


def _cache_entries(plan: Plan, root: Path) -> dict[Path, str]:
    """The plan's cache entries -> their names in an archive: blobs (once each), snapshot links, the ref."""
    repo = root / plan.folder_name
    links = [repo / "snapshots" / plan.commit / file.name for file in plan.files]
    entries = {link.resolve(): f"{plan.folder_name}/blobs/{link.resolve().name}" for link in links if link.is_symlink()}
    entries.update({link: link.relative_to(root).as_posix() for link in links})
    if plan.revision != plan.commit:
        entries[repo / "refs" / plan.revision] = f"{plan.folder_name}/refs/{plan.revision}"
    return entries


def unpack(archive: str | os.PathLike, cache_dir: str | os.PathLike | None = None) -> list[str]:
    """Put an archive made by ``pack`` into the cache; returns the repositories it held. Every member is checked
    first (only blobs, snapshot links into the same repository's blobs, refs), every blob is checked against
    the hash its name is, and only then is anything moved into the cache (blobs, then snapshots, then refs)."""
    root = cache_root(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    try:
        tar = tarfile.open(archive)
    except (tarfile.TarError, OSError) as exc:
        raise errors.ArchiveError(f"{archive} is not a readable tar archive ({exc}). Copy it again.") from None
    with tar:
        members = tar.getmembers()
        for member in members:
            check_member(member)
        staging = Path(tempfile.mkdtemp(prefix=".explorer-unpack-", dir=root))
        try:
            extract_filter = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(staging, members=members, **extract_filter)
            for blob in staging.glob("models--*/blobs/*"):
                if named_hash(blob) != blob.name:
                    raise errors.ArchiveError(
                        f"{blob.relative_to(staging)} in {archive} does not hash to its name: the archive is "
                        "damaged. Copy it again (or pack it again); nothing was put into the cache."
                    )
            _move_into(staging, root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return sorted({PurePosixPath(member.name).parts[0].removeprefix("models--").replace("--", "/")
                   for member in members})


def check_member(member: tarfile.TarInfo) -> None:
    """A member must be a cache entry: ``models--*/blobs/HASH`` (a file), ``models--*/snapshots/COMMIT/...``
    (a link into that repository's blobs, or a file) or ``models--*/refs/NAME`` (a file)."""
    parts = PurePosixPath(member.name).parts
    entry = (len(parts) >= 3 and parts[0].startswith("models--") and parts[1] in CACHE_PARTS
             and ".." not in parts and not member.name.startswith("/"))
    kind_ok = member.isfile() or (member.issym() and parts[1:2] == ("snapshots",))
    if entry and member.issym():
        target = os.path.normpath(os.path.join(os.path.dirname(member.name), member.linkname))
        kind_ok = not os.path.isabs(member.linkname) and target.startswith(f"{parts[0]}/blobs/")
    if not (entry and kind_ok):
        raise errors.UnsafePathError(
            f"The archive member {member.name!r}{' -> ' + member.linkname if member.linkname else ''} is not an "
            "entry of a Hugging Face cache (blobs, snapshot links into them, refs); nothing was unpacked. Use an "
            "archive written by `python -m explorer prefetch --pack`."
        )


def _move_into(staging: Path, root: Path) -> None:
    for part in CACHE_PARTS:
        for source in sorted(staging.glob(f"models--*/{part}/**/*")):
            if source.is_dir() and not source.is_symlink():
                continue
            target = root / source.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)


# --- the command line -----------------------------------------------------------------------------------------


def run_prefetch(ids: list[str], notebooks: bool, revision: str | None, cache_dir: str | None, dry_run: bool,
                 pack_to: str | None, out: TextIO) -> int:
    """``python -m explorer prefetch``: list, fetch, check, summarise, and pack if asked; 1 if a file failed."""
    wanted = list(dict.fromkeys([*ids, *(notebook_ids() if notebooks else [])]))
    if not wanted:
        raise errors.UnexpectedArgumentError("Name Hub ids to prefetch, or pass --notebooks for the notebooks' ids.")
    plans = [plan(repo_id, revision, cache_dir) for repo_id in wanted]
    print_plan(plans, cache_dir, out)
    if dry_run:
        return 0
    outcomes = [outcome for each in plans for outcome in fetch(each, cache_dir)]
    print_summary(outcomes, out)
    if any(outcome.status == "failed" for outcome in outcomes):
        print("Some files failed: run the same command again; the files already fetched are kept and checked, and "
              "a cut download resumes where it stopped.", file=out)
        return 1
    if pack_to:
        print(f"Packed {_count(len(plans), 'checkpoint')} into {pack_to} "
              f"({format_size(pack(plans, pack_to, cache_dir))}).", file=out)
    return 0


def print_plan(plans: list[Plan], cache_dir: str | os.PathLike | None, out: TextIO) -> None:
    rows, to_fetch = [], 0
    for each in plans:
        for file in each.files:
            cached = cached_path(each, file, cache_dir) is not None
            to_fetch += 0 if cached else file.size
            rows.append((each.repo_id, file.name, format_size(file.size), "in the cache" if cached else "to fetch"))
    total = sum(file.size for each in plans for file in each.files)
    print(f"Files explorer reads, into {cache_root(cache_dir)}:", file=out)
    _table(("repository", "file", "size", "state"), rows, out)
    print(f"Total {format_size(total)} in {len(rows)} files of {_count(len(plans), 'checkpoint')}; to fetch "
          f"{format_size(to_fetch)}.", file=out)


def print_summary(outcomes: list[Outcome], out: TextIO) -> None:
    rows = [(o.repo_id, o.file.name, format_size(o.file.size), o.status,
             f"{o.file.algorithm} ok" if o.status != "failed" else o.detail) for o in outcomes]
    print("\nSummary:", file=out)
    _table(("repository", "file", "size", "status", "check"), rows, out)
    counts = {status: sum(o.status == status for o in outcomes)
              for status in ("downloaded", "resumed", "cached", "failed")}
    print(", ".join(f"{count} {status}" for status, count in counts.items()), file=out)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip(), file=out)


def run_unpack(archive: str, cache_dir: str | None, out: TextIO) -> int:
    repositories = unpack(archive, cache_dir)
    print(f"Unpacked {', '.join(repositories)} into {cache_root(cache_dir)}. With HF_HUB_OFFLINE=1 they load "
          "from there.", file=out)
    return 0
