"""Hostile files: pickles that would run code, lying safetensors, JSON of the wrong shape or size, absurd
configs, tokenizer files that are not, random-weights markers that are not, links and names that leave the
checkpoint. Each ends, within two
seconds, in a typed error naming the file or field; nothing from a file ever runs.

(tests/test_weights.py and tests/test_hub.py already cover a legacy pickle calling ``open``, damaged
safetensors, one link out of a folder, ``..`` in requested names and deeply nested config.json.)"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import struct
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from explorer import (AutoConfig, AutoFeatureExtractor, AutoImageProcessor, AutoModel, AutoTokenizer, BertConfig,
                      BertModel, errors)
from explorer.hub import Checkpoint
from explorer.loading import RANDOM_WEIGHTS_FILE
from explorer.resolution import open_checkpoint
from hubcache import add_to_cache
from hubserver import hub  # noqa: F401  (a fixture)

TINY = dict(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=37)
SECONDS = 2.0  # every hostile case is refused within this


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    torch.manual_seed(0)
    BertModel(BertConfig(**TINY)).save_pretrained(folder)
    return folder


def make(root: Path, base: Path | None = None, **files: bytes | str | dict | list) -> Path:
    """A checkpoint folder: ``base``'s files, then ``files`` (name -> bytes, text, or JSON data) over them."""
    root.mkdir(parents=True, exist_ok=True)
    if base is not None:
        for path in base.iterdir():
            if path.is_file():
                shutil.copy(path, root / path.name)
    for name, content in files.items():
        name = name.replace("__", ".")
        if isinstance(content, (dict, list)):
            content = json.dumps(content)
        (root / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def refused(call, error: type[Exception], match: str | None = None):
    """``call()`` raises ``error`` matching ``match`` within SECONDS."""
    started = time.monotonic()
    with pytest.raises(error, match=match) as caught:
        call()
    assert time.monotonic() - started < SECONDS
    return caught.value


# --- pickles that would run code -------------------------------------------------------------------------------


class Payload:
    """Unpickling this would call ``function(*arguments)``: each test checks the side effect never happens."""

    def __init__(self, function, *arguments) -> None:
        self.call = (function, arguments)

    def __reduce__(self):
        return self.call


def payloads(marker: Path) -> dict[str, Payload]:
    return {
        "os.system": Payload(os.system, f"touch {marker}"),
        "builtins.exec": Payload(exec, f"open({str(marker)!r}, 'w').close()"),
        "builtins.eval": Payload(eval, f"open({str(marker)!r}, 'w')"),
        "subprocess": Payload(__import__("subprocess").call, [sys.executable, "-c", f"open({str(marker)!r}, 'w')"]),
    }


@pytest.mark.parametrize("how", ["torch.save (zip)", "pickle.dump (legacy)"])
@pytest.mark.parametrize("payload", ["os.system", "builtins.exec", "builtins.eval", "subprocess"])
def test_a_pickle_that_would_run_code_never_runs(tiny, tmp_path, payload, how):
    marker = tmp_path / "ran"
    state = {"embeddings.word_embeddings.weight": payloads(marker)[payload]}
    folder = make(tmp_path / "ckpt", config__json=(tiny / "config.json").read_bytes())
    with open(folder / "pytorch_model.bin", "wb") as handle:
        torch.save(state, handle) if how.startswith("torch") else pickle.dump(state, handle)
    with pytest.warns(errors.PickleWeightsWarning):
        refused(lambda: AutoModel.from_pretrained(folder), errors.UnsafePickleError,
                r"pytorch_model\.bin holds more than tensors.*refused without running")
    assert not marker.exists()


def test_a_hostile_shard_in_a_sharded_bin_never_runs(tiny, tmp_path):
    marker = tmp_path / "ran"
    folder = make(tmp_path / "ckpt", config__json=(tiny / "config.json").read_bytes(),
                  pytorch_model__bin__index__json={"weight_map": {"embeddings.word_embeddings.weight": "part-1.bin"}})
    torch.save({"embeddings.word_embeddings.weight": payloads(marker)["os.system"]}, folder / "part-1.bin")
    with pytest.warns(errors.PickleWeightsWarning):
        refused(lambda: AutoModel.from_pretrained(folder), errors.UnsafePickleError, r"part-1\.bin")
    assert not marker.exists()


def test_a_hostile_pickle_downloaded_from_the_hub_never_runs(hub, tiny, tmp_path):  # noqa: F811
    marker = tmp_path / "ran"
    bin_file = tmp_path / "pytorch_model.bin"
    torch.save({"embeddings.word_embeddings.weight": payloads(marker)["builtins.exec"]}, bin_file)
    hub.add_repo("org/evil", {"config.json": tiny / "config.json", "pytorch_model.bin": bin_file})
    with pytest.warns(errors.PickleWeightsWarning):
        refused(lambda: AutoModel.from_pretrained("org/evil", cache_dir=hub.cache), errors.UnsafePickleError,
                "refused without running")
    assert not marker.exists()


# --- safetensors that lie ---------------------------------------------------------------------------------------


def safetensors(header: dict, body: bytes, header_length: int | None = None) -> bytes:
    """A safetensors file written by hand: 8-byte little-endian header length, JSON header, body."""
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded) if header_length is None else header_length) + encoded + body


