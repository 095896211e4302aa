"""Fuzzing (hypothesis) of the files a checkpoint hands explorer: config.json, tokenizer_config.json,
preprocessor_config.json and the safetensors header. Whatever they hold, loading either works or raises one
of explorer's typed errors: never a crash, a hang (each example has a deadline) or an untyped exception.

Each property runs a bounded number of examples so the suite stays fast; integers are drawn small or extreme
(sizes in between are valid and only slow: resource limits are tested in test_hostile_files.py)."""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer import AutoConfig, AutoFeatureExtractor, AutoImageProcessor, AutoModel, AutoTokenizer, BertConfig, \
    BertModel, errors

FUZZ = settings(max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.too_slow], database=None)

integers = st.one_of(st.integers(-3, 300), st.sampled_from([0, -1, 2**31, 2**63, -(2**63), 10**12, 10**40]))
floats = st.one_of(st.floats(-10, 10), st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, -0.0]))
scalars = st.one_of(st.none(), st.booleans(), integers, floats, st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=10)


def settings_of(keys: list[str]) -> st.SearchStrategy[dict]:
    """Dicts over known keys (and a few unknown ones) with any JSON values."""
    return st.dictionaries(st.one_of(st.sampled_from(keys), st.text(max_size=8)), values, max_size=6)


@contextmanager
def folder_with(**files: bytes | dict):
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        for filename, content in files.items():
            data = content if isinstance(content, bytes) else json.dumps(content).encode()  # NaN and inf included
            (root / filename.replace("__", ".")).write_bytes(data)
        yield root


