"""explorer's audio feature extractors against transformers': the same settings (printed and saved alike, each
loading what the other saved), the same outputs (keys, container types, dtypes, shapes) and the same numbers
(Wav2Vec2 within 1e-5, Whisper's log-mel spectrogram within 1e-4). ``load_audio`` and ``resample`` are tested
in test_audio_file.py and test_resampling.py."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import soundfile
import torch
import transformers
from audio_checks import RATE, speech

from explorer import errors
from explorer.auto import AutoFeatureExtractor
from explorer.batch import BatchFeature
from explorer.processing import audio as audio_module
from explorer.processing.audio import (
    Wav2Vec2FeatureExtractor,
    WhisperFeatureExtractor,
    load_audio,
)

W2V_ATOL = 1e-5
WHISPER_ATOL = 1e-4


def assert_same(theirs, ours, atol: float) -> None:
    """transformers' output and ours: the same keys in order, the same containers, dtypes, shapes, values."""
    assert list(ours.keys()) == list(theirs.keys())
    for key in theirs:
        a, b = theirs[key], ours[key]
        assert type(b) is type(a), (key, type(a), type(b))
        if isinstance(a, list):
            assert len(a) == len(b), key
            for x, y in zip(a, b):
                assert type(y) is type(x) and y.dtype == x.dtype and y.shape == x.shape, key
                np.testing.assert_allclose(y, x, rtol=0, atol=atol, err_msg=key)
        elif isinstance(a, np.ndarray) and a.dtype == object:  # ragged rows
            assert b.dtype == object and a.shape == b.shape, key
            for x, y in zip(a, b):
                assert y.dtype == x.dtype and y.shape == x.shape, key
                np.testing.assert_allclose(y, x, rtol=0, atol=atol, err_msg=key)
        else:
            assert b.dtype == a.dtype and tuple(b.shape) == tuple(a.shape), (key, a.dtype, b.dtype, a.shape, b.shape)
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=0, atol=atol, err_msg=key)


# --- Wav2Vec2 ---------------------------------------------------------------------------------------------------------

BATCH = [speech(1000, 0), speech(777, 1), speech(1500, 2)]

W2V_CALLS = {
    "no padding": {},
    "padding=True": {"padding": True},
    "longest, multiple of 64": {"padding": "longest", "pad_to_multiple_of": 64},
    "max_length, truncation": {"padding": "max_length", "max_length": 1200, "truncation": True},
    "max_length above all": {"padding": "max_length", "max_length": 2000},
    "truncation only": {"truncation": True, "max_length": 800},
    "truncation, padding, multiple": {"padding": True, "truncation": True, "max_length": 100, "pad_to_multiple_of": 30},
}


@pytest.mark.parametrize("return_tensors", [None, "np", "pt"])
@pytest.mark.parametrize("do_normalize", [True, False])
@pytest.mark.parametrize("call", list(W2V_CALLS))
def test_wav2vec2_batches_equal_transformers(call, do_normalize, return_tensors):
    ours = Wav2Vec2FeatureExtractor(do_normalize=do_normalize)
    theirs = transformers.Wav2Vec2FeatureExtractor(do_normalize=do_normalize)
    for return_attention_mask in (None, True, False):
        kwargs = dict(W2V_CALLS[call], return_attention_mask=return_attention_mask, return_tensors=return_tensors,
                      sampling_rate=RATE)
        lengths = {len(row) for row in ours(BATCH, **{**kwargs, "return_tensors": None})["input_values"]}
        if return_tensors == "pt" and len(lengths) > 1:  # rows of different lengths: no tensor, either side
            with pytest.raises(ValueError):
                theirs(BATCH, **kwargs)
            with pytest.raises(errors.AudioInputError, match="padding=True"):
                ours(BATCH, **kwargs)
            continue
        assert_same(theirs(BATCH, **kwargs), ours(BATCH, **kwargs), W2V_ATOL)


@pytest.mark.parametrize(
    "raw",
    [speech(900), speech(900).astype(np.float64), speech(900).tolist(), np.stack([speech(600, 0), speech(600, 1)]),
     [speech(600, 0).astype(np.float64), speech(400, 1).astype(np.float64)]],
    ids=["1-D float32", "1-D float64", "list of floats", "2-D batch", "list of float64 arrays"],
)
@pytest.mark.parametrize("padding", [False, True])
def test_wav2vec2_input_forms_equal_transformers(raw, padding):
    ours, theirs = Wav2Vec2FeatureExtractor(return_attention_mask=True), transformers.Wav2Vec2FeatureExtractor(
        return_attention_mask=True)
    for return_tensors in (None, "np"):
        kwargs = {"padding": padding, "return_tensors": return_tensors, "sampling_rate": RATE}
        assert_same(theirs(raw, **kwargs), ours(raw, **kwargs), W2V_ATOL)


