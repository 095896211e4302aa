"""ResNet against transformers: every class (base, image classification, backbone) with basic and bottleneck
layers, in both loading directions, with BatchNorm's running statistics randomised so they count; odd image
sizes, hidden states, losses, return_dict=False, the Auto classes, the load report across heads, the backbone's
feature maps for several stage choices, initialisation, and the config."""

from __future__ import annotations

import pytest
import torch
import transformers
from parity import (
    assert_outputs_equal,
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

from explorer import AutoBackbone, AutoModelForImageClassification, errors
from explorer.models import resnet

TINY = {"embedding_size": 8, "hidden_sizes": [8, 16], "depths": [1, 1], "num_labels": 3}
LAYER_TYPES = ("basic", "bottleneck")
# the downsampling options, each with the layer type it acts on
VARIANTS = {
    "basic": {"layer_type": "basic"},
    "bottleneck": {"layer_type": "bottleneck"},
    "basic-downsample-first": {"layer_type": "basic", "downsample_in_first_stage": True},
    "bottleneck-downsample-first": {"layer_type": "bottleneck", "downsample_in_first_stage": True},
    "bottleneck-downsample-in-bottleneck": {"layer_type": "bottleneck", "downsample_in_bottleneck": True,
                                            "depths": [2, 2]},
    "gelu": {"layer_type": "basic", "hidden_act": "gelu"},
}


def randomize(model: torch.nn.Module, seed: int = 0) -> None:
    """Initialisation leaves BatchNorm at weight 1, bias 0, mean 0, variance 1, which would hide a swapped or
    forgotten statistic: draw them all at random (variances positive)."""
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                shape = module.running_mean.shape
                module.weight.add_(0.2 * torch.randn(shape, generator=generator))
                module.bias.add_(0.2 * torch.randn(shape, generator=generator))
                module.running_mean.copy_(0.3 * torch.randn(shape, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(shape, generator=generator))
                module.num_batches_tracked.fill_(7)
            elif isinstance(module, torch.nn.Linear):
                module.bias.add_(0.1 * torch.randn(module.bias.shape, generator=generator))


RESNET = Arch("ResNet", resnet, TINY, randomize)
save_theirs, our_config, their_config = RESNET.save_theirs, RESNET.our_config, RESNET.their_config


# --- forward, both directions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True], ids=["no-hidden", "hidden"])
@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("layer_type", LAYER_TYPES)
def test_forward_matches_transformers(layer_type, suffix, hidden, tmp_path):
    check_forward(RESNET, suffix, hidden, tmp_path, layer_type=layer_type, out_features=["stem", "stage2"])


@pytest.mark.parametrize("variant", VARIANTS)
def test_layer_variants_match_transformers(variant, tmp_path):
    theirs = save_theirs("ForImageClassification", tmp_path, **VARIANTS[variant])
    ours = resnet.ResNetForImageClassification.from_pretrained(tmp_path)
    assert ours.load_report.is_clean
    assert_same_outputs(ours, theirs, pixel_values=pixels(*ODD), output_hidden_states=True)
    assert_same_outputs(ours, theirs, pixel_values=pixels(45, 33, seed=1))


def test_running_statistics_count(tmp_path):
    """In eval mode BatchNorm normalises with the checkpoint's statistics: other statistics, other outputs."""
    save_theirs("Model", tmp_path)
    ours = resnet.ResNetModel.from_pretrained(tmp_path)
    before = run(ours, pixel_values=pixels(*ODD)).last_hidden_state
    ours.embedder.embedder.normalization.running_mean.add_(1.0)
    assert not torch.allclose(before, run(ours, pixel_values=pixels(*ODD)).last_hidden_state)


def test_base_model_shapes(tmp_path):
    save_theirs("Model", tmp_path, layer_type="basic")
    ours = resnet.ResNetModel.from_pretrained(tmp_path)
    outputs = run(ours, pixel_values=pixels(*ODD), output_hidden_states=True)
    assert outputs.pooler_output.shape == (2, 16, 1, 1)  # kept 4-d, as transformers
    assert [tuple(h.shape) for h in outputs.hidden_states] == [(2, 8, 9, 7), (2, 8, 9, 7), (2, 16, 5, 4)]
    assert outputs.last_hidden_state.shape == (2, 16, 5, 4)


def test_output_hidden_states_from_the_config(tmp_path):
    check_output_hidden_states_from_the_config(RESNET, tmp_path)


@pytest.mark.parametrize("auto, suffix", AUTO_CLASSES)
def test_auto_classes(auto, suffix, tmp_path):
    check_auto_class(RESNET, auto, suffix, tmp_path)


@pytest.mark.parametrize("problem, num_labels, labels", LOSSES)
def test_loss_matches_transformers(problem, num_labels, labels, tmp_path):
    check_loss(RESNET, problem, num_labels, labels, tmp_path)


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("layer_type", LAYER_TYPES)
def test_transformers_loads_what_explorer_saves(layer_type, suffix, tmp_path):
    theirs = check_transformers_loads_what_explorer_saves(RESNET, suffix, tmp_path, layer_type=layer_type)
    assert theirs.config.layer_type == layer_type


# --- the load report across heads --------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SUFFIXES)
def test_load_report_across_heads_matches_transformers(source, tmp_path):
    check_load_report_across_heads(RESNET, source, tmp_path)


@pytest.mark.parametrize("source", ["Model", "ForImageClassification"])
def test_checkpoints_into_backbone(source, tmp_path):
    """A ResNet backbone has no parameters of its own: a base or classification checkpoint gives it all."""
    save_theirs(source, tmp_path)
    selection = {"out_features": ["stem", "stage1", "stage2"]}
    ours = AutoBackbone.from_pretrained(tmp_path, **selection)
    theirs = transformers.ResNetBackbone.from_pretrained(tmp_path, **selection).eval()
    assert not ours.load_report.missing
    assert set(ours.load_report.unexpected) == ({"classifier.1.weight", "classifier.1.bias"} if source != "Model" else set())
    assert our_loading_info(ours) == their_loading_info(transformers.ResNetBackbone, tmp_path, **selection)
    assert_same_outputs(ours, theirs, pixel_values=pixels(*ODD), output_hidden_states=True)


def test_base_checkpoint_into_classifier(tmp_path):
    save_theirs("Model", tmp_path)
    ours = AutoModelForImageClassification.from_pretrained(tmp_path)
    assert set(ours.load_report.missing) == {"classifier.1.weight", "classifier.1.bias"}
    assert our_loading_info(ours) == their_loading_info(transformers.ResNetForImageClassification, tmp_path)
    theirs = transformers.ResNetModel.from_pretrained(tmp_path).eval()
    assert_outputs_equal(run(ours.resnet, pixel_values=pixels(*ODD)), run(theirs, pixel_values=pixels(*ODD)))


# --- the backbone ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("selection", BACKBONE_SELECTIONS.values(), ids=BACKBONE_SELECTIONS.keys())
@pytest.mark.parametrize("layer_type", LAYER_TYPES)
def test_backbone_feature_maps(layer_type, selection, tmp_path):
    check_backbone_feature_maps(RESNET, selection, tmp_path, layer_type=layer_type)


# --- construction, initialisation, inputs ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("layer_type", LAYER_TYPES)
def test_parameter_names_are_checkpoint_keys(layer_type, suffix):
    theirs = getattr(transformers, "ResNet" + suffix)(their_config(layer_type=layer_type))
    ours = getattr(resnet, "ResNet" + suffix).from_config(our_config(layer_type=layer_type))
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    if suffix == "ForImageClassification":
        assert "classifier.1.weight" in ours.state_dict()


def test_no_classifier_without_labels():
    ours = resnet.ResNetForImageClassification(our_config(num_labels=0))
    theirs = transformers.ResNetForImageClassification(their_config(num_labels=0)).eval()
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    assert run(ours.eval(), pixel_values=pixels(*ODD)).logits.shape == (2, 16)


def test_initialisation_matches_transformers():
    """BatchNorm at 1/0 with statistics 0/1, as transformers; convolutions Kaiming-normal (fan out), the
    classifier PyTorch's default Linear (uniform in +-1/sqrt(fan_in))."""
    theirs = transformers.ResNetForImageClassification(their_config(hidden_sizes=[64, 128]))
    ours = resnet.ResNetForImageClassification.from_config(our_config(hidden_sizes=[64, 128]))
    for (name, ours_tensor), (_, their_tensor) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        if "normalization" in name:
            torch.testing.assert_close(ours_tensor, their_tensor, atol=0, rtol=0, msg=name)
    conv = ours.resnet.encoder.stages[1].layers[0].layer[1].convolution.weight  # 3x3, 32 -> 32 channels
    expected_std = (2 / (conv.shape[0] * 9)) ** 0.5
    assert abs(conv.std().item() / expected_std - 1) < 0.1
    bound = 1 / 128**0.5
    assert ours.classifier[1].weight.abs().max() <= bound and ours.classifier[1].bias.abs().max() <= bound


def test_missing_batch_norm_is_initialised(tmp_path):
    """A BatchNorm absent from the checkpoint gets transformers' initialisation; its neighbours load."""
    save_theirs("Model", tmp_path)
    from safetensors.torch import load_file, save_file

    weights = load_file(tmp_path / "model.safetensors")
    prefix = "encoder.stages.1.layers.0.shortcut.normalization."
    missing = {prefix + name for name in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")}
    save_file({k: v for k, v in weights.items() if k not in missing}, tmp_path / "model.safetensors",
              metadata={"format": "pt"})
    ours = resnet.ResNetModel.from_pretrained(tmp_path)
    assert set(ours.load_report.missing) == missing
    norm = ours.encoder.stages[1].layers[0].shortcut.normalization
    assert torch.all(norm.weight == 1) and torch.all(norm.bias == 0)
    assert torch.all(norm.running_mean == 0) and torch.all(norm.running_var == 1) and norm.num_batches_tracked == 0
    convolution = ours.encoder.stages[1].layers[0].shortcut.convolution.weight
    assert torch.equal(convolution, weights["encoder.stages.1.layers.0.shortcut.convolution.weight"])


def test_wrong_number_of_channels_is_refused(tmp_path):
    theirs = save_theirs("Model", tmp_path)
    ours = resnet.ResNetModel.from_pretrained(tmp_path)
    gray = torch.zeros(1, 1, 32, 32)
    with pytest.raises(ValueError):
        theirs(gray)
    with pytest.raises(errors.ModelInputError, match="num_channels=3"):
        ours(gray)


# --- the config ----------------------------------------------------------------------------------------------------


def test_config_defaults_are_transformers():
    check_config_defaults(RESNET)


def test_config_round_trip_and_stage_names(tmp_path):
    ours, _ = check_config_round_trip(RESNET, tmp_path, out_indices=[0, 1], layer_type="basic",
                                      downsample_in_first_stage=True)
    assert ours.out_features == ["stem", "stage1"]
    assert ours.layer_type == "basic" and ours.downsample_in_first_stage is True


@pytest.mark.parametrize("overrides, field", [
    ({"layer_type": "wide"}, "layer_type"),
    ({"hidden_sizes": [8, 16, 32]}, "hidden_sizes"),
    ({"depths": [1]}, "hidden_sizes"),
    ({"hidden_sizes": [8, 0]}, r"hidden_sizes\[1\]"),
    ({"depths": [1, 0]}, r"depths\[1\]"),
    ({"hidden_sizes": [8, 2], "layer_type": "bottleneck"}, "hidden_sizes"),
    ({"embedding_size": 0}, "embedding_size"),
    ({"num_channels": -3}, "num_channels"),
    ({"downsample_in_bottleneck": "yes"}, "downsample_in_bottleneck"),
    ({"hidden_act": "nope"}, "hidden_act"),
    ({"out_indices": [3]}, "out_indices"),
])
def test_invalid_configs_are_refused(overrides, field):
    with pytest.raises(errors.ConfigValueError, match=field):
        our_config(**overrides)


def test_transformers_refuses_the_unknown_layer_type():
    with pytest.raises(Exception, match="layer_type"):  # huggingface_hub's StrictDataclassClassValidationError
        their_config(layer_type="wide")
