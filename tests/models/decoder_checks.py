"""Checks shared by the decoder tests (test_llama.py, test_qwen2.py): each ``check_*`` takes a :class:`Decoder`
(one architecture's classes on both sides and its tiny config) and compares explorer with transformers on a
left-padded batch: every head in both loading directions, eager attention (weights returned) and SDPA, losses,
the key-value cache, and the load report across heads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
import transformers

from parity import assert_outputs_equal, assert_same_outputs, randomize_norms_and_biases, run, tiny_transformers_model

VOCAB, LAYERS, HEADS = 99, 2, 4
TINY = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
        "num_key_value_heads": 2, "vocab_size": VOCAB, "max_position_embeddings": 64, "pad_token_id": 0}
SUFFIXES = ("Model", "ForCausalLM", "ForSequenceClassification")


@dataclass(frozen=True)
class Decoder:
    """One decoder architecture's classes on both sides and its tiny test config."""

    name: str  # the class-name prefix: "Llama", "Qwen2"
    module: ModuleType
    config: dict[str, Any] = field(default_factory=lambda: dict(TINY))

    def ours(self, suffix: str) -> type:
        return getattr(self.module, self.name + suffix)

    def theirs(self, suffix: str) -> type:
        return getattr(transformers, self.name + suffix)

    def our_config(self, **overrides: Any) -> Any:
        return getattr(self.module, self.name + "Config")(**{**self.config, **overrides})

    def save_theirs(self, suffix: str, folder: Path, **overrides: Any) -> Any:
        return tiny_transformers_model(self.name + suffix, self.name + "Config", folder, **{**self.config, **overrides})


def left_padded_batch(lengths: tuple[int, ...] = (9, 5, 7), pad_id: int = 0, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random ids padded on the left (as decoders are batched for generation), and the mask."""
    generator = torch.Generator().manual_seed(seed)
    width = max(lengths)
    ids = torch.randint(pad_id + 1, VOCAB, (len(lengths), width), generator=generator)
    mask = torch.zeros(len(lengths), width, dtype=torch.long)
    for row, length in enumerate(lengths):
        mask[row, width - length:] = 1
    return {"input_ids": ids.masked_fill(mask == 0, pad_id), "attention_mask": mask}


def use_attention(model: Any, with_weights: bool) -> None:
    """transformers' SDPA returns no attention weights: eager when they are compared."""
    model.set_attn_implementation("eager" if with_weights else "sdpa")


def check_forward(decoder: Decoder, suffix: str, folder: Path, with_weights: bool, **overrides: Any) -> None:
    """Same outputs (object and tuple) on a left-padded batch, padding positions included."""
    theirs = decoder.save_theirs(suffix, folder, **overrides)
    ours = decoder.ours(suffix).from_pretrained(folder)
    assert ours.load_report.is_clean and not ours.training
    use_attention(theirs, with_weights)
    inputs = {**left_padded_batch(), "use_cache": False, "output_hidden_states": with_weights,
              "output_attentions": with_weights}
    if with_weights:
        expected = run(theirs, **inputs)
        layers = ours.config.num_hidden_layers
        assert len(expected["hidden_states"]) == layers + 1 and len(expected["attentions"]) == layers
    assert_same_outputs(ours, theirs, **inputs)


def check_saved_by_explorer(decoder: Decoder, suffix: str, folder: Path, **overrides: Any) -> None:
    """explorer saves, transformers loads every tensor and computes the same outputs."""
    torch.manual_seed(0)
    ours = decoder.ours(suffix).from_config(decoder.our_config(**overrides))
    randomize_norms_and_biases(ours, seed=0)
    ours.save_pretrained(folder)
    theirs, info = decoder.theirs(suffix).from_pretrained(folder, output_loading_info=True)
    assert not (info["missing_keys"] or info["unexpected_keys"] or info["mismatched_keys"]), info
    use_attention(theirs.eval(), with_weights=True)
    assert_same_outputs(ours, theirs, **left_padded_batch(), use_cache=False, output_hidden_states=True,
                        output_attentions=True)


def label_cases() -> dict[str, tuple[str, dict[str, Any], dict[str, torch.Tensor]]]:
    """id -> (class suffix, config overrides, label arguments) for the left-padded batch."""
    generator = torch.Generator().manual_seed(3)
    batch = left_padded_batch()
    rows = batch["input_ids"].shape[0]
    return {
        "causal-lm": ("ForCausalLM", {}, {"labels": batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)}),
        "regression": ("ForSequenceClassification", {"num_labels": 1},
                       {"labels": torch.randn(rows, generator=generator)}),
        "single-label": ("ForSequenceClassification", {"num_labels": 3}, {"labels": torch.tensor([2, 0, 1])}),
        "multi-label": ("ForSequenceClassification", {"num_labels": 3},
                        {"labels": torch.randint(0, 2, (rows, 3), generator=generator).float()}),
    }


LABEL_CASES = tuple(label_cases())


