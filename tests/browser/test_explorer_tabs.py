"""The explorer app on a projector's screen: JupyterLab at 1366x768 in Chromium. Each tab, on a catalog checkpoint
that has it, shows its essentials without scrolling the page, in the light and the dark theme, and matches its
committed baseline (tests/browser/baselines/, see baseline.py); presenter mode too. Then one app loads every
catalog id, selecting every tab, and no output area of the notebook holds a stderr stream."""

from __future__ import annotations

import io

import nbformat
import pytest
from baseline import assert_screenshot
from lab_page import ARTIFACTS, open_notebook, open_tab, run_all_cells
from PIL import Image
from playwright.sync_api import Page, expect

VIEWPORT = {"width": 1366, "height": 768}
NOTEBOOK = "00-explorer.ipynb"
LOAD_MS = 120_000
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# no transitions, animations or blinking caret: two screenshots of the same state are the same pixels
# and no execution count, which depends on the cells the kernel ran before
STILL = ("*,*::before,*::after{transition:none!important;animation:none!important;"
         "caret-color:transparent!important}.jp-InputPrompt,.jp-OutputPrompt{visibility:hidden!important}")
SETTLED = ".explorer-app.explorer-settled"  # every hidden tab rendered in the background
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
# (catalog checkpoint, its tabs: title -> what must be visible without scrolling)
CHECKPOINTS = [
    ("explorer-catalog/convnext-digits", {"Resolution": ".explorer-diagram", "Image": ".explorer-pixel-image",
                                          "Outputs": ".explorer-bar", "Backbone": ".explorer-feature-grid"}),
    ("explorer-catalog/distilbert-sentiment", {"Text": ".explorer-token-chip"}),
    ("explorer-catalog/wav2vec2-spoken-digits", {"Audio": "svg"}),
    ("explorer-catalog/gpt2-python-docs", {"Generation": ".explorer-candidate"}),
]
# the README's pictures (docs/explorer.png, docs/explorer-dark.png), from these screenshots
README_PICTURES = {("Resolution", "light"): "explorer-page.png", ("Text", "dark"): "explorer-page-dark.png"}
STDERR = '[data-mime-type="application/vnd.jupyter.stderr"]'


def fixed_palette() -> Image.Image:
    """A 6x6x6 colour cube and 40 greys: each pixel maps to its nearest colour on its own, so a change to some
    pixels changes only those (an adaptive palette could shift every colour)."""
    levels = [round(255 * step / 5) for step in range(6)]
    colours = [(r, g, b) for r in levels for g in levels for b in levels]
    colours += [(grey, grey, grey) for grey in range(6, 256, 6)][:40]
    palette = Image.new("P", (1, 1))
    palette.putpalette([channel for colour in colours for channel in colour])
    return palette


PALETTE = fixed_palette()


