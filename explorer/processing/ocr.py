"""OCR for LayoutLMv2: Tesseract (through pytesseract, an optional dependency imported only when OCR runs)
reads a page into its words and their boxes on LayoutLM's 0-1000 scale, as transformers' ``apply_tesseract``.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from .. import errors

_OCR_INSTALL = (
    "Install the Python wrapper with `pip install pytesseract` and the Tesseract program itself "
    "(`apt-get install tesseract-ocr` on Debian/Ubuntu, `brew install tesseract` on macOS), or pass "
    "apply_ocr=False and give the words and boxes yourself."
)


def import_pytesseract() -> Any:
    """The pytesseract module, or an error saying how to install it."""
    try:
        import pytesseract
    except ImportError:
        raise errors.MissingDependencyError(f"apply_ocr=True needs pytesseract, which is not installed. {_OCR_INSTALL}") from None
    return pytesseract


def normalize_box(box: list[int], width: int, height: int) -> list[int]:
    """A (left, top, right, bottom) pixel box on a 0-1000 scale, as LayoutLM expects."""
    return [
        int(1000 * (box[0] / width)),
        int(1000 * (box[1] / height)),
        int(1000 * (box[2] / width)),
        int(1000 * (box[3] / height)),
    ]


def apply_tesseract(image: Image.Image, lang: str | None, tesseract_config: str | None = None
                    ) -> tuple[list[str], list[list[int]]]:
    """Tesseract OCR on a page: its non-empty words and their boxes normalised to 0-1000 (transformers'
    ``apply_tesseract``)."""
    pytesseract = import_pytesseract()
    not_found = getattr(pytesseract, "TesseractNotFoundError", ())
    try:
        data = pytesseract.image_to_data(image, lang=lang, output_type="dict",
                                         config=tesseract_config if tesseract_config is not None else "")
    except not_found:
        raise errors.MissingDependencyError(
            f"pytesseract is installed but the tesseract program is not. {_OCR_INSTALL}"
        ) from None
    width, height = image.size
    words, boxes = [], []
    for word, left, top, w, h in zip(data["text"], data["left"], data["top"], data["width"], data["height"]):
        if not str(word).strip():
            continue
        words.append(word)
        boxes.append(normalize_box([left, top, left + w, top + h], width, height))
    return words, boxes
