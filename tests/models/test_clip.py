"""CLIP against transformers: the joint model and both towers in both loading directions, hidden states and
attentions, the contrastive loss, the feature methods, a tower read from a whole CLIP checkpoint, both pooling
rules, position interpolation, the nested config, and the initialisation."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import transformers
from parity import assert_outputs_equal, assert_same_outputs, field_names, pixels, randomize_norms_and_biases, run
from safetensors.torch import load_file, save_file

from explorer import AutoConfig, AutoModel, errors
from explorer.models import clip

VOCAB, BOS, EOS, PAD = 99, 97, 98, 1
TEXT = {"vocab_size": VOCAB, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
        "intermediate_size": 37, "max_position_embeddings": 16, "bos_token_id": BOS, "eos_token_id": EOS,
        "pad_token_id": PAD}
VISION = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 37,
          "image_size": 32, "patch_size": 8}
JOINT = {"text_config": TEXT, "vision_config": VISION, "projection_dim": 16}
# class name -> (its config class, the config's arguments)
CLASSES = {"CLIPModel": ("CLIPConfig", JOINT), "CLIPTextModel": ("CLIPTextConfig", TEXT),
           "CLIPVisionModel": ("CLIPVisionConfig", VISION)}
FLAGS = ({}, {"output_hidden_states": True, "output_attentions": True})


# --- helpers ----------------------------------------------------------------------------------------------------


def perturb(model: torch.nn.Module, seed: int = 0) -> None:
    """Biases and norms away from 0 / 1 (pre_layrnorm and post_layernorm too), so a forgotten one shows."""
    randomize_norms_and_biases(model, seed)
    generator = torch.Generator().manual_seed(seed + 2)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "layrnorm" in name or "layernorm" in name:
                parameter.add_(0.1 * torch.randn(parameter.shape, generator=generator))


def save_theirs(class_name: str, folder: Path, seed: int = 0, **overrides: Any) -> Any:
    """A seeded transformers model, perturbed, saved to ``folder``; returned in eval mode with eager attention."""
    config_name, arguments = CLASSES[class_name]
    torch.manual_seed(seed)
    config = getattr(transformers, config_name)(**{**arguments, **overrides})
    model = getattr(transformers, class_name)(config).eval()
    perturb(model, seed)
    model.save_pretrained(folder)
    model.set_attn_implementation("eager")
    return model


def text_batch(left: bool = False) -> dict[str, torch.Tensor]:
    """Three rows, <bos> ids <eos> then padding (on the left if asked), lengths 9, 5 and 7."""
    generator = torch.Generator().manual_seed(0)
    lengths, width = (9, 5, 7), 9
    ids = torch.full((len(lengths), width), PAD)
    mask = torch.zeros(len(lengths), width, dtype=torch.long)
    for row, length in enumerate(lengths):
        content = torch.randint(2, BOS, (length,), generator=generator)
        content[0], content[-1] = BOS, EOS
        span = slice(width - length, width) if left else slice(0, length)
        ids[row, span], mask[row, span] = content, 1
    return {"input_ids": ids, "attention_mask": mask}


def pixel_batch(height: int = 32, width: int = 32) -> torch.Tensor:
    """Three seeded images, as many as text_batch's rows."""
    return pixels(height, width, seed=1, batch=3)


def batch_for(class_name: str) -> dict[str, torch.Tensor]:
    inputs: dict[str, torch.Tensor] = {}
    if class_name != "CLIPVisionModel":
        inputs.update(text_batch())
    if class_name != "CLIPTextModel":
        inputs["pixel_values"] = pixel_batch()
    return inputs


def assert_same(ours: Any, theirs: Any) -> None:
    """The same output class with the same fields in the same order (the towers' too), and equal values."""
    assert type(ours).__name__ == type(theirs).__name__
    assert field_names(ours) == field_names(theirs)
    assert_outputs_equal(ours, theirs)


def assert_same_calls(ours: Callable[..., Any], theirs: Callable[..., Any], **inputs: Any) -> None:
    """parity's assert_same_outputs (as objects, towers included, and as the nested tuples of
    ``return_dict=False``), and the same output class. ``ours`` and ``theirs``: models or their feature methods."""
    our_output, their_output = assert_same_outputs(ours, theirs, **inputs)
    assert type(our_output).__name__ == type(their_output).__name__


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any]]:
    """Each class saved once by transformers: class name -> (its folder, transformers' model, eager attention)."""
    result = {}
    for class_name in CLASSES:
        folder = tmp_path_factory.mktemp(class_name)
        result[class_name] = folder, save_theirs(class_name, folder)
    return result