def tensor(dtype: str, shape: list[int], start: int, end: int) -> dict:
    return {"dtype": dtype, "shape": shape, "data_offsets": [start, end]}


LYING_SAFETENSORS = {
    "header length of 10^15": safetensors({"a": tensor("F32", [1], 0, 4)}, bytes(4), header_length=10**15),
    "header length past the end": safetensors({"a": tensor("F32", [1], 0, 4)}, bytes(4), header_length=200),
    "header length of zero": safetensors({"a": tensor("F32", [1], 0, 4)}, bytes(4), header_length=0),
    "overlapping offsets": safetensors({"a": tensor("F32", [2], 0, 8), "b": tensor("F32", [2], 4, 12)}, bytes(12)),
    "offsets out of range": safetensors({"a": tensor("F32", [1000], 0, 4000)}, bytes(40)),
    "reversed offsets": safetensors({"a": tensor("F32", [1], 4, 0)}, bytes(4)),
    "unknown dtype": safetensors({"a": tensor("Q9", [1], 0, 4)}, bytes(4)),
    "shape larger than its bytes": safetensors({"a": tensor("F32", [10**6, 10**6], 0, 4)}, bytes(4)),
    "negative shape": safetensors({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, bytes(4)),
    "body one byte short": safetensors({"a": tensor("F32", [10], 0, 40)}, bytes(39)),
    "header not JSON": struct.pack("<Q", 5) + b"{{{{{",
    "header deeply nested": struct.pack("<Q", 200_000) + b"[" * 100_000 + b"]" * 100_000,
    "header a list": safetensors([1, 2], b""),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", LYING_SAFETENSORS)
def test_lying_safetensors_are_refused(tiny, tmp_path, case):
    folder = make(tmp_path, tiny, model__safetensors=LYING_SAFETENSORS[case])
    refused(lambda: AutoModel.from_pretrained(folder), errors.CorruptWeightsError,
            r"model\.safetensors is not a valid safetensors file")


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.uint8])
def test_a_tensor_of_the_wrong_kind_is_refused_naming_it(tiny, tmp_path, dtype):
    """Integers where the model has floats: torch would fail deep inside with an untyped RuntimeError."""
    tensors = {name: t.clone() for name, t in BertModel.from_pretrained(tiny).state_dict().items()}
    tensors["embeddings.word_embeddings.weight"] = torch.zeros(99, 32, dtype=dtype)
    save_file(tensors, tmp_path / "weights.safetensors")
    folder = make(tmp_path / "ckpt", tiny, model__safetensors=(tmp_path / "weights.safetensors").read_bytes())
    refused(lambda: AutoModel.from_pretrained(folder), errors.CorruptWeightsError,
            rf"model\.safetensors: embeddings\.word_embeddings\.weight holds {dtype}")


def test_a_lying_shard_of_a_sharded_checkpoint_is_refused(tiny, tmp_path):
    folder = make(tmp_path, tiny, model__safetensors__index__json={"weight_map": {"a": "model-1-of-1.safetensors"}})
    (folder / "model.safetensors").unlink()
    (folder / "model-1-of-1.safetensors").write_bytes(LYING_SAFETENSORS["overlapping offsets"])
    refused(lambda: AutoModel.from_pretrained(folder), errors.CorruptWeightsError, r"model-1-of-1\.safetensors")


# --- JSON: huge, nested, of the wrong types ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["config.json", "tokenizer_config.json", "preprocessor_config.json",
                                  "tokenizer.json"])
