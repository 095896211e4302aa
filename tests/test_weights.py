"""weights.py and loading.py: safetensors single and sharded, weights-only .bin, dtype rules, tying, prefixes,
the load report, mismatched shapes, and bad files, each compared with transformers where it has an answer."""

from __future__ import annotations

import json
import logging
import pickle

import pytest
import torch
import transformers
from safetensors.torch import load_file, save_file

from explorer import (AutoModel, AutoModelForMaskedLM, AutoModelForSequenceClassification, BertConfig,
                      BertForMaskedLM, BertForSequenceClassification, BertModel, errors)
from explorer.loading import LoadReport
from explorer.weights import parse_size
from parity import assert_outputs_equal, padded_batch, tiny_transformers_model

TINY = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
            max_position_embeddings=64)


@pytest.fixture(scope="module")
def tiny_mlm(tmp_path_factory):
    """A BertForMaskedLM saved by transformers, and the transformers model itself."""
    folder = tmp_path_factory.mktemp("tiny-mlm")
    return folder, tiny_transformers_model("BertForMaskedLM", "BertConfig", folder, **TINY)


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-classifier")
    model = tiny_transformers_model("BertForSequenceClassification", "BertConfig", folder, num_labels=3, **TINY)
    return folder, model


def run(model, **extra):
    with torch.no_grad():
        return model(**padded_batch(99), **extra)


def test_sharded_safetensors_both_ways(tiny_mlm, tmp_path):
    folder, theirs = tiny_mlm
    ours = BertForMaskedLM.from_pretrained(folder)
    written = ours.save_pretrained(tmp_path / "sharded", max_shard_size="20KB")
    assert (tmp_path / "sharded" / "model.safetensors.index.json") in written
    assert len(list((tmp_path / "sharded").glob("model-*-of-*.safetensors"))) > 2
    again = BertForMaskedLM.from_pretrained(tmp_path / "sharded")
    assert again.load_report.is_clean
    assert_outputs_equal(run(again), run(theirs))
    reloaded = transformers.BertForMaskedLM.from_pretrained(tmp_path / "sharded").eval()
    assert_outputs_equal(run(reloaded), run(theirs))
    theirs.save_pretrained(tmp_path / "their-shards", max_shard_size="20KB")
    assert_outputs_equal(run(BertForMaskedLM.from_pretrained(tmp_path / "their-shards")), run(theirs))


def test_parameters_are_the_checkpoint_tensors_not_copies(tiny_mlm):
    folder, _ = tiny_mlm
    model = BertForMaskedLM.from_pretrained(folder)
    assert not any(p.is_meta for p in model.parameters())
    stored = load_file(folder / "model.safetensors")
    for name, parameter in model.named_parameters():
        if name in stored:
            assert torch.equal(parameter, stored[name]), name


@pytest.mark.parametrize("requested, expected", [
    (None, torch.float32), ("auto", torch.float32), (torch.float16, torch.float16), ("bfloat16", torch.bfloat16),
])
def test_dtype_argument(tiny_mlm, requested, expected):
    folder, _ = tiny_mlm
    model = BertForMaskedLM.from_pretrained(folder, dtype=requested) if requested else BertForMaskedLM.from_pretrained(folder)
    assert model.dtype == expected == model.config.dtype
    assert {p.dtype for p in model.parameters()} == {expected}


def test_torch_dtype_is_accepted_as_an_alias(tiny_mlm):
    assert BertForMaskedLM.from_pretrained(tiny_mlm[0], torch_dtype=torch.float16).dtype == torch.float16


def test_auto_dtype_reads_the_config_then_the_file(tiny_mlm, tmp_path):
    folder, _ = tiny_mlm
    half = BertForMaskedLM.from_pretrained(folder, dtype=torch.float16)
    half.save_pretrained(tmp_path / "half")
    assert BertForMaskedLM.from_pretrained(tmp_path / "half").dtype == torch.float16  # config.json: dtype
    config = json.loads((tmp_path / "half" / "config.json").read_text())
    del config["dtype"]
    (tmp_path / "half" / "config.json").write_text(json.dumps(config))
    assert BertForMaskedLM.from_pretrained(tmp_path / "half").dtype == torch.float16  # the file's own dtype
    assert transformers.BertForMaskedLM.from_pretrained(tmp_path / "half").dtype == torch.float16


def test_an_invalid_dtype_is_refused(tiny_mlm):
    with pytest.raises(errors.ConfigValueError, match="float17"):
        BertForMaskedLM.from_pretrained(tiny_mlm[0], dtype="float17")


def test_tied_embeddings_share_one_parameter(tiny_mlm):
    model = BertForMaskedLM.from_pretrained(tiny_mlm[0])
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    assert model.cls.predictions.decoder.bias is model.cls.predictions.bias


