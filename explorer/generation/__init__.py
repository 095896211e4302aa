"""Text generation for the decoders' language-model heads, as transformers' ``generation`` package:
:class:`GenerationConfig` (configuration.py), :class:`GenerationMixin` with ``generate`` (utils.py), the logits
processors and stopping criteria it chains, and the streamers that show the text as it comes."""

from __future__ import annotations

from .configuration import GenerationConfig
from .streamers import BaseStreamer, TextIteratorStreamer, TextStreamer
from .utils import GenerateDecoderOnlyOutput, GenerationMixin

__all__ = ["BaseStreamer", "GenerateDecoderOnlyOutput", "GenerationConfig", "GenerationMixin",
           "TextIteratorStreamer", "TextStreamer"]
