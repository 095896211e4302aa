"""Swin against transformers: the model, the classifier and the backbone in both loading directions and through
the Auto classes, on whole and padded image sizes, with hidden states and attention weights; losses; the load
report across heads; the backbone's stage selection and feature maps; the config; and lesson 3's geometry
(swin-tiny through AutoBackbone: [1, 96, 56, 56] for stage 1 and the stem, [1, 192, 28, 28] for stage 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import transformers
from huggingface_hub.errors import StrictDataclassError
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from explorer import AutoBackbone, AutoConfig, AutoModel, AutoModelForImageClassification, errors
from explorer.models import swin
from explorer.models.swin import SwinBackbone, SwinConfig, SwinForImageClassification, SwinModel
from parity import assert_outputs_equal, assert_same_outputs, pixels, run

TINY = {"embed_dim": 16, "depths": [1, 2], "num_heads": [2, 4], "window_size": 4, "image_size": 32, "patch_size": 4,
        "num_labels": 3}
SUFFIXES = ("Model", "ForImageClassification", "Backbone")
AUTO = {"Model": AutoModel, "ForImageClassification": AutoModelForImageClassification, "Backbone": AutoBackbone}
# (height, width): whole windows; and 9x7 patches, padded to whole patches, then to whole windows and merges
SIZES = {"32x32": (32, 32), "36x28": (36, 28)}


def ours(suffix: str) -> type:
    return getattr(swin, "Swin" + suffix)


def perturb(model: torch.nn.Module, seed: int) -> None:
    """Every parameter moved off its initialisation (norms at 1/0 and the zero bias tables would hide a
    swapped or mis-indexed tensor)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, parameter in sorted(model.named_parameters()):
            parameter.add_(0.1 * torch.randn(parameter.shape, generator=generator))


def save_theirs(suffix: str, folder: Path, seed: int = 0, **overrides: Any) -> Any:
    """A seeded transformers model saved to ``folder``, in eval mode with eager attention (weights returned)."""
    torch.manual_seed(seed)
    model = getattr(transformers, "Swin" + suffix)(transformers.SwinConfig(**{**TINY, **overrides})).eval()
    perturb(model, seed)
    model.save_pretrained(folder)
    model.set_attn_implementation("eager")
    return model


def file_keys(folder: Path) -> set[str]:
    with safe_open(str(folder / "model.safetensors"), "pt") as weights:
        return set(weights.keys())


# --- forward, both loading directions -------------------------------------------------------------------------


