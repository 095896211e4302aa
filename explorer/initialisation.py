"""Initialising weights: torch's initialisers stood down while the loader builds a model to fill, the
architecture's initialisation for what the checkpoint did not fill, and a seeded, pooled initialisation for a
checkpoint without weights (a catalog copy).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from . import errors

# Set by the loader while it builds a model on the meta device: initialising weights that the checkpoint
# replaces is wasted work (and random init of meta tensors costs seconds of torch's first-use setup).
SKIP_INIT: ContextVar[bool] = ContextVar("SKIP_INIT", default=False)


# torch's own initialisers, which layers' constructors call (nn.Linear: kaiming_uniform_, nn.Embedding: normal_...)
TORCH_INITIALISERS = [name for name in vars(nn.init) if name.endswith("_") and not name.startswith("_")]


def _leave_as_is(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    return tensor


@contextlib.contextmanager
def weights_from_checkpoint() -> Iterator[None]:
    """Build models without initialising their weights: the loader fills them. Like transformers'
    ``no_init_weights``, torch's initialisers are stood down meanwhile, as layers' constructors call them."""
    token = SKIP_INIT.set(True)
    saved = {name: getattr(nn.init, name) for name in TORCH_INITIALISERS}
    for name in saved:
        setattr(nn.init, name, _leave_as_is)
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(nn.init, name, function)
        SKIP_INIT.reset(token)


def initialise_missing(model: nn.Module, missing: list[str], draws: PooledDraws | None = None) -> None:
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


def initialise_from_seed(model: nn.Module, seed: int) -> None:
    """Every tensor of ``model`` (built on meta) from the architecture's initialisation and ``seed``: the same
    on every call, without disturbing the caller's random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        initialise_missing(model, list(model.state_dict()), draws=PooledDraws(seed))


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
        self.fill(tensor, self.pool(func, tensor.dtype), scale)
        return tensor.add_(low) if low else tensor

    def pool(self, func: Any, dtype: torch.dtype) -> torch.Tensor:
        """The draws in the tensor's dtype, converted once: a float32 pool multiplied into a bfloat16 tensor
        takes torch's slow mixed-dtype path (2.8 s of a 0.5B bfloat16 copy's 3.2 s load)."""
        if (func, dtype) not in self.pools:
            self.pools[func, dtype] = self.pools[func].to(dtype)
        return self.pools[func, dtype]

    def fill(self, tensor: torch.Tensor, pool: torch.Tensor, scale: float) -> None:
        flat, start, done = tensor.view(-1), int(torch.randint(self.POOL_SIZE, (1,), generator=self.generator)), 0
        while done < flat.numel():  # wraps around the pool for tensors larger than it
            piece = min(flat.numel() - done, self.POOL_SIZE - start)
            torch.mul(pool[start:start + piece], scale, out=flat[done:done + piece])
            done, start = done + piece, 0
