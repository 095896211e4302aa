"""Weight files: find a checkpoint's, read them safely, and write them.

Safetensors files are memory-mapped (a tensor read from one is the file's memory, never a copy);
``pytorch_model.bin`` is read only when no safetensors file exists, and only by
``torch.load(weights_only=True)``. Saving writes safetensors (or a weights-only pickle), sharded as
transformers does. Filling a model from these files is ``loading.py``'s work.
"""

from __future__ import annotations

import json
import pickle
import re
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import torch

from . import errors
from .hub import Checkpoint

SAFE_WEIGHTS = "model.safetensors"
SAFE_INDEX = "model.safetensors.index.json"
BIN_WEIGHTS = "pytorch_model.bin"
BIN_INDEX = "pytorch_model.bin.index.json"
OTHER_FRAMEWORKS = ("tf_model.h5", "flax_model.msgpack", "model.ckpt.index")
SAFETENSORS_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


# --- reading checkpoint tensors ------------------------------------------------------------------------------


class SafetensorsFile:
    """One safetensors file, memory-mapped; every fault is a CorruptWeightsError naming the file."""

    def __init__(self, path: Path, name: str) -> None:
        from safetensors import safe_open

        self.name = name
        self._file = self._guard(lambda: safe_open(str(path), framework="pt"))

    def _guard(self, read):
        from safetensors import SafetensorError

        try:
            return read()
        except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as exc:
            raise errors.CorruptWeightsError(
                f"{self.name} is not a valid safetensors file ({exc}). It may be truncated or damaged: "
                "delete it (or the cached copy) and download it again."
            ) from None

    def keys(self) -> list[str]:
        return list(self._file.keys())

    def shape(self, key: str) -> tuple[int, ...]:
        return tuple(self._guard(lambda: self._file.get_slice(key).get_shape()))

    def dtype(self, key: str) -> torch.dtype | None:
        return SAFETENSORS_DTYPES.get(self._guard(lambda: self._file.get_slice(key).get_dtype()))

    def tensor(self, key: str) -> torch.Tensor:
        return self._guard(lambda: self._file.get_tensor(key))


