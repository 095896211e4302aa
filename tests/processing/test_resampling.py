"""Resampling (explorer.processing.resampling) against tones of known frequency and amplitude: resampling
error below -100 dB, aliasing below -100 dB."""

from __future__ import annotations

import math

import numpy as np
import pytest
from audio_checks import snr_db, tone

from explorer import errors
from explorer.processing.resampling import resample


@pytest.mark.parametrize(
    "orig, target, frequency",
    [(44100, 16000, 440), (44100, 16000, 7000), (48000, 16000, 3000), (8000, 16000, 1000), (22050, 16000, 5000),
     (16000, 44100, 7000), (16001, 16000, 440)],  # the last: a reduced ratio too large for polyphase tables
)
def test_resample_keeps_a_tone_within_minus_100_db(orig, target, frequency):
    seconds = 0.25 if 16001 in (orig, target) else 1.0
    resampled = resample(tone(frequency, orig, seconds, 0.5), orig, target)
    assert resampled.dtype == np.float32 and len(resampled) == math.ceil(int(orig * seconds) * target / orig)
    assert snr_db(resampled, tone(frequency, target, len(resampled) / target, 0.5)) > 100


@pytest.mark.parametrize("frequency", [8500, 12000, 20000])
def test_resample_removes_what_the_new_rate_cannot_hold(frequency):
    """Tones above the new Nyquist frequency (8 kHz) would alias; they are removed (below -100 dB)."""
    resampled = resample(tone(frequency, 44100, 1.0, 0.5), 44100, 16000)[300:-300]
    assert 20 * math.log10(np.sqrt(np.mean(resampled**2)) / (0.5 / math.sqrt(2))) < -100


def test_resample_keeps_leading_axes_and_checks_rates():
    stereo = np.stack([tone(440, 48000, 0.1, 0.5), tone(440, 48000, 0.1, 0.1)])
    out = resample(stereo, 48000, 16000)
    assert out.shape == (2, 1600)
    np.testing.assert_allclose(out[0], resample(stereo[0], 48000, 16000), atol=1e-6)
    with pytest.raises(errors.AudioInputError, match="positive"):
        resample(stereo, 0, 16000)
    assert resample(np.zeros((2, 0)), 44100, 16000).shape == (2, 0)
