"""The Generation panel on tiny GPT-2, Llama and Qwen2 checkpoints saved by transformers, with transformers as the
oracle: the bars are the softmax of its last logits, the sliders' sampling set is what its warpers keep (and no
forward pass runs), Step and Generate N give its generate()'s tokens, greedy and sampled from the same seed, the
logit lens and the attention are its hidden states and attentions, the chat box shows its rendered template."""

from __future__ import annotations

import html
import re

import pytest
import torch
import transformers

from explorer.widgets import ExplorerApp
from explorer.widgets import generation
from explorer.widgets.generation import PROMPT
from tests.decoders import POSITIONS, save_tiny_decoder
from tests.tokenization.cases import CHATML_TEMPLATE

ARCHS = ("gpt2", "llama", "qwen2")
ROW = re.compile(r'class="explorer-candidate ([a-z ]+)" data-token-id="(\d+)" data-probability="([0-9.]+)" '
                 r'data-sampling-probability="([0-9.]+)"')


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("decoders")
    made = {arch: save_tiny_decoder(root / arch, arch) for arch in ARCHS}
    made["qwen2-chat"] = save_tiny_decoder(root / "qwen2-chat", "qwen2", chat_template=CHATML_TEMPLATE)
    return made


@pytest.fixture(scope="module")
def oracles(folders):
    """transformers' model and tokenizer of each folder (eager attention, so it returns attention weights)."""
    return {name: (transformers.AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").eval(),
                   transformers.AutoTokenizer.from_pretrained(folder)) for name, folder in folders.items()}


def opened(folders, name: str) -> ExplorerApp:
    app = ExplorerApp()
    app.load(str(folders[name]))
    assert app.state.status == "ready", app.message.value
    app.show("generation")
    return app


def rows(panel) -> list[tuple[set[str], int, float, float]]:
    """(classes, token id, probability, sampling probability) of each bar, as the HTML shows them."""
    return [(set(classes.split()), int(token), float(p), float(sampling))
            for classes, token, p, sampling in ROW.findall(panel.distribution_view.value)]


def kept_count(panel) -> int:
    return int(re.search(r'data-kept="(\d+)"', panel.distribution_view.value).group(1))


def prompt_ids(oracles, name: str) -> torch.Tensor:
    return oracles[name][1](PROMPT, return_tensors="pt").input_ids


def theirs_generate(oracles, name: str, **settings) -> list[int]:
    model, _ = oracles[name]
    ids = prompt_ids(oracles, name)
    with torch.no_grad():
        return model.generate(ids, pad_token_id=0, **settings)[0, ids.shape[1]:].tolist()


class ForwardCounter:
    """Counts the forward calls of a model and records the length of the ids each one got."""

    def __init__(self, model) -> None:
        self.lengths: list[int] = []
        self.handle = model.register_forward_pre_hook(self.record, with_kwargs=True)

    def record(self, module, args, kwargs) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        self.lengths.append(ids.shape[1])


@pytest.mark.parametrize("arch", ARCHS)
def test_the_panel_is_shown_for_causal_lms(folders, arch):
    app = opened(folders, arch)
    panel = app.panels["generation"]
    assert panel.visible and "explorer-panel-generation" in panel.box._dom_classes
    assert "explorer-error" not in panel.output.value, panel.output.value
    assert panel.chat_box.layout.display == "none"  # no chat template in these tokenizers


def test_the_panel_is_hidden_for_an_encoder():
    app = ExplorerApp()
    app.load("sentence-transformers/all-MiniLM-L6-v2")
    assert app.state.status == "ready" and not app.panels["generation"].visible
    assert app.panels["outputs"].visible


