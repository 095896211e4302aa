"""The key-value cache of decoders: what each attention layer has seen, so that a next token attends to the
past without computing it again.

:class:`DynamicCache` has transformers' interface where user code and ``generate`` read it: one layer object
per attention layer (``cache.layers[i].keys`` / ``.values``, each ``[batch, kv_heads, seen, head_dim]``),
``update`` (append and return everything seen), ``get_seq_length``, ``crop`` (transformers v5: a negative
count of tokens to drop), and the batch operations sampling with several sequences needs. Built with the model's
config (``DynamicCache(config=config)``, as the decoders do), a sliding-window layer (``layer_types``) keeps only
the positions its next token may still see, as transformers' ``DynamicSlidingWindowLayer``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from . import errors


class DynamicLayer:
    """One attention layer's cached keys and values, grown by concatenation; empty until the first update."""

    def __init__(self) -> None:
        self.keys: torch.Tensor | None = None
        self.values: torch.Tensor | None = None

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append the new positions' keys and values; return all of them (the past and the new)."""
        if self.keys is None:
            self.keys, self.values = key_states, value_states
        else:
            self.keys = torch.cat([self.keys, key_states], dim=-2)
            self.values = torch.cat([self.values, value_states], dim=-2)
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return 0 if self.keys is None else self.keys.shape[-2]

    def crop(self, tokens_to_remove: int) -> None:
        if self.keys is not None and tokens_to_remove:
            self.keys, self.values = self.keys[..., :tokens_to_remove, :], self.values[..., :tokens_to_remove, :]

    def select(self, rows: torch.Tensor) -> None:
        """Keep (or repeat, or reorder) the batch rows ``rows``."""
        if self.keys is not None:
            self.keys, self.values = self.keys[rows], self.values[rows]


class DynamicSlidingWindowLayer(DynamicLayer):
    """A sliding-window layer's keys and values: the last ``sliding_window - 1`` positions are kept, all a next
    token may attend to; ``update`` still returns the new positions with those before them, and
    ``get_seq_length`` counts every position seen (the model's position, not the cache's size)."""

    def __init__(self, sliding_window: int) -> None:
        super().__init__()
        self.sliding_window = sliding_window
        self.cumulative_length = 0

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.cumulative_length += key_states.shape[-2]
        keys, values = super().update(key_states, value_states)
        kept = slice(-self.sliding_window + 1, None)  # as transformers slices (a window of 1 keeps everything)
        self.keys, self.values = keys[..., kept, :], values[..., kept, :]
        return keys, values

    def get_seq_length(self) -> int:
        return self.cumulative_length

    def crop(self, tokens_to_remove: int) -> None:
        if self.cumulative_length >= self.sliding_window:
            raise errors.ConfigValueError(
                f"crop({tokens_to_remove}): this sliding-window layer has seen {self.cumulative_length} positions, "
                f"more than its window of {self.sliding_window}, and no longer holds the earlier ones. Crop before "
                "the window fills, or run the model again on the tokens you keep."
            )
        super().crop(tokens_to_remove)
        self.cumulative_length = 0 if self.keys is None else self.keys.shape[-2]


def layers_for(config: Any) -> list[DynamicLayer]:
    """One cache layer per decoder layer, by the config's ``layer_types`` (none: made as layers update)."""
    kinds = getattr(config, "layer_types", None) or ()
    return [DynamicSlidingWindowLayer(config.sliding_window) if kind == "sliding_attention" else DynamicLayer()
            for kind in kinds]


class DynamicCache:
    """The cache of a whole decoder: a layer object per attention layer, made from the config's layer types
    or as layers first update."""

    def __init__(self, config: Any = None) -> None:
        self.layers: list[DynamicLayer] = [] if config is None else layers_for(config)

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, layer_idx: int,
               cache_kwargs: dict | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Layer ``layer_idx``'s keys and values with the new ones appended (transformers' signature)."""
        while len(self.layers) <= layer_idx:
            self.layers.append(DynamicLayer())
        return self.layers[layer_idx].update(key_states, value_states)

    def get_seq_length(self, layer_idx: int = 0) -> int:
        """How many positions the cache holds (0 before the first forward)."""
        return self.layers[layer_idx].get_seq_length() if layer_idx < len(self.layers) else 0

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[tuple[torch.Tensor | None, torch.Tensor | None]]:
        return ((layer.keys, layer.values) for layer in self.layers)

    def __repr__(self) -> str:
        return f"DynamicCache({len(self.layers)} layers, {self.get_seq_length()} positions)"

    def crop(self, tokens_to_remove: int) -> None:
        """Drop the last ``-tokens_to_remove`` positions (transformers v5 takes a negative count)."""
        if tokens_to_remove > 0:
            raise errors.ConfigValueError(
                f"crop({tokens_to_remove}): pass a negative number, the count of positions to remove from the end."
            )
        for layer in self.layers:
            layer.crop(tokens_to_remove)

    def batch_repeat_interleave(self, repeats: int) -> None:
        """Each row ``repeats`` times in a row (``num_return_sequences``)."""
        for layer in self.layers:
            if layer.keys is not None:
                layer.select(torch.arange(layer.keys.shape[0]).repeat_interleave(repeats))

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        for layer in self.layers:
            layer.select(indices)

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        for layer in self.layers:
            layer.select(beam_idx)