def test_wav2vec2_tutorial_call(tmp_path):
    """Lesson 4: a speech-emotion checkpoint's extractor (return_attention_mask=True in its config), an audio
    file loaded at 16 kHz, padding=True and return_tensors='pt': float input_values and an int32
    attention_mask, both 1 x N, equal to transformers'."""
    settings = {"do_normalize": True, "feature_size": 1, "padding_side": "right", "padding_value": 0.0,
                "return_attention_mask": True, "sampling_rate": RATE}
    folder = tmp_path / "emotion"
    transformers.Wav2Vec2FeatureExtractor(**settings).save_pretrained(folder)
    extractor = AutoFeatureExtractor.from_pretrained(folder)
    assert type(extractor) is Wav2Vec2FeatureExtractor

    path = tmp_path / "speech.wav"
    soundfile.write(path, speech(22050 * 2, rate=22050), 22050)
    audio = load_audio(path, sampling_rate=RATE)
    assert audio.shape == (2 * RATE,)

    inputs = extractor(audio, sampling_rate=RATE, padding=True, return_tensors="pt")
    assert isinstance(inputs, BatchFeature)
    assert list(inputs) == ["input_values", "attention_mask"]
    assert inputs.input_values.dtype == torch.float32 and inputs.input_values.shape == (1, 2 * RATE)
    assert inputs.attention_mask.dtype == torch.int32 and inputs.attention_mask.shape == (1, 2 * RATE)
    assert bool((inputs.attention_mask == 1).all())
    assert abs(float(inputs.input_values.mean())) < 1e-4 and abs(float(inputs.input_values.std()) - 1) < 1e-3
    theirs = transformers.AutoFeatureExtractor.from_pretrained(folder)(
        audio, sampling_rate=RATE, padding=True, return_tensors="pt")
    assert_same(theirs, inputs, W2V_ATOL)


@pytest.mark.parametrize("padding_value", [0.0, -0.5])
def test_wav2vec2_padding_value_equals_transformers(padding_value):
    ours = Wav2Vec2FeatureExtractor(padding_value=padding_value)
    theirs = transformers.Wav2Vec2FeatureExtractor(padding_value=padding_value)
    for return_attention_mask in (True, False):
        kwargs = {"padding": True, "return_attention_mask": return_attention_mask, "return_tensors": "np",
                  "sampling_rate": RATE}
        assert_same(theirs(BATCH, **kwargs), ours(BATCH, **kwargs), W2V_ATOL)


def test_wav2vec2_left_padding():
    """Without a mask, left padding equals transformers. With one, each example is normalised over its real
    samples wherever they sit (transformers normalises the first ``length`` samples, which with left padding
    are padding, and blanks the end of the audio): the real samples equal the right-padded result's."""
    left = Wav2Vec2FeatureExtractor(padding_side="left", padding_value=0.25)
    theirs = transformers.Wav2Vec2FeatureExtractor(padding_side="left", padding_value=0.25)
    kwargs = {"padding": True, "return_attention_mask": False, "return_tensors": "np", "sampling_rate": RATE}
    assert_same(theirs(BATCH, **kwargs), left(BATCH, **kwargs), W2V_ATOL)
    unnormalised = dict(kwargs, return_attention_mask=True)
    assert_same(transformers.Wav2Vec2FeatureExtractor(padding_side="left", do_normalize=False)(BATCH, **unnormalised),
                Wav2Vec2FeatureExtractor(padding_side="left", do_normalize=False)(BATCH, **unnormalised), W2V_ATOL)

    masked = left(BATCH, padding=True, return_attention_mask=True, return_tensors="np", sampling_rate=RATE)
    right = Wav2Vec2FeatureExtractor(padding_value=0.25)(
        BATCH, padding=True, return_attention_mask=True, return_tensors="np", sampling_rate=RATE)
    width = max(len(example) for example in BATCH)
    for row, example in enumerate(BATCH):
        pad = width - len(example)
        assert masked["attention_mask"][row].tolist() == [0] * pad + [1] * len(example)
        np.testing.assert_array_equal(masked["input_values"][row, pad:], right["input_values"][row, : len(example)])
        assert (masked["input_values"][row, :pad] == 0.25).all()


