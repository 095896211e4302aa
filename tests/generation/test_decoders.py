"""explorer's own decoders generate what transformers' generate: each tiny random transformers causal LM is saved
and loaded by explorer, and both libraries' ``generate`` run on the same left-padded batch (greedy for 64 new
tokens; sampling from the same seed; scores)."""

from __future__ import annotations

import pytest
import torch
import transformers

import explorer

from .adapter import BOS, EOS, MODELS, PAD, POSITIONS, VOCAB, both_generate, left_padded


def tiny_qwen2(seed: int = 0, **sliding: object):
    torch.manual_seed(seed)
    config = transformers.Qwen2Config(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=POSITIONS,
                                      bos_token_id=BOS, eos_token_id=EOS, tie_word_embeddings=True,
                                      attn_implementation="eager", **sliding)
    return transformers.Qwen2ForCausalLM(config).eval()


def tiny_qwen2_sliding():
    """The upper layer attends to the last 5 positions only: 64 new tokens go far past its window."""
    return tiny_qwen2(use_sliding_window=True, sliding_window=5, max_window_layers=1)


BUILDERS = {**MODELS, "qwen2": tiny_qwen2, "qwen2-sliding": tiny_qwen2_sliding}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def pair(request, tmp_path_factory):
    theirs = BUILDERS[request.param]()
    folder = tmp_path_factory.mktemp(request.param)
    theirs.save_pretrained(folder)
    ours = explorer.AutoModelForCausalLM.from_pretrained(folder)
    assert type(ours).__module__ == f"explorer.models.{theirs.config.model_type}"
    return theirs, ours


def test_greedy_ids_for_64_new_tokens_on_a_left_padded_batch(pair):
    theirs, ours = pair
    expected, got = both_generate(theirs, ours, **left_padded(), max_new_tokens=64, pad_token_id=PAD)
    assert got.shape == (3, 7 + 64) and torch.equal(got, expected)


@pytest.mark.parametrize("settings", [{"temperature": 0.8, "top_k": 20}, {"top_p": 0.9, "min_p": 0.05},
                                      {"repetition_penalty": 1.3, "num_return_sequences": 2}],
                         ids=lambda s: ",".join(s))
def test_sampling_from_the_same_seed_draws_the_same_tokens(pair, settings):
    theirs, ours = pair
    expected, got = both_generate(theirs, ours, seed=11, **left_padded(), max_new_tokens=24, do_sample=True,
                                  pad_token_id=PAD, **settings)
    assert torch.equal(got, expected)


def test_scores_are_equal(pair):
    theirs, ours = pair
    asked = dict(max_new_tokens=8, pad_token_id=PAD, return_dict_in_generate=True, output_scores=True,
                 output_logits=True)
    expected, got = both_generate(theirs, ours, **left_padded(), **asked)
    assert torch.equal(got.sequences, expected.sequences)
    for mine, reference in zip([*got.scores, *got.logits], [*expected.scores, *expected.logits]):
        torch.testing.assert_close(mine, reference, atol=1e-5, rtol=0)


def test_a_loaded_decoder_reads_its_generation_config(pair, tmp_path):
    theirs, _ = pair
    theirs.generation_config.max_new_tokens = 5
    theirs.save_pretrained(tmp_path)
    theirs.generation_config.max_new_tokens = None  # the fixture's model is shared by the other tests
    ours = explorer.AutoModelForCausalLM.from_pretrained(tmp_path)
    assert ours.generation_config.max_new_tokens == 5
    assert ours.generate(**left_padded()).shape[1] == 7 + 5


def test_what_generate_returns_can_be_differentiated_afterwards(pair):
    """The loop runs in inference mode; the ids, scores and cache it returns are copies made outside it, as
    transformers' generate (no_grad only) returns them: a forward on them can be trained through."""
    _, ours = pair
    got = ours.generate(**left_padded(), max_new_tokens=3, pad_token_id=PAD, return_dict_in_generate=True,
                        output_scores=True)
    cached = [tensor for layer in got.cache.layers for tensor in (layer.keys, layer.values)]
    returned = [got.sequences, *got.scores, *cached]
    assert not any(tensor.is_inference() for tensor in returned)
    ours(got.sequences).logits.sum().backward()
    assert ours.get_input_embeddings().weight.grad is not None
    ours.zero_grad(set_to_none=True)  # the fixture's model is shared by the other tests
