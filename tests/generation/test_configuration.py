"""generation/configuration.py: GenerationConfig's fields, from_model_config, files both ways with transformers,
validation naming the field (and the file), and the hook that gives generating models their config."""

from __future__ import annotations

import json

import pytest
import transformers

from explorer import BertConfig, BertForMaskedLM, errors
from explorer.generation import GenerationConfig, GenerationMixin
from explorer.generation.configuration import GENERATION_CONFIG_NAME

from .adapter import tiny_gpt2, tiny_llama


def without_version(data: dict) -> dict:
    return {name: value for name, value in data.items() if name != "transformers_version"}


def test_the_fields_are_transformers_all_unset():
    ours, theirs = GenerationConfig().to_dict(), transformers.GenerationConfig().to_dict()
    assert set(ours) == set(theirs)
    assert without_version(ours) == without_version(theirs)


@pytest.mark.parametrize("make", [
    lambda: tiny_gpt2().config, lambda: tiny_llama().config,
    lambda: transformers.BertConfig(pad_token_id=3, output_hidden_states=True),
])
def test_from_model_config_as_transformers(make):
    config = make()
    ours = GenerationConfig.from_model_config(config)
    theirs = transformers.GenerationConfig.from_model_config(config)
    assert without_version(ours.to_diff_dict()) == without_version(theirs.to_diff_dict())
    assert ours.eos_token_id == config.eos_token_id and ours._from_model_config is True


def test_from_model_config_of_an_explorer_config():
    ours = GenerationConfig.from_model_config(BertConfig(pad_token_id=1))
    theirs = transformers.GenerationConfig.from_model_config(transformers.BertConfig(pad_token_id=1))
    assert (ours.pad_token_id, ours.use_cache) == (theirs.pad_token_id, theirs.use_cache) == (1, True)


def test_files_both_ways(tmp_path):
    settings = {"do_sample": True, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "eos_token_id": [2, 5],
                "pad_token_id": 0, "max_new_tokens": 64, "repetition_penalty": 1.05, "min_p": 0.05}
    transformers.GenerationConfig(**settings).save_pretrained(tmp_path / "theirs")
    loaded = GenerationConfig.from_pretrained(tmp_path / "theirs")
    assert all(getattr(loaded, name) == value for name, value in settings.items())
    GenerationConfig(**settings, custom_entry="kept").save_pretrained(tmp_path / "ours")
    saved = json.loads((tmp_path / "ours" / GENERATION_CONFIG_NAME).read_text())
    assert saved == {**settings, "custom_entry": "kept"}
    again = transformers.GenerationConfig.from_pretrained(tmp_path / "ours")
    assert all(getattr(again, name) == value for name, value in settings.items()) and again.custom_entry == "kept"


def test_from_pretrained_overrides_and_unused(tmp_path):
    GenerationConfig(top_k=5).save_pretrained(tmp_path)
    config, unused = GenerationConfig.from_pretrained(tmp_path, top_k=7, colour="red", return_unused_kwargs=True)
    assert config.top_k == 7 and unused == {"colour": "red"}
    assert config.update(top_p=0.5, shape="round") == {"shape": "round"} and config.top_p == 0.5


def test_a_file_made_from_config_json_keeps_only_generation_fields(tmp_path):
    (tmp_path / GENERATION_CONFIG_NAME).write_text(json.dumps(
        {"_from_model_config": True, "bos_token_id": 1, "eos_token_id": 2, "n_layer": 12}))
    config = GenerationConfig.from_pretrained(tmp_path)
    assert (config.bos_token_id, config.eos_token_id) == (1, 2) and not hasattr(config, "n_layer")


def test_file_errors_name_the_file_and_the_field(tmp_path):
    with pytest.raises(errors.EntryNotFoundError, match=GENERATION_CONFIG_NAME):
        GenerationConfig.from_pretrained(tmp_path)
    (tmp_path / GENERATION_CONFIG_NAME).write_text('{"top_p": 1.5}')
    with pytest.raises(errors.ConfigValueError, match=f"{GENERATION_CONFIG_NAME} .*top_p must be a number"):
        GenerationConfig.from_pretrained(tmp_path)
    (tmp_path / GENERATION_CONFIG_NAME).write_text('{"top_p": ')
    with pytest.raises(errors.MalformedFileError, match=GENERATION_CONFIG_NAME):
        GenerationConfig.from_pretrained(tmp_path)
    (tmp_path / GENERATION_CONFIG_NAME).write_text('{"update": 1}')
    with pytest.raises(errors.ConfigValueError, match="'update' cannot be a setting"):
        GenerationConfig.from_pretrained(tmp_path)
    with pytest.raises(errors.ConfigValueError, match="config.json: use_cache must be true, false or null"):
        GenerationConfig.from_model_config({"use_cache": "yes"})


