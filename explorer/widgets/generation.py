"""The generation panel, for causal LMs: a prompt (or a chat message through the tokenizer's chat template), the
next-token distribution with the sampling set that temperature, top-k and top-p keep, Step and Generate N
(greedy, or sampled from a seed), the generated tokens as chips, a logit lens and the causal attention.

One forward pass runs on the prompt, then one per new token with the key-value cache; each asks for the hidden
states and attentions of its new positions, so the lens and the attention grow with the sequence. The sliders
only re-run explorer.generation's own logits processors on the kept logits: what the bars show is what
``generate`` samples from, and a slider move runs no forward pass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
import numpy as np

from .. import errors
from .base import Panel, guarded
from .render import generation as render
from .render.colors import probability_colour
from .render.html import note
from .render.outputs import attention as attention_view
from .session import Session

PROMPT = "In a hole in the ground there lived a"
CHAT_MESSAGE = "Hello! How are you today?"
TOP_TOKENS = 15  # bars shown of the next-token distribution
FINAL_NORMS = ("ln_f", "norm")  # GPT-2's name of the norm after the last block, then Llama's and Qwen2's
# The lens runs the LM head at every layer: per position, (layers + 1) x vocab x hidden multiply-adds. Above this
# (GPT-2 small: 5e8, a 0.5B Qwen: 4e9, seconds on a laptop's CPU) it waits for its toggle; tiny models show it.
LENS_SHOWN_UP_TO = 1e8


@dataclass
class Decoding:
    """A prompt and the tokens generated after it, with what the forward passes returned. ``logits[i]`` is
    the distribution (raw, float32, [vocab]) that token ``prompt_length + i`` was or will be chosen from;
    the logit lens and the attention cover every position so far."""

    prompt_length: int
    ids: Any  # LongTensor [1, length]: the prompt and the generated tokens
    cache: Any  # the model's key-value cache after the last forward
    logits: list[Any] = field(default_factory=list)
    states: Any = None  # [layers + 1, length, hidden]: each layer's hidden state at each position (the lens' input)
    lens_ids: Any = None  # LongTensor [layers + 1, computed]: each layer's top token at each position
    lens_probabilities: Any = None  # [layers + 1, computed]: its probability
    attentions: list[Any] = field(default_factory=list)  # per layer [heads, length, length], causal
    finished: str = ""  # why no token can follow: the label key "finished_eos" or "finished_positions"

    @property
    def generated(self) -> list[int]:
        return self.ids[0, self.prompt_length:].tolist()

    def probability_of(self, step: int) -> float:
        """The model's probability of the token chosen at ``step``."""
        import torch

        return float(torch.softmax(self.logits[step], dim=-1)[self.generated[step]])


def final_norm(model: Any) -> Any:
    """The norm the base model applies after its last block (GPT-2's ``ln_f``, Llama's and Qwen2's ``norm``):
    the logit lens puts every earlier layer's hidden state through it and the LM head, as the last one goes."""
    base = model.base_model
    for name in FINAL_NORMS:
        module = getattr(base, name, None)
        if module is not None:
            return module
    raise errors.UnsupportedGenerationError(
        f"The logit lens looks for the final norm of {type(base).__name__} as one of {', '.join(FINAL_NORMS)}, and "
        "it has none of them. Add its attribute name to explorer/widgets/generation.py FINAL_NORMS."
    )


def lens(model: Any, states: Any) -> tuple[Any, Any]:
    """(top ids, their probabilities) [layers + 1, positions] of hidden states [layers + 1, positions, hidden].
    The last layer's state comes already through the final norm (as transformers returns it), so only the
    earlier ones go through it."""
    import torch

    norm, head = final_norm(model), model.get_output_embeddings()
    with torch.no_grad():
        normed = torch.cat([norm(states[:-1]), states[-1:]])
        probabilities = torch.softmax(head(normed).float(), dim=-1).max(dim=-1)
    return probabilities.indices, probabilities.values


def lens_cost(model: Any) -> int:
    """Multiply-adds of the lens per position: the LM head at the embeddings and after every layer."""
    return (model.config.num_hidden_layers + 1) * model.get_output_embeddings().weight.numel()


