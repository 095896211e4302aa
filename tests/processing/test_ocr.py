"""LayoutLMv2's OCR (explorer.processing.ocr): the error without pytesseract, and words and boxes equal to
transformers' with a fake pytesseract."""

from __future__ import annotations

import sys
import types

import pytest
import transformers
from image_checks import assert_same, photo

from explorer import errors
from explorer.processing.image import LayoutLMv2ImageProcessor


def test_layoutlmv2_ocr_without_pytesseract(monkeypatch):
    monkeypatch.setitem(sys.modules, "pytesseract", None)  # import pytesseract -> ImportError
    processor = LayoutLMv2ImageProcessor()
    assert processor.apply_ocr is True
    with pytest.raises(ImportError) as raised:
        processor(photo(40, 30), return_tensors="pt")
    assert isinstance(raised.value, errors.ExplorerError)
    assert "pip install pytesseract" in str(raised.value)
    assert "apt-get install tesseract-ocr" in str(raised.value)
    assert "apply_ocr=False" in str(raised.value)
    inputs = processor(photo(40, 30), return_tensors="pt", apply_ocr=False)
    assert set(inputs) == {"pixel_values"}


def fake_pytesseract() -> types.ModuleType:
    module = types.ModuleType("pytesseract")
    calls = []

    def image_to_data(image, lang=None, output_type=None, config=""):
        calls.append((image.size, image.mode, lang, output_type, config))
        return {"text": ["", "Hello", " ", "world", "!"], "left": [0, 3, 9, 10, 33], "top": [0, 4, 4, 5, 20],
                "width": [40, 20, 1, 15, 4], "height": [30, 8, 8, 9, 6]}

    module.image_to_data = image_to_data
    module.calls = calls
    return module


def test_layoutlmv2_ocr_words_and_boxes(monkeypatch):
    fake = fake_pytesseract()
    monkeypatch.setitem(sys.modules, "pytesseract", fake)
    from transformers.models.layoutlmv2 import (
        image_processing_pil_layoutlmv2 as theirs_module,
    )

    monkeypatch.setattr(theirs_module, "pytesseract", fake)
    monkeypatch.setattr(theirs_module, "requires_backends", lambda *args, **kwargs: None)
    pictures = [photo(40, 30, seed=1), photo(50, 20, seed=2)]
    ours = LayoutLMv2ImageProcessor(ocr_lang="eng", tesseract_config="--psm 6")(pictures, return_tensors="pt")
    theirs = transformers.LayoutLMv2ImageProcessorPil(ocr_lang="eng", tesseract_config="--psm 6")(
        pictures, return_tensors="pt")
    assert_same(ours, theirs)
    assert ours["words"] == theirs["words"] == [["Hello", "world", "!"]] * 2
    assert ours["boxes"] == theirs["boxes"]
    assert ours["boxes"][0] == [[75, 133, 575, 400], [250, 166, 625, 466], [825, 666, 925, 866]]
    assert {call[1:] for call in fake.calls} == {("RGB", "eng", "dict", "--psm 6")}
