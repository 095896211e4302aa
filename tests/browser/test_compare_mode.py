"""Compare mode in a real browser at a projector's 1366x768: JupyterLab, its file browser closed, runs
``compare("bert-base-uncased", "distilbert-base-uncased")``; the classes, the config diff and both rows of token
chips are on screen without scrolling, and the screen matches its committed baseline."""

from __future__ import annotations

import nbformat
from baseline import assert_screenshot
from lab_page import ARTIFACTS, open_notebook, run_all_cells
from playwright.sync_api import expect

NOTEBOOK = "compare-mode.ipynb"
LOAD_MS = 120_000
VIEWPORT = {"width": 1366, "height": 768}
APP = ".explorer-compare"
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}  # as the notebooks'


def write_notebook(path) -> None:
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    notebook.cells = [nbformat.v4.new_code_cell(
        'from explorer import compare\ncompare("bert-base-uncased", "distilbert-base-uncased")')]
    nbformat.write(notebook, path)


def in_viewport(box: dict) -> bool:
    bottom, right = box["y"] + box["height"], box["x"] + box["width"]
    return box["y"] >= 0 and bottom <= VIEWPORT["height"] and right <= VIEWPORT["width"]


def test_compare_mode_fits_a_projector_screen(lab_server, browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        write_notebook(lab_server.root / NOTEBOOK)
        open_notebook(page, lab_server.url, lab_server.token, NOTEBOOK)
        run_all_cells(page, NOTEBOOK)
        page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")  # as for a room
        chips = page.locator(f"{APP} .explorer-token-chip")
        expect(chips.first).to_be_visible(timeout=LOAD_MS)
        app = page.locator(APP)
        app.evaluate("box => box.scrollIntoView({block: 'start'})")
        page.mouse.move(0, 0)  # no hover highlight in the picture
        assert page.locator(f"{APP} .explorer-error").count() == 0
        for selector in (".explorer-table", ".explorer-compare-scroll", ".explorer-token-chip >> nth=-1"):
            assert in_viewport(page.locator(f"{APP} {selector}").first.bounding_box()), f"{selector} is off screen"
        box = app.bounding_box()
        clip = {"x": box["x"], "y": box["y"], "width": min(box["width"], VIEWPORT["width"] - box["x"]),
                "height": min(box["height"], VIEWPORT["height"] - box["y"])}
        png = page.screenshot(clip=clip)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "explorer-compare.png").write_bytes(png)
        assert_screenshot(png, "compare-mode")
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "test_compare_mode-failed.png"))
        raise
    finally:
        context.close()
