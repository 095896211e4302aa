"""Make the explorer's sample photo and sample clip (run once by hand; the outputs are committed).

    python explorer/samples/make_samples.py

- ``flower.jpg``: scikit-learn's bundled ``sklearn/datasets/images/flower.jpg`` (CC BY 2.0, see NOTICE),
  resized to 320 pixels wide. Needs scikit-learn installed (only for this script).
- ``hobbit.wav``: "In a hole in the ground there lived a hobbit." spoken by espeak-ng
  (``apt-get install -y espeak-ng``), resampled to 16 kHz mono with explorer's own resampler, 16-bit PCM.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
PHOTO_WIDTH = 320
SENTENCE = "In a hole in the ground there lived a hobbit."
SAMPLING_RATE = 16000


def make_photo() -> Path:
    from importlib.resources import files

    from PIL import Image

    source = files("sklearn.datasets") / "images" / "flower.jpg"
    with Image.open(source) as image:
        height = round(image.height * PHOTO_WIDTH / image.width)
        small = image.convert("RGB").resize((PHOTO_WIDTH, height), Image.Resampling.LANCZOS)
    target = HERE / "flower.jpg"
    small.save(target, quality=88)
    return target


def make_clip() -> Path:
    import soundfile

    from explorer.processing.audio import load_audio

    target = HERE / "hobbit.wav"
    with tempfile.TemporaryDirectory() as folder:
        spoken = Path(folder) / "espeak.wav"
        subprocess.run(["espeak-ng", "-v", "en", "-s", "150", "-w", str(spoken), SENTENCE], check=True)
        waveform = load_audio(spoken, sampling_rate=SAMPLING_RATE)
    soundfile.write(target, waveform, SAMPLING_RATE, subtype="PCM_16")
    return target


if __name__ == "__main__":
    for made in (make_photo(), make_clip()):
        print(made, made.stat().st_size, "bytes")
