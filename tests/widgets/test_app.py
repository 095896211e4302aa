"""The app as a whole: loading by code, by the box and by the button; panels only for what a checkpoint has;
every load error readable and the next id still working; the busy indicator; widget state sent to the front
end through a recording comm."""

from __future__ import annotations

import pytest

from explorer.widgets import ExplorerApp, explore

PANELS = ("resolution", "text", "image", "audio", "outputs", "backbone")


def shown(app: ExplorerApp) -> set[str]:
    return {name for name, panel in app.panels.items() if panel.visible}


def test_the_dom_contract_classes_are_on_the_widgets(app):
    assert "explorer-checkpoint" in app.checkpoint._dom_classes
    assert "explorer-load" in app.load_button._dom_classes
    assert "explorer-busy" in app.busy._dom_classes
    for name in PANELS:
        assert f"explorer-panel-{name}" in app.panels[name].box._dom_classes
    assert app.busy.layout.display == "none" and not shown(app)


@pytest.mark.parametrize("name, panels", [
    ("sentiment", {"resolution", "text", "outputs"}),
    ("mlm", {"resolution", "text", "outputs"}),
    ("vit", {"resolution", "image", "outputs"}),
    ("convnext", {"resolution", "image", "outputs", "backbone"}),
    ("wav2vec2", {"resolution", "text", "audio", "outputs"}),
])
def test_panels_appear_only_for_what_the_checkpoint_has(app, checkpoints, name, panels):
    app.load(str(checkpoints[name]))
    assert app.state.status == "ready" and app.message.value == ""
    assert shown(app) == panels
    for panel in panels:
        assert "explorer-error" not in app.panels[panel].output.value, app.panels[panel].output.value


def test_one_tab_per_panel_the_checkpoint_has_in_the_tutorials_order(app, checkpoints):
    assert "explorer-tabs" in app.tabs._dom_classes and app.tabs.children == ()
    app.load(str(checkpoints["convnext"]))
    assert "explorer-settled" in app._dom_classes  # no event loop: nothing is left for later
    names = ("resolution", "image", "outputs", "backbone")
    assert app.tabs.children == tuple(app.panels[name].box for name in names)
    assert app.tabs.titles == ("Resolution", "Image", "Outputs", "Backbone") and app.tabs.selected_index == 0


@pytest.mark.parametrize("label, title", [("Text: the tokenizer", "Text"), ("文本：分词器", "文本"),
                                          ("텍스트: 토크나이저", "텍스트")])
def test_a_tab_is_titled_by_its_panels_label_up_to_the_colon(label, title):
    from explorer.widgets.app import tab_title

    assert tab_title(label) == title


def test_only_the_selected_tab_renders_and_the_others_catch_up_when_selected(app, checkpoints):
    app.load(str(checkpoints["sentiment"]))
    text = app.panels["text"]
    assert "explorer-diagram" in app.panels["resolution"].output.value and text.output.value == ""
    text.text.value = "a hobbit"  # typed while the Resolution tab is shown
    assert text.output.value == "" and text.stale
    app.tabs.selected_index = 1  # what a click on the tab does
    assert text.output.value.count('class="explorer-token-chip') == 6 and not text.stale
    assert app.panels["resolution"].active is False