@pytest.fixture(scope="module")
def joint(saved: dict[str, tuple[Path, Any]]) -> tuple[Path, Any]:
    """The tiny CLIPModel saved by transformers: (its folder, transformers' model with eager attention)."""
    return saved["CLIPModel"]


# --- transformers saves, explorer loads -------------------------------------------------------------------------


@pytest.mark.parametrize("flags", FLAGS, ids=["plain", "hidden-states-attentions"])
@pytest.mark.parametrize("class_name", CLASSES)
def test_forward_matches_transformers(class_name, flags, saved):
    folder, theirs = saved[class_name]
    ours = AutoModel.from_pretrained(folder)
    assert type(ours) is getattr(clip, class_name) and ours.load_report.is_clean
    assert_same_calls(ours, theirs, **batch_for(class_name), **flags)


@pytest.mark.parametrize("class_name", CLASSES)
def test_forward_matches_transformers_sdpa(class_name, saved):
    """transformers' default attention (SDPA, is_causal without padding) gives the same numbers."""
    folder, theirs = saved[class_name]
    ours = getattr(clip, class_name).from_pretrained(folder)
    theirs.set_attn_implementation("sdpa")
    try:
        assert_same_calls(ours, theirs, **batch_for(class_name), output_hidden_states=True)
        if class_name != "CLIPVisionModel":
            unpadded = {**batch_for(class_name), "input_ids": text_batch()["input_ids"][:1]}
            unpadded.pop("attention_mask")
            assert_same(run(ours, **unpadded), run(theirs, **unpadded))
    finally:
        theirs.set_attn_implementation("eager")


def test_contrastive_loss(joint):
    folder, theirs = joint
    ours = AutoModel.from_pretrained(folder)
    inputs = {**batch_for("CLIPModel"), "return_loss": True}
    ours_out, theirs_out = run(ours, **inputs), run(theirs, **inputs)
    assert ours_out.loss is not None and ours_out.loss.dim() == 0
    assert_same(ours_out, theirs_out)
    assert_outputs_equal(dict(enumerate(run(ours, **inputs, return_dict=False)[:3])),
                         dict(enumerate(run(theirs, **inputs, return_dict=False)[:3])))


@pytest.mark.parametrize("flags", FLAGS, ids=["plain", "hidden-states-attentions"])
def test_text_and_image_features(joint, flags):
    folder, theirs = joint
    ours = clip.CLIPModel.from_pretrained(folder)
    assert_same_calls(ours.get_text_features, theirs.get_text_features, **text_batch(), **flags)
    assert_same_calls(ours.get_image_features, theirs.get_image_features, pixel_values=pixel_batch(), **flags)
    assert run(ours.get_text_features, **text_batch()).pooler_output.shape == (3, JOINT["projection_dim"])


@pytest.mark.parametrize("class_name", ["CLIPTextModel", "CLIPVisionModel"])
def test_tower_from_whole_clip_checkpoint(joint, class_name):
    """As transformers: the tower's config is the file's text_config / vision_config, its weights lose their
    text_model. / vision_model. prefix, and the other tower and the projections are reported unexpected."""
    folder, _ = joint
    ours = getattr(clip, class_name).from_pretrained(folder)
    theirs, info = getattr(transformers, class_name).from_pretrained(folder, output_loading_info=True)
    theirs.eval().set_attn_implementation("eager")
    assert type(ours.config) is getattr(clip, CLASSES[class_name][0])
    assert not ours.load_report.missing and not info["missing_keys"]
    assert set(ours.load_report.unexpected) == set(info["unexpected_keys"])
    assert ours.load_report.loaded == len(ours.state_dict())
    assert_same_calls(ours, theirs, **batch_for(class_name), **FLAGS[1])


def test_tower_config_from_whole_clip_checkpoint(joint):
    folder, _ = joint
    for name in ("CLIPTextConfig", "CLIPVisionConfig"):
        ours, theirs = getattr(clip, name).from_pretrained(folder), getattr(transformers, name).from_pretrained(folder)
        assert ours.to_dict() == {**theirs.to_dict(), "transformers_version": None, "_name_or_path": str(folder)}
    assert "text_config" in str(clip.CLIPTextConfig.from_pretrained(folder).resolution_trace)


