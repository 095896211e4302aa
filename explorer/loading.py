"""Loading a model: ``from_pretrained``'s config, a model built on the meta device, filled from the weight
files, and the report of what did not match.

The model is built on the meta device (no memory), then each checkpoint tensor, memory-mapped by
safetensors, becomes the parameter itself: the weights are never held twice. What the checkpoint did not fill
gets the architecture's initialisation; what did not match is kept on ``model.load_report`` and printed as a
short table. A catalog copy without weights has a marker file instead (:data:`RANDOM_WEIGHTS_FILE`): its model
is initialised from the marker's seed, and its report says so.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from . import errors
from .configuration import apply_overrides, read_config_dict
from .generation.configuration import read_generation_config
from .hub import Checkpoint, pop_hub_kwargs, refuse_remote_code
from .initialisation import initialise_from_seed, initialise_missing, weights_from_checkpoint
from .resolution import open_checkpoint
from .weights import WeightsFile, first_float_dtype, no_weights_error, open_weights

logger = logging.getLogger(__name__)

LOAD_ARGUMENTS = ("dtype", "torch_dtype", "ignore_mismatched_sizes", "output_loading_info")

# The marker file of a weightless copy: {"weights": "random", "seed": int, "note": str}
RANDOM_WEIGHTS_FILE = "explorer_random_weights.json"


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


def summary(report: LoadReport) -> str:
    return (f"{len(report.missing)} missing, {len(report.unexpected)} unexpected, "
            f"{len(report.mismatched)} mismatched")


# --- loading a model -----------------------------------------------------------------------------------------


def load_pretrained(model_class: type[nn.Module], reference: Any, **kwargs: Any) -> Any:
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
    marker = None if files else require_random_weights(checkpoint, stage)
    dtype = choose_dtype(options.get("dtype", options.get("torch_dtype")), config, files)
    with torch.device("meta"), weights_from_checkpoint():
        model = model_class(config)
    check_fits_in_memory(model)
    if any(p.dtype != dtype for p in model.parameters() if p.is_floating_point()):
        model.to(dtype)
    if marker is None:
        report = fill(model, files, dtype, options.get("ignore_mismatched_sizes", False))
        checkpoint.trace.decide(stage, ", ".join(report.files), "", None,
                                f"{report.loaded} tensors into {stage}", note=summary(report))
    else:  # the marker is traced already; "0 tensors, 0 missing" would mislead
        report = fill_random(model, marker)
    config.dtype = dtype
    model.eval()
    model.load_report = report
    if model.can_generate():
        model.generation_config = read_generation_config(checkpoint, model.generation_config)
    if not report.is_clean:
        logger.warning("%s", report)
    return (model, report.to_loading_info()) if options.get("output_loading_info") else model


def check_fits_in_memory(model: nn.Module) -> None:
    """Sizes each within limits can still multiply into a model no machine holds: refuse it while it is only
    on the meta device, before anything is allocated."""
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


# --- dtypes --------------------------------------------------------------------------------------------------


def resolve_dtype(dtype: torch.dtype | str) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    resolved = getattr(torch, str(dtype).removeprefix("torch."), None)
    if not isinstance(resolved, torch.dtype):
        raise errors.ConfigValueError(
            f"dtype={dtype!r} is not a torch dtype. Use e.g. torch.float32, 'float16', 'bfloat16' or 'auto'."
        )
    return resolved


def choose_dtype(requested: Any, config: Any, files: list[WeightsFile]) -> torch.dtype:
    """transformers' rule: 'auto' (the default) takes the config's dtype, else the weights' own."""
    if requested is None or requested == "auto":
        if config.dtype is not None:
            return resolve_dtype(config.dtype)
        return first_float_dtype(files) or torch.get_default_dtype()
    return resolve_dtype(requested)


# --- random weights (a catalog copy) -------------------------------------------------------------------------


def read_random_weights(checkpoint: Checkpoint) -> dict[str, Any] | None:
    """The checkpoint's random-weights marker (its seed defaulting to 0), or None when it has none (or one whose
    ``weights`` is not ``"random"``). Read through the checkpoint like any of its files, so its guards (links
    out, sizes) hold."""
    marker = checkpoint.read_json(RANDOM_WEIGHTS_FILE)
    if marker is None or marker.get("weights") != "random":
        return None
    seed, note = marker.get("seed", 0), marker.get("note", "")
    seed_ok = isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**64  # torch's seeds
    if not (seed_ok and isinstance(note, str)):
        raise errors.MalformedFileError(
            f"{checkpoint.name_of(RANDOM_WEIGHTS_FILE)}: seed must be an integer from 0 to 2**64 - 1 and note a "
            f"string, got seed={seed!r}, note={note!r}. Remake the catalog copy, or delete the file."
        )
    return {**marker, "seed": seed}


def require_random_weights(checkpoint: Checkpoint, stage: str) -> dict[str, Any]:
    """For a checkpoint without weight files: its random-weights marker, recorded in the trace; without one,
    the error naming the weight files looked for."""
    marker = read_random_weights(checkpoint)
    if marker is None:
        raise no_weights_error(checkpoint)
    checkpoint.trace.decide(stage, checkpoint.name_of(RANDOM_WEIGHTS_FILE), "seed", marker["seed"],
                            "random weights", note=marker.get("note", "a catalog copy without weights"))
    return marker


def fill_random(model: nn.Module, marker: dict[str, Any]) -> LoadReport:
    """A catalog copy without weights: the architecture's initialisation from the marker's seed, the same on
    every load, without disturbing the caller's random state."""
    initialise_from_seed(model, marker["seed"])
    note = marker.get("note", "a catalog copy of the checkpoint without its weights")
    return LoadReport(type(model).__name__, random_weights=f"seed {marker['seed']}: {note}")


# --- filling a model -----------------------------------------------------------------------------------------


def fill(model: nn.Module, files: list[WeightsFile], dtype: torch.dtype, ignore_mismatched: bool) -> LoadReport:
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


def match_key(key: str, expected: dict[str, Any], model: nn.Module) -> str | None:
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


def tie_loaded(model: nn.Module, modules: dict[str, nn.Module], loaded: set[str]) -> set[str]:
    """Tie, symmetrically (a checkpoint may hold either side of a tie); returns the keys now filled."""
    filled = set()
    for target, source in model.tied_weights().items():
        if target in loaded and source not in loaded:
            assign(modules, source, model.get_parameter(target))
        if target in loaded or source in loaded:
            filled |= {target, source}
    model.tie_weights()
    return filled