def test_in_a_kernel_the_hidden_tabs_render_once_it_is_idle(app, checkpoints, monkeypatch):
    """A kernel runs an asyncio loop: after the load, the hidden tabs render one at a time while it is idle."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from explorer.widgets import app as app_module

    monkeypatch.setattr(app_module, "kernel_loop", asyncio.get_running_loop)  # as in a kernel: its loop runs the app

    async def load_then_idle() -> set[str]:
        app.load(str(checkpoints["convnext"]))
        rendered_at_load = {panel.name for panel in app.shown if panel.output.value}
        assert "explorer-settled" not in app._dom_classes
        for _ in range(200):
            await asyncio.sleep(0.05)
            if "explorer-settled" in app._dom_classes:
                break
        return rendered_at_load

    with ThreadPoolExecutor(1) as thread:  # a loop of its own: another library's may be running in this thread
        assert thread.submit(asyncio.run, load_then_idle()).result() == {"resolution"}
    assert all(panel.output.value and not panel.stale for panel in app.shown)
    assert app.panels["backbone"].model is not None and app.selected_panel() is app.panels["resolution"]
    assert [panel.name for panel in app.shown if panel.active] == ["resolution"]


def test_outside_a_kernel_another_librarys_running_loop_defers_nothing(app, checkpoints):
    """A loop running in the thread is not a kernel's (Playwright's sync API runs one): every tab is due at once."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def load() -> bool:
        app.load(str(checkpoints["sentiment"]))
        return "explorer-settled" in app._dom_classes

    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(asyncio.run, load()).result()


def test_the_selected_tab_stays_selected_while_the_next_checkpoint_has_it(app, checkpoints):
    app.load(str(checkpoints["sentiment"]))
    app.show("outputs")
    app.load(str(checkpoints["vit"]))
    assert app.selected_panel() is app.panels["outputs"] and "cat" in app.panels["outputs"].output.value
    app.show("image")
    app.load(str(checkpoints["sentiment"]))  # no image tab: back to Resolution
    assert app.selected_panel() is app.panels["resolution"] and app.tabs.selected_index == 0


def test_presenter_mode_is_a_class_on_the_apps_root(app):
    assert "explorer-presenter" not in app._dom_classes
    app.presenter.value = True
    assert "explorer-presenter" in app._dom_classes
    app.presenter.value = False
    assert "explorer-presenter" not in app._dom_classes


def test_presenter_mode_redraws_the_diagram_in_larger_type(app, checkpoints):
    app.load(str(checkpoints["convnext"]))
    resolution = app.panels["resolution"]
    assert 'font-size="12"' in resolution.output.value
    app.presenter.value = True
    assert 'font-size="12"' not in resolution.output.value and 'font-size="16.62"' in resolution.output.value
    app.presenter.value = False
    assert 'font-size="12"' in resolution.output.value


def test_loading_every_kind_of_checkpoint_writes_nothing_to_stderr(app, checkpoints, capfd):
    """A backbone from a classifier checkpoint logs an unclean load report: the app shows it, highlighted, in
    the Resolution tab instead."""
    for name in checkpoints:
        app.load(str(checkpoints[name]))
        for panel in list(app.shown):
            app.show(panel.name)
    assert capfd.readouterr().err == ""
    resolution = app.show("resolution").output.value
    assert resolution.count('class="explorer-attention"') == 0  # wav2vec2, last: a clean load
    app.load(str(checkpoints["convnext"]))
    app.show("backbone")
    resolution = app.show("resolution").output.value
    assert '<div class="explorer-attention"><b>ConvNextBackbone' in resolution and "layernorm" in resolution
    assert capfd.readouterr().err == ""


def test_a_bad_id_shows_a_readable_error_and_the_next_id_works(app, checkpoints):
    app.load(str(checkpoints["sentiment"]))
    app.load("./no/such/folder")
    assert app.state.status == "failed" and not shown(app)
    assert 'class="explorer-error"' in app.message.value
    assert "CheckpointNotFoundError: No folder &#x27;./no/such/folder&#x27; exists" in app.message.value
    assert app.busy.layout.display == "none" and not app.load_button.disabled
    app.load(str(checkpoints["vit"]))
    assert app.state.status == "ready" and app.message.value == "" and "image" in shown(app)


def test_an_offline_cache_miss_says_so(app, hf_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(hf_cache))
    app.load("explorer-tests/never-downloaded")
    assert "OfflineCacheMissError: Offline" in app.message.value
    assert "is not in the cache" in app.message.value