def test_a_huge_json_file_is_refused_before_it_is_read(tiny, tmp_path, name):
    folder = make(tmp_path, tiny)
    with open(folder / name, "wb") as handle:  # sparse: 65 MB on paper, nothing on disk
        handle.truncate(65 * 1024 * 1024)
    load = {"config.json": AutoConfig, "tokenizer_config.json": AutoTokenizer, "tokenizer.json": AutoTokenizer,
            "preprocessor_config.json": AutoImageProcessor}[name]
    refused(lambda: load.from_pretrained(folder), errors.MalformedFileError, rf"{name} is \d+ bytes, more than")


@pytest.mark.parametrize("name, loader", [("tokenizer_config.json", AutoTokenizer),
                                          ("preprocessor_config.json", AutoImageProcessor),
                                          ("special_tokens_map.json", AutoTokenizer)])
def test_deeply_nested_json_of_other_files_is_refused(tiny, tmp_path, minilm_path, name, loader):
    folder = make(tmp_path, minilm_path if loader is AutoTokenizer else tiny)
    (folder / name).write_bytes(b'{"a": ' * 100_000 + b"1" + b"}" * 100_000)
    refused(lambda: loader.from_pretrained(folder), errors.MalformedFileError, rf"{name} is not valid JSON")


WRONG_TYPES = {  # config.json of the tiny BERT with one field changed: (field, value)
    "model_type a number": ("model_type", 5),
    "hidden_size a string": ("hidden_size", "768"),
    "hidden_size a float": ("hidden_size", 32.5),
    "vocab_size a boolean": ("vocab_size", True),
    "num_attention_heads null": ("num_attention_heads", None),
    "layer_norm_eps a string": ("layer_norm_eps", "x"),
    "layer_norm_eps negative": ("layer_norm_eps", -1),
    "initializer_range a list": ("initializer_range", [0.02]),
    "hidden_act a number": ("hidden_act", 5),
    "hidden_act unknown": ("hidden_act", "nope"),
    "dropout above one": ("hidden_dropout_prob", 2),
    "dtype unknown": ("dtype", "float99"),
    "id2label a list": ("id2label", ["a", "b"]),
    "id2label keys not ids": ("id2label", {"a": "x"}),
    "architectures a string": ("architectures", "BertModel"),
    "architectures of numbers": ("architectures", [5]),
    "pad_token_id a string": ("pad_token_id", "x"),
    "pad_token_id outside the vocabulary": ("pad_token_id", 10**9),
    "pruned_heads a list": ("pruned_heads", [1]),
    "pruned_heads of strings": ("pruned_heads", {"0": "x"}),
    "output_attentions a string": ("output_attentions", "yes"),
    "chunk_size_feed_forward negative": ("chunk_size_feed_forward", -1),
    "problem_type unknown": ("problem_type", "guessing"),
    "a dropout null where the class has a number": ("hidden_dropout_prob", None),
    "num_labels 10^12 (a dict of 10^12 labels)": ("num_labels", 10**12),
    "a key naming Python's machinery": ("__class__", "x"),
    "a key replacing a method": ("to_dict", 1),
    "a key replacing a read-only property": ("resolution_trace", 1),
}


@pytest.mark.parametrize("case", WRONG_TYPES)
def test_config_fields_of_the_wrong_type_name_the_field(tiny, tmp_path, case):
    field, value = WRONG_TYPES[case]
    config = {**json.loads((tiny / "config.json").read_text()), field: value}
    folder = make(tmp_path, tiny, config__json=config)
    error = refused(lambda: AutoModel.from_pretrained(folder), errors.ExplorerError)
    assert isinstance(error, (errors.ConfigValueError, errors.MalformedFileError, errors.UnknownModelTypeError))
    assert field in str(error)


# --- sizes: negative, zero, absurd -------------------------------------------------------------------------------