def test_joint_checkpoint_into_joint_model_via_auto_config(joint):
    folder, _ = joint
    config = AutoConfig.from_pretrained(folder)
    assert type(config) is clip.CLIPConfig and type(config.text_config) is clip.CLIPTextConfig
    assert config.text_config.vocab_size == VOCAB and config.vision_config.patch_size == VISION["patch_size"]


def test_legacy_pooling_takes_the_highest_id(tmp_path):
    """eos_token_id=2 (configs from before transformers' PR #24773): the pooled token is each row's highest id."""
    theirs = save_theirs("CLIPTextModel", tmp_path, eos_token_id=2, bos_token_id=0)
    ours = clip.CLIPTextModel.from_pretrained(tmp_path)
    inputs = text_batch()
    inputs["input_ids"][0, 2] = EOS  # the highest id, before the row's end: the legacy rule pools it
    assert_same_calls(ours, theirs, **inputs)
    highest = inputs["input_ids"].argmax(dim=-1)
    assert highest.tolist() == [2, 4, 6]
    out = run(ours, **inputs)
    assert torch.equal(out.pooler_output, out.last_hidden_state[torch.arange(3), highest])


def test_pooling_takes_the_first_eos(joint):
    folder, _ = joint
    ours = clip.CLIPTextModel.from_pretrained(folder)
    inputs = text_batch()
    inputs["input_ids"][:, -1] = EOS  # padding with the eos token, as CLIP's tokenizer does
    out = run(ours, **inputs)
    assert torch.equal(out.pooler_output, out.last_hidden_state[torch.arange(3), torch.tensor([8, 4, 6])])


def test_left_padding_matches_eager_attention(saved):
    """Fully masked rows (a left-padded query sees only padding) follow transformers' eager attention: a uniform
    average. transformers' SDPA computes something else there, on padding positions only."""
    folder, their_text = saved["CLIPTextModel"]
    ours = clip.CLIPTextModel.from_pretrained(folder)
    inputs = text_batch(left=True)
    assert_same_calls(ours, their_text, **inputs, **FLAGS[1])
    their_text.set_attn_implementation("sdpa")
    try:
        ours_out, theirs_out = run(ours, **inputs), run(their_text, **inputs)
    finally:
        their_text.set_attn_implementation("eager")
    kept = inputs["attention_mask"].bool()
    torch.testing.assert_close(ours_out.last_hidden_state[kept], theirs_out.last_hidden_state[kept], atol=1e-5, rtol=0)
    torch.testing.assert_close(ours_out.pooler_output, theirs_out.pooler_output, atol=1e-5, rtol=0)


def test_position_ids_and_four_dimensional_mask(saved):
    folder, theirs = saved["CLIPTextModel"]
    ours = clip.CLIPTextModel.from_pretrained(folder)
    inputs = text_batch()
    position_ids = torch.tensor([[3, 2, 1, 0, 4, 5, 6, 7, 8]])
    assert_same_calls(ours, theirs, **inputs, position_ids=position_ids)
    additive = torch.zeros(3, 1, 9, 9).masked_fill(torch.rand(3, 1, 9, 9, generator=torch.Generator().manual_seed(0))
                                                   > 0.7, torch.finfo(torch.float32).min)
    assert_same_calls(ours, theirs, input_ids=inputs["input_ids"], attention_mask=additive)
    boolean = additive == 0
    assert_same(run(ours, input_ids=inputs["input_ids"], attention_mask=boolean),
                run(theirs, input_ids=inputs["input_ids"], attention_mask=additive))


@pytest.mark.parametrize("size", [(40, 52), (24, 24), (32, 32)], ids=["odd", "smaller", "same"])
def test_interpolate_pos_encoding(saved, size):
    folder, theirs = saved["CLIPModel"]
    pixels = pixel_batch(*size)
    assert_same_calls(clip.CLIPModel.from_pretrained(folder), theirs, **text_batch(), pixel_values=pixels,
                      interpolate_pos_encoding=True)
    folder, theirs = saved["CLIPVisionModel"]
    assert_same_calls(clip.CLIPVisionModel.from_pretrained(folder), theirs, pixel_values=pixels,
                      interpolate_pos_encoding=True, **FLAGS[1])


# --- explorer saves, transformers loads -------------------------------------------------------------------------


