"""``BatchFeature``: what preprocessing returns. A dict (``pixel_values``, ``input_ids``...) also readable as
attributes, whose values become ``'pt'`` or ``'np'`` tensors on request and move with ``.to(device)``.
Tokenizers return its subclass ``BatchEncoding``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from . import errors

# how a batch of rows of different lengths is padded (tokenizers and feature extractors): transformers' names
PADDING_STRATEGIES = ("longest", "max_length", "do_not_pad")


def is_tensor(value: Any) -> bool:
    """A torch tensor, checked without importing torch (it is one only if torch is already imported)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


class BatchFeature(dict):
    # raised, and said, when rows cannot stack into one tensor; subclasses name their own
    input_error: type[errors.InputError] = errors.InputError
    ragged_hint = "Rows of different lengths need padding to stack into one tensor."

    def __init__(self, data: Mapping[str, Any] | None = None, tensor_type: str | None = None,
                 prepend_batch_axis: bool = False) -> None:
        super().__init__(data or {})
        self.convert_to_tensors(tensor_type, prepend_batch_axis)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("__") and name in self:
            return super().__getitem__(name)
        raise AttributeError(f"{type(self).__name__} has no field or attribute {name!r}")

    def convert_to_tensors(self, tensor_type: str | None = None, prepend_batch_axis: bool = False) -> BatchFeature:
        """Turn the lists into ``'pt'`` (torch) or ``'np'`` (numpy) arrays; None leaves them as lists."""
        if tensor_type is None:
            return self
        functions = _tensor_functions(tensor_type)
        if functions is None:
            raise self.input_error(f"return_tensors={tensor_type!r} is not supported; use 'pt', 'np' or None.")
        as_tensor, is_tensor = functions
        for key, value in self.items():
            if prepend_batch_axis:
                value = [value]
            if is_tensor(value):
                continue
            try:
                self[key] = as_tensor(value)
            except (ValueError, TypeError) as exc:
                raise self.input_error(f"Could not make a tensor of {key!r} ({exc}). {self.ragged_hint}") from None
        return self

    def to(self, *args: Any, **kwargs: Any) -> BatchFeature:
        """``.to(device)`` moves every tensor; a dtype (``.to(torch.float16)``) casts only the floating ones,
        so ids and masks stay integers (as transformers). Returns self."""
        import torch

        casts = any(isinstance(arg, torch.dtype) for arg in args) or "dtype" in kwargs
        for key, value in self.items():
            if torch.is_tensor(value) and (value.is_floating_point() or not casts):
                self[key] = value.to(*args, **kwargs)
        return self


def _tensor_functions(tensor_type: Any) -> tuple[Callable[[Any], Any], Callable[[Any], bool]] | None:
    """(make a tensor, is a tensor) for 'pt' or 'np'; None for anything else."""
    kind = getattr(tensor_type, "value", tensor_type)  # also accepts transformers' TensorType
    if kind == "pt":
        import torch

        def as_torch(value: Any) -> Any:
            if isinstance(value, list) and value and type(value[0]).__name__ == "ndarray":
                import numpy as np

                return torch.from_numpy(np.array(value))
            return torch.tensor(value, dtype=torch.int64 if _is_empty(value) else None)

        return as_torch, torch.is_tensor
    if kind == "np":
        import numpy as np

        def as_numpy(value: Any) -> Any:
            if _is_ragged(value):
                rows = np.empty(len(value), dtype=object)  # one array per row, as transformers
                rows[:] = [np.asarray(row) for row in value]
                return rows
            return np.asarray(value, dtype=np.int64 if _is_empty(value) else None)

        return as_numpy, lambda value: isinstance(value, np.ndarray)
    return None


def _is_empty(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_empty(item) for item in value)
    return False


def _is_ragged(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and isinstance(value[0], (list, tuple))
        and len({len(row) for row in value}) > 1
    )
