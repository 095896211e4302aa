"""configuration.py and AutoConfig: transformers' defaults, unknown keys kept, labels, overrides, JSON round
trips both ways, and values that cannot work refused by name before anything is allocated."""

from __future__ import annotations

import json
import time

import pytest
import transformers

from explorer import AutoConfig, BertConfig, errors, registry
from explorer.configuration import PretrainedConfig


def without_version(data: dict) -> dict:
    """Drop what legitimately differs: the writer's version, and where the config was loaded from."""
    return {k: v for k, v in data.items() if k not in ("transformers_version", "_name_or_path")}


def test_defaults_equal_transformers():
    assert without_version(BertConfig().to_dict()) == without_version(transformers.BertConfig().to_dict())


def test_real_config_loads_like_transformers(minilm_path):
    ours = AutoConfig.from_pretrained(minilm_path)
    theirs = transformers.AutoConfig.from_pretrained(minilm_path)
    assert type(ours).__name__ == type(theirs).__name__ == "BertConfig"
    assert without_version(ours.to_dict()) == without_version(theirs.to_dict())
    assert without_version(ours.to_diff_dict()) == without_version(theirs.to_diff_dict())
    assert ours.position_embedding_type == "absolute"  # a key transformers v5 no longer knows, kept
    assert ours.name_or_path == theirs.name_or_path == str(minilm_path)


def test_the_trace_names_the_deciding_key(minilm_path):
    config = AutoConfig.from_pretrained(minilm_path)
    assert "config.json: model_type='bert' -> BertConfig" in repr(config.resolution_trace)
    assert config.resolution_trace.files[0].name == "config.json"


def test_labels_get_int_keys_and_overrides_apply(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({
        "model_type": "bert", "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}, "hidden_size": 64, "num_attention_heads": 4,
    }))
    config = AutoConfig.from_pretrained(tmp_path)
    assert config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    assert config.label2id == {"NEGATIVE": 0, "POSITIVE": 1}
    assert config.num_labels == 2
    five = AutoConfig.from_pretrained(tmp_path, num_labels=5, hidden_dropout_prob=0.0)
    theirs = transformers.AutoConfig.from_pretrained(tmp_path, num_labels=5, hidden_dropout_prob=0.0)
    assert five.id2label == theirs.id2label and five.label2id == theirs.label2id
    assert five.hidden_dropout_prob == 0.0


