"""ConvNeXt against transformers: every class (base, image classification, backbone) in both loading directions,
odd image sizes, hidden states, losses, return_dict=False, the Auto classes, the load report across heads, the
backbone's feature maps for several stage choices, and the config."""

from __future__ import annotations

import pytest
import torch
import transformers
from parity import (
    assert_same_outputs,
    our_loading_info,
    pixels,
    run,
    their_loading_info,
)
from stage_checks import (
    AUTO_CLASSES,
    BACKBONE_SELECTIONS,
    LOSSES,
    ODD,
    STAGES,
    SUFFIXES,
    Arch,
    check_auto_class,
    check_backbone_feature_maps,
    check_config_defaults,
    check_config_round_trip,
    check_forward,
    check_load_report_across_heads,
    check_loss,
    check_output_hidden_states_from_the_config,
    check_transformers_loads_what_explorer_saves,
)

from explorer import AutoBackbone, errors
from explorer.models import convnext

# drop_path_rate > 0 builds the drop-path modules; in eval mode they are the identity, as in transformers
TINY = {"hidden_sizes": [8, 16], "depths": [1, 2], "num_stages": 2, "num_labels": 3, "image_size": 32,
        "drop_path_rate": 0.1}


def randomize(model: torch.nn.Module, seed: int = 0) -> None:
    """Initialisation leaves norms at 1/0, biases at 0 and layer scales at 1e-6 (which would hide the blocks):
    draw them all at random so a swapped or forgotten parameter shows in the outputs."""
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("layer_scale_parameter"):
                parameter.copy_(0.5 * torch.randn(parameter.shape, generator=generator))
            elif name.endswith("bias") or "norm" in name:
                parameter.add_(0.1 * torch.randn(parameter.shape, generator=generator))


CONVNEXT = Arch("ConvNext", convnext, TINY, randomize)
save_theirs, our_config, their_config = CONVNEXT.save_theirs, CONVNEXT.our_config, CONVNEXT.their_config


# --- forward, both directions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True], ids=["no-hidden", "hidden"])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_forward_matches_transformers(suffix, hidden, tmp_path):
    check_forward(CONVNEXT, suffix, hidden, tmp_path)


def test_base_model_shapes(tmp_path):
    save_theirs("Model", tmp_path)
    ours = convnext.ConvNextModel.from_pretrained(tmp_path)
    outputs = run(ours, pixel_values=pixels(*ODD), output_hidden_states=True)
    assert outputs.last_hidden_state.shape == (2, 16, 4, 3)  # 36x28 -> /4 (stem) -> /2 (stage 2)
    assert outputs.pooler_output.shape == (2, 16)
    assert [tuple(h.shape) for h in outputs.hidden_states] == [(2, 8, 9, 7), (2, 8, 9, 7), (2, 16, 4, 3)]


def test_output_hidden_states_from_the_config(tmp_path):
    check_output_hidden_states_from_the_config(CONVNEXT, tmp_path)


@pytest.mark.parametrize("auto, suffix", AUTO_CLASSES)
def test_auto_classes(auto, suffix, tmp_path):
    check_auto_class(CONVNEXT, auto, suffix, tmp_path)


@pytest.mark.parametrize("problem, num_labels, labels", LOSSES)
def test_loss_matches_transformers(problem, num_labels, labels, tmp_path):
    check_loss(CONVNEXT, problem, num_labels, labels, tmp_path)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_transformers_loads_what_explorer_saves(suffix, tmp_path):
    check_transformers_loads_what_explorer_saves(CONVNEXT, suffix, tmp_path)


def test_layer_scale_can_be_absent(tmp_path):
    """layer_scale_init_value <= 0: no layer_scale_parameter, in both."""
    theirs = save_theirs("Model", tmp_path, layer_scale_init_value=0.0)
    ours = convnext.ConvNextModel.from_pretrained(tmp_path)
    assert ours.load_report.is_clean
    assert not any("layer_scale" in key for key in ours.state_dict())
    assert_same_outputs(ours, theirs, pixel_values=pixels(*ODD), output_hidden_states=True)


# --- the load report across heads --------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SUFFIXES)
def test_load_report_across_heads_matches_transformers(source, tmp_path):
    check_load_report_across_heads(CONVNEXT, source, tmp_path)


def test_base_checkpoint_into_backbone(tmp_path):
    """The backbone's norms are missing and initialised to 1/0 on both sides: the feature maps still agree."""
    save_theirs("Model", tmp_path)
    features = {"out_features": ["stem", "stage1", "stage2"]}
    ours = AutoBackbone.from_pretrained(tmp_path, **features)
    theirs = transformers.ConvNextBackbone.from_pretrained(tmp_path, **features).eval()
    assert set(ours.load_report.missing) == {f"hidden_states_norms.{s}.{p}" for s in STAGES for p in ("weight", "bias")}
    assert set(ours.load_report.unexpected) == {"layernorm.weight", "layernorm.bias"}
    assert_same_outputs(ours, theirs, pixel_values=pixels(*ODD), output_hidden_states=True)


def test_classification_checkpoint_into_backbone(tmp_path):
    save_theirs("ForImageClassification", tmp_path)
    ours = AutoBackbone.from_pretrained(tmp_path, out_indices=[1, 2])
    theirs = transformers.ConvNextBackbone.from_pretrained(tmp_path, out_indices=[1, 2]).eval()
    assert our_loading_info(ours) == their_loading_info(transformers.ConvNextBackbone, tmp_path, out_indices=[1, 2])
    assert_same_outputs(ours, theirs, pixel_values=pixels(*ODD))


