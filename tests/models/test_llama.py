"""Llama against transformers: every head in both loading directions on a left-padded batch, grouped-query
attention, every rope type (both config spellings), head_dim apart from hidden_size / heads, biases, losses,
the key-value cache, packed sequences, inputs beyond max_position_embeddings, and hostile configs."""

from __future__ import annotations

import json

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
from explorer import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForSequenceClassification, errors
from explorer.models import llama
from parity import assert_outputs_equal, run

LLAMA = Decoder("Llama", llama)

ROPE = {
    "linear": {"rope_type": "linear", "factor": 2.0},
    "dynamic": {"rope_type": "dynamic", "factor": 3.0},
    "llama3": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 16},
}


@pytest.mark.parametrize("with_weights", [True, False], ids=["eager-weights", "sdpa"])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_forward_matches_transformers(suffix, with_weights, tmp_path):
    check_forward(LLAMA, suffix, tmp_path, with_weights)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_transformers_loads_what_explorer_saves(suffix, tmp_path):
    check_saved_by_explorer(LLAMA, suffix, tmp_path)


@pytest.mark.parametrize("case", LABEL_CASES)
def test_loss_matches_transformers(case, tmp_path):
    check_loss(LLAMA, case, tmp_path)


def test_load_report_across_heads_matches_transformers(tmp_path):
    check_report_across_heads(LLAMA, tmp_path)


def test_cached_steps_match_transformers_and_the_uncached_forward(tmp_path):
    check_cache(LLAMA, tmp_path)


@pytest.mark.parametrize("overrides", [
    {"num_key_value_heads": 1},  # multi-query
    {"num_key_value_heads": 4},  # no grouping
    {"head_dim": 6},  # not hidden_size / heads
    {"attention_bias": True, "mlp_bias": True},
    {"tie_word_embeddings": True},
], ids=["mqa", "mha", "head-dim", "biases", "tied"])
def test_variants_match_transformers(overrides, tmp_path):
    check_forward(LLAMA, "ForCausalLM", tmp_path / "theirs", with_weights=True, **overrides)
    check_saved_by_explorer(LLAMA, "ForCausalLM", tmp_path / "ours", **overrides)


@pytest.mark.parametrize("rope", sorted(ROPE))
def test_rope_types_match_transformers(rope, tmp_path):
    """A batch reaching past max_position_embeddings=16, where the scalings differ from the default."""
    inputs = left_padded_batch(lengths=(24, 20, 22))
    check_same_logits(LLAMA, tmp_path, inputs, max_position_embeddings=16, rope_parameters=ROPE[rope])


def test_dynamic_rope_keeps_transformers_state(tmp_path):
    """Dynamic scaling grows its base past the longest sequence seen, and resets below the original length."""
    theirs = LLAMA.save_theirs("ForCausalLM", tmp_path, max_position_embeddings=16, rope_parameters=ROPE["dynamic"])
    ours = LLAMA.ours("ForCausalLM").from_pretrained(tmp_path)
    for lengths in ((30,), (20,), (10,), (20,)):
        inputs = {**left_padded_batch(lengths=lengths), "use_cache": False}
        assert_outputs_equal(run(ours, **inputs), run(theirs, **inputs))


def test_v4_rope_spelling_loads_as_transformers(tmp_path):
    """config.json as Llama 3.1 checkpoints write it: rope_theta beside rope_scaling, and "type" in older ones."""
    for scaling in ({**ROPE["llama3"]}, {"type": "linear", "factor": 2.0}):
        data = {"model_type": "llama", **TINY, "max_position_embeddings": 16, "rope_theta": 500000.0,
                "rope_scaling": scaling}
        (tmp_path / "config.json").write_text(json.dumps(data))
        ours = AutoConfig.from_pretrained(tmp_path)
        theirs = transformers.AutoConfig.from_pretrained(tmp_path)
        assert ours.rope_parameters == theirs.rope_parameters == ours.rope_scaling
        assert "rope_theta" not in ours.to_dict() and "rope_scaling" not in ours.to_dict()
    assert llama.LlamaConfig().rope_parameters == {"rope_theta": 10000.0, "rope_type": "default"}