def test_return_unused_kwargs(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    config, unused = AutoConfig.from_pretrained(tmp_path, hidden_size=48, foo=1, return_unused_kwargs=True)
    assert config.hidden_size == 48 and unused == {"foo": 1}


def test_save_pretrained_round_trips_through_transformers(tmp_path):
    config = AutoConfig.for_model("bert", hidden_size=64, num_attention_heads=8, id2label={0: "a", 1: "b", 2: "c"})
    config.save_pretrained(tmp_path / "ours")
    theirs = transformers.AutoConfig.from_pretrained(tmp_path / "ours")
    assert without_version(theirs.to_dict()) == without_version(config.to_dict())
    transformers.BertConfig(hidden_size=96, num_attention_heads=3).save_pretrained(tmp_path / "theirs")
    back = AutoConfig.from_pretrained(tmp_path / "theirs")
    assert (back.hidden_size, back.num_attention_heads) == (96, 3)


def test_repr_is_the_json_diff():
    text = repr(BertConfig(hidden_size=64, num_attention_heads=4))
    assert text.startswith("BertConfig {")
    assert json.loads(text.removeprefix("BertConfig "))["hidden_size"] == 64


def test_torch_dtype_is_read_as_dtype():
    assert BertConfig(torch_dtype="float16").dtype == "float16"


@pytest.mark.parametrize("overrides, field", [
    ({"hidden_size": 30, "num_attention_heads": 4}, "hidden_size=30 is not a multiple of num_attention_heads=4"),
    ({"hidden_size": -1}, "hidden_size=-1 is out of range"),
    ({"num_hidden_layers": 0}, "num_hidden_layers=0 is out of range"),
    ({"hidden_size": 10**12}, "hidden_size=1000000000000 is out of range"),
    ({"vocab_size": "many"}, "vocab_size must be a whole number"),
    ({"intermediate_size": 3.5}, "intermediate_size must be a whole number"),
    ({"hidden_dropout_prob": 1.5}, "hidden_dropout_prob is a probability"),
    ({"problem_type": "ranking"}, "problem_type='ranking'"),
    ({"id2label": ["a", "b"]}, "id2label must map"),
    ({"id2label": {"x": "a"}}, "id2label keys must be label ids"),
])
def test_values_that_cannot_work_are_refused_by_name(tmp_path, overrides, field):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", **overrides}))
    start = time.perf_counter()
    with pytest.raises(errors.ConfigValueError, match=field.replace("(", r"\(").replace("[", r"\[")):
        AutoConfig.from_pretrained(tmp_path)
    assert time.perf_counter() - start < 1.0


def test_overrides_are_validated_too(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(errors.ConfigValueError, match="num_attention_heads"):
        AutoConfig.from_pretrained(tmp_path, num_attention_heads=7)


def test_unknown_model_type_names_file_types_and_closest(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "bret"}')
    with pytest.raises(errors.UnknownModelTypeError) as caught:
        AutoConfig.from_pretrained(tmp_path)
    message = str(caught.value)
    assert "config.json: model_type='bret'" in message
    supported = message.split("Supported: ")[1].split(".")[0].split(", ")
    assert {"bert", "distilbert", "roberta", "xlm-roberta"} <= set(supported) and supported == sorted(supported)
    assert "Did you mean 'bert'?" in message
    assert isinstance(caught.value, ValueError)


def test_missing_model_type_falls_back_to_the_name(tmp_path):
    folder = tmp_path / "my-distilbert-finetuned"
    folder.mkdir()
    (folder / "config.json").write_text('{"dim": 64, "n_heads": 4}')
    config = AutoConfig.from_pretrained(folder)
    assert type(config).__name__ == "DistilBertConfig"
    assert "found in the name" in repr(config.resolution_trace)
    plain = tmp_path / "mystery"
    plain.mkdir()
    (plain / "config.json").write_text("{}")
    with pytest.raises(errors.UnknownModelTypeError, match="has no model_type"):
        AutoConfig.from_pretrained(plain)


def test_custom_code_only_configs_are_refused(tmp_path):
    (tmp_path / "config.json").write_text('{"auto_map": {"AutoConfig": "x.MyConfig"}}')
    with pytest.raises(errors.RemoteCodeError, match="never runs code"):
        AutoConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(errors.RemoteCodeError):
        AutoConfig.from_pretrained(tmp_path, trust_remote_code=True)


def test_missing_config_names_the_file(tmp_path):
    with pytest.raises(errors.EntryNotFoundError, match="no config.json"):
        AutoConfig.from_pretrained(tmp_path)


def test_register_a_new_model_type(tmp_path, monkeypatch):
    monkeypatch.setattr(registry.CONFIGS, "_extra", {})  # registrations last the process: undo this one

    class TinyConfig(PretrainedConfig):
        model_type = "tiny-test"
        defaults = {"hidden_size": 8}

    AutoConfig.register("tiny-test", TinyConfig)
    (tmp_path / "config.json").write_text('{"model_type": "tiny-test", "hidden_size": 16}')
    assert AutoConfig.from_pretrained(tmp_path).hidden_size == 16
    with pytest.raises(ValueError, match="already maps"):
        AutoConfig.register("tiny-test", TinyConfig)
    with pytest.raises(errors.ConfigValueError, match="model_type"):
        AutoConfig.register("other", TinyConfig)


def test_auto_classes_are_not_instantiated():
    with pytest.raises(errors.AutoClassUsageError, match="from_pretrained"):
        AutoConfig()