# --- the backbone ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("selection", BACKBONE_SELECTIONS.values(), ids=BACKBONE_SELECTIONS.keys())
def test_backbone_feature_maps(selection, tmp_path):
    check_backbone_feature_maps(CONVNEXT, selection, tmp_path)


def test_backbone_selection_on_loading(tmp_path):
    """out_features passed to from_pretrained override the checkpoint's, as in transformers."""
    save_theirs("Backbone", tmp_path)
    ours = convnext.ConvNextBackbone.from_pretrained(tmp_path, out_features=["stem", "stage1"])
    theirs = transformers.ConvNextBackbone.from_pretrained(tmp_path, out_features=["stem", "stage1"]).eval()
    assert ours.out_features == theirs.out_features == ["stem", "stage1"]
    assert our_loading_info(ours) == their_loading_info(transformers.ConvNextBackbone, tmp_path,
                                                         out_features=["stem", "stage1"])
    assert_same_outputs(ours, theirs, pixel_values=pixels(*ODD))


# --- construction, initialisation, inputs ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_parameter_names_are_checkpoint_keys(suffix):
    theirs = getattr(transformers, "ConvNext" + suffix)(their_config(out_features=["stem", "stage2"]))
    ours = getattr(convnext, "ConvNext" + suffix).from_config(our_config(out_features=["stem", "stage2"]))
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}


def test_initialisation_matches_transformers():
    """The deterministic part equals transformers' (norms, biases, layer scales); weights are N(0, 0.02)."""
    torch.manual_seed(0)
    theirs = transformers.ConvNextForImageClassification(their_config(hidden_sizes=[64, 128]))
    ours = convnext.ConvNextForImageClassification.from_config(our_config(hidden_sizes=[64, 128]))
    for name, parameter in ours.named_parameters():
        expected = theirs.get_parameter(name)
        if name.endswith("bias") or "norm" in name or "layer_scale" in name:
            torch.testing.assert_close(parameter, expected, atol=0, rtol=0, msg=name)
    weight = ours.convnext.encoder.stages[1].layers[0].pwconv1.weight
    assert abs(weight.std().item() - 0.02) < 0.002 and abs(weight.mean().item()) < 0.002
    assert torch.all(ours.convnext.encoder.stages[0].layers[0].layer_scale_parameter == 1e-6)


def test_missing_layer_scale_is_initialised(tmp_path):
    save_theirs("Model", tmp_path)
    from safetensors.torch import load_file, save_file

    weights = load_file(tmp_path / "model.safetensors")
    del weights["encoder.stages.1.layers.0.layer_scale_parameter"]
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    ours = convnext.ConvNextModel.from_pretrained(tmp_path)
    assert ours.load_report.missing == ["encoder.stages.1.layers.0.layer_scale_parameter"]
    assert torch.all(ours.encoder.stages[1].layers[0].layer_scale_parameter == 1e-6)
    assert torch.equal(ours.encoder.stages[1].layers[0].pwconv1.weight,
                       weights["encoder.stages.1.layers.0.pwconv1.weight"])


def test_drop_path_only_in_training(tmp_path):
    save_theirs("ForImageClassification", tmp_path, drop_path_rate=0.5)
    model = convnext.ConvNextForImageClassification.from_pretrained(tmp_path)
    assert torch.equal(run(model, pixel_values=pixels(*ODD)).logits, run(model, pixel_values=pixels(*ODD)).logits)
    model.train()
    torch.manual_seed(0)
    outputs = [run(model, pixel_values=pixels(*ODD, seed=1)).logits for _ in range(4)]
    assert not all(torch.equal(outputs[0], other) for other in outputs[1:])


def test_wrong_number_of_channels_is_refused(tmp_path):
    theirs = save_theirs("Model", tmp_path)
    ours = convnext.ConvNextModel.from_pretrained(tmp_path)
    gray = torch.zeros(1, 1, 32, 32)
    with pytest.raises(ValueError):
        theirs(gray)
    with pytest.raises(errors.ModelInputError, match="num_channels=3"):
        ours(gray)
    with pytest.raises(errors.ModelInputError, match="pixel_values"):
        ours()


# --- the config ----------------------------------------------------------------------------------------------------


def test_config_defaults_are_transformers():
    check_config_defaults(CONVNEXT)


def test_config_round_trip_and_stage_names(tmp_path):
    ours, theirs = check_config_round_trip(CONVNEXT, tmp_path, out_features=["stem", "stage1"])
    assert ours.num_hidden_layers == theirs.num_hidden_layers == 2  # attribute_map


@pytest.mark.parametrize("overrides, field", [
    ({"hidden_sizes": [8, 16, 32]}, "hidden_sizes"),
    ({"depths": [1, 2, 3], "num_stages": 3}, "hidden_sizes"),
    ({"num_stages": 4}, "num_stages"),
    ({"hidden_sizes": [8, 0]}, r"hidden_sizes\[1\]"),
    ({"depths": [1, -1]}, r"depths\[1\]"),
    ({"depths": []}, "depths"),
    ({"hidden_sizes": "8"}, "hidden_sizes"),
    ({"patch_size": 0}, "patch_size"),
    ({"num_channels": 0}, "num_channels"),
    ({"drop_path_rate": 1.5}, "drop_path_rate"),
    ({"layer_norm_eps": 0.0}, "layer_norm_eps"),
    ({"hidden_act": "nope"}, "hidden_act"),
    ({"out_features": ["stage9"]}, "out_features"),
])
def test_invalid_configs_are_refused(overrides, field):
    with pytest.raises(errors.ConfigValueError, match=field):
        our_config(**overrides)
