"""GPT-2 against transformers: every head in both loading directions on left- and right-padded batches, the
key-value cache (step by step equals one full forward, as transformers' cache holds), losses, hidden states and
attentions, the load report across heads, the initialisation of missing tensors, and the config's limits."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import torch
import transformers
from safetensors.torch import load_file, save_file

from explorer import AutoModel, AutoModelForCausalLM, errors, registry
from explorer.cache import DynamicCache
from explorer.models import gpt2
from explorer.models.gpt2 import GPT2Config, GPT2LMHeadModel, GPT2Model

from parity import assert_outputs_equal, padded_batch, randomize_norms_and_biases, run, tiny_transformers_model

VOCAB, LAYERS, POSITIONS = 99, 2, 64
# bos/eos inside the tiny vocabulary: transformers warns about GPT-2's 50256 otherwise
TINY = {"n_embd": 32, "n_layer": LAYERS, "n_head": 4, "n_inner": 37, "vocab_size": VOCAB, "n_positions": POSITIONS,
        "pad_token_id": 0, "bos_token_id": VOCAB - 1, "eos_token_id": VOCAB - 1}
CLASSES = ("GPT2Model", "GPT2LMHeadModel", "GPT2ForSequenceClassification", "GPT2ForTokenClassification",
           "GPT2ForQuestionAnswering")
HEADS = CLASSES[1:]
LENGTHS = (9, 5, 7)


def batch(padding: str = "right") -> dict[str, torch.Tensor]:
    """Three rows of random ids, padded on the right or (as for generation) on the left."""
    inputs = padded_batch(VOCAB, LENGTHS, type_vocab_size=None)
    if padding == "left":
        inputs = {name: tensor.flip(-1) for name, tensor in inputs.items()}
    return inputs


def save_theirs(class_name: str, folder: Path, **config: Any) -> Any:
    return tiny_transformers_model(class_name, "GPT2Config", folder, **(TINY | config))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """``saved(class_name)``: a transformers model and the folder it was saved to, built once."""
    cache: dict[str, tuple[Any, Path]] = {}

    def get(class_name: str) -> tuple[Any, Path]:
        if class_name not in cache:
            folder = tmp_path_factory.mktemp(class_name)
            cache[class_name] = save_theirs(class_name, folder), folder
        return cache[class_name]

    return get


def use_attention(model: Any, with_weights: bool) -> Any:
    """transformers' SDPA returns no attention weights: eager when they are compared."""
    model.set_attn_implementation("eager" if with_weights else "sdpa")
    return model


def plain_cache(cache: Any) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """A cache (explorer's or transformers') as its layers' keys and values."""
    return [(layer.keys, layer.values) for layer in cache.layers]


def comparable(output: Mapping[str, Any]) -> dict[str, Any]:
    """The output's fields with the cache as tensors, so both libraries' caches compare."""
    return {key: plain_cache(value) if hasattr(value, "layers") else value for key, value in output.items()}


def assert_same(ours: Any, theirs: Any, **inputs: Any) -> tuple[Any, Any]:
    """The same fields in the same order and the same values, as output objects and as tuples."""
    our_output, their_output = run(ours, **inputs), run(theirs, **inputs)
    assert list(our_output.keys()) == list(their_output.keys())
    assert_outputs_equal(comparable(our_output), comparable(their_output))
    our_tuple, their_tuple = run(ours, **inputs, return_dict=False), run(theirs, **inputs, return_dict=False)
    assert isinstance(our_tuple, tuple) and len(our_tuple) == len(their_tuple)
    assert_outputs_equal(comparable(dict(enumerate(our_tuple))), comparable(dict(enumerate(their_tuple))))
    return our_output, their_output


# --- transformers saves, explorer loads ---------------------------------------------------------------------


@pytest.mark.parametrize("with_weights", [False, True], ids=["sdpa", "eager-with-weights"])
@pytest.mark.parametrize("padding", ["right", "left"])
@pytest.mark.parametrize("class_name", CLASSES)
def test_outputs_equal_transformers(saved, class_name, padding, with_weights):
    theirs, folder = saved(class_name)
    ours = getattr(gpt2, class_name).from_pretrained(folder)
    assert ours.load_report.is_clean, ours.load_report
    use_attention(theirs, with_weights)
    flags = {"output_hidden_states": True, "output_attentions": with_weights}
    our_output, _ = assert_same(ours, theirs, **batch(padding), **flags)
    assert len(our_output.hidden_states) == LAYERS + 1
    assert (our_output.attentions is not None) == with_weights


