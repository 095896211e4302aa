"""RoBERTa and XLM-RoBERTa against transformers: test_bert.py's checks on both families, plus what is
RoBERTa's own (positions counted from the padding id, left padding, XLM-R's names)."""

from __future__ import annotations

import json

import pytest
import torch
import transformers
from transformers.models.roberta.modeling_roberta import RobertaEmbeddings as TheirRobertaEmbeddings

from explorer import errors
from explorer.models import roberta
from explorer.models.bert import BertConfig
from explorer.models.roberta import RobertaEmbeddings

from parity import assert_outputs_equal, run
from encoder_checks import (
    LABEL_CASES,
    SUFFIXES,
    TINY,
    Family,
    check_config_defaults,
    check_forward,
    check_head_mask,
    check_inputs_embeds,
    check_loss,
    check_pruning,
    check_report_across_heads,
    check_resize,
    check_untied,
    check_saved_by_explorer,
)

ROBERTA_TINY = {**TINY, "pad_token_id": 1, "type_vocab_size": 1}
ROBERTA = Family("Roberta", roberta, config=ROBERTA_TINY, pad_id=1, type_vocab_size=None)
XLM_ROBERTA = Family("XLMRoberta", roberta, config=ROBERTA_TINY, pad_id=1, type_vocab_size=None)
FAMILIES = pytest.mark.parametrize("family", [ROBERTA, XLM_ROBERTA], ids=lambda family: family.name)


@FAMILIES
@pytest.mark.parametrize("with_weights", [True, False], ids=["eager-weights", "sdpa"])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_forward_matches_transformers(family, suffix, with_weights, tmp_path):
    check_forward(family, suffix, tmp_path, with_weights)


@FAMILIES
@pytest.mark.parametrize("case", LABEL_CASES)
def test_loss_matches_transformers(family, case, tmp_path):
    check_loss(family, case, tmp_path)


@FAMILIES
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_transformers_loads_what_explorer_saves(family, suffix, tmp_path):
    check_saved_by_explorer(family, suffix, tmp_path)


@FAMILIES
def test_load_report_across_heads_matches_transformers(family, tmp_path):
    check_report_across_heads(family, tmp_path)


@FAMILIES
def test_head_mask(family, tmp_path):
    check_head_mask(family, tmp_path)


@FAMILIES
def test_pruned_heads_equal_masked_heads(family, tmp_path):
    check_pruning(family, tmp_path)


@FAMILIES
def test_resize_token_embeddings(family, tmp_path):
    check_resize(family, tmp_path)


@FAMILIES
def test_untied_word_embeddings(family, tmp_path):
    check_untied(family, tmp_path)


@FAMILIES
def test_inputs_embeds(family, tmp_path):
    check_inputs_embeds(family, tmp_path)


@FAMILIES
def test_config_defaults_are_transformers(family):
    check_config_defaults(family)


def test_left_padding_positions_match_transformers(tmp_path):
    """Positions skip padding wherever it is: left-padded rows too."""
    theirs = ROBERTA.save_theirs("Model", tmp_path)
    ours = ROBERTA.ours("Model").from_pretrained(tmp_path)
    left_padded = {name: tensor.flip(1) for name, tensor in ROBERTA.batch().items()}
    assert_outputs_equal(run(ours, **left_padded), run(theirs, **left_padded))


def test_position_ids_are_fairseq_numbering():
    ids = torch.tensor([[0, 5, 6, 2, 1, 1], [1, 1, 0, 7, 2, 1]])
    ours = RobertaEmbeddings.create_position_ids_from_input_ids(ids, padding_idx=1)
    assert ours.tolist() == [[2, 3, 4, 5, 1, 1], [1, 1, 2, 3, 4, 1]]
    assert torch.equal(ours, TheirRobertaEmbeddings.create_position_ids_from_input_ids(ids, padding_idx=1))
    embeds = torch.zeros(2, 4, 8)
    assert torch.equal(RobertaEmbeddings.create_position_ids_from_inputs_embeds(embeds, padding_idx=1),
                       TheirRobertaEmbeddings.create_position_ids_from_inputs_embeds(embeds, padding_idx=1))


def test_padding_rows_start_at_zero():
    model = ROBERTA.ours("Model").from_config(ROBERTA.our_config())
    assert not model.embeddings.word_embeddings.weight[1].any()
    assert not model.embeddings.position_embeddings.weight[1].any()


def test_parameter_names_are_checkpoint_keys(tmp_path):
    for suffix in ("ForMaskedLM", "ForSequenceClassification"):
        theirs = ROBERTA.save_theirs(suffix, tmp_path / suffix)
        ours = ROBERTA.ours(suffix).from_config(ROBERTA.our_config())
        assert ours.state_dict().keys() == theirs.state_dict().keys()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_xlm_roberta_classes_keep_their_names(suffix, tmp_path):
    model = XLM_ROBERTA.ours(suffix).from_config(XLM_ROBERTA.our_config())
    assert model.config.model_type == "xlm-roberta"
    assert type(model.base_model) is roberta.XLMRobertaModel
    model.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["model_type"] == "xlm-roberta" and saved["architectures"] == ["XLMRoberta" + suffix]
    assert type(transformers.AutoConfig.from_pretrained(tmp_path)) is transformers.XLMRobertaConfig


def test_a_bert_config_is_refused():
    with pytest.raises(errors.ConfigValueError, match="needs a RobertaConfig"):
        roberta.RobertaModel(BertConfig(**TINY))
