"""text-generation, as transformers' ``TextGenerationPipeline``: the prompt (a text, or a chat rendered by the
tokenizer's chat template with the assistant's header added) -> tokens -> the model's ``generate`` (the call's
generation settings over the pipeline's defaults) -> the new tokens decoded -> the prompt and its continuation
(``{"generated_text": ...}``, one per ``num_return_sequences``; for a chat, the messages with the assistant's
reply appended).

The pipeline's generation defaults are transformers': ``max_new_tokens=256, do_sample=True, temperature=0.7``
for what neither the call nor the model's ``generation_config`` sets (the sampling ones only when sampling),
and the tokenizer's pad token. Batches are padded on the left, so every prompt ends where generation starts.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from .. import errors
from ..generation.configuration import ALL_FIELDS
from ..generation.utils import model_positions
from ..outputs import ModelOutput
from .base import ChunkResult, Pipeline, Step, plain

# transformers' TextGenerationPipeline._default_generation_config
GENERATION_DEFAULTS = {"max_new_tokens": 256, "do_sample": True, "temperature": 0.7}
# settings the pipeline's defaults give only when sampling (transformers' _SAMPLING_PARAMS)
SAMPLING_SETTINGS = frozenset({"temperature", "top_k", "top_p", "min_p", "top_h", "typical_p", "epsilon_cutoff",
                               "eta_cutoff"})
# keyword arguments of pipeline() kept aside for generate (transformers' generation_keys)
GENERATION_KEYS = frozenset({*ALL_FIELDS, "generation_config"})
# what the tokenizer gets from the call's keywords
TOKENIZER_KEYS = ("add_special_tokens", "truncation", "padding", "max_length")


class ReturnType(enum.Enum):
    TENSORS = 0
    NEW_TEXT = 1
    FULL_TEXT = 2


@dataclass(frozen=True)
class Chat:
    """A chat carried beside its tokens (as transformers' ``Chat``): batching lists the chunks' plain values and
    cuts them back by row, which would take a bare list of messages for a batch of messages."""

    messages: list[dict[str, Any]]


class TextGenerationPipeline(Pipeline):
    """Continue prompts: ``[{"generated_text": ...}]`` per prompt (``generated_token_ids`` with
    ``return_tensors=True``); a chat (a list of ``{"role", "content"}`` messages) gets the assistant's reply."""

    task = "text-generation"

    def __init__(self, model: Any, tokenizer: Any = None, **kwargs: Any) -> None:
        # generation settings given when the pipeline is made apply to every call that passes no generation_config
        self._generate_kwargs = {key: kwargs.pop(key) for key in GENERATION_KEYS & kwargs.keys()}
        super().__init__(model, tokenizer, **kwargs)
        self._generation_defaults = dict(GENERATION_DEFAULTS)
        if self.tokenizer.pad_token_id is not None:
            self._generation_defaults["pad_token_id"] = self.tokenizer.pad_token_id
        if self.tokenizer.padding_side == "right":  # a decoder continues the last position: pad on the left
            self.tokenizer.padding_side = "left"
        prefix = getattr(self.model.config, "prefix", None)
        if "prefix" not in self._preprocess_params and prefix is not None:
            preprocess, forward, _ = self._sanitize_parameters(prefix=prefix, **self._forward_params)
            self._preprocess_params.update(preprocess)
            self._forward_params.update(forward)

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        if not self.is_one_input(inputs):
            # transformers runs a list through a torch DataLoader, whose iterator draws one number from torch's
            # generator: drawn here too, so that a seeded call samples the same tokens
            torch.empty((), dtype=torch.int64).random_()
        return super().__call__(inputs, **kwargs)

    def is_one_input(self, inputs: Any) -> bool:
        return isinstance(inputs, (str, Mapping)) or is_chat(inputs)

    # --- parameters ---

    def _sanitize_parameters(self, return_full_text: bool | None = None, return_tensors: bool | None = None,
                             return_text: bool | None = None, return_type: ReturnType | None = None,
                             clean_up_tokenization_spaces: bool | None = None, prefix: str | None = None,
                             stop_sequence: str | list[str] | None = None, truncation: Any = None,
                             max_length: int | None = None, continue_final_message: bool | None = None,
                             skip_special_tokens: bool | None = None,
                             tokenizer_encode_kwargs: dict[str, Any] | None = None, tools: Any = None,
                             documents: Any = None, **generate_kwargs: Any) -> tuple[dict, dict, dict]:
        preprocess = {key: generate_kwargs.pop(key) for key in ("add_special_tokens", "padding")
                      if key in generate_kwargs}
        given = {"truncation": truncation, "max_length": max_length, "tools": tools, "documents": documents,
                 "prefix": prefix, "continue_final_message": continue_final_message,
                 "tokenizer_encode_kwargs": tokenizer_encode_kwargs}
        preprocess.update({key: value for key, value in given.items() if value is not None})
        if max_length is not None:  # a tokenizer argument and a generate one, as in transformers
            generate_kwargs["max_length"] = max_length
        if prefix:
            prefix_ids = self.tokenizer(prefix, padding=False, add_special_tokens=preprocess.get(
                "add_special_tokens", False), return_tensors="pt")["input_ids"]
            generate_kwargs["prefix_length"] = prefix_ids.shape[-1]
        if stop_sequence is not None:  # generate refuses stop_strings, naming them
            generate_kwargs["stop_strings"] = [stop_sequence] if isinstance(stop_sequence, str) else stop_sequence
        postprocess: dict[str, Any] = {}
        return_type = return_type if return_type is not None else chosen_return_type(
            return_full_text, return_tensors, return_text)
        given = {"return_type": return_type, "clean_up_tokenization_spaces": clean_up_tokenization_spaces,
                 "continue_final_message": continue_final_message, "skip_special_tokens": skip_special_tokens}
        postprocess.update({key: value for key, value in given.items() if value is not None})
        return preprocess, generate_kwargs, postprocess

    def generate_kwargs(self, call_kwargs: dict[str, Any], prompt_length: int) -> dict[str, Any]:
        """transformers' ``_prepare_generate_kwargs``: the call's settings over those given to the pipeline (unless
        the call passes a generation_config), plus the pipeline's defaults for what nobody set."""
        kwargs = call_kwargs if "generation_config" in call_kwargs else {**self._generate_kwargs, **call_kwargs}
        already = self.set_generation_settings(kwargs)
        added = {key: value for key, value in self._generation_defaults.items()
                 if key not in already and not (key == "max_new_tokens" and "max_length" in already)}
        if not {**already, **added}.get("do_sample"):
            added = {key: value for key, value in added.items() if key not in SAMPLING_SETTINGS}
        if "max_new_tokens" in added:
            added["max_new_tokens"] = self.default_new_tokens(prompt_length)
        user_config = kwargs.get("generation_config")
        if user_config is None:
            return {**kwargs, **added}
        user_config = copy.deepcopy(user_config)
        user_config.update(**added)
        return {**kwargs, "generation_config": user_config}

    def set_generation_settings(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The settings generate will not take from its global defaults: the call's keywords over its
        generation_config over the model's."""
        settings = self.model.generation_config.to_diff_dict()
        if kwargs.get("generation_config") is not None:
            settings.update(kwargs["generation_config"].to_diff_dict())
        return {**settings, **kwargs}

    def default_new_tokens(self, prompt_length: int) -> int:
        """The pipeline's 256 new tokens, fewer if the model's positions end before: explorer's generate refuses a
        length past them up front, where transformers' would stop at an end-of-sequence token or fail there."""
        _, positions = model_positions(self.model.config)
        room = GENERATION_DEFAULTS["max_new_tokens"] if positions is None else positions - prompt_length
        return max(1, min(GENERATION_DEFAULTS["max_new_tokens"], room))

    # --- the steps ---

    def preprocess(self, item: Any, prefix: str = "", continue_final_message: bool | None = None,
                   tokenizer_encode_kwargs: dict[str, Any] | None = None, tools: Any = None, documents: Any = None,
                   **tokenizer_kwargs: Any) -> list[dict[str, Any]]:
        tokenizer_kwargs = {**tokenizer_kwargs, **(tokenizer_encode_kwargs or {})}
        if isinstance(item, (list, tuple)):
            item = Chat(checked_chat(item))
            messages = item.messages
            tokenizer_kwargs.pop("add_special_tokens", None)  # the template writes the special tokens
            if continue_final_message is None:  # a chat ending with the assistant's message is a prefill
                continue_final_message = messages[-1]["role"] == "assistant"
            inputs = self.tokenizer.apply_chat_template(
                messages, add_generation_prompt=not continue_final_message,
                continue_final_message=continue_final_message, return_dict=True, return_tensors="pt", tools=tools,
                documents=documents, **tokenizer_kwargs)
        elif isinstance(item, str):
            inputs = self.tokenizer(prefix + item, return_tensors="pt", **tokenizer_kwargs)
        else:
            raise errors.PipelineInputError(
                f"inputs: text-generation takes a prompt (a string) or a chat (a list of {{'role': ..., 'content': "
                f"...}} messages), or a list of them; got {type(item).__name__}."
            )
        return [{**inputs, "prompt_text": item}]

    def _forward(self, model_inputs: dict[str, torch.Tensor], **generate_kwargs: Any) -> dict[str, Any]:
        input_ids, attention_mask = model_inputs["input_ids"], model_inputs.get("attention_mask")
        rows = input_ids.shape[0]
        if input_ids.shape[1] == 0:  # an empty prompt: generate starts from the bos token
            input_ids = attention_mask = None
            rows = 1
        prefix_length = generate_kwargs.pop("prefix_length", 0)
        kwargs = self.generate_kwargs(generate_kwargs, 0 if input_ids is None else input_ids.shape[1])
        if prefix_length:  # a total length (not a count of new tokens) includes the prefix
            settings = self.set_generation_settings(kwargs)
            for length, new_tokens in (("max_length", "max_new_tokens"), ("min_length", "min_new_tokens")):
                if length in settings and new_tokens not in settings:
                    kwargs[length] = settings[length] + prefix_length
        output = self.model.generate(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        sequences, others = (output.sequences, extra_outputs(output, rows)) if isinstance(output, ModelOutput) \
            else (output, {})
        return {"generated_sequence": sequences.reshape(rows, sequences.shape[0] // rows, *sequences.shape[1:]),
                **others, "generate_kwargs": plain_settings(kwargs)}

    def postprocess(self, results: list[ChunkResult], steps: list[Step], return_type: ReturnType = ReturnType.FULL_TEXT,
                    clean_up_tokenization_spaces: bool | None = None, continue_final_message: bool | None = None,
                    skip_special_tokens: bool | None = None) -> list[dict[str, Any]]:
        inputs, outputs = results[0].inputs, results[0].outputs
        prompt = inputs["prompt_text"]
        steps.append(Step("generate", "the settings generate ran with: the call's over the pipeline's defaults",
                          outputs["generate_kwargs"]))
        sequences = outputs["generated_sequence"][0].tolist()
        prompt_length = inputs["input_ids"].shape[-1]
        steps.append(Step("new tokens", f"each sequence after the prompt's {prompt_length} tokens (padding included)",
                          [sequence[prompt_length:] for sequence in sequences]))
        extras = {key: value[0].tolist() for key, value in outputs.items()
                  if isinstance(value, torch.Tensor) and key != "generated_sequence"}
        records = []
        for index, sequence in enumerate(sequences):
            if return_type == ReturnType.TENSORS:
                records.append({"generated_token_ids": sequence})
                continue
            text = self.tokenizer.decode(sequence[prompt_length:], skip_special_tokens=skip_special_tokens is not False,
                                         clean_up_tokenization_spaces=clean_up_tokenization_spaces)
            if return_type == ReturnType.FULL_TEXT:
                text = full_text(prompt, text, continue_final_message)
            records.append({"generated_text": text, **{key: values[index] for key, values in extras.items()}})
        if return_type != ReturnType.TENSORS:
            steps.append(Step("decode", "the new tokens as text" + (", after the prompt" if return_type ==
                                                                    ReturnType.FULL_TEXT else ""),
                              [record["generated_text"] for record in records]))
        return records


def chosen_return_type(return_full_text: bool | None, return_tensors: bool | None,
                       return_text: bool | None) -> ReturnType | None:
    """transformers' choice between token ids, the new text and the full text; the flags exclude each other."""
    if return_full_text is not None:
        for name, value in (("return_text", return_text), ("return_tensors", return_tensors)):
            if value is not None:
                raise errors.PipelineInputError(f"return_full_text={return_full_text!r} with {name}={value!r}: pass "
                                                "one of them (return_full_text=False gives the new text only).")
        return ReturnType.FULL_TEXT if return_full_text else ReturnType.NEW_TEXT
    if return_tensors is not None:
        if return_text is not None:
            raise errors.PipelineInputError(f"return_tensors={return_tensors!r} with return_text={return_text!r}: "
                                            "pass one of them.")
        return ReturnType.TENSORS
    return None


def is_chat(value: Any) -> bool:
    """A list of messages: its first item a dict with ``role`` and ``content`` (transformers' test)."""
    return isinstance(value, (list, tuple)) and bool(value) and is_message(value[0])


def is_message(value: Any) -> bool:
    return isinstance(value, dict) and "role" in value and "content" in value


def checked_chat(item: Any) -> list[dict[str, Any]]:
    if not item or not all(is_message(message) for message in item):
        raise errors.PipelineInputError(
            "inputs: a chat is a non-empty list of messages, each a dict with 'role' and 'content' keys; got "
            f"{plain(item)!r:.200}."
        )
    return list(item)


def full_text(prompt: Any, text: str, continue_final_message: bool | None) -> Any:
    """The prompt and its continuation: the texts joined, or the chat with the reply (a new assistant message,
    or added to the final one when that was a prefill)."""
    if isinstance(prompt, str):
        return prompt + text
    messages = prompt.messages
    if continue_final_message is None:
        continue_final_message = messages[-1]["role"] == "assistant"
    if continue_final_message:
        return [*messages[:-1], {"role": messages[-1]["role"], "content": messages[-1]["content"] + text}]
    return [*messages, {"role": "assistant", "content": text}]


def extra_outputs(output: ModelOutput, rows: int) -> dict[str, torch.Tensor]:
    """What ``return_dict_in_generate`` gave besides the sequences, grouped by prompt as the sequences are
    (transformers keeps the tensors only)."""
    count = output.sequences.shape[0]
    grouped = {}
    for key, value in output.items():
        if key in ("sequences", "cache"):
            continue
        if isinstance(value, tuple) and isinstance(value[0], torch.Tensor) and len(value[0]) == count:
            value = torch.stack(value).swapaxes(0, 1)  # steps first -> sequences first
        if isinstance(value, torch.Tensor) and value.shape[0] == count:
            grouped[key] = value.reshape(rows, count // rows, *value.shape[1:])
    return grouped


def plain_settings(kwargs: dict[str, Any]) -> dict[str, Any]:
    """generate's keywords as plain data (a generation_config by the fields it sets)."""
    return {key: value.to_diff_dict() if key == "generation_config" else plain(value)
            for key, value in kwargs.items()}
