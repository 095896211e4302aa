"""Many learners, one download: kernels (here, processes) that ask at the same moment for a checkpoint not yet in
a shared cache download each file once between them (huggingface_hub's per-file lock), leave no damaged entry,
and all get the model; a kernel killed in mid-download leaves nothing another kernel reads as the file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from explorer import AutoModel, BertModel, errors
from hubserver import assert_cache_sound, hub  # noqa: F401  (hub: a fixture)
from test_hub_faults import REPO, served, tiny  # noqa: F401  (fixtures: org/tiny-bert on the server)

LEARNERS = 4

# One learner's kernel: says it is ready, waits for the signal, loads the model, checks it against the original.
LEARNER = """
import json, sys, time
from pathlib import Path
from huggingface_hub import constants
constants.DOWNLOAD_CHUNK_SIZE = 250  # write what arrives in small pieces, so a kill leaves a partial file
import torch
from explorer import AutoModel, BertModel

ready, go, original = sys.argv[1:4]
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.01)
model = AutoModel.from_pretrained({repo!r})
expected = BertModel.from_pretrained(original).state_dict()
print(json.dumps({{"same": all(torch.equal(t, expected[n]) for n, t in model.state_dict().items()),
                  "sources": {{r.name: r.source for r in model.resolution_trace.files}}}}))
""".format(repo=REPO)


def start_learner(served, tiny, tmp_path, name, timeout="10"):  # noqa: F811
    env = {**os.environ, "HF_ENDPOINT": served.endpoint, "HF_HUB_CACHE": str(served.cache), "HF_HUB_OFFLINE": "0",
           "HF_HUB_DOWNLOAD_TIMEOUT": timeout, "HF_HUB_DISABLE_PROGRESS_BARS": "1",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    args = [sys.executable, "-c", LEARNER, str(tmp_path / f"ready-{name}"), str(tmp_path / "go"), str(tiny)]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, seconds=120.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_learners_asking_at_once_share_one_download_per_file(served, tiny, tmp_path):
    # the first weights download stalls for a second after 1000 bytes: every other learner asks meanwhile
    stall = served.fault(path="/lfs/", method="GET", stall_after=1000, stall=1.0, times=1)
    learners = [start_learner(served, tiny, tmp_path, str(i)) for i in range(LEARNERS)]
    wait_for(lambda: all((tmp_path / f"ready-{i}").exists() for i in range(LEARNERS)))
    (tmp_path / "go").touch()
    results = []
    for learner in learners:
        out, err = learner.communicate(timeout=180)
        assert learner.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(result["same"] for result in results)
    assert stall.hits == 1
    assert served.downloads("model.safetensors") == 1 and served.downloads("config.json") == 1
    heads = sum(1 for method, path in served.requests if method == "HEAD" and path.endswith("/model.safetensors"))
    assert heads == LEARNERS  # every learner did ask: the single download is shared, not skipped
    assert_cache_sound(served.cache)


def test_a_learner_killed_mid_download_leaves_nothing_another_reads(served, tiny, tmp_path):
    served.fault(path="/lfs/", method="GET", stall_after=20000, stall=60.0, times=1)  # hangs until killed
    learner = start_learner(served, tiny, tmp_path, "killed", timeout="120")
    try:
        killed_mid_download(learner, served, tiny, tmp_path)
    finally:
        learner.kill()
        learner.communicate(timeout=30)


def size_now(path: Path) -> int:
    """The file's size, 0 once it is gone: a small file's .incomplete is renamed to its blob between a glob that
    lists it and the stat."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def killed_mid_download(learner, served, tiny, tmp_path):  # noqa: F811
    wait_for(lambda: (tmp_path / "ready-killed").exists())
    (tmp_path / "go").touch()
    blobs = served.cache / "models--org--tiny-bert" / "blobs"

    def partial_written():
        # more than Python's 8 KB write buffer: part of the file is on disk
        return [p for p in blobs.glob("*.incomplete") if size_now(p) >= 8192] if blobs.is_dir() else []

    wait_for(partial_written)
    learner.send_signal(signal.SIGKILL)
    learner.wait(timeout=30)
    (partial,) = partial_written()
    # the partial file has a name of its own process: no link, no blob name, no later download points at it
    assert not list((served.cache / "models--org--tiny-bert" / "snapshots").glob("*/model.safetensors"))
    weights_blob = partial.name.split(".")[0]
    assert not (blobs / weights_blob).exists()
    # a kernel reading the cache now finds config.json and no weights file, and is told why
    with pytest.raises(errors.EntryNotFoundError, match="only the Hugging Face cache was looked in.*prefetch"):
        AutoModel.from_pretrained(REPO, cache_dir=served.cache, local_files_only=True)
    model = AutoModel.from_pretrained(REPO, cache_dir=served.cache)  # the next learner downloads it whole
    expected = BertModel.from_pretrained(tiny).state_dict()
    assert all(torch.equal(tensor, expected[name]) for name, tensor in model.state_dict().items())
    assert served.downloads("model.safetensors") == 2
    assert (blobs / weights_blob).stat().st_size > partial.stat().st_size
    leftovers = list(blobs.glob("*.incomplete"))
    assert leftovers == [partial]  # the killed process's own temporary file, which nothing reads (see README)
    partial.unlink()
    assert_cache_sound(served.cache)