def small_screenshot(page: Page, name: str) -> bytes:
    """The page at half size in the fixed palette: a baseline of 10-20 KB instead of 130 KB, the same for the
    same screen. The full screenshot is kept in artifacts/ for a person (and the README)."""
    full = page.screenshot()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(full)
    image = Image.open(io.BytesIO(full)).convert("RGB")
    half = image.resize((image.width // 2, image.height // 2), Image.Resampling.BOX)
    buffer = io.BytesIO()
    half.quantize(palette=PALETTE, dither=Image.Dither.NONE).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@pytest.fixture
def projector(browser) -> Page:
    """A 1366x768 page (a classroom projector), reduced motion, one device pixel per CSS pixel."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def load(page: Page, checkpoint: str) -> None:
    """Type ``checkpoint`` into the box, press Enter, wait until the Resolution tab names it and the app is idle."""
    box = page.locator(".explorer-checkpoint input")
    box.fill(checkpoint)
    box.press("Enter")
    expect(page.locator(".explorer-panel-resolution .explorer-note").first).to_have_text(checkpoint,
                                                                                         timeout=LOAD_MS)
    expect(page.locator(".explorer-busy:visible")).to_have_count(0, timeout=LOAD_MS)
    expect(page.locator(SETTLED)).to_have_count(1, timeout=LOAD_MS)


def set_theme(page: Page, theme: str) -> None:
    page.evaluate("theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", THEMES[theme])
    page.wait_for_function("name => document.body.dataset.jpThemeName === name", arg=THEMES[theme])
    page.wait_for_timeout(300)  # the theme's stylesheet applied


def bring_app_to_top(page: Page) -> None:
    """Scroll the notebook so the app starts at the top of its panel, as a presenter would."""
    page.locator(".explorer-app").evaluate("app => app.scrollIntoView({block: 'start'})")
    page.mouse.move(0, 0)  # no hover highlight
    page.wait_for_timeout(200)


def assert_visible_without_scrolling(page: Page, selector: str, what: str) -> None:
    box = page.locator(f".explorer-tabs {selector}:visible").first.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= VIEWPORT["height"], (
        f"{what}: {selector} at y={box and box['y']:.0f} is below the {VIEWPORT['height']} px screen")


def opened_app(page: Page, lab_server) -> None:
    open_notebook(page, lab_server.url, lab_server.token, NOTEBOOK)
    page.add_style_tag(content=STILL)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # the file browser's times change; more room
    run_all_cells(page, NOTEBOOK)
    expect(page.locator(".explorer-diagram").first).to_be_visible(timeout=LOAD_MS)
    expect(page.locator(SETTLED)).to_have_count(1, timeout=LOAD_MS)


def test_each_tab_fits_a_projector_in_light_and_dark_and_matches_its_baseline(lab_server, projector):
    opened_app(projector, lab_server)
    for checkpoint, tabs in CHECKPOINTS:
        load(projector, checkpoint)
        for theme in THEMES:
            set_theme(projector, theme)
            for title, essential in tabs.items():
                open_tab(projector, title)
                expect(projector.locator(f".explorer-tabs {essential}:visible").first).to_be_visible(timeout=LOAD_MS)
                bring_app_to_top(projector)
                name = f"tab-{title.lower()}-{theme}"
                assert_screenshot(small_screenshot(projector, name), name)
                assert_visible_without_scrolling(projector, essential, f"{checkpoint}, tab {title}")
                if (title, theme) in README_PICTURES:  # the whole screen, for docs/
                    (ARTIFACTS / README_PICTURES[title, theme]).write_bytes((ARTIFACTS / f"{name}.png").read_bytes())
        set_theme(projector, "light")
    assert projector.locator(".explorer-error:visible").count() == 0


# the diagram's text: its size on screen (font size in SVG units times the SVG's scale to its container), and
# each line that ends outside its box
DIAGRAM_TEXT = """svg => ({px: parseFloat(svg.querySelector('g text').getAttribute('font-size')) * svg.getScreenCTM().a,
  overflowing: [...svg.querySelectorAll('g')].flatMap(g => {
    const box = g.querySelector('rect').getBBox();
    return [...g.querySelectorAll('text')].filter(text => {
      const line = text.getBBox();
      return line.x + line.width > box.x + box.width || line.y < box.y || line.y + line.height > box.y + box.height;
    }).map(text => text.textContent);
  })})"""


def test_presenter_mode_enlarges_the_type(lab_server, projector):
    opened_app(projector, lab_server)
    note = projector.locator(".explorer-panel-resolution .explorer-note").first
    diagram = projector.locator(".explorer-panel-resolution .explorer-diagram")
    before = float(note.evaluate("element => parseFloat(getComputedStyle(element).fontSize)"))
    diagram_before = diagram.evaluate(DIAGRAM_TEXT)
    projector.locator(".explorer-presenter-toggle").click()
    expect(projector.locator(".explorer-app.explorer-presenter")).to_have_count(1)
    expect(diagram.locator("text").first).not_to_have_attribute("font-size", "11")  # redrawn in larger type
    after = float(note.evaluate("element => parseFloat(getComputedStyle(element).fontSize)"))
    assert after >= 1.3 * before, (before, after)
    diagram_after = diagram.evaluate(DIAGRAM_TEXT)
    assert diagram_after["px"] >= 1.3 * diagram_before["px"], (diagram_before, diagram_after)
    assert diagram_before["overflowing"] == diagram_after["overflowing"] == [], (diagram_before, diagram_after)
    bring_app_to_top(projector)
    assert_visible_without_scrolling(projector, ".explorer-diagram", "presenter mode, tab Resolution")
    assert_screenshot(small_screenshot(projector, "presenter-resolution-light"), "presenter-resolution-light")


def test_no_output_area_holds_stderr_after_every_catalog_id_in_one_app(lab_server, projector):
    """Every catalog id loaded by one app, each of its tabs selected (what renders it): nothing on stderr, in the
    page or in the notebook's outputs; the last one's tabs still render."""
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    notebook.cells = [
        nbformat.v4.new_code_cell("import os\nos.environ.setdefault('HF_HUB_OFFLINE', '1')\n"
                                  "from explorer import explore\nfrom explorer.widgets.app import catalog_ids\n"
                                  "app = explore()\napp"),
        nbformat.v4.new_code_cell("failed = []\nfor reference in catalog_ids():\n    app.load(reference)\n"
                                  "    failed += [reference] if app.state.status != 'ready' else []\n"
                                  "    for panel in list(app.shown):\n        app.show(panel.name)\n"
                                  "assert not failed, failed"),
    ]
    nbformat.write(notebook, lab_server.root / "every-catalog-id.ipynb")
    open_notebook(projector, lab_server.url, lab_server.token, "every-catalog-id.ipynb")
    run_all_cells(projector, "every-catalog-id.ipynb", timeout_ms=600_000)
    assert projector.locator(STDERR).count() == 0, projector.locator(STDERR).all_inner_texts()
    streams = projector.evaluate("""() => window.jupyterapp.shell.currentWidget.content.model.cells.get(1)
        .outputs.toJSON().filter(output => output.output_type === 'stream' && output.name === 'stderr')""")
    assert streams == []
    expect(projector.locator(".explorer-tabs .lm-TabBar-tab").first).to_be_visible()


@pytest.mark.parametrize("theme", list(THEMES))
def test_voila_shows_the_app_alone_in_both_themes(lab_server, projector, theme):
    """Binder's plain-app entry: the Resolution tab's essentials on a projector's screen, no code cells."""
    projector.goto(f"{lab_server.url}/voila/render/{NOTEBOOK}?theme={theme}&token={lab_server.token}")
    expect(projector.locator(".explorer-diagram").first).to_be_visible(timeout=LOAD_MS)
    expect(projector.locator(SETTLED)).to_have_count(1, timeout=LOAD_MS)
    projector.add_style_tag(content=STILL)
    expect(projector.locator(".explorer-busy:visible")).to_have_count(0, timeout=LOAD_MS)
    assert projector.get_by_text("from explorer import explore").count() == 0, "Voila shows the code cells"
    bring_app_to_top(projector)
    assert_screenshot(small_screenshot(projector, f"voila-resolution-{theme}"), f"voila-resolution-{theme}")
    assert_visible_without_scrolling(projector, ".explorer-diagram", f"Voila, {theme}")
    assert projector.locator(STDERR).count() == 0
