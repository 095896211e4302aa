"""The audio panel: the sample clip at the extractor's rate, the features, the player, uploads."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile
from test_image_panel import upload


@pytest.fixture
def audio(app, checkpoints):
    app.load(str(checkpoints["wav2vec2"]))
    return app.show("audio")


def test_the_sample_clip_shows_waveform_features_and_a_player(audio):
    html = audio.output.value
    assert "Wav2Vec2FeatureExtractor" in html and "16000 Hz" in html
    assert html.count("<svg") == 2  # the waveform and input_values
    assert "input_values" in html and "attention_mask" not in html.split("Processor settings")[0]
    played, rate = soundfile.read(io.BytesIO(audio.player.value))
    assert rate == 16000 and 2.0 < len(played) / rate < 5.0


def test_an_upload_at_another_rate_is_resampled(audio, app):
    buffer = io.BytesIO()
    soundfile.write(buffer, np.sin(np.linspace(0, 400, 8000)).astype(np.float32), 8000, format="WAV")
    upload(audio.upload, "tone.wav", buffer.getvalue())
    assert "tone.wav" in audio.source.value and "1.00 s · 16000 Hz · 16000" in audio.output.value
    assert app.show("outputs").output.value.count("explorer-error") == 0


def test_a_file_that_is_not_audio_is_a_readable_message(audio):
    upload(audio.upload, "notes.wav", b"RIFF but not really")
    assert 'class="explorer-error"' in audio.output.value and "AudioInputError" in audio.output.value
    audio.sample.click()
    assert "explorer-error" not in audio.output.value
