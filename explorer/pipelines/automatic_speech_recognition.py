"""automatic-speech-recognition for CTC heads, as transformers' ``AutomaticSpeechRecognitionPipeline``: the clip
(an array, a file or a ``{"raw" | "array", "sampling_rate"}`` dict) -> the feature extractor's ``input_values``
-> the head's logits -> the best token at every frame -> the tokenizer's CTC decoding (repeats merged, blanks
dropped) -> ``{"text": ...}``.

Long audio with ``chunk_length_s``: the clip is cut into chunks overlapping by ``stride_length_s`` each side
(a sixth of the chunk by default), each run alone (and batched with ``batch_size``), and the frames of each
chunk's strides are dropped before the chunks' tokens are joined, so every instant is decoded once from a chunk
that saw context on both sides. ``return_timestamps="char"`` or ``"word"`` adds ``chunks`` with each
character's or word's ``(start, end)`` in seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import errors
from .audio_classification import is_one_clip, read_clip
from .base import ChunkResult, Pipeline, Step

TIMESTAMPS = ("char", "word")


class AutomaticSpeechRecognitionPipeline(Pipeline):
    """Transcribe clips: ``{"text": ...}`` (with ``chunks`` when ``return_timestamps`` is asked)."""

    task = "automatic-speech-recognition"

    def is_one_input(self, inputs: Any) -> bool:
        return is_one_clip(inputs)

    @property
    def align_to(self) -> int:
        """Input samples per logit frame (the convolutional feature encoder's total stride)."""
        return getattr(self.model.config, "inputs_to_logits_ratio", 1)

    def _sanitize_parameters(self, chunk_length_s: float | None = None, stride_length_s: Any = None,
                             return_timestamps: Any = None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        preprocess: dict[str, Any] = {}
        if chunk_length_s is not None:
            if not isinstance(chunk_length_s, (int, float)) or isinstance(chunk_length_s, bool) or chunk_length_s < 0:
                raise errors.PipelineInputError(f"chunk_length_s={chunk_length_s!r}: pass a length in seconds (0: "
                                                "no chunking).")
            preprocess["chunk_length_s"] = chunk_length_s
        if stride_length_s is not None:
            preprocess["stride_length_s"] = stride_length_s
        postprocess: dict[str, Any] = {}
        if return_timestamps is not None:
            if return_timestamps not in TIMESTAMPS:
                raise errors.PipelineInputError(
                    f"return_timestamps={return_timestamps!r}: a CTC model gives 'char' or 'word' timestamps."
                )
            postprocess["return_timestamps"] = return_timestamps
        return preprocess, {}, postprocess

    def preprocess(self, item: Any, chunk_length_s: float = 0, stride_length_s: Any = None) -> list[dict[str, Any]]:
        samples = read_clip(item, self.feature_extractor.sampling_rate, "inputs", mono=True)
        if not chunk_length_s:
            return [self.features(samples)]
        chunk, left, right = self.chunk_sizes(chunk_length_s, stride_length_s)
        return [{**self.features(piece), "stride": stride} for piece, stride in strided_chunks(samples, chunk, left,
                                                                                                  right)]

    def features(self, samples: np.ndarray) -> dict[str, Any]:
        return dict(self.feature_extractor(samples, sampling_rate=self.feature_extractor.sampling_rate,
                                           return_tensors="pt", return_attention_mask=True))

    def chunk_sizes(self, chunk_length_s: float, stride_length_s: Any) -> tuple[int, int, int]:
        """The chunk and its left and right strides in samples, each a whole number of logit frames."""
        if stride_length_s is None:
            stride_length_s = chunk_length_s / 6
        if isinstance(stride_length_s, (int, float)):
            stride_length_s = [stride_length_s, stride_length_s]
        if not (isinstance(stride_length_s, (list, tuple)) and len(stride_length_s) == 2):
            raise errors.PipelineInputError(f"stride_length_s={stride_length_s!r}: pass seconds, or [left, right] "
                                            "seconds.")
        rate, align = self.feature_extractor.sampling_rate, self.align_to
        chunk, left, right = (int(round(seconds * rate / align) * align)
                              for seconds in (chunk_length_s, *stride_length_s))
        if chunk <= left + right:
            raise errors.PipelineInputError(
                f"chunk_length_s={chunk_length_s}: the chunk must be longer than its two strides "
                f"(stride_length_s={list(stride_length_s)}); lengthen the chunk or shorten the strides."
            )
        return chunk, left, right

    def _padding_value(self, key: str) -> int:
        return self.feature_extractor.padding_value if key == "input_values" else super()._padding_value(key)

    def _forward(self, model_inputs: dict[str, Any], **params: Any) -> dict[str, Any]:
        logits = self.model(**model_inputs).logits
        return {"logits": logits, "tokens": logits.argmax(dim=-1)}

    def postprocess(self, results: list[ChunkResult], steps: list[Step],
                    return_timestamps: str | None = None) -> dict[str, Any]:
        pieces = [self.kept_tokens(result, steps) for result in results]
        tokens = np.concatenate(pieces, axis=1).squeeze(0)
        steps.append(Step("argmax", "the best token at every frame" + (", the chunks' joined" if len(pieces) > 1
                                                                         else ""), tokens.tolist()))
        text = self.tokenizer.decode(tokens, skip_special_tokens=False)
        steps.append(Step("ctc decode", "repeated tokens merged, blanks (the pad token) dropped, | as spaces", text))
        if not return_timestamps:
            return {"text": text}
        chunks = self.timestamps(tokens, return_timestamps)
        steps.append(Step("timestamps", f"each {return_timestamps}'s frames x {self.align_to} samples / "
                                        f"{self.feature_extractor.sampling_rate} Hz", chunks))
        return {"text": text, "chunks": chunks}

    def kept_tokens(self, result: ChunkResult, steps: list[Step]) -> np.ndarray:
        """A chunk's tokens without the frames of its strides (all of them for an unchunked clip)."""
        tokens = result.outputs["tokens"].numpy()
        stride = result.inputs.get("stride")
        if stride is None:
            return tokens
        frames, left, right = frame_stride(stride, 1 / self.align_to)
        # frames may be fewer than the logits: a chunk padded in its batch
        steps.append(Step("stride", f"chunk of {stride[0]} samples = {frames} frames: the {left} first and {right} "
                                    "last dropped", [left, frames - right]))
        return tokens[:, left:frames - right]

    def timestamps(self, tokens: np.ndarray, unit: str) -> list[dict[str, Any]]:
        decoded = self.tokenizer.decode(tokens, skip_special_tokens=False, output_char_offsets=unit == "char",
                                        output_word_offsets=unit == "word")
        seconds = self.align_to / self.feature_extractor.sampling_rate
        return [{"text": offset[unit], "timestamp": (offset["start_offset"] * seconds,
                                                     offset["end_offset"] * seconds)}
                for offset in decoded[f"{unit}_offsets"]]


def strided_chunks(samples: np.ndarray, chunk: int, left: int, right: int) -> list[tuple[np.ndarray, tuple]]:
    """transformers' ``chunk_iter``: chunks of ``chunk`` samples every ``chunk - left - right``, each with its
    stride ``(length, left, right)`` (no left stride on the first, no right one on the last); a chunk that would
    hold only its left stride is skipped."""
    pieces = []
    for start in range(0, len(samples), chunk - left - right):
        piece = samples[start:start + chunk]
        is_last = start + chunk >= len(samples)
        stride = (len(piece), 0 if start == 0 else left, 0 if is_last else right)
        if len(piece) > stride[1]:
            pieces.append((piece, stride))
        if is_last:
            break
    return pieces


def frame_stride(stride: tuple[int, int, int], ratio: float) -> tuple[int, int, int]:
    """transformers' ``rescale_stride``: a ``(length, left, right)`` stride from samples to logit frames."""
    length, left, right = stride
    frames = int(round(length * ratio))
    return frames, int(round(left / length * frames)), int(round(right / length * frames))