@pytest.mark.parametrize("class_name", CLASSES)
def test_transformers_loads_what_explorer_saves(class_name, tmp_path):
    config_name, arguments = CLASSES[class_name]
    torch.manual_seed(0)
    ours = getattr(clip, class_name).from_config(getattr(clip, config_name)(**arguments))
    perturb(ours)
    ours.save_pretrained(tmp_path)
    theirs, info = getattr(transformers, class_name).from_pretrained(tmp_path, output_loading_info=True)
    assert not (info["missing_keys"] or info["unexpected_keys"] or info["mismatched_keys"]), info
    theirs.eval().set_attn_implementation("eager")
    assert_same_calls(ours, theirs, **batch_for(class_name), **FLAGS[1])
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["architectures"] == [class_name]
    if class_name == "CLIPModel":
        assert saved["text_config"]["model_type"] == "clip_text_model"
        assert run(ours, **batch_for(class_name), return_loss=True).loss is not None


def test_parameter_names_are_checkpoint_keys(joint):
    _, theirs = joint
    ours = clip.CLIPModel.from_config(clip.CLIPConfig(**JOINT))
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    assert "vision_model.pre_layrnorm.weight" in ours.state_dict() and "logit_scale" in ours.state_dict()


# --- configuration --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["CLIPConfig", "CLIPTextConfig", "CLIPVisionConfig"])
def test_config_defaults_are_transformers(name):
    ours, theirs = getattr(clip, name)(), getattr(transformers, name)()
    assert ours.to_dict() == {**theirs.to_dict(), "transformers_version": None}
    assert json.loads(ours.to_json_string()) == without_version(theirs.to_json_string())


def without_version(text: str) -> dict[str, Any]:
    """transformers' JSON without the version it stamps (explorer writes none of its own)."""
    data = json.loads(text)
    del data["transformers_version"]
    return data


def test_nested_config_json_matches_transformers(joint):
    folder, _ = joint
    ours = clip.CLIPConfig.from_pretrained(folder)
    assert ours.to_json_string() == transformers.CLIPConfig.from_pretrained(folder).to_json_string()
    assert clip.CLIPConfig(**json.loads(ours.to_json_string())).to_json_string() == ours.to_json_string()
    built = clip.CLIPConfig(text_config=clip.CLIPTextConfig(**TEXT), vision_config=VISION, projection_dim=16,
                            architectures=["CLIPModel"], dtype="float32")
    assert json.loads(built.to_json_string()) == without_version(ours.to_json_string())


def test_legacy_config_dicts_win_as_in_transformers():
    arguments = {"text_config": {"vocab_size": 100, "hidden_size": 64}, "text_config_dict": {"hidden_size": 48},
                 "vision_config_dict": {"image_size": 64}}
    ours, theirs = clip.CLIPConfig(**arguments), transformers.CLIPConfig(**arguments)
    assert json.loads(ours.to_json_string()) == without_version(theirs.to_json_string())
    assert ours.text_config.vocab_size == theirs.text_config.vocab_size and ours.text_config.hidden_size == 48


@pytest.mark.parametrize(
    ("name", "arguments", "field"),
    [
        ("CLIPTextConfig", {"hidden_size": 30}, "hidden_size=30"),
        ("CLIPVisionConfig", {"patch_size": 64, "image_size": 32}, "patch_size=64"),
        ("CLIPVisionConfig", {"hidden_act": "nope"}, "hidden_act='nope'"),
        ("CLIPVisionConfig", {"image_size": 0}, "image_size=0"),
        ("CLIPTextConfig", {"attention_dropout": 2.0}, "attention_dropout"),
        ("CLIPConfig", {"projection_dim": -1}, "projection_dim=-1"),
        ("CLIPConfig", {"vision_config": {"num_attention_heads": 5}}, "num_attention_heads=5"),
        ("CLIPConfig", {"text_config": "nope"}, "text_config must be"),
    ],
)
def test_config_values_that_cannot_work_are_refused(name, arguments, field):
    with pytest.raises(errors.ConfigValueError, match=field):
        getattr(clip, name)(**arguments)


# --- inputs that cannot work ----------------------------------------------------------------------------------


def test_bad_inputs_are_refused(joint):
    folder, _ = joint
    model = clip.CLIPModel.from_pretrained(folder)
    with pytest.raises(errors.ModelInputError, match="input_ids"):
        model.text_model()
    with pytest.raises(errors.ModelInputError, match="pixel_values"):
        model.vision_model()
    with pytest.raises(errors.ModelInputError, match="max_position_embeddings"):
        model.text_model(torch.ones(1, 17, dtype=torch.long))
    with pytest.raises(errors.ModelInputError, match="attention_mask covers 4"):
        model.text_model(torch.ones(1, 5, dtype=torch.long), attention_mask=torch.ones(1, 4))
    with pytest.raises(errors.ModelInputError, match=r"Input image size \(40\*40\)"):
        model.vision_model(pixel_batch(40, 40))