ABSURD_SIZES = {  # config.json: the field the error must name
    "bert hidden_size 10^12": ({"model_type": "bert", "hidden_size": 10**12}, "hidden_size"),
    "bert hidden_size -1": ({"model_type": "bert", "hidden_size": -1}, "hidden_size"),
    "bert num_hidden_layers 0": ({"model_type": "bert", "num_hidden_layers": 0}, "num_hidden_layers"),
    "bert type_vocab_size 0": ({"model_type": "bert", "type_vocab_size": 0}, "type_vocab_size"),
    "roberta vocab_size 10^12": ({"model_type": "roberta", "vocab_size": 10**12}, "vocab_size"),
    "xlm-roberta max_position_embeddings 0": ({"model_type": "xlm-roberta", "max_position_embeddings": 0},
                                              "max_position_embeddings"),
    "distilbert dim 10^12": ({"model_type": "distilbert", "dim": 10**12}, "dim"),
    "distilbert n_layers -1": ({"model_type": "distilbert", "n_layers": -1}, "n_layers"),
    "vit image_size 10^12": ({"model_type": "vit", "image_size": 10**12}, "image_size"),
    "vit patch_size 0": ({"model_type": "vit", "patch_size": 0}, "patch_size"),
    "vit num_channels -3": ({"model_type": "vit", "num_channels": -3}, "num_channels"),
    "swin depths with a negative": ({"model_type": "swin", "depths": [2, -2, 6, 2]}, "depths"),
    "swin embed_dim 10^12": ({"model_type": "swin", "embed_dim": 10**12}, "embed_dim"),
    "swin window_size 0": ({"model_type": "swin", "window_size": 0}, "window_size"),
    "convnext hidden_sizes 10^12": ({"model_type": "convnext", "hidden_sizes": [10**12, 2, 3, 4]}, "hidden_sizes"),
    "resnet hidden_sizes -1": ({"model_type": "resnet", "hidden_sizes": [-1, 2, 3, 4]}, "hidden_sizes"),
    "resnet embedding_size 10^12": ({"model_type": "resnet", "embedding_size": 10**12}, "embedding_size"),
    "wav2vec2 conv_dim 10^12": ({"model_type": "wav2vec2", "conv_dim": [10**12] * 7}, "conv_dim"),
    "wav2vec2 num_conv_pos_embeddings 0": ({"model_type": "wav2vec2", "num_conv_pos_embeddings": 0},
                                           "num_conv_pos_embeddings"),
    "clip text hidden_size 10^12": ({"model_type": "clip", "text_config": {"hidden_size": 10**12}}, "hidden_size"),
    "clip projection_dim 0": ({"model_type": "clip", "projection_dim": 0}, "projection_dim"),
}


@pytest.mark.parametrize("case", ABSURD_SIZES)
def test_absurd_sizes_fail_at_once_naming_the_field(tiny, tmp_path, case):
    config, field = ABSURD_SIZES[case]
    folder = make(tmp_path, tiny, config__json=config)
    assert field in str(refused(lambda: AutoModel.from_pretrained(folder), errors.ConfigValueError))


def test_sizes_each_allowed_but_absurd_together_fail_before_allocating(tiny, tmp_path):
    """16M tokens x 65536 features: each within its limit, 4 TiB together; refused on the meta device."""
    config = {"model_type": "bert", "vocab_size": 1 << 24, "hidden_size": 1 << 16, "num_attention_heads": 1,
              "num_hidden_layers": 2, "intermediate_size": 1 << 18}
    folder = make(tmp_path, tiny, config__json=config)
    refused(lambda: AutoModel.from_pretrained(folder, ignore_mismatched_sizes=True), errors.ConfigValueError,
            r"needs [\d,.]+ GiB for its weights, more than this machine's")


# --- tokenizer files that are not ---------------------------------------------------------------------------------


