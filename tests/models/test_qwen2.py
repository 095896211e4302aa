"""Qwen2 against transformers: every head in both loading directions on a left-padded batch, tied embeddings
(as small Qwen2 checkpoints ship), grouped-query attention, the query/key/value biases, sliding-window layers
(eager, SDPA, cached), rope scaling, losses, the cache, and the sliding-window fields as transformers reads
them."""

from __future__ import annotations

import pytest
import torch
import transformers

from decoder_checks import (
    LABEL_CASES,
    SUFFIXES,
    TINY,
    Decoder,
    check_cache,
    check_config_defaults,
    check_forward,
    check_loss,
    check_report_across_heads,
    check_same_logits,
    check_saved_by_explorer,
    left_padded_batch,
)
from explorer import errors
from explorer.models import qwen2
from parity import run

QWEN2 = Decoder("Qwen2", qwen2, {**TINY, "tie_word_embeddings": True})
# layers 1 and 2 slide over 3 positions: fewer than the batch's 9, so the window hides keys
SLIDING = {"num_hidden_layers": 3, "use_sliding_window": True, "sliding_window": 3, "max_window_layers": 1}


@pytest.mark.parametrize("with_weights", [True, False], ids=["eager-weights", "sdpa"])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_forward_matches_transformers(suffix, with_weights, tmp_path):
    check_forward(QWEN2, suffix, tmp_path, with_weights)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_transformers_loads_what_explorer_saves(suffix, tmp_path):
    check_saved_by_explorer(QWEN2, suffix, tmp_path)


@pytest.mark.parametrize("case", LABEL_CASES)
def test_loss_matches_transformers(case, tmp_path):
    check_loss(QWEN2, case, tmp_path)


def test_load_report_across_heads_matches_transformers(tmp_path):
    check_report_across_heads(QWEN2, tmp_path)


def test_cached_steps_match_transformers_and_the_uncached_forward(tmp_path):
    check_cache(QWEN2, tmp_path)


def test_tied_embeddings_are_one_parameter_and_not_saved_twice(tmp_path):
    model = QWEN2.ours("ForCausalLM").from_config(QWEN2.our_config())
    assert model.lm_head.weight is model.model.embed_tokens.weight
    model.save_pretrained(tmp_path)
    from safetensors import safe_open

    with safe_open(tmp_path / "model.safetensors", "pt") as weights:
        assert "lm_head.weight" not in weights.keys()
    untied = QWEN2.ours("ForCausalLM").from_config(QWEN2.our_config(tie_word_embeddings=False))
    assert untied.lm_head.weight is not untied.model.embed_tokens.weight


@pytest.mark.parametrize("overrides", [{}, {"tie_word_embeddings": False}, {"num_key_value_heads": 1},
                                       {"head_dim": 6}], ids=["tied", "untied", "mqa", "head-dim"])
def test_variants_match_transformers(overrides, tmp_path):
    check_forward(QWEN2, "ForCausalLM", tmp_path / "theirs", with_weights=True, **overrides)
    check_saved_by_explorer(QWEN2, "ForCausalLM", tmp_path / "ours", **overrides)


@pytest.mark.parametrize("with_weights", [True, False], ids=["eager-weights", "sdpa"])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_sliding_window_matches_transformers(suffix, with_weights, tmp_path):
    check_forward(QWEN2, suffix, tmp_path, with_weights, **SLIDING)


def test_sliding_window_changes_the_outputs(tmp_path):
    """The window hides keys: the same weights without it give other logits (so the tests above can fail)."""
    QWEN2.save_theirs("ForCausalLM", tmp_path, **SLIDING)
    sliding = QWEN2.ours("ForCausalLM").from_pretrained(tmp_path)
    full = QWEN2.ours("ForCausalLM").from_pretrained(tmp_path, use_sliding_window=False,
                                                      layer_types=["full_attention"] * 3)
    batch = {**left_padded_batch(), "use_cache": False}
    assert not torch.allclose(run(sliding, **batch).logits, run(full, **batch).logits)


