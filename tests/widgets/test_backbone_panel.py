"""The backbone panel: a checkbox per stage; the checked stages are AutoBackbone's out_features and their
feature maps show with their shapes."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def backbone(app, checkpoints):
    app.load(str(checkpoints["convnext"]))
    return app.show("backbone")


def stages_shown(html: str) -> dict[str, list[int]]:
    return {name: [int(n) for n in shape.split(", ")] for name, shape in re.findall(r"<b>(\w+): \[([\d, ]+)\]", html)}


def test_one_checkbox_per_stage_checked_as_the_config_says(backbone):
    boxes = {box.description: box.value for box in backbone.stages.children}
    assert boxes == {"stem": False, "stage1": False, "stage2": False, "stage3": False, "stage4": True}
    assert 'class="explorer-feature-grid"' in backbone.output.value
    assert stages_shown(backbone.output.value) == {"stage4": [32, 2, 2]}


def test_checking_stages_reloads_the_backbone_with_those_out_features(backbone):
    boxes = {box.description: box for box in backbone.stages.children}
    boxes["stage1"].value = True
    boxes["stem"].value = True
    assert backbone.model.config.out_features == ["stem", "stage1", "stage4"]
    assert "out_indices=[0, 1, 4]" in backbone.output.value
    assert stages_shown(backbone.output.value) == {"stem": [8, 16, 16], "stage1": [8, 16, 16], "stage4": [32, 2, 2]}
    for box in boxes.values():
        box.value = False
    assert "Check at least one stage." in backbone.output.value


def test_a_new_photo_redraws_the_feature_maps(backbone, app):
    from test_image_panel import png_bytes, upload

    before = backbone.output.value
    upload(app.panels["image"].upload, "green.png", png_bytes((0, 255, 0), size=(80, 64)))
    assert backbone.output.value != before and stages_shown(backbone.output.value) == {"stage4": [32, 2, 2]}


def test_the_image_panels_share_one_processing_of_each_image(app, checkpoints, monkeypatch):
    from test_image_panel import png_bytes, upload
    from test_session import counting_calls

    from explorer import ConvNextImageProcessor

    calls = counting_calls(monkeypatch, ConvNextImageProcessor)
    app.load(str(checkpoints["convnext"]))
    assert {"image", "outputs", "backbone"} <= {name for name, panel in app.panels.items() if panel.visible}
    for name in ("image", "outputs", "backbone"):  # each tab draws the photo when selected
        app.show(name)
    assert len(calls) == 1
    upload(app.panels["image"].upload, "green.png", png_bytes((0, 255, 0), size=(80, 64)))
    for name in ("outputs", "image"):
        app.show(name)
    assert len(calls) == 2 and "green.png" in app.panels["image"].source.value


def test_the_backbone_is_built_when_shown_from_the_sessions_checkpoint(backbone, app):
    session = app.state.session
    assert backbone.model.resolution_trace is session.trace
    assert "AutoBackbone" in app.show("resolution").output.value
    assert "ConvNextBackbone" in app.show("resolution").output.value  # listed once built
    app.show("backbone")
    next(box for box in backbone.stages.children if box.description == "stage2").value = True
    assert backbone.model.resolution_trace is session.trace and session.config.out_features == ["stage4"]