NOT_A_TOKENIZER = {
    "an unrelated JSON object": {"foo": 1},
    "a JSON list": [1, 2],
    "binary garbage": b"\x00\xff" * 100,
    "cut short": "TRUNCATE",
    "model null": {"version": "1.0", "model": None},
    "vocabulary of the wrong type": {"version": "1.0", "model": {"type": "WordPiece", "vocab": [1, 2]}},
    "an unknown model type": {"version": "1.0", "model": {"type": "Evil"}},
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("case", NOT_A_TOKENIZER)
def test_a_tokenizer_json_that_is_not_one(minilm_path, tmp_path, case):
    content = NOT_A_TOKENIZER[case]
    if content == "TRUNCATE":
        content = (minilm_path / "tokenizer.json").read_bytes()[:5000]
    folder = make(tmp_path, minilm_path, tokenizer__json=content)
    refused(lambda: AutoTokenizer.from_pretrained(folder), errors.MalformedFileError, r"tokenizer\.json")


BAD_TOKENIZER_SETTINGS = {  # file, content, what the message names
    "model_max_length a string": ("tokenizer_config.json", {"model_max_length": "x"}, "model_max_length"),
    "model_max_length negative": ("tokenizer_config.json", {"model_max_length": -5}, "model_max_length"),
    "do_lower_case a string": ("tokenizer_config.json", {"do_lower_case": "yes"}, "do_lower_case"),
    "added_tokens_decoder a list": ("tokenizer_config.json", {"added_tokens_decoder": [1]}, "added_tokens_decoder"),
    "an added token not an object": ("tokenizer_config.json", {"added_tokens_decoder": {"x": 5}}, "added token"),
    "pad_token a number": ("tokenizer_config.json", {"pad_token": 5}, "pad_token"),
    "pad_token content a number": ("tokenizer_config.json", {"pad_token": {"content": 5}}, "pad_token"),
    "padding_side unknown": ("tokenizer_config.json", {"padding_side": "middle"}, "padding_side"),
    "special tokens of numbers": ("tokenizer_config.json", {"additional_special_tokens": [1, 2]}, "special_tokens"),
    "a JSON list": ("tokenizer_config.json", [1], "tokenizer_config.json"),
    "special_tokens_map of numbers": ("special_tokens_map.json", {"pad_token": [1]}, "pad_token"),
    "vocab.txt not UTF-8": ("vocab.txt", b"\xff\xfe" * 50, "vocab.txt"),
    "model_input_names null": ("tokenizer_config.json", {"model_input_names": None}, "model_input_names"),
    "special tokens a boolean": ("tokenizer_config.json", {"additional_special_tokens": True}, "special_tokens"),
}


@pytest.mark.parametrize("case", BAD_TOKENIZER_SETTINGS)
def test_tokenizer_settings_of_the_wrong_type_name_the_field(minilm_path, tmp_path, case):
    name, content, field = BAD_TOKENIZER_SETTINGS[case]
    folder = make(tmp_path, minilm_path, **{name.replace(".", "__"): content})
    if name == "vocab.txt":
        (folder / "tokenizer.json").unlink()
    if name == "tokenizer_config.json":  # its own special tokens, not the map's, are the ones under test
        (folder / "special_tokens_map.json").unlink()
    error = refused(lambda: AutoTokenizer.from_pretrained(folder)("hello"), errors.ExplorerError)
    assert isinstance(error, (errors.ConfigValueError, errors.MalformedFileError)) and field in str(error)


def test_vocabulary_keys_in_the_settings_are_not_taken_for_the_vocabulary(minilm_path, tmp_path):
    folder = make(tmp_path, minilm_path, tokenizer_config__json={"vocab": None, "merges": 5, "do_lower_case": True})
    assert AutoTokenizer.from_pretrained(folder)("hello")["input_ids"] == [101, 7592, 102]


def test_custom_tokenizer_code_is_never_imported(minilm_path, tmp_path):
    """An auto_map naming code in the checkpoint is ignored: the built-in tokenizer loads, nothing is imported."""
    folder = make(tmp_path, minilm_path, evil__py="open('ran', 'w')",
                  tokenizer_config__json={"auto_map": {"AutoTokenizer": ["evil.EvilTokenizer", None]}})
    assert AutoTokenizer.from_pretrained(folder)("hello")["input_ids"] == [101, 7592, 102]
    assert "evil" not in sys.modules and not (Path.cwd() / "ran").exists()


# --- preprocessor settings ---------------------------------------------------------------------------------------


ABSURD_PREPROCESSING = {  # preprocessor_config.json, the field named, how it is loaded
    "image size 10^12": ({"image_processor_type": "ViTImageProcessor", "size": {"height": 10**12, "width": 10**12}},
                         "size", AutoImageProcessor),
    "image size negative": ({"image_processor_type": "ViTImageProcessor", "size": {"height": -1, "width": 3}},
                            "size", AutoImageProcessor),
    "image size a string": ({"image_processor_type": "ViTImageProcessor", "size": "big"}, "size", AutoImageProcessor),
    "image_mean of two": ({"image_processor_type": "ViTImageProcessor", "image_mean": [1, 2]}, "image_mean",
                          AutoImageProcessor),
    "image_std of zeros": ({"image_processor_type": "ViTImageProcessor", "image_std": [0, 0, 0]}, "image_std",
                           AutoImageProcessor),
    "rescale_factor a string": ({"image_processor_type": "ViTImageProcessor", "rescale_factor": "x"},
                                "rescale_factor", AutoImageProcessor),
    "rescale_factor 10^40 (float32 overflow)": ({"image_processor_type": "ViTImageProcessor", "rescale_factor": 1e40},
                                                "rescale_factor", AutoImageProcessor),
    "image_mean NaN": ({"image_processor_type": "ViTImageProcessor", "image_mean": [float("nan")] * 3},
                       "image_mean", AutoImageProcessor),
    "resample 99": ({"image_processor_type": "ViTImageProcessor", "resample": 99}, "resample", AutoImageProcessor),
    "crop_pct negative": ({"image_processor_type": "ConvNextImageProcessor", "crop_pct": -1}, "crop_pct",
                          AutoImageProcessor),
    "crop_size negative": ({"image_processor_type": "CLIPImageProcessor", "crop_size": {"height": -1, "width": 2}},
                           "crop_size", AutoImageProcessor),
    "sampling_rate 0": ({"feature_extractor_type": "Wav2Vec2FeatureExtractor", "sampling_rate": 0},
                        "sampling_rate", AutoFeatureExtractor),
    "sampling_rate 10^12": ({"feature_extractor_type": "Wav2Vec2FeatureExtractor", "sampling_rate": 10**12},
                            "sampling_rate", AutoFeatureExtractor),
    "feature_size -1": ({"feature_extractor_type": "Wav2Vec2FeatureExtractor", "feature_size": -1},
                        "feature_size", AutoFeatureExtractor),
    "padding_value a string": ({"feature_extractor_type": "Wav2Vec2FeatureExtractor", "padding_value": "x"},
                               "padding_value", AutoFeatureExtractor),
    "mel bins 10^12": ({"feature_extractor_type": "WhisperFeatureExtractor", "feature_size": 10**12},
                       "feature_size", AutoFeatureExtractor),
    "chunk_length 10^12": ({"feature_extractor_type": "WhisperFeatureExtractor", "chunk_length": 10**12},
                           "chunk_length", AutoFeatureExtractor),
    "n_fft 0": ({"feature_extractor_type": "WhisperFeatureExtractor", "n_fft": 0}, "n_fft", AutoFeatureExtractor),
    "a key naming Python's machinery": ({"image_processor_type": "ViTImageProcessor", "__dict__": None},
                                        "__dict__", AutoImageProcessor),
    "a key replacing a method": ({"feature_extractor_type": "Wav2Vec2FeatureExtractor", "to_dict": 1},
                                 "to_dict", AutoFeatureExtractor),
}


def first_use(preprocessor):
    """Load-time checks may wait for the first call (settings can be overridden per call): make it."""
    if hasattr(preprocessor, "sampling_rate"):
        return preprocessor(np.zeros(1600, dtype=np.float32), sampling_rate=preprocessor.sampling_rate)
    return preprocessor(np.zeros((8, 8, 3), dtype=np.uint8))


@pytest.mark.parametrize("case", ABSURD_PREPROCESSING)
def test_absurd_preprocessing_settings_fail_at_once_naming_the_field(tmp_path, case):
    settings, field, loader = ABSURD_PREPROCESSING[case]
    folder = make(tmp_path, preprocessor_config__json=settings)
    assert field in str(refused(lambda: first_use(loader.from_pretrained(folder)), errors.ConfigValueError))


def test_an_image_too_large_for_the_settings_is_refused_not_allocated(tmp_path):
    settings = {"image_processor_type": "ConvNextImageProcessor", "size": {"shortest_edge": 10**12}}
    processor = AutoImageProcessor.from_pretrained(make(tmp_path, preprocessor_config__json=settings))
    refused(lambda: processor(np.zeros((8, 8, 3), dtype=np.uint8)), errors.ImageInputError, "more than the limit")


# --- links and names that leave the checkpoint ---------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path) -> Path:
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "config.json").write_text('{"model_type": "bert"}')
    (secret / "model.safetensors").write_bytes(b"not yours")
    return secret


