"""audio-classification against transformers' pipeline on the catalog's trained spoken-digit classifier (saved
by transformers' classes) and its held-out clips: arrays, dicts, files, lists and batches, top_k and
function_to_apply; resampling another rate; the steps record; bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
import torch
import transformers

import explorer
from explorer import errors
from explorer.catalog import find
from explorer.processing.resampling import resample

from pipeline_checks import assert_same_results

FOLDER = find("explorer-catalog/wav2vec2-spoken-digits").path()
HELDOUT = np.load(FOLDER / "heldout_sample.npz")
CLIPS = [HELDOUT[f"clip_{index}"] for index in range(4)]


@pytest.fixture(scope="module")
def pair():
    return explorer.pipeline("audio-classification", model=str(FOLDER)), transformers.pipeline(
        "audio-classification", model=str(FOLDER))


CALLS = [
    ({}, CLIPS[0]),
    ({}, CLIPS),
    ({"batch_size": 3}, CLIPS),
    ({"top_k": 2}, CLIPS[1]),
    ({"top_k": 20, "batch_size": 2}, CLIPS),  # more than the labels: all of them
    ({"function_to_apply": "sigmoid", "top_k": 3}, CLIPS),
    ({"function_to_apply": "none"}, CLIPS[2]),
    ({}, {"raw": CLIPS[3], "sampling_rate": 16000}),
    ({"batch_size": 2}, [{"array": CLIPS[0], "sampling_rate": 16000}, torch.from_numpy(CLIPS[1])]),
]


@pytest.mark.parametrize("kwargs, inputs", CALLS, ids=[f"{sorted(k)}-{type(i).__name__}" for k, i in CALLS])
def test_results_equal_transformers(pair, kwargs, inputs):
    ours, theirs = pair
    assert_same_results(ours(inputs, **kwargs), theirs(inputs, **kwargs))


def test_the_trained_head_names_the_spoken_digits(pair):
    ours, _ = pair
    names = [ours.model.config.id2label[int(label)] for label in HELDOUT["labels"][:4]]
    assert [result[0]["label"] for result in ours(CLIPS, top_k=1)] == names


def test_a_file_is_read_at_the_models_rate(pair, tmp_path):
    # transformers reads files with ffmpeg, absent here: compared on the samples the file holds
    ours, theirs = pair
    path = tmp_path / "digit.wav"
    soundfile.write(path, CLIPS[0], 16000, subtype="FLOAT")
    assert_same_results(ours(str(path)), theirs(CLIPS[0]))


def test_another_rate_is_resampled(pair):
    # transformers resamples with torchaudio, absent here: compared with explorer's resampler applied first
    ours, theirs = pair
    at_8k = resample(CLIPS[1], 16000, 8000)
    assert_same_results(ours({"raw": at_8k, "sampling_rate": 8000}), theirs(resample(at_8k, 8000, 16000)))


def test_a_top_k_given_to_the_pipeline_applies_to_every_call():
    # transformers ignores it (its call always sets top_k), explorer keeps it as for the other tasks
    ours = explorer.pipeline("audio-classification", model=str(FOLDER), top_k=2)
    assert [len(result) for result in ours(CLIPS)] == [2] * len(CLIPS)


def test_steps_show_logits_softmax_and_top_k(pair):
    ours, _ = pair
    result = ours(CLIPS[0], top_k=3)
    item = ours.steps.items[0]
    chunk = item.chunks[0]
    assert len(chunk.model_inputs["input_values"][0]) == len(CLIPS[0])
    logits = chunk.model_outputs["logits"][0]
    assert [step.name for step in item.postprocessing] == ["logits", "softmax", "top_k"]
    assert item.postprocessing[1].value == pytest.approx(torch.tensor(logits).softmax(-1).tolist(), abs=1e-6)
    assert item.output == result and [entry["label"] for entry in result] == [
        ours.model.config.id2label[int(index)] for index in np.argsort(logits)[::-1][:3]]


@pytest.mark.parametrize("inputs, message", [
    (3, "takes one input"),
    ({"raw": CLIPS[0]}, "a dict clip needs a 'raw'"),
    ({"raw": CLIPS[0], "sampling_rate": "16k"}, r"\['sampling_rate'\]='16k'"),
    (np.zeros((2, 100), dtype=np.float32), r"shape \(2, 100\) is not one channel"),
    ({"raw": [0.0, 0.1], "sampling_rate": 16000}, "list is not audio"),
    ("https://example.com/one.wav", "is a URL"),
])
def test_bad_inputs_name_the_argument(pair, inputs, message):
    with pytest.raises(errors.PipelineInputError, match=f"^inputs.*{message}"):
        pair[0](inputs)


def test_a_missing_file_is_an_audio_error(pair, tmp_path):
    with pytest.raises(errors.AudioInputError, match="does not exist"):
        pair[0](str(tmp_path / "missing.wav"))


@pytest.mark.parametrize("kwargs, argument", [({"top_k": 0}, "top_k"), ({"function_to_apply": "tanh"},
                                                                         "function_to_apply")])
def test_bad_arguments_are_named(pair, kwargs, argument):
    with pytest.raises(errors.PipelineInputError, match=f"^{argument}="):
        pair[0](CLIPS[0], **kwargs)
