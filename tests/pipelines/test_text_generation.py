"""text-generation against transformers' pipeline on tiny random GPT-2, Llama and Qwen2 checkpoints saved by
transformers (tests/decoders.py, with a ChatML template and a pad token) and on the catalog's trained decoders:
greedy and sampled text (the same torch seed), single prompts, lists and batches, return_full_text,
return_tensors, num_return_sequences, a prefix, chats; the steps record; bad inputs."""

from __future__ import annotations

import json

import pytest
import torch
import transformers

import explorer
from explorer import errors
from explorer.catalog import find

from pipeline_checks import assert_same_results
from tests.decoders import END_OF_TEXT, save_tiny_decoder
from tests.tokenization.cases import CHATML_TEMPLATE

PROMPTS = ["In a hole in the ground", "The quick brown fox jumps over the lazy dog, and", "A"]
CHAT = [{"role": "user", "content": "Hello! How are you today?"}]
SYSTEM_CHAT = [{"role": "system", "content": "You are a hobbit."}, {"role": "user", "content": "Hello!"}]
PREFILL = [*CHAT, {"role": "assistant", "content": "I am"}]  # ends with the assistant: continued, not answered
CATALOG_PROMPTS = ["In this case, the", "The module", "To read a file, use"]
CATALOG_CHATS = [[{"role": "user", "content": "What is 38 plus 47?"}],
                 [{"role": "user", "content": "What is the capital of France?"}]]

# name -> what its tokenizer has: a chat template, a pad token (needed for batches)
MODELS = {"gpt2": {"chat", "pad"}, "llama": {"chat", "pad"}, "qwen2": {"chat", "pad"},
          "explorer-catalog/gpt2-python-docs": set(), "explorer-catalog/qwen2-chat": {"chat", "pad"}}
GREEDY = {"do_sample": False}
# (keywords, inputs, what the tokenizer needs); sampling is the pipeline's default (temperature 0.7)
CALLS = [
    ({"max_new_tokens": 8, **GREEDY}, PROMPTS[0], set()),
    ({"max_new_tokens": 8, **GREEDY}, PROMPTS, set()),
    ({"max_new_tokens": 8, **GREEDY, "batch_size": 2}, PROMPTS, {"pad"}),
    ({"max_new_tokens": 8}, PROMPTS[1], set()),
    ({"max_new_tokens": 8}, PROMPTS, set()),
    ({"max_new_tokens": 8, "batch_size": 3, "top_k": 5, "temperature": 1.3}, PROMPTS, {"pad"}),
    ({"max_new_tokens": 6, "top_p": 0.8, "repetition_penalty": 1.2}, PROMPTS[0], set()),
    ({"max_new_tokens": 6, "return_full_text": False, "num_return_sequences": 3}, PROMPTS[1], set()),
    ({"max_new_tokens": 6, "return_full_text": True, "num_return_sequences": 2, "batch_size": 2}, PROMPTS, {"pad"}),
    ({"max_new_tokens": 6, "return_full_text": False, **GREEDY, "batch_size": 3}, PROMPTS, {"pad"}),
    ({"max_new_tokens": 5, "return_tensors": True, **GREEDY, "batch_size": 2}, PROMPTS, {"pad"}),
    ({"max_new_tokens": 5, **GREEDY, "prefix": "Not a nasty hole. "}, PROMPTS[0], set()),
    ({"max_new_tokens": 5, **GREEDY, "skip_special_tokens": False}, PROMPTS[0], set()),
    ({"max_new_tokens": 8, **GREEDY}, CHAT, {"chat"}),
    ({"max_new_tokens": 8}, SYSTEM_CHAT, {"chat"}),
    ({"max_new_tokens": 6, **GREEDY}, PREFILL, {"chat"}),
    ({"max_new_tokens": 6, "return_full_text": False, **GREEDY}, CHAT, {"chat"}),
    ({"max_new_tokens": 8, "batch_size": 2}, [CHAT, SYSTEM_CHAT, PREFILL], {"chat", "pad"}),
]
CASES = [(name, call) for name, has in MODELS.items() for call in range(len(CALLS)) if CALLS[call][2] <= has]