@pytest.mark.parametrize("arch", ARCHS)
def test_the_bars_are_the_softmax_of_the_models_last_logits(folders, oracles, arch):
    panel = opened(folders, arch).panels["generation"]
    model, _ = oracles[arch]
    with torch.no_grad():
        expected = torch.softmax(model(prompt_ids(oracles, arch)).logits[0, -1], dim=-1)
    shown = rows(panel)
    top = expected.topk(len(shown))
    assert [token for _, token, _, _ in shown] == top.indices.tolist()
    assert [p for _, _, p, _ in shown] == pytest.approx(top.values.tolist(), abs=2e-6)
    # the sliders start at what transformers' generate(do_sample=True) samples from by default: the top 50
    defaults = transformers.GenerationConfig._get_default_generation_params()
    assert (panel.temperature.value, panel.top_k.value, panel.top_p.value) == (
        defaults["temperature"], defaults["top_k"], defaults["top_p"]) == (1.0, 50, 1.0)
    assert kept_count(panel) == 50
    panel.top_k.value = 0
    assert kept_count(panel) == model.config.vocab_size  # temperature 1, no top-k, top_p 1: all of them


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
def test_a_slider_move_recomputes_the_sampling_set_without_a_forward_pass(folders, oracles, arch):
    app = opened(folders, arch)
    panel = app.panels["generation"]
    counter = ForwardCounter(panel.model)
    model, _ = oracles[arch]
    with torch.no_grad():
        logits = model(prompt_ids(oracles, arch)).logits[:, -1]
    for temperature, top_k, top_p in ((0.7, 0, 1.0), (0.7, 8, 1.0), (1.3, 0, 0.5), (0.5, 5, 0.6)):
        panel.temperature.value, panel.top_k.value, panel.top_p.value = temperature, top_k, top_p
        warpers = [transformers.TemperatureLogitsWarper(temperature)]
        warpers += [transformers.TopKLogitsWarper(top_k)] if top_k else []
        warpers += [transformers.TopPLogitsWarper(top_p)] if top_p < 1 else []
        scores = logits
        for warper in warpers:
            scores = warper(None, scores)
        kept = torch.isfinite(scores[0])
        sampling = torch.softmax(scores[0], dim=-1)
        assert kept_count(panel) == int(kept.sum())
        for classes, token, _, shown_sampling in rows(panel):
            assert ("kept" in classes) == bool(kept[token])
            assert shown_sampling == pytest.approx(float(sampling[token]), abs=2e-6)
    assert counter.lengths == []


@pytest.mark.parametrize("arch", ARCHS)
def test_step_appends_the_argmax_as_generate_does(folders, oracles, arch):
    panel = opened(folders, arch).panels["generation"]
    counter = ForwardCounter(panel.model)
    panel.step_button.click()
    assert panel.decoding.generated == theirs_generate(oracles, arch, max_new_tokens=1, do_sample=False)
    assert counter.lengths == [1]  # the new token alone: the cache holds the prompt
    assert len(panel.chips.children) == 2  # the chip and the next-token one


@pytest.mark.parametrize("arch", ARCHS)
def test_generate_n_is_greedy_generate(folders, oracles, arch):
    panel = opened(folders, arch).panels["generation"]
    counter = ForwardCounter(panel.model)
    panel.count.value = 12
    panel.generate_button.click()
    expected = theirs_generate(oracles, arch, max_new_tokens=12, do_sample=False)
    assert panel.decoding.generated == expected
    assert counter.lengths == [1] * len(expected)
    assert [chip.description for chip in panel.chips.children[:-1]] == [panel.token_text(t) for t in expected]


@pytest.mark.parametrize("arch", ARCHS)
def test_sample_mode_with_a_seed_is_sampling_generate_after_manual_seed(folders, oracles, arch):
    panel = opened(folders, arch).panels["generation"]
    panel.mode.value = "sample"
    panel.temperature.value, panel.top_k.value, panel.top_p.value = 1.5, 40, 0.95
    panel.seed.value = 7
    panel.count.value = 6
    panel.generate_button.click()
    panel.step_button.click()
    torch.manual_seed(7)
    expected = theirs_generate(oracles, arch, max_new_tokens=7, do_sample=True, temperature=1.5, top_k=40,
                               top_p=0.95)
    assert panel.decoding.generated == expected
    torch.manual_seed(7)
    ours = panel.model.generate(prompt_ids(oracles, arch), max_new_tokens=7, do_sample=True, temperature=1.5,
                                top_k=40, top_p=0.95, pad_token_id=0)
    assert ours[0, -7:].tolist() == expected