def typed_or_fine(call) -> None:
    """``call()`` succeeds or raises one of explorer's errors; anything else fails the property. Warnings are
    allowed (e.g. transformers' own note that a mel filter is empty at a tiny sampling rate): they are not
    failures in user code."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            call()
    except errors.ExplorerError:
        pass


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                         intermediate_size=37)).save_pretrained(folder)
    return folder


# --- config.json ----------------------------------------------------------------------------------------------------

MODEL_TYPES = ["bert", "distilbert", "roberta", "xlm-roberta", "vit", "swin", "convnext", "resnet", "wav2vec2", "clip",
               "clip_text_model", "clip_vision_model", "gpt9", ""]
CONFIG_KEYS = ["hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size",
               "max_position_embeddings", "type_vocab_size", "hidden_act", "layer_norm_eps", "hidden_dropout_prob",
               "initializer_range", "pad_token_id", "id2label", "label2id", "num_labels", "architectures", "dtype",
               "torch_dtype", "problem_type", "pruned_heads", "image_size", "patch_size", "num_channels", "depths",
               "hidden_sizes", "embed_dim", "window_size", "conv_dim", "conv_kernel", "conv_stride", "text_config",
               "vision_config", "projection_dim", "dim", "n_layers", "n_heads", "auto_map", "out_features",
               "out_indices", "output_attentions", "return_dict", "chunk_size_feed_forward"]


@FUZZ
@given(model_type=st.sampled_from(MODEL_TYPES), fields=settings_of(CONFIG_KEYS))
def test_any_config_json_gives_a_config_or_a_typed_error(model_type, fields):
    with folder_with(config__json={"model_type": model_type, **fields}) as folder:
        typed_or_fine(lambda: AutoConfig.from_pretrained(folder))


@FUZZ
@given(fields=settings_of(CONFIG_KEYS))
def test_any_change_to_a_real_config_gives_a_model_or_a_typed_error(tiny, fields):
    config = {**json.loads((tiny / "config.json").read_text()), **fields}
    with folder_with(config__json=config) as folder:
        shutil.copy(tiny / "model.safetensors", folder)
        typed_or_fine(lambda: AutoModel.from_pretrained(folder))


# --- tokenizer_config.json --------------------------------------------------------------------------------------------

TOKENIZER_KEYS = ["model_max_length", "do_lower_case", "pad_token", "unk_token", "cls_token", "sep_token",
                  "mask_token", "bos_token", "eos_token", "padding_side", "truncation_side", "added_tokens_decoder",
                  "tokenizer_class", "additional_special_tokens", "extra_special_tokens", "strip_accents",
                  "tokenize_chinese_chars", "clean_up_tokenization_spaces", "model_input_names", "auto_map"]


@FUZZ
@given(fields=settings_of(TOKENIZER_KEYS))
def test_any_tokenizer_config_gives_a_tokenizer_or_a_typed_error(minilm_path, fields):
    with folder_with(tokenizer_config__json=fields) as folder:
        for name in ("config.json", "tokenizer.json"):
            shutil.copy(minilm_path / name, folder)
        typed_or_fine(lambda: AutoTokenizer.from_pretrained(folder)("hello world", "a pair", padding="max_length",
                                                                    truncation=True, max_length=8))


# --- preprocessor_config.json -----------------------------------------------------------------------------------------

PREPROCESSORS = ["ViTImageProcessor", "ConvNextImageProcessor", "CLIPImageProcessor", "LayoutLMv2ImageProcessor",
                 "Wav2Vec2FeatureExtractor", "WhisperFeatureExtractor", "EvilProcessor"]
PREPROCESSOR_KEYS = ["size", "crop_size", "do_resize", "do_rescale", "rescale_factor", "do_normalize", "image_mean",
                     "image_std", "resample", "do_center_crop", "crop_pct", "do_convert_rgb", "apply_ocr",
                     "sampling_rate", "feature_size", "padding_value", "padding_side", "return_attention_mask",
                     "n_fft", "hop_length", "chunk_length", "dither", "processor_class"]


def use(preprocessor) -> None:
    if hasattr(preprocessor, "sampling_rate"):
        preprocessor(np.zeros(1600, dtype=np.float32), sampling_rate=preprocessor.sampling_rate)
    else:
        preprocessor(np.zeros((8, 8, 3), dtype=np.uint8))


@FUZZ
@given(kind=st.sampled_from(PREPROCESSORS), fields=settings_of(PREPROCESSOR_KEYS))
def test_any_preprocessor_config_gives_a_preprocessor_or_a_typed_error(kind, fields):
    key = "feature_extractor_type" if kind.endswith("Extractor") else "image_processor_type"
    loader = AutoFeatureExtractor if key == "feature_extractor_type" else AutoImageProcessor
    with folder_with(preprocessor_config__json={key: kind, **fields}) as folder:
        typed_or_fine(lambda: use(loader.from_pretrained(folder)))


# --- the safetensors header --------------------------------------------------------------------------------------------

DTYPES = ["F32", "F16", "BF16", "F64", "I64", "I32", "I8", "U8", "BOOL", "F8_E4M3", "Q9", "", "f32"]
tensor_entries = st.fixed_dictionaries(
    {"dtype": st.one_of(st.sampled_from(DTYPES), values),
     "shape": st.one_of(st.lists(st.integers(-2, 70), max_size=3), values),
     "data_offsets": st.one_of(st.lists(st.integers(-4, 600), min_size=2, max_size=2), values)})
TENSOR_NAMES = ["embeddings.word_embeddings.weight", "embeddings.LayerNorm.weight", "pooler.dense.bias", "x", ""]


@FUZZ
@given(header=st.dictionaries(st.one_of(st.sampled_from(TENSOR_NAMES + ["__metadata__"]), st.text(max_size=6)),
                              st.one_of(tensor_entries, values), max_size=4),
       body=st.binary(max_size=600), lie=st.one_of(st.none(), integers))
def test_any_safetensors_header_gives_a_model_or_a_typed_error(tiny, header, body, lie):
    encoded = json.dumps(header).encode()
    length = len(encoded) if lie is None else lie % 2**64
    with folder_with(model__safetensors=struct.pack("<Q", length) + encoded + body) as folder:
        shutil.copy(tiny / "config.json", folder)
        typed_or_fine(lambda: AutoModel.from_pretrained(folder))
