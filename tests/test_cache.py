"""cache.py: the decoders' key-value cache, with transformers' DynamicCache interface."""

from __future__ import annotations

import types

import pytest
import torch

from explorer import errors
from explorer.cache import DynamicCache, DynamicLayer, DynamicSlidingWindowLayer


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


def test_sliding_window_layer_keeps_its_window_and_counts_every_position():
    layer = DynamicSlidingWindowLayer(sliding_window=4)
    seen = [torch.full((1, 2, 3, 8), float(step)) for step in range(3)]
    returned = [layer.update(chunk, chunk.clone())[0] for chunk in seen]
    assert [r.shape[-2] for r in returned] == [3, 6, 6]  # the new positions and the window before them
    assert layer.keys.shape[-2] == 3 and layer.get_seq_length() == 9
    assert torch.equal(layer.keys, torch.cat(seen, dim=-2)[..., -3:, :])


def test_sliding_window_layer_crops_only_before_its_window_fills():
    layer = DynamicSlidingWindowLayer(sliding_window=8)
    layer.update(torch.zeros(1, 1, 5, 4), torch.zeros(1, 1, 5, 4))
    layer.crop(-2)
    assert layer.get_seq_length() == 3 and layer.keys.shape[-2] == 3
    layer.update(torch.zeros(1, 1, 6, 4), torch.zeros(1, 1, 6, 4))
    with pytest.raises(errors.ConfigValueError, match="seen 9 positions, more than its window of 8"):
        layer.crop(-1)


def test_cache_made_from_a_config_has_a_layer_per_layer_type():
    config = types.SimpleNamespace(layer_types=["full_attention", "sliding_attention"], sliding_window=5)
    cache = DynamicCache(config=config)
    assert [type(layer) for layer in cache.layers] == [DynamicLayer, DynamicSlidingWindowLayer]
    assert cache.layers[1].sliding_window == 5 and len(DynamicCache(config=object()).layers) == 0