def update_lens(model: Any, decoding: Decoding) -> None:
    """The lens of the positions not computed yet (all of them the first time it is shown)."""
    import torch

    done = 0 if decoding.lens_ids is None else decoding.lens_ids.shape[1]
    if done == decoding.states.shape[1]:
        return
    top, probabilities = lens(model, decoding.states[:, done:])
    if decoding.lens_ids is None:
        decoding.lens_ids, decoding.lens_probabilities = top, probabilities
    else:
        decoding.lens_ids = torch.cat([decoding.lens_ids, top], dim=1)
        decoding.lens_probabilities = torch.cat([decoding.lens_probabilities, probabilities], dim=1)


def stacked_states(outputs: Any) -> Any:
    import torch

    return torch.stack([state[0] for state in outputs.hidden_states])


def forward(model: Any, input_ids: Any, cache: Any) -> Any:
    """One forward pass of the new ids after ``cache`` (None: the prompt), with hidden states and attentions."""
    import torch

    cached = {model.cache_argument(): cache} if cache is not None else {}
    with torch.no_grad():
        return model(input_ids=input_ids, use_cache=True, output_hidden_states=True, output_attentions=True,
                     return_dict=True, **cached)


def start(model: Any, prompt_ids: list[int]) -> Decoding:
    """The prompt's forward pass: the first distribution, the hidden states and the attention of the prompt."""
    import torch

    check_room(model, len(prompt_ids))
    ids = torch.tensor([prompt_ids], dtype=torch.long)
    outputs = forward(model, ids, None)
    return Decoding(len(prompt_ids), ids, outputs[model.cache_argument()], [outputs.logits[0, -1].float()],
                    stacked_states(outputs), attentions=[layer[0] for layer in outputs.attentions])


def check_room(model: Any, prompt_length: int) -> None:
    """A prompt must leave the model a position for the next token (as ``generate`` requires)."""
    from ..generation.utils import model_positions

    name, positions = model_positions(model.config)
    if positions is not None and prompt_length >= positions:
        raise errors.GenerationInputError(
            f"The prompt has {prompt_length} tokens, but {type(model).__name__} has {name}={positions} positions: no "
            f"room for a new token. Shorten the prompt to at most {positions - 1} tokens."
        )


def extend(model: Any, decoding: Decoding, token: int, eos_ids: list[int]) -> None:
    """Append ``token`` and run the model on it alone (the cache holds the rest): one more distribution, one
    more column of hidden states, one more attention row per layer and head."""
    import torch
    from torch.nn import functional as F

    from ..generation.utils import model_positions

    decoding.ids = torch.cat([decoding.ids, torch.tensor([[token]])], dim=1)
    outputs = forward(model, decoding.ids[:, -1:], decoding.cache)
    decoding.cache = outputs[model.cache_argument()]
    decoding.logits.append(outputs.logits[0, -1].float())
    decoding.states = torch.cat([decoding.states, stacked_states(outputs)], dim=1)
    decoding.attentions = [torch.cat([F.pad(old, (0, 1)), new[0]], dim=1)
                           for old, new in zip(decoding.attentions, outputs.attentions)]
    positions = model_positions(model.config)[1]
    if token in eos_ids:
        decoding.finished = "finished_eos"
    elif positions is not None and decoding.ids.shape[1] >= positions:
        decoding.finished = "finished_positions"


def generation_settings(model: Any, do_sample: bool, temperature: float, top_k: int, top_p: float) -> Any:
    """The GenerationConfig ``generate(do_sample=..., temperature=..., top_k=..., top_p=...)`` would use: these
    over the model's generation_config over the defaults."""
    asked = {"do_sample": do_sample}
    if do_sample:
        asked |= {"temperature": temperature, "top_k": top_k, "top_p": top_p}
    return model.merged_generation_config(None, asked)[0]


def processed_scores(model: Any, decoding: Decoding, step: int, config: Any) -> Any:
    """``generate``'s own processors (penalties, then the warpers when sampling, in its order) on the logits
    of ``step``: the scores it would pick from, -inf for the tokens out of the sampling set."""
    from ..generation.utils import logits_processors, special_tokens

    eos = special_tokens(config, decoding.ids.device)[0]
    processors = logits_processors(config, decoding.prompt_length, None, eos)
    return processors(decoding.ids[:, :decoding.prompt_length + step], decoding.logits[step][None])[0]


def eos_ids(config: Any) -> list[int]:
    eos = config.eos_token_id
    return [] if eos is None else [int(value) for value in np.atleast_1d(eos)]


