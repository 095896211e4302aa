"""bench/workshop.py with 3 learners: a real JupyterHub (from the test extra) and configurable-http-proxy (npm,
`npm install --prefix .ci/node`; without it this test fails and says so), every learner's explorer notebook run
through its own single-user server and kernel, then the same steps with transformers; and nothing it started
is left running. Takes a few minutes on a 2-core machine."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
LEARNERS = 3
LAST_LINE = re.compile(rf"learners ready: {LEARNERS}/{LEARNERS}, errors: 0, unique memory per learner: (\d+) MiB "
                       r"\(transformers (\d+) MiB, ratio (\d+\.\d+)\)")


def test_three_learners_get_the_app_through_a_real_hub_and_everything_stops(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "bench/workshop.py", "--learners", str(LEARNERS), "--timeout", "600"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False)
    report = f"stdout:\n{done.stdout[-6000:]}\nstderr:\n{done.stderr[-6000:]}"
    assert done.returncode == 0, report
    last = done.stdout.strip().splitlines()[-1]
    match = LAST_LINE.fullmatch(last)
    assert match, report
    ours, theirs, ratio = int(match[1]), int(match[2]), float(match[3])
    assert 0 < ours and 0 < theirs and abs(ratio - ours / theirs) < 0.01
    runtime = re.search(r"^runtime folder: (\S+)$", done.stdout, re.MULTILINE)[1]
    assert not Path(runtime).exists()
    assert leftovers(runtime) == []


def leftovers(runtime: str) -> list[str]:
    """Processes still running that the benchmark started: the hub names its runtime folder on its command line,
    the servers and kernels run in the learners' homes inside it."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "cwd"]):
        command = " ".join(process.info["cmdline"] or [])
        if runtime in command or (process.info["cwd"] or "").startswith(runtime):
            found.append(f"{process.info['pid']}: {command}")
    return found