def test_a_checkpoint_holding_only_the_tied_target_still_ties(tiny_mlm, tmp_path):
    """transformers ties symmetrically: the side that is present fills the other."""
    folder, theirs = tiny_mlm
    tensors = load_file(folder / "model.safetensors")
    tensors["cls.predictions.decoder.weight"] = tensors.pop("bert.embeddings.word_embeddings.weight")
    (tmp_path / "config.json").write_bytes((folder / "config.json").read_bytes())
    save_file(tensors, tmp_path / "model.safetensors", metadata={"format": "pt"})
    model = BertForMaskedLM.from_pretrained(tmp_path)
    assert model.load_report.is_clean
    assert_outputs_equal(run(model), run(theirs))


def test_base_checkpoint_into_a_head_reports_the_head_as_missing(tiny_mlm, caplog):
    folder, _ = tiny_mlm
    with caplog.at_level(logging.WARNING, logger="explorer"):
        model, info = BertForSequenceClassification.from_pretrained(folder, num_labels=4, output_loading_info=True)
    _, their_info = transformers.BertForSequenceClassification.from_pretrained(
        folder, num_labels=4, output_loading_info=True
    )
    assert info["missing_keys"] == set(their_info["missing_keys"])
    assert info["unexpected_keys"] == set(their_info["unexpected_keys"])
    assert set(model.load_report.missing) >= {"classifier.weight", "classifier.bias"}
    assert "missing (newly initialised)" in caplog.text and "classifier.weight" in caplog.text
    assert model.classifier.weight.std() > 0  # initialised, not left empty


def test_head_checkpoint_into_the_base_model_drops_the_head(tiny_classifier):
    folder, theirs = tiny_classifier
    model = BertModel.from_pretrained(folder)
    assert set(model.load_report.unexpected) == {"classifier.weight", "classifier.bias"}
    assert not model.load_report.missing
    with torch.no_grad():
        expected = theirs.bert(**padded_batch(99))
    assert_outputs_equal(run(model), expected)


def test_a_shape_mismatch_names_the_tensor_and_the_flag(tiny_classifier):
    folder, _ = tiny_classifier
    with pytest.raises(errors.ShapeMismatchError, match=r"classifier\.(weight|bias) has shape \[3.*\[5.*"
                                                         r"ignore_mismatched_sizes=True"):
        AutoModelForSequenceClassification.from_pretrained(folder, num_labels=5)


def test_ignore_mismatched_sizes_matches_transformers(tiny_classifier):
    folder, _ = tiny_classifier
    model, info = AutoModelForSequenceClassification.from_pretrained(
        folder, num_labels=5, ignore_mismatched_sizes=True, output_loading_info=True
    )
    _, theirs = transformers.AutoModelForSequenceClassification.from_pretrained(
        folder, num_labels=5, ignore_mismatched_sizes=True, output_loading_info=True
    )
    assert {key for key, *_ in info["mismatched_keys"]} == {key for key, *_ in theirs["mismatched_keys"]}
    assert model.classifier.weight.shape == (5, 32)
    assert "checkpoint [3, 32] vs model [5, 32]" in str(model.load_report)


def test_legacy_gamma_beta_names_load(tiny_mlm, tmp_path):
    folder, theirs = tiny_mlm
    tensors = {
        key.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): value
        for key, value in load_file(folder / "model.safetensors").items()
    }
    (tmp_path / "config.json").write_bytes((folder / "config.json").read_bytes())
    save_file(tensors, tmp_path / "model.safetensors")
    model = BertForMaskedLM.from_pretrained(tmp_path)
    assert model.load_report.is_clean
    assert_outputs_equal(run(model), run(theirs))


# --- .bin files -----------------------------------------------------------------------------------------------------


def test_bin_is_read_weights_only_with_a_warning(tiny_mlm, tmp_path):
    folder, theirs = tiny_mlm
    BertForMaskedLM.from_pretrained(folder).save_pretrained(tmp_path, safe_serialization=False)
    assert (tmp_path / "pytorch_model.bin").exists()
    with pytest.warns(errors.PickleWeightsWarning, match="weights_only=True"):
        model = BertForMaskedLM.from_pretrained(tmp_path)
    assert_outputs_equal(run(model), run(theirs))


def test_safetensors_wins_over_bin(tiny_mlm, tmp_path):
    folder, _ = tiny_mlm
    model = BertForMaskedLM.from_pretrained(folder)
    model.save_pretrained(tmp_path, safe_serialization=False)
    model.save_pretrained(tmp_path)
    assert BertForMaskedLM.from_pretrained(tmp_path).load_report.files == ["model.safetensors"]


