"""LayoutLMv2's configuration against transformers (explorer has its configuration and processor, not its
model): defaults, the round trip through config.json both ways, and AutoModel's clear refusal."""

from __future__ import annotations

import pytest
import transformers

from explorer import AutoConfig, AutoModel, errors
from explorer.models.layoutlmv2 import LayoutLMv2Config

VOLATILE = ("transformers_version", "_name_or_path")


def comparable(config) -> dict:
    return {key: value for key, value in config.to_dict().items() if key not in VOLATILE}


def test_defaults_are_transformers():
    assert comparable(LayoutLMv2Config()) == comparable(transformers.LayoutLMv2Config())


def test_round_trip_both_ways(tmp_path):
    transformers.LayoutLMv2Config(hidden_size=64, num_attention_heads=4, max_rel_pos=64).save_pretrained(tmp_path)
    ours = AutoConfig.from_pretrained(tmp_path)
    assert type(ours) is LayoutLMv2Config and (ours.hidden_size, ours.max_rel_pos) == (64, 64)
    ours.save_pretrained(tmp_path / "again")
    theirs = transformers.AutoConfig.from_pretrained(tmp_path / "again")
    assert comparable(theirs) == comparable(transformers.LayoutLMv2Config.from_pretrained(tmp_path))


def test_automodel_names_what_it_can_build(tmp_path):
    LayoutLMv2Config().save_pretrained(tmp_path)
    with pytest.raises(errors.UnknownModelTypeError, match="layoutlmv2.*not supported by AutoModel"):
        AutoModel.from_pretrained(tmp_path)


def test_sizes_are_checked():
    with pytest.raises(errors.ConfigValueError, match="hidden_size"):
        LayoutLMv2Config(hidden_size=100, num_attention_heads=12)
