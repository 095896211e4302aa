"""Checks shared by the BERT-family tests: each ``check_*`` takes a :class:`Family` (one architecture's classes
on both sides and its tiny config), so test_bert.py and test_roberta.py run the same checks against
transformers: every head in both loading directions, losses, the load report across heads, head masks,
pruning, resizing, and the config."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch
import transformers

from explorer import errors
from explorer.models import bert
from parity import (
    assert_outputs_equal,
    assert_same_outputs,
    padded_batch,
    randomize_norms_and_biases,
    run,
    tiny_transformers_model,
)

VOCAB = 99
LAYERS, HEADS = 2, 4
TINY = {"hidden_size": 32, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": 37,
        "vocab_size": VOCAB, "max_position_embeddings": 64}
SUFFIXES = ("Model", "ForMaskedLM", "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering")
PRUNED = {0: [1, 2], 1: [0]}


@dataclass(frozen=True)
class Family:
    """One architecture's classes on both sides and its tiny test config."""

    name: str  # the class-name prefix: "Bert", "Roberta", "XLMRoberta"
    module: ModuleType  # explorer's architecture file
    config: dict[str, Any] = field(default_factory=lambda: dict(TINY))
    pad_id: int = 0
    type_vocab_size: int | None = 2  # token types in the batch, None for none

    def ours(self, suffix: str) -> type:
        return getattr(self.module, self.name + suffix)

    def theirs(self, suffix: str) -> type:
        return getattr(transformers, self.name + suffix)

    def our_config(self, **overrides: Any) -> Any:
        return getattr(self.module, self.name + "Config")(**self.config, **overrides)

    def save_theirs(self, suffix: str, folder: Path, **overrides: Any) -> Any:
        """A seeded transformers model saved to ``folder``, in eval mode."""
        return tiny_transformers_model(self.name + suffix, self.name + "Config", folder, **self.config, **overrides)

    def batch(self) -> dict[str, torch.Tensor]:
        return padded_batch(VOCAB, pad_id=self.pad_id, type_vocab_size=self.type_vocab_size)


BERT = Family("Bert", bert)


def use_attention(model: Any, with_weights: bool) -> None:
    """transformers' SDPA returns no attention weights: eager when they are compared."""
    model.set_attn_implementation("eager" if with_weights else "sdpa")


# --- checks shared with test_roberta.py -------------------------------------------------------------------------


def check_forward(family: Family, suffix: str, folder: Path, with_weights: bool) -> None:
    """Same outputs (as an object and as a tuple) on a padded batch."""
    theirs = family.save_theirs(suffix, folder)
    ours = family.ours(suffix).from_pretrained(folder)
    assert ours.load_report.is_clean and not ours.training
    use_attention(theirs, with_weights)
    inputs = {**family.batch(), "output_hidden_states": with_weights, "output_attentions": with_weights}
    if with_weights:
        expected = run(theirs, **inputs)
        assert len(expected["hidden_states"]) == LAYERS + 1 and len(expected["attentions"]) == LAYERS
    assert_same_outputs(ours, theirs, **inputs)


def label_cases(batch: dict[str, torch.Tensor]) -> dict[str, tuple[str, dict[str, Any], dict[str, torch.Tensor]]]:
    """id -> (class suffix, config overrides, label arguments), for ``batch``."""
    generator = torch.Generator().manual_seed(3)
    rows, width = batch["input_ids"].shape
    padding = batch["attention_mask"] == 0
    unscored = padding | (torch.rand(rows, width, generator=generator) < 0.5)
    masked_tokens = batch["input_ids"].masked_fill(unscored, -100)
    token_labels = torch.randint(0, 5, (rows, width), generator=generator).masked_fill(padding, -100)
    return {
        "mlm": ("ForMaskedLM", {}, {"labels": masked_tokens}),
        "regression": ("ForSequenceClassification", {"num_labels": 1},
                       {"labels": torch.randn(rows, generator=generator)}),
        "single-label": ("ForSequenceClassification", {"num_labels": 3}, {"labels": torch.tensor([2, 0, 1])}),
        "multi-label": ("ForSequenceClassification", {"num_labels": 3},
                        {"labels": torch.randint(0, 2, (rows, 3), generator=generator).float()}),
        "tokens": ("ForTokenClassification", {"num_labels": 5}, {"labels": token_labels}),
        # 50 and 100 lie beyond the 9 tokens: ignored by the loss
        "spans": ("ForQuestionAnswering", {},
                  {"start_positions": torch.tensor([1, 3, 100]), "end_positions": torch.tensor([2, 50, 4])}),
    }


