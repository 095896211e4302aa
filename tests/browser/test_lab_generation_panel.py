"""The Generation panel in a real browser: JupyterLab opens the app on a tiny GPT-2 saved here, a person moves
the top_k slider with the keyboard (the sampling set follows, with no forward pass), clicks
Step (a chip appears) and clicks the chip (its distribution marks the chosen token)."""

from __future__ import annotations

import nbformat
from lab_page import ARTIFACTS, open_notebook, open_tab, run_all_cells
from playwright.sync_api import Page, expect

from tests.decoders import save_tiny_decoder

NOTEBOOK = "generation-panel.ipynb"
LOAD_MS = 120_000
PANEL = ".explorer-panel-generation"
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}  # as the notebooks'


def write_notebook(path, checkpoint) -> None:
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    notebook.cells = [nbformat.v4.new_code_cell(f"from explorer import explore\nexplore({str(checkpoint)!r})")]
    nbformat.write(notebook, path)


def kept(page: Page) -> str:
    return page.locator(f"{PANEL} .explorer-next-token").get_attribute("data-kept")


def test_a_slider_move_and_a_step_update_the_panel(lab_server, page, tmp_path):
    checkpoint = save_tiny_decoder(tmp_path / "gpt2", "gpt2")
    write_notebook(lab_server.root / NOTEBOOK, checkpoint)
    open_notebook(page, lab_server.url, lab_server.token, NOTEBOOK)
    run_all_cells(page, NOTEBOOK)
    open_tab(page, "Generation")
    bars = page.locator(f"{PANEL} .explorer-candidate")
    expect(bars.first).to_be_visible(timeout=LOAD_MS)
    assert kept(page) == "50"  # top_k starts at generate's default

    handle = page.locator(f"{PANEL} .explorer-generation-top-k .noUi-handle")
    handle.focus()
    for _ in range(3):
        handle.press("ArrowLeft")
    expect(page.locator(f"{PANEL} .explorer-next-token")).to_have_attribute("data-kept", "47")

    page.locator(f"{PANEL} .explorer-generation-step").click()
    chips = page.locator(f"{PANEL} .explorer-generated-chip")
    expect(chips).to_have_count(1)
    expect(page.locator(f"{PANEL} .explorer-candidate.chosen")).to_have_count(0)  # the next token's bars
    chips.first.click()
    expect(page.locator(f"{PANEL} .explorer-candidate.chosen")).to_have_count(1)
    expect(page.locator(f"{PANEL} .explorer-logit-lens")).to_be_visible()
    page.locator(PANEL).screenshot(path=str(ARTIFACTS / "explorer-generation.png"))
    assert page.locator(f"{PANEL} .explorer-error").count() == 0
    assert page.locator(".jp-OutputArea-output:has-text('Traceback')").count() == 0
