"""generation/utils.py: explorer's generate against transformers' on the same tiny models (greedy and sampling
ids, scores, the output object, eos and padding, lengths), and its typed errors."""

from __future__ import annotations

import pytest
import torch
import transformers

from explorer import errors
from explorer.generation import GenerateDecoderOnlyOutput, GenerationConfig

from .adapter import BOS, EOS, MODELS, PAD, POSITIONS, CausalLMAdapter, both_generate, left_padded

ATOL = 1e-5


@pytest.fixture(scope="module", params=sorted(MODELS))
def models(request):
    theirs = MODELS[request.param]()
    return theirs, CausalLMAdapter(theirs)


@pytest.fixture(scope="module")
def gpt2():
    theirs = MODELS["gpt2"]()
    return theirs, CausalLMAdapter(theirs)


def test_greedy_ids_on_a_left_padded_batch(models):
    theirs, ours = models
    expected, got = both_generate(theirs, ours, **left_padded(), max_new_tokens=64, pad_token_id=PAD)
    assert got.shape == (3, 7 + 64) and torch.equal(got, expected)


def test_without_the_cache_the_ids_are_the_same(gpt2):
    theirs, ours = gpt2
    with_cache = ours.generate(**left_padded(), max_new_tokens=12, pad_token_id=PAD)
    expected, got = both_generate(theirs, ours, **left_padded(), max_new_tokens=12, pad_token_id=PAD, use_cache=False)
    assert torch.equal(got, expected) and torch.equal(got, with_cache)


SAMPLING = [
    {"temperature": 0.7},
    {"top_k": 5},
    {"top_k": 0, "top_p": 0.8},
    {"min_p": 0.2, "temperature": 1.5},
    {"repetition_penalty": 1.8},
    {"repetition_penalty": 0.6, "no_repeat_ngram_size": 2},
    {"temperature": 0.9, "top_k": 20, "top_p": 0.9, "num_return_sequences": 3},
]


