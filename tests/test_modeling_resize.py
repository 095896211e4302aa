"""``resize_token_embeddings`` against transformers, tensor by tensor, for every architecture with token
embeddings: the same seed before each library's call gives the same new rows (mean-initialised, or by the
architecture's initialisation), the same tied or untied output layer and bias, the same config, and the same
random state afterwards (both made the same draws); then each library reloads the other's resized save."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
import transformers

import explorer
from explorer import errors
from parity import (
    assert_outputs_equal,
    our_loading_info,
    padded_batch,
    run,
    their_loading_info,
    tiny_transformers_model,
)

VOCAB = 99
ENCODER = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 37,
           "vocab_size": VOCAB, "max_position_embeddings": 64}
DECODER = {**ENCODER, "num_key_value_heads": 2, "pad_token_id": 0}
DISTILBERT = {"dim": 32, "n_layers": 2, "n_heads": 4, "hidden_dim": 37, "vocab_size": VOCAB,
              "max_position_embeddings": 64}
GPT2 = {"n_embd": 32, "n_layer": 2, "n_head": 4, "n_inner": 37, "vocab_size": VOCAB, "n_positions": 64,
        "pad_token_id": 0, "bos_token_id": VOCAB - 1, "eos_token_id": VOCAB - 1}
CLIP_TEXT = {**ENCODER, "max_position_embeddings": 16, "bos_token_id": 97, "eos_token_id": 98, "pad_token_id": 1}


@dataclass(frozen=True)
class Case:
    """One model class with token embeddings, its config class and tiny config."""

    model: str
    config: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def save_theirs(self, folder: Path, **overrides: Any) -> Any:
        return tiny_transformers_model(self.model, self.config, folder, **{**self.arguments, **overrides})

    def ours(self) -> type:
        return getattr(explorer, self.model)

    def theirs(self) -> type:
        return getattr(transformers, self.model)


CASES = {
    "bert-mlm": Case("BertForMaskedLM", "BertConfig", ENCODER),  # tied decoder with its own bias
    "bert-mlm-untied": Case("BertForMaskedLM", "BertConfig", {**ENCODER, "tie_word_embeddings": False}),
    "bert-base": Case("BertModel", "BertConfig", ENCODER),
    "distilbert-mlm": Case("DistilBertForMaskedLM", "DistilBertConfig", DISTILBERT),
    "roberta-mlm": Case("RobertaForMaskedLM", "RobertaConfig", {**ENCODER, "pad_token_id": 1}),
    "roberta-mlm-untied": Case("RobertaForMaskedLM", "RobertaConfig",
                               {**ENCODER, "pad_token_id": 1, "tie_word_embeddings": False}),
    "gpt2-lm": Case("GPT2LMHeadModel", "GPT2Config", GPT2),
    "gpt2-lm-untied": Case("GPT2LMHeadModel", "GPT2Config", {**GPT2, "tie_word_embeddings": False}),
    "llama-lm": Case("LlamaForCausalLM", "LlamaConfig", DECODER),  # untied, Llama's default
    "llama-lm-tied": Case("LlamaForCausalLM", "LlamaConfig", {**DECODER, "tie_word_embeddings": True}),
    "qwen2-lm-tied": Case("Qwen2ForCausalLM", "Qwen2Config", {**DECODER, "tie_word_embeddings": True}),
    "qwen2-lm-untied": Case("Qwen2ForCausalLM", "Qwen2Config", {**DECODER, "tie_word_embeddings": False}),
    "clip-text": Case("CLIPTextModel", "CLIPTextConfig", CLIP_TEXT),
}
# (new_num_tokens, pad_to_multiple_of, mean_resizing)
RESIZES = {
    "grow-mean": (VOCAB + 5, None, True),
    "grow-init": (VOCAB + 5, None, False),
    "grow-padded": (VOCAB + 5, 16, True),
    "pad-only": (None, 8, True),
    "shrink": (VOCAB - 9, None, True),
    "same-size": (VOCAB, None, True),
    "nothing": (None, None, True),
}
SEED = 1234
ATOL = 1e-6


def resized_pair(case: Case, folder: Path, resize: tuple[int | None, int | None, bool],
                 dtype: torch.dtype = torch.float32, **overrides: Any):
    """transformers' model and explorer's load of its save, both resized after the same seed (both must leave
    the random generator in the same state: they made the same draws)."""
    theirs = case.save_theirs(folder, **overrides).to(dtype)
    theirs.save_pretrained(folder)
    ours = case.ours().from_pretrained(folder, dtype=dtype)
    new_num_tokens, multiple, mean_resizing = resize
    torch.manual_seed(SEED)
    their_embeddings = theirs.resize_token_embeddings(new_num_tokens, multiple, mean_resizing=mean_resizing)
    their_state = torch.get_rng_state()
    torch.manual_seed(SEED)
    our_embeddings = ours.resize_token_embeddings(new_num_tokens, multiple, mean_resizing=mean_resizing)
    assert torch.equal(torch.get_rng_state(), their_state), "the two made different random draws"
    assert our_embeddings is ours.get_input_embeddings()
    assert their_embeddings is theirs.get_input_embeddings()
    return ours, theirs


def assert_same_tensors(ours: torch.nn.Module, theirs: torch.nn.Module) -> None:
    mine, reference = ours.state_dict(), theirs.state_dict()
    assert mine.keys() == reference.keys()
    for key, tensor in mine.items():
        assert tensor.shape == reference[key].shape, key
        torch.testing.assert_close(tensor, reference[key], atol=ATOL, rtol=0, msg=key)


def assert_same_layout(ours: Any, theirs: Any) -> None:
    """The config's vocabulary, the embedding module's fields, the output layer's size and whether it is tied."""
    assert ours.config.vocab_size == theirs.config.vocab_size
    mine, reference = ours.get_input_embeddings(), theirs.get_input_embeddings()
    assert (mine.num_embeddings, mine.padding_idx) == (reference.num_embeddings, reference.padding_idx)
    if theirs.get_output_embeddings() is None:
        assert ours.get_output_embeddings() is None
        return
    head, their_head = ours.get_output_embeddings(), theirs.get_output_embeddings()
    assert head.out_features == their_head.out_features
    assert (head.weight is mine.weight) == (their_head.weight is reference.weight)