def test_a_weights_link_out_of_the_folder_is_refused(tiny, tmp_path, outside):
    folder = make(tmp_path / "ckpt", tiny)
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").symlink_to(outside / "model.safetensors")
    refused(lambda: AutoModel.from_pretrained(folder), errors.UnsafePathError, r"model\.safetensors .*outside")


def test_a_chain_of_links_ending_outside_is_refused(tiny, tmp_path, outside):
    folder = make(tmp_path / "ckpt", tiny)
    (folder / "config.json").unlink()
    (folder / "hop.json").symlink_to(outside / "config.json")
    (folder / "config.json").symlink_to(folder / "hop.json")
    refused(lambda: AutoConfig.from_pretrained(folder), errors.UnsafePathError, "outside the checkpoint")


def test_a_subfolder_that_is_a_link_out_is_refused(tiny, tmp_path, outside):
    folder = make(tmp_path / "ckpt", tiny)
    (folder / "text").symlink_to(outside, target_is_directory=True)
    refused(lambda: AutoConfig.from_pretrained(folder, subfolder="text"), errors.UnsafePathError, "outside")


def test_a_link_that_stays_inside_is_fine(tiny, tmp_path):
    folder = make(tmp_path / "ckpt", tiny)
    (folder / "weights").mkdir()
    (folder / "model.safetensors").rename(folder / "weights" / "model.safetensors")
    (folder / "model.safetensors").symlink_to(folder / "weights" / "model.safetensors")
    assert AutoModel.from_pretrained(folder).load_report.is_clean


