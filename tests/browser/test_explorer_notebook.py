"""The explorer notebook in a real browser: JupyterLab runs notebooks/00-explorer.ipynb, a person types catalog
checkpoint ids into the checkpoint box and presses Enter, and the panels draw token chips, the processed image
and the feature-map grid; a bad id shows its error and leaves the app usable. Screenshots are kept in
tests/browser/artifacts/."""

from __future__ import annotations

from lab_page import ARTIFACTS, open_notebook, open_tab, run_all_cells
from playwright.sync_api import Page, expect

NOTEBOOK = "00-explorer.ipynb"
LOAD_MS = 120_000
ERROR_MS = 30_000  # a missing id fails at its first file
TEXT_CHECKPOINT = "explorer-catalog/distilbert-sentiment"
VISION_CHECKPOINT = "explorer-catalog/convnext-digits"  # a backbone: its stages give the feature-map grid
MISSING_CHECKPOINT = "explorer-catalog/no-such-checkpoint"
DEFAULT_CHECKPOINT = "sentence-transformers/all-MiniLM-L6-v2"  # what explore() opens on


def load_checkpoint(page: Page, checkpoint: str) -> None:
    """Type ``checkpoint`` into the checkpoint box, press Enter, wait until the resolution panel shows it and
    the app is no longer busy."""
    box = page.locator(".explorer-checkpoint input")
    box.fill(checkpoint)
    box.press("Enter")
    expect(page.locator(".explorer-panel-resolution .explorer-note").first).to_have_text(checkpoint, timeout=LOAD_MS)
    expect(page.locator(".explorer-busy:visible")).to_have_count(0, timeout=LOAD_MS)


def screenshot_panel(page: Page, name: str, file_name: str) -> None:
    page.locator(f".explorer-panel-{name}").screenshot(path=str(ARTIFACTS / file_name))


def test_explorer_notebook_shows_tokens_image_and_feature_maps(lab_server, page):
    open_notebook(page, lab_server.url, lab_server.token, NOTEBOOK)
    run_all_cells(page, NOTEBOOK)
    expect(page.locator(".explorer-checkpoint input")).to_be_visible(timeout=LOAD_MS)

    load_checkpoint(page, TEXT_CHECKPOINT)
    open_tab(page, "Text")
    chips = page.locator(".explorer-panel-text .explorer-token-chip")
    expect(chips.first).to_be_visible(timeout=LOAD_MS)
    assert chips.count() >= 3, f"{TEXT_CHECKPOINT}: only {chips.count()} token chips"
    screenshot_panel(page, "text", "explorer-tokens.png")

    load_checkpoint(page, VISION_CHECKPOINT)  # no Text tab: the app goes back to Resolution
    open_tab(page, "Image")
    image = page.locator(".explorer-panel-image .explorer-pixel-image")
    expect(image.first).to_be_visible(timeout=LOAD_MS)
    assert image.first.bounding_box()["width"] > 20, "the processed image has no size"
    screenshot_panel(page, "image", "explorer-image.png")
    open_tab(page, "Backbone")
    grid = page.locator(".explorer-panel-backbone .explorer-feature-grid")
    expect(grid.first).to_be_visible(timeout=LOAD_MS)
    screenshot_panel(page, "backbone", "explorer-feature-maps.png")

    assert_no_failure(page)


def test_a_bad_id_shows_its_error_and_the_next_id_loads(lab_server, page):
    open_notebook(page, lab_server.url, lab_server.token, NOTEBOOK)
    run_all_cells(page, NOTEBOOK)
    box = page.locator(".explorer-checkpoint input")
    box.fill(MISSING_CHECKPOINT)
    box.press("Enter")
    expect(page.locator(".explorer-error").first).to_contain_text(MISSING_CHECKPOINT, timeout=ERROR_MS)
    page.locator(".explorer-error").first.screenshot(path=str(ARTIFACTS / "explorer-error.png"))
    load_checkpoint(page, VISION_CHECKPOINT)
    open_tab(page, "Image")
    expect(page.locator(".explorer-panel-image .explorer-pixel-image").first).to_be_visible(timeout=LOAD_MS)
    assert_no_failure(page)


def assert_no_failure(page: Page) -> None:
    """No error box on the page and no traceback in the notebook's outputs (a widget callback that raised)."""
    errors = page.locator(".explorer-error:visible")
    assert errors.count() == 0, f"a panel failed: {errors.all_inner_texts()}"
    tracebacks = page.locator(".jp-OutputArea-output:has-text('Traceback')")
    assert tracebacks.count() == 0, f"a widget callback raised: {tracebacks.all_inner_texts()}"


def test_voila_serves_the_explorer_as_a_plain_app(lab_server, page):
    """Binder's Voila entry (/voila/render/notebooks/00-explorer.ipynb there): the app without the code."""
    page.goto(f"{lab_server.url}/voila/render/{NOTEBOOK}?token={lab_server.token}")
    expect(page.locator(".explorer-diagram").first).to_be_visible(timeout=LOAD_MS)
    open_tab(page, "Text")
    expect(page.locator(".explorer-panel-text .explorer-token-chip").first).to_be_visible(timeout=LOAD_MS)
    expect(page.locator(".explorer-checkpoint input")).to_have_value(DEFAULT_CHECKPOINT)
    assert page.get_by_text("from explorer import explore").count() == 0, "Voila shows the code cells"
    page.screenshot(path=str(ARTIFACTS / "voila.png"))
    assert_no_failure(page)
