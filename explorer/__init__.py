"""explorer: transformers' Auto classes, reimplemented to be read and explored.

``from explorer import AutoTokenizer, AutoModel`` works as ``from transformers import ...`` for the supported
architectures. Names are imported on first use, so ``import explorer`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import registry  # plain data: imports no torch
from .pipelines import tasks  # plain data too

__version__ = "0.1.0"

# public names that are not an architecture's: the Auto classes and the bases -> the module that defines them
_BASE_EXPORTS = {
    **dict.fromkeys(("AutoConfig", "AutoTokenizer", "AutoImageProcessor", "AutoFeatureExtractor", "AutoProcessor",
                     *registry.MODEL_AUTO_CLASSES), "explorer.auto"),
    "PretrainedConfig": "explorer.configuration",
    "PreTrainedConfig": "explorer.configuration",
    "PreTrainedModel": "explorer.modeling",
    "PreTrainedTokenizerFast": "explorer.tokenization.tokenizers_backend",
    "TokenizersBackend": "explorer.tokenization.tokenizers_backend",
    "BatchEncoding": "explorer.tokenization.batch_encoding",
    "BatchFeature": "explorer.batch",
    "ProcessorMixin": "explorer.processing.multimodal",
    "ResolutionTrace": "explorer.trace",
    "LoadReport": "explorer.loading",
    **dict.fromkeys(("GenerationConfig", "GenerationMixin", "TextStreamer", "TextIteratorStreamer"),
                    "explorer.generation"),
    "explore": "explorer.widgets",  # the notebook app (ipywidgets, imported on first use)
    "compare": "explorer.widgets.compare",  # the app's compare mode: two checkpoints side by side
    "pipeline": "explorer.pipelines",  # a function, as transformers.pipeline
    **tasks.pipeline_exports(),
}
# public name -> module that defines it; every class of every registry row (configs, models, tokenizers,
# preprocessing) is one
_EXPORTS = {**_BASE_EXPORTS, **registry.exported_classes()}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'explorer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