LABEL_CASES = tuple(label_cases(BERT.batch()))


def check_loss(family: Family, case: str, folder: Path) -> None:
    batch = family.batch()
    suffix, overrides, labels = label_cases(batch)[case]
    theirs = family.save_theirs(suffix, folder, **overrides)
    ours = family.ours(suffix).from_pretrained(folder)
    assert run(theirs, **batch, **labels)["loss"].isfinite()
    assert_same_outputs(ours, theirs, **batch, **labels)
    assert ours.config.problem_type == theirs.config.problem_type


def check_saved_by_explorer(family: Family, suffix: str, folder: Path) -> None:
    """explorer saves, transformers loads every tensor and computes the same outputs."""
    torch.manual_seed(0)
    ours = family.ours(suffix).from_config(family.our_config())
    randomize_norms_and_biases(ours, seed=0)
    ours.save_pretrained(folder)
    theirs, info = family.theirs(suffix).from_pretrained(folder, output_loading_info=True)
    assert not (info["missing_keys"] or info["unexpected_keys"] or info["mismatched_keys"]), info
    use_attention(theirs.eval(), with_weights=True)
    assert_same_outputs(ours, theirs, **family.batch(), output_hidden_states=True, output_attentions=True)


def check_report_across_heads(family: Family, tmp_path: Path) -> None:
    """A base checkpoint into each head, and each head's checkpoint into the base model: the same keys
    missing and unexpected as transformers reports."""
    family.save_theirs("Model", tmp_path / "Model")
    for suffix in SUFFIXES[1:]:
        family.save_theirs(suffix, tmp_path / suffix)
        for model_suffix, folder in ((suffix, tmp_path / "Model"), ("Model", tmp_path / suffix)):
            ours = family.ours(model_suffix).from_pretrained(folder)
            _, info = family.theirs(model_suffix).from_pretrained(folder, output_loading_info=True)
            assert set(ours.load_report.missing) == info["missing_keys"], (model_suffix, folder.name)
            assert set(ours.load_report.unexpected) == info["unexpected_keys"], (model_suffix, folder.name)
        assert family.ours(suffix).from_pretrained(tmp_path / "Model").load_report.missing  # the head's own layers
        assert family.ours("Model").from_pretrained(tmp_path / suffix).load_report.unexpected


def check_head_mask(family: Family, folder: Path) -> None:
    """All ones changes nothing; a [heads] mask applies to every layer; a head's weight scales its
    attention probabilities."""
    family.save_theirs("Model", folder)
    ours = family.ours("Model").from_pretrained(folder)
    batch = family.batch()
    flags = {"output_hidden_states": True, "output_attentions": True}
    plain = run(ours, **batch, **flags)
    assert_outputs_equal(run(ours, **batch, **flags, head_mask=torch.ones(HEADS)), plain)
    assert_outputs_equal(run(ours, **batch, head_mask=torch.ones(LAYERS, HEADS)), run(ours, **batch))
    per_head = torch.tensor([1.0, 0.0, 1.0, 1.0])
    assert_outputs_equal(run(ours, **batch, **flags, head_mask=per_head),
                         run(ours, **batch, **flags, head_mask=per_head.expand(LAYERS, HEADS)))
    scaled = torch.ones(LAYERS, HEADS)
    scaled[0, 1] = 0.5
    attentions = run(ours, **batch, output_attentions=True, head_mask=scaled).attentions
    torch.testing.assert_close(attentions[0][:, 1], 0.5 * plain.attentions[0][:, 1])
    torch.testing.assert_close(attentions[0][:, [0, 2, 3]], plain.attentions[0][:, [0, 2, 3]])
    with pytest.raises(errors.ConfigValueError, match="head_mask"):
        ours(**batch, head_mask=torch.ones(LAYERS + 1, HEADS))


def masking(heads: dict[int, list[int]]) -> torch.Tensor:
    mask = torch.ones(LAYERS, HEADS)
    for layer, dropped in heads.items():
        mask[layer, dropped] = 0
    return mask


