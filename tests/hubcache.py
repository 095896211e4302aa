"""Build entries of a Hugging Face cache on disk, laid out as huggingface_hub writes them
(``models--org--name/{blobs,refs,snapshots}``), so resolution through the cache is tested for real."""

from __future__ import annotations

import hashlib
from pathlib import Path


def add_to_cache(cache: Path, repo_id: str, files: dict[str, bytes | Path], revision: str = "main") -> str:
    """Store ``files`` (name -> bytes, or a file to copy) as one commit of ``repo_id`` with ``revision``
    pointing at it; return the commit hash."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    commit = hashlib.sha1(repr(sorted(files)).encode() + repo_id.encode() + revision.encode()).hexdigest()
    snapshot = repo / "snapshots" / commit
    for name, content in files.items():
        data = content.read_bytes() if isinstance(content, Path) else content
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snapshot / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(Path(*[".."] * (len(Path(name).parts) + 1), "blobs", blob.name))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / revision).write_text(commit)
    return commit


def copy_folder_to_cache(cache: Path, repo_id: str, folder: Path, revision: str = "main") -> str:
    files = {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file()}
    return add_to_cache(cache, repo_id, files, revision)


def mark_absent(cache: Path, repo_id: str, commit: str, name: str) -> None:
    """huggingface_hub's record that ``name`` does not exist at ``commit``."""
    marker = cache / f"models--{repo_id.replace('/', '--')}" / ".no_exist" / commit / name
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
