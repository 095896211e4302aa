"""DistilBERT against transformers: every head, both position-embedding kinds, both loading directions, the
load report, head masks and pruning, and the config's names and limits."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers.models.distilbert.modeling_distilbert import create_sinusoidal_embeddings

from explorer import errors
from explorer.models import distilbert
from explorer.models.distilbert import DistilBertConfig, DistilBertModel

from parity import assert_outputs_equal, padded_batch, randomize_norms_and_biases, run, tiny_transformers_model

TINY = {"dim": 32, "n_layers": 2, "n_heads": 4, "hidden_dim": 37, "vocab_size": 99, "max_position_embeddings": 64}
# transformers' default (SDPA) returns no attention weights: eager does
EAGER = {"attn_implementation": "eager"}
CLASSES = (
    "DistilBertModel",
    "DistilBertForMaskedLM",
    "DistilBertForSequenceClassification",
    "DistilBertForTokenClassification",
    "DistilBertForQuestionAnswering",
)
HEADS = CLASSES[1:]
LENGTHS = (9, 5, 7)


def batch() -> dict[str, torch.Tensor]:
    return padded_batch(TINY["vocab_size"], LENGTHS, type_vocab_size=None)


def save_theirs(class_name: str, folder: Path, **config):
    return tiny_transformers_model(class_name, "DistilBertConfig", folder, **TINY, **EAGER, **config)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """``saved(class_name, sinusoidal)``: a transformers model and the folder it was saved to, built once."""
    cache: dict[tuple[str, bool], tuple[torch.nn.Module, Path]] = {}

    def get(class_name: str, sinusoidal: bool = False):
        if (class_name, sinusoidal) not in cache:
            folder = tmp_path_factory.mktemp(f"{class_name}-{sinusoidal}")
            cache[class_name, sinusoidal] = save_theirs(class_name, folder, sinusoidal_pos_embds=sinusoidal), folder
        return cache[class_name, sinusoidal]

    return get


def token_labels(seed: int, high: int) -> torch.Tensor:
    """Random labels, -100 on padding (ignored by the loss)."""
    inputs = batch()
    labels = torch.randint(0, high, inputs["input_ids"].shape, generator=torch.Generator().manual_seed(seed))
    return labels.masked_fill(inputs["attention_mask"] == 0, -100)


# --- transformers saves, explorer loads ---------------------------------------------------------------------


@pytest.mark.parametrize("sinusoidal", [False, True], ids=["learned", "sinusoidal"])
@pytest.mark.parametrize("class_name", CLASSES)
def test_outputs_equal_transformers(saved, class_name, sinusoidal):
    theirs, folder = saved(class_name, sinusoidal)
    ours = getattr(distilbert, class_name).from_pretrained(folder)
    assert ours.load_report.is_clean, ours.load_report
    for flag in (True, False):
        flags = {"output_hidden_states": flag, "output_attentions": flag}
        assert_outputs_equal(run(ours, **batch(), **flags), run(theirs, **batch(), **flags))
    ours_tuple = run(ours, **batch(), output_hidden_states=True, output_attentions=True, return_dict=False)
    theirs_tuple = run(theirs, **batch(), output_hidden_states=True, output_attentions=True, return_dict=False)
    assert isinstance(ours_tuple, tuple)
    assert_outputs_equal(dict(enumerate(ours_tuple)), dict(enumerate(theirs_tuple)))


def test_inputs_embeds_and_position_ids_equal_transformers(saved):
    theirs, folder = saved("DistilBertModel")
    ours = DistilBertModel.from_pretrained(folder)
    inputs = batch()
    embeds = theirs.get_input_embeddings()(inputs["input_ids"]).detach()
    positions = torch.arange(2, 2 + inputs["input_ids"].shape[1])[None, :]
    with torch.no_grad():
        assert_outputs_equal(ours(inputs_embeds=embeds, attention_mask=inputs["attention_mask"]),
                             theirs(inputs_embeds=embeds, attention_mask=inputs["attention_mask"]))
        assert_outputs_equal(ours(**inputs, position_ids=positions), theirs(**inputs, position_ids=positions))
    with pytest.raises(errors.ModelInputError, match="exactly one"):
        ours(input_ids=inputs["input_ids"], inputs_embeds=embeds)


def test_untied_masked_lm_keeps_its_own_projection(tmp_path):
    theirs = save_theirs("DistilBertForMaskedLM", tmp_path, tie_word_embeddings=False)
    ours = distilbert.DistilBertForMaskedLM.from_pretrained(tmp_path)
    assert ours.load_report.is_clean, ours.load_report
    assert ours.vocab_projector.weight is not ours.get_input_embeddings().weight
    assert_outputs_equal(run(ours, **batch()), run(theirs, **batch()))


LOSS_CASES = {
    "masked-lm": ("DistilBertForMaskedLM", {}, lambda: {"labels": token_labels(1, TINY["vocab_size"])}),
    "regression": ("DistilBertForSequenceClassification", {"num_labels": 1},
                   lambda: {"labels": torch.tensor([0.5, -1.0, 2.0])}),
    "single-label": ("DistilBertForSequenceClassification", {"num_labels": 3},
                     lambda: {"labels": torch.tensor([2, 0, 1])}),
    "multi-label": ("DistilBertForSequenceClassification", {"num_labels": 3},
                    lambda: {"labels": torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 1.0, 1.0]])}),
    "token-classification": ("DistilBertForTokenClassification", {"num_labels": 5},
                             lambda: {"labels": token_labels(2, 5)}),
    "question-answering": ("DistilBertForQuestionAnswering", {},
                           lambda: {"start_positions": torch.tensor([1, 100, 3]),  # 100: outside, ignored
                                    "end_positions": torch.tensor([4, 2, 100])}),
}


@pytest.mark.parametrize("case", LOSS_CASES)
def test_loss_equal_transformers(tmp_path, case):
    class_name, config, labels = LOSS_CASES[case]
    theirs = save_theirs(class_name, tmp_path, **config)
    ours = getattr(distilbert, class_name).from_pretrained(tmp_path)
    ours_output, theirs_output = run(ours, **batch(), **labels()), run(theirs, **batch(), **labels())
    assert ours_output.loss is not None
    assert_outputs_equal(ours_output, theirs_output)
    assert ours.config.problem_type == theirs.config.problem_type


# --- explorer saves, transformers loads ---------------------------------------------------------------------


@pytest.mark.parametrize("sinusoidal", [False, True], ids=["learned", "sinusoidal"])
@pytest.mark.parametrize("class_name", CLASSES)
def test_transformers_loads_what_explorer_saves(tmp_path, class_name, sinusoidal):
    torch.manual_seed(0)
    ours = getattr(distilbert, class_name).from_config(DistilBertConfig(**TINY, sinusoidal_pos_embds=sinusoidal))
    randomize_norms_and_biases(ours, seed=0)
    ours.save_pretrained(tmp_path)
    theirs, info = getattr(transformers, class_name).from_pretrained(tmp_path, output_loading_info=True, **EAGER)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    assert_outputs_equal(run(ours, **batch(), output_hidden_states=True, output_attentions=True),
                         run(theirs.eval(), **batch(), output_hidden_states=True, output_attentions=True))


def test_from_config_fills_the_sinusoidal_table():
    ours = DistilBertModel.from_config(DistilBertConfig(**TINY, sinusoidal_pos_embds=True))
    table = ours.embeddings.position_embeddings.weight
    expected = create_sinusoidal_embeddings(TINY["max_position_embeddings"], TINY["dim"], torch.empty_like(table))
    assert torch.equal(table, expected)


def test_sinusoidal_table_missing_from_checkpoint_is_rebuilt(tmp_path):
    theirs = save_theirs("DistilBertModel", tmp_path, sinusoidal_pos_embds=True)
    weights = load_file(tmp_path / "model.safetensors")
    del weights["embeddings.position_embeddings.weight"]
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    ours = DistilBertModel.from_pretrained(tmp_path)
    assert ours.load_report.missing == ["embeddings.position_embeddings.weight"]
    assert_outputs_equal(run(ours, **batch()), run(theirs, **batch()))


# --- load reports across heads ------------------------------------------------------------------------------


@pytest.mark.parametrize("class_name", HEADS)
def test_base_checkpoint_into_head_reports_what_transformers_misses(saved, class_name):
    _, folder = saved("DistilBertModel")
    ours = getattr(distilbert, class_name).from_pretrained(folder)
    _, info = getattr(transformers, class_name).from_pretrained(folder, output_loading_info=True, **EAGER)
    assert info["missing_keys"]
    assert set(ours.load_report.missing) == info["missing_keys"]
    assert not ours.load_report.unexpected and not info["unexpected_keys"]


@pytest.mark.parametrize("class_name", HEADS)
def test_head_checkpoint_into_base_reports_what_transformers_drops(saved, class_name):
    _, folder = saved(class_name)
    ours = DistilBertModel.from_pretrained(folder)
    theirs, info = transformers.DistilBertModel.from_pretrained(folder, output_loading_info=True, **EAGER)
    assert info["unexpected_keys"]
    assert set(ours.load_report.unexpected) == info["unexpected_keys"]
    assert not ours.load_report.missing and not info["missing_keys"]
    assert_outputs_equal(run(ours, **batch()), run(theirs.eval(), **batch()))


# --- head mask and pruning (transformers v4 semantics) ------------------------------------------------------

PRUNED = {0: [1, 2], 1: [0]}
# the head mask that silences the same heads: [layers, heads], 0 = masked
PRUNED_AS_MASK = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 1.0]])


def test_head_mask_of_ones_changes_nothing(saved):
    _, folder = saved("DistilBertForSequenceClassification")
    ours = distilbert.DistilBertForSequenceClassification.from_pretrained(folder)
    flags = {"output_hidden_states": True, "output_attentions": True}
    unmasked = run(ours, **batch(), **flags)
    assert_outputs_equal(run(ours, **batch(), head_mask=torch.ones(TINY["n_heads"]), **flags), unmasked)
    all_layers = torch.ones(TINY["n_layers"], TINY["n_heads"])
    assert_outputs_equal(run(ours, **batch(), head_mask=all_layers, **flags), unmasked)


def test_head_mask_zeros_heads_attention(saved):
    _, folder = saved("DistilBertModel")
    ours = DistilBertModel.from_pretrained(folder)
    attentions = run(ours, **batch(), head_mask=PRUNED_AS_MASK, output_attentions=True).attentions
    assert attentions[0][:, [1, 2]].abs().sum() == 0 and attentions[1][:, 0].abs().sum() == 0
    assert attentions[0][:, 0].abs().sum() > 0


def test_pruned_model_equals_head_mask_and_survives_saving(saved, tmp_path):
    _, folder = saved("DistilBertForMaskedLM")
    ours = distilbert.DistilBertForMaskedLM.from_pretrained(folder)
    pruned = copy.deepcopy(ours)
    pruned.prune_heads(PRUNED)
    assert [layer.n_heads for layer in pruned.distilbert.attention_layers()] == [2, 3]
    assert pruned.distilbert.transformer.layer[0].attention.q_lin.weight.shape == (16, TINY["dim"])
    expected = run(ours, **batch(), head_mask=PRUNED_AS_MASK, output_hidden_states=True)
    assert_outputs_equal(run(pruned, **batch(), output_hidden_states=True), expected)

    pruned.save_pretrained(tmp_path)
    reloaded = distilbert.DistilBertForMaskedLM.from_pretrained(tmp_path)
    assert reloaded.load_report.is_clean, reloaded.load_report
    assert reloaded.config.pruned_heads == {0: [1, 2], 1: [0]}  # JSON keys back to layer numbers, as v4
    assert_outputs_equal(run(reloaded, **batch(), output_hidden_states=True), expected)


def test_pruning_twice_counts_heads_in_the_original_numbering(saved):
    _, folder = saved("DistilBertModel")
    ours = DistilBertModel.from_pretrained(folder)
    step_by_step = copy.deepcopy(ours)
    step_by_step.prune_heads({0: [1]})
    step_by_step.prune_heads({0: [2, 1]})  # head 1 again: already gone, ignored
    at_once = copy.deepcopy(ours)
    at_once.prune_heads({0: [1, 2]})
    assert step_by_step.config.pruned_heads == {0: [1, 2]}
    assert_outputs_equal(run(step_by_step, **batch()), run(at_once, **batch()))


# --- configuration ------------------------------------------------------------------------------------------


def test_config_defaults_are_transformers():
    theirs = transformers.DistilBertConfig().to_dict()
    ours = DistilBertConfig().to_dict()
    for name in ("transformers_version", "_name_or_path"):
        theirs.pop(name)
        ours.pop(name, None)
    assert ours == theirs


def test_config_common_names_read_and_write_distilbert_names():
    config = DistilBertConfig(**TINY)
    assert (config.hidden_size, config.num_attention_heads, config.num_hidden_layers) == (32, 4, 2)
    config.hidden_size = 64
    assert config.dim == 64 and "hidden_size" not in config.to_dict()


def test_config_json_from_transformers_reads_back(saved):
    theirs, folder = saved("DistilBertModel", True)
    ours = DistilBertConfig.from_pretrained(folder)
    assert (ours.dim, ours.hidden_dim, ours.n_layers, ours.sinusoidal_pos_embds) == (32, 37, 2, True)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"dim": 30, "n_heads": 4}, "dim"),
        ({"n_layers": -1}, "n_layers"),
        ({"dim": 10**12}, "dim"),
        ({"hidden_dim": 0}, "hidden_dim"),
        ({"attention_dropout": 1.5}, "attention_dropout"),
        ({"activation": "gelu_fancy"}, "activation"),
    ],
)
def test_invalid_config_is_refused_naming_the_field(overrides, field):
    start = time.perf_counter()
    with pytest.raises(errors.ConfigValueError, match=field):
        DistilBertModel(DistilBertConfig(**(TINY | overrides)))
    assert time.perf_counter() - start < 1.0


def test_question_answering_needs_two_labels():
    with pytest.raises(errors.ConfigValueError, match="num_labels"):
        distilbert.DistilBertForQuestionAnswering(DistilBertConfig(**TINY, num_labels=3))
