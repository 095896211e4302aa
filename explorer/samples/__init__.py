"""Sample inputs shipped with explorer, for the explorer app and the notebooks (see NOTICE for their origin)."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
PHOTO = HERE / "flower.jpg"  # 320 pixels wide, RGB
CLIP = HERE / "hobbit.wav"  # 16 kHz mono: "In a hole in the ground there lived a hobbit."
SENTENCE = "In a hole in the ground there lived a hobbit."
