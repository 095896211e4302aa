"""share/jupyter/voila/templates/explorer: the Voila template the notebooks render with (tests/browser, Binder,
the README's voila command). It is Voila's lab template minus what that asks of CDNs; rendered here without a
server or kernel, the page must name no other host."""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from voila.exporter import VoilaExporter
from voila.paths import collect_template_paths

REPO_ROOT = Path(__file__).resolve().parent.parent
JUPYTER_DATA = REPO_ROOT / "share" / "jupyter"  # what tests/browser and the README put on JUPYTER_PATH
TEMPLATE = JUPYTER_DATA / "voila" / "templates" / "explorer"
# What voila 0.5 puts in the page config when run as a Jupyter server extension (no mathjax_url setting)
SERVER_PAGE_CONFIG = {"fullMathjaxUrl": "https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/latest.min.js",
                      "mathjaxConfig": "TeX-AMS_CHTML-full,Safe"}
# Where a page fetches from: attributes, CSS url() and module imports (xmlns and DTD ids are not fetched)
FETCHED = re.compile(r"""(?:href|src)=["']?([^"'\s>]+)|url\(["']?([^"')]+)|import\(["']([^"']+)""")
CONFIG_DATA = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S)


@pytest.fixture
def on_jupyter_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_PATH", str(JUPYTER_DATA))


def render(template: str) -> str:
    """The Voila page of notebooks/00-explorer.ipynb, as the server extension renders it, with a stand-in kernel."""
    exporter = VoilaExporter(template_paths=collect_template_paths(["voila", "nbconvert"], template),
                             template_name=template, base_url="/")

    async def cells(notebook, kernel_id):
        for cell in notebook.cells:
            yield cell

    async def page() -> str:
        notebook = nbformat.read(REPO_ROOT / "notebooks" / "00-explorer.ipynb", as_version=4)
        context = {"kernel_start": lambda notebook: "kernel-id", "cell_generator": cells}
        parts = exporter.generate_from_notebook_node(notebook, resources={"theme": "light", "base_url": "/"},
                                                     extra_context=context, page_config=dict(SERVER_PAGE_CONFIG))
        return "".join([html async for html, _ in parts])

    # in a thread of its own: after the browser tests, Playwright's sync API leaves an event loop running in
    # this one, where asyncio.run refuses to start
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(lambda: asyncio.run(page())).result()


def elsewhere(html: str) -> list[str]:
    fetched = (next(group for group in match.groups() if group) for match in FETCHED.finditer(html))
    return [url for url in fetched if "//" in url]


def test_voila_finds_the_template_first_and_bases_it_on_lab(on_jupyter_path):
    paths = [Path(path) for path in collect_template_paths(["voila", "nbconvert"], "explorer", prune=True)]
    assert paths[0] == TEMPLATE
    assert any(path.parts[-3:] == ("voila", "templates", "lab") for path in paths)
    assert json.loads((TEMPLATE / "conf.json").read_text()) == {"base_template": "lab"}


def test_the_page_fetches_nothing_from_another_host_and_leaves_mathjax_to_the_bundle(on_jupyter_path):
    html = render("explorer")
    assert elsewhere(html) == []
    assert "cdn" not in html.lower()
    config = json.loads(CONFIG_DATA.search(html).group(1))
    # both null: Voila's front end then typesets with JupyterLab's MathJax, bundled, instead of cdnjs's
    assert config["fullMathjaxUrl"] is None and config["mathjaxConfig"] is None
    assert 'data-voila="voila"' in html and "voila_process(" in html  # still Voila's lab page


def test_voilas_own_lab_page_links_cdns_which_the_template_drops(on_jupyter_path):
    """The reason the template exists, and a check that elsewhere() sees CDN links."""
    assert any("cdn.jsdelivr.net" in url for url in elsewhere(render("lab")))