class PickleFile:
    """One ``pytorch_model.bin``, loaded only with ``weights_only=True`` (no code from the file runs)."""

    def __init__(self, path: Path, name: str) -> None:
        self.name = name
        warnings.warn(
            f"Reading {name}, a pickle, with torch.load(weights_only=True): only tensors are accepted. "
            "Prefer model.safetensors, which cannot hold code.",
            errors.PickleWeightsWarning,
            stacklevel=5,
        )
        try:
            with warnings.catch_warnings():  # torch's note on the pickle protocol: ours above says enough
                warnings.filterwarnings("ignore", message="Detected pickle protocol")
                # mmap needs the zip format (torch >= 1.6); older pickles are read whole, still weights-only
                state = torch.load(path, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
        except pickle.UnpicklingError as exc:
            raise errors.UnsafePickleError(
                f"{name} holds more than tensors ({str(exc).splitlines()[0]}); it was refused without running "
                "any of it. Use a checkpoint with model.safetensors, or one from a source you trust."
            ) from None
        except (RuntimeError, OSError, EOFError, ValueError) as exc:
            raise errors.CorruptWeightsError(
                f"{name} is not a readable PyTorch weights file ({exc}). Download it again."
            ) from None
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise errors.CorruptWeightsError(f"{name} must hold a dict of tensors (a state dict); it does not.")
        self._state: dict[str, torch.Tensor] = state

    def keys(self) -> list[str]:
        return list(self._state)

    def shape(self, key: str) -> tuple[int, ...]:
        return tuple(self._state[key].shape)

    def dtype(self, key: str) -> torch.dtype | None:
        return self._state[key].dtype

    def tensor(self, key: str) -> torch.Tensor:
        return self._state[key]


WeightsFile = SafetensorsFile | PickleFile
# The weight files explorer reads, in its order of preference: (shard index, single file, reader) per format
WEIGHT_FORMATS = ((SAFE_INDEX, SAFE_WEIGHTS, SafetensorsFile), (BIN_INDEX, BIN_WEIGHTS, PickleFile))


def open_weights(checkpoint: Checkpoint, stage: str) -> list[WeightsFile]:
    """The checkpoint's weight files, safetensors first, the choice recorded in the trace; [] when it has
    none (see :func:`no_weights_error`). Each file is opened once per checkpoint: a second model loaded from
    the same open checkpoint (the app's backbone after its model) maps the same memory."""
    for index, single, reader in WEIGHT_FORMATS:
        if checkpoint.has(single):
            checkpoint.trace.decide(stage, checkpoint.name_of(single), "", None, "weights read from this file")
            return [open_once(checkpoint, reader, single, single)]
        if checkpoint.has(index):
            shards = shard_names(checkpoint, index)
            checkpoint.trace.decide(stage, checkpoint.name_of(index), "weight_map", f"{len(shards)} shards",
                                    "sharded weights")
            return [open_once(checkpoint, reader, shard, f"the shard index {index}") for shard in shards]
    return []


def open_once(checkpoint: Checkpoint, reader: type[WeightsFile], filename: str, needed_for: str) -> WeightsFile:
    return checkpoint.memo(("weights", filename), lambda: reader(checkpoint.require(filename, needed_for),
                                                                 checkpoint.name_of(filename)))


def no_weights_error(checkpoint: Checkpoint) -> errors.EntryNotFoundError:
    """The error for a checkpoint without weight files: what was looked for, and which other framework's
    weights it has, if any."""
    others = [name for name in OTHER_FRAMEWORKS if checkpoint.has(name)]
    hint = f" It has {', '.join(others)}: only PyTorch weights are supported." if others else ""
    if checkpoint.folder is None and checkpoint.offline:  # e.g. a download cut after config.json
        hint += (" Offline, only the Hugging Face cache was looked in: the weights may be on the Hub but not in the "
                 f"cache (fetch them once online: python -m explorer prefetch {checkpoint.reference}).")
    return errors.EntryNotFoundError(
        f"{checkpoint.describe()} has no weights: none of {SAFE_WEIGHTS}, {SAFE_INDEX}, {BIN_WEIGHTS}, "
        f"{BIN_INDEX}.{hint} For a model with random weights, use from_config(config)."
    )


def shard_names(checkpoint: Checkpoint, index: str) -> list[str]:
    data = checkpoint.read_json(index, needed_for="sharded loading")
    assert data is not None
    weight_map = data.get("weight_map")
    if not (isinstance(weight_map, dict) and weight_map and all(isinstance(v, str) for v in weight_map.values())):
        raise errors.MalformedFileError(
            f"{checkpoint.name_of(index)}: weight_map must map tensor names to shard file names."
        )
    return list(dict.fromkeys(weight_map.values()))


def first_float_dtype(files: list[WeightsFile]) -> torch.dtype | None:
    for weights in files:
        for key in weights.keys():
            dtype = weights.dtype(key)
            if dtype is not None and dtype.is_floating_point:
                return dtype
    return None


# --- saving ---------------------------------------------------------------------------------------------------


def save_weights(tensors: dict[str, torch.Tensor], directory: Path, safe: bool, max_shard_size: int | str) -> list[Path]:
    """Write ``tensors`` as safetensors (or a weights-only pickle), sharded past ``max_shard_size``."""
    directory.mkdir(parents=True, exist_ok=True)
    shards = list(split_shards(tensors, parse_size(max_shard_size)))
    single, stem, suffix = (SAFE_WEIGHTS, "model", "safetensors") if safe else (BIN_WEIGHTS, "pytorch_model", "bin")
    names = [single] if len(shards) == 1 else [
        f"{stem}-{i:05d}-of-{len(shards):05d}.{suffix}" for i in range(1, len(shards) + 1)
    ]
    written = []
    for name, shard in zip(names, shards):
        written.append(directory / name)
        if safe:
            from safetensors.torch import save_file

            save_file(shard, directory / name, metadata={"format": "pt"})
        else:
            torch.save(shard, directory / name)
    if len(shards) > 1:
        index = directory / (SAFE_INDEX if safe else BIN_INDEX)
        weight_map = {key: name for name, shard in zip(names, shards) for key in shard}
        total = sum(t.numel() * t.element_size() for t in tensors.values())
        index.write_text(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2))
        written.append(index)
    return written


def split_shards(tensors: dict[str, torch.Tensor], limit: int) -> Iterator[dict[str, torch.Tensor]]:
    shard: dict[str, torch.Tensor] = {}
    size = 0
    seen: set[int] = set()
    for key, tensor in tensors.items():
        tensor = tensor.detach()
        if not tensor.is_contiguous() or tensor.data_ptr() in seen:  # safetensors refuses shared memory
            tensor = tensor.contiguous().clone()
        seen.add(tensor.data_ptr())
        nbytes = tensor.numel() * tensor.element_size()
        if shard and size + nbytes > limit:
            yield shard
            shard, size = {}, 0
        shard[key] = tensor
        size += nbytes
    yield shard


def parse_size(size: int | str) -> int:
    """transformers' sizes: an int of bytes, or '5GB' (10**9) / '5GiB' (2**30), 'MB', 'KB'..."""
    if isinstance(size, int):
        return size
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]I?B)\s*", size.upper())
    if not match:
        raise errors.ConfigValueError(f"max_shard_size={size!r}: use bytes or a size like '5GB' or '500MB'.")
    number, unit = float(match.group(1)), match.group(2)
    base = 1024 if "I" in unit else 1000
    return int(number * base ** ("KMG".index(unit[0]) + 1))
