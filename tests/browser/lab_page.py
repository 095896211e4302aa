"""What a person does in JupyterLab, as Playwright steps: open a notebook, run every cell, read the outputs.

The steps go through `window.jupyterapp` (JupyterLab started with `expose_app_in_browser`): its commands are
the menu items, its notebook model says which cells ran and what they printed.
"""

from __future__ import annotations

from playwright.sync_api import Page

KERNEL_START_MS = 90_000
CODE_CELLS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.model.cells;
  return Array.from({length: cells.length}, (_, i) => cells.get(i)).filter(cell => cell.type === 'code');
}"""
KERNEL_IDLE = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return Boolean(kernel) && kernel.status === 'idle';
}"""
ALL_RAN = f"""() => {{
  const cells = ({CODE_CELLS})();
  return cells.every(cell => cell.executionCount !== null) && ({KERNEL_IDLE})();
}}"""
ERRORS = f"""() => ({CODE_CELLS})().flatMap(cell => cell.outputs.toJSON())
  .filter(output => output.output_type === 'error')
  .map(output => output.ename + ': ' + output.evalue)"""


def open_notebook(page: Page, url: str) -> None:
    """Open a notebook and wait until its kernel is idle."""
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    page.wait_for_function(KERNEL_IDLE, timeout=KERNEL_START_MS)


def run_all_cells(page: Page, timeout_ms: int = 120_000) -> None:
    """Run > Run All Cells; wait until every code cell has run and the kernel is idle; fail on an error output."""
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(ALL_RAN, timeout=timeout_ms)
    errors = page.evaluate(ERRORS)
    assert not errors, f"cells failed: {errors}"
