"""Streamers: ``generate`` hands them the prompt, then each new token (``put``), then ``end()``.
:class:`TextStreamer` prints the text as whole words become final; :class:`TextIteratorStreamer` queues it for
another thread to iterate over (e.g. a notebook widget while ``generate`` runs in a thread). Both decide what to
print exactly as transformers' do, so the pieces of text are the same.
"""

from __future__ import annotations

import unicodedata
from queue import Queue
from typing import Any

import torch

from .. import errors

# The CJK Unified Ideographs blocks (not Hangul, Hiragana or Katakana, which are written with spaces)
CJK_RANGES = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)


def is_cjk(character: str) -> bool:
    code = ord(character)
    return any(low <= code <= high for low, high in CJK_RANGES)


class BaseStreamer:
    """What ``generate`` calls: ``put(ids)`` for the prompt and then each new token, ``end()`` at the end."""

    def put(self, value: torch.Tensor) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement put.")

    def end(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement end.")


class TextStreamer(BaseStreamer):
    """Decodes the tokens as they come and prints the text that can no longer change (one prompt at a time).
    ``skip_prompt`` leaves the prompt out; ``decode_kwargs`` go to ``tokenizer.decode``."""

    def __init__(self, tokenizer: Any, skip_prompt: bool = False, **decode_kwargs: Any) -> None:
        self.tokenizer = tokenizer
        self.skip_prompt = skip_prompt
        self.decode_kwargs = decode_kwargs
        self.token_cache: list[int] = []
        self.print_len = 0
        self.next_tokens_are_prompt = True

    def put(self, value: torch.Tensor) -> None:
        if value.dim() > 1 and value.shape[0] > 1:
            raise errors.GenerationInputError(
                f"{type(self).__name__} streams one sequence, got a batch of {value.shape[0]}. Generate one prompt "
                "at a time (and num_return_sequences=1) when streaming."
            )
        if value.dim() > 1:
            value = value[0]
        if self.skip_prompt and self.next_tokens_are_prompt:
            self.next_tokens_are_prompt = False
            return
        self.token_cache.extend(value.tolist())
        self.on_finalized_text(self.printable(self.decode(self.token_cache)))

    def printable(self, text: str) -> str:
        """The part of ``text`` past what was printed that the next tokens cannot change."""
        pending = text[self.print_len:]
        if text.endswith("\n"):
            # a new line: start again from the last token, kept as context for the next line's leading space
            self.token_cache = self.token_cache[-1:]
            self.print_len = len(self.decode(self.token_cache[-1]))
            return pending
        if (text and is_cjk(text[-1])) or all(
            char.isspace() or unicodedata.category(char)[0] in "LMN" for char in pending
        ):
            printed = pending  # letters, marks, digits and spaces (and CJK characters) are final as they come
        else:  # a symbol may start a longer one or be half a character: print up to the last space
            printed = text[self.print_len:text.rfind(" ") + 1]
        self.print_len += len(printed)
        return printed

    def decode(self, ids: int | list[int]) -> str:
        return self.tokenizer.decode(ids, **self.decode_kwargs)

    def end(self) -> None:
        printed = ""
        if self.token_cache:
            printed = self.decode(self.token_cache)[self.print_len:]
            self.token_cache = []
            self.print_len = 0
        self.next_tokens_are_prompt = True
        self.on_finalized_text(printed, stream_end=True)

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        print(text, flush=True, end=None if stream_end else "")


class TextIteratorStreamer(TextStreamer):
    """The text pieces in a queue: iterate over the streamer (in another thread than ``generate``) to get them
    as they are final. ``timeout`` (seconds) bounds each wait; the iteration ends with the generation."""

    def __init__(self, tokenizer: Any, skip_prompt: bool = False, timeout: float | None = None,
                 **decode_kwargs: Any) -> None:
        super().__init__(tokenizer, skip_prompt, **decode_kwargs)
        self.text_queue: Queue[str | None] = Queue()
        self.stop_signal = None
        self.timeout = timeout

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        self.text_queue.put(text, timeout=self.timeout)
        if stream_end:
            self.text_queue.put(self.stop_signal, timeout=self.timeout)

    def __iter__(self) -> TextIteratorStreamer:
        return self

    def __next__(self) -> str:
        value = self.text_queue.get(timeout=self.timeout)
        if value == self.stop_signal:
            raise StopIteration
        return value