def test_wav2vec2_zero_mean_unit_var_norm_is_transformers():
    masks = [np.array([1] * 1000 + [0] * 500), np.array([1] * 1500)]
    rows = [np.pad(BATCH[0], (0, 500)), BATCH[2]]
    for mask in (None, masks):
        ours = Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm(rows, mask, padding_value=0.5)
        theirs = transformers.Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm(rows, mask, padding_value=0.5)
        for a, b in zip(theirs, ours):
            np.testing.assert_array_equal(a, b)


def test_wav2vec2_pad_equals_transformers():
    """``pad`` as a data collator uses it: a list of {"input_values": ...}."""
    features = [{"input_values": example} for example in BATCH]
    for kwargs in ({}, {"return_attention_mask": True, "pad_to_multiple_of": 16}, {"return_tensors": "pt"},
                   {"padding": "max_length", "max_length": 1200, "truncation": True}):
        theirs = transformers.Wav2Vec2FeatureExtractor().pad([dict(f) for f in features], **kwargs)
        assert_same(theirs, Wav2Vec2FeatureExtractor().pad([dict(f) for f in features], **kwargs), W2V_ATOL)


def test_wav2vec2_never_edits_the_callers_arrays():
    batch = [example.copy() for example in BATCH]
    Wav2Vec2FeatureExtractor()(batch, sampling_rate=RATE)
    Wav2Vec2FeatureExtractor()(batch[0], sampling_rate=RATE)
    WhisperFeatureExtractor()(batch[1], sampling_rate=RATE, padding=False, do_normalize=True)
    for before, after in zip(BATCH, batch):
        np.testing.assert_array_equal(before, after)


def test_torch_tensors_are_accepted():
    ours = Wav2Vec2FeatureExtractor()
    expected = ours(BATCH, sampling_rate=RATE, padding=True, return_tensors="np")["input_values"]
    from_tensors = ours([torch.from_numpy(example) for example in BATCH], sampling_rate=RATE, padding=True,
                        return_tensors="np")["input_values"]
    np.testing.assert_array_equal(expected, from_tensors)
    single = ours(torch.from_numpy(BATCH[0]), sampling_rate=RATE, return_tensors="np")["input_values"]
    np.testing.assert_array_equal(single, ours(BATCH[0], sampling_rate=RATE, return_tensors="np")["input_values"])


# --- bad audio and bad arguments --------------------------------------------------------------------------------------


@pytest.mark.parametrize("extractor_class", [Wav2Vec2FeatureExtractor, WhisperFeatureExtractor])
def test_a_wrong_sampling_rate_names_both_rates(extractor_class):
    with pytest.raises(errors.AudioInputError) as raised:
        extractor_class()(speech(1000), sampling_rate=44100)
    message = str(raised.value)
    assert "16000" in message and "44100" in message and "load_audio" in message and "esample" in message
    assert isinstance(raised.value, ValueError)  # as transformers raises


@pytest.mark.parametrize("extractor_class", [Wav2Vec2FeatureExtractor, WhisperFeatureExtractor])
def test_a_missing_sampling_rate_is_logged_as_transformers_does(extractor_class, caplog):
    with caplog.at_level(logging.WARNING):
        extractor_class()(speech(1000))
    transformers_text = (
        f"It is strongly recommended to pass the `sampling_rate` argument to `{extractor_class.__name__}()`. "
        "Failing to do so can result in silent errors that might be hard to debug."
    )
    ours = [record.getMessage() for record in caplog.records if record.name == audio_module.__name__]
    assert ours == [transformers_text]


BAD_AUDIO = {
    "empty array": (np.zeros(0, dtype=np.float32), "empty"),
    "empty list": ([], "empty"),
    "empty example in a batch": ([speech(100), np.zeros(0)], "example 1"),
    "NaN": (np.array([0.1, np.nan, 0.2], dtype=np.float32), "NaN"),
    "inf in a batch": ([speech(100), np.array([0.0, np.inf])], "example 1"),
    "stereo (samples, channels)": (np.stack([speech(2000), speech(2000, 1)], axis=1), "channels"),
    "3-D": (np.zeros((2, 2, 100), dtype=np.float32), "mono"),
    "a 2-D example in a list": ([np.zeros((2, 100), dtype=np.float32)], "mono"),
    "strings": (["a", "b"], "not audio"),
    "a path": ("speech.wav", "load_audio"),
    "None": (None, "no audio"),
}