def test_a_cache_entry_linking_out_of_its_repository_is_refused(tiny, hf_cache, outside):
    commit = add_to_cache(hf_cache, "org/poisoned", {"config.json": tiny / "config.json"})
    entry = hf_cache / "models--org--poisoned" / "snapshots" / commit / "config.json"
    entry.unlink()
    entry.symlink_to(outside / "config.json")
    refused(lambda: AutoConfig.from_pretrained("org/poisoned", cache_dir=hf_cache), errors.UnsafePathError,
            "outside the checkpoint")


@pytest.mark.parametrize("index", ["model.safetensors.index.json", "pytorch_model.bin.index.json"])
@pytest.mark.parametrize("shard", ["../model.safetensors", "a/../../x.bin", "/etc/passwd", "..\\..\\x.bin", "C:/x.bin"])
def test_shard_names_that_climb_out_are_refused(tiny, tmp_path, index, shard):
    folder = make(tmp_path / "ckpt", tiny, **{index.replace(".", "__"): {"weight_map": {"a": shard}}})
    (folder / "model.safetensors").unlink()
    refused(lambda: AutoModel.from_pretrained(folder), errors.UnsafePathError, "leaves the checkpoint")


@pytest.mark.parametrize("weight_map", [["a"], {"a": 5}, {"a": None}, "model.safetensors", {}])
def test_a_weight_map_of_the_wrong_shape(tiny, tmp_path, weight_map):
    folder = make(tmp_path / "ckpt", tiny, model__safetensors__index__json={"weight_map": weight_map})
    (folder / "model.safetensors").unlink()
    refused(lambda: AutoModel.from_pretrained(folder), errors.MalformedFileError, r"index\.json: weight_map")


def test_a_climbing_shard_name_from_the_hub_is_never_requested(hub, tiny):  # noqa: F811
    hub.add_repo("org/climb", {"config.json": tiny / "config.json",
                               "model.safetensors.index.json": json.dumps({"weight_map": {"a": "../../x"}}).encode()})
    refused(lambda: AutoModel.from_pretrained("org/climb", cache_dir=hub.cache), errors.UnsafePathError, "leaves")
    assert not any("x" == path.rsplit("/", 1)[-1] for _, path in hub.requests)


def test_a_checkpoint_reference_is_refused_when_it_is_a_file_link_out(tmp_path, outside):
    (tmp_path / "ref").symlink_to(outside / "config.json")
    refused(lambda: open_checkpoint(tmp_path / "ref"), errors.CheckpointNotFoundError, "is a file")


# --- the random-weights marker (a catalog copy's stand-in for weights) ----------------------------------------------


MARKER = RANDOM_WEIGHTS_FILE.replace(".", "__")  # make()'s spelling of the file name


def weightless(root: Path, tiny: Path, marker: bytes | str | dict | list) -> Path:
    """A checkpoint with the tiny BERT's config.json and ``marker`` in place of weights."""
    return make(root, config__json=(tiny / "config.json").read_bytes(), **{MARKER: marker})