def test_a_click_on_a_chip_shows_the_distribution_of_its_step(folders, oracles):
    panel = opened(folders, "gpt2").panels["generation"]
    panel.count.value = 5
    panel.generate_button.click()
    model, _ = oracles["gpt2"]
    with torch.no_grad():
        out = model.generate(prompt_ids(oracles, "gpt2"), max_new_tokens=5, do_sample=False, pad_token_id=0,
                             return_dict_in_generate=True, output_logits=True)
    for step in (2, 0, 4):
        panel.chips.children[step].click()
        expected = torch.softmax(out.logits[step][0], dim=-1)
        shown = rows(panel)
        assert [p for _, _, p, _ in shown] == pytest.approx(expected.topk(len(shown)).values.tolist(), abs=2e-6)
        chosen = [token for classes, token, _, _ in shown if "chosen" in classes]
        assert chosen == [panel.decoding.generated[step]]
        assert f"position {panel.decoding.prompt_length + step} " in panel.distribution_view.value
    panel.chips.children[-1].click()  # the next token's: none chosen yet
    assert not [classes for classes, *_ in rows(panel) if "chosen" in classes]


@pytest.mark.parametrize("arch", ARCHS)
def test_the_logit_lens_is_each_layers_hidden_state_through_the_final_norm_and_head(folders, oracles, arch):
    panel = opened(folders, arch).panels["generation"]
    panel.count.value = 3
    panel.generate_button.click()
    model, _ = oracles[arch]
    ids = panel.decoding.ids
    with torch.no_grad():
        out = model(ids, output_hidden_states=True)
        norm = model.base_model.ln_f if arch == "gpt2" else model.base_model.norm
        expected = [model.lm_head(norm(state)).argmax(-1)[0] for state in out.hidden_states[:-1]]
    assert torch.equal(panel.decoding.lens_ids[-1], out.logits[0].argmax(-1))
    assert torch.equal(panel.decoding.lens_ids[:-1], torch.stack(expected))
    table = panel.lens_view.value
    assert table.count("<tr>") == 1 + model.config.num_hidden_layers + 1  # the header, embeddings, each layer
    assert table.count("<td ") == (model.config.num_hidden_layers + 1) * ids.shape[1]


def test_a_costly_lens_waits_for_its_toggle_then_covers_every_position(folders, oracles, monkeypatch):
    """Above LENS_SHOWN_UP_TO the lens is not computed at load nor at each step; the toggle computes all of it."""
    monkeypatch.setattr(generation, "LENS_SHOWN_UP_TO", 0)
    panel = opened(folders, "gpt2").panels["generation"]
    assert panel.lens_toggle.value is False
    panel.count.value = 2
    panel.generate_button.click()
    assert panel.decoding.lens_ids is None and panel.lens_view.value == ""
    panel.lens_toggle.value = True
    model, _ = oracles["gpt2"]
    with torch.no_grad():
        logits = model(panel.decoding.ids).logits
    assert torch.equal(panel.decoding.lens_ids[-1], logits[0].argmax(-1))
    assert "explorer-logit-lens" in panel.lens_view.value
    panel.step_button.click()  # shown: each step adds its column
    assert panel.decoding.lens_ids.shape[1] == panel.decoding.ids.shape[1]
    panel.lens_toggle.value = False
    assert panel.lens_view.value == ""