@pytest.mark.parametrize("extractor_class", [Wav2Vec2FeatureExtractor, WhisperFeatureExtractor])
@pytest.mark.parametrize("case", list(BAD_AUDIO))
def test_bad_audio_is_refused(extractor_class, case):
    raw, words = BAD_AUDIO[case]
    with pytest.raises(errors.AudioInputError, match=words):
        extractor_class()(raw, sampling_rate=RATE)


BAD_CALLS = {
    "max_length padding without max_length": ({"padding": "max_length"}, "max_length"),
    "truncation without max_length": ({"truncation": True}, "max_length"),
    "unknown padding": ({"padding": "shortest"}, "padding strategy"),
    "unknown return_tensors": ({"return_tensors": "tf"}, "return_tensors"),
    "pad_to_multiple_of zero": ({"padding": True, "pad_to_multiple_of": 0}, "pad_to_multiple_of"),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_arguments_are_refused(case):
    kwargs, words = BAD_CALLS[case]
    with pytest.raises(errors.AudioInputError, match=words):
        Wav2Vec2FeatureExtractor()(BATCH, sampling_rate=RATE, **kwargs)


def test_unknown_arguments_are_type_errors():
    with pytest.raises(TypeError):
        Wav2Vec2FeatureExtractor()(BATCH, sampling_rate=RATE, padding_strategy=True)


@pytest.mark.parametrize(
    "settings, field",
    [({"sampling_rate": 0}, "sampling_rate"), ({"feature_size": -1}, "feature_size"),
     ({"padding_side": "middle"}, "padding_side"), ({"n_fft": 0}, "n_fft"), ({"hop_length": 1.5}, "hop_length"),
     ({"dither": -1.0}, "dither"), ({"dither": 2.0**63}, "dither"), ({"dither": float("nan")}, "dither")],
)
def test_settings_that_cannot_work_name_the_field(settings, field):
    whisper_only = field in ("n_fft", "hop_length", "dither")
    extractor_class = WhisperFeatureExtractor if whisper_only else Wav2Vec2FeatureExtractor
    with pytest.raises(errors.ConfigValueError, match=field):
        extractor_class(**settings)


# --- Whisper ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whisper_pairs():
    return {size: (WhisperFeatureExtractor(feature_size=size), transformers.WhisperFeatureExtractor(feature_size=size))
            for size in (80, 128)}


@pytest.mark.parametrize("feature_size", [80, 128])
def test_whisper_mel_filters_equal_transformers(whisper_pairs, feature_size):
    ours, theirs = whisper_pairs[feature_size]
    assert ours.mel_filters.shape == theirs.mel_filters.shape == (201, feature_size)
    np.testing.assert_allclose(ours.mel_filters, theirs.mel_filters, rtol=0, atol=1e-12)


WHISPER_CASES = {
    "1 s": ([speech(RATE)], {}),
    "exactly 30 s": ([speech(30 * RATE, 1)], {}),
    "35 s, cut to 30": ([speech(35 * RATE, 2)], {}),
    "35 s, no truncation": (speech(35 * RATE, 2), {"truncation": False}),
    "batch of 3": ([speech(RATE), speech(3 * RATE + 77, 1), speech(31 * RATE, 2)], {"return_attention_mask": True}),
    "longest, frame mask": ([speech(RATE), speech(2 * RATE + 123, 1)],
                            {"padding": "longest", "return_attention_mask": True}),
    "do_normalize": ([speech(RATE), speech(2 * RATE + 123, 1)], {"padding": "longest", "do_normalize": True}),
    "do_normalize, frame mask": ([speech(RATE), speech(2 * RATE, 1)], {"padding": "longest", "do_normalize": True,
                                                                     "return_attention_mask": True}),
    "no padding, one clip": (speech(12345), {"padding": False}),
    "silence": (np.zeros(RATE, dtype=np.float32), {}),
    "2-D batch": (np.stack([speech(RATE), speech(RATE, 3)]), {"max_length": 2 * RATE}),
}


@pytest.mark.parametrize("return_tensors", [None, "np", "pt"])
@pytest.mark.parametrize("case", list(WHISPER_CASES))
def test_whisper_features_equal_transformers(whisper_pairs, case, return_tensors):
    raw, kwargs = WHISPER_CASES[case]
    sizes = (80, 128) if return_tensors == "pt" else (80,)
    for size in sizes:
        ours, theirs = whisper_pairs[size]
        kwargs = dict(kwargs, return_tensors=return_tensors, sampling_rate=RATE)
        expected, got = theirs(raw, **kwargs), ours(raw, **kwargs)
        assert_same(expected, got, WHISPER_ATOL)
    frames = got["input_features"].shape[-1]
    if kwargs.get("padding", "max_length") == "max_length" and kwargs.get("truncation", True):
        assert frames == kwargs.get("max_length", 30 * RATE) // 160


def test_whisper_dither_matches_transformers_for_the_same_torch_seed():
    raw = [speech(RATE), speech(2 * RATE, 1)]
    torch.manual_seed(0)
    theirs = transformers.WhisperFeatureExtractor(dither=1e-3)(raw, sampling_rate=RATE, return_tensors="np")
    torch.manual_seed(0)
    ours = WhisperFeatureExtractor(dither=1e-3)(raw, sampling_rate=RATE, return_tensors="np")
    assert_same(theirs, ours, WHISPER_ATOL)


def test_whisper_ragged_batch_without_padding_is_refused():
    with pytest.raises(errors.AudioInputError, match="different lengths"):
        WhisperFeatureExtractor()([speech(1000), speech(2000)], sampling_rate=RATE, padding=False)


# --- settings: repr, save and load both ways, AutoFeatureExtractor ----------------------------------------------------

SETTINGS = {
    Wav2Vec2FeatureExtractor: [{}, {"return_attention_mask": True, "do_normalize": False, "padding_side": "left"}],
    WhisperFeatureExtractor: [{}, {"feature_size": 128}, {"chunk_length": 10, "hop_length": 200, "n_fft": 512}],
}
PAIRS = [(cls, settings) for cls, choices in SETTINGS.items() for settings in choices]


@pytest.mark.parametrize("extractor_class, settings", PAIRS)
def test_repr_prints_transformers_json(extractor_class, settings):
    theirs = getattr(transformers, extractor_class.__name__)(**settings)
    assert repr(extractor_class(**settings)) == repr(theirs)


@pytest.mark.parametrize("extractor_class, settings", PAIRS)
def test_explorer_saves_and_transformers_loads(extractor_class, settings, tmp_path):
    ours = extractor_class(**settings)
    ours.save_pretrained(tmp_path)
    loaded = transformers.AutoFeatureExtractor.from_pretrained(tmp_path)
    assert type(loaded).__name__ == extractor_class.__name__
    assert loaded.to_dict() == ours.to_dict()
    if extractor_class is WhisperFeatureExtractor:
        np.testing.assert_allclose(loaded.mel_filters, ours.mel_filters, rtol=0, atol=1e-12)


@pytest.mark.parametrize("extractor_class, settings", PAIRS)
def test_transformers_saves_and_explorer_loads(extractor_class, settings, tmp_path):
    theirs = getattr(transformers, extractor_class.__name__)(**settings)
    theirs.save_pretrained(tmp_path)
    for loader in (extractor_class, AutoFeatureExtractor):
        ours = loader.from_pretrained(tmp_path)
        assert type(ours) is extractor_class
        assert ours.to_dict() == theirs.to_dict() and repr(ours) == repr(theirs)
    assert ours.resolution_trace is not None


@pytest.mark.parametrize("model_type, extractor_class", [("wav2vec2", Wav2Vec2FeatureExtractor),
                                                         ("whisper", WhisperFeatureExtractor)])
def test_auto_feature_extractor_falls_back_on_the_model_type(model_type, extractor_class, tmp_path):
    settings = extractor_class().to_dict()
    del settings["feature_extractor_type"]
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(settings))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": model_type}))
    assert type(AutoFeatureExtractor.from_pretrained(tmp_path)) is extractor_class


def test_an_old_whisper_config_with_mel_filters_loads(tmp_path):
    """Older transformers saved the filter bank (and derived sizes) in the JSON: accepted, and recomputed."""
    theirs = transformers.WhisperFeatureExtractor()
    data = {**theirs.to_dict(), "mel_filters": theirs.mel_filters.tolist(), "n_samples": 1, "nb_max_frames": 1}
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(data))
    ours = AutoFeatureExtractor.from_pretrained(tmp_path)
    assert type(ours) is WhisperFeatureExtractor and ours.n_samples == 480000 and ours.nb_max_frames == 3000
    np.testing.assert_allclose(ours.mel_filters, theirs.mel_filters, rtol=0, atol=1e-12)
    assert "mel_filters" not in ours.to_dict()
    overridden = WhisperFeatureExtractor.from_pretrained(tmp_path, feature_size=128)
    assert overridden.mel_filters.shape == (201, 128)
