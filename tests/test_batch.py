"""batch.py: BatchFeature as dict and attributes, tensor conversion, and its errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer import errors
from explorer.batch import BatchFeature


def test_fields_read_as_keys_and_attributes():
    batch = BatchFeature({"pixel_values": [[1.0, 2.0]]})
    assert batch.pixel_values is batch["pixel_values"]
    with pytest.raises(AttributeError, match="no field or attribute 'input_values'"):
        batch.input_values


@pytest.mark.parametrize("kind, check", [("pt", torch.is_tensor), ("np", lambda v: isinstance(v, np.ndarray))])
def test_conversion(kind, check):
    batch = BatchFeature({"input_values": [[0.5, 0.25], [1.0, 2.0]]}, tensor_type=kind)
    assert check(batch.input_values) and tuple(batch.input_values.shape) == (2, 2)


def test_to_casts_floating_tensors_only_and_moves_all():
    batch = BatchFeature({"pixel_values": torch.ones(1, 3), "mask": torch.ones(1, 3, dtype=torch.long), "sizes": [3]})
    batch.to(torch.float64)
    assert batch.pixel_values.dtype == torch.float64 and batch.mask.dtype == torch.long and batch.sizes == [3]
    assert batch.to("cpu").mask.device.type == "cpu"


def test_rows_that_cannot_stack_and_unknown_kinds_are_input_errors():
    with pytest.raises(errors.InputError, match="'input_values'.*need padding"):
        BatchFeature({"input_values": [[1.0], [1.0, 2.0]]}, tensor_type="pt")
    with pytest.raises(errors.InputError, match="return_tensors='tf'"):
        BatchFeature({"x": [1]}, tensor_type="tf")
