"""Tiny random causal LMs saved by transformers, for the tests that open a decoder offline (the Generation
panel's): ``save_tiny_decoder(folder, "gpt2" | "llama" | "qwen2", chat_template=None)`` writes the config and
weights (transformers' save_pretrained, seeded) and a byte-level BPE tokenizer trained here with ``tokenizers``."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

END_OF_TEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SPECIAL = [END_OF_TEXT, IM_START, IM_END]
POSITIONS = 64  # small, so a test can write a prompt longer than the model's positions
CORPUS = [
    "In a hole in the ground there lived a hobbit.",
    "Not a nasty, dirty, wet hole, filled with the ends of worms and an oozy smell.",
    "The quick brown fox jumps over the lazy dog, and the dog sleeps on.",
    "A language model predicts the next token from the tokens before it.",
    "user assistant system: you are a helpful assistant. Hello! How are you today?",
]
TOKENIZER_CLASSES = {"gpt2": "GPT2Tokenizer", "llama": "PreTrainedTokenizerFast", "qwen2": "Qwen2Tokenizer"}


def train_tokenizer() -> Tokenizer:
    """A byte-level BPE of about 300 tokens, the three special tokens first (ids 0, 1, 2)."""
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    backend.train_from_iterator(CORPUS * 4, trainer)
    return backend


def tiny_config(arch: str, vocab_size: int) -> transformers.PretrainedConfig:
    ends = {"bos_token_id": 0, "eos_token_id": 0}
    if arch == "gpt2":
        return transformers.GPT2Config(vocab_size=vocab_size, n_positions=POSITIONS, n_embd=32, n_layer=2, n_head=4,
                                       **ends)
    shared = dict(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=POSITIONS, **ends)
    if arch == "llama":
        return transformers.LlamaConfig(**shared)
    if arch == "qwen2":
        return transformers.Qwen2Config(**shared, tie_word_embeddings=True)
    raise ValueError(f"save_tiny_decoder: arch must be gpt2, llama or qwen2, got {arch!r}")


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """No shard-writing bar on stderr, and progress bars as they were afterwards: transformers' switch turns off
    huggingface_hub's bars for the whole process (tests/test_hub_faults.py checks that downloads show one)."""
    shown = transformers.utils.logging.is_progress_bar_enabled()
    transformers.utils.logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            transformers.utils.logging.enable_progress_bar()


def save_tiny_decoder(folder: Path, arch: str = "gpt2", chat_template: str | None = None) -> Path:
    """A random ``arch`` causal LM (seed 0) with its tokenizer in ``folder``; ``chat_template`` goes into
    tokenizer_config.json when given."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    backend = train_tokenizer()
    config = tiny_config(arch, backend.get_vocab_size())
    config.architectures = [transformers.AutoModelForCausalLM._model_mapping[type(config)].__name__]
    torch.manual_seed(0)
    with quiet_transformers():
        transformers.AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    backend.save(str(folder / "tokenizer.json"))
    settings = {"tokenizer_class": TOKENIZER_CLASSES[arch], "bos_token": END_OF_TEXT, "eos_token": END_OF_TEXT,
                "model_max_length": POSITIONS}
    if chat_template is not None:
        settings["chat_template"] = chat_template
    (folder / "tokenizer_config.json").write_text(json.dumps(settings))
    return folder
