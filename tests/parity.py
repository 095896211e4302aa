"""Parity helpers: tiny random checkpoints saved by transformers, seeded inputs, output comparison tensor by
tensor, and tokenizer encodings compared field by field.

transformers is the oracle: a model saved by it and loaded by explorer (or the reverse) must give the same
outputs within ``ATOL`` in float32, and report the same missing and unexpected keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from explorer.tokenization import BatchEncoding

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


def pixels(height: int = 32, width: int = 32, seed: int = 0, batch: int = 2, channels: int = 3) -> torch.Tensor:
    """Seeded random images, ``(batch, channels, height, width)``."""
    return torch.randn(batch, channels, height, width, generator=torch.Generator().manual_seed(seed))


def run(model: Callable[..., Any], **inputs: Any) -> Any:
    """``model(**inputs)`` without gradients; ``model`` may be a bound method (``model.get_text_features``)."""
    with torch.no_grad():
        return model(**inputs)


def assert_same_outputs(ours: Callable[..., Any], theirs: Callable[..., Any], **inputs: Any) -> tuple[Any, Any]:
    """Equal as output objects (the same fields in the same order), and as the tuples of ``return_dict=False``.
    Returns the two output objects, for checks of their own."""
    our_output, their_output = run(ours, **inputs), run(theirs, **inputs)
    assert field_names(our_output) == field_names(their_output)
    assert_outputs_equal(our_output, their_output)
    our_tuple, their_tuple = run(ours, **inputs, return_dict=False), run(theirs, **inputs, return_dict=False)
    assert isinstance(our_tuple, tuple) and len(our_tuple) == len(their_tuple)
    assert_outputs_equal(dict(enumerate(our_tuple)), dict(enumerate(their_tuple)))
    return our_output, their_output


def field_names(output: Mapping[str, Any]) -> list[str]:
    """The output's field names in order, a nested output's (CLIPOutput's towers) as ``outer.inner``."""
    names = []
    for key, value in output.items():
        names += [f"{key}.{inner}" for inner in field_names(value)] if isinstance(value, Mapping) else [key]
    return names


def assert_outputs_equal(ours: Mapping[str, Any], theirs: Mapping[str, Any], atol: float = ATOL) -> None:
    """Every field transformers returns, ours returns too, equal within ``atol``: tensors, tuples of tensors
    (hidden states, attentions) element by element, and nested outputs (CLIPOutput's towers) field by field.
    Padding positions are compared too."""
    _assert_fields("", ours, theirs, atol)


def _assert_fields(name: str, actual: Mapping[str, Any], expected: Mapping[str, Any], atol: float) -> None:
    prefix = f"{name}: " if name else ""
    missing = set(expected.keys()) - set(actual.keys())
    assert not missing, f"{prefix}fields transformers returns and explorer does not: {sorted(missing)}"
    for key, value in expected.items():
        _assert_close(f"{name}.{key}" if name else str(key), actual[key], value, atol)


def _assert_close(name: str, actual: Any, expected: Any, atol: float) -> None:
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, torch.Tensor), f"{name}: expected a tensor, got {type(actual).__name__}"
        assert actual.shape == expected.shape, f"{name}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
        torch.testing.assert_close(actual, expected, atol=atol, rtol=0, msg=lambda m: f"{name}: {m}")
    elif isinstance(expected, Mapping):
        assert isinstance(actual, Mapping), f"{name}: expected an output, got {type(actual).__name__}"
        _assert_fields(name, actual, expected, atol)
    elif isinstance(expected, (tuple, list)):
        assert len(actual) == len(expected), f"{name}: {len(actual)} items != {len(expected)}"
        for index, (a, e) in enumerate(zip(actual, expected)):
            _assert_close(f"{name}[{index}]", a, e, atol)
    else:
        assert actual == expected, f"{name}: {actual!r} != {expected!r}"


def their_loading_info(transformers_class: type, folder: Path, **kwargs: Any) -> dict[str, set]:
    """The keys transformers reports missing and unexpected loading ``folder`` into ``transformers_class``."""
    _, info = transformers_class.from_pretrained(folder, output_loading_info=True, **kwargs)
    return {"missing": set(info["missing_keys"]), "unexpected": set(info["unexpected_keys"])}


def our_loading_info(model: Any) -> dict[str, set]:
    """The keys explorer's load report lists missing and unexpected, as ``their_loading_info`` gives them."""
    return {"missing": set(model.load_report.missing), "unexpected": set(model.load_report.unexpected)}


# --- tokenizer encodings ----------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Tensors, arrays and tuples as plain lists, to compare values."""
    if hasattr(value, "tolist"):
        return plain(value.tolist())  # an object array (ragged rows) lists arrays
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def assert_same_encoding(ours: BatchEncoding, theirs: Any) -> None:
    """Same fields in the same order, same values and tensor types, same token alignments."""
    assert isinstance(ours, BatchEncoding)
    assert list(ours) == list(theirs)
    for key in theirs:
        assert plain(ours[key]) == plain(theirs[key]), key
        assert type(ours[key]) is type(theirs[key]), key
        assert str(getattr(ours[key], "dtype", None)) == str(getattr(theirs[key], "dtype", None)), key
    assert len(ours.encodings) == len(theirs.encodings)
    for row in range(len(theirs.encodings)):
        assert ours.tokens(row) == theirs.tokens(row)
        assert ours.word_ids(row) == theirs.word_ids(row)
        assert ours.sequence_ids(row) == theirs.sequence_ids(row)
