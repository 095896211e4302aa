"""The app in each Jupyter front end a workshop uses: JupyterLab, Jupyter Notebook 7 and Voila (Binder's plain
app). Each draws it offline: every request to anywhere but the local server is refused, the app's diagram and
token chips still appear, and nothing asked for anything outside (Voila renders with the explorer template,
share/jupyter/voila/templates/explorer, which drops its lab template's CDN links)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lab_page import ARTIFACTS, KERNEL_IDLE, KERNEL_START_MS, run_all_cells
from playwright.sync_api import Page, Route, expect

NOTEBOOK = "00-explorer.ipynb"
LOAD_MS = 120_000
LOCAL_SCHEMES = ("data:", "blob:", "about:")
# where each front end opens the notebook (path, token)
FRONT_ENDS = {
    "jupyterlab": "/lab/tree/{path}?reset&token={token}",
    "notebook7": "/notebooks/{path}?token={token}",
    "voila": "/voila/render/{path}?token={token}",
}


@pytest.fixture
def offline_page(browser, lab_server) -> Iterator[tuple[Page, list[str]]]:
    """A page whose requests to anywhere but the local server are refused and listed."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    elsewhere: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith((lab_server.url, *LOCAL_SCHEMES)):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", only_local)
    yield page, elsewhere
    context.close()


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_the_app_renders_offline_in_each_front_end(lab_server, offline_page, front_end):
    page, elsewhere = offline_page
    page.goto(lab_server.url + FRONT_ENDS[front_end].format(path=NOTEBOOK, token=lab_server.token))
    if front_end != "voila":  # Voila runs the notebook itself; the others are run as a person would
        page.wait_for_function(KERNEL_IDLE, arg=NOTEBOOK, timeout=KERNEL_START_MS)
        run_all_cells(page, NOTEBOOK)
    expect(page.locator(".explorer-diagram").first).to_be_visible(timeout=LOAD_MS)
    page.locator(".explorer-tabs .lm-TabBar-tab", has_text="Text").first.click()
    expect(page.locator(".explorer-token-chip").first).to_be_visible(timeout=LOAD_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"front-end-{front_end}.png"))
    assert not elsewhere, f"{front_end} asked for assets outside the local server: {elsewhere}"
    tracebacks = page.locator(".jp-OutputArea-output:has-text('Traceback')")
    assert tracebacks.count() == 0, tracebacks.all_inner_texts()
