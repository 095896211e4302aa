"""generation/streamers.py: the text pieces explorer's streamers emit equal transformers', token by token and
from generate."""

from __future__ import annotations

import pytest
import tokenizers
import torch
import transformers
from transformers.generation import streamers as theirs

from explorer import errors
from explorer.generation import streamers as ours

from .adapter import VOCAB, CausalLMAdapter, tiny_gpt2

# Words of every kind the streamers treat apart: letters, digits, symbols, a new line, CJK, combining marks
WORDS = ["hello", "world", "42", "!", "(", ")", "\n", "中", "文", "é", "naïve", "x̃", "ok.", "#"]


@pytest.fixture(scope="module")
def tokenizer():
    vocab = {word: index for index, word in enumerate(WORDS + [f"w{n}" for n in range(VOCAB - len(WORDS))])}
    backend = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="w0"))
    return transformers.PreTrainedTokenizerFast(tokenizer_object=backend)


def pieces(module, tokenizer, prompt: list[int], new: list[int], **options) -> list[str]:
    streamer = module.TextIteratorStreamer(tokenizer, **options)
    streamer.put(torch.tensor([prompt]))
    for token in new:
        streamer.put(torch.tensor([token]))
    streamer.end()
    return list(streamer)


@pytest.mark.parametrize("skip_prompt", [False, True])
def test_pieces_equal_transformers(tokenizer, skip_prompt):
    generator = torch.Generator().manual_seed(0)
    new = torch.randint(0, len(WORDS) + 3, (60,), generator=generator).tolist()
    expected = pieces(theirs, tokenizer, [0, 1], new, skip_prompt=skip_prompt)
    got = pieces(ours, tokenizer, [0, 1], new, skip_prompt=skip_prompt)
    assert got == expected and len(got) > 10
    assert "".join(got).startswith("hello") != skip_prompt


def test_text_streamer_prints_the_same(tokenizer, capsys):
    new = [0, 3, 6, 7, 8, 1, 4, 2]
    for module in (theirs, ours):
        streamer = module.TextStreamer(tokenizer, skip_prompt=True)
        streamer.put(torch.tensor([[5]]))
        for token in new:
            streamer.put(torch.tensor([token]))
        streamer.end()
    printed = capsys.readouterr().out
    half = len(printed) // 2
    assert printed[:half] == printed[half:] and "中" in printed


def test_streaming_from_generate(tokenizer):
    model = tiny_gpt2()
    prompt = torch.tensor([[0, 1, 2]])
    streams = []
    for generator, module in ((model, theirs), (CausalLMAdapter(model), ours)):
        streamer = module.TextIteratorStreamer(tokenizer, skip_prompt=True)
        ids = generator.generate(prompt, max_new_tokens=15, streamer=streamer, eos_token_id=None)
        streams.append(list(streamer))
    assert streams[0] == streams[1]
    assert "".join(streams[1]).split() == tokenizer.decode(ids[0, 3:]).split()


def test_a_batch_is_refused(tokenizer):
    with pytest.raises(errors.GenerationInputError, match="batch of 2"):
        ours.TextStreamer(tokenizer).put(torch.zeros(2, 3, dtype=torch.long))