def test_enter_in_the_box_and_the_button_both_load(app, checkpoints):
    app.checkpoint.value = str(checkpoints["vit"])  # what Enter does with continuous_update=False
    assert app.state.session.reference == str(checkpoints["vit"])
    app.state.session = None
    app.load_button.click()  # the same id again: only the button can do that
    assert app.state.session.reference == str(checkpoints["vit"])


def test_the_busy_indicator_shows_while_loading(app, checkpoints, monkeypatch):
    from explorer.widgets import app as app_module

    seen = []
    real = app_module.load_session

    def watching(reference):
        seen.append((app.busy.layout.display, app.load_button.disabled, app.state.status))
        return real(reference)

    monkeypatch.setattr(app_module, "load_session", watching)
    app.load(str(checkpoints["sentiment"]))
    assert seen == [(None, True, "loading")]
    assert app.busy.layout.display == "none" and app.state.status == "ready"


def test_the_previous_model_is_freed_before_the_next_one_loads(app, checkpoints, monkeypatch):
    """Memory holds one model at a time: the old session, its model and the outputs panel's run are gone
    (and freed memory handed back) by the time the next checkpoint loads."""
    import gc
    import weakref

    from explorer.widgets import app as app_module

    app.load(str(checkpoints["sentiment"]))
    assert app.show("outputs").last_run is not None
    old_model = weakref.ref(app.state.session.get("model"))
    seen, real = [], app_module.load_session

    def watching(reference):
        gc.collect()  # what refcounting alone would not free is not freed
        seen.append((app.state.session, old_model(), app.panels["outputs"].last_run, list(trimmed)))
        return real(reference)

    trimmed = []
    monkeypatch.setattr(app_module, "return_freed_memory", lambda: trimmed.append(True))
    monkeypatch.setattr(app_module, "load_session", watching)
    app.load(str(checkpoints["vit"]))
    assert seen == [(None, None, None, [True])]
    assert app.state.status == "ready" and app.panels["outputs"].last_run is not None
    assert trimmed == [True, True]  # and once more after the panels' forward passes


def test_a_component_that_fails_shows_its_message_in_its_panel_only(app, checkpoints, tmp_path):
    import shutil

    broken = tmp_path / "broken-vit"
    shutil.copytree(checkpoints["vit"], broken)
    (broken / "preprocessor_config.json").write_text("{not json")
    app.load(str(broken))
    assert app.state.status == "ready"
    image = app.show("image").output.value
    assert 'class="explorer-error"' in image and "MalformedFileError" in image and "preprocessor_config.json" in image
    assert "MalformedFileError" in app.panels["resolution"].output.value  # listed beside the Auto class
    assert "explorer-error" not in app.panels["resolution"].output.value


def test_explore_loads_the_reference_and_returns_a_displayable_app(checkpoints):
    app = explore(str(checkpoints["sentiment"]), lang="zh")
    assert isinstance(app, ExplorerApp) and app.checkpoint.value == str(checkpoints["sentiment"])
    view = app._repr_mimebundle_()["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == app.model_id and app.state.status == "ready"


def test_explore_without_a_reference_asks_the_catalog_default(monkeypatch, checkpoints):
    from explorer import catalog

    monkeypatch.setattr(catalog, "default_reference", lambda: str(checkpoints["mlm"]))
    assert explore().state.session.reference == str(checkpoints["mlm"])


def test_state_changes_reach_the_front_end_through_the_comm(recording_comm, checkpoints):
    app = ExplorerApp()
    assert isinstance(app.comm, recording_comm)
    app.load(str(checkpoints["sentiment"]))
    text = app.show("text")
    text.text.value = "a hobbit"
    html = recording_comm.sent_values(text.output)[-1]
    assert html.count('class="explorer-token-chip') == 6 and "##bb" in html
    # the busy indicator is shown and hidden through its layout's display
    assert {"none", None} <= {m["state"].get("display") for m in app.busy.layout.comm.messages if "state" in m}