def batch(case: Case) -> dict[str, Any]:
    """A padded batch whose first column is the last new id (VOCAB + 4)."""
    pad = case.arguments.get("pad_token_id") or 0
    inputs: dict[str, Any] = padded_batch(VOCAB, pad_id=pad, type_vocab_size=2 if case.config in {
        "BertConfig", "RobertaConfig"} else None)
    inputs["input_ids"][:, 0] = VOCAB + 4
    if case.config in {"GPT2Config", "LlamaConfig", "Qwen2Config"}:
        inputs["use_cache"] = False
    return inputs


@pytest.mark.parametrize("resize", RESIZES.values(), ids=RESIZES.keys())
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_resized_models_equal_transformers(case, resize, tmp_path):
    ours, theirs = resized_pair(case, tmp_path, resize)
    assert_same_layout(ours, theirs)
    assert_same_tensors(ours, theirs)


RELOADABLE = {name: case for name, case in CASES.items() if name != "roberta-mlm-untied"}  # see below


@pytest.mark.parametrize("case", RELOADABLE.values(), ids=RELOADABLE.keys())
def test_resized_saves_reload_both_ways(case, tmp_path):
    """Each resized save, explorer's and transformers', is loaded by both libraries: the same report of missing
    and unexpected keys, the same tensors, and the same outputs on a batch that uses a new id. (transformers'
    untied BERT saves the head's bias once and misses the decoder's on reload; explorer reports the same.)"""
    ours, theirs = resized_pair(case, tmp_path / "start", RESIZES["grow-mean"])
    ours.save_pretrained(tmp_path / "ours")
    theirs.save_pretrained(tmp_path / "theirs")
    for folder in (tmp_path / "ours", tmp_path / "theirs"):
        loaded_by_us = case.ours().from_pretrained(folder)
        loaded_by_them = case.theirs().from_pretrained(folder).eval()
        assert our_loading_info(loaded_by_us) == their_loading_info(case.theirs(), folder)
        assert_same_layout(loaded_by_us, loaded_by_them)
        assert_same_tensors(loaded_by_us, loaded_by_them)
        assert_outputs_equal(run(loaded_by_us, **batch(case)), run(loaded_by_them, **batch(case)))