def check_loss(decoder: Decoder, case: str, folder: Path) -> None:
    suffix, overrides, labels = label_cases()[case]
    theirs = decoder.save_theirs(suffix, folder, **overrides)
    ours = decoder.ours(suffix).from_pretrained(folder)
    inputs = {**left_padded_batch(), **labels, "use_cache": False}
    assert run(theirs, **inputs)["loss"].isfinite()
    assert_same_outputs(ours, theirs, **inputs)
    assert ours.config.problem_type == theirs.config.problem_type


def assert_same_cache(ours: Any, theirs: Any) -> None:
    """The same keys and values, layer by layer (a sliding-window layer's: the window), the same length."""
    assert len(ours.layers) == len(theirs.layers) and ours.get_seq_length() == theirs.get_seq_length()
    for mine, reference in zip(ours.layers, theirs.layers):
        torch.testing.assert_close(mine.keys, reference.keys, atol=1e-5, rtol=0)
        torch.testing.assert_close(mine.values, reference.values, atol=1e-5, rtol=0)


def check_cache(decoder: Decoder, folder: Path, **overrides: Any) -> None:
    """A prompt, then two steps fed one at a time through the returned cache: the logits transformers
    computes the same way, and those of one uncached forward over everything."""
    theirs = decoder.save_theirs("ForCausalLM", folder, **overrides)
    ours = decoder.ours("ForCausalLM").from_pretrained(folder)
    use_attention(theirs, with_weights=False)
    batch = left_padded_batch()
    ids, mask = batch["input_ids"], batch["attention_mask"]
    steps = torch.tensor([[5], [6], [7]]), torch.tensor([[8], [9], [10]])
    full_ids = torch.cat([ids, *steps], dim=1)
    full_mask = torch.cat([mask, torch.ones(3, 2, dtype=torch.long)], dim=1)
    uncached = run(ours, input_ids=full_ids, attention_mask=full_mask, use_cache=False).logits
    our_step, their_step = run(ours, **batch), run(theirs, **batch)
    assert our_step.cache is not None and our_step.past_key_values is our_step.cache
    for index, step in enumerate(steps):
        assert_same_cache(our_step.cache, their_step.cache)
        step_mask = full_mask[:, : ids.shape[1] + index + 1]
        our_step = run(ours, input_ids=step, attention_mask=step_mask, cache=our_step.cache)
        their_step = run(theirs, input_ids=step, attention_mask=step_mask, cache=their_step.cache)
        torch.testing.assert_close(our_step.logits, their_step.logits, atol=1e-5, rtol=0)
        torch.testing.assert_close(our_step.logits[:, 0], uncached[:, ids.shape[1] + index], atol=1e-5, rtol=0)
    assert our_step.cache.get_seq_length() == full_ids.shape[1]


def check_report_across_heads(decoder: Decoder, tmp_path: Path) -> None:
    """A base checkpoint into each head and each head's checkpoint into the base model: the same missing and
    unexpected keys as transformers reports."""
    decoder.save_theirs("Model", tmp_path / "Model")
    for suffix in SUFFIXES[1:]:
        decoder.save_theirs(suffix, tmp_path / suffix)
        for model_suffix, folder in ((suffix, tmp_path / "Model"), ("Model", tmp_path / suffix)):
            ours = decoder.ours(model_suffix).from_pretrained(folder)
            _, info = decoder.theirs(model_suffix).from_pretrained(folder, output_loading_info=True)
            assert set(ours.load_report.missing) == info["missing_keys"], (model_suffix, folder.name)
            assert set(ours.load_report.unexpected) == info["unexpected_keys"], (model_suffix, folder.name)
    # the classifier is in no other checkpoint (a tied lm_head is the embeddings, saved once)
    assert decoder.ours("ForSequenceClassification").from_pretrained(tmp_path / "Model").load_report.missing
    assert decoder.ours("Model").from_pretrained(tmp_path / "ForSequenceClassification").load_report.unexpected


def check_config_defaults(decoder: Decoder) -> None:
    ours = getattr(decoder.module, decoder.name + "Config")().to_dict()
    theirs = getattr(transformers, decoder.name + "Config")().to_dict()
    for key in theirs.keys() - {"transformers_version", "_name_or_path", "output_attentions"}:
        assert ours[key] == theirs[key], key


def check_same_logits(decoder: Decoder, folder: Path, inputs: dict[str, Any], **overrides: Any) -> None:
    """The causal LM's outputs on ``inputs`` (without a cache), eager and SDPA."""
    theirs = decoder.save_theirs("ForCausalLM", folder, **overrides)
    ours = decoder.ours("ForCausalLM").from_pretrained(folder)
    for with_weights in (True, False):
        use_attention(theirs, with_weights)
        flags = {"use_cache": False, "output_attentions": with_weights}
        assert_outputs_equal(run(ours, **inputs, **flags), run(theirs, **inputs, **flags))