def test_attentions_are_causal_and_skip_padding(saved):
    _, folder = saved("GPT2Model")
    inputs = batch("right")
    attentions = run(GPT2Model.from_pretrained(folder), **inputs, output_attentions=True).attentions
    assert len(attentions) == LAYERS and attentions[0].shape == (3, TINY["n_head"], 9, 9)
    for weights in attentions:
        assert torch.allclose(weights.sum(-1), torch.ones(()))
        assert weights.triu(diagonal=1).abs().max() == 0  # no query sees a later token
        assert weights[1, :, :, LENGTHS[1]:].abs().max() == 0  # nor row 1's padding


def test_inputs_embeds_position_and_token_type_ids_equal_transformers(saved):
    theirs, folder = saved("GPT2Model")
    ours = GPT2Model.from_pretrained(folder)
    use_attention(theirs, with_weights=False)
    inputs = batch("left")
    embeds = theirs.get_input_embeddings()(inputs["input_ids"]).detach()
    assert_same(ours, theirs, inputs_embeds=embeds, attention_mask=inputs["attention_mask"])
    positions = (inputs["attention_mask"].cumsum(-1) - 1).clamp(min=0)  # what generate() derives from the mask
    assert_same(ours, theirs, **inputs, position_ids=positions, token_type_ids=inputs["input_ids"].flip(-1) % 3)
    with pytest.raises(errors.ModelInputError, match="exactly one"):
        ours(input_ids=inputs["input_ids"], inputs_embeds=embeds)


def test_packed_sequences_attend_within_themselves_as_transformers(saved):
    """Without a mask or a cache, positions that restart mid-row mark packed sequences (training on packed
    text): each token sees its own sequence only."""
    theirs, folder = saved("GPT2LMHeadModel")
    ours = GPT2LMHeadModel.from_pretrained(folder)
    use_attention(theirs, with_weights=True)
    ids = batch()["input_ids"][:, :8].clamp(min=1)
    positions = torch.tensor([[0, 1, 2, 0, 1, 2, 3, 4]])
    packed, _ = assert_same(ours, theirs, input_ids=ids, position_ids=positions, use_cache=False,
                            output_attentions=True)
    assert packed.attentions[0][:, :, 3:, :3].abs().max() == 0
    together = run(ours, input_ids=ids, position_ids=positions, use_cache=True).logits
    assert not torch.allclose(together[:, 3:], packed.logits[:, 3:], atol=1e-3)  # a cache turns packing off


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_lm_head_is_the_token_embeddings_unless_untied(tmp_path, tied):
    theirs = save_theirs("GPT2LMHeadModel", tmp_path, tie_word_embeddings=tied)
    ours = GPT2LMHeadModel.from_pretrained(tmp_path)
    assert ours.load_report.is_clean, ours.load_report
    assert (ours.lm_head.weight is ours.transformer.wte.weight) == tied
    assert (ours.get_output_embeddings() is ours.lm_head) and ours.get_input_embeddings() is ours.transformer.wte
    assert_same(ours, use_attention(theirs, False), **batch())


def test_resizing_the_vocabulary_keeps_the_head_tied(saved):
    _, folder = saved("GPT2LMHeadModel")
    ours = GPT2LMHeadModel.from_pretrained(folder)
    ours.resize_token_embeddings(VOCAB + 5)
    assert ours.lm_head.weight is ours.transformer.wte.weight and ours.config.vocab_size == VOCAB + 5
    assert run(ours, **batch()).logits.shape == (3, 9, VOCAB + 5)


def test_logits_to_keep_equal_transformers(saved):
    theirs, folder = saved("GPT2LMHeadModel")
    ours = GPT2LMHeadModel.from_pretrained(folder)
    use_attention(theirs, with_weights=False)
    for keep in (1, 3, torch.tensor([0, 4])):
        assert_same(ours, theirs, **batch(), logits_to_keep=keep)
    assert run(ours, **batch(), logits_to_keep=1).logits.shape == (3, 1, VOCAB)


@pytest.mark.parametrize("overrides", [{"scale_attn_weights": False}, {"scale_attn_by_inverse_layer_idx": True},
                                       {"activation_function": "relu", "n_inner": None}],
                         ids=["unscaled", "inverse-layer-scale", "relu-default-inner"])