def test_v4_rope_checkpoint_matches_transformers(tmp_path):
    theirs = LLAMA.save_theirs("ForCausalLM", tmp_path, max_position_embeddings=16)
    config = json.loads((tmp_path / "config.json").read_text())
    del config["rope_parameters"]
    config.update(rope_theta=500000.0, rope_scaling={"type": "linear", "factor": 2.0})
    (tmp_path / "config.json").write_text(json.dumps(config))
    theirs = transformers.LlamaForCausalLM.from_pretrained(tmp_path).eval()
    ours = AutoModelForCausalLM.from_pretrained(tmp_path)
    inputs = {**left_padded_batch(lengths=(20, 12, 16)), "use_cache": False}
    assert_outputs_equal(run(ours, **inputs), run(theirs, **inputs))


def test_packed_sequences_are_kept_apart(tmp_path):
    """Positions that restart with no mask and no cache: transformers attends within each sequence only."""
    positions = torch.tensor([[0, 1, 2, 3, 0, 1, 2, 0, 1]])
    inputs = {"input_ids": left_padded_batch()["input_ids"][:1], "position_ids": positions}
    check_same_logits(LLAMA, tmp_path, inputs)
    ours = LLAMA.ours("ForCausalLM").from_pretrained(tmp_path)
    alone = run(ours, input_ids=inputs["input_ids"][:, 4:7], use_cache=False).logits
    torch.testing.assert_close(run(ours, **inputs, use_cache=False).logits[:, 4:7], alone)


def test_longer_than_max_position_embeddings_is_allowed_as_in_transformers(tmp_path):
    check_same_logits(LLAMA, tmp_path, left_padded_batch(lengths=(40, 30, 35)), max_position_embeddings=8)


def test_auto_classes_load_each_head(tmp_path):
    for auto, suffix in ((AutoModel, "Model"), (AutoModelForCausalLM, "ForCausalLM"),
                         (AutoModelForSequenceClassification, "ForSequenceClassification")):
        LLAMA.save_theirs(suffix, tmp_path / suffix)
        assert type(auto.from_pretrained(tmp_path / suffix)) is LLAMA.ours(suffix)


def test_logits_to_keep_and_past_key_values(tmp_path):
    LLAMA.save_theirs("ForCausalLM", tmp_path)
    ours = LLAMA.ours("ForCausalLM").from_pretrained(tmp_path)
    batch = left_padded_batch()
    full = run(ours, **batch).logits
    torch.testing.assert_close(run(ours, **batch, logits_to_keep=1).logits, full[:, -1:])
    torch.testing.assert_close(run(ours, **batch, logits_to_keep=torch.tensor([0, 3])).logits, full[:, [0, 3]])
    first = run(ours, input_ids=batch["input_ids"][:, :5])
    step = run(ours, input_ids=batch["input_ids"][:, 5:], past_key_values=first.cache)
    assert step.cache.get_seq_length() == batch["input_ids"].shape[1]
    with pytest.raises(errors.ModelInputError, match="not both"):
        ours(**batch, cache=step.cache, past_key_values=step.cache)


def test_sequence_classification_needs_a_pad_token_for_batches(tmp_path):
    LLAMA.save_theirs("ForSequenceClassification", tmp_path, pad_token_id=None)
    ours = LLAMA.ours("ForSequenceClassification").from_pretrained(tmp_path)
    with pytest.raises(errors.ModelInputError, match="pad_token_id"):
        ours(input_ids=left_padded_batch()["input_ids"])
    theirs = transformers.LlamaForSequenceClassification.from_pretrained(tmp_path).eval()
    one = {"input_ids": left_padded_batch()["input_ids"][:1], "use_cache": False}
    assert_outputs_equal(run(ours, **one), run(theirs, **one))


