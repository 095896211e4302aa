"""Weights: find them, read them safely, and fill a model built on the meta device.

The model is built on the meta device (no memory), then each checkpoint tensor, memory-mapped by
safetensors, becomes the parameter itself: the weights are never held twice. ``pytorch_model.bin`` is read
only when no safetensors file exists, and only by ``torch.load(weights_only=True)``. What did not match is
kept on ``model.load_report`` and printed as a short table.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import pickle
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from . import catalog, errors
from .configuration import apply_overrides, read_config_dict
from .hub import Checkpoint, pop_hub_kwargs, refuse_remote_code
from .resolution import open_checkpoint
from .modeling import resolve_dtype, weights_from_checkpoint

if TYPE_CHECKING:
    from .modeling import PreTrainedModel

logger = logging.getLogger("explorer")

SAFE_WEIGHTS = "model.safetensors"
SAFE_INDEX = "model.safetensors.index.json"
BIN_WEIGHTS = "pytorch_model.bin"
BIN_INDEX = "pytorch_model.bin.index.json"
OTHER_FRAMEWORKS = ("tf_model.h5", "flax_model.msgpack", "model.ckpt.index")
SAFETENSORS_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


# --- the load report -----------------------------------------------------------------------------------------


@dataclass
class LoadReport:
    """What did not go from the checkpoint into the model, key by key (model-side names)."""

    model_class: str
    files: list[str] = field(default_factory=list)
    loaded: int = 0
    missing: list[str] = field(default_factory=list)  # in the model, not in the checkpoint: initialised anew
    unexpected: list[str] = field(default_factory=list)  # in the checkpoint, not in the model: dropped
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)  # key, ckpt, model
    random_weights: str = ""  # why every tensor is a seeded random initialisation (a catalog copy), if so

    @property
    def is_clean(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched or self.random_weights)

    def to_loading_info(self) -> dict[str, Any]:
        """transformers' ``output_loading_info=True`` dictionary."""
        return {
            "missing_keys": set(self.missing),
            "unexpected_keys": set(self.unexpected),
            "mismatched_keys": {(key, ckpt, model) for key, ckpt, model in self.mismatched},
            "error_msgs": [],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_class": self.model_class,
            "files": list(self.files),
            "loaded": self.loaded,
            "missing": list(self.missing),
            "unexpected": list(self.unexpected),
            "mismatched": [{"key": k, "checkpoint": list(c), "model": list(m)} for k, c, m in self.mismatched],
            "random_weights": self.random_weights,
        }

    def __str__(self) -> str:
        if self.random_weights:
            return f"{self.model_class} load report: random weights, {self.random_weights}"
        lines = [f"{self.model_class} load report: {self.loaded} tensors loaded from {', '.join(self.files)}"]
        rows = [("missing (newly initialised)", key, "") for key in self.missing]
        rows += [("unexpected (dropped)", key, "") for key in self.unexpected]
        rows += [("mismatched (newly initialised)", key, f"checkpoint {list(c)} vs model {list(m)}")
                 for key, c, m in self.mismatched]
        if not rows:
            return lines[0] + "; nothing missing, unexpected or mismatched."
        width = max(len(key) for _, key, _ in rows)
        lines += [f"  {status:<31} {key:<{width}}  {note}".rstrip() for status, key, note in rows]
        return "\n".join(lines)

    __repr__ = __str__


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


def open_weights(checkpoint: Checkpoint, stage: str) -> list[WeightsFile]:
    """The checkpoint's weight files, safetensors first; records the choice in the trace."""
    for index, single, reader in ((SAFE_INDEX, SAFE_WEIGHTS, SafetensorsFile), (BIN_INDEX, BIN_WEIGHTS, PickleFile)):
        path = checkpoint.get(single)
        if path is not None:
            checkpoint.trace.decide(stage, checkpoint.name_of(single), "", None, "weights read from this file")
            return [reader(path, checkpoint.name_of(single))]
        if checkpoint.has(index):
            shards = shard_names(checkpoint, index)
            checkpoint.trace.decide(stage, checkpoint.name_of(index), "weight_map", f"{len(shards)} shards",
                                    "sharded weights")
            return [reader(checkpoint.require(shard, f"the shard index {index}"), checkpoint.name_of(shard))
                    for shard in shards]
    if checkpoint.folder is not None and (marker := catalog.random_weights(checkpoint.folder)) is not None:
        checkpoint.trace.decide(stage, catalog.RANDOM_WEIGHTS_FILE, "seed", marker.get("seed", 0),
                                "random weights", note=marker.get("note", "a catalog copy without weights"))
        return []
    others = [name for name in OTHER_FRAMEWORKS if checkpoint.has(name)]
    hint = f" It has {', '.join(others)}: only PyTorch weights are supported." if others else ""
    raise errors.EntryNotFoundError(
        f"{checkpoint.describe()} has no weights: none of {SAFE_WEIGHTS}, {SAFE_INDEX}, {BIN_WEIGHTS}, "
        f"{BIN_INDEX}.{hint} For a model with random weights, use from_config(config)."
    )