def test_attention_scaling_and_mlp_options_equal_transformers(tmp_path, overrides):
    theirs = save_theirs("GPT2LMHeadModel", tmp_path, **overrides)
    ours = GPT2LMHeadModel.from_pretrained(tmp_path)
    for with_weights in (False, True):
        flags = {"output_attentions": with_weights, "output_hidden_states": True}
        assert_same(ours, use_attention(theirs, with_weights), **batch("left"), **flags)


# --- the key-value cache ------------------------------------------------------------------------------------


@pytest.mark.parametrize("padding", ["right", "left"])
def test_step_by_step_with_the_cache_equals_one_full_forward(saved, padding):
    """A 4-token prompt, then 5 tokens one at a time with the cache returned and given back: the logits of
    every position and the final cache equal one forward over all 9 tokens, and transformers' steps."""
    theirs, folder = saved("GPT2LMHeadModel")
    ours = GPT2LMHeadModel.from_pretrained(folder)
    use_attention(theirs, with_weights=False)
    inputs = batch(padding)
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    full = run(ours, **inputs)
    assert_same(ours, theirs, **inputs)

    our_step = run(ours, input_ids=ids[:, :4], attention_mask=mask[:, :4])
    their_step = run(theirs, input_ids=ids[:, :4], attention_mask=mask[:, :4])
    logits = [our_step.logits]
    for position in range(4, 9):
        step = {"input_ids": ids[:, position:position + 1], "attention_mask": mask[:, :position + 1]}
        our_step = run(ours, **step, cache=our_step.cache)
        their_step = run(theirs, **step, cache=their_step.cache)
        assert isinstance(our_step.cache, DynamicCache) and our_step.cache.get_seq_length() == position + 1
        assert_outputs_equal(comparable(our_step), comparable(their_step))
        logits.append(our_step.logits)
    torch.testing.assert_close(torch.cat(logits, dim=1), full.logits, atol=1e-5, rtol=0)
    assert_outputs_equal({"cache": plain_cache(our_step.cache)}, {"cache": plain_cache(full.cache)})


def test_cached_steps_return_attentions_over_all_seen_tokens(saved):
    theirs, folder = saved("GPT2Model")
    ours = GPT2Model.from_pretrained(folder)
    use_attention(theirs, with_weights=True)
    inputs = batch("left")
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    ours_first, theirs_first = run(ours, input_ids=ids[:, :6]), run(theirs, input_ids=ids[:, :6])
    step = {"input_ids": ids[:, 6:], "attention_mask": mask, "output_attentions": True, "output_hidden_states": True}
    ours_next = run(ours, **step, cache=ours_first.cache)
    assert_outputs_equal(comparable(ours_next), comparable(run(theirs, **step, cache=theirs_first.cache)))
    assert ours_next.attentions[0].shape == (3, TINY["n_head"], 3, 9)


def test_the_cache_is_accepted_by_its_older_name_and_read_by_it(saved):
    _, folder = saved("GPT2LMHeadModel")
    ours = GPT2LMHeadModel.from_pretrained(folder)
    ids = batch()["input_ids"]
    first = run(ours, input_ids=ids[:, :5])
    assert first.past_key_values is first.cache
    by_new_name = run(ours, input_ids=ids[:, 5:], cache=first.cache).logits
    first = run(ours, input_ids=ids[:, :5])
    by_old_name = run(ours, input_ids=ids[:, 5:], past_key_values=first.cache).logits
    torch.testing.assert_close(by_old_name, by_new_name, atol=0, rtol=0)
    with pytest.raises(errors.ModelInputError, match="once"):
        ours(input_ids=ids, cache=DynamicCache(), past_key_values=DynamicCache())
    with pytest.raises(errors.ModelInputError, match="DynamicCache"):
        ours(input_ids=ids, cache=((torch.zeros(1), torch.zeros(1)),))


def test_use_cache_false_returns_no_cache_but_fills_one_given(saved):
    theirs, folder = saved("GPT2LMHeadModel")
    ours = GPT2LMHeadModel.from_pretrained(folder)
    use_attention(theirs, with_weights=False)
    our_output, _ = assert_same(ours, theirs, **batch(), use_cache=False)
    assert "cache" not in our_output and our_output.past_key_values is None
    given = DynamicCache()
    run(ours, input_ids=batch()["input_ids"], cache=given, use_cache=False)
    assert given.get_seq_length() == 9  # as transformers: a cache passed in is filled either way
    ours.config.use_cache = False
    assert "cache" not in run(ours, **batch())


