"""cache.py: the decoders' key-value cache, with transformers' DynamicCache interface."""

from __future__ import annotations

import pytest
import torch

from explorer import errors
from explorer.cache import DynamicCache


def states(batch: int, positions: int, start: float = 0.0) -> torch.Tensor:
    return torch.arange(batch * 2 * positions * 3, dtype=torch.float32).reshape(batch, 2, positions, 3) + start


def test_update_appends_and_returns_everything_seen():
    cache = DynamicCache()
    assert cache.get_seq_length() == 0 and len(cache) == 0
    keys, values = cache.update(states(1, 4), states(1, 4, 100), layer_idx=0)
    assert keys.shape == (1, 2, 4, 3)
    keys, values = cache.update(states(1, 1, 50), states(1, 1, 150), layer_idx=0)
    assert keys.shape == (1, 2, 5, 3) and torch.equal(keys[:, :, 4:], states(1, 1, 50))
    assert torch.equal(values[:, :, :4], states(1, 4, 100))
    cache.update(states(1, 5), states(1, 5), layer_idx=1)
    assert len(cache) == 2 and cache.get_seq_length() == 5 and cache.get_seq_length(1) == 5
    assert [k.shape[-2] for k, _ in cache] == [5, 5] and cache.layers[1].values.shape == (1, 2, 5, 3)


def test_crop_takes_a_negative_count_as_transformers_v5():
    cache = DynamicCache()
    cache.update(states(1, 6), states(1, 6), layer_idx=0)
    cache.crop(-2)
    assert cache.get_seq_length() == 4
    with pytest.raises(errors.ConfigValueError, match="negative"):
        cache.crop(3)


def test_batch_operations():
    cache = DynamicCache()
    cache.update(states(2, 3), states(2, 3), layer_idx=0)
    first, second = cache.layers[0].keys.clone()
    cache.batch_repeat_interleave(2)
    keys = cache.layers[0].keys
    assert keys.shape[0] == 4 and torch.equal(keys[1], first) and torch.equal(keys[2], second)
    cache.batch_select_indices(torch.tensor([3]))
    assert torch.equal(cache.layers[0].keys[0], second)
    cache.reorder_cache(torch.tensor([0, 0]))
    assert cache.layers[0].keys.shape[0] == 2