def shard_names(checkpoint: Checkpoint, index: str) -> list[str]:
    data = checkpoint.read_json(index, needed_for="sharded loading")
    assert data is not None
    weight_map = data.get("weight_map")
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
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


# --- loading a model -----------------------------------------------------------------------------------------


LOAD_ARGUMENTS = ("dtype", "torch_dtype", "ignore_mismatched_sizes", "output_loading_info")


def load_pretrained(model_class: type[PreTrainedModel], reference: Any, **kwargs: Any) -> Any:
    """``model_class.from_pretrained``: config, then weights, then the report."""
    checkpoint = open_checkpoint(reference, **pop_hub_kwargs(kwargs))
    refuse_remote_code(kwargs)
    options = {name: kwargs.pop(name) for name in LOAD_ARGUMENTS if name in kwargs}
    config = kwargs.pop("config", None)
    if config is None:
        config, unused = model_class.config_class.from_checkpoint_dict(
            checkpoint, read_config_dict(checkpoint), return_unused_kwargs=True, **kwargs
        )
    else:
        earlier = config.resolution_trace  # e.g. AutoConfig's, which read config.json
        config = copy.deepcopy(config)
        unused = apply_overrides(config, kwargs)
        if earlier is not None and earlier is not checkpoint.trace:
            checkpoint.trace.merge(earlier)
        config._resolution_trace = checkpoint.trace
    if unused:
        raise errors.UnexpectedArgumentError(
            f"{model_class.__name__}.from_pretrained got {', '.join(sorted(unused))}, which are neither loading "
            f"options nor fields of {type(config).__name__}."
        )
    stage = model_class.__name__
    files = open_weights(checkpoint, stage)
    dtype = choose_dtype(options.get("dtype", options.get("torch_dtype")), config, files)
    with torch.device("meta"), weights_from_checkpoint():
        model = model_class(config)
    check_fits_in_memory(model)
    if any(p.dtype != dtype for p in model.parameters() if p.is_floating_point()):
        model.to(dtype)
    if files:
        report = fill(model, files, dtype, options.get("ignore_mismatched_sizes", False))
        checkpoint.trace.decide(stage, ", ".join(report.files), "", None,
                                f"{report.loaded} tensors into {stage}", note=summary(report))
    else:  # open_weights traced the random-weights marker; "0 tensors, 0 missing" would mislead
        report = fill_random(model, checkpoint)
    config.dtype = dtype
    model.eval()
    model.load_report = report
    if not report.is_clean:
        logger.warning("%s", report)
    return (model, report.to_loading_info()) if options.get("output_loading_info") else model


def check_fits_in_memory(model: PreTrainedModel) -> None:
    """Sizes each within limits can still multiply into a model no machine holds: refuse it while it is only
    on the meta device, before anything is allocated."""
    import os

    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): nothing to compare with
        return
    if memory <= 0:  # sysconf's "unknown"
        return
    needed = sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])
    if needed > memory:
        raise errors.ConfigValueError(
            f"{type(model).__name__} with this config needs {needed / 2**30:,.1f} GiB for its weights, more than "
            f"this machine's {memory / 2**30:,.1f} GiB of memory. Check the sizes in config.json (hidden_size, "
            "vocab_size, num_hidden_layers, intermediate_size...)."
        )


def summary(report: LoadReport) -> str:
    return (f"{len(report.missing)} missing, {len(report.unexpected)} unexpected, "
            f"{len(report.mismatched)} mismatched")


