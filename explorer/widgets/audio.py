"""The audio panel: the sample clip or an upload, read at the feature extractor's sampling rate; the waveform,
the extracted features (input_values, or the log-mel spectrogram) as pictures, and a player."""

from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np

from ..samples import CLIP
from .base import Panel
from .render.audio import render_audio
from .session import Session


def read_clip(data: bytes, sampling_rate: int) -> np.ndarray:
    from ..processing.audio import load_audio

    return load_audio(data, sampling_rate=sampling_rate)


def wav_bytes(waveform: np.ndarray, sampling_rate: int) -> bytes:
    """16-bit WAV for the player (browsers play it everywhere)."""
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, waveform, sampling_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


class AudioPanel(Panel):
    name = "audio"

    def controls(self) -> list[widgets.Widget]:
        self.player = widgets.Audio(format="wav", autoplay=False, loop=False)
        return [self.input_row("audio", CLIP, accept="audio/*,.wav,.flac,.ogg", icon="music"), self.player]

    def applies_to(self, session: Session) -> bool:
        return self.has(session, "feature_extractor")

    def render(self, session: Session) -> None:
        if self.show_part_error(session, "feature_extractor"):
            return
        extractor = session.get("feature_extractor")
        self.show_input_name()
        data = self.state.audio[1]
        rate = extractor.sampling_rate
        waveform = read_clip(data, rate)
        features = extractor(waveform, sampling_rate=rate, return_tensors="np")
        shown = {key: np.asarray(value)[0] for key, value in features.items() if key != "attention_mask"}
        self.player.value = wav_bytes(waveform, rate)
        self.output.value = render_audio(type(extractor).__name__, waveform, rate, shown, extractor.to_dict(),
                                         self.labels)
