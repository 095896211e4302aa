"""BERT against transformers: every head in both loading directions, losses, the load report across heads,
head masks, pruning, resizing, activations, and the config (checks shared with RoBERTa in encoder_checks.py)."""

from __future__ import annotations

import pytest
import torch

from encoder_checks import (
    BERT,
    LABEL_CASES,
    SUFFIXES,
    TINY,
    VOCAB,
    check_config_defaults,
    check_forward,
    check_head_mask,
    check_inputs_embeds,
    check_loss,
    check_pruning,
    check_report_across_heads,
    check_resize,
    check_saved_by_explorer,
    check_untied,
)
from explorer import errors
from explorer.activations import ACTIVATIONS
from explorer.models import bert
from parity import assert_outputs_equal, run


@pytest.mark.parametrize("with_weights", [True, False], ids=["eager-weights", "sdpa"])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_forward_matches_transformers(suffix, with_weights, tmp_path):
    check_forward(BERT, suffix, tmp_path, with_weights)


@pytest.mark.parametrize("case", LABEL_CASES)
def test_loss_matches_transformers(case, tmp_path):
    check_loss(BERT, case, tmp_path)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_transformers_loads_what_explorer_saves(suffix, tmp_path):
    check_saved_by_explorer(BERT, suffix, tmp_path)


def test_load_report_across_heads_matches_transformers(tmp_path):
    check_report_across_heads(BERT, tmp_path)


def test_head_mask(tmp_path):
    check_head_mask(BERT, tmp_path)


def test_pruned_heads_equal_masked_heads(tmp_path):
    check_pruning(BERT, tmp_path)


def test_resize_token_embeddings(tmp_path):
    check_resize(BERT, tmp_path)


def test_untied_word_embeddings(tmp_path):
    check_untied(BERT, tmp_path)


def test_set_output_embeddings_moves_the_bias_too():
    model = bert.BertForMaskedLM(BERT.our_config())
    decoder = torch.nn.Linear(TINY["hidden_size"], VOCAB + 1)
    model.set_output_embeddings(decoder)
    assert model.get_output_embeddings() is decoder and model.cls.predictions.bias is decoder.bias


def test_inputs_embeds(tmp_path):
    check_inputs_embeds(BERT, tmp_path)


def test_config_defaults_are_transformers():
    check_config_defaults(BERT)


def test_parameter_names_are_checkpoint_keys(tmp_path):
    theirs = BERT.save_theirs("ForMaskedLM", tmp_path)
    ours = BERT.ours("ForMaskedLM").from_config(BERT.our_config())
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    assert "cls.predictions.transform.LayerNorm.weight" in ours.state_dict()


@pytest.mark.parametrize("hidden_act", sorted(ACTIVATIONS))
def test_activations_match_transformers(hidden_act, tmp_path):
    theirs = BERT.save_theirs("ForMaskedLM", tmp_path, hidden_act=hidden_act)
    ours = BERT.ours("ForMaskedLM").from_pretrained(tmp_path)
    assert_outputs_equal(run(ours, **BERT.batch()), run(theirs, **BERT.batch()))


def test_unknown_activation_is_refused():
    with pytest.raises(errors.ConfigValueError, match="hidden_act='nope'"):
        bert.BertConfig(hidden_act="nope")


@pytest.mark.parametrize("option", ["is_decoder", "add_cross_attention"])
def test_decoder_options_are_refused(option):
    with pytest.raises(errors.ConfigValueError, match=option):
        bert.BertModel(BERT.our_config(**{option: True}))


def test_classifier_dropout_falls_back_to_hidden_dropout():
    assert bert.BertForTokenClassification(BERT.our_config(hidden_dropout_prob=0.3)).dropout.p == 0.3
    model = bert.BertForSequenceClassification(BERT.our_config(classifier_dropout=0.2))
    assert model.dropout.p == 0.2


def test_dropout_only_in_training(tmp_path):
    BERT.save_theirs("ForSequenceClassification", tmp_path, hidden_dropout_prob=0.5, attention_probs_dropout_prob=0.5)
    model = BERT.ours("ForSequenceClassification").from_pretrained(tmp_path)
    batch = BERT.batch()
    assert torch.equal(run(model, **batch).logits, run(model, **batch).logits)
    model.train()
    torch.manual_seed(0)
    assert not torch.equal(run(model, **batch).logits, run(model, **batch).logits)
