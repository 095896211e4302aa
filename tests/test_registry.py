"""registry.py: one row per architecture, and every table, export and lookup derived from the rows."""

from __future__ import annotations

import importlib

import pytest

import explorer
from explorer import auto, registry

ROWS = registry.ARCHITECTURES


@pytest.mark.parametrize("name", sorted(registry.exported_classes()))
def test_every_registered_class_is_exported_and_importable(name):
    assert name in explorer.__all__
    cls = getattr(explorer, name)
    assert isinstance(cls, type)
    assert cls is getattr(importlib.import_module(registry.exported_classes()[name]), name)


def test_one_row_per_model_type():
    types = [row.model_type for row in ROWS]
    assert len(types) == len(set(types)) and set(types) == set(registry.ARCHITECTURE_OF)


@pytest.mark.parametrize("row", [row for row in ROWS if row.config], ids=lambda row: row.model_type)
def test_a_rows_config_and_models_belong_to_its_model_type(row):
    config_class = registry.CONFIGS.get(row.model_type)
    assert config_class.__name__ == row.config and config_class.model_type == row.model_type
    for auto_name, class_name in row.models.items():
        model_class = registry.MODEL_TABLES[auto_name].get(row.model_type)
        assert model_class.__name__ == class_name
        assert issubclass(config_class, model_class.config_class)


@pytest.mark.parametrize("auto_name", registry.MODEL_AUTO_CLASSES)
def test_each_model_auto_class_reads_its_own_column(auto_name):
    table = getattr(auto, auto_name)._registry
    assert table is registry.MODEL_TABLES[auto_name]
    assert set(table) == {row.model_type for row in ROWS if auto_name in row.models}


def test_preprocessing_tables_come_from_the_rows():
    assert registry.IMAGE_PROCESSORS.class_name("swin") == "ViTImageProcessor"  # as transformers' table
    assert registry.IMAGE_PROCESSORS.class_name("resnet") == "ConvNextImageProcessor"
    assert set(registry.FEATURE_EXTRACTORS) == {"wav2vec2", "whisper"}
    assert set(registry.PROCESSORS) == {"wav2vec2", "clip", "layoutlmv2"}
    assert "layoutlmv2" not in registry.MODELS  # its configuration and preprocessing only


@pytest.mark.parametrize(("model_type", "architecture", "expected"), [
    ("bert", "BertForMaskedLM", "AutoModelForMaskedLM"),
    ("bert", "BertModel", "AutoModel"),
    ("bert", "BertForPreTraining", "AutoModel"),  # a head explorer does not have: the base model
    ("distilbert", "DistilBertForSequenceClassification", "AutoModelForSequenceClassification"),
    ("wav2vec2", "Wav2Vec2ForSequenceClassification", "AutoModelForAudioClassification"),
    ("wav2vec2", "Wav2Vec2ForCTC", "AutoModelForCTC"),
    ("swin", "SwinForImageClassification", "AutoModelForImageClassification"),
    ("resnet", "ResNetBackbone", "AutoModel"),  # never saved from a backbone
    ("vit", None, "AutoModel"),
])
def test_the_auto_class_of_a_saved_architecture(model_type, architecture, expected):
    assert registry.auto_class_for_architecture(model_type, architecture) == expected


def test_a_new_architecture_is_one_row(monkeypatch):
    """A row added to ARCHITECTURES is in every table built from the rows (here: the model table)."""
    row = registry.Architecture("tiny-bert", "bert", "BertConfig", {"AutoModel": "BertModel"})
    monkeypatch.setattr(registry, "ARCHITECTURES", (*ROWS, row))
    assert registry.model_table("AutoModel").get("tiny-bert") is explorer.BertModel
    assert registry.table("AutoConfig", lambda r: (r.model_module, r.config)).get("tiny-bert") is explorer.BertConfig
