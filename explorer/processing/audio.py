"""Audio feature extractors (Wav2Vec2, Whisper): raw audio -> model inputs, with transformers' settings,
outputs and numbers:

* :class:`Wav2Vec2FeatureExtractor`: the waveform itself (``input_values``), padded and, per example,
  normalised to zero mean and unit variance; optionally an int32 ``attention_mask``.
* :class:`WhisperFeatureExtractor`: a log-mel spectrogram (``input_features``, batch x mel bins x frames) of
  audio padded or cut to 30 s, computed with vectorised numpy (transformers' STFT, mel filters and scaling).

Both extractors share :class:`SequenceFeatureExtractor`: transformers' padding and truncation rules
(``padding`` True / 'longest' / 'max_length' / False, ``max_length``, ``truncation``, ``pad_to_multiple_of``,
``padding_side``) and its checks on ``sampling_rate``. Audio that cannot be processed (empty, NaN or infinite
samples, several channels, the wrong sampling rate) raises :class:`errors.AudioInputError`.

Files are read by :func:`load_audio` (:mod:`explorer.processing.audio_file`) and resampled by
:func:`resample` (:mod:`explorer.processing.resampling`); both stay importable from here, where the README
documents them.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any, ClassVar

import numpy as np

from .. import errors
from ..batch import PADDING_STRATEGIES, BatchFeature, is_tensor
from . import Preprocessor
from .audio_file import load_audio
from .resampling import is_positive_int, resample

logger = logging.getLogger(__name__)

MAX_DITHER = 1e3
_FRAMES_PER_BLOCK = 4096  # STFT frames WhisperFeatureExtractor transforms at once: a 30 s chunk in one go


# --- raw audio -> a list of 1-D float32 arrays --------------------------------------------------------------------


def _as_array(value: Any) -> np.ndarray:
    if is_tensor(value):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def as_examples(raw_speech: Any, who: str) -> list[np.ndarray]:
    """transformers' reading of ``raw_speech``: one example (a 1-D array or tensor, a list of numbers) or a
    batch (a list of those, a 2-D array of shape (batch, samples)); either way a list of float32 1-D arrays
    (the output is always a batch). Empty, non-numeric, non-finite and multi-channel audio is refused."""
    if raw_speech is None:
        raise errors.AudioInputError(f"{who}: no audio given. Pass a 1-D array of samples, or a list of them.")
    if isinstance(raw_speech, (str, bytes, os.PathLike)):
        raise errors.AudioInputError(
            f"{who} takes samples, not a file: load {raw_speech!r} first with "
            "explorer.processing.audio.load_audio(path, sampling_rate=...)."
        )
    if isinstance(raw_speech, np.ndarray) or is_tensor(raw_speech):
        array = _as_array(raw_speech)
        if array.ndim == 1:
            return [_example(array, who, None)]
        if array.ndim == 2:
            rows, columns = array.shape
            if columns <= 8 < rows:
                raise errors.AudioInputError(
                    f"{who}: a 2-D array is read as (batch, samples), but this one is {array.shape}: it looks "
                    "like (samples, channels). Mix it down to mono first, e.g. audio.mean(axis=1), or load the "
                    "file with load_audio(path, mono=True)."
                )
            return [_example(row, who, index) for index, row in enumerate(array)]
        raise errors.AudioInputError(
            f"{who}: only mono audio is supported; got an array of shape {array.shape}. Pass a 1-D array per "
            "example (mix channels down with .mean(axis=...)), or a 2-D array of shape (batch, samples)."
        )
    if not isinstance(raw_speech, (list, tuple)):
        raise errors.AudioInputError(
            f"{who}: cannot read audio from a {type(raw_speech).__name__}; pass a numpy array, a torch tensor, "
            "a list of numbers, or a list of those (a batch)."
        )
    if len(raw_speech) == 0:
        raise errors.AudioInputError(f"{who}: the audio is empty (an empty list); pass at least one sample.")
    first = raw_speech[0]
    if isinstance(first, (np.ndarray, list, tuple)) or is_tensor(first):
        return [_example(_as_array(item), who, index) for index, item in enumerate(raw_speech)]
    return [_example(np.asarray(raw_speech), who, None)]


def _example(array: np.ndarray, who: str, index: int | None) -> np.ndarray:
    where = "the audio" if index is None else f"example {index} of the batch"
    if array.ndim > 1:
        raise errors.AudioInputError(
            f"{who}: {where} has shape {array.shape}; each example must be 1-D mono audio. Mix channels down "
            "first (e.g. audio.mean(axis=0) for (channels, samples)), or load the file with load_audio()."
        )
    if array.ndim == 0 or array.size == 0:
        raise errors.AudioInputError(f"{who}: {where} is empty (no samples); pass at least one sample.")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise errors.AudioInputError(f"{who}: {where} holds {array.dtype} values, not audio samples (numbers).")
    array = np.asarray(array, dtype=np.float32)
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise errors.AudioInputError(
            f"{who}: {where} contains {bad} NaN or infinite sample(s); clean the audio (e.g. np.nan_to_num) "
            "before feature extraction."
        )
    return array


def _check_return_tensors(return_tensors: Any, who: str) -> str | None:
    kind = getattr(return_tensors, "value", return_tensors)  # also transformers' TensorType
    if kind not in (None, "pt", "np"):
        raise errors.AudioInputError(
            f"{who}: return_tensors={return_tensors!r} is not supported; use 'pt', 'np' or None."
        )
    return kind


# --- padding, truncation, normalisation ---------------------------------------------------------------------------


class SequenceFeatureExtractor(Preprocessor):
    """transformers' ``SequenceFeatureExtractor``: settings shared by audio feature extractors, padding and
    truncation of a batch of waveforms, the sampling-rate check, zero-mean unit-variance normalisation."""

    type_key = "feature_extractor_type"
    part = "feature_extractor"
    defaults: ClassVar[dict[str, Any]] = {
        "feature_size": 1,
        "sampling_rate": 16000,
        "padding_value": 0.0,
        "padding_side": "right",
        "return_attention_mask": True,
    }

    # bounds no real checkpoint reaches: beyond them a setting would only allocate terabytes
    limits: ClassVar[dict[str, int]] = {"feature_size": 1 << 16, "sampling_rate": 1 << 20}

    def validate(self) -> None:
        for field, limit in type(self).limits.items():
            if not is_positive_int(getattr(self, field)):
                raise errors.ConfigValueError(
                    f"{type(self).__name__}: {field}={getattr(self, field)!r} must be a positive integer."
                )
            if getattr(self, field) > limit:
                raise errors.ConfigValueError(
                    f"{type(self).__name__}: {field}={getattr(self, field)} is more than {limit:,}, beyond any real "
                    "checkpoint. Fix preprocessor_config.json."
                )
        if self.padding_side not in ("left", "right"):
            raise errors.ConfigValueError(
                f"{type(self).__name__}: padding_side={self.padding_side!r} must be 'left' or 'right'."
            )
        if self.padding_value is not None and not isinstance(self.padding_value, (int, float)):
            raise errors.ConfigValueError(
                f"{type(self).__name__}: padding_value={self.padding_value!r} must be a number."
            )

    # --- checks -----------------------------------------------------------------------------------------------

    def check_sampling_rate(self, sampling_rate: int | None) -> None:
        """A rate other than the model's is refused; none at all is logged, as transformers does."""
        name = type(self).__name__
        if sampling_rate is None:
            logger.warning(
                f"It is strongly recommended to pass the `sampling_rate` argument to `{name}()`. "
                "Failing to do so can result in silent errors that might be hard to debug."
            )
        elif sampling_rate != self.sampling_rate:
            raise errors.AudioInputError(
                f"{name} needs audio sampled at {self.sampling_rate} Hz (the rate its model was trained on), but "
                f"sampling_rate={sampling_rate} was given. Resample the audio to {self.sampling_rate} Hz first, e.g. "
                f"explorer.processing.audio.load_audio(path, sampling_rate={self.sampling_rate}) or "
                f"resample(audio, {sampling_rate}, {self.sampling_rate})."
            )

    def padding_strategy(self, padding: Any, max_length: int | None) -> str:
        """'longest', 'max_length' or 'do_not_pad' for ``padding`` (True means 'longest'), refusing what
        transformers refuses: 'max_length' without a max_length, padding without a padding_value."""
        name = type(self).__name__
        kind = getattr(padding, "value", padding)  # also transformers' PaddingStrategy
        if kind is True:
            strategy = "longest"
        elif kind is False or kind is None:
            strategy = "do_not_pad"
        elif kind in PADDING_STRATEGIES:
            strategy = kind
        else:
            raise errors.AudioInputError(
                f"{name}: padding={padding!r} is not a padding strategy; use True, False, "
                f"{', '.join(repr(s) for s in PADDING_STRATEGIES)}."
            )
        if strategy == "max_length" and max_length is None:
            raise errors.AudioInputError(f"{name}: padding='max_length' needs max_length (a number of samples).")
        if strategy != "do_not_pad" and self.padding_value is None:
            raise errors.AudioInputError(
                f"{name}: padding was asked for but padding_value is None; set e.g. padding_value=0.0."
            )
        return strategy

    # --- padding ----------------------------------------------------------------------------------------------

    def pad_examples(
        self,
        examples: list[np.ndarray],
        strategy: str,
        max_length: int | None,
        truncation: bool,
        pad_to_multiple_of: int | None,
    ) -> tuple[np.ndarray | list[np.ndarray], list[int]]:
        """Truncate and pad 1-D examples as transformers' ``SequenceFeatureExtractor.pad``. Returns the padded
        rows (one 2-D array when they all have the same width, else a list) and each row's real length."""
        name = type(self).__name__
        if pad_to_multiple_of is not None and not is_positive_int(pad_to_multiple_of):
            raise errors.AudioInputError(
                f"{name}: pad_to_multiple_of={pad_to_multiple_of!r} must be a positive integer."
            )
        if max_length is not None and not is_positive_int(max_length):
            raise errors.AudioInputError(f"{name}: max_length={max_length!r} must be a positive number of samples.")

        def round_up(length: int) -> int:
            if pad_to_multiple_of and length % pad_to_multiple_of:
                return (length // pad_to_multiple_of + 1) * pad_to_multiple_of
            return length

        if truncation:
            if max_length is None:
                raise errors.AudioInputError(f"{name}: truncation=True needs max_length (a number of samples).")
            limit = round_up(max_length)
            examples = [example[:limit] for example in examples]
        lengths = [len(example) for example in examples]
        if strategy == "do_not_pad":
            target = None
        elif strategy == "longest":
            target = round_up(max(lengths))
        else:
            target = round_up(max_length)  # type: ignore[arg-type]
        widths = [length if target is None else max(length, target) for length in lengths]
        if len(set(widths)) > 1:  # ragged: no padding asked, or an example longer than max_length
            rows: np.ndarray | list[np.ndarray] = [
                self._pad_row(example, width) for example, width in zip(examples, widths)
            ]
            return rows, lengths
        out = np.full((len(examples), widths[0]), self.padding_value, dtype=np.float32)
        for row, example in zip(out, examples):
            if self.padding_side == "right":
                row[: len(example)] = example
            else:
                row[len(row) - len(example):] = example
        return out, lengths

    def _pad_row(self, example: np.ndarray, width: int) -> np.ndarray:
        if len(example) == width:
            return example  # may be the caller's array: never edited in place
        row = np.full(width, self.padding_value, dtype=np.float32)
        if self.padding_side == "right":
            row[: len(example)] = example
        else:
            row[width - len(example):] = example
        return row

    def attention_masks(self, rows: np.ndarray | list[np.ndarray], lengths: list[int]) -> np.ndarray | list[np.ndarray]:
        """int32 masks: 1 on real samples, 0 on padding (on the padding side)."""
        if isinstance(rows, np.ndarray):
            positions = np.arange(rows.shape[1])
            lengths_array = np.asarray(lengths)[:, None]
            if self.padding_side == "right":
                return (positions < lengths_array).astype(np.int32)
            return (positions >= rows.shape[1] - lengths_array).astype(np.int32)
        masks = []
        for row, length in zip(rows, lengths):
            width = len(row)
            mask = np.zeros(width, dtype=np.int32)
            if self.padding_side == "right":
                mask[:length] = 1
            else:
                mask[width - length:] = 1
            masks.append(mask)
        return masks

    def normalize_rows(
        self, rows: np.ndarray | list[np.ndarray], lengths: list[int] | None
    ) -> np.ndarray | list[np.ndarray]:
        """Zero mean, unit variance per row: ``(x - mean) / sqrt(var + 1e-7)`` in float32. With ``lengths`` the
        statistics cover only the real samples and padding is reset to ``padding_value``; without, they cover
        the whole row, padding included (transformers' behaviour when no mask is returned). A 2-D array (our
        own padded batch) is normalised in place; a list of rows, which may hold the caller's arrays, into new
        arrays."""
        in_place = isinstance(rows, np.ndarray)
        normed = []
        for index, row in enumerate(rows):
            length = len(row) if lengths is None else lengths[index]
            start = 0 if self.padding_side == "right" else len(row) - length
            real = row[start: start + length]
            # float32 statistics, as transformers (numpy's pairwise sums: the same numbers, bit for bit)
            mean, std = real.mean(), np.sqrt(real.var() + 1e-7)
            out = row if in_place else np.empty_like(row)
            np.subtract(row, mean, out=out)  # the whole row, padding too, as transformers; then reset it
            np.divide(out, std, out=out)
            if length < len(row):
                out[:start] = self.padding_value
                out[start + length:] = self.padding_value
            normed.append(out)
        return rows if in_place else normed

    @staticmethod
    def zero_mean_unit_var_norm(
        input_values: list[np.ndarray], attention_mask: list[np.ndarray] | None, padding_value: float = 0.0
    ) -> list[np.ndarray]:
        """transformers' function of the same name: each array normalised to zero mean and unit variance,
        over the first ``attention_mask.sum()`` samples when a mask is given (the rest set to
        ``padding_value``). Returns new arrays."""
        normed = []
        if attention_mask is None:
            for vector in input_values:
                vector = np.asarray(vector)
                normed.append((vector - vector.mean()) / np.sqrt(vector.var() + 1e-7))
            return normed
        for vector, mask in zip(input_values, attention_mask):
            vector, length = np.asarray(vector), int(np.asarray(mask, dtype=np.int32).sum())
            normed_slice = (vector - vector[:length].mean()) / np.sqrt(vector[:length].var() + 1e-7)
            if length < normed_slice.shape[0]:
                normed_slice[length:] = padding_value
            normed.append(normed_slice)
        return normed

    def pad(
        self,
        processed_features: Any,
        padding: bool | str = True,
        max_length: int | None = None,
        truncation: bool = False,
        pad_to_multiple_of: int | None = None,
        return_attention_mask: bool | None = None,
        return_tensors: str | None = None,
    ) -> BatchFeature:
        """transformers' ``pad`` for 1-D inputs (e.g. a data collator's list of ``{"input_values": ...}``):
        pads ``model_input_names[0]`` and any ``attention_mask`` given alongside (with zeros); other keys pass
        through. Without ``return_tensors``: 'pt' for torch inputs, else 'np', as transformers."""
        name, key = type(self).__name__, self.model_input_names[0]
        listed = isinstance(processed_features, (list, tuple)) and bool(processed_features)
        if listed and isinstance(processed_features[0], dict):  # a list of examples -> a dict of lists
            processed_features = {k: [example[k] for example in processed_features] for k in processed_features[0]}
        if not isinstance(processed_features, dict) or key not in processed_features:
            raise errors.AudioInputError(
                f"{name}.pad takes a dict (or BatchFeature) with {key!r}, or a list of such dicts."
            )
        values = processed_features[key]
        if return_tensors is None:
            first = values[0] if len(values) else None
            return_tensors = "pt" if is_tensor(values) or is_tensor(first) else "np"
        kind = _check_return_tensors(return_tensors, name)
        examples = as_examples(values, name)
        if return_attention_mask is None:
            return_attention_mask = self.return_attention_mask
        strategy = self.padding_strategy(padding, max_length)
        rows, lengths = self.pad_examples(examples, strategy, max_length, truncation, pad_to_multiple_of)
        data: dict[str, Any] = {key: rows}
        if return_attention_mask:
            given = processed_features.get("attention_mask")
            if given is None:
                data["attention_mask"] = self.attention_masks(rows, lengths)
            else:  # pad the caller's masks with zeros, like the values
                masks = [np.asarray(_as_array(mask), dtype=np.int32)[:length] for mask, length in zip(given, lengths)]
                padded = []
                for mask, row in zip(masks, rows):
                    out = np.zeros(len(row), dtype=np.int32)
                    if self.padding_side == "right":
                        out[: len(mask)] = mask
                    else:
                        out[len(row) - len(mask):] = mask
                    padded.append(out)
                data["attention_mask"] = np.stack(padded) if isinstance(rows, np.ndarray) else padded
        for other, value in processed_features.items():
            if other not in data and other != "attention_mask":
                data[other] = value
        return batch_of(data, kind, name)


def ragged_or_array(rows: np.ndarray | list[np.ndarray]) -> np.ndarray:
    """Rows as one array: 2-D when they have the same width, else a 1-D object array of rows (numpy's
    representation of ragged rows, as transformers returns them)."""
    if isinstance(rows, np.ndarray):
        return rows
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


def batch_of(data: dict[str, Any], kind: str, who: str) -> BatchFeature:
    """A BatchFeature of 'np' arrays or 'pt' tensors; ragged rows become an object array for 'np' (as
    transformers) and are refused for 'pt'."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, np.ndarray) and value.dtype != object:
            out[key] = torch_or_array(value, kind)
        elif isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            if kind == "pt":
                raise errors.AudioInputError(
                    f"{who}: the examples have different lengths ({', '.join(str(len(v)) for v in value)} "
                    f"samples), so {key!r} cannot be one tensor. Pass padding=True (or padding='max_length' with "
                    "max_length and truncation=True)."
                )
            out[key] = ragged_or_array(value)
        else:
            out[key] = value
    return BatchFeature(out, tensor_type=kind)


def torch_or_array(value: Any, kind: str | None) -> Any:
    if kind == "pt" and isinstance(value, np.ndarray):
        import torch

        return torch.from_numpy(np.ascontiguousarray(value))
    return value


# --- Wav2Vec2 -----------------------------------------------------------------------------------------------------


class Wav2Vec2FeatureExtractor(SequenceFeatureExtractor):
    """The waveform, padded, and normalised per example (``do_normalize``); ``input_values`` and, when
    ``return_attention_mask``, an int32 ``attention_mask``.

    Wav2Vec2 models with ``feat_extract_norm == "group"`` (e.g. wav2vec2-base) were trained without an
    attention mask (pad with zeros, pass no mask); those with ``"layer"`` (e.g. wav2vec2-large-lv60) need the
    mask for batches."""

    model_input_names: ClassVar[list[str]] = ["input_values", "attention_mask"]
    defaults: ClassVar[dict[str, Any]] = {
        "feature_size": 1,
        "sampling_rate": 16000,
        "padding_value": 0.0,
        "return_attention_mask": False,
        "do_normalize": True,
    }

    def __call__(
        self,
        raw_speech: Any,
        padding: bool | str = False,
        max_length: int | None = None,
        truncation: bool = False,
        pad_to_multiple_of: int | None = None,
        return_attention_mask: bool | None = None,
        return_tensors: str | None = None,
        sampling_rate: int | None = None,
    ) -> BatchFeature:
        """One waveform (1-D array, list of floats) or a batch (list of them, or a 2-D array (batch,
        samples)) -> ``input_values`` (float32) and, if asked, ``attention_mask`` (int32).

        ``padding``: False (default; a batch of different lengths stays ragged), True / 'longest', or
        'max_length' (with ``max_length``); ``truncation=True`` cuts at ``max_length``. Normalisation uses the
        real samples only when a mask is returned with padding; without a mask it covers the padding too, as
        transformers."""
        name = type(self).__name__
        self.check_sampling_rate(sampling_rate)
        kind = _check_return_tensors(return_tensors, name)
        examples = as_examples(raw_speech, name)
        strategy = self.padding_strategy(padding, max_length)
        if return_attention_mask is None:
            return_attention_mask = self.return_attention_mask
        rows, lengths = self.pad_examples(examples, strategy, max_length, truncation, pad_to_multiple_of)
        if self.do_normalize:
            masked = return_attention_mask and strategy != "do_not_pad"
            rows = self.normalize_rows(rows, lengths if masked else None)
        data: dict[str, Any] = {"input_values": rows}
        if return_attention_mask:
            data["attention_mask"] = self.attention_masks(rows, lengths)
        if kind is not None:
            return batch_of(data, kind, name)
        # as transformers returns them: normalised values and masks as lists of rows, raw values as one array
        data["input_values"] = list(rows) if self.do_normalize else ragged_or_array(rows)
        if return_attention_mask:
            data["attention_mask"] = list(data["attention_mask"])
        return BatchFeature(data)


# --- Whisper: the log-mel spectrogram -----------------------------------------------------------------------------


def hertz_to_mel(freq: float | np.ndarray, mel_scale: str = "htk") -> float | np.ndarray:
    """Hz -> mels on the "htk", "kaldi" or "slaney" scale (transformers' ``audio_utils.hertz_to_mel``)."""
    if mel_scale == "htk":
        return 2595.0 * np.log10(1.0 + (freq / 700.0))
    if mel_scale == "kaldi":
        return 1127.0 * np.log(1.0 + (freq / 700.0))
    if mel_scale != "slaney":
        raise errors.ConfigValueError(f"mel_scale={mel_scale!r} must be 'htk', 'kaldi' or 'slaney'.")
    min_log_hertz, min_log_mel, logstep = 1000.0, 15.0, 27.0 / np.log(6.4)
    mels = 3.0 * freq / 200.0  # linear below 1 kHz
    if isinstance(freq, np.ndarray):
        log_region = freq >= min_log_hertz
        mels[log_region] = min_log_mel + np.log(freq[log_region] / min_log_hertz) * logstep
    elif freq >= min_log_hertz:
        mels = min_log_mel + np.log(freq / min_log_hertz) * logstep
    return mels


def mel_to_hertz(mels: float | np.ndarray, mel_scale: str = "htk") -> float | np.ndarray:
    """mels -> Hz, the inverse of :func:`hertz_to_mel`."""
    if mel_scale == "htk":
        return 700.0 * (np.power(10, mels / 2595.0) - 1.0)
    if mel_scale == "kaldi":
        return 700.0 * (np.exp(mels / 1127.0) - 1.0)
    if mel_scale != "slaney":
        raise errors.ConfigValueError(f"mel_scale={mel_scale!r} must be 'htk', 'kaldi' or 'slaney'.")
    min_log_hertz, min_log_mel, logstep = 1000.0, 15.0, np.log(6.4) / 27.0
    freq = 200.0 * mels / 3.0
    if isinstance(mels, np.ndarray):
        log_region = mels >= min_log_mel
        freq[log_region] = min_log_hertz * np.exp(logstep * (mels[log_region] - min_log_mel))
    elif mels >= min_log_mel:
        freq = min_log_hertz * np.exp(logstep * (mels - min_log_mel))
    return freq


def mel_filter_bank(
    num_frequency_bins: int,
    num_mel_filters: int,
    min_frequency: float,
    max_frequency: float,
    sampling_rate: int,
    norm: str | None = None,
    mel_scale: str = "htk",
) -> np.ndarray:
    """Triangular mel filters, shape (num_frequency_bins, num_mel_filters), float64: transformers'
    ``audio_utils.mel_filter_bank`` (librosa's with ``norm="slaney"``: each filter scaled to constant area)."""
    if norm not in (None, "slaney"):
        raise errors.ConfigValueError(f"norm={norm!r} must be None or 'slaney'.")
    mel_freqs = np.linspace(hertz_to_mel(min_frequency, mel_scale), hertz_to_mel(max_frequency, mel_scale),
                            num_mel_filters + 2)
    filter_freqs = mel_to_hertz(mel_freqs, mel_scale)
    fft_freqs = np.linspace(0, sampling_rate // 2, num_frequency_bins)
    # filter i rises from edge i to edge i + 1 and falls to edge i + 2 (edges evenly spaced in mels)
    slopes = filter_freqs[None, :] - fft_freqs[:, None]
    filter_diff = np.diff(filter_freqs)
    down_slopes = -slopes[:, :-2] / filter_diff[:-1]
    up_slopes = slopes[:, 2:] / filter_diff[1:]
    filters = np.maximum(np.zeros(1), np.minimum(down_slopes, up_slopes))
    if norm == "slaney":
        filters *= (2.0 / (filter_freqs[2: num_mel_filters + 2] - filter_freqs[:num_mel_filters]))[None, :]
    if (filters.max(axis=0) == 0.0).any():
        warnings.warn(
            "At least one mel filter has all zero values. "
            f"The value for `num_mel_filters` ({num_mel_filters}) may be set too high. "
            f"Or, the value for `num_frequency_bins` ({num_frequency_bins}) may be set too low.",
            stacklevel=2,
        )
    return filters


def hann_window(length: int) -> np.ndarray:
    """The periodic Hann window (``torch.hann_window``, transformers' ``window_function(length, "hann")``)."""
    return np.hanning(length + 1)[:-1]


class WhisperFeatureExtractor(SequenceFeatureExtractor):
    """Log-mel spectrogram of audio padded (or cut) to ``chunk_length`` seconds: ``input_features`` of shape
    (batch, feature_size, n_samples // hop_length), float32. As transformers: periodic Hann window of
    ``n_fft`` samples, hop ``hop_length``, centred frames (reflect padding), power spectrum, slaney mel
    filters up to 8 kHz, log10 clamped at 1e-10, floored at (max - 8) per example, then (x + 4) / 4.

    ``mel_filters`` are computed from the settings (as transformers does in ``__init__``); older configs that
    saved them as a list are accepted, and the list is recomputed."""

    model_input_names: ClassVar[list[str]] = ["input_features"]
    limits: ClassVar[dict[str, int]] = {**SequenceFeatureExtractor.limits, "feature_size": 1024, "n_fft": 1 << 16,
                                        "hop_length": 1 << 16, "chunk_length": 3600}
    defaults: ClassVar[dict[str, Any]] = {
        "feature_size": 80,
        "sampling_rate": 16000,
        "hop_length": 160,
        "chunk_length": 30,
        "n_fft": 400,
        "padding_value": 0.0,
        "dither": 0.0,
        "return_attention_mask": False,
        # derived from chunk_length, sampling_rate and hop_length (recomputed; saved for transformers' JSON)
        "n_samples": 480000,
        "nb_max_frames": 3000,
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("mel_filters", None)  # saved by older transformers versions; recomputed below, as transformers
        super().__init__(**kwargs)
        self.n_samples = self.chunk_length * self.sampling_rate
        self.nb_max_frames = self.n_samples // self.hop_length
        self._mel_filters = mel_filter_bank(
            num_frequency_bins=1 + self.n_fft // 2,
            num_mel_filters=self.feature_size,
            min_frequency=0.0,
            max_frequency=8000.0,
            sampling_rate=self.sampling_rate,
            norm="slaney",
            mel_scale="slaney",
        )
        self._window = hann_window(self.n_fft)

    def validate(self) -> None:
        super().validate()
        # the noise's std on a [-1, 1] waveform (transformers suggests 1e-4): far more only drowns the speech,
        # and past float32's range it overflows
        if not isinstance(self.dither, (int, float)) or isinstance(self.dither, bool) or not 0 <= self.dither <= MAX_DITHER:
            raise errors.ConfigValueError(
                f"{type(self).__name__}: dither={self.dither!r} must be a number from 0 to {MAX_DITHER:g}. Fix "
                "preprocessor_config.json."
            )

    @property
    def mel_filters(self) -> np.ndarray:
        """The mel filter bank, shape (1 + n_fft // 2, feature_size), float64."""
        return self._mel_filters

    def __call__(
        self,
        raw_speech: Any,
        truncation: bool = True,
        pad_to_multiple_of: int | None = None,
        return_tensors: str | None = None,
        return_attention_mask: bool | None = None,
        padding: bool | str = "max_length",
        max_length: int | None = None,
        sampling_rate: int | None = None,
        do_normalize: bool | None = None,
        device: str | None = "cpu",
    ) -> BatchFeature:
        """One waveform or a batch -> ``input_features`` (batch x feature_size x frames). By default each is
        padded with silence or cut to ``n_samples`` (30 s: 3000 frames). ``return_attention_mask`` gives the
        mask per frame; ``do_normalize`` normalises each waveform first (and, as transformers, then returns
        the per-sample mask when no frame mask was asked for). ``device`` is accepted for transformers'
        signature; the computation runs on the CPU in numpy."""
        name = type(self).__name__
        self.check_sampling_rate(sampling_rate)
        kind = _check_return_tensors(return_tensors, name)
        examples = as_examples(raw_speech, name)
        max_length = max_length if max_length else self.n_samples
        strategy = self.padding_strategy(padding, max_length)
        rows, lengths = self.pad_examples(examples, strategy, max_length, truncation, pad_to_multiple_of)
        if not isinstance(rows, np.ndarray):
            if len(rows) > 1:
                raise errors.AudioInputError(
                    f"{name}: the examples have different lengths ({', '.join(str(len(r)) for r in rows)} samples) "
                    "after padding; use padding='max_length' (the default) or 'longest', with truncation."
                )
            rows = np.array(rows[0][None, :])  # a copy: the caller's array is never edited
        masks = self.attention_masks(rows, lengths) if (return_attention_mask or do_normalize) else None
        if do_normalize:
            rows = self.normalize_rows(rows, lengths)
        if self.dither != 0.0:
            import torch  # the same noise as transformers for the same torch seed

            noise = torch.randn(rows.shape, dtype=torch.float32).numpy()
            rows = rows + np.float32(self.dither) * noise
        data: dict[str, Any] = {"input_features": self.log_mel_spectrogram(rows)}
        if return_attention_mask:
            assert masks is not None
            frames = masks[:, :: self.hop_length]  # one per hop, minus the last frame the spectrogram drops
            if masks.shape[1] % self.hop_length != 0:
                frames = frames[:, :-1]
            data["attention_mask"] = np.ascontiguousarray(frames)
        elif do_normalize:
            data["attention_mask"] = masks  # transformers leaves the per-sample mask in the output here
        return BatchFeature(
            {key: torch_or_array(value, kind) for key, value in data.items()}, tensor_type=kind
        )

    def log_mel_spectrogram(self, waveforms: np.ndarray) -> np.ndarray:
        """(batch, samples) float32 -> (batch, feature_size, samples // hop_length) float32. Frames are a
        strided view of the waveform, transformed a block at a time (one FFT call, one matrix product each),
        so long untruncated audio does not need the whole spectrum in memory."""
        n_fft, hop = self.n_fft, self.hop_length
        batch, length = waveforms.shape
        n_frames = length // hop  # 1 + length // hop centred frames; the last one is dropped, as transformers
        out = np.empty((batch, self.feature_size, n_frames), dtype=np.float32)
        filters_t = np.ascontiguousarray(self._mel_filters.T, dtype=np.float32)  # (mel, frequencies)
        for index, waveform in enumerate(waveforms):
            padded = np.pad(waveform, n_fft // 2, mode="reflect")  # centred frames, as torch.stft
            frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
            log_spec = out[index]  # (mel, frames), filled block by block
            for start in range(0, n_frames, _FRAMES_PER_BLOCK):
                stop = min(start + _FRAMES_PER_BLOCK, n_frames)
                # float64 FFT (numpy's is faster in double precision); float32 from the power spectrum on
                spectrum = np.fft.rfft(frames[start:stop] * self._window, axis=-1)  # (frames, frequencies)
                power = np.square(spectrum.real)
                power += np.square(spectrum.imag)
                log_spec[:, start:stop] = filters_t @ power.astype(np.float32).T
            if n_frames == 0:
                continue
            np.maximum(log_spec, np.float32(1e-10), out=log_spec)
            np.log10(log_spec, out=log_spec)
            np.maximum(log_spec, log_spec.max() - np.float32(8.0), out=log_spec)
            log_spec += np.float32(4.0)
            log_spec /= np.float32(4.0)
        return out


__all__ = [
    "SequenceFeatureExtractor",
    "Wav2Vec2FeatureExtractor",
    "WhisperFeatureExtractor",
    "hertz_to_mel",
    "load_audio",
    "mel_filter_bank",
    "mel_to_hertz",
    "resample",
]

