"""Helpers of the pipeline tests: label tables for tiny configs, and results compared with transformers'."""

from __future__ import annotations

from typing import Any


def labels(*names: str) -> dict[str, Any]:
    return {"id2label": dict(enumerate(names)), "label2id": {name: index for index, name in enumerate(names)}}



def assert_same_results(ours: Any, theirs: Any, where: str = "result", atol: float = 1e-5) -> None:
    """The same structure, keys, labels, words and offsets; numbers within ``atol``."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{where}: keys {list(ours)} != {list(theirs)}"
        for key in theirs:
            assert_same_results(ours[key], theirs[key], f"{where}[{key!r}]", atol)
    elif isinstance(theirs, (list, tuple)):
        # a tuple (a timestamp) stays one; transformers' other sequences are lists
        kind = tuple if isinstance(theirs, tuple) else list
        assert isinstance(ours, kind) and len(ours) == len(theirs), f"{where}: {ours!r} != {theirs!r}"
        for index, (mine, other) in enumerate(zip(ours, theirs)):
            assert_same_results(mine, other, f"{where}[{index}]", atol)
    elif isinstance(theirs, float) or type(theirs).__name__.startswith("float"):
        assert abs(float(ours) - float(theirs)) <= atol, f"{where}: {ours} != {theirs}"
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"