def tiny_decoder(folder, arch: str) -> str:
    """A tiny random ``arch`` causal LM with the ChatML template, its end-of-text token as the pad token."""
    save_tiny_decoder(folder, arch, chat_template=CHATML_TEMPLATE)
    settings = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**settings, "pad_token": END_OF_TEXT}))
    return str(folder)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    made: dict[str, str] = {}

    def get(name: str) -> str:
        if name not in made:
            made[name] = (str(find(name).path()) if name.startswith("explorer-catalog/")
                          else tiny_decoder(tmp_path_factory.mktemp(name), name))
        return made[name]

    return get


@pytest.fixture(scope="module")
def pairs(folders):
    made: dict[str, tuple] = {}

    def get(name: str) -> tuple:
        if name not in made:
            made[name] = (explorer.pipeline("text-generation", model=folders(name)),
                          transformers.pipeline("text-generation", model=folders(name)))
        return made[name]

    return get


def catalog_inputs(name: str, inputs):
    """The catalog models get prompts and chats like those they were trained on."""
    if not name.startswith("explorer-catalog/"):
        return inputs
    replaced = {PROMPTS[0]: CATALOG_PROMPTS[0], PROMPTS[1]: CATALOG_PROMPTS[1], CHAT[0]["content"]:
                CATALOG_CHATS[0][0]["content"]}
    if isinstance(inputs, str):
        return replaced.get(inputs, inputs)
    if isinstance(inputs, list) and isinstance(inputs[0], dict):
        return [{**message, "content": replaced.get(message["content"], message["content"])} for message in inputs]
    return [catalog_inputs(name, item) for item in inputs]


def both(pair, inputs, **kwargs):
    """Each library's result from the same torch seed."""
    results = []
    for pipe in pair:
        torch.manual_seed(7)
        results.append(pipe(inputs, **kwargs))
    return results


@pytest.mark.parametrize("name, call", CASES, ids=[f"{name}-{call}" for name, call in CASES])
def test_results_equal_transformers(pairs, name, call):
    kwargs, inputs, _ = CALLS[call]
    ours, theirs = both(pairs(name), catalog_inputs(name, inputs), **kwargs)
    assert_same_results(ours, theirs)


def test_the_trained_models_write_text_and_answer_chats(pairs):
    # tests that empty or unchanged outputs would pass prove little: the trained models continue their prompts
    text = pairs("explorer-catalog/gpt2-python-docs")[0](CATALOG_PROMPTS[0], do_sample=False)[0]["generated_text"]
    assert text.startswith(CATALOG_PROMPTS[0]) and len(text) > len(CATALOG_PROMPTS[0]) + 10
    reply = pairs("explorer-catalog/qwen2-chat")[0](CATALOG_CHATS[0], do_sample=False)[0]["generated_text"]
    assert reply[:1] == CATALOG_CHATS[0] and reply[1]["role"] == "assistant" and "85" in reply[1]["content"]


def test_a_generation_config_replaces_the_pipelines_settings(folders):
    made = {"max_new_tokens": 4, "do_sample": True, "top_k": 3}
    ours_made = explorer.pipeline("text-generation", model=folders("llama"), **made)
    theirs_made = transformers.pipeline("text-generation", model=folders("llama"), **made)
    assert_same_results(*both((ours_made, theirs_made), PROMPTS))
    configs = (explorer.GenerationConfig(max_new_tokens=6, do_sample=False),
               transformers.GenerationConfig(max_new_tokens=6, do_sample=False))
    results = []
    for pipe, config in zip((ours_made, theirs_made), configs):
        torch.manual_seed(7)
        results.append(pipe(PROMPTS, generation_config=config))
    assert_same_results(*results)
    settings = ours_made.steps.items[0].postprocessing[0].value
    assert settings["generation_config"]["max_new_tokens"] == 6 and "top_k" not in settings


def test_scores_asked_of_generate_come_with_each_sequence(pairs):
    ours, theirs = both(pairs("qwen2"), PROMPTS[:2], max_new_tokens=3, do_sample=False, batch_size=2,
                        return_dict_in_generate=True, output_scores=True)
    assert list(ours[0][0]) == ["generated_text", "scores"] and len(ours[0][0]["scores"]) == 3
    assert_same_results(ours, theirs)