# --- initialisation ---------------------------------------------------------------------------------------------


def test_initialisation_follows_transformers():
    """Each parameter drawn with transformers' rule: the same spread, the same constants."""
    text = {**TEXT, "hidden_size": 64, "intermediate_size": 128, "initializer_factor": 0.5}
    vision = {**VISION, "hidden_size": 64, "intermediate_size": 128, "initializer_range": 0.05}
    arguments = {"text_config": text, "vision_config": vision, "projection_dim": 48, "initializer_factor": 2.0,
                 "logit_scale_init_value": 1.5}
    torch.manual_seed(0)
    ours = clip.CLIPModel.from_config(clip.CLIPConfig(**arguments)).state_dict()
    theirs = transformers.CLIPModel(transformers.CLIPConfig(**arguments)).state_dict()
    assert ours.keys() == theirs.keys()
    for key, expected in theirs.items():
        if expected.numel() < 2 or expected.std() == 0:
            torch.testing.assert_close(ours[key], expected, msg=key)
        else:
            assert abs(ours[key].std() / expected.std() - 1) < 0.3, key
            assert abs(ours[key].mean()) < 3 * expected.std() / expected.numel() ** 0.5 + 1e-3, key


def test_missing_tensors_are_initialised_by_their_layer(joint, tmp_path):
    """A checkpoint without the vision tower, the projections and the temperature: the loader initialises each
    missing tensor through its own module with the rule of the layer it belongs to."""
    folder, _ = joint
    tensors = load_file(folder / "model.safetensors")
    kept = {key: value for key, value in tensors.items() if key.startswith("text_model.")}
    save_file(kept, tmp_path / "model.safetensors", metadata={"format": "pt"})
    (tmp_path / "config.json").write_text((folder / "config.json").read_text())
    torch.manual_seed(0)
    ours = clip.CLIPModel.from_pretrained(tmp_path)
    _, info = transformers.CLIPModel.from_pretrained(tmp_path, output_loading_info=True)
    assert set(ours.load_report.missing) == info["missing_keys"] and not ours.load_report.unexpected
    assert ours.logit_scale.item() == pytest.approx(2.6592)
    vision = ours.vision_model
    layers, hidden = VISION["num_hidden_layers"], VISION["hidden_size"]
    expected = {
        "encoder.layers.0.self_attn.q_proj.weight": hidden**-0.5 * (2 * layers) ** -0.5,
        "encoder.layers.1.self_attn.out_proj.weight": hidden**-0.5,
        "encoder.layers.0.mlp.fc1.weight": (2 * hidden) ** -0.5,
        "embeddings.patch_embedding.weight": 0.02,
    }
    for key, std in expected.items():
        assert abs(vision.get_parameter(key).std().item() / std - 1) < 0.2, key
    assert torch.equal(vision.post_layernorm.weight, torch.ones(hidden))
    assert torch.equal(vision.encoder.layers[0].self_attn.q_proj.bias, torch.zeros(hidden))
    assert torch.equal(ours.text_model.embeddings.token_embedding.weight,
                       tensors["text_model.embeddings.token_embedding.weight"])


def test_dropout_only_in_training(tmp_path):
    save_theirs("CLIPTextModel", tmp_path, attention_dropout=0.5)
    model = clip.CLIPTextModel.from_pretrained(tmp_path)
    inputs = text_batch()
    assert torch.equal(run(model, **inputs).last_hidden_state, run(model, **inputs).last_hidden_state)
    model.train()
    torch.manual_seed(0)
    assert not torch.equal(run(model, **inputs).last_hidden_state, run(model, **inputs).last_hidden_state)


def test_resizing_the_vocabulary_resizes_the_text_tower(joint):
    folder, _ = joint
    model = clip.CLIPModel.from_pretrained(folder)
    old = model.get_input_embeddings().weight.detach().clone()
    model.resize_token_embeddings(VOCAB + 5)
    assert model.get_input_embeddings() is model.text_model.embeddings.token_embedding
    assert model.get_input_embeddings().weight.shape == (VOCAB + 5, TEXT["hidden_size"])
    assert torch.equal(model.get_input_embeddings().weight[:VOCAB], old)
    assert model.config.text_config.vocab_size == VOCAB + 5 and "vocab_size" not in vars(model.config)
    assert run(model, **batch_for("CLIPModel")).logits_per_text.shape == (3, 3)
