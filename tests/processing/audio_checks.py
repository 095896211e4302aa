"""Shared by the audio tests: the rate, speech-like test audio, pure tones and a signal-to-error ratio."""

from __future__ import annotations

import math

import numpy as np

RATE = 16000


def speech(length: int, seed: int = 0, rate: int = RATE) -> np.ndarray:
    """Speech-like float32 audio: two tones, a slow envelope, noise and an offset (so normalising matters)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / rate
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t + seed)
    tones = 0.3 * np.sin(2 * np.pi * (220 + 40 * seed) * t) + 0.1 * np.sin(2 * np.pi * 1800 * t)
    return (envelope * tones + 0.02 * rng.standard_normal(length) + 0.05).astype(np.float32)


def tone(frequency: float, rate: int, seconds: float, amplitude: float) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(int(rate * seconds)) / rate)


def snr_db(signal: np.ndarray, reference: np.ndarray, edge: int = 300) -> float:
    """Signal-to-error ratio away from the ends (where the filter sees the zeros beyond the file)."""
    error = signal[edge:-edge] - reference[edge:-edge]
    return 10 * math.log10(np.sum(reference[edge:-edge] ** 2) / np.sum(error**2))