def test_untied_roberta_keeps_its_unused_bias_as_transformers(tmp_path):
    """transformers' untied RoBERTa head keeps its own, unused ``lm_head.bias`` at the old size (its
    set_output_embeddings moves only the decoder): neither library reloads that save."""
    ours, theirs = resized_pair(CASES["roberta-mlm-untied"], tmp_path / "start", RESIZES["grow-mean"])
    assert ours.lm_head.bias.shape == theirs.lm_head.bias.shape == (VOCAB,)
    ours.save_pretrained(tmp_path / "ours")
    with pytest.raises(RuntimeError, match="mismatched"):
        transformers.RobertaForMaskedLM.from_pretrained(tmp_path / "ours")
    with pytest.raises(errors.ShapeMismatchError, match="lm_head.bias"):
        explorer.RobertaForMaskedLM.from_pretrained(tmp_path / "ours")


def test_a_covariance_that_is_not_positive_definite_gives_the_mean(tmp_path):
    """Fewer rows than dimensions: the covariance is singular, and transformers falls back to the mean."""
    case = Case("LlamaForCausalLM", "LlamaConfig", {**DECODER, "vocab_size": 16, "hidden_size": 64})
    ours, theirs = resized_pair(case, tmp_path, (19, None, True))
    assert_same_tensors(ours, theirs)
    new_rows = ours.get_input_embeddings().weight[16:]
    assert torch.equal(new_rows, ours.get_input_embeddings().weight[:16].mean(dim=0).expand(3, -1))


def test_mean_rows_stay_in_the_models_dtype(tmp_path):
    ours, theirs = resized_pair(CASES["gpt2-lm"], tmp_path, RESIZES["grow-mean"], dtype=torch.bfloat16)
    assert ours.get_input_embeddings().weight.dtype == torch.bfloat16
    assert_same_tensors(ours, theirs)


def test_shrinking_below_the_padding_row_forgets_it(tmp_path):
    ours, theirs = resized_pair(CASES["roberta-mlm"], tmp_path / "roberta", (1, None, True))
    assert ours.get_input_embeddings().padding_idx is None
    assert_same_layout(ours, theirs)


def test_clip_model_resizes_its_text_tower(tmp_path):
    """transformers' CLIPModel has no input embeddings of its own; explorer's resizes the text tower's, the
    same rows as transformers' CLIPTextModel resized with the same seed."""
    case = CASES["clip-text"]
    theirs = case.save_theirs(tmp_path)
    joint = explorer.CLIPModel(explorer.CLIPConfig(text_config=CLIP_TEXT, vision_config={
        "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 37,
        "image_size": 32, "patch_size": 8}))
    joint.text_model.load_state_dict(theirs.state_dict())
    torch.manual_seed(SEED)
    theirs.resize_token_embeddings(VOCAB + 5)
    torch.manual_seed(SEED)
    joint.resize_token_embeddings(VOCAB + 5)
    assert_same_tensors(joint.text_model, theirs)
    assert joint.config.text_config.vocab_size == VOCAB + 5


@pytest.mark.parametrize("multiple", [0, 2.5, True])
def test_a_bad_multiple_is_refused(multiple):
    model = explorer.GPT2LMHeadModel(explorer.GPT2Config(**GPT2))
    with pytest.raises(errors.ConfigValueError, match="pad_to_multiple_of"):
        model.resize_token_embeddings(VOCAB + 1, pad_to_multiple_of=multiple)
