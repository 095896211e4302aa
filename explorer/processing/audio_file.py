"""Reading audio files: ``load_audio`` turns a WAV, FLAC, OGG... file (a path, an open binary file or its
bytes) into mono or multi-channel float32 samples at the rate a model needs, read with soundfile and
resampled with :func:`explorer.processing.resampling.resample`.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from .. import errors
from ..batch import is_tensor
from .resampling import is_positive_int, resample


def _describe(source: Any) -> str:
    """The file as error messages name it: its path or name, else what it is."""
    if isinstance(source, (str, os.PathLike)):
        return repr(os.fspath(source))
    if isinstance(source, (bytes, bytearray)):
        return f"<{len(source)} bytes of audio>"
    name = getattr(source, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(source).__name__}>"


def load_audio(path_or_file: Any, sampling_rate: int = 16000, mono: bool = True) -> np.ndarray:
    """Read an audio file (WAV, FLAC, OGG and what else libsndfile reads) with soundfile -> float32 samples
    at ``sampling_rate`` Hz, resampled with :func:`resample` when the file's rate differs.

    ``path_or_file``: a path, an open binary file, or the file's bytes. ``mono=True`` averages the channels
    (shape (samples,)); ``mono=False`` keeps them (shape (channels, samples)). Missing, unreadable, corrupt and
    empty files, and files holding NaN or infinite samples, raise :class:`errors.AudioInputError` naming the
    file."""
    import soundfile

    if isinstance(path_or_file, np.ndarray) or is_tensor(path_or_file):
        raise errors.AudioInputError(
            "load_audio reads files; these are samples already. To change their rate use "
            "resample(audio, orig_sr, target_sr)."
        )
    name = _describe(path_or_file)
    if not is_positive_int(sampling_rate):
        raise errors.AudioInputError(f"load_audio({name}): sampling_rate={sampling_rate!r} must be a positive integer.")
    source = io.BytesIO(path_or_file) if isinstance(path_or_file, (bytes, bytearray)) else path_or_file
    if isinstance(source, (str, os.PathLike)):
        if not os.path.exists(source):
            raise errors.AudioInputError(f"Audio file {name} does not exist; check the path.")
        if os.path.isdir(source):
            raise errors.AudioInputError(f"Audio file {name} is a directory; pass the path of an audio file.")
        if os.path.getsize(source) == 0:
            raise errors.AudioInputError(f"Audio file {name} is empty (0 bytes); it holds no audio.")
    try:
        with soundfile.SoundFile(source) as file:
            file_rate = file.samplerate
            data = file.read(dtype="float32", always_2d=True)  # (frames, channels)
    except (RuntimeError, TypeError, ValueError, OSError) as exc:  # LibsndfileError is a RuntimeError
        raise errors.AudioInputError(
            f"Audio file {name} could not be read ({exc}). It is corrupt or not an audio format libsndfile "
            "reads (WAV, FLAC, OGG/Vorbis, MP3...); convert it, e.g. with ffmpeg, to WAV or FLAC."
        ) from None
    if data.size == 0:
        raise errors.AudioInputError(f"Audio file {name} contains no audio samples.")
    if not np.isfinite(data).all():
        raise errors.AudioInputError(f"Audio file {name} contains NaN or infinite samples.")
    waveform = data.mean(axis=1) if mono else np.ascontiguousarray(data.T)
    if file_rate != sampling_rate:
        waveform = resample(waveform, file_rate, sampling_rate)
    return np.ascontiguousarray(waveform, dtype=np.float32)