def check_pruning(family: Family, folder: Path) -> None:
    """Pruning a head computes what masking it does, shrinks the projections, and survives a round trip."""
    family.save_theirs("ForSequenceClassification", folder / "original")
    ours = family.ours("ForSequenceClassification").from_pretrained(folder / "original")
    pruned = copy.deepcopy(ours)
    pruned.prune_heads(PRUNED)
    batch = family.batch()
    expected = run(ours, **batch, head_mask=masking(PRUNED), output_hidden_states=True)
    assert_outputs_equal(run(pruned, **batch, output_hidden_states=True), expected)

    layers = pruned.base_model.encoder.layer
    head_size = TINY["hidden_size"] // HEADS
    for layer, dropped in PRUNED.items():
        kept = (HEADS - len(dropped)) * head_size
        attention = layers[layer].attention
        assert attention.self.query.weight.shape == (kept, TINY["hidden_size"])
        assert attention.self.value.bias.shape == (kept,)
        assert attention.output.dense.weight.shape == (TINY["hidden_size"], kept)
        assert attention.pruned_heads == set(dropped) and attention.self.num_attention_heads == HEADS - len(dropped)
    assert [a.shape[1] for a in run(pruned, **batch, output_attentions=True).attentions] == [2, 3]

    one_by_one = copy.deepcopy(ours)
    one_by_one.prune_heads({0: [1]})
    one_by_one.prune_heads({0: [2, 1], 1: [0]})  # original numbering; head 1 is gone already
    assert_outputs_equal(run(one_by_one, **batch), run(pruned, **batch))

    pruned.save_pretrained(folder / "pruned")
    reloaded = family.ours("ForSequenceClassification").from_pretrained(folder / "pruned")
    assert reloaded.load_report.is_clean
    assert {int(layer): heads for layer, heads in reloaded.config.pruned_heads.items()} == PRUNED
    assert_outputs_equal(run(reloaded, **batch, output_hidden_states=True), expected)


def check_resize(family: Family, folder: Path) -> None:
    """More token embeddings: the old rows kept, the tied decoder and its bias follow, as in transformers."""
    theirs = family.save_theirs("ForMaskedLM", folder)
    ours = family.ours("ForMaskedLM").from_pretrained(folder)
    ours.resize_token_embeddings(VOCAB + 5)
    theirs.resize_token_embeddings(VOCAB + 5)
    assert ours.config.vocab_size == theirs.config.vocab_size == VOCAB + 5
    assert ours.get_output_embeddings().weight is ours.get_input_embeddings().weight
    pairs = (
        (ours.get_input_embeddings().weight, theirs.get_input_embeddings().weight),
        (ours.get_output_embeddings().weight, theirs.get_output_embeddings().weight),
        (ours.get_output_embeddings().bias, theirs.get_output_embeddings().bias),
    )
    for mine, reference in pairs:
        assert mine.shape == reference.shape
        torch.testing.assert_close(mine[:VOCAB], reference[:VOCAB].detach())
    batch = family.batch()
    logits = run(ours, **batch).logits
    assert logits.shape[-1] == VOCAB + 5
    torch.testing.assert_close(logits[..., :VOCAB], run(theirs, **batch).logits[..., :VOCAB])


def check_untied(family: Family, folder: Path) -> None:
    """``tie_word_embeddings=False`` unties the decoder's weight and its bias, both ways of loading."""
    theirs = family.save_theirs("ForMaskedLM", folder / "theirs", tie_word_embeddings=False)
    ours = family.ours("ForMaskedLM").from_pretrained(folder / "theirs")
    assert ours.load_report.is_clean
    assert len(list(ours.parameters())) == len(list(ours.named_parameters(remove_duplicate=False)))  # none shared
    assert_same_outputs(ours, theirs, **family.batch())
    ours.save_pretrained(folder / "ours")
    reloaded, info = family.theirs("ForMaskedLM").from_pretrained(folder / "ours", output_loading_info=True)
    assert not (info["missing_keys"] or info["unexpected_keys"]), info
    assert_same_outputs(ours, reloaded.eval(), **family.batch())


def check_inputs_embeds(family: Family, folder: Path) -> None:
    """Embeddings instead of ids, no token types: the default positions and types are transformers'."""
    theirs = family.save_theirs("Model", folder)
    ours = family.ours("Model").from_pretrained(folder)
    batch = family.batch()
    embeds = ours.get_input_embeddings()(batch["input_ids"]).detach()
    assert_same_outputs(ours, theirs, inputs_embeds=embeds, attention_mask=batch["attention_mask"])
    with pytest.raises(ValueError, match="exactly one"):
        ours(input_ids=batch["input_ids"], inputs_embeds=embeds)


def check_config_defaults(family: Family) -> None:
    ours = getattr(family.module, family.name + "Config")().to_dict()
    theirs = getattr(transformers, family.name + "Config")().to_dict()
    for key in theirs.keys() - {"transformers_version", "_name_or_path"}:
        assert ours[key] == theirs[key], key


# --- BERT ---------------------------------------------------------------------------------------------------------
