"""Reading audio files (explorer.processing.audio_file): ``load_audio`` on WAV, FLAC and OGG files, file
objects and bytes, checked against tones of known frequency and amplitude; unreadable files name themselves."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import soundfile
from audio_checks import RATE, snr_db, speech, tone

from explorer import errors
from explorer.processing.audio_file import load_audio


@pytest.mark.parametrize("suffix, subtype", [(".wav", "PCM_16"), (".flac", "PCM_24")])
def test_stereo_44k_file_becomes_mono_16k(tmp_path, suffix, subtype):
    """Left 0.6 and right 0.2 of a 440 Hz sine: the mono mix is a 0.4 sine at 16 kHz."""
    seconds, frequency = 1.5, 440.0
    left, right = tone(frequency, 44100, seconds, 0.6), tone(frequency, 44100, seconds, 0.2)
    path = tmp_path / f"stereo{suffix}"
    soundfile.write(path, np.stack([left, right], axis=1), 44100, subtype=subtype)

    audio = load_audio(path)
    assert audio.dtype == np.float32 and audio.shape == (math.ceil(len(left) * 16000 / 44100),)
    expected = tone(frequency, RATE, len(audio) / RATE, 0.4)
    assert snr_db(audio, expected) > 60
    spectrum = np.abs(np.fft.rfft(audio[2000:-2000] * np.hanning(len(audio) - 4000)))
    peak = np.fft.rfftfreq(len(audio) - 4000, 1 / RATE)[spectrum.argmax()]
    assert abs(peak - frequency) < RATE / (len(audio) - 4000)  # within one bin
    amplitude = np.sqrt(2 * np.mean(audio[2000:-2000] ** 2))
    assert abs(amplitude - 0.4) < 1e-3

    both = load_audio(path, mono=False)
    assert both.shape == (2, len(audio))
    np.testing.assert_allclose(both.mean(axis=0), audio, atol=1e-6)


def test_load_audio_reads_ogg_files_objects_and_bytes(tmp_path):
    path = tmp_path / "tone.ogg"
    soundfile.write(path, tone(1000, RATE, 1.0, 0.5), RATE, format="OGG", subtype="VORBIS")
    audio = load_audio(path)
    assert audio.shape == (RATE,) and audio.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.fft.rfftfreq(RATE, 1 / RATE)[spectrum.argmax()] - 1000) <= 1
    with open(path, "rb") as file:
        np.testing.assert_array_equal(load_audio(file), audio)
    np.testing.assert_array_equal(load_audio(path.read_bytes()), audio)


def test_load_audio_at_the_files_rate_is_the_files_samples(tmp_path):
    path = tmp_path / "speech.flac"
    soundfile.write(path, speech(RATE), RATE, subtype="PCM_24")
    np.testing.assert_array_equal(load_audio(str(path)), soundfile.read(path, dtype="float32")[0])


def write_empty_wav(path):
    with soundfile.SoundFile(path, "w", samplerate=RATE, channels=1, subtype="PCM_16"):
        pass


def write_nan_wav(path):
    soundfile.write(path, np.array([0.0, np.nan, 0.1], dtype=np.float32), RATE, subtype="FLOAT")


BAD_FILES = {
    "missing": (None, "does not exist"),
    "0 bytes": (lambda path: path.write_bytes(b""), "empty"),
    "not audio": (lambda path: path.write_bytes(b"this is not a sound file\n" * 20), "could not be read"),
    "truncated header": (lambda path: path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt "), "could not be read"),
    "no samples": (write_empty_wav, "no audio samples"),
    "NaN samples": (write_nan_wav, "NaN"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_unreadable_files_are_audio_input_errors_naming_the_file(tmp_path, case):
    write, words = BAD_FILES[case]
    path = tmp_path / f"bad-{case.replace(' ', '-')}.wav"
    if write is not None:
        write(path)
    with pytest.raises(errors.AudioInputError, match=words) as raised:
        load_audio(path)
    assert path.name in str(raised.value)


def test_a_corrupt_file_object_is_named():
    with pytest.raises(errors.AudioInputError, match="could not be read"):
        load_audio(io.BytesIO(b"\x00" * 100))


def test_load_audio_points_arrays_to_resample():
    with pytest.raises(errors.AudioInputError, match="resample"):
        load_audio(np.zeros(100, dtype=np.float32))
