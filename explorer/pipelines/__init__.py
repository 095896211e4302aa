"""``pipeline()``: transformers' inference API (same task names, arguments and output structures) over
explorer's Auto classes, with every call's steps kept as plain data in ``pipe.steps``.

One file per task (as transformers' ``transformers/pipelines/``), each a :class:`base.Pipeline` subclass named
in a row of :mod:`.tasks`. Importing this package imports no torch: a task's module is imported when it is used.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from .. import errors
from .tasks import TASKS, Task, find_task, tasks_served_by

__all__ = ["pipeline", "TASKS"]


def pipeline(task: str | None = None, model: Any = None, tokenizer: Any = None, image_processor: Any = None,
             feature_extractor: Any = None, processor: Any = None, *, model_kwargs: dict[str, Any] | None = None,
             **kwargs: Any) -> Any:
    """A pipeline for ``task``, as ``transformers.pipeline``.

    ``model`` is a Hub id, a folder, a catalog id or a loaded model; ``None`` uses the task's default (see
    ``explorer.pipelines.TASKS`` and the README's table: offline, text-classification's default is the catalog's
    copy of distilbert-base-uncased-finetuned-sst-2-english with *random weights*, so its labels are real and
    its scores mean nothing; ``explorer-catalog/distilbert-sentiment`` is a trained one). ``tokenizer`` is
    loaded from ``model`` when that is a reference; with a loaded model pass it. ``model_kwargs`` go to
    ``from_pretrained``; other keyword arguments (``batch_size``, ``top_k``, ``aggregation_strategy``...) are
    the pipeline's defaults for every call.
    """
    if task is None:
        raise errors.PipelineInputError(
            "task: pass the task's name, e.g. pipeline('sentiment-analysis'); explorer does not ask the Hub for a "
            "model's task."
        )
    row = find_task(task)
    loaded, checkpoint = load_model(row, model, model_kwargs or {})
    given = {"tokenizer": tokenizer, "image_processor": image_processor, "feature_extractor": feature_extractor}
    parts = {name: load_part(name, given[name], checkpoint) if name in row.preprocessors else value
             for name, value in given.items()}
    pipeline_class = getattr(importlib.import_module(row.module_path), row.pipeline_class)
    return pipeline_class(loaded, **parts, processor=processor, task=row.name, **kwargs)


def load_model(row: Task, model: Any, model_kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """The model for ``row``'s task, loaded by the task's Auto class from a reference (with the checkpoint it
    was read from, opened once for the tokenizer too), or checked if given loaded (no checkpoint then)."""
    from .. import auto
    from ..resolution import open_checkpoint

    if model is not None and not isinstance(model, (str, os.PathLike)):
        check_loaded_head(row, model)
        return model, None
    reference = row.default if model is None else model
    try:
        checkpoint = open_checkpoint(reference)
        config = auto.AutoConfig.from_pretrained(checkpoint)
        check_head(row, config.model_type, f"{reference!s}'s model_type {config.model_type!r}")
        return getattr(auto, row.auto_class).from_pretrained(checkpoint, config=config, **model_kwargs), checkpoint
    except errors.OfflineCacheMissError as error:
        if model is not None:
            raise
        raise errors.NoOfflineDefaultError(
            f"model: {row.name}'s default checkpoint, {row.default!r}, is neither in the offline catalog nor in the "
            f"Hugging Face cache. Pass model= a folder or a cached id of a checkpoint with an "
            f"{row.auto_class} head, or go online once."
        ) from error


# the Auto class that loads each part pipeline() may need
PART_LOADERS = {"tokenizer": "AutoTokenizer", "image_processor": "AutoImageProcessor",
                "feature_extractor": "AutoFeatureExtractor"}


def load_part(name: str, value: Any, checkpoint: Any) -> Any:
    """The part ``name`` (a tokenizer, an image processor...) as given, loaded from the reference given, else
    from the model's checkpoint."""
    from .. import auto

    if value is not None and not isinstance(value, (str, os.PathLike)):
        return value
    source = value if value is not None else checkpoint
    if source is None:
        raise errors.PipelineInputError(
            f"{name}: the model was given loaded, so its {name.replace('_', ' ')} cannot be guessed; pass {name}= "
            f"(one loaded, a Hub id or a folder)."
        )
    return getattr(auto, PART_LOADERS[name]).from_pretrained(source)


def heads_of(model_type: str) -> dict[str, str]:
    """The Auto class -> class name of every head explorer has for ``model_type``."""
    from .. import registry

    return {name: table.class_name(model_type) for name, table in registry.MODEL_TABLES.items()
            if model_type in table}


def check_head(row: Task, model_type: str, what: str) -> None:
    """``model_type`` has a class in the task's Auto class, else an error naming the tasks it can serve."""
    heads = heads_of(model_type)
    if row.auto_class not in heads:
        raise errors.TaskHeadMismatchError(
            f"model: {what} has no {row.auto_class} class, so it cannot serve {row.name}. Its heads: "
            f"{', '.join(sorted(heads.values())) or 'none'}; the tasks they serve: {served(set(heads))}."
        )


def check_loaded_head(row: Task, model: Any) -> None:
    """A loaded model must be its type's class for the task's Auto class (feature-extraction takes any model)."""
    config = getattr(model, "config", None)
    if config is None:
        raise errors.PipelineInputError(
            f"model: expected a Hub id, a folder or a loaded explorer model, got {type(model).__name__}."
        )
    name = type(model).__name__
    heads = {auto for auto, class_name in heads_of(config.model_type).items() if class_name == name}
    if row.name != "feature-extraction" and row.auto_class not in heads:
        raise errors.TaskHeadMismatchError(
            f"model: {name} is not an {row.auto_class} model, so it cannot serve {row.name}. {name} serves: "
            f"{served(heads)}. Load the checkpoint with {row.auto_class}, or pass its id as model=."
        )


def served(auto_classes: set[str]) -> str:
    """The tasks served by a model with these heads (feature-extraction takes any model)."""
    return ", ".join(dict.fromkeys([*tasks_served_by(auto_classes), "feature-extraction"]))
