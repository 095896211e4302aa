"""The image thread pool (explorer.processing.image_pool): the same numbers on one thread, and a working pool
in a forked child."""

from __future__ import annotations

import os
import signal
import time
import warnings

import numpy as np
import pytest
from image_checks import photo

from explorer.processing import image_pool
from explorer.processing.image import CLIPImageProcessor, ViTImageProcessor


def test_single_thread_equals_pool(monkeypatch):
    images = [photo(64 + i, 48, seed=i) for i in range(6)]
    pooled = CLIPImageProcessor()(images, return_tensors="np").pixel_values
    monkeypatch.setattr(image_pool, "_WORKERS", 1)
    assert np.array_equal(pooled, CLIPImageProcessor()(images, return_tensors="np").pixel_values)


def test_processing_in_a_forked_child(tmp_path):
    """A DataLoader worker forked after the parent used the thread pool must not wait on the parent's threads."""
    images = [photo(30 + i, 20, seed=i) for i in range(4)]
    expected = ViTImageProcessor()(images, return_tensors="np").pixel_values  # starts the pool
    result = tmp_path / "child.txt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork() of a multi-threaded process
        pid = os.fork()
    if pid == 0:  # the child: answer through a file, never return into pytest
        try:
            got = ViTImageProcessor()(images, return_tensors="np").pixel_values
            result.write_text("same" if np.array_equal(got, expected) else "different")
        finally:
            os._exit(0)
    deadline = time.monotonic() + 30
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung")
        time.sleep(0.05)
    assert result.read_text() == "same"
