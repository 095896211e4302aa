"""A full app load reads each file of the checkpoint once: a catalog id, a Hugging Face cache entry and a local
folder, every panel shown (the backbone built, the image through the processor), each decision traced once.

Opens are counted for real: Python's ``open`` audit event sees every open of a file (``Path.read_bytes``,
``open``, the tokenizers library's readers that Python hands a path to), and safetensors' ``safe_open`` (which
opens in Rust) is counted where the loader calls it."""

from __future__ import annotations

import collections
import os
import sys
from pathlib import Path

import pytest

from explorer import catalog
from hubcache import copy_folder_to_cache

COUNTING: list[tuple[str, collections.Counter]] = []  # (folder, counts) while a test counts


def count_open(event: str, args: tuple) -> None:
    if event == "open" and COUNTING and isinstance(args[0], (str, bytes, os.PathLike)):
        folder, counts = COUNTING[-1]
        path = os.path.realpath(os.fsdecode(args[0]))
        if path.startswith(folder + os.sep):
            counts[os.path.relpath(path, folder)] += 1


sys.addaudithook(count_open)  # audit hooks cannot be removed: it counts only inside opens_under()


@pytest.fixture
def opens_under(monkeypatch):
    """opens_under(folder) -> the Counter of opens of the files below ``folder`` (links resolved) from now on."""
    import safetensors

    from explorer import weights

    real_safe_open = safetensors.safe_open

    def counted_safe_open(path, *args, **kwargs):
        count_open("open", (path,))
        return real_safe_open(path, *args, **kwargs)

    monkeypatch.setattr(safetensors, "safe_open", counted_safe_open)
    assert weights.SafetensorsFile  # the reader imports safe_open when it opens a file, so the patch applies

    def start(folder: Path) -> collections.Counter:
        COUNTING.append((os.path.realpath(folder), collections.Counter()))
        return COUNTING[-1][1]

    yield start
    COUNTING.clear()


def load_everything(app, reference: str) -> None:
    """What a user sees after typing ``reference``: every panel the checkpoint has, rendered."""
    app.load(reference)
    assert app.state.status == "ready", app.message.value
    for panel in app.panels.values():
        panel.refresh()


def assert_each_file_once(app, counts: collections.Counter) -> None:
    assert counts and max(counts.values()) == 1, dict(counts)
    trace = app.state.session.trace
    assert [(read.name, read.reads) for read in trace.files if read.reads != 1] == []
    assert len(trace.decisions) == len(set(trace.decisions)), [str(d) for d in trace.decisions]


@pytest.mark.parametrize("reference", [catalog.DEFAULT_ID, "explorer-catalog/convnext-digits",
                                       "explorer-catalog/wav2vec2-spoken-digits", "explorer-catalog/clip-tiny",
                                       "google/vit-base-patch16-224"])
def test_a_catalog_id_reads_each_file_once(app, opens_under, reference):
    counts = opens_under(catalog.find(reference).path())
    load_everything(app, reference)
    assert_each_file_once(app, counts)
    assert "config.json" in counts


def test_a_hugging_face_cache_entry_reads_each_file_once(app, opens_under, hf_cache, monkeypatch):
    from huggingface_hub import constants

    copy_folder_to_cache(hf_cache, "org/convnext-digits", catalog.find("explorer-catalog/convnext-digits").path())
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hf_cache))
    counts = opens_under(hf_cache)
    load_everything(app, "org/convnext-digits")
    assert app.state.session.checkpoint.folder is None  # read through huggingface_hub's cache
    assert_each_file_once(app, counts)
    # links resolved: config.json, preprocessor_config.json and model.safetensors are blobs; the ref read once
    assert sorted(Path(name).parent.name for name in counts) == ["blobs", "blobs", "blobs", "refs"]


def test_a_local_folder_reads_each_file_once(app, opens_under, checkpoints):
    for name in ("sentiment", "convnext", "wav2vec2"):
        counts = opens_under(checkpoints[name])
        load_everything(app, str(checkpoints[name]))
        assert_each_file_once(app, counts)