@pytest.mark.parametrize("settings", SAMPLING, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_sampling_draws_the_same_tokens_from_the_same_seed(models, settings):
    theirs, ours = models
    expected, got = both_generate(theirs, ours, seed=3, **left_padded(), max_new_tokens=24, do_sample=True,
                                  pad_token_id=PAD, **settings)
    assert got.shape[0] == 3 * settings.get("num_return_sequences", 1)
    assert torch.equal(got, expected)


def test_greedy_no_repeat_ngram_and_penalty(gpt2):
    theirs, ours = gpt2
    expected, got = both_generate(theirs, ours, **left_padded(), max_new_tokens=40, pad_token_id=PAD,
                                  no_repeat_ngram_size=3, repetition_penalty=1.3)
    assert torch.equal(got, expected)
    for row in got.tolist():  # no 3-gram twice (the padding's own zeros aside)
        grams = [tuple(row[i:i + 3]) for i in range(len(row) - 2) if PAD not in row[i:i + 3]]
        assert len(grams) == len(set(grams))


def test_scores_logits_attentions_and_hidden_states(models):
    theirs, ours = models
    asked = dict(max_new_tokens=6, pad_token_id=PAD, do_sample=True, top_k=10, return_dict_in_generate=True,
                 output_scores=True, output_logits=True, output_attentions=True, output_hidden_states=True)
    expected, got = both_generate(theirs, ours, seed=5, **left_padded(), **asked)
    assert isinstance(got, GenerateDecoderOnlyOutput)
    assert list(got.keys()) == list(expected.keys()) == ["sequences", "scores", "logits", "attentions",
                                                         "hidden_states", "cache"]
    assert torch.equal(got.sequences, expected.sequences)
    assert len(got.scores) == len(got.logits) == len(got.attentions) == len(got.hidden_states) == 6
    for ours_step, their_step in zip(got.scores + got.logits, expected.scores + expected.logits):
        torch.testing.assert_close(ours_step, their_step, atol=ATOL, rtol=0)
    per_layer = zip(got.attentions + got.hidden_states, expected.attentions + expected.hidden_states, strict=True)
    for ours_layers, their_layers in per_layer:
        for ours_tensor, their_tensor in zip(ours_layers, their_layers, strict=True):
            torch.testing.assert_close(ours_tensor, their_tensor, atol=ATOL, rtol=0)
    assert got.cache.get_seq_length() == got.sequences.shape[1] - 1  # the last token was never fed back


def test_compute_transition_scores(models):
    theirs, ours = models
    asked = dict(max_new_tokens=8, pad_token_id=PAD, return_dict_in_generate=True, output_scores=True,
                 do_sample=True, top_k=4)
    expected, got = both_generate(theirs, ours, seed=2, **left_padded(), **asked)
    for normalize in (False, True):
        want = theirs.compute_transition_scores(expected.sequences, expected.scores, normalize_logits=normalize)
        have = ours.compute_transition_scores(got.sequences, got.scores, normalize_logits=normalize)
        assert have.shape == (3, 8)
        torch.testing.assert_close(have, want, atol=ATOL, rtol=0)
    with pytest.raises(errors.UnsupportedGenerationError, match="beam_indices"):
        ours.compute_transition_scores(got.sequences, got.scores, beam_indices=torch.zeros(3, 8, dtype=torch.long))


def greedy_new_tokens(ours, steps: int) -> torch.Tensor:
    prompt = left_padded()
    return ours.generate(**prompt, max_new_tokens=steps, eos_token_id=None)[:, prompt["input_ids"].shape[1]:]


def test_eos_in_a_list_ends_rows_and_pads_them(gpt2):
    theirs, ours = gpt2
    new = greedy_new_tokens(ours, 30)
    stops = [int(new[0, 2]), int(new[1, 9])]  # row 0 ends at its 3rd new token at the latest, row 1 its 10th
    expected, got = both_generate(theirs, ours, **left_padded(), max_new_tokens=30, eos_token_id=stops,
                                  pad_token_id=PAD)
    assert torch.equal(got, expected)
    for row in got[:2, 7:].tolist():  # each ends at the first of the two, then is padding
        end = next(i for i, token in enumerate(row) if token in stops)
        assert end <= 9 and row[end + 1:] == [PAD] * (len(row) - end - 1) and len(row) > end + 1


def test_without_pad_token_id_rows_are_padded_with_the_first_eos(gpt2):
    theirs, ours = gpt2
    new = greedy_new_tokens(ours, 20)
    stops = [int(new[0, 1]), EOS]
    expected, got = both_generate(theirs, ours, **left_padded(), max_new_tokens=20, eos_token_id=stops)
    assert torch.equal(got, expected)
    assert got[0, 7 + 2:].tolist() == [stops[0]] * (got.shape[1] - 9)


def test_min_new_tokens_holds_back_the_end(gpt2):
    theirs, ours = gpt2
    first = int(greedy_new_tokens(ours, 1)[0, 0])  # row 0 would end at once
    expected, got = both_generate(theirs, ours, **left_padded(), max_new_tokens=12, min_new_tokens=5,
                                  eos_token_id=first, pad_token_id=PAD, return_dict_in_generate=True,
                                  output_scores=True)
    assert torch.equal(got.sequences, expected.sequences)
    assert first not in got.sequences[0, 7:12].tolist()
    assert all(bool(step[:, first].isneginf().all()) for step in got.scores[:5])
    assert not bool(got.scores[5][:, first].isneginf().all())


def test_the_models_generation_config_and_its_overrides(gpt2):
    theirs, ours = gpt2
    saved = theirs.generation_config, ours.generation_config
    settings = {"do_sample": True, "top_k": 3, "max_new_tokens": 9, "pad_token_id": PAD}
    theirs.generation_config = transformers.GenerationConfig(**settings)
    ours.generation_config = GenerationConfig(**settings)
    try:
        expected, got = both_generate(theirs, ours, seed=1, **left_padded())
        assert got.shape[1] == 7 + 9 and torch.equal(got, expected)
        passed = GenerationConfig(do_sample=False, max_new_tokens=4)
        got = ours.generate(**left_padded(), generation_config=passed, max_new_tokens=5)
        expected = theirs.generate(**left_padded(), max_new_tokens=5,
                                   generation_config=transformers.GenerationConfig(do_sample=False, max_new_tokens=4))
        assert got.shape[1] == 7 + 5 and torch.equal(got, expected)
        assert passed.max_new_tokens == 4  # the config passed is not changed
    finally:
        theirs.generation_config, ours.generation_config = saved


@pytest.mark.filterwarnings("ignore:Using the model-agnostic default `max_length`:UserWarning")
def test_default_length_and_a_prompt_of_bos_alone(gpt2):
    theirs, ours = gpt2
    expected, got = both_generate(theirs, ours, **left_padded(), pad_token_id=PAD)
    assert got.shape[1] == 7 + 20 and torch.equal(got, expected)
    expected, got = both_generate(theirs, ours, max_new_tokens=5, eos_token_id=None)
    assert got[0, 0] == BOS and torch.equal(got, expected)


def test_the_attention_mask_is_inferred_from_padding(gpt2):
    theirs, ours = gpt2
    prompt = left_padded()["input_ids"]
    expected, got = both_generate(theirs, ours, inputs=prompt, max_new_tokens=10, pad_token_id=PAD)
    assert torch.equal(got, expected)
    assert torch.equal(got, ours.generate(**left_padded(), max_new_tokens=10, pad_token_id=PAD))


def test_right_padding_is_warned_about(gpt2, caplog):
    _, ours = gpt2
    prompt = left_padded()
    right = {name: tensor.flip(1) for name, tensor in prompt.items()}
    ours.generate(**right, max_new_tokens=2, pad_token_id=PAD)
    assert "right-padded" in caplog.text


# --- errors ---------------------------------------------------------------------------------------------------


def test_beam_search_and_unimplemented_settings_are_refused(gpt2):
    _, ours = gpt2
    with pytest.raises(errors.UnsupportedGenerationError, match="num_beams=4 \\(beam search\\)"):
        ours.generate(**left_padded(), max_new_tokens=3, num_beams=4)
    with pytest.raises(errors.UnsupportedGenerationError, match="typical_p=0.5"):
        ours.generate(**left_padded(), max_new_tokens=3, do_sample=True, typical_p=0.5)


def test_unknown_keywords_are_named(gpt2):
    _, ours = gpt2
    with pytest.raises(errors.UnexpectedArgumentError, match="max_new_token, temprature"):
        ours.generate(**left_padded(), max_new_token=3, temprature=0.5)


@pytest.mark.parametrize(("settings", "message"), [
    ({"max_new_tokens": 0}, "max_new_tokens must be a whole number from 1"),
    ({"max_new_tokens": -3}, "max_new_tokens must be a whole number from 1"),
    ({"max_new_tokens": 5_000_000}, "max_new_tokens must be a whole number from 1 to 1,048,576"),
    ({"do_sample": True, "temperature": 0.0}, "temperature=0.0 with do_sample=True.*do_sample=False"),
    ({"do_sample": True, "top_p": 0.0}, "top_p must be a number greater than 0"),
    ({"top_k": -1}, "top_k must be a whole number from 0"),
    ({"num_return_sequences": 2}, "num_return_sequences=2 without do_sample=True"),
])
def test_bad_settings_name_the_field(gpt2, settings, message):
    _, ours = gpt2
    with pytest.raises(errors.ConfigValueError, match=message):
        ours.generate(**left_padded(), **settings)


def test_lengths_beyond_the_models_positions(models):
    theirs, ours = models
    field = "n_positions" if hasattr(theirs.config, "n_positions") else "max_position_embeddings"
    long_prompt = torch.ones(1, POSITIONS, dtype=torch.long)
    with pytest.raises(errors.GenerationInputError, match=f"prompt has {POSITIONS} tokens.*{field}={POSITIONS}"):
        ours.generate(long_prompt, max_new_tokens=1)
    with pytest.raises(errors.GenerationInputError, match=f"at most max_new_tokens={POSITIONS - 7}"):
        ours.generate(**left_padded(), max_new_tokens=POSITIONS)
    with pytest.raises(errors.GenerationInputError, match="max_length=5 .*leaves no new token"):
        ours.generate(**left_padded(), max_length=5)


def test_bad_prompts(gpt2):
    _, ours = gpt2
    prompt = left_padded()["input_ids"]
    with pytest.raises(errors.GenerationInputError, match="both inputs and input_ids"):
        ours.generate(prompt, input_ids=prompt, max_new_tokens=2)
    with pytest.raises(errors.GenerationInputError, match=r"shape \[batch, length\].*got \[7\]"):
        ours.generate(prompt[0], max_new_tokens=2)
    with pytest.raises(errors.GenerationInputError, match="no bos_token_id"):
        ours.generate(max_new_tokens=2, bos_token_id=None)
    with pytest.raises(errors.GenerationInputError, match="pad_token_id=-1 cannot fill"):
        ours.generate(prompt, max_new_tokens=2, pad_token_id=-1)