def test_wrong_attention_mask_is_refused():
    model = LLAMA.ours("Model").from_config(LLAMA.our_config())
    with pytest.raises(errors.ModelInputError, match="attention_mask"):
        model(input_ids=torch.ones(2, 5, dtype=torch.long), attention_mask=torch.ones(2, 4, dtype=torch.long))


def test_resize_token_embeddings_follows_the_tied_head():
    model = LLAMA.ours("ForCausalLM").from_config(LLAMA.our_config(tie_word_embeddings=True))
    model.resize_token_embeddings(TINY["vocab_size"] + 3)
    assert model.lm_head.weight is model.model.embed_tokens.weight
    assert run(model, input_ids=torch.ones(1, 3, dtype=torch.long)).logits.shape[-1] == TINY["vocab_size"] + 3


def test_config_defaults_are_transformers():
    check_config_defaults(LLAMA)


def test_parameter_names_are_checkpoint_keys(tmp_path):
    theirs = LLAMA.save_theirs("ForCausalLM", tmp_path, attention_bias=True, mlp_bias=True)
    ours = LLAMA.ours("ForCausalLM").from_config(LLAMA.our_config(attention_bias=True, mlp_bias=True))
    assert ours.state_dict().keys() == theirs.state_dict().keys()


def test_old_rotary_buffers_in_a_checkpoint_are_ignored(tmp_path):
    from safetensors.torch import load_file, save_file

    LLAMA.save_theirs("ForCausalLM", tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    weights["model.layers.0.self_attn.rotary_emb.inv_freq"] = torch.ones(4)
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    assert LLAMA.ours("ForCausalLM").from_pretrained(tmp_path).load_report.is_clean


@pytest.mark.parametrize("overrides, field", [
    ({"num_attention_heads": 0}, "num_attention_heads"),
    ({"num_key_value_heads": 3}, "num_key_value_heads"),
    ({"num_key_value_heads": -1}, "num_key_value_heads"),
    ({"hidden_size": 10**12}, "hidden_size"),
    ({"hidden_size": 30}, "hidden_size"),
    ({"head_dim": 7}, "head_dim"),
    ({"head_dim": 0}, "head_dim"),
    ({"intermediate_size": -5}, "intermediate_size"),
    ({"num_hidden_layers": 10**6}, "num_hidden_layers"),
    ({"rms_norm_eps": -1.0}, "rms_norm_eps"),
    ({"attention_dropout": 2.0}, "attention_dropout"),
    ({"hidden_act": "nope"}, "hidden_act"),
    ({"attention_bias": "yes"}, "attention_bias"),
    ({"rope_parameters": {"rope_type": "yarn", "factor": 2.0}}, "rope_type"),
    ({"rope_parameters": {"rope_type": "linear"}}, "factor"),
    ({"rope_parameters": {"rope_type": "linear", "factor": 0}}, "factor"),
    ({"rope_parameters": {"rope_type": "default", "rope_theta": -1.0}}, "rope_theta"),
    ({"rope_parameters": {**ROPE["llama3"], "high_freq_factor": 1.0}}, "high_freq_factor"),
    ({"rope_parameters": {"rope_type": "linear", "factor": 2.0, "partial_rotary_factor": 0.5}},
     "partial_rotary_factor"),
    ({"rope_parameters": "fast"}, "rope_parameters"),
    ({"rope_scaling": ["linear"]}, "rope_scaling"),
    ({"pad_token_id": 500}, "pad_token_id"),
    ({"pruned_heads": {"0": [1]}}, "pruned_heads"),
], ids=lambda value: str(value)[:40])
def test_hostile_config_values_are_refused(overrides, field):
    with pytest.raises(errors.ConfigValueError, match=field):
        llama.LlamaConfig(**{**TINY, **overrides})