@pytest.mark.parametrize(("settings", "message"), [
    ({"max_new_tokens": -1}, "max_new_tokens must be a whole number from 1 to 1,048,576"),
    ({"max_new_tokens": 2_000_000}, "max_new_tokens must be a whole number from 1 to 1,048,576"),
    ({"max_length": 2.5}, "max_length must be a whole number"),
    ({"min_new_tokens": -2}, "min_new_tokens must be a whole number from 0"),
    ({"temperature": -1.0}, "temperature must be a number of at least 0"),
    ({"temperature": 0, "do_sample": True}, "temperature=0 with do_sample=True"),
    ({"top_p": 0}, "top_p must be a number greater than 0 and at most 1"),
    ({"top_p": 1.01}, "top_p must be a number greater than 0 and at most 1"),
    ({"top_k": -5}, "top_k must be a whole number from 0"),
    ({"min_p": 2}, "min_p must be a number between 0 and 1"),
    ({"repetition_penalty": 0.0}, "repetition_penalty must be a number greater than 0"),
    ({"repetition_penalty": float("nan")}, "repetition_penalty must be a number greater than 0"),
    ({"no_repeat_ngram_size": -1}, "no_repeat_ngram_size must be a whole number from 0"),
    ({"num_return_sequences": 0}, "num_return_sequences must be a whole number from 1"),
    ({"num_return_sequences": 3}, "num_return_sequences=3 without do_sample=True"),
    ({"do_sample": "yes"}, "do_sample must be true, false or null"),
    ({"eos_token_id": []}, "eos_token_id must be a token id .*non-empty list"),
    ({"eos_token_id": [1, -2]}, "eos_token_id must be a token id"),
    ({"bos_token_id": True}, "bos_token_id must be a token id"),
])
def test_values_that_cannot_work(settings, message):
    with pytest.raises(errors.ConfigValueError, match=message):
        GenerationConfig(**settings)


def test_what_generate_does_not_implement_is_kept_and_listed():
    config = GenerationConfig(num_beams=3, typical_p=1.0, epsilon_cutoff=0.1, early_stopping=True)
    assert config.unsupported() == ["epsilon_cutoff=0.1", "num_beams=3 (beam search)"]
    assert GenerationConfig(typical_p=1.0, cache_implementation="dynamic").unsupported() == []


# --- the models' hook (modeling.py, loading.py) --------------------------------------------------------------


class GeneratingBert(BertForMaskedLM, GenerationMixin):
    """A head that mixes in GenerationMixin, as the decoders' LM heads do (BERT stands in: only the loading and
    saving of generation_config are checked here)."""


TINY_BERT = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 37,
             "vocab_size": 99, "max_position_embeddings": 64, "pad_token_id": 0}


def test_models_that_generate_read_and_save_their_generation_config(tmp_path):
    transformers.BertForMaskedLM(transformers.BertConfig(**TINY_BERT)).save_pretrained(tmp_path / "plain")
    assert not BertForMaskedLM.can_generate() and GeneratingBert.can_generate()
    assert not hasattr(BertForMaskedLM.from_pretrained(tmp_path / "plain"), "generation_config")
    model = GeneratingBert.from_pretrained(tmp_path / "plain")  # no generation_config.json: from config.json
    assert model.generation_config == GenerationConfig.from_model_config(model.config)
    transformers.GenerationConfig(do_sample=True, temperature=0.5, pad_token_id=0).save_pretrained(tmp_path / "plain")
    model = GeneratingBert.from_pretrained(tmp_path / "plain")
    assert (model.generation_config.do_sample, model.generation_config.temperature) == (True, 0.5)
    written = model.save_pretrained(tmp_path / "saved")
    assert tmp_path / "saved" / GENERATION_CONFIG_NAME in written
    assert transformers.GenerationConfig.from_pretrained(tmp_path / "saved").temperature == 0.5


def test_a_bad_generation_config_file_fails_the_load_naming_it(tmp_path):
    transformers.BertForMaskedLM(transformers.BertConfig(**TINY_BERT)).save_pretrained(tmp_path)
    (tmp_path / GENERATION_CONFIG_NAME).write_text('{"top_k": -1}')
    with pytest.raises(errors.ConfigValueError, match=f"{GENERATION_CONFIG_NAME} .*top_k must be"):
        GeneratingBert.from_pretrained(tmp_path)