@pytest.mark.parametrize("with_weights", [True, False], ids=["hidden-and-attentions", "plain"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_forward_matches_transformers(suffix, size, with_weights, tmp_path):
    theirs = save_theirs(suffix, tmp_path)
    by_class = ours(suffix).from_pretrained(tmp_path)
    by_auto = AUTO[suffix].from_pretrained(tmp_path)
    for model in (by_class, by_auto):
        assert type(model) is ours(suffix) and model.load_report.is_clean and not model.training
    inputs = {"pixel_values": pixels(*SIZES[size]), "output_hidden_states": with_weights,
              "output_attentions": with_weights}
    if with_weights:
        expected = run(theirs, **inputs)
        assert len(expected["attentions"]) == len(TINY["depths"])  # one per stage, as transformers v5
        assert len(expected["hidden_states"]) == len(TINY["depths"]) + 1
    assert_same_outputs(by_class, theirs, **inputs)
    assert_same_outputs(by_auto, theirs, **inputs)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_transformers_loads_what_explorer_saves(suffix, tmp_path):
    torch.manual_seed(0)
    mine = ours(suffix).from_config(SwinConfig(**TINY))
    perturb(mine, seed=1)
    mine.save_pretrained(tmp_path / "ours")
    theirs, info = getattr(transformers, "Swin" + suffix).from_pretrained(tmp_path / "ours", output_loading_info=True)
    assert not (info["missing_keys"] or info["unexpected_keys"] or info["mismatched_keys"]), info
    theirs.eval().set_attn_implementation("eager")
    for size in SIZES.values():
        assert_same_outputs(mine, theirs, pixel_values=pixels(*size), output_hidden_states=True,
                            output_attentions=True)
    # the very keys transformers writes for this class (its backbone files have no "swin." on embeddings/encoder)
    save_theirs(suffix, tmp_path / "theirs")
    assert file_keys(tmp_path / "ours") == file_keys(tmp_path / "theirs")


def test_parameter_names_are_checkpoint_keys_and_nothing_is_a_buffer(tmp_path):
    save_theirs("ForImageClassification", tmp_path)
    model = SwinForImageClassification(SwinConfig(**TINY))
    assert set(model.state_dict()) == file_keys(tmp_path)
    assert "swin.encoder.layers.1.blocks.1.attention.self.relative_position_bias_table" in model.state_dict()
    assert not list(model.buffers())  # the relative position index is computed: the loader builds on meta


@pytest.mark.parametrize(
    "case, overrides, labels",
    [
        ("single-label", {}, torch.tensor([2, 0])),
        ("regression", {"num_labels": 1}, torch.tensor([0.5, -1.0])),
        ("multi-label", {}, torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_loss_matches_transformers(case, overrides, labels, tmp_path):
    theirs = save_theirs("ForImageClassification", tmp_path, **overrides)
    mine = AutoModelForImageClassification.from_pretrained(tmp_path)
    inputs = {"pixel_values": pixels(), "labels": labels}
    assert run(theirs, **inputs).loss.isfinite()
    assert_same_outputs(mine, theirs, **inputs)
    assert mine.config.problem_type == theirs.config.problem_type


def test_load_report_across_heads_matches_transformers(tmp_path):
    """Each class's checkpoint into each other class: the same keys missing and unexpected as transformers
    (its AutoBackbone refuses local folders, so its SwinBackbone loads them directly)."""
    for suffix in SUFFIXES:
        save_theirs(suffix, tmp_path / suffix)
    for saved in SUFFIXES:
        for suffix in SUFFIXES:
            mine = AUTO[suffix].from_pretrained(tmp_path / saved)
            _, info = getattr(transformers, "Swin" + suffix).from_pretrained(tmp_path / saved,
                                                                             output_loading_info=True)
            assert set(mine.load_report.missing) == info["missing_keys"], (saved, suffix)
            assert set(mine.load_report.unexpected) == info["unexpected_keys"], (saved, suffix)
            assert not mine.load_report.mismatched
    into_backbone = AutoBackbone.from_pretrained(tmp_path / "Model").load_report
    assert set(into_backbone.missing) == {"hidden_states_norms.stage2.weight", "hidden_states_norms.stage2.bias"}
    into_classifier = AutoModelForImageClassification.from_pretrained(tmp_path / "Model").load_report
    assert set(into_classifier.missing) == {"classifier.weight", "classifier.bias"}


def test_checkpoints_with_the_stored_index_or_transformers_memory_names_load_clean(tmp_path):
    """Older files stored the relative position index (dropped without a word, as transformers); a
    state_dict() of transformers v5's model (q_proj, mlp.fc1...) loads too."""
    theirs = save_theirs("Model", tmp_path / "saved")
    tensors = load_file(tmp_path / "saved" / "model.safetensors")
    for key in list(tensors):
        if key.endswith("relative_position_bias_table"):
            tensors[key.replace("bias_table", "index")] = torch.zeros(16 * 16, dtype=torch.long)
    (tmp_path / "old").mkdir()
    save_file(tensors, tmp_path / "old" / "model.safetensors")
    (tmp_path / "old" / "config.json").write_text((tmp_path / "saved" / "config.json").read_text())
    (tmp_path / "memory").mkdir()
    save_file({k: v.contiguous() for k, v in theirs.state_dict().items()}, tmp_path / "memory" / "model.safetensors")
    (tmp_path / "memory" / "config.json").write_text((tmp_path / "saved" / "config.json").read_text())
    assert any("q_proj" in key for key in file_keys(tmp_path / "memory"))
    for folder in ("old", "memory"):
        mine = SwinModel.from_pretrained(tmp_path / folder)
        assert mine.load_report.is_clean, (folder, mine.load_report)
        assert_same_outputs(mine, theirs, pixel_values=pixels())
    _, info = transformers.SwinModel.from_pretrained(tmp_path / "old", output_loading_info=True)
    assert not info["unexpected_keys"]


# --- the backbone -------------------------------------------------------------------------------------------------


def stage_numbers(out_indices: Any) -> list[int]:
    """transformers keeps -1 as given; explorer stores the stage's number (backbone.py)."""
    return [index % (len(TINY["depths"]) + 1) for index in out_indices]


@pytest.mark.parametrize(
    "selection",
    [{}, {"out_indices": (0,)}, {"out_indices": [1]}, {"out_features": ["stem", "stage2"]},
     {"out_indices": [0, 1, 2]}, {"out_indices": [-1]}, {"out_features": ["stage1"], "out_indices": [1]}],
    ids=str,
)
def test_feature_maps_match_transformers(selection, tmp_path):
    theirs = save_theirs("Backbone", tmp_path, **selection)
    mine = AutoBackbone.from_pretrained(tmp_path)
    assert mine.load_report.is_clean
    assert (mine.out_features, mine.out_indices) == (theirs.out_features, stage_numbers(theirs.out_indices))
    assert mine.channels == list(theirs.channels) and mine.num_features == list(theirs.num_features)
    assert list(mine.hidden_states_norms) == list(theirs.hidden_states_norms)
    for size in ((32, 32), (36, 28), (20, 20)):  # 20x20: 5x5 patches, padded to whole windows in every stage
        inputs = {"pixel_values": pixels(*size)}
        maps = run(mine, **inputs).feature_maps
        assert [tuple(m.shape[:2]) for m in maps] == [(2, c) for c in mine.channels]
        assert_same_outputs(mine, theirs, **inputs)


@pytest.mark.parametrize(
    "selection",
    [{}, {"out_features": ["stage2"]}, {"out_indices": [1]}, {"out_indices": (0,)}, {"out_indices": [-1]},
     {"out_features": ["stem", "stage2"]}, {"out_features": ["stage1", "stage2"], "out_indices": [1, 2]}],
    ids=str,
)
def test_stage_selection_follows_transformers(selection, tmp_path):
    """Defaults to the last stage; each of out_features / out_indices set from the other; the same through a
    saved config.json and a from_pretrained override."""
    mine, theirs = SwinConfig(**TINY, **selection), transformers.SwinConfig(**TINY, **selection)
    assert mine.stage_names == theirs.stage_names == ["stem", "stage1", "stage2"]
    assert (mine.out_features, mine.out_indices) == (theirs.out_features, stage_numbers(theirs.out_indices))
    theirs.save_pretrained(tmp_path)
    reloaded = AutoConfig.from_pretrained(tmp_path)
    assert (reloaded.out_features, reloaded.out_indices) == (mine.out_features, mine.out_indices)
    transformers.SwinModel(theirs).save_pretrained(tmp_path)
    override = AutoBackbone.from_pretrained(tmp_path, out_indices=(1,))
    their_override = transformers.SwinBackbone.from_pretrained(tmp_path, out_indices=(1,))
    assert override.out_features == their_override.out_features == ["stage1"]
    assert list(override.hidden_states_norms) == list(their_override.hidden_states_norms)


@pytest.mark.parametrize(
    "selection, field",
    [({"out_features": ["stage9"]}, "out_features"), ({"out_features": ["stage2", "stage1"]}, "out_features"),
     ({"out_indices": [3]}, "out_indices"), ({"out_indices": [2, 1]}, "out_indices"),
     ({"out_features": ["stage1"], "out_indices": [2]}, "out_features"), ({"out_features": "stage1"}, "out_features")],
    ids=str,
)
def test_invalid_stage_selections_are_refused(selection, field, tmp_path):
    with pytest.raises((ValueError, StrictDataclassError)):
        transformers.SwinConfig(**TINY, **selection)
    with pytest.raises(errors.ConfigValueError, match=field):
        SwinConfig(**TINY, **selection)
    if len(selection) == 1:  # an override on loading meets the same rules
        SwinConfig(**TINY).save_pretrained(tmp_path)
        with pytest.raises(errors.ConfigValueError, match=field):
            AutoBackbone.from_pretrained(tmp_path, **selection)


def test_tutorial_geometry_swin_tiny(tmp_path):
    """Lesson 3, offline: swin-tiny's architecture (random weights) saved to a folder, then AutoBackbone with
    out_indices=(1,) gives [1, 96, 56, 56]; the stem (0,) too; out_features=["stage2"] gives [1, 192, 28, 28]."""
    config = SwinConfig()
    assert (config.image_size, config.patch_size, config.window_size, config.embed_dim) == (224, 4, 7, 96)
    assert (config.depths, config.num_heads) == ([2, 2, 6, 2], [3, 6, 12, 24])
    torch.manual_seed(0)
    AutoBackbone.from_config(config).save_pretrained(tmp_path)
    image = pixels(224, 224, batch=1)

    backbone = AutoBackbone.from_pretrained(tmp_path, out_indices=(1,))
    assert isinstance(backbone, SwinBackbone) and backbone.out_features == ["stage1"]
    maps = run(backbone, pixel_values=image).feature_maps
    assert maps[0].shape == (1, 96, 56, 56)
    theirs = transformers.SwinBackbone.from_pretrained(tmp_path, out_indices=(1,)).eval()
    assert_outputs_equal(run(backbone, pixel_values=image), run(theirs, pixel_values=image))

    stem = AutoBackbone.from_pretrained(tmp_path, out_indices=(0,))
    assert stem.out_features == ["stem"]
    assert run(stem, pixel_values=image).feature_maps[-1].shape == (1, 96, 56, 56)

    stage2 = AutoBackbone.from_pretrained(tmp_path, out_features=["stage2"])
    assert stage2.out_indices == [2]
    assert run(stage2, pixel_values=image).feature_maps[0].shape == (1, 192, 28, 28)


# --- config ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("overrides", [{}, TINY, {**TINY, "image_size": [36, 28], "patch_size": [4, 2]}],
                         ids=["defaults", "tiny", "pairs"])
def test_config_matches_transformers(overrides, tmp_path):
    """Defaults, the derived hidden_size / num_layers / stage_names, and the JSON both ways."""
    mine, theirs = SwinConfig(**overrides).to_dict(), transformers.SwinConfig(**overrides).to_dict()
    for key in theirs.keys() - {"transformers_version", "_name_or_path"}:
        assert mine[key] == theirs[key], key
    transformers.SwinConfig(**overrides).save_pretrained(tmp_path / "theirs")
    SwinConfig(**overrides).save_pretrained(tmp_path / "ours")
    read_by_us = AutoConfig.from_pretrained(tmp_path / "theirs").to_dict()
    read_by_them = transformers.SwinConfig.from_pretrained(tmp_path / "ours").to_dict()
    for key in theirs.keys() - {"transformers_version", "_name_or_path"}:
        assert read_by_us[key] == read_by_them[key] == theirs[key], key


def test_config_names_and_derived_sizes():
    config = SwinConfig(**TINY)
    assert (config.hidden_size, config.num_layers) == (32, 2)
    assert config.num_attention_heads == [2, 4] and config.num_hidden_layers == 2  # transformers' attribute_map
    assert SwinConfig(embed_dim=16, depths=[1, 1, 1], num_heads=[1, 2, 4], hidden_size=5).hidden_size == 64


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"depths": [1, 2], "num_heads": [2]}, "num_heads"),
        ({"embed_dim": 10, "num_heads": [4, 4]}, "num_heads"),
        ({"depths": []}, "depths"),
        ({"depths": [1, 0]}, "depths"),
        ({"num_heads": [2, "4"]}, "num_heads"),
        ({"image_size": 0}, "image_size"),
        ({"patch_size": [4]}, "patch_size"),
        ({"embed_dim": -1}, "embed_dim"),
        ({"window_size": 0}, "window_size"),
        ({"mlp_ratio": 0}, "mlp_ratio"),
        ({"drop_path_rate": 1.5}, "drop_path_rate"),
        ({"hidden_dropout_prob": -0.1}, "hidden_dropout_prob"),
        ({"hidden_act": "nope"}, "hidden_act"),
        ({"layer_norm_eps": 0}, "layer_norm_eps"),
    ],
    ids=str,
)
def test_invalid_config_values_name_the_field(overrides, field):
    with pytest.raises(errors.ConfigValueError, match=field):
        SwinConfig(**{**TINY, **overrides})