@pytest.mark.parametrize("arch", ["gpt2", "qwen2"])
def test_the_attention_covers_the_prompt_and_each_new_token(folders, oracles, arch):
    panel = opened(folders, arch).panels["generation"]
    panel.count.value = 4
    panel.generate_button.click()
    model, _ = oracles[arch]
    with torch.no_grad():
        expected = model(panel.decoding.ids, output_attentions=True).attentions
    for layer, got in enumerate(panel.decoding.attentions):
        torch.testing.assert_close(got, expected[layer][0], atol=1e-5, rtol=0)
    panel.layer.value, panel.head.value = 1, 3
    length = panel.decoding.ids.shape[1]
    assert f"layer 1 · head 3, [{length}, {length}]" in panel.attention_view.value


def test_the_chat_box_renders_the_template_with_special_tokens_marked(folders, oracles):
    panel = opened(folders, "qwen2-chat").panels["generation"]
    _, tokenizer = oracles["qwen2-chat"]
    messages = [{"role": "user", "content": panel.chat.value}]
    rendered = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    view = panel.chat_view.value
    assert panel.chat_box.layout.display is None and panel.prompt_kind.value == "chat"
    assert html.unescape(re.sub(r"<[^>]+>", "", view.split("</h4>", 1)[1])) == rendered
    marked = re.findall(r'<span class="explorer-special-token"[^>]*>([^<]+)</span>', view)
    assert [html.unescape(token) for token in marked] == re.findall(r"<\|im_(?:start|end)\|>", rendered)
    expected_ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True,
                                                 return_dict=True)["input_ids"]
    assert panel.decoding.ids[0].tolist() == expected_ids
    panel.chat.value = "What is a hobbit?"
    assert "What is a hobbit?" in panel.chat_view.value
    panel.prompt_kind.value = "plain"
    assert panel.decoding.ids[0].tolist() == prompt_ids(oracles, "qwen2-chat")[0].tolist()


@pytest.mark.parametrize("arch, field", [("gpt2", "n_positions"), ("llama", "max_position_embeddings")])
def test_a_prompt_longer_than_the_positions_is_a_message(folders, arch, field):
    panel = opened(folders, arch).panels["generation"]
    panel.prompt.value = "the dog " * POSITIONS
    assert "explorer-error" in panel.output.value and "Traceback" not in panel.output.value
    assert "GenerationInputError" in panel.output.value and f"{field}={POSITIONS}" in panel.output.value
    assert panel.distribution_view.value == "" and panel.chips.children == ()
    panel.step_button.click()  # nothing to continue: no error, nothing generated
    panel.prompt.value = PROMPT
    assert "explorer-error" not in panel.output.value and panel.distribution_view.value


def test_generation_stops_when_the_positions_run_out(folders):
    panel = opened(folders, "gpt2").panels["generation"]
    prompt_length = panel.decoding.prompt_length
    panel.count.value = POSITIONS
    panel.generate_button.click()
    finished = panel.decoding.finished
    assert len(panel.decoding.generated) <= POSITIONS - prompt_length
    assert finished == "finished_eos" or panel.decoding.ids.shape[1] == POSITIONS
    assert panel.labels[finished] in panel.output.value


def test_the_sliders_start_at_the_checkpoints_generation_config(folders, tmp_path):
    """The mode and sliders as they start decode as generate() does with no setting of its own."""
    import shutil

    folder = tmp_path / "sampling-defaults"
    shutil.copytree(folders["llama"], folder)
    transformers.GenerationConfig(bos_token_id=0, eos_token_id=0, do_sample=True, temperature=0.7, top_k=20,
                                  top_p=0.9).save_pretrained(folder)
    app = ExplorerApp()
    app.load(str(folder))
    panel = app.show("generation")
    assert (panel.temperature.value, panel.top_k.value, panel.top_p.value) == (0.7, 20, 0.9)
    assert panel.mode.value == "sample"
    panel.seed.value = 3
    panel.count.value = 8
    panel.generate_button.click()
    theirs = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
    ids = transformers.AutoTokenizer.from_pretrained(folder)(PROMPT, return_tensors="pt").input_ids
    torch.manual_seed(3)
    with torch.no_grad():
        expected = theirs.generate(ids, max_new_tokens=8, pad_token_id=0)[0, ids.shape[1]:]
    assert panel.decoding.generated == expected.tolist()