def choose_dtype(requested: Any, config: Any, files: list[WeightsFile]) -> torch.dtype:
    """transformers' rule: 'auto' (the default) takes the config's dtype, else the weights' own."""
    if requested is None or requested == "auto":
        if config.dtype is not None:
            return resolve_dtype(config.dtype)
        return first_float_dtype(files) or torch.get_default_dtype()
    return resolve_dtype(requested)


def fill(model: PreTrainedModel, files: list[WeightsFile], dtype: torch.dtype, ignore_mismatched: bool) -> LoadReport:
    """Move each checkpoint tensor into ``model`` (built on meta), then initialise what is still missing."""
    expected = dict(model.state_dict(keep_vars=True))
    report = LoadReport(type(model).__name__, files=[weights.name for weights in files])
    ignored = [re.compile(pattern) for pattern in model._keys_to_ignore_on_load_unexpected]
    modules = dict(model.named_modules())
    loaded: set[str] = set()
    for weights in files:
        for key in weights.keys():
            target = match_key(key, expected, model)
            if target is None:
                if not any(pattern.search(key) for pattern in ignored):
                    report.unexpected.append(key)
                continue
            shape, wanted = weights.shape(key), tuple(expected[target].shape)
            if shape != wanted:
                if not ignore_mismatched:
                    raise errors.ShapeMismatchError(
                        f"{weights.name}: {key} has shape {list(shape)} but {type(model).__name__} expects "
                        f"{list(wanted)} (from the config). Fix the config, or pass ignore_mismatched_sizes=True "
                        "to initialise this tensor anew (e.g. a classifier for another number of labels)."
                    )
                report.mismatched.append((target, shape, wanted))
                continue
            tensor = weights.tensor(key)
            if tensor.is_floating_point() != expected[target].is_floating_point():
                raise errors.CorruptWeightsError(
                    f"{weights.name}: {key} holds {tensor.dtype} values, but {type(model).__name__} expects "
                    f"{expected[target].dtype}. The file is damaged or not this model's: download or save it again."
                )
            if tensor.is_floating_point() and tensor.dtype != dtype:
                tensor = tensor.to(dtype)
            assign(modules, target, tensor)
            loaded.add(target)
    loaded |= tie_loaded(model, modules, loaded)
    report.loaded = len(loaded)
    report.missing = [key for key in expected if key not in loaded and key not in {m[0] for m in report.mismatched}]
    initialise_missing(model, [key for key in expected if key not in loaded])
    return report


def fill_random(model: PreTrainedModel, checkpoint: Checkpoint) -> LoadReport:
    """A catalog copy without weights: the architecture's initialisation from the marker's seed, the same on
    every load, without disturbing the caller's random state."""
    assert checkpoint.folder is not None
    marker = catalog.random_weights(checkpoint.folder) or {}
    seed = int(marker.get("seed", 0))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        initialise_missing(model, list(model.state_dict()), draws=PooledDraws(seed))
    note = marker.get("note", "a catalog copy of the checkpoint without its weights")
    return LoadReport(type(model).__name__, random_weights=f"seed {seed}: {note}")


class PooledDraws(TorchFunctionMode):
    """``normal_`` and ``uniform_`` served from one seeded pool of draws, each call from its own random offset
    in it, then scaled and shifted: the architecture's initial distributions at the speed of a copy. Drawing
    315M normals one by one takes 1.5 s on two cores, most of switching to a weightless wav2vec2-large copy;
    values then repeat across tensors, which weights that mean nothing can afford. Other random calls (and
    ``nn.init`` functions that dispatch themselves, such as ``kaiming_uniform_``) use torch's seeded generator.
    """

    POOL_SIZE = 1 << 22  # 16 MB per pool, as large as wav2vec2-large's biggest matrix (1024 x 4096)

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.generator = torch.Generator().manual_seed(seed)
        self.pools = {torch.Tensor.normal_: torch.randn(self.POOL_SIZE, generator=self.generator),
                      torch.Tensor.uniform_: torch.rand(self.POOL_SIZE, generator=self.generator)}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func not in self.pools or not (args[0].is_contiguous() and args[0].device.type == "cpu"):
            return func(*args, **kwargs)
        tensor = args[0]  # the methods' self
        first, second = ("mean", "std") if func is torch.Tensor.normal_ else ("from", "to")
        low = args[1] if len(args) > 1 else kwargs.get(first, 0.0)
        high = args[2] if len(args) > 2 else kwargs.get(second, 1.0)
        # normal: pool * std + mean; uniform: pool * (to - from) + from
        scale = high if func is torch.Tensor.normal_ else high - low
        self.fill(tensor, self.pools[func], scale)
        return tensor.add_(low) if low else tensor

    def fill(self, tensor: torch.Tensor, pool: torch.Tensor, scale: float) -> None:
        flat, start, done = tensor.view(-1), int(torch.randint(self.POOL_SIZE, (1,), generator=self.generator)), 0
        while done < flat.numel():  # wraps around the pool for tensors larger than it
            piece = min(flat.numel() - done, self.POOL_SIZE - start)
            torch.mul(pool[start:start + piece], scale, out=flat[done:done + piece])
            done, start = done + piece, 0