# --- forward details ---------------------------------------------------------------------------------------------


def test_absolute_position_embeddings_and_their_interpolation(tmp_path):
    theirs = save_theirs("Model", tmp_path, use_absolute_embeddings=True)
    mine = SwinModel.from_pretrained(tmp_path)
    assert mine.load_report.is_clean
    # the larger image first: transformers keeps the shift a smaller one turned off (see test_shifts_...)
    assert_same_outputs(mine, theirs, pixel_values=pixels(48, 40), interpolate_pos_encoding=True)
    assert_same_outputs(mine, theirs, pixel_values=pixels(), output_hidden_states=True)


def test_mask_token(tmp_path):
    torch.manual_seed(0)
    theirs = transformers.SwinModel(transformers.SwinConfig(**TINY), use_mask_token=True).eval()
    perturb(theirs, seed=2)
    theirs.save_pretrained(tmp_path)
    mine = SwinModel(SwinConfig(**TINY), use_mask_token=True).eval()
    mine.load_state_dict(load_file(tmp_path / "model.safetensors"))
    masked = torch.rand(2, 64, generator=torch.Generator().manual_seed(0)) < 0.5
    assert_same_outputs(mine, theirs, pixel_values=pixels(), bool_masked_pos=masked)
    with pytest.raises(errors.ModelInputError, match="use_mask_token"):
        SwinModel(SwinConfig(**TINY))(pixels(), bool_masked_pos=masked)


