"""The browser rig itself: JupyterLab in Chromium opens a notebook, runs it and shows the output."""

from __future__ import annotations

import nbformat
from lab_page import open_notebook, run_all_cells
from nbformat.v4 import new_code_cell, new_notebook
from playwright.sync_api import expect


def test_jupyterlab_runs_a_notebook_in_chromium(lab_server, page):
    notebook = new_notebook(cells=[new_code_cell("import sys\nprint('answer', 6 * 7, sys.prefix)")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, lab_server.root / "smoke.ipynb")
    open_notebook(page, lab_server.url, lab_server.token, "smoke.ipynb")
    run_all_cells(page, "smoke.ipynb")
    expect(page.locator(".jp-OutputArea-output").first).to_contain_text("answer 42")
