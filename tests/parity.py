"""Parity helpers: tiny random checkpoints saved by transformers, and output comparison tensor by tensor.

transformers is the oracle: a model saved by it and loaded by explorer (or the reverse) must give the same
outputs within ``ATOL`` in float32.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

ATOL = 1e-5


def tiny_transformers_model(class_name: str, config_class_name: str, folder: Path, seed: int = 0, **config: Any):
    """Build a transformers model from ``config`` with seeded random weights, save it to ``folder``,
    and return it in eval mode."""
    import transformers

    torch.manual_seed(seed)
    config_object = getattr(transformers, config_class_name)(**config)
    model = getattr(transformers, class_name)(config_object).eval()
    randomize_norms_and_biases(model, seed)
    model.save_pretrained(folder)
    return model


def randomize_norms_and_biases(model: torch.nn.Module, seed: int) -> None:
    """Initialisation leaves LayerNorms at 1/0 and biases at 0: perturb them so a swapped or forgotten
    parameter shows in the outputs."""
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name:
                parameter.add_(0.1 * torch.randn(parameter.shape, generator=generator))


def padded_batch(vocab_size: int, lengths: tuple[int, ...] = (9, 5, 7), pad_id: int = 0, seed: int = 0,
                 type_vocab_size: int | None = 2) -> dict[str, torch.Tensor]:
    """A right-padded batch of random ids (ids avoid ``pad_id``), its mask, and token types if asked."""
    generator = torch.Generator().manual_seed(seed)
    width = max(lengths)
    ids = torch.randint(pad_id + 1, vocab_size, (len(lengths), width), generator=generator)
    mask = torch.zeros(len(lengths), width, dtype=torch.long)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1
    ids = ids.masked_fill(mask == 0, pad_id)
    batch = {"input_ids": ids, "attention_mask": mask}
    if type_vocab_size:
        types = torch.randint(0, type_vocab_size, ids.shape, generator=generator)
        batch["token_type_ids"] = types * mask
    return batch


def assert_outputs_equal(ours: Mapping[str, Any], theirs: Mapping[str, Any], atol: float = ATOL) -> None:
    """Every field transformers returns, ours returns too, equal within ``atol``: tensors, and tuples of
    tensors (hidden states, attentions) element by element. Padding positions are compared too."""
    missing = set(theirs.keys()) - set(ours.keys())
    assert not missing, f"fields transformers returns and explorer does not: {sorted(missing)}"
    for name, expected in theirs.items():
        _assert_close(name, ours[name], expected, atol)


def _assert_close(name: str, actual: Any, expected: Any, atol: float) -> None:
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, torch.Tensor), f"{name}: expected a tensor, got {type(actual).__name__}"
        assert actual.shape == expected.shape, f"{name}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
        torch.testing.assert_close(actual, expected, atol=atol, rtol=0, msg=lambda m: f"{name}: {m}")
    elif isinstance(expected, (tuple, list)):
        assert len(actual) == len(expected), f"{name}: {len(actual)} items != {len(expected)}"
        for index, (a, e) in enumerate(zip(actual, expected)):
            _assert_close(f"{name}[{index}]", a, e, atol)
    else:
        assert actual == expected, f"{name}: {actual!r} != {expected!r}"
