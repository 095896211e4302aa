"""auto.py: each Auto class picks the class transformers picks, records why, and works offline through the
Hugging Face cache; the real all-MiniLM-L6-v2 checkpoint matches transformers."""

from __future__ import annotations

import pytest
import torch
import transformers

import explorer
from explorer import (AutoConfig, AutoModel, AutoModelForMaskedLM, AutoModelForQuestionAnswering,
                      AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer, errors,
                      registry)
from hubcache import copy_folder_to_cache

AUTO_CLASSES = ["AutoModel", "AutoModelForMaskedLM", "AutoModelForSequenceClassification",
                "AutoModelForTokenClassification", "AutoModelForQuestionAnswering"]
TINY = {
    "bert": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, vocab_size=99),
    "roberta": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, vocab_size=99),
    "xlm-roberta": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                        vocab_size=99),
    "distilbert": dict(dim=32, n_layers=2, n_heads=4, hidden_dim=37, vocab_size=99),
}
SENTENCES = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!"]


@pytest.mark.parametrize("model_type", sorted(TINY))
@pytest.mark.parametrize("auto_name", AUTO_CLASSES)
def test_each_auto_class_picks_the_class_transformers_picks(model_type, auto_name):
    config = AutoConfig.for_model(model_type, **TINY[model_type])
    model = getattr(explorer, auto_name).from_config(config)
    their_config = transformers.AutoConfig.for_model(model_type, **TINY[model_type])
    theirs = getattr(transformers, auto_name).from_config(their_config)
    assert type(model).__name__ == type(theirs).__name__
    assert set(model.state_dict()) == set(theirs.state_dict())


def test_minilm_loads_clean_and_matches_transformers(minilm_path):
    tokenizer = AutoTokenizer.from_pretrained(minilm_path)
    model = AutoModel.from_pretrained(minilm_path)
    assert type(model).__name__ == "BertModel"
    assert model.load_report.is_clean, str(model.load_report)
    theirs = transformers.AutoModel.from_pretrained(minilm_path).eval()
    batch = tokenizer(SENTENCES, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        ours, expected = model(**batch), theirs(**batch)
    torch.testing.assert_close(ours.last_hidden_state, expected.last_hidden_state, atol=1e-5, rtol=0)
    torch.testing.assert_close(ours.pooler_output, expected.pooler_output, atol=1e-5, rtol=0)


def test_the_trace_of_a_model_load(minilm_path):
    model = AutoModel.from_pretrained(minilm_path)
    trace = model.resolution_trace
    text = repr(trace)
    assert "config.json: model_type='bert' -> BertConfig" in text
    assert "config.json: architectures[0]='BertModel' -> BertModel" in text
    assert "model.safetensors -> weights read from this file" in text
    sizes = {read.name: read.size for read in trace.files}
    assert sizes["model.safetensors"] == (minilm_path / "model.safetensors").stat().st_size
    data = trace.to_dict()
    assert data["decisions"][0]["stage"] == "AutoConfig" and data["files"][0]["name"] == "config.json"


def test_a_base_checkpoint_into_a_head_records_both_classes(minilm_path):
    model = AutoModelForSequenceClassification.from_pretrained(minilm_path, num_labels=5)
    assert type(model).__name__ == "BertForSequenceClassification"
    assert model.config.num_labels == 5 and model.classifier.out_features == 5
    assert set(model.load_report.missing) == {"classifier.weight", "classifier.bias"}
    assert "architectures[0]='BertModel' -> BertForSequenceClassification (saved from BertModel" in repr(
        model.resolution_trace
    )


def test_the_tokenizer_trace(minilm_path):
    tokenizer = AutoTokenizer.from_pretrained(minilm_path)
    text = repr(tokenizer.resolution_trace)
    assert "tokenizer_config.json: tokenizer_class='BertTokenizer' -> BertTokenizerFast" in text
    assert "tokenizer.json" in {read.name for read in tokenizer.resolution_trace.files}


def test_hub_id_through_the_cache_offline(minilm_path, hf_cache, no_network):
    repo = "sentence-transformers/all-MiniLM-L6-v2"
    copy_folder_to_cache(hf_cache, repo, minilm_path)
    tokenizer = AutoTokenizer.from_pretrained(repo, cache_dir=hf_cache)
    model = AutoModel.from_pretrained(repo, cache_dir=hf_cache)
    assert model.load_report.is_clean
    assert tokenizer("In a hole in the ground there lived a hobbit.")["input_ids"][:4] == [101, 1999, 1037, 4920]
    assert {read.source for read in model.resolution_trace.files} == {"cache"}
    assert not no_network


def test_offline_without_cache_is_a_clear_error(hf_cache, no_network):
    """An id neither in the cache nor in explorer's offline catalog (which has bert-base-uncased)."""
    with pytest.raises(errors.OfflineCacheMissError, match="google-bert/bert-large-uncased"):
        AutoModel.from_pretrained("google-bert/bert-large-uncased", cache_dir=hf_cache)
    with pytest.raises(errors.OfflineCacheMissError):
        AutoTokenizer.from_pretrained("FacebookAI/roberta-base", cache_dir=hf_cache)
    assert not no_network


def test_a_config_object_or_reference_can_be_passed(minilm_path):
    config = AutoConfig.from_pretrained(minilm_path, num_labels=3)
    model = AutoModelForSequenceClassification.from_pretrained(minilm_path, config=config)
    assert model.classifier.out_features == 3
    assert model.resolution_trace is not None and model.resolution_trace.files
    assert config.num_labels == 3  # the caller's object is not mutated by the load


def test_a_model_type_without_the_head_names_the_supported_ones(monkeypatch, tmp_path):
    class Config(explorer.PretrainedConfig):
        model_type = "headless-test"

    monkeypatch.setattr(registry.CONFIGS, "_extra", {})
    AutoConfig.register("headless-test", Config)
    (tmp_path / "config.json").write_text('{"model_type": "headless-test"}')
    with pytest.raises(errors.UnknownModelTypeError, match="not supported by AutoModelForMaskedLM. Supported: bert"):
        AutoModelForMaskedLM.from_pretrained(tmp_path)


@pytest.mark.parametrize("auto_class", [AutoModel, AutoModelForTokenClassification, AutoModelForQuestionAnswering,
                                        AutoTokenizer])
def test_auto_classes_are_factories(auto_class):
    with pytest.raises(errors.AutoClassUsageError):
        auto_class()