def test_a_valid_marker_gives_seeded_random_weights_read_once(tiny, tmp_path, monkeypatch):
    folder = weightless(tmp_path / "ckpt", tiny, {"weights": "random", "seed": 7, "note": "a test copy"})
    read_json, reads = Checkpoint.read_json, []

    def counted(self, name, *args, **kwargs):
        reads.append(name)
        return read_json(self, name, *args, **kwargs)

    monkeypatch.setattr(Checkpoint, "read_json", counted)
    model = AutoModel.from_pretrained(folder)
    assert model.load_report.random_weights == "seed 7: a test copy"
    assert [(d.file, d.value) for d in model.resolution_trace.decisions if d.key == "seed"] == [(RANDOM_WEIGHTS_FILE, 7)]
    assert reads.count(RANDOM_WEIGHTS_FILE) == 1


def test_a_marker_is_read_in_a_subfolder_and_from_the_hub(hub, tiny, tmp_path):  # noqa: F811
    marker = {"weights": "random", "seed": 3, "note": "elsewhere"}
    weightless(tmp_path / "ckpt" / "text", tiny, marker)
    in_subfolder = AutoModel.from_pretrained(tmp_path / "ckpt", subfolder="text")
    assert any(d.file == f"text/{RANDOM_WEIGHTS_FILE}" for d in in_subfolder.resolution_trace.decisions)
    hub.add_repo("org/copy", {"config.json": tiny / "config.json", RANDOM_WEIGHTS_FILE: json.dumps(marker).encode()})
    from_hub = AutoModel.from_pretrained("org/copy", cache_dir=hub.cache)
    assert from_hub.load_report.random_weights == in_subfolder.load_report.random_weights == "seed 3: elsewhere"


def test_a_marker_not_for_random_weights_is_no_weights(tiny, tmp_path):
    folder = weightless(tmp_path / "ckpt", tiny, {"weights": "real", "seed": "not even a number"})
    refused(lambda: AutoModel.from_pretrained(folder), errors.EntryNotFoundError, r"has no weights")


def test_a_marker_linking_out_of_the_folder_is_refused(tiny, tmp_path, outside):
    (outside / RANDOM_WEIGHTS_FILE).write_text(json.dumps({"weights": "random", "seed": 1}))
    folder = make(tmp_path / "ckpt", config__json=(tiny / "config.json").read_bytes())
    (folder / RANDOM_WEIGHTS_FILE).symlink_to(outside / RANDOM_WEIGHTS_FILE)
    refused(lambda: AutoModel.from_pretrained(folder), errors.UnsafePathError,
            rf"{RANDOM_WEIGHTS_FILE} .*outside the checkpoint")


def test_a_huge_marker_is_refused_before_it_is_read(tiny, tmp_path):
    folder = weightless(tmp_path / "ckpt", tiny, b"")
    with open(folder / RANDOM_WEIGHTS_FILE, "wb") as handle:  # sparse: 65 MB on paper, nothing on disk
        handle.truncate(65 * 1024 * 1024)
    refused(lambda: AutoModel.from_pretrained(folder), errors.MalformedFileError,
            rf"{RANDOM_WEIGHTS_FILE} is \d+ bytes, more than")


BAD_MARKERS = {  # the marker's content, what the message says
    "not JSON": (b'{"weights": "random", "seed": ', "is not valid JSON"),
    "deeply nested": (b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "is not valid JSON"),
    "a JSON array": ([{"weights": "random", "seed": 1}], "must hold a JSON object"),
    "seed a string": ({"weights": "random", "seed": "42"}, "seed must be an integer"),
    "seed a float": ({"weights": "random", "seed": 1.5}, "seed must be an integer"),
    "seed a boolean": ({"weights": "random", "seed": True}, "seed must be an integer"),
    "seed null": ({"weights": "random", "seed": None}, "seed must be an integer"),
    "seed negative": ({"weights": "random", "seed": -1}, "seed must be an integer"),
    "seed past torch's seeds": ({"weights": "random", "seed": 2**64}, "seed must be an integer"),
    "note a number": ({"weights": "random", "seed": 1, "note": 5}, "note a string"),
}


@pytest.mark.parametrize("case", BAD_MARKERS)
def test_a_marker_that_is_not_one_names_the_file(tiny, tmp_path, case):
    content, message = BAD_MARKERS[case]
    folder = weightless(tmp_path / "ckpt", tiny, content)
    refused(lambda: AutoModel.from_pretrained(folder), errors.MalformedFileError,
            rf"{RANDOM_WEIGHTS_FILE}.*{message}")
