"""automatic-speech-recognition (CTC) against transformers' pipeline on a tiny random Wav2Vec2ForCTC saved by
transformers with facebook/wav2vec2-base-960h's tokenizer and feature extractor (the catalog copy's files):
clips, lists and batches; long clips in strided chunks; char and word timestamps; the steps record; bad
inputs."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import transformers

import explorer
from explorer import errors
from explorer.catalog import find

from parity import tiny_transformers_model
from pipeline_checks import assert_same_results

PROCESSOR_FILES = ("preprocessor_config.json", "vocab.json", "tokenizer_config.json", "special_tokens_map.json")
# conv strides 5 x 2: one logit frame per 10 samples; initializer_range 1: frames argmax to varied letters
TINY_CTC = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 37,
            "conv_dim": (16, 16), "conv_stride": (5, 2), "conv_kernel": (10, 3), "num_conv_pos_embeddings": 16,
            "num_conv_pos_embedding_groups": 4, "vocab_size": 32, "pad_token_id": 0, "initializer_range": 1.0}
RNG = np.random.default_rng(0)
CLIPS = [(RNG.standard_normal(length) * 0.1).astype(np.float32) for length in (1600, 900, 2300)]
LONG = (RNG.standard_normal(16000 * 3) * 0.1).astype(np.float32)  # 3 s


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wav2vec2-ctc")
    tiny_transformers_model("Wav2Vec2ForCTC", "Wav2Vec2Config", folder, **TINY_CTC)
    for name in PROCESSOR_FILES:
        shutil.copy(find("facebook/wav2vec2-base-960h").path() / name, folder / name)
    return str(folder)


@pytest.fixture(scope="module")
def pair(folder):
    return explorer.pipeline("automatic-speech-recognition", model=folder), transformers.pipeline(
        "automatic-speech-recognition", model=folder)


CALLS = [
    ({}, CLIPS[0]),
    ({}, CLIPS),
    ({"batch_size": 3}, CLIPS),
    ({}, {"raw": CLIPS[1], "sampling_rate": 16000}),
    ({}, {"array": np.stack([CLIPS[0], CLIPS[0] * 0.5]), "sampling_rate": 16000}),  # (channels, samples)
    ({"return_timestamps": "char"}, CLIPS[0]),
    ({"return_timestamps": "word", "batch_size": 2}, CLIPS),
    ({"chunk_length_s": 1.0}, LONG),
    ({"chunk_length_s": 1.0, "batch_size": 4}, LONG),
    ({"chunk_length_s": 0.5, "stride_length_s": [0.1, 0.05], "batch_size": 3}, [LONG, CLIPS[2]]),
    ({"chunk_length_s": 1.0, "return_timestamps": "word"}, LONG),
]


@pytest.mark.parametrize("kwargs, inputs", CALLS, ids=[f"{sorted(k)}-{type(i).__name__}" for k, i in CALLS])
def test_results_equal_transformers(pair, kwargs, inputs):
    ours, theirs = pair
    assert_same_results(ours(inputs, **kwargs), theirs(inputs, **kwargs))


def test_the_tiny_model_transcribes_letters(pair):
    # a test that an empty transcription would pass would prove little
    assert len(pair[0](LONG)["text"].strip()) > 10


def test_chunking_drops_the_strides(pair):
    ours, _ = pair
    result = ours(LONG, chunk_length_s=1.0)
    item = ours.steps.items[0]
    # 1 s chunks with 1/6 s strides every 2/3 s: 5 chunks over 3 s
    assert len(item.chunks) == 5
    strides = [step.value for step in item.postprocessing if step.name == "stride"]
    frames = [len(chunk.model_outputs["tokens"][0]) for chunk in item.chunks]
    assert strides[0][0] == 0 and 0 < strides[1][0] and strides[-1][1] >= frames[-1]
    kept = [min(end, count) - start for (start, end), count in zip(strides, frames)]
    assert len(item.postprocessing[len(strides)].value) == sum(kept) < sum(frames)
    assert item.postprocessing[-1].value == result["text"]


def test_steps_show_frames_argmax_and_decoding(pair):
    ours, _ = pair
    result = ours(CLIPS[0])
    item = ours.steps.items[0]
    chunk = item.chunks[0]
    assert len(chunk.model_inputs["input_values"][0]) == len(CLIPS[0])
    logits = np.array(chunk.model_outputs["logits"][0])
    assert [step.name for step in item.postprocessing] == ["argmax", "ctc decode"]
    assert item.postprocessing[0].value == logits.argmax(-1).tolist()
    assert item.output == result == {"text": ours.tokenizer.decode(logits.argmax(-1))}


@pytest.mark.parametrize("inputs, message", [
    (3, "takes one input"),
    ({"raw": CLIPS[0]}, "a dict clip needs a 'raw'"),
    (np.zeros((3, 100), dtype=np.float32), r"shape \(3, 100\) is not one channel"),
])
def test_bad_inputs_name_the_argument(pair, inputs, message):
    with pytest.raises(errors.PipelineInputError, match=f"^inputs.*{message}"):
        pair[0](inputs)


@pytest.mark.parametrize("kwargs, argument", [
    ({"return_timestamps": True}, "return_timestamps"),
    ({"chunk_length_s": 0.2, "stride_length_s": 0.1}, "chunk_length_s"),
    ({"chunk_length_s": 1.0, "stride_length_s": "short"}, "stride_length_s"),
    ({"chunk_length_s": -1}, "chunk_length_s"),
])
def test_bad_arguments_are_named(pair, kwargs, argument):
    with pytest.raises(errors.PipelineInputError, match=f"^{argument}="):
        pair[0](LONG, **kwargs)
