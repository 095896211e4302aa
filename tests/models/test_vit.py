"""ViT against transformers: both heads in both loading directions, with and without attention weights,
other image sizes through interpolated position embeddings, losses, the load report across heads (and the
initialisation of what is missing), attention and head masks, pruning, the mask token, config variants, the
config itself, and the tutorial's full-size geometry."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import torch
import transformers
from safetensors.torch import load_file, save_file

from encoder_checks import HEADS, LAYERS, PRUNED, masking, use_attention
from explorer import AutoConfig, AutoModel, AutoModelForImageClassification, errors
from explorer.models import vit
from parity import (
    assert_outputs_equal,
    assert_same_outputs,
    pixels,
    randomize_norms_and_biases,
    run,
    tiny_transformers_model,
)

HIDDEN = 32  # LAYERS = 2 and HEADS = 4, as the BERT family's tiny configs
TINY = {"hidden_size": HIDDEN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": 37,
        "image_size": 32, "patch_size": 8, "num_channels": 3, "num_labels": 3}
TOKENS = 1 + (32 // 8) ** 2  # [CLS] + a 4 x 4 grid of patches
SUFFIXES = ("Model", "ForImageClassification")


def save_theirs(suffix: str, folder: Path, **overrides: Any) -> Any:
    """A seeded transformers ViT<suffix>, saved to ``folder``, in eval mode."""
    return tiny_transformers_model("ViT" + suffix, "ViTConfig", folder, **(TINY | overrides))


def our_config(**overrides: Any) -> vit.ViTConfig:
    return vit.ViTConfig(**(TINY | overrides))


# --- forward parity --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_weights", [True, False], ids=["eager-weights", "sdpa"])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_forward_matches_transformers(suffix, with_weights, tmp_path):
    theirs = save_theirs(suffix, tmp_path)
    ours = getattr(vit, "ViT" + suffix).from_pretrained(tmp_path)
    assert ours.load_report.is_clean and not ours.training
    use_attention(theirs, with_weights)
    inputs = {"pixel_values": pixels(), "output_hidden_states": with_weights, "output_attentions": with_weights}
    expected = run(theirs, **inputs)
    if with_weights:
        assert len(expected["hidden_states"]) == LAYERS + 1 and len(expected["attentions"]) == LAYERS
        assert expected["attentions"][0].shape == (2, HEADS, TOKENS, TOKENS)
    assert_same_outputs(ours, theirs, **inputs)


@pytest.mark.parametrize("auto_class, suffix", [(AutoModel, "Model"),
                                                (AutoModelForImageClassification, "ForImageClassification")])
def test_auto_classes_load_vit(auto_class, suffix, tmp_path):
    theirs = save_theirs(suffix, tmp_path)
    ours = auto_class.from_pretrained(tmp_path)
    assert type(ours) is getattr(vit, "ViT" + suffix) and ours.load_report.is_clean
    assert type(AutoConfig.from_pretrained(tmp_path)) is vit.ViTConfig
    use_attention(theirs, with_weights=True)
    assert_same_outputs(ours, theirs, pixel_values=pixels(), output_hidden_states=True, output_attentions=True)


@pytest.mark.parametrize("size", [(40, 24), (24, 40), (44, 30), (16, 64), (64, 64), (32, 32)],
                         ids=lambda size: "x".join(map(str, size)))
def test_interpolated_positions_match_transformers(size, tmp_path):
    """Other image sizes (not multiples of the patch too: the convolution drops the remainder) through
    bicubic interpolation of the position grid, as transformers."""
    theirs = save_theirs("ForImageClassification", tmp_path)
    ours = vit.ViTForImageClassification.from_pretrained(tmp_path)
    use_attention(theirs, with_weights=True)
    inputs = {"pixel_values": pixels(*size), "interpolate_pos_encoding": True, "output_hidden_states": True,
              "output_attentions": True}
    patches = (size[0] // 8) * (size[1] // 8)
    assert run(theirs, **inputs).hidden_states[0].shape == (2, 1 + patches, HIDDEN)
    assert_same_outputs(ours, theirs, **inputs)


def test_other_image_size_needs_interpolation(tmp_path):
    theirs = save_theirs("Model", tmp_path)
    ours = vit.ViTModel.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="doesn't match model"):
        run(theirs, pixel_values=pixels(40, 24))
    with pytest.raises(errors.ModelInputError, match=r"\(40\*24\) doesn't match model \(32\*32\).*interpolate"):
        run(ours, pixel_values=pixels(40, 24))
    with pytest.raises(errors.ModelInputError, match="num_channels=3"):
        run(ours, pixel_values=torch.zeros(2, 1, 32, 32))
    with pytest.raises(errors.ModelInputError, match="pixel_values"):
        run(ours)


def test_pixel_values_take_the_model_dtype(tmp_path):
    theirs = save_theirs("Model", tmp_path)
    ours = vit.ViTModel.from_pretrained(tmp_path)
    assert_outputs_equal(run(ours, pixel_values=pixels().double()), run(theirs, pixel_values=pixels().double()))
    assert run(ours, pixel_values=pixels().double()).last_hidden_state.dtype == torch.float32


def test_attention_mask_matches_transformers(tmp_path):
    theirs = save_theirs("Model", tmp_path)
    ours = vit.ViTModel.from_pretrained(tmp_path)
    use_attention(theirs, with_weights=True)
    mask = torch.ones(2, TOKENS, dtype=torch.long)
    mask[0, 5:9] = 0
    inputs = {"pixel_values": pixels(), "attention_mask": mask, "output_attentions": True}
    expected = run(theirs, **inputs)
    assert expected.attentions[0][0, :, :, 5:9].abs().max() == 0  # the mask did something
    assert_same_outputs(ours, theirs, **inputs)


@pytest.mark.parametrize("overrides", [
    {"qkv_bias": False},
    {"pooler_output_size": 20, "pooler_act": "relu", "hidden_act": "gelu_new"},
    {"image_size": [32, 48], "patch_size": [8, 16]},
], ids=["no-qkv-bias", "pooler", "rectangular"])
def test_config_variants_match_transformers(overrides, tmp_path):
    theirs = save_theirs("Model", tmp_path, **overrides)
    ours = vit.ViTModel.from_pretrained(tmp_path)
    assert ours.load_report.is_clean
    height, width = ours.embeddings.image_size
    use_attention(theirs, with_weights=True)
    assert_same_outputs(ours, theirs, pixel_values=pixels(height, width), output_hidden_states=True,
                        output_attentions=True)


def test_no_labels_makes_the_classifier_the_identity(tmp_path):
    theirs = save_theirs("ForImageClassification", tmp_path, num_labels=0)
    ours = vit.ViTForImageClassification.from_pretrained(tmp_path)
    assert isinstance(ours.classifier, torch.nn.Identity) and ours.load_report.is_clean
    assert_same_outputs(ours, theirs, pixel_values=pixels())
    assert run(ours, pixel_values=pixels()).logits.shape == (2, HIDDEN)


# --- losses ------------------------------------------------------------------------------------------------------


LABEL_CASES = {  # id -> (config overrides, labels, the problem type both infer)
    "regression": ({"num_labels": 1}, torch.tensor([0.5, -1.25]), "regression"),
    "single-label": ({"num_labels": 3}, torch.tensor([2, 0]), "single_label_classification"),
    "multi-label": ({"num_labels": 3}, torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]),
                    "multi_label_classification"),
}


@pytest.mark.parametrize("case", LABEL_CASES)
def test_loss_matches_transformers(case, tmp_path):
    overrides, labels, problem_type = LABEL_CASES[case]
    theirs = save_theirs("ForImageClassification", tmp_path, **overrides)
    ours = vit.ViTForImageClassification.from_pretrained(tmp_path)
    assert run(theirs, pixel_values=pixels(), labels=labels).loss.isfinite()
    assert_same_outputs(ours, theirs, pixel_values=pixels(), labels=labels)
    assert ours.config.problem_type == theirs.config.problem_type == problem_type


# --- saving, loading across heads, initialisation ---------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_transformers_loads_what_explorer_saves(suffix, tmp_path):
    torch.manual_seed(0)
    ours = getattr(vit, "ViT" + suffix).from_config(our_config())
    randomize_norms_and_biases(ours, seed=0)
    ours.save_pretrained(tmp_path)
    theirs, info = getattr(transformers, "ViT" + suffix).from_pretrained(tmp_path, output_loading_info=True)
    assert not (info["missing_keys"] or info["unexpected_keys"] or info["mismatched_keys"]), info
    use_attention(theirs.eval(), with_weights=True)
    assert_same_outputs(ours, theirs, pixel_values=pixels(), output_hidden_states=True, output_attentions=True)


def test_parameter_names_are_checkpoint_keys(tmp_path):
    save_theirs("ForImageClassification", tmp_path)
    ours = vit.ViTForImageClassification.from_config(our_config())
    assert set(ours.state_dict()) == set(load_file(tmp_path / "model.safetensors"))
    assert "vit.encoder.layer.0.attention.attention.query.weight" in ours.state_dict()
    assert "vit.embeddings.patch_embeddings.projection.weight" in ours.state_dict()


def assert_same_parameters(ours: torch.nn.Module, theirs: torch.nn.Module, including: list[str]) -> None:
    """The parameters both models name alike are equal (transformers v5 renames its encoder's modules in
    memory, not the embeddings, pooler or classifier), ``including`` among them."""
    our_parameters, their_parameters = dict(ours.named_parameters()), dict(theirs.named_parameters())
    common = our_parameters.keys() & their_parameters.keys()
    assert set(including) <= common
    assert_outputs_equal({key: our_parameters[key] for key in common}, {key: their_parameters[key] for key in common})


def test_load_report_across_heads_matches_transformers(tmp_path):
    """A base checkpoint into the classifier and the reverse: the same keys missing and unexpected as
    transformers reports, and the missing ones initialised as transformers does (same seed, same values)."""
    save_theirs("Model", tmp_path / "Model")
    save_theirs("ForImageClassification", tmp_path / "ForImageClassification")
    for suffix, folder, new_module in (("ForImageClassification", "Model", "classifier"),
                                       ("Model", "ForImageClassification", "pooler.dense")):
        torch.manual_seed(7)
        ours = getattr(vit, "ViT" + suffix).from_pretrained(tmp_path / folder)
        torch.manual_seed(7)
        theirs, info = getattr(transformers, "ViT" + suffix).from_pretrained(tmp_path / folder,
                                                                             output_loading_info=True)
        assert set(ours.load_report.missing) == info["missing_keys"] == {f"{new_module}.weight",
                                                                          f"{new_module}.bias"}
        assert set(ours.load_report.unexpected) == info["unexpected_keys"] != set()
        assert_same_parameters(ours, theirs, ours.load_report.missing)


def test_missing_embeddings_are_initialised_as_transformers(tmp_path):
    """[CLS] token and position embeddings left out of a checkpoint: truncated normal, as transformers."""
    save_theirs("Model", tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    del weights["embeddings.cls_token"], weights["embeddings.position_embeddings"]
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    torch.manual_seed(3)
    ours = vit.ViTModel.from_pretrained(tmp_path)
    torch.manual_seed(3)
    theirs = transformers.ViTModel.from_pretrained(tmp_path)
    assert set(ours.load_report.missing) == {"embeddings.cls_token", "embeddings.position_embeddings"}
    assert ours.embeddings.cls_token.abs().max() > 0
    assert_same_parameters(ours, theirs, ours.load_report.missing)


def test_from_config_initialisation():
    model = vit.ViTForImageClassification.from_config(our_config(initializer_range=0.5))
    assert model.classifier.bias.abs().max() == 0 and model.vit.layernorm.weight.eq(1).all()
    for parameter in (model.vit.embeddings.cls_token, model.vit.embeddings.position_embeddings,
                      model.vit.embeddings.patch_embeddings.projection.weight):
        assert 0.3 < parameter.std() < 0.7


# --- masks, pruning, mask token ---------------------------------------------------------------------------------


def test_head_mask(tmp_path):
    """All ones changes nothing; a [heads] mask applies to every layer; a head's weight scales its
    attention probabilities (transformers v4's head_mask)."""
    save_theirs("ForImageClassification", tmp_path)
    ours = vit.ViTForImageClassification.from_pretrained(tmp_path)
    flags = {"output_hidden_states": True, "output_attentions": True}
    plain = run(ours, pixel_values=pixels(), **flags)
    assert_outputs_equal(run(ours, pixel_values=pixels(), **flags, head_mask=torch.ones(HEADS)), plain)
    per_head = torch.tensor([1.0, 0.0, 1.0, 1.0])
    assert_outputs_equal(run(ours, pixel_values=pixels(), **flags, head_mask=per_head),
                         run(ours, pixel_values=pixels(), **flags, head_mask=per_head.expand(LAYERS, HEADS)))
    scaled = torch.ones(LAYERS, HEADS)
    scaled[0, 1] = 0.5
    attentions = run(ours, pixel_values=pixels(), output_attentions=True, head_mask=scaled).attentions
    torch.testing.assert_close(attentions[0][:, 1], 0.5 * plain.attentions[0][:, 1])
    torch.testing.assert_close(attentions[0][:, [0, 2, 3]], plain.attentions[0][:, [0, 2, 3]])
    with pytest.raises(errors.ConfigValueError, match="head_mask"):
        ours(pixels(), head_mask=torch.ones(LAYERS + 1, HEADS))


def test_pruned_heads_equal_masked_heads(tmp_path):
    """Pruning a head computes what masking it does, shrinks the projections, and survives a round trip."""
    save_theirs("ForImageClassification", tmp_path / "original")
    ours = vit.ViTForImageClassification.from_pretrained(tmp_path / "original")
    pruned = copy.deepcopy(ours)
    pruned.prune_heads(PRUNED)
    expected = run(ours, pixel_values=pixels(), head_mask=masking(PRUNED), output_hidden_states=True)
    assert_outputs_equal(run(pruned, pixel_values=pixels(), output_hidden_states=True), expected)

    head_size = HIDDEN // HEADS
    for layer, dropped in PRUNED.items():
        kept = (HEADS - len(dropped)) * head_size
        attention = pruned.vit.encoder.layer[layer].attention
        assert attention.attention.query.weight.shape == (kept, HIDDEN)
        assert attention.attention.value.bias.shape == (kept,)
        assert attention.output.dense.weight.shape == (HIDDEN, kept)
        assert attention.pruned_heads == set(dropped)
    assert [a.shape[1] for a in run(pruned, pixel_values=pixels(), output_attentions=True).attentions] == [2, 3]

    one_by_one = copy.deepcopy(ours)
    one_by_one.prune_heads({0: [1]})
    one_by_one.prune_heads({0: [2, 1], 1: [0]})  # original numbering; head 1 is gone already
    assert_outputs_equal(run(one_by_one, pixel_values=pixels()), run(pruned, pixel_values=pixels()))

    pruned.save_pretrained(tmp_path / "pruned")
    reloaded = vit.ViTForImageClassification.from_pretrained(tmp_path / "pruned")
    assert reloaded.load_report.is_clean and reloaded.config.pruned_heads == PRUNED
    assert_outputs_equal(run(reloaded, pixel_values=pixels(), output_hidden_states=True), expected)


def test_pruning_without_qkv_bias(tmp_path):
    save_theirs("Model", tmp_path, qkv_bias=False)
    ours = vit.ViTModel.from_pretrained(tmp_path)
    pruned = copy.deepcopy(ours)
    pruned.prune_heads(PRUNED)
    assert pruned.encoder.layer[0].attention.attention.key.bias is None
    assert_outputs_equal(run(pruned, pixel_values=pixels()), run(ours, pixel_values=pixels(), head_mask=masking(PRUNED)))


class MaskTokenViTModel(vit.ViTModel):
    """ViTModel(config, use_mask_token=True) under the loader, which builds models from the config alone."""

    def __init__(self, config: vit.ViTConfig) -> None:
        super().__init__(config, use_mask_token=True)


def test_mask_token_matches_transformers(tmp_path):
    torch.manual_seed(0)
    theirs = transformers.ViTModel(transformers.ViTConfig(**TINY), use_mask_token=True).eval()
    randomize_norms_and_biases(theirs, seed=0)
    with torch.no_grad():
        theirs.embeddings.mask_token.normal_()
    theirs.save_pretrained(tmp_path)
    ours = MaskTokenViTModel.from_pretrained(tmp_path)
    assert ours.load_report.is_clean
    masked = torch.zeros(2, TOKENS - 1, dtype=torch.bool)
    masked[0, [0, 5, 6]] = masked[1, 15] = True
    assert_same_outputs(ours, theirs, pixel_values=pixels(), bool_masked_pos=masked)
    assert not torch.allclose(run(ours, pixel_values=pixels(), bool_masked_pos=masked).last_hidden_state,
                              run(ours, pixel_values=pixels()).last_hidden_state)
    plain = vit.ViTModel.from_pretrained(tmp_path)
    assert plain.load_report.unexpected == ["embeddings.mask_token"]
    with pytest.raises(errors.ModelInputError, match="use_mask_token=True"):
        plain(pixels(), bool_masked_pos=masked)


def test_dropout_only_in_training(tmp_path):
    save_theirs("ForImageClassification", tmp_path, hidden_dropout_prob=0.5, attention_probs_dropout_prob=0.5)
    model = vit.ViTForImageClassification.from_pretrained(tmp_path)
    assert torch.equal(run(model, pixel_values=pixels()).logits, run(model, pixel_values=pixels()).logits)
    model.train()
    torch.manual_seed(0)
    assert not torch.equal(run(model, pixel_values=pixels()).logits, run(model, pixel_values=pixels()).logits)


# --- config and geometry -------------------------------------------------------------------------------------------


def test_config_defaults_are_transformers():
    ours = vit.ViTConfig().to_dict()
    theirs = transformers.ViTConfig().to_dict()
    for key in theirs.keys() - {"transformers_version", "_name_or_path"}:
        assert ours[key] == theirs[key], key


def test_tiny_config_reads_as_transformers_wrote_it(tmp_path):
    theirs = save_theirs("Model", tmp_path).config.to_dict()
    ours = AutoConfig.from_pretrained(tmp_path).to_dict()
    assert ours["pooler_output_size"] == HIDDEN  # None becomes hidden_size, as in transformers
    for key in theirs.keys() - {"transformers_version", "_name_or_path"}:
        assert ours[key] == theirs[key], key


@pytest.mark.parametrize("overrides, field", [
    ({"hidden_size": 30}, "hidden_size=30 is not a multiple of num_attention_heads"),
    ({"patch_size": 64}, "patch_size=64 is larger than image_size=32"),
    ({"image_size": [32, 16], "patch_size": [8, 32]}, "larger than image_size.* in width"),
    ({"image_size": [32]}, r"image_size must be an int or a \[height, width\] pair"),
    ({"image_size": 0}, "image_size=0 is out of range"),
    ({"patch_size": "8"}, "patch_size must be a whole number"),
    ({"num_channels": 0}, "num_channels=0 is out of range"),
    ({"pooler_act": "nope"}, "pooler_act='nope'"),
    ({"hidden_act": "nope"}, "hidden_act='nope'"),
    ({"attention_probs_dropout_prob": 2.0}, "attention_probs_dropout_prob is a probability"),
])
def test_bad_config_values_are_refused(overrides, field):
    with pytest.raises(errors.ConfigValueError, match=field):
        our_config(**overrides)


def test_input_embeddings_are_the_patch_embeddings():
    model = vit.ViTForImageClassification(our_config())
    assert model.get_input_embeddings() is model.vit.embeddings.patch_embeddings
    assert model.main_input_name == "pixel_values"


def test_tutorial_geometry():
    """ViTConfig() is google/vit-base-patch16-224's shape: 224 / 16 = 14, 14 x 14 = 196 patches + [CLS].
    The full model is counted on the meta device; one full-width layer runs (depth changes no shape)."""
    config = vit.ViTConfig()
    assert (config.image_size, config.patch_size, config.hidden_size) == (224, 16, 768)
    with torch.device("meta"):
        theirs = transformers.ViTModel(transformers.ViTConfig())
        ours = vit.ViTModel(config)
    assert ours.num_parameters() == theirs.num_parameters() == 86_389_248
    model = vit.ViTModel.from_config(vit.ViTConfig(num_hidden_layers=1))
    out = run(model, pixel_values=torch.zeros(1, 3, 224, 224), output_hidden_states=True)
    assert list(out.last_hidden_state.shape) == [1, (224 // 16) ** 2 + 1, 768] == [1, 197, 768]
    assert list(out.pooler_output.shape) == [1, 768] and len(out.hidden_states) == 2


def test_pooler_output_size_follows_hidden_size_when_unset():
    """Older config.json files have no pooler_output_size: hidden_size, as transformers fills it in."""
    data = {"hidden_size": 64, "num_attention_heads": 4}
    assert vit.ViTConfig.from_dict(data).pooler_output_size == transformers.ViTConfig.from_dict(data).pooler_output_size
    assert vit.ViTConfig(hidden_size=64, num_attention_heads=4, pooler_output_size=10).pooler_output_size == 10


def test_without_pooling_layer():
    model = vit.ViTModel(our_config(), add_pooling_layer=False).eval()
    assert model.pooler is None and not any(key.startswith("pooler") for key in model.state_dict())
    out = run(model, pixel_values=pixels())
    assert list(out.keys()) == ["last_hidden_state"] and len(run(model, pixel_values=pixels(), return_dict=False)) == 1
