"""Activation functions by transformers' ``ACT2FN`` names, shared by every architecture."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.nn import functional as F

from . import errors

Tensor = torch.Tensor

def gelu_new(x: Tensor) -> Tensor:
    """GELU's tanh approximation written out, as Google's BERT and OpenAI's GPT compute it."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gelu_tanh(x: Tensor) -> Tensor:
    return F.gelu(x, approximate="tanh")


def quick_gelu(x: Tensor) -> Tensor:
    return x * torch.sigmoid(1.702 * x)


def identity(x: Tensor) -> Tensor:
    return x


ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "gelu": F.gelu,
    "gelu_python": F.gelu,  # the erf formula, which F.gelu computes
    "gelu_new": gelu_new,
    "gelu_fast": gelu_tanh,
    "gelu_pytorch_tanh": gelu_tanh,
    "quick_gelu": quick_gelu,
    "relu": F.relu,
    "relu6": F.relu6,
    "silu": F.silu,
    "swish": F.silu,
    "mish": F.mish,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "linear": identity,
}


def activation(name: str, field: str = "hidden_act") -> Callable[[Tensor], Tensor]:
    """The function called ``name``; an unknown one is refused naming the config ``field``."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise errors.ConfigValueError(
            f"{field}={name!r} is not a supported activation. Supported: {', '.join(sorted(ACTIVATIONS))}."
        )
    return ACTIVATIONS[name]
