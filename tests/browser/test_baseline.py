"""The screenshot comparison itself, on made-up pictures: within the tolerance it passes, beyond it or at
another size it fails and keeps the screenshot, and EXPLORER_UPDATE_BASELINES=1 rewrites the baseline."""

from __future__ import annotations

import io

import baseline
import pytest
from PIL import Image


def png(size=(10, 10), changed: int = 0) -> bytes:
    """A white picture with its first ``changed`` pixels black."""
    image = Image.new("RGB", size, "white")
    for index in range(changed):
        image.putpixel((index % size[0], index // size[0]), (0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def folders(tmp_path, monkeypatch):
    monkeypatch.setattr(baseline, "BASELINES", tmp_path / "baselines")
    monkeypatch.setattr(baseline, "ARTIFACTS", tmp_path / "artifacts")
    monkeypatch.delenv(baseline.UPDATE, raising=False)
    (tmp_path / "baselines").mkdir()
    (tmp_path / "baselines" / "picture.png").write_bytes(png())
    return tmp_path


def test_a_difference_within_the_tolerance_passes(folders):
    baseline.assert_screenshot(png(changed=2), "picture", tolerance=0.02)  # 2 of 100 pixels


def test_a_difference_beyond_the_tolerance_fails_and_keeps_the_screenshot(folders):
    with pytest.raises(pytest.fail.Exception, match="3.0% of its pixels"):
        baseline.assert_screenshot(png(changed=3), "picture", tolerance=0.02)
    assert (folders / "artifacts" / "picture-actual.png").is_file()
    assert (folders / "artifacts" / "picture-difference.png").is_file()


def test_another_size_fails_naming_both(folders):
    with pytest.raises(pytest.fail.Exception, match="is 12x10, its baseline .* 10x10"):
        baseline.assert_screenshot(png(size=(12, 10)), "picture")


def test_a_missing_baseline_says_how_to_write_it(folders):
    with pytest.raises(pytest.fail.Exception, match="EXPLORER_UPDATE_BASELINES=1"):
        baseline.assert_screenshot(png(), "another")


def test_the_update_variable_rewrites_the_baseline(folders, monkeypatch):
    monkeypatch.setenv(baseline.UPDATE, "1")
    baseline.assert_screenshot(png(changed=50), "picture")
    assert (folders / "baselines" / "picture.png").read_bytes() == png(changed=50)
