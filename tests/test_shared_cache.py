"""A shared read-only Hugging Face cache (a workshop server's, mounted read-only into every learner's kernel): with
``HF_HUB_CACHE`` on it and ``HF_HUB_OFFLINE=1``, the Auto classes, ``pipeline()`` and the app load its checkpoints
and write nothing there (no lock, no ref, no ``.no_exist``): every file, link and folder is the same afterwards,
byte for byte. A checkpoint missing from it is the offline error, not a permission error.

The tests run as root in CI, where permission bits do not stop writes: so writes are detected by hashing the
whole tree before and after, and the permission check runs in a child process without the capabilities that
let root ignore permission bits (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER), so it is refused what a
learner is refused."""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from explorer import AutoConfig, AutoModel, AutoTokenizer, BertConfig, BertForSequenceClassification, errors, pipeline
from explorer.widgets.app import explore
from hubcache import add_to_cache, copy_folder_to_cache

TINY = dict(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=37)
TOKENIZER_NAMES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
CLASSIFIER = "org/tiny-classifier"
MISSING = "org/not-in-the-cache"
TEXT = "In a hole in the ground there lived a hobbit."

# The loads a learner's kernel makes, as one script (run here, and in a child process without write permission)
LOADS = f"""
import json, explorer
from explorer import AutoConfig, AutoModel, AutoTokenizer, errors, pipeline
from explorer.widgets.app import explore

config = AutoConfig.from_pretrained({CLASSIFIER!r})
tokenizer = AutoTokenizer.from_pretrained({CLASSIFIER!r})
model = AutoModel.from_pretrained({CLASSIFIER!r})
result = pipeline("text-classification", model={CLASSIFIER!r})({TEXT!r})
app = explore({CLASSIFIER!r})
missing = explore({MISSING!r})
try:
    AutoModel.from_pretrained({MISSING!r})
    error = None
except Exception as exc:
    error = type(exc).__name__
print(json.dumps({{"labels": sorted(config.id2label.values()), "label": result[0]["label"], "error": error,
                  "app": app.state.status, "missing_app": missing.state.status,
                  "missing_message": missing.message.value,
                  "sources": sorted({{r.source for r in model.resolution_trace.files}})}}))
"""


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory, minilm_path):
    """A cache holding a tiny classifier with a real tokenizer, every folder and file then made read-only."""
    folder = tmp_path_factory.mktemp("tiny-classifier")
    torch.manual_seed(0)
    BertForSequenceClassification(BertConfig(**TINY, id2label={0: "NEGATIVE", 1: "POSITIVE"})).save_pretrained(folder)
    for name in TOKENIZER_NAMES:
        (folder / name).write_bytes((minilm_path / name).read_bytes())
    cache = tmp_path_factory.mktemp("shared") / "hub"
    copy_folder_to_cache(cache, CLASSIFIER, folder)
    set_writable(cache, False)
    yield cache
    set_writable(cache, True)  # so pytest can remove it when not root


def set_writable(tree: Path, writable: bool) -> None:
    for path in [tree, *tree.rglob("*")]:
        if not path.is_symlink():
            write = stat.S_IWUSR if writable else 0
            path.chmod((0o555 if path.is_dir() else 0o444) | write)


def fingerprint(tree: Path) -> dict[str, tuple]:
    """Every entry of the tree: its kind, mode and content (a file's sha256, a link's target), and for folders
    their modification time, which changes when anything is created or removed in them, even briefly."""
    found = {}
    for path in sorted([tree, *tree.rglob("*")]):
        info = path.lstat()
        if path.is_symlink():
            content = os.readlink(path)
        elif path.is_dir():
            content = info.st_mtime_ns
        else:
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        found[str(path.relative_to(tree))] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), content)
    return found


def offline_on(cache: Path) -> dict[str, str]:
    return {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}


