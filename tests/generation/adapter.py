"""The decoders are compared with transformers through the *same* model: a tiny random transformers causal LM
wrapped in an adapter that mixes in explorer's GenerationMixin and forwards to it. Both ``generate`` then see the
same logits, so any difference in ids, scores or streamed text is the decoding's."""

from __future__ import annotations

from typing import Any

import torch
import transformers

from explorer.generation import GenerationConfig, GenerationMixin

VOCAB = 99
POSITIONS = 128
BOS, EOS, PAD = 98, 97, 0


class CausalLMAdapter(torch.nn.Module, GenerationMixin):
    """explorer's generate over a transformers model: transformers' forward contract, forwarded as is."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        self.config = model.config
        self.generation_config = GenerationConfig.from_model_config(model.config)

    @property
    def device(self) -> torch.device:
        return self.model.device

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None, cache: Any = None, use_cache: bool | None = None,
                logits_to_keep: int = 0, output_attentions: bool | None = None,
                output_hidden_states: bool | None = None, return_dict: bool | None = None) -> Any:
        return self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, cache=cache,
                          use_cache=use_cache, logits_to_keep=logits_to_keep, output_attentions=output_attentions,
                          output_hidden_states=output_hidden_states, return_dict=return_dict)


def tiny_gpt2(seed: int = 0) -> Any:
    torch.manual_seed(seed)
    config = transformers.GPT2Config(vocab_size=VOCAB, n_positions=POSITIONS, n_embd=32, n_layer=2, n_head=4,
                                     bos_token_id=BOS, eos_token_id=EOS, attn_implementation="eager")
    return transformers.GPT2LMHeadModel(config).eval()


def tiny_llama(seed: int = 0) -> Any:
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=POSITIONS,
                                      bos_token_id=BOS, eos_token_id=EOS, attn_implementation="eager")
    return transformers.LlamaForCausalLM(config).eval()


MODELS = {"gpt2": tiny_gpt2, "llama": tiny_llama}


def left_padded(lengths: tuple[int, ...] = (7, 4, 6), seed: int = 0) -> dict[str, torch.Tensor]:
    """A left-padded batch of prompts (ids avoid the special tokens) and its attention mask."""
    generator = torch.Generator().manual_seed(seed)
    width = max(lengths)
    ids = torch.randint(PAD + 1, EOS, (len(lengths), width), generator=generator)
    mask = torch.zeros_like(ids)
    for row, length in enumerate(lengths):
        mask[row, width - length:] = 1
    return {"input_ids": ids.masked_fill(mask == 0, PAD), "attention_mask": mask}


def both_generate(theirs: Any, ours: CausalLMAdapter, seed: int | None = None, **kwargs: Any) -> tuple[Any, Any]:
    """transformers' and explorer's generate with the same arguments, each after ``torch.manual_seed(seed)``."""
    results = []
    for model in (theirs, ours):
        if seed is not None:
            torch.manual_seed(seed)
        results.append(model.generate(**kwargs))
    return results[0], results[1]
