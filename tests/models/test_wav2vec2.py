"""wav2vec 2.0 against transformers, in both layouts ("group" norm / post-norm encoder and "layer" norm / pre-norm
encoder): the base model and both heads in both loading directions, through the Auto classes, with and without
attention weights, losses, old weight-norm keys, the load report across heads, SpecAugment, adapters, and the
config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import transformers
from safetensors.torch import load_file, save_file

from explorer import AutoModel, AutoModelForAudioClassification, AutoModelForCTC, errors
from explorer.models import wav2vec2
from parity import assert_outputs_equal, assert_same_outputs, randomize_norms_and_biases, run

LAYERS, HEADS, VOCAB, LABELS = 2, 4, 12, 3
TINY = {"hidden_size": 32, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": 37,
        "conv_dim": (16, 16), "conv_stride": (5, 2), "conv_kernel": (10, 3), "num_conv_pos_embeddings": 16,
        "num_conv_pos_embedding_groups": 4, "vocab_size": VOCAB, "num_labels": LABELS}
# wav2vec2-base's layout, and the large / XLS-R one (whose convolutions have biases)
NORMS = {
    "group": {"feat_extract_norm": "group", "do_stable_layer_norm": False},
    "layer": {"feat_extract_norm": "layer", "do_stable_layer_norm": True, "conv_bias": True},
}
SUFFIXES = ("Model", "ForCTC", "ForSequenceClassification")
AUTO = {"Model": AutoModel, "ForCTC": AutoModelForCTC, "ForSequenceClassification": AutoModelForAudioClassification}
NO_DROPOUT = {"hidden_dropout": 0.0, "activation_dropout": 0.0, "attention_dropout": 0.0, "feat_proj_dropout": 0.0,
              "final_dropout": 0.0, "layerdrop": 0.0}
WEIGHT_NORM = ("parametrizations.weight.original0", "parametrizations.weight.original1")


def config_kwargs(norm: str, **overrides: Any) -> dict[str, Any]:
    return {**TINY, **NORMS[norm], **overrides}


def save_theirs(suffix: str, folder: Path, norm: str, **overrides: Any) -> Any:
    """A seeded transformers model (norms, biases and any layer weights perturbed) saved to ``folder``."""
    torch.manual_seed(0)
    config = transformers.Wav2Vec2Config(**config_kwargs(norm, **overrides))
    model = getattr(transformers, "Wav2Vec2" + suffix)(config).eval()
    randomize_norms_and_biases(model, seed=0)
    with torch.no_grad():
        if getattr(model, "layer_weights", None) is not None:
            model.layer_weights.copy_(torch.tensor([0.3, -1.0, 2.0]))
    model.save_pretrained(folder)
    return model


def ours(suffix: str) -> type:
    return getattr(wav2vec2, "Wav2Vec2" + suffix)


def batch(lengths: tuple[int, ...] = (1600, 1200)) -> dict[str, torch.Tensor]:
    """Seeded waveforms of different lengths, right-padded with zeros, and their mask."""
    generator = torch.Generator().manual_seed(0)
    values = torch.zeros(len(lengths), max(lengths))
    mask = torch.zeros(len(lengths), max(lengths), dtype=torch.long)
    for row, length in enumerate(lengths):
        values[row, :length] = torch.randn(length, generator=generator)
        mask[row, :length] = 1
    return {"input_values": values, "attention_mask": mask}


def ctc_labels() -> torch.Tensor:
    """Token ids 1..VOCAB-1 (0 is the pad token, CTC's blank), -100 after each row's end."""
    labels = torch.randint(1, VOCAB, (2, 9), generator=torch.Generator().manual_seed(1))
    labels[1, 6:] = -100
    return labels


def assert_clean(model: Any) -> None:
    assert model.load_report.is_clean, str(model.load_report)


# --- transformers saves, explorer loads -----------------------------------------------------------------------------


@pytest.mark.parametrize("with_weights", [True, False], ids=["eager-weights", "sdpa"])
@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("norm", NORMS)
def test_forward_matches_transformers(norm, suffix, with_weights, tmp_path):
    theirs = save_theirs(suffix, tmp_path, norm)
    # through the Auto class once, the class itself once
    mine = AUTO[suffix].from_pretrained(tmp_path) if with_weights else ours(suffix).from_pretrained(tmp_path)
    assert type(mine) is ours(suffix) and not mine.training
    assert_clean(mine)
    assert set(mine.state_dict()) == set(theirs.state_dict())
    theirs.set_attn_implementation("eager" if with_weights else "sdpa")
    inputs = {**batch(), "output_hidden_states": with_weights, "output_attentions": with_weights}
    if with_weights:
        expected = run(theirs, **inputs)
        assert len(expected["hidden_states"]) == LAYERS + 1 and len(expected["attentions"]) == LAYERS
    assert_same_outputs(mine, theirs, **inputs)
    assert_same_outputs(mine, theirs, input_values=inputs["input_values"])  # no mask: padding is audio


def label_cases() -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """id -> (class suffix, config overrides, extra inputs)."""
    too_long = torch.randint(1, VOCAB, (2, 130), generator=torch.Generator().manual_seed(2))  # > 119 frames
    too_long[0, 20:] = -100
    return {
        "classification": ("ForSequenceClassification", {}, {"labels": torch.tensor([2, 0])}),
        "ctc-sum": ("ForCTC", {}, {"labels": ctc_labels()}),
        "ctc-mean": ("ForCTC", {"ctc_loss_reduction": "mean"}, {"labels": ctc_labels()}),
        "ctc-zero-infinity": ("ForCTC", {"ctc_zero_infinity": True}, {"labels": too_long}),
        "ctc-pad-token-padding": ("ForCTC", {}, {"labels": ctc_labels().masked_fill(ctc_labels() == -100, 0)}),
        "ctc-no-mask": ("ForCTC", {}, {"labels": ctc_labels(), "attention_mask": None}),
    }


@pytest.mark.parametrize("case", label_cases())
@pytest.mark.parametrize("norm", NORMS)
def test_loss_matches_transformers(norm, case, tmp_path):
    suffix, overrides, extra = label_cases()[case]
    theirs = save_theirs(suffix, tmp_path, norm, **overrides)
    mine = ours(suffix).from_pretrained(tmp_path)
    inputs = {**batch(), **extra}
    loss = run(theirs, **inputs)["loss"]
    assert loss.isfinite() and loss > 0
    assert_same_outputs(mine, theirs, **inputs)


def test_ctc_labels_beyond_the_vocabulary_are_refused(tmp_path):
    save_theirs("ForCTC", tmp_path, "group")
    mine = ours("ForCTC").from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="vocab_size is 12"):
        mine(**batch(), labels=torch.tensor([[1, VOCAB]]))


@pytest.mark.parametrize("norm", NORMS)
def test_weighted_layer_sum_matches_transformers(norm, tmp_path):
    theirs = save_theirs("ForSequenceClassification", tmp_path, norm, use_weighted_layer_sum=True)
    theirs.set_attn_implementation("eager")
    mine = AutoModelForAudioClassification.from_pretrained(tmp_path)
    assert_clean(mine)
    labels = torch.tensor([1, 2])
    assert_same_outputs(mine, theirs, **batch(), labels=labels)  # hidden states used, not returned
    assert "hidden_states" not in run(mine, **batch())
    assert_same_outputs(mine, theirs, **batch(), labels=labels, output_hidden_states=True, output_attentions=True)


@pytest.mark.parametrize("norm", NORMS)
def test_old_weight_norm_keys_load(norm, tmp_path):
    """A checkpoint written with torch's older weight_norm (weight_g / weight_v) loads with nothing missing."""
    theirs = save_theirs("ForCTC", tmp_path, norm)
    weights = tmp_path / "model.safetensors"
    tensors = load_file(weights)
    renamed = {key.replace(WEIGHT_NORM[0], "weight_g").replace(WEIGHT_NORM[1], "weight_v"): tensor
               for key, tensor in tensors.items()}
    assert "wav2vec2.encoder.pos_conv_embed.conv.weight_g" in renamed and len(renamed) == len(tensors)
    save_file(renamed, weights, metadata={"format": "pt"})
    mine = AutoModelForCTC.from_pretrained(tmp_path)
    assert_clean(mine)
    assert_same_outputs(mine, theirs, **batch())
    _, info = transformers.Wav2Vec2ForCTC.from_pretrained(tmp_path, output_loading_info=True)
    assert not (info["missing_keys"] or info["unexpected_keys"])  # transformers' own reading of such a file


@pytest.mark.parametrize("norm", NORMS)
def test_load_report_across_heads_matches_transformers(norm, tmp_path):
    """A base checkpoint into each head (the head is missing), each head's checkpoint into the base model (the
    head is unexpected): the same keys as transformers reports."""
    save_theirs("Model", tmp_path / "Model", norm, use_weighted_layer_sum=True)
    for suffix in SUFFIXES[1:]:
        save_theirs(suffix, tmp_path / suffix, norm, use_weighted_layer_sum=True)
        for model_suffix, folder in ((suffix, tmp_path / "Model"), ("Model", tmp_path / suffix)):
            report = ours(model_suffix).from_pretrained(folder).load_report
            _, info = getattr(transformers, "Wav2Vec2" + model_suffix).from_pretrained(folder, output_loading_info=True)
            assert set(report.missing) == info["missing_keys"], (model_suffix, folder.name)
            assert set(report.unexpected) == info["unexpected_keys"], (model_suffix, folder.name)
    head = ours("ForSequenceClassification").from_pretrained(tmp_path / "Model")
    assert set(head.load_report.missing) == {"layer_weights", "projector.weight", "projector.bias",
                                             "classifier.weight", "classifier.bias"}
    assert set(ours("Model").from_pretrained(tmp_path / "ForCTC").load_report.unexpected) == {"lm_head.weight",
                                                                                            "lm_head.bias"}


# --- explorer saves, transformers loads -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("norm", NORMS)
def test_transformers_loads_what_explorer_saves(norm, suffix, tmp_path):
    torch.manual_seed(0)
    mine = ours(suffix).from_config(wav2vec2.Wav2Vec2Config(**config_kwargs(norm)))
    randomize_norms_and_biases(mine, seed=0)
    mine.save_pretrained(tmp_path)
    theirs, info = getattr(transformers, "Wav2Vec2" + suffix).from_pretrained(tmp_path, output_loading_info=True)
    assert not (info["missing_keys"] or info["unexpected_keys"] or info["mismatched_keys"]), info
    theirs.eval().set_attn_implementation("eager")
    assert_same_outputs(mine, theirs, **batch(), output_hidden_states=True, output_attentions=True)


# --- training-time behaviour, adapters ------------------------------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
def test_spec_augment_matches_transformers(norm, tmp_path):
    """Given frames to mask, and in training the random time and feature masks, drawn from numpy's seeded
    generator as transformers draws them."""
    theirs = save_theirs("Model", tmp_path, norm, mask_time_prob=0.3, mask_time_length=4, mask_feature_prob=0.3,
                         mask_feature_length=3, **NO_DROPOUT)
    mine = AutoModel.from_pretrained(tmp_path)
    frames = torch.zeros(2, 159, dtype=torch.bool)
    frames[:, 10:30] = True
    assert_same_outputs(mine, theirs, **batch(), mask_time_indices=frames)
    assert not torch.equal(run(mine, **batch(), mask_time_indices=frames).last_hidden_state,
                           run(mine, **batch()).last_hidden_state)
    mine.train()
    theirs.train()
    np.random.seed(0)
    expected = run(theirs, **batch())
    np.random.seed(0)
    assert_outputs_equal(run(mine, **batch()), expected)
    mine.eval()
    assert not torch.equal(run(mine, **batch()).last_hidden_state, expected.last_hidden_state)


@pytest.mark.parametrize("overrides", [
    {"add_adapter": True, "output_hidden_size": 24, "num_adapter_layers": 2},
    {"add_adapter": True, "num_adapter_layers": 1},
    {"adapter_attn_dim": 8, **NORMS["layer"]},
], ids=["adapter-projected", "adapter", "attention-adapter"])
def test_adapters_match_transformers(overrides, tmp_path):
    # "mean": a sum over the batch is large enough for float32 rounding to exceed the tolerance
    theirs = save_theirs("ForCTC", tmp_path, "group", ctc_loss_reduction="mean", **overrides)
    mine = AutoModelForCTC.from_pretrained(tmp_path)
    assert_clean(mine)
    theirs.set_attn_implementation("eager")
    assert_same_outputs(mine, theirs, **batch(), labels=ctc_labels(), output_hidden_states=True,
                        output_attentions=True)


def test_sequence_classification_refuses_adapters():
    with pytest.raises(errors.ConfigValueError, match="add_adapter"):
        ours("ForSequenceClassification")(wav2vec2.Wav2Vec2Config(**config_kwargs("group", add_adapter=True)))


def test_freeze_feature_encoder_and_base_model():
    model = ours("ForCTC")(wav2vec2.Wav2Vec2Config(**config_kwargs("layer")))
    model.freeze_feature_encoder()
    frozen = {name for name, parameter in model.named_parameters() if not parameter.requires_grad}
    assert frozen == {name for name, _ in model.named_parameters() if ".feature_extractor." in name}
    model.freeze_base_model()
    assert {name for name, p in model.named_parameters() if p.requires_grad} == {"lm_head.weight", "lm_head.bias"}


def test_dropout_only_in_training(tmp_path):
    save_theirs("ForCTC", tmp_path, "group", hidden_dropout=0.5, final_dropout=0.5, mask_time_prob=0.0)
    model = ours("ForCTC").from_pretrained(tmp_path)
    assert torch.equal(run(model, **batch()).logits, run(model, **batch()).logits)
    model.train()
    torch.manual_seed(0)
    assert not torch.equal(run(model, **batch()).logits, run(model, **batch()).logits)


# --- initialisation -----------------------------------------------------------------------------------------------


def test_missing_weights_are_initialised(tmp_path):
    """The weight-normed convolution, the mask embedding and the layer weights, when a checkpoint lacks them."""
    save_theirs("Model", tmp_path, "group")
    weights = tmp_path / "model.safetensors"
    kept = {key: tensor for key, tensor in load_file(weights).items()
            if "pos_conv_embed" not in key and "masked_spec_embed" not in key and "feature_projection" not in key}
    save_file(kept, weights, metadata={"format": "pt"})
    model = ours("ForSequenceClassification").from_pretrained(tmp_path, use_weighted_layer_sum=True)
    base = model.wav2vec2
    norm = base.encoder.pos_conv_embed.conv.parametrizations.weight
    torch.testing.assert_close(norm.original0, norm.norm())  # weight = v
    std = 2 * (1 / (16 * 32)) ** 0.5
    assert abs(norm.original1.std().item() - std) < 0.1 * std
    assert not base.encoder.pos_conv_embed.conv.bias.any()
    assert 0 <= base.masked_spec_embed.min() and base.masked_spec_embed.max() <= 1
    bound = (1 / 16) ** 0.5
    assert base.feature_projection.projection.weight.abs().max() <= bound
    assert base.feature_projection.projection.bias.abs().max() <= bound
    torch.testing.assert_close(model.layer_weights.detach(), torch.full((LAYERS + 1,), 1 / (LAYERS + 1)))
    assert all(not tensor.isnan().any() for tensor in model.state_dict().values())


def test_from_config_initialisation():
    torch.manual_seed(0)
    model = ours("ForCTC")(wav2vec2.Wav2Vec2Config(**config_kwargs("layer")))
    first = model.wav2vec2.feature_extractor.conv_layers[0]
    assert torch.equal(first.layer_norm.weight, torch.ones(16)) and not first.layer_norm.bias.any()
    assert abs(first.conv.weight.std().item() - (2 / 10) ** 0.5) < 0.1  # Kaiming: sqrt(2 / fan_in)
    assert first.conv.bias.abs().max() <= (1 / 10) ** 0.5
    assert abs(model.lm_head.weight.std().item() - 0.02) < 0.005 and not model.lm_head.bias.any()


# --- inputs, config -------------------------------------------------------------------------------------------------


def test_bad_inputs_are_refused():
    model = ours("Model")(wav2vec2.Wav2Vec2Config(**config_kwargs("group"))).eval()
    with pytest.raises(errors.ModelInputError, match=r"\[batch, samples\]"):
        model(torch.randn(1600))
    with pytest.raises(errors.ModelInputError, match="receptive field"):
        model(torch.randn(1, 12))
    with pytest.raises(errors.ModelInputError, match="masked_spec_embed"):
        ours("Model")(wav2vec2.Wav2Vec2Config(**config_kwargs("group", mask_time_prob=0.0)))(
            torch.randn(1, 1600), mask_time_indices=torch.ones(1, 159, dtype=torch.bool))


def test_config_defaults_are_transformers():
    mine = wav2vec2.Wav2Vec2Config().to_dict()
    theirs = transformers.Wav2Vec2Config().to_dict()
    for key in theirs.keys() - {"transformers_version", "_name_or_path"}:
        assert mine[key] == theirs[key], key
    assert wav2vec2.Wav2Vec2Config().inputs_to_logits_ratio == transformers.Wav2Vec2Config().inputs_to_logits_ratio


def test_config_derived_fields_follow_transformers():
    kwargs = config_kwargs("group", output_hidden_size=None)
    mine, theirs = wav2vec2.Wav2Vec2Config(**kwargs), transformers.Wav2Vec2Config(**kwargs)
    for key in ("num_feat_extract_layers", "output_hidden_size", "conv_dim", "conv_kernel"):
        assert getattr(mine, key) == getattr(theirs, key), key
    assert mine.to_dict()["conv_dim"] == theirs.to_dict()["conv_dim"] == [16, 16]
    assert wav2vec2.Wav2Vec2Config.from_dict(mine.to_dict()) == mine
    # transformers refuses a count that disagrees with conv_dim (huggingface_hub's validation error), and so do we
    with pytest.raises(Exception, match="Configuration for convolutional layers is incorrect"):
        transformers.Wav2Vec2Config(**{**kwargs, "num_feat_extract_layers": 7})
    with pytest.raises(errors.ConfigValueError, match="num_feat_extract_layers=7"):
        wav2vec2.Wav2Vec2Config(**{**kwargs, "num_feat_extract_layers": 7})


@pytest.mark.parametrize(("overrides", "field"), [
    ({"conv_stride": (5,)}, "conv_stride"),
    ({"conv_dim": ()}, "conv_dim"),
    ({"conv_kernel": (10, 0)}, "conv_kernel"),
    ({"num_attention_heads": 5}, "num_attention_heads"),
    ({"num_conv_pos_embedding_groups": 5}, "num_conv_pos_embedding_groups"),
    ({"feat_extract_norm": "batch"}, "feat_extract_norm"),
    ({"feat_extract_activation": "nope"}, "feat_extract_activation"),
    ({"ctc_loss_reduction": "max"}, "ctc_loss_reduction"),
    ({"layerdrop": 1.5}, "layerdrop"),
    ({"mask_time_prob": -0.1}, "mask_time_prob"),
    ({"vocab_size": 0}, "vocab_size"),
])
def test_config_values_that_cannot_work_are_refused(overrides, field):
    with pytest.raises(errors.ConfigValueError, match=field):
        wav2vec2.Wav2Vec2Config(**config_kwargs("group", **overrides))


def test_ctc_needs_a_vocabulary():
    config = wav2vec2.Wav2Vec2Config(**config_kwargs("group", vocab_size=None))
    ours("Model")(config)  # a base model needs none
    with pytest.raises(errors.ConfigValueError, match="vocab_size"):
        ours("ForCTC")(config)