class RunsCode:
    """Unpickling this would create a file: the test checks that it never appears."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_that_would_run_code_is_refused_and_does_not_run(tiny_mlm, tmp_path):
    folder, _ = tiny_mlm
    marker = tmp_path / "pwned"
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "config.json").write_bytes((folder / "config.json").read_bytes())
    with open(tmp_path / "ckpt" / "pytorch_model.bin", "wb") as handle:
        pickle.dump({"weight": RunsCode(str(marker))}, handle)
    with pytest.warns(errors.PickleWeightsWarning), pytest.raises(errors.UnsafePickleError, match="refused"):
        BertForMaskedLM.from_pretrained(tmp_path / "ckpt")
    assert not marker.exists()


def test_a_pickle_of_something_other_than_tensors_is_refused(tiny_mlm, tmp_path):
    (tmp_path / "config.json").write_bytes((tiny_mlm[0] / "config.json").read_bytes())
    torch.save({"weight": [1, 2, 3]}, tmp_path / "pytorch_model.bin")
    with pytest.warns(errors.PickleWeightsWarning), pytest.raises(errors.CorruptWeightsError, match="dict of tensors"):
        BertForMaskedLM.from_pretrained(tmp_path)


# --- bad files and arguments -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_safetensors_is_a_typed_error_naming_the_file(tiny_mlm, tmp_path, damage):
    folder, _ = tiny_mlm
    data = (folder / "model.safetensors").read_bytes()
    data = {"truncate": data[: len(data) // 2], "garbage": b"\x13" * 64, "empty": b""}[damage]
    (tmp_path / "config.json").write_bytes((folder / "config.json").read_bytes())
    (tmp_path / "model.safetensors").write_bytes(data)
    with pytest.raises(errors.CorruptWeightsError, match="model.safetensors is not a valid safetensors file"):
        BertForMaskedLM.from_pretrained(tmp_path)


def test_no_weights_names_what_was_looked_for(tmp_path):
    BertConfig(**TINY).save_pretrained(tmp_path)
    (tmp_path / "tf_model.h5").write_bytes(b"")
    with pytest.raises(errors.EntryNotFoundError, match=r"no weights.*tf_model\.h5.*only PyTorch"):
        AutoModel.from_pretrained(tmp_path)


def test_a_shard_index_pointing_outside_is_refused(tmp_path):
    BertConfig(**TINY).save_pretrained(tmp_path)
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"a": "../../etc/passwd"}}))
    with pytest.raises(errors.UnsafePathError):
        AutoModel.from_pretrained(tmp_path)


def test_unknown_arguments_and_remote_code_are_refused(tiny_mlm):
    with pytest.raises(errors.UnexpectedArgumentError, match="not_an_option"):
        AutoModelForMaskedLM.from_pretrained(tiny_mlm[0], not_an_option=1)
    with pytest.raises(errors.RemoteCodeError):
        AutoModelForMaskedLM.from_pretrained(tiny_mlm[0], trust_remote_code=True)


def test_the_report_reads_as_a_table():
    report = LoadReport("BertModel", files=["model.safetensors"], loaded=3, missing=["pooler.dense.weight"],
                        unexpected=["cls.x"], mismatched=[("a.weight", (2, 2), (3, 2))])
    lines = str(report).splitlines()
    assert lines[0] == "BertModel load report: 3 tensors loaded from model.safetensors"
    assert lines[1].split() == ["missing", "(newly", "initialised)", "pooler.dense.weight"]
    assert "checkpoint [2, 2] vs model [3, 2]" in lines[3]
    assert not report.is_clean and LoadReport("BertModel").is_clean


@pytest.mark.parametrize("text, expected", [("5GB", 5 * 10**9), ("20KB", 20_000), ("1GiB", 2**30), (123, 123)])
def test_shard_sizes_like_transformers(text, expected):
    assert parse_size(text) == expected


def test_a_clean_load_initialises_nothing(tiny_mlm, monkeypatch):
    """Weights the checkpoint fills are never randomly initialised first (transformers' no_init_weights)."""
    calls = []
    monkeypatch.setattr(BertForMaskedLM, "_init_weights", lambda self, module: calls.append(module))
    model = BertForMaskedLM.from_pretrained(tiny_mlm[0])
    assert model.load_report.is_clean and calls == []


def test_torch_initialisers_are_restored_when_building_fails(tmp_path):
    """DistilBERT's QA head refuses num_labels=3 inside its constructor, under the loader's no-init context."""
    from explorer import DistilBertConfig, DistilBertForQuestionAnswering, DistilBertModel

    before = torch.nn.init.normal_
    DistilBertModel(DistilBertConfig(dim=32, n_layers=1, n_heads=4, hidden_dim=37, vocab_size=99)).save_pretrained(tmp_path)
    with pytest.raises(errors.ConfigValueError, match="num_labels=2"):
        DistilBertForQuestionAnswering.from_pretrained(tmp_path, num_labels=3)
    assert torch.nn.init.normal_ is before
    assert torch.nn.Linear(3, 3).weight.std() > 0


def test_a_module_missing_one_tensor_keeps_the_ones_it_loaded(tiny_mlm, tmp_path):
    """Initialising the missing bias of a LayerNorm must not touch its loaded weight."""
    folder, _ = tiny_mlm
    tensors = load_file(folder / "model.safetensors")
    del tensors["bert.embeddings.LayerNorm.bias"]
    (tmp_path / "config.json").write_bytes((folder / "config.json").read_bytes())
    save_file(tensors, tmp_path / "model.safetensors")
    model = BertForMaskedLM.from_pretrained(tmp_path)
    assert model.load_report.missing == ["bert.embeddings.LayerNorm.bias"]
    torch.testing.assert_close(model.bert.embeddings.LayerNorm.weight, tensors["bert.embeddings.LayerNorm.weight"])
    assert torch.equal(model.bert.embeddings.LayerNorm.bias, torch.zeros(32))