def test_a_mask_not_covering_cache_and_input_is_refused(saved):
    _, folder = saved("GPT2Model")
    ours = GPT2Model.from_pretrained(folder)
    ids = batch()["input_ids"]
    first = run(ours, input_ids=ids[:, :5])
    with pytest.raises(errors.ModelInputError, match=r"\[3, 9\]"):
        ours(input_ids=ids[:, 5:], cache=first.cache, attention_mask=torch.ones(3, 4, dtype=torch.long))


# --- the prompt's length ------------------------------------------------------------------------------------


def test_a_prompt_longer_than_n_positions_is_a_typed_error(saved):
    _, folder = saved("GPT2LMHeadModel")
    ours = GPT2LMHeadModel.from_pretrained(folder)
    with pytest.raises(errors.ModelInputError, match="n_positions=64") as raised:
        ours(input_ids=torch.ones(1, POSITIONS + 1, dtype=torch.long))
    assert "truncation=True" in str(raised.value)
    full = run(ours, input_ids=torch.ones(1, POSITIONS, dtype=torch.long))
    assert full.logits.shape == (1, POSITIONS, VOCAB)
    with pytest.raises(errors.ModelInputError, match="64 cached tokens"):  # one token past the table
        ours(input_ids=torch.ones(1, 1, dtype=torch.long), cache=full.cache)
    with pytest.raises(errors.ModelInputError, match="n_positions"):
        ours(input_ids=torch.ones(1, 2, dtype=torch.long), position_ids=torch.tensor([[0, POSITIONS]]))


# --- losses -------------------------------------------------------------------------------------------------


def label_cases() -> dict[str, tuple[str, dict[str, Any], dict[str, torch.Tensor]]]:
    """id -> (class, config overrides, label arguments) for ``batch()``."""
    inputs = batch()
    generator = torch.Generator().manual_seed(3)
    padding = inputs["attention_mask"] == 0
    rows = len(LENGTHS)
    return {
        "causal-lm": ("GPT2LMHeadModel", {}, {"labels": inputs["input_ids"].masked_fill(padding, -100)}),
        "regression": ("GPT2ForSequenceClassification", {"num_labels": 1},
                       {"labels": torch.randn(rows, generator=generator)}),
        "single-label": ("GPT2ForSequenceClassification", {"num_labels": 3}, {"labels": torch.tensor([2, 0, 1])}),
        "multi-label": ("GPT2ForSequenceClassification", {"num_labels": 3},
                        {"labels": torch.randint(0, 2, (rows, 3), generator=generator).float()}),
        "tokens": ("GPT2ForTokenClassification", {"num_labels": 5},
                   {"labels": torch.randint(0, 5, padding.shape, generator=generator).masked_fill(padding, -100)}),
        "spans": ("GPT2ForQuestionAnswering", {},  # 50 and 100 lie beyond the 9 tokens: ignored
                  {"start_positions": torch.tensor([1, 3, 100]), "end_positions": torch.tensor([2, 50, 4])}),
    }


@pytest.mark.parametrize("case", label_cases())
def test_loss_equal_transformers(tmp_path, case):
    class_name, overrides, labels = label_cases()[case]
    theirs = use_attention(save_theirs(class_name, tmp_path, **overrides), with_weights=False)
    ours = getattr(gpt2, class_name).from_pretrained(tmp_path)
    our_output, _ = assert_same(ours, theirs, **batch(), **labels)
    assert our_output.loss.isfinite()
    assert ours.config.problem_type == theirs.config.problem_type


def test_causal_lm_loss_is_the_next_tokens_cross_entropy(saved):
    _, folder = saved("GPT2LMHeadModel")
    ours = GPT2LMHeadModel.from_pretrained(folder)
    ids = batch()["input_ids"][:1, :6]
    output = run(ours, input_ids=ids, labels=ids)
    expected = torch.nn.functional.cross_entropy(output.logits[0, :-1], ids[0, 1:])
    torch.testing.assert_close(output.loss, expected)


# --- sequence classification: the last real token -----------------------------------------------------------