def test_shifts_are_decided_per_call(tmp_path):
    """A 32x32 image leaves stage 2 one window (no shift); a later 64x64 image is shifted again. transformers
    keeps the first call's shift on the layer, so a fresh transformers model is the reference."""
    save_theirs("Model", tmp_path)
    mine = SwinModel.from_pretrained(tmp_path)
    run(mine, pixel_values=pixels())
    fresh = transformers.SwinModel.from_pretrained(tmp_path).eval()
    assert_same_outputs(mine, fresh, pixel_values=pixels(64, 64))


def test_bad_inputs_are_refused(tmp_path):
    save_theirs("Model", tmp_path)
    mine = SwinModel.from_pretrained(tmp_path)
    with pytest.raises(errors.ModelInputError, match="window_size=4"):  # transformers fails on the bias table
        mine(pixels(20, 20))
    with pytest.raises(errors.ModelInputError, match="num_channels"):
        mine(torch.zeros(1, 1, 32, 32))
    with pytest.raises(errors.ModelInputError, match="pixel_values"):
        mine()


def test_dropout_and_drop_path_only_in_training(tmp_path):
    overrides = {"drop_path_rate": 0.5, "hidden_dropout_prob": 0.2, "attention_probs_dropout_prob": 0.2}
    theirs = save_theirs("ForImageClassification", tmp_path, **overrides)
    mine = SwinForImageClassification.from_pretrained(tmp_path)
    assert_same_outputs(mine, theirs, pixel_values=pixels())
    rates = [block.drop_path for stage in mine.swin.encoder.layers for block in stage.blocks]
    assert [getattr(rate, "drop_prob", 0.0) for rate in rates] == pytest.approx([0.0, 0.25, 0.5])
    mine.train()
    torch.manual_seed(0)
    assert not torch.equal(run(mine, pixel_values=pixels()).logits, run(mine, pixel_values=pixels()).logits)


def test_initialisation_is_transformers(tmp_path):
    """Parameters no checkpoint provides: normal(0, initializer_range) weights, zero biases and bias tables,
    LayerNorms at 1 / 0."""
    model = SwinBackbone(SwinConfig(**TINY, initializer_range=0.5))
    for name, parameter in model.named_parameters():
        if name.endswith(("bias", "relative_position_bias_table")):
            assert not parameter.any(), name
        elif "norm" in name:
            assert (parameter == 1).all(), name
        else:
            assert 0.3 < parameter.std() < 0.7, name
