"""What a person does in JupyterLab, as Playwright steps: open a notebook, run every cell, read the outputs.

The steps go through `window.jupyterapp` (JupyterLab started with `expose_app_in_browser`): its commands are
the menu items, its notebook model says which cells ran and what they printed.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

ARTIFACTS = Path(__file__).parent / "artifacts"  # screenshots and the server log, gitignored
KERNEL_START_MS = 90_000
# Each takes the notebook's path (relative to the server root) and finds its panel among the open tabs.
PANEL = """path => Array.from(window.jupyterapp ? window.jupyterapp.shell.widgets('main') : [])
  .find(widget => widget.context && widget.context.path === path && widget.content && widget.content.model)"""
CODE_CELLS = f"""path => {{
  const cells = ({PANEL})(path).content.model.cells;
  return Array.from({{length: cells.length}}, (_, i) => cells.get(i)).filter(cell => cell.type === 'code');
}}"""
KERNEL_IDLE = f"""path => {{
  const panel = ({PANEL})(path);
  const session = panel && panel.sessionContext.session;
  return Boolean(session && session.kernel) && session.kernel.status === 'idle';
}}"""
RUN_ALL = f"""path => {{
  window.jupyterapp.shell.activateById(({PANEL})(path).id);
  window.jupyterapp.commands.execute('notebook:run-all-cells');
}}"""
ALL_RAN = f"""path => ({CODE_CELLS})(path).every(cell => cell.executionCount !== null) && ({KERNEL_IDLE})(path)"""
ERRORS = f"""path => ({CODE_CELLS})(path).flatMap(cell => cell.outputs.toJSON())
  .filter(output => output.output_type === 'error')
  .map(output => output.ename + ': ' + output.evalue)"""


def open_notebook(page: Page, server_url: str, token: str, path: str) -> None:
    """Open a notebook in a fresh workspace (`reset`: no tabs restored from an earlier page) and wait until its
    kernel is idle."""
    page.goto(f"{server_url}/lab/tree/{path}?reset&token={token}")
    page.wait_for_function(KERNEL_IDLE, arg=path, timeout=KERNEL_START_MS)


def run_all_cells(page: Page, path: str, timeout_ms: int = 120_000) -> None:
    """Run > Run All Cells; wait until every code cell has run and the kernel is idle; fail on an error output."""
    page.evaluate(RUN_ALL, path)
    page.wait_for_function(ALL_RAN, arg=path, timeout=timeout_ms)
    errors = page.evaluate(ERRORS, path)
    assert not errors, f"cells of {path} failed: {errors}"


def open_tab(page: Page, title: str) -> None:
    """Click the explorer app's tab ``title`` (a lumino tab bar, as ipywidgets' Tab draws it)."""
    page.locator(".explorer-tabs .lm-TabBar-tab", has_text=title).first.click()
