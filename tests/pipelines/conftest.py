"""Tiny random checkpoints saved by transformers, with all-MiniLM-L6-v2's WordPiece tokenizer (the
bert-base-uncased vocabulary), for comparing explorer's pipelines with transformers' on the same files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from parity import tiny_transformers_model

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")
# initializer_range 1: logits spread far apart, so no two scores are near enough for rounding to reorder them
BERT = {"vocab_size": 30522, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 32, "max_position_embeddings": 512, "initializer_range": 1.0}
DISTILBERT = {"vocab_size": 30522, "dim": 16, "n_layers": 2, "n_heads": 2, "hidden_dim": 32,
              "max_position_embeddings": 512, "initializer_range": 1.0}
CONFIGS = {"Bert": ("BertConfig", BERT), "DistilBert": ("DistilBertConfig", DISTILBERT)}


def copy_tokenizer(source: Path, folder: Path, tokenizer_class: str) -> None:
    for name in TOKENIZER_FILES:
        shutil.copy(source / name, folder / name)
    settings = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**settings, "tokenizer_class": tokenizer_class}))


@pytest.fixture(scope="session")
def tiny(tmp_path_factory, minilm_path):
    """``tiny("BertForTokenClassification", **config)``: the folder of a tiny random checkpoint saved by
    transformers with the tokenizer, made once per class and config."""
    made: dict[str, Path] = {}

    def get(class_name: str, seed: int = 0, **config: Any) -> Path:
        key = json.dumps([class_name, seed, config], sort_keys=True)
        if key not in made:
            family = "DistilBert" if class_name.startswith("DistilBert") else "Bert"
            config_class, sizes = CONFIGS[family]
            folder = tmp_path_factory.mktemp(class_name)
            tiny_transformers_model(class_name, config_class, folder, seed=seed, **sizes, **config)
            copy_tokenizer(minilm_path, folder, f"{family}Tokenizer")
            made[key] = folder
        return made[key]

    return get