class GenerationPanel(Panel):
    name = "generation"

    def __init__(self, state: Any, labels: Mapping[str, str]) -> None:
        super().__init__(state, labels)
        self.box.children = (*self.box.children, self.distribution_view, self.chips, self.lens_toggle,
                             self.lens_view, self.attention_controls, self.attention_view)

    def controls(self) -> list[widgets.Widget]:
        import torch

        labels = self.labels
        self.decoding: Decoding | None = None
        self.selected = 0  # the step whose distribution the bars show
        self.generator = torch.Generator()
        self.token_texts: dict[int, str] = {}
        self.prompt = widgets.Textarea(value=PROMPT, placeholder=labels["prompt_placeholder"], continuous_update=False,
                                       layout=widgets.Layout(width="100%", height="48px"))
        self.prompt_kind = widgets.ToggleButtons(options=[(labels["prompt_plain"], "plain"),
                                                          (labels["prompt_chat"], "chat")], value="plain",
                                                 style={"button_width": "auto"})
        self.chat = widgets.Textarea(value=CHAT_MESSAGE, placeholder=labels["chat_placeholder"],
                                     continuous_update=False, layout=widgets.Layout(width="100%", height="48px"))
        self.chat_view = widgets.HTML()
        self.chat_box = widgets.VBox([self.prompt_kind, self.chat, self.chat_view])
        named = {"style": {"description_width": "initial"}}  # "temperature" in full
        self.temperature = widgets.FloatSlider(value=1.0, min=0.05, max=2.0, step=0.05, description="temperature",
                                               **named)
        self.top_k = widgets.IntSlider(value=0, min=0, max=100, description="top_k", tooltip="0: no top-k", **named)
        self.top_p = widgets.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="top_p", **named)
        self.mode = widgets.ToggleButtons(options=[(labels["greedy"], "greedy"), (labels["sample"], "sample")],
                                          value="greedy", style={"button_width": "auto"})
        self.seed = widgets.IntText(value=0, description="seed", layout=widgets.Layout(width="160px"))
        self.step_button = widgets.Button(description=labels["step"], icon="step-forward")
        self.count = widgets.BoundedIntText(value=8, min=1, max=512, description="N",
                                            layout=widgets.Layout(width="140px"))
        self.generate_button = widgets.Button(description=labels["generate_n"], icon="forward")
        self.restart_button = widgets.Button(description=labels["restart"], icon="undo",
                                             layout=widgets.Layout(width="auto"))
        self.distribution_view = widgets.HTML()
        self.chips = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.lens_toggle = widgets.ToggleButton(value=True, description=labels["logit_lens_show"], icon="layer-group",
                                                layout=widgets.Layout(width="auto"))
        self.lens_view = widgets.HTML()
        self.lens_toggle.observe(self.show_lens, "value")
        self.layer = widgets.IntSlider(min=0, max=0, description=labels["layer"], continuous_update=False)
        self.head = widgets.IntSlider(min=0, max=0, description=labels["head"], continuous_update=False)
        self.attention_controls = widgets.HBox([self.layer, self.head])
        self.attention_view = widgets.HTML()
        for control in (self.prompt, self.prompt_kind, self.chat):
            control.observe(self.refresh, "value")
        for slider in (self.temperature, self.top_k, self.top_p):
            slider.observe(self.show_distribution, "value")
        self.seed.observe(self.reseed, "value")
        self.layer.observe(self.show_attention, "value")
        self.head.observe(self.show_attention, "value")
        self.step_button.on_click(lambda _: self.generate(1))
        self.generate_button.on_click(lambda _: self.generate(self.count.value))
        self.restart_button.on_click(self.refresh)
        for name, control in (("prompt", self.prompt), ("chat", self.chat_box), ("step", self.step_button),
                              ("generate", self.generate_button), ("chips", self.chips),
                              ("temperature", self.temperature), ("top-k", self.top_k), ("top-p", self.top_p),
                              ("lens", self.lens_toggle)):
            control.add_class(f"explorer-generation-{name}")
        return [self.prompt, self.chat_box, widgets.HBox([self.temperature, self.top_k, self.top_p]),
                widgets.HBox([self.mode, self.seed]),
                widgets.HBox([self.step_button, self.count, self.generate_button, self.restart_button])]

    def applies_to(self, session: Session) -> bool:
        return self.has(session, "model") and session.parts["model"].auto == "AutoModelForCausalLM"

    def on_session(self, change: Mapping[str, Any]) -> None:
        self.box.layout.display = "none"  # no render while the controls below are set; the base shows it again
        self.clear()  # the previous model's cache and attentions go with it
        self.token_texts = {}
        tokenizer = change["new"].get("tokenizer") if change["new"] is not None else None
        has_template = tokenizer is not None and getattr(tokenizer, "chat_template", None) is not None
        self.chat_box.layout.display = None if has_template else "none"
        self.prompt_kind.value = "chat" if has_template else "plain"
        model = change["new"].get("model") if change["new"] is not None else None
        if model is not None and self.applies_to(change["new"]):
            self.use_sampling_defaults(model)
            self.lens_toggle.value = lens_cost(model) <= LENS_SHOWN_UP_TO
        super().on_session(change)

    def use_sampling_defaults(self, model: Any) -> None:
        """The mode and sliders start as generate() decodes without other settings: the model's
        generation_config over the defaults (greedy, top_k 50; a value past a slider's end stops at its end)."""
        config = model.merged_generation_config(None, {})[0]
        self.mode.value = "sample" if config.do_sample else "greedy"
        self.temperature.value = config.temperature if config.temperature is not None else 1.0
        self.top_k.value = config.top_k or 0
        self.top_p.value = config.top_p if config.top_p is not None else 1.0

    def clear(self) -> None:
        self.decoding = None
        for view in (self.distribution_view, self.lens_view, self.attention_view, self.chat_view):
            view.value = ""
        self.set_chips([])

    @property
    def model(self) -> Any:
        return self.state.session.get("model")

    @property
    def tokenizer(self) -> Any:
        return self.state.session.get("tokenizer")

    def render(self, session: Session) -> None:
        """The prompt's forward pass; the generated tokens start again."""
        self.clear()
        self.output.value = ""
        if self.show_part_error(session, "model", "tokenizer"):
            return
        if self.tokenizer is None:
            self.output.value = note(self.labels["needs_tokenizer"])
            return
        self.decoding = start(self.model, self.prompt_ids())
        self.selected = 0
        self.reseed()
        self.show_all()

    def prompt_ids(self) -> list[int]:
        """The prompt box through the tokenizer, or the chat message through the chat template (whose text,
        special tokens included, is tokenized as it is, as apply_chat_template(tokenize=True) does)."""
        tokenizer = self.tokenizer
        if self.chat_box.layout.display != "none" and self.prompt_kind.value == "chat":
            messages = [{"role": "user", "content": self.chat.value}]
            rendered = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            special = [token.content for token in tokenizer.added_tokens_decoder.values() if token.special]
            self.chat_view.value = render.chat_prompt(rendered, [*special, *tokenizer.all_special_tokens],
                                                      self.labels)
            return tokenizer(rendered, add_special_tokens=False)["input_ids"]
        ids = tokenizer(self.prompt.value)["input_ids"]
        bos = self.model.generation_config.bos_token_id
        if not ids and bos is None:
            raise errors.GenerationInputError(
                "The prompt is empty and the model's generation_config has no bos_token_id to start from. Type a "
                "prompt.")
        return ids or [int(bos)]  # generate starts from the bos token without a prompt

    def reseed(self, *_: Any) -> None:
        """Sampling draws from a generator of the panel's own, seeded as torch.manual_seed(seed) seeds torch's:
        from the prompt, Generate N samples what generate(do_sample=True) does after that call."""
        self.generator.manual_seed(self.seed.value)

    def settings(self, do_sample: bool) -> Any:
        return generation_settings(self.model, do_sample, self.temperature.value, self.top_k.value, self.top_p.value)

    @guarded
    def generate(self, count: int) -> None:
        """``count`` steps (fewer when the model ends the sequence or runs out of positions)."""
        import torch

        decoding = self.decoding
        if decoding is None:
            return
        sampling = self.mode.value == "sample"
        config = self.settings(sampling)
        for _ in range(count):
            if decoding.finished:
                break
            step = len(decoding.logits) - 1
            scores = processed_scores(self.model, decoding, step, config)
            if sampling:
                token = int(torch.multinomial(torch.softmax(scores, dim=-1), 1, generator=self.generator))
            else:
                token = int(scores.argmax())
            extend(self.model, decoding, token, eos_ids(config))
        self.selected = len(decoding.logits) - 1
        self.show_all()

    def show_all(self) -> None:
        decoding = self.decoding
        status = f"{type(self.model).__name__} · {decoding.prompt_length} {self.labels['prompt_tokens']} · " \
                 f"{len(decoding.generated)} {self.labels['generated_tokens']}"
        if decoding.finished:
            status += f" · {self.labels[decoding.finished]}"
        self.output.value = note(status)
        self.show_distribution()
        self.set_chips(decoding.generated)
        self.show_lens()
        self.layer.max, self.head.max = len(decoding.attentions) - 1, decoding.attentions[0].shape[0] - 1
        self.show_attention()

    def show_lens(self, change: Any = None) -> None:
        """The lens table when its toggle is on, computed then for the positions it has not seen yet."""
        decoding = self.decoding
        if decoding is None or not self.lens_toggle.value:
            self.lens_view.value = ""
            return
        update_lens(self.model, decoding)
        tokens = [self.token_text(token) for token in decoding.ids[0].tolist()]
        top_tokens = [[self.token_text(token) for token in row] for row in decoding.lens_ids.tolist()]
        self.lens_view.value = render.logit_lens(tokens, top_tokens, decoding.lens_probabilities.numpy(), self.labels)

    def token_text(self, token: int) -> str:
        """A token as the tokenizer decodes it alone, whitespace made visible (decoded once per id)."""
        if token not in self.token_texts:
            self.token_texts[token] = render.visible(self.tokenizer.decode([token]))
        return self.token_texts[token]

    def candidates(self, step: int) -> tuple[list[render.Candidate], int]:
        """The most likely tokens of ``step``'s distribution, and how many of the vocabulary the sliders'
        settings keep for sampling."""
        import torch

        decoding = self.decoding
        scores = processed_scores(self.model, decoding, step, self.settings(True))
        kept = torch.isfinite(scores)
        probabilities = torch.softmax(decoding.logits[step], dim=-1)
        sampling = torch.softmax(scores, dim=-1)
        top = probabilities.topk(min(TOP_TOKENS, probabilities.numel()))
        rows = [render.Candidate(self.token_text(i), i, float(p), bool(kept[i]), float(sampling[i]))
                for p, i in zip(top.values.tolist(), top.indices.tolist())]
        return rows, int(kept.sum())

    @guarded
    def show_distribution(self, *_: Any) -> None:
        """The bars of the selected step's distribution: the warpers on its kept logits, no forward pass."""
        decoding = self.decoding
        if decoding is None:
            return
        step = self.selected
        rows, kept = self.candidates(step)
        generated = decoding.generated
        position = decoding.prompt_length + step
        after = self.token_text(int(decoding.ids[0, position - 1]))
        title = f"{self.labels['next_token']} {position} ({self.labels['after']} {after})"
        self.distribution_view.value = render.distribution(rows, kept, decoding.logits[step].numel(), title,
                                                           generated[step] if step < len(generated) else None,
                                                           self.labels)
        for index, chip in enumerate(self.chips.children):
            chip.layout.border = "2px solid #1c7ed6" if index == step else ""

    def set_chips(self, generated: list[int]) -> None:
        """One button per generated token, coloured by the model's probability of it, and a last one for the
        next token's distribution; a click shows that step's distribution. Existing buttons are kept."""
        chips = list(self.chips.children[:-1]) if self.chips.children else []
        for chip in chips[len(generated):]:
            chip.close()
        chips = chips[:len(generated)]
        for step in range(len(chips), len(generated)):
            probability = self.decoding.probability_of(step)
            chip = widgets.Button(description=self.token_text(generated[step]),
                                  tooltip=f"id {generated[step]} · p {probability:.3f}",
                                  layout=widgets.Layout(width="auto"))
            chip.style.button_color = probability_colour(probability)
            chip.add_class("explorer-generated-chip")
            chip.on_click(lambda _, step=step: self.select(step))
            chips.append(chip)
        if self.chips.children:
            self.chips.children[-1].close()
        if self.decoding is None:
            self.chips.children = ()
            return
        next_chip = widgets.Button(description=self.labels["next_chip"], layout=widgets.Layout(width="auto"))
        next_chip.add_class("explorer-generation-next")
        next_chip.on_click(lambda _: self.select(len(self.decoding.logits) - 1))
        self.chips.children = (*chips, next_chip)

    def select(self, step: int) -> None:
        self.selected = step
        self.show_distribution()

    @guarded
    def show_attention(self, *_: Any) -> None:
        if self.decoding is None:
            return
        matrix = self.decoding.attentions[self.layer.value][self.head.value].numpy()
        tokens = [self.token_text(token) for token in self.decoding.ids[0].tolist()]
        self.attention_view.value = attention_view(matrix, self.layer.value, self.head.value, tokens, self.labels)