def test_the_default_new_tokens_stop_at_the_models_positions(pairs):
    ours, theirs = pairs("gpt2")  # 64 positions: the pipeline's 256 new tokens cannot fit
    ids = ours(PROMPTS[0], return_tensors=True)[0]["generated_token_ids"]
    assert len(ids) == ours.model.config.n_positions
    assert ours.steps.items[0].postprocessing[0].value["max_new_tokens"] == 64 - len(
        ours.tokenizer(PROMPTS[0])["input_ids"])
    # where the text ends before, it is transformers' (the trained model ends its sentences)
    assert_same_results(*both(pairs("explorer-catalog/gpt2-python-docs"), CATALOG_PROMPTS[0]))


def test_steps_show_the_prompt_tokens_new_ids_and_text(pairs):
    pipe = pairs("qwen2")[0]
    result = pipe(PROMPTS[:2], batch_size=2, max_new_tokens=4, do_sample=False, return_full_text=False)
    first, second = pipe.steps.items
    assert first.input == PROMPTS[0] and first.output == result[0]
    prompt = pipe.tokenizer(PROMPTS[0])["input_ids"]
    padded = first.chunks[0].model_inputs["input_ids"][0]
    assert padded[len(padded) - len(prompt):] == prompt and set(padded[:len(padded) - len(prompt)]) == {
        pipe.tokenizer.pad_token_id}  # padded on the left, up to the batch's longer prompt
    assert first.chunks[0].tokens == pipe.tokenizer.convert_ids_to_tokens(padded)
    assert [step.name for step in first.postprocessing] == ["generate", "new tokens", "decode"]
    settings, new_ids, decoded = (step.value for step in first.postprocessing)
    assert settings == {"max_new_tokens": 4, "do_sample": False, "pad_token_id": pipe.tokenizer.pad_token_id}
    assert first.chunks[0].model_outputs["generated_sequence"][0][0][len(padded):] == new_ids[0]
    assert len(new_ids[0]) == 4 and decoded == [pipe.tokenizer.decode(new_ids[0], skip_special_tokens=True)]
    assert decoded == [result[0][0]["generated_text"]] and len(second.chunks[0].model_inputs["input_ids"][0]) == len(
        padded)
    assert pipe.steps.to_dict()["items"][1]["postprocessing"][2]["value"] == [result[1][0]["generated_text"]]


def test_the_offline_default_is_the_catalogs_trained_gpt2():
    pipe = explorer.pipeline("text-generation")
    assert pipe.model.config.name_or_path == "explorer-catalog/gpt2-python-docs"


def test_a_model_without_a_causal_lm_head_is_named(tiny):
    with pytest.raises(errors.TaskHeadMismatchError, match="has no AutoModelForCausalLM class, so it cannot serve "
                                                           "text-generation"):
        explorer.pipeline("text-generation", model=str(tiny("DistilBertForMaskedLM")))


def test_a_chat_without_a_template_is_the_tokenizers_error(pairs):
    with pytest.raises(errors.NoChatTemplateError):
        pairs("explorer-catalog/gpt2-python-docs")[0](CHAT, max_new_tokens=2)


def test_a_batch_needs_a_pad_token(pairs):
    with pytest.raises(errors.PipelineInputError, match="^batch_size=2: the tokenizer has no pad token"):
        pairs("explorer-catalog/gpt2-python-docs")[0](CATALOG_PROMPTS, batch_size=2)


@pytest.mark.parametrize("inputs", [3, [3], [{"role": "user"}], [[{"role": "user", "content": "Hi"}, "Hi"]]])
def test_bad_inputs_name_the_argument(pairs, inputs):
    with pytest.raises(errors.PipelineInputError, match="^inputs: "):
        pairs("llama")[0](inputs, max_new_tokens=2)


@pytest.mark.parametrize("kwargs", [{"return_full_text": False, "return_tensors": True},
                                    {"return_full_text": True, "return_text": True},
                                    {"return_tensors": True, "return_text": True}])
def test_exclusive_return_flags_are_named(pairs, kwargs):
    with pytest.raises(errors.PipelineInputError, match=r"\w+ with ".join(f"{key}=" for key in kwargs)):
        pairs("llama")[0](PROMPTS[0], max_new_tokens=2, **kwargs)


def test_a_stop_sequence_is_refused_by_generate_naming_stop_strings(pairs):
    with pytest.raises(errors.UnsupportedGenerationError, match=r"stop_strings=\['dog'\]"):
        pairs("llama")[0](PROMPTS[0], max_new_tokens=2, stop_sequence="dog")
