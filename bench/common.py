"""What the side-by-side benchmarks (text_models.py, vision_audio.py) share: the two libraries with the same
torch threads, their worker processes, the table cells and the header that says where the numbers come from."""

import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time

LIBRARIES = ("explorer", "transformers")
THREADS = 2


def load_library(name: str):
    """torch (set to the benchmark's threads) and the library named ``name``."""
    import torch

    torch.set_num_threads(THREADS)
    return torch, __import__(name)


def timed(call) -> float:
    """Seconds ``call()`` takes with the garbage collector paused, as ``timeit`` times: with torch imported a
    full collection of the interpreter's heap takes ~80 ms here, and whether one falls inside the call depends
    on how many objects were allocated before it, not on the call."""
    gc.collect()
    gc.disable()
    try:
        begin = time.perf_counter()
        call()
        return time.perf_counter() - begin
    finally:
        gc.enable()


def run_child(script: str, *args: str) -> tuple[dict, float]:
    """Run ``script`` as ``--worker args`` in a fresh process; its JSON answer and the wall time around it."""
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    begin = time.perf_counter()
    done = subprocess.run([sys.executable, script, "--worker", *args], check=False,
                          capture_output=True, text=True, env=environment)
    wall = time.perf_counter() - begin
    if done.returncode:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1]), wall


def cell(values: list[float], unit: str) -> str:
    """The median, and the range over repetitions (a wide one means the machine was busy)."""
    digits = {"s": 3, "MiB": 0}.get(unit, rate_digits(statistics.median(values)))
    return f"{statistics.median(values):.{digits}f} {unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def rate_digits(value: float) -> int:
    """Decimals that give a rate three significant digits (0.312 clips/s, 11.3 sent/s), at least one."""
    return 3 if value < 1 else 2 if value < 10 else 1


def header(script: str, quick: bool, repetitions: int, load_before: float) -> str:
    """Date, command, machine; and the load average, since other processes on the machine skew the times."""
    import torch
    import transformers

    command = f"python bench/{os.path.basename(script)}" + (" --quick" if quick else "")
    return (f"{datetime.date.today().isoformat()} · `{command}` · median of {repetitions} fresh processes per cell"
            f" · nproc {os.cpu_count()}, {platform.machine()}, Python {platform.python_version()}, torch "
            f"{torch.__version__}, transformers {transformers.__version__}, torch threads {THREADS}"
            f" · 1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")


def parse_or_work(description: str, tasks: dict) -> argparse.Namespace:
    """The parent's options; in a child (``--worker task args...``), run the task, print its JSON answer and
    leave with os._exit, so the interpreter's teardown is not counted."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="2 repetitions instead of 5")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        task, *args = options.worker
        print(json.dumps(tasks[task](*args)), flush=True)
        os._exit(0)
    return options


def table_head(first_column: str) -> list[str]:
    return [f"| {first_column} | metric | explorer | transformers | ratio (explorer / transformers) | target | met? |",
            "|---|---|---|---|---|---|---|"]


def ratio_row(label: str, metric: str, samples: dict[str, list[float]], unit: str, target: float | None,
              higher_is_better: bool = False) -> str:
    """One table row: each library's median and range, explorer's median over transformers', and whether it
    meets ``target`` (None: a figure with no target)."""
    ours, theirs = (statistics.median(samples[name]) for name in LIBRARIES)
    ratio = ours / theirs
    cells = " | ".join(cell(samples[name], unit) for name in LIBRARIES)
    if target is None:
        verdict = "– | –"
    else:
        met = ratio >= target if higher_is_better else ratio <= target
        verdict = f"{'>=' if higher_is_better else '<='} {target}x | {'yes' if met else 'NO'}"
    return f"| {label} | {metric} | {cells} | {ratio:.2f}x | {verdict} |"