def test_the_classified_token_is_the_last_that_is_not_padding(tmp_path):
    """Each row's last real token; without pad_token_id only a single row can be classified."""
    theirs = use_attention(save_theirs("GPT2ForSequenceClassification", tmp_path), with_weights=False)
    ours = gpt2.GPT2ForSequenceClassification.from_pretrained(tmp_path)
    right = run(ours, **batch("right"))
    scores = run(ours.score, input=run(ours.transformer, **batch("right")).last_hidden_state)
    torch.testing.assert_close(right.logits, scores[torch.arange(3), torch.tensor(LENGTHS) - 1])
    embeds = ours.get_input_embeddings()(batch()["input_ids"]).detach()
    assert_same(ours, theirs, inputs_embeds=embeds)  # no ids: the last position, as transformers
    ours.config.pad_token_id = theirs.config.pad_token_id = None
    assert_same(ours, theirs, input_ids=batch()["input_ids"][:1])
    with pytest.raises(errors.ModelInputError, match="pad_token_id"):
        ours(**batch())


# --- explorer saves, transformers loads ---------------------------------------------------------------------


@pytest.mark.parametrize("class_name", CLASSES)
def test_transformers_loads_what_explorer_saves(tmp_path, class_name):
    torch.manual_seed(0)
    ours = getattr(gpt2, class_name).from_config(GPT2Config(**TINY))
    randomize_norms_and_biases(ours, seed=0)
    ours.save_pretrained(tmp_path)
    theirs, info = getattr(transformers, class_name).from_pretrained(tmp_path, output_loading_info=True)
    assert not (info["missing_keys"] or info["unexpected_keys"] or info["mismatched_keys"]), info
    use_attention(theirs.eval(), with_weights=True)
    assert_same(ours, theirs, **batch("left"), output_hidden_states=True, output_attentions=True)


def test_auto_classes_load_each_head(saved):
    _, folder = saved("GPT2LMHeadModel")
    assert type(AutoModelForCausalLM.from_pretrained(folder)) is GPT2LMHeadModel
    assert type(AutoModel.from_pretrained(folder)) is GPT2Model
    assert registry.auto_class_for_architecture("gpt2", "GPT2LMHeadModel") == "AutoModelForCausalLM"


# --- load reports -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("class_name", HEADS)
def test_load_report_across_heads_is_transformers(saved, class_name):
    """A base checkpoint into each head, and each head's checkpoint into the base model."""
    for model_name, checkpoint_name in ((class_name, "GPT2Model"), ("GPT2Model", class_name)):
        _, folder = saved(checkpoint_name)
        ours = getattr(gpt2, model_name).from_pretrained(folder)
        _, info = getattr(transformers, model_name).from_pretrained(folder, output_loading_info=True)
        assert set(ours.load_report.missing) == info["missing_keys"], (model_name, checkpoint_name)
        assert set(ours.load_report.unexpected) == info["unexpected_keys"], (model_name, checkpoint_name)
    lm_into_base = GPT2Model.from_pretrained(saved("GPT2LMHeadModel")[1]).load_report
    assert lm_into_base.is_clean  # the tied lm_head is not saved: nothing left over
    assert set(gpt2.GPT2ForTokenClassification.from_pretrained(saved("GPT2Model")[1]).load_report.missing) == {
        "classifier.weight", "classifier.bias"}


