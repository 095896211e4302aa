"""The small thread pool images are read, converted, resized and looked up on: Pillow and numpy release the GIL
while decoding, resampling and indexing, so a batch of images uses several cores.

The pool is started on first use and forgotten in a forked child (a DataLoader worker...), where the parent's
threads do not exist.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_WORKERS = max(1, min(4, os.cpu_count() or 1))


def _forget_pool() -> None:
    """In a forked child (a DataLoader worker...) the parent's threads do not exist: start a new pool."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def map_on_pool(function: Callable[[int], Any], count: int) -> list[Any]:
    """[function(0), ..., function(count - 1)], on the pool when there is more than one; every call has
    finished when this returns, and the first error (in order) is raised."""
    global _pool
    if count <= 1 or _WORKERS == 1:
        return [function(i) for i in range(count)]
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="explorer-image")
    futures = [_pool.submit(function, i) for i in range(count)]
    wait(futures)
    return [future.result() for future in futures]