def test_sliding_window_cached_steps_match_transformers(tmp_path):
    """A sliding layer's cache holds only its window, as transformers' (the same keys, the same logits), and
    counts every position seen."""
    check_cache(QWEN2, tmp_path, **SLIDING)


def test_linear_rope_matches_transformers(tmp_path):
    check_same_logits(QWEN2, tmp_path, left_padded_batch(lengths=(24, 20, 22)), max_position_embeddings=16,
                      rope_parameters={"rope_type": "linear", "factor": 2.0})


@pytest.mark.parametrize("given", [
    {},
    {"use_sliding_window": True, "sliding_window": 8, "max_window_layers": 1},
    {"use_sliding_window": False, "sliding_window": 131072, "max_window_layers": 1},  # as Qwen2 checkpoints ship
    {"use_sliding_window": True, "sliding_window": 8, "layer_types": ["sliding_attention", "full_attention"]},
    {"layer_types": ["attention", "full_attention"]},  # an older spelling
], ids=["defaults", "derived", "unused-window", "explicit", "legacy"])
def test_sliding_fields_read_as_transformers(given):
    ours = qwen2.Qwen2Config(**TINY, **given)
    theirs = transformers.Qwen2Config(**TINY, **given)
    for field in ("use_sliding_window", "sliding_window", "max_window_layers", "layer_types"):
        assert getattr(ours, field) == getattr(theirs, field), field


def test_config_defaults_are_transformers():
    check_config_defaults(QWEN2)


def test_parameter_names_are_checkpoint_keys(tmp_path):
    theirs = QWEN2.save_theirs("ForCausalLM", tmp_path, tie_word_embeddings=False)
    ours = QWEN2.ours("ForCausalLM").from_config(QWEN2.our_config(tie_word_embeddings=False))
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    assert "model.layers.0.self_attn.q_proj.bias" in ours.state_dict()
    assert "model.layers.0.self_attn.o_proj.bias" not in ours.state_dict()


@pytest.mark.parametrize("overrides, field", [
    ({"num_attention_heads": 0}, "num_attention_heads"),
    ({"num_key_value_heads": 3}, "num_key_value_heads"),
    ({"hidden_size": 10**12}, "hidden_size"),
    ({"hidden_size": 36}, "head_dim"),  # 36 / 4 = 9 features per head: odd
    ({"use_sliding_window": "yes"}, "use_sliding_window"),
    ({"use_sliding_window": True, "sliding_window": 0}, "sliding_window"),
    ({"use_sliding_window": True, "sliding_window": -4}, "sliding_window"),
    ({"max_window_layers": "all"}, "max_window_layers"),
    ({"layer_types": ["full_attention"]}, "layer_types"),
    ({"layer_types": ["chunked_attention", "full_attention"]}, "layer_types"),
    ({"layer_types": "full_attention"}, "layer_types"),
    ({"layer_types": ["sliding_attention", "full_attention"]}, "sliding_window"),
    ({"rope_parameters": {"rope_type": "longrope"}}, "rope_type"),
    ({"tie_word_embeddings": 1}, "tie_word_embeddings"),
], ids=lambda value: str(value)[:40])
def test_hostile_config_values_are_refused(overrides, field):
    with pytest.raises(errors.ConfigValueError, match=field):
        qwen2.Qwen2Config(**{**TINY, **overrides})


def test_qwen2_accepts_heads_that_do_not_divide_the_hidden_size_when_head_dim_says(tmp_path):
    """transformers' Qwen2 (unlike Llama) needs no hidden_size % heads: 30 features, 5 heads of 6."""
    check_same_logits(QWEN2, tmp_path, left_padded_batch(), hidden_size=30, num_attention_heads=5,
                      num_key_value_heads=1)