def test_older_checkpoints_causal_mask_buffers_are_ignored_as_by_transformers(tmp_path):
    """OpenAI's GPT-2 checkpoints carry each layer's causal mask as ``h.N.attn.bias``."""
    theirs = save_theirs("GPT2LMHeadModel", tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    for layer in range(LAYERS):
        weights[f"transformer.h.{layer}.attn.bias"] = torch.ones(1, 1, POSITIONS, POSITIONS).tril()
        weights[f"transformer.h.{layer}.attn.masked_bias"] = torch.tensor(-1e4)
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    ours = GPT2LMHeadModel.from_pretrained(tmp_path)
    _, info = transformers.GPT2LMHeadModel.from_pretrained(tmp_path, output_loading_info=True)
    assert set(ours.load_report.unexpected) == info["unexpected_keys"] == {
        f"transformer.h.{layer}.attn.masked_bias" for layer in range(LAYERS)}
    assert_same(ours, use_attention(theirs, False), **batch())


# --- initialisation -----------------------------------------------------------------------------------------

WIDE = TINY | {"n_embd": 64, "n_inner": 256, "n_layer": 8}  # enough weights to measure a spread


def spreads(model: Any) -> dict[str, float]:
    """The standard deviation of layer 0's projections, named by their checkpoint keys."""
    return {name: float(parameter.detach().std()) for name, parameter in model.named_parameters()
            if ".h.0." in f".{name}" and name.endswith("weight") and ("c_" in name)}


def test_from_config_initialises_as_transformers():
    """Residual projections (c_proj) get initializer_range / sqrt(2 * n_layer), the others initializer_range."""
    torch.manual_seed(0)
    ours = spreads(GPT2Model.from_config(GPT2Config(**WIDE)))
    theirs = spreads(transformers.GPT2Model(transformers.GPT2Config(**WIDE)))
    assert set(ours) == set(theirs) == {"h.0.attn.c_attn.weight", "h.0.attn.c_proj.weight", "h.0.mlp.c_fc.weight",
                                        "h.0.mlp.c_proj.weight"}
    scaled = 0.02 / math.sqrt(2 * WIDE["n_layer"])
    for name, spread in ours.items():
        expected = scaled if "c_proj" in name else 0.02
        assert spread == pytest.approx(expected, rel=0.1) and theirs[name] == pytest.approx(expected, rel=0.1)


def test_a_missing_projection_is_initialised_scaled(tmp_path):
    save_theirs("GPT2Model", tmp_path, **WIDE)
    weights = load_file(tmp_path / "model.safetensors")
    loaded_bias = weights["h.0.attn.c_proj.bias"]
    del weights["h.0.attn.c_proj.weight"], weights["h.0.mlp.c_fc.weight"]
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    ours = GPT2Model.from_pretrained(tmp_path)
    assert set(ours.load_report.missing) == {"h.0.attn.c_proj.weight", "h.0.mlp.c_fc.weight"}
    assert float(ours.h[0].attn.c_proj.weight.detach().std()) == pytest.approx(0.02 / math.sqrt(16), rel=0.1)
    assert float(ours.h[0].mlp.c_fc.weight.detach().std()) == pytest.approx(0.02, rel=0.1)
    assert torch.equal(ours.h[0].attn.c_proj.bias, loaded_bias)  # the loaded neighbour is kept


# --- configuration ------------------------------------------------------------------------------------------


def test_config_defaults_are_transformers():
    theirs = transformers.GPT2Config().to_dict()
    ours = GPT2Config().to_dict()
    for name in ("transformers_version", "_name_or_path"):
        theirs.pop(name)
        ours.pop(name, None)
    assert ours == theirs


def test_config_common_names_read_and_write_gpt2_names(saved):
    config = GPT2Config(**TINY)
    assert (config.hidden_size, config.num_attention_heads, config.num_hidden_layers,
            config.max_position_embeddings) == (32, 4, 2, 64)
    config.hidden_size = 64
    assert config.n_embd == 64 and "hidden_size" not in config.to_dict()
    _, folder = saved("GPT2Model")
    assert GPT2Config.from_pretrained(folder).to_dict().items() >= {"n_inner": 37, "n_positions": 64}.items()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"n_head": 0}, "n_head"),
        ({"n_embd": 30}, "n_embd"),
        ({"n_embd": 10**12}, "n_embd"),
        ({"n_layer": -1}, "n_layer"),
        ({"n_positions": 0}, "n_positions"),
        ({"n_inner": 0}, "n_inner"),
        ({"vocab_size": 10**12}, "vocab_size"),
        ({"attn_pdrop": 1.5}, "attn_pdrop"),
        ({"resid_pdrop": -0.1}, "resid_pdrop"),
        ({"layer_norm_epsilon": -1.0}, "layer_norm_epsilon"),
        ({"activation_function": "gelu_fancy"}, "activation_function"),
        ({"scale_attn_weights": "yes"}, "scale_attn_weights"),
        ({"add_cross_attention": True}, "add_cross_attention"),
        ({"pruned_heads": {"0": [1]}}, "pruned_heads"),
    ],
)
def test_invalid_config_is_refused_naming_the_field(overrides, field):
    start = time.perf_counter()
    with pytest.raises(errors.ConfigValueError, match=field):
        GPT2Model(GPT2Config(**(TINY | overrides)))
    assert time.perf_counter() - start < 1.0