def match_key(key: str, expected: dict[str, Any], model: PreTrainedModel) -> str | None:
    """The model's name for a checkpoint key: as is, with legacy spellings fixed, and with the base model's
    prefix added (base checkpoint into a head model) or removed (head checkpoint into a base model)."""
    for pattern, replacement in model._checkpoint_renames:
        key = re.sub(pattern, replacement, key)
    prefix = model.base_model_prefix + "."
    for candidate in (key, prefix + key, key.removeprefix(prefix)):
        if candidate in expected:
            return candidate
    return None


def assign(modules: dict[str, nn.Module], key: str, tensor: torch.Tensor) -> None:
    """Make ``tensor`` the parameter (or buffer) named ``key``, without copying it (``modules``: the
    model's ``named_modules()``, looked up once per load)."""
    module_path, _, name = key.rpartition(".")
    module = modules[module_path]
    if name in module._parameters:
        old = module._parameters[name]
        module._parameters[name] = nn.Parameter(tensor, requires_grad=old is not None and old.requires_grad)
    else:
        module._buffers[name] = tensor


def tie_loaded(model: PreTrainedModel, modules: dict[str, nn.Module], loaded: set[str]) -> set[str]:
    """Tie, symmetrically (a checkpoint may hold either side of a tie); returns the keys now filled."""
    filled = set()
    for target, source in model.tied_weights().items():
        if target in loaded and source not in loaded:
            assign(modules, source, model.get_parameter(target))
        if target in loaded or source in loaded:
            filled |= {target, source}
    model.tie_weights()
    return filled


def initialise_missing(model: PreTrainedModel, missing: list[str], draws: PooledDraws | None = None) -> None:
    """Give the still-empty (meta) tensors memory and the architecture's initialisation, sparing the loaded
    tensors of the same modules; ``draws``, if given, serves the initialisers' random draws."""
    owners = {key.rpartition(".")[0] for key in missing}
    for path in sorted(owners):
        module = model.get_submodule(path)
        # new tensors for every slot (module.to_empty would overwrite loaded tensors' data in place), so the
        # initialisation cannot touch what was loaded; the loaded ones are put back afterwards. torch.empty, not
        # empty_like: empty_like of a meta tensor goes through torch._refs, whose first call imports sympy (0.5 s)
        kept = {name: p for name, p in module._parameters.items() if p is not None and not p.is_meta}
        kept_buffers = {name: b for name, b in module._buffers.items() if b is not None and not b.is_meta}
        for name, parameter in module._parameters.items():
            if parameter is not None:
                module._parameters[name] = nn.Parameter(torch.empty(parameter.shape, dtype=parameter.dtype),
                                                        requires_grad=parameter.requires_grad)
        for name, buffer in module._buffers.items():
            if buffer is not None:
                module._buffers[name] = torch.empty(buffer.shape, dtype=buffer.dtype)
        with torch.no_grad(), draws or contextlib.nullcontext():
            model._init_weights(module)
        module._parameters.update(kept)
        module._buffers.update(kept_buffers)
    model.tie_weights()
    still_empty = [name for name, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if still_empty:
        raise errors.CorruptWeightsError(
            f"{type(model).__name__}: {', '.join(still_empty[:5])} got no values from the checkpoint or the "
            "initialisation; this is a bug in the architecture file."
        )


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