def test_loads_from_a_read_only_cache_write_nothing_there(shared_cache, monkeypatch):
    from huggingface_hub import constants

    for name, value in offline_on(shared_cache).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(shared_cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    before = fingerprint(shared_cache)
    model = AutoModel.from_pretrained(CLASSIFIER)
    assert {read.source for read in model.resolution_trace.files} == {"cache"}
    assert AutoTokenizer.from_pretrained(CLASSIFIER)(TEXT)["input_ids"][0] == 101
    assert pipeline("text-classification", model=CLASSIFIER)(TEXT)[0]["label"] in AutoConfig.from_pretrained(
        CLASSIFIER).id2label.values()
    assert explore(CLASSIFIER).state.status == "ready"
    with pytest.raises(errors.OfflineCacheMissError, match=f"Offline .*{MISSING}.* is not in the cache"):
        AutoModel.from_pretrained(MISSING)
    missing = explore(MISSING)
    assert missing.state.status == "failed" and "OfflineCacheMissError" in missing.message.value
    assert fingerprint(shared_cache) == before


def drop_root_privileges() -> None:
    """In the child, before it runs Python: drop from the bounding set the capabilities that let root write
    where permission bits say no; root's next program starts without them (capabilities(7))."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="capabilities are Linux's")
def test_a_learner_without_write_permission_loads_and_gets_the_offline_error(shared_cache, tmp_path):
    before = fingerprint(shared_cache)
    check_refused = f"open({str(shared_cache / 'probe')!r}, 'w')"
    env = {**offline_on(shared_cache), "HOME": str(tmp_path), "PYTHONPATH": os.pathsep.join(sys.path)}
    privileges = drop_root_privileges if os.geteuid() == 0 else None
    probe = subprocess.run([sys.executable, "-c", check_refused], env=env, preexec_fn=privileges,
                           capture_output=True, text=True, timeout=60)
    assert "PermissionError" in probe.stderr  # the child really cannot write there: the check below means something
    done = subprocess.run([sys.executable, "-c", LOADS], env=env, preexec_fn=privileges, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["error"] == "OfflineCacheMissError" and seen["label"] in seen["labels"]
    assert seen["app"] == "ready" and seen["missing_app"] == "failed"
    assert "OfflineCacheMissError" in seen["missing_message"] and "PermissionError" not in seen["missing_message"]
    assert seen["sources"] == ["cache"]
    assert "PermissionError" not in done.stderr
    assert fingerprint(shared_cache) == before


def notebooks_without_weights() -> dict[str, list[str]]:
    """The notebooks that load no model (tokenizer, image processor, feature extractor, processor), with the
    ids they load: the catalog's copies hold those checkpoints' real Hub files, so a cache of them is real."""
    from explorer.prefetch import NOTEBOOKS, references_in

    found = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]
                 if cell["cell_type"] == "code"]
        if not any(re.search(r"AutoModel|AutoBackbone|pipeline\(|explore\(", cell) for cell in cells):
            found[path.name] = sorted(set(references_in(cells)))
    return found


@pytest.fixture(scope="module")
def notebooks_cache(tmp_path_factory):
    """A read-only cache holding the Hub files of every id the weightless notebooks load (from the catalog's
    copies, without the catalog's own files: its model card and random-weights marker)."""
    from explorer.catalog import find
    from explorer.loading import RANDOM_WEIGHTS_FILE
    from explorer.prefetch import READ_FILES

    cache = tmp_path_factory.mktemp("notebooks-shared") / "hub"
    for reference in {ref for refs in notebooks_without_weights().values() for ref in refs}:
        folder = find(reference).path()
        copy = {name: folder / name for name in READ_FILES if name != RANDOM_WEIGHTS_FILE and (folder / name).is_file()}
        add_to_cache(cache, reference, copy)
    set_writable(cache, False)
    yield cache
    set_writable(cache, True)


@pytest.mark.parametrize("name", sorted(notebooks_without_weights()))
def test_a_notebook_runs_on_the_read_only_cache_and_writes_nothing_there(name, notebooks_cache, monkeypatch):
    import nbformat
    from huggingface_hub import constants
    from nbclient import NotebookClient

    from explorer.prefetch import NOTEBOOKS
    from explorer.resolution import open_checkpoint
    from test_notebooks import CELL_TIMEOUT_SECONDS, FIGURES, printed_text

    before = fingerprint(notebooks_cache)
    for variable, value in {**offline_on(notebooks_cache), "OMP_NUM_THREADS": "1"}.items():
        monkeypatch.setenv(variable, value)
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    printed = printed_text(notebook)
    assert [figure for figure in FIGURES[name] if figure not in printed] == []
    assert fingerprint(notebooks_cache) == before
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(notebooks_cache))  # as the kernel resolved them: the
    assert all(open_checkpoint(ref).folder is None for ref in notebooks_without_weights()[name])  # cache's files
