"""The pipeline core, as transformers' ``pipelines/base.py``: each input is preprocessed into one or more
chunks of model inputs (a long QA context gives several, zero-shot one per label), chunks are padded into
batches of ``batch_size`` and run through the model, each chunk's share of the outputs is cut back out, and
each input's chunks are postprocessed into its result.

Every call keeps a record of what it did in ``pipeline.steps`` (:class:`CallSteps`), as plain data (lists,
numbers, strings) that a renderer can show without torch: each input's tokens and model inputs, the model's raw
outputs, and the postprocessing applied with what each step gave.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .. import errors

# inputs padded with 1 in a batch: masks where 1 means "not a candidate" (transformers' pad_collate_fn)
PADDED_WITH_ONE = frozenset({"p_mask", "special_tokens_mask"})


# --- the record of a call -----------------------------------------------------------------------------------


@dataclass
class Step:
    """One postprocessing step: its name (``softmax``, ``id2label``, ``span search``...), what it did, and what
    it gave, as plain data."""

    name: str
    detail: str
    value: Any


@dataclass
class ChunkSteps:
    """One chunk of an input as the model saw it (padded to its batch) and the model's raw outputs for it."""

    tokens: list[str]
    model_inputs: dict[str, Any]
    model_outputs: dict[str, Any]


@dataclass
class ItemSteps:
    """One input of a call: its chunks, the postprocessing applied to their outputs, and the result."""

    input: Any
    chunks: list[ChunkSteps]
    postprocessing: list[Step]
    output: Any


@dataclass
class CallSteps:
    """The last call of a pipeline, input by input."""

    task: str
    batch_size: int
    parameters: dict[str, Any]
    items: list[ItemSteps] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def plain(value: Any) -> Any:
    """Tensors, arrays, numpy scalars and tuples as lists and Python numbers; dicts and lists recursively."""
    if isinstance(value, (torch.Tensor, np.ndarray, np.generic)):
        return value.tolist()
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


# --- batching -----------------------------------------------------------------------------------------------


@dataclass
class ChunkResult:
    """A chunk's inputs (padded as in its batch) and its share of the model's outputs, both batch size 1."""

    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class _Run:
    """One input on its way through: its chunks, and the results of those already run."""

    input: Any
    chunks: list[dict[str, Any]]
    results: list[ChunkResult] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return len(self.results) == len(self.chunks)


def pad_tensors(values: list[torch.Tensor], padding_value: int, side: str) -> torch.Tensor:
    """Rows of batch size 1 stacked into one batch, the shorter ones padded (as transformers' ``_pad``)."""
    if values[0].ndim == 1 or len({value.shape[1] for value in values}) == 1:
        return torch.cat(values, dim=0)
    length = max(value.shape[1] for value in values)
    batch = torch.full([len(values), length, *values[0].shape[2:]], padding_value, dtype=values[0].dtype)
    for row, value in enumerate(values):
        if side == "left":
            batch[row, length - value.shape[1]:] = value[0]
        else:
            batch[row, :value.shape[1]] = value[0]
    return batch


def row_of(value: Any, row: int) -> Any:
    """Row ``row`` of a batched value, keeping a batch dimension of 1."""
    if isinstance(value, torch.Tensor):
        return value[row:row + 1]
    if isinstance(value, tuple):
        return tuple(row_of(item, row) for item in value)
    if isinstance(value, list):
        return value[row]
    return value


# --- the pipeline -------------------------------------------------------------------------------------------


class Pipeline(ABC):
    """preprocess -> forward -> postprocess, for one input, a list, or any iterable (streamed lazily).

    Subclasses implement ``_sanitize_parameters`` (the call's keyword arguments split into preprocess, forward
    and postprocess ones), ``preprocess`` (one input -> its chunks: dicts of tensors of batch size 1 and plain
    values carried along), and ``postprocess`` (the chunks' results -> the input's result, recording its steps).
    """

    task = ""
    # the preprocessed keys padded with the tokenizer's pad id
    padded_with_pad_id = frozenset({"input_ids"})

    def __init__(self, model: Any, tokenizer: Any = None, image_processor: Any = None, feature_extractor: Any = None,
                 processor: Any = None, task: str = "", batch_size: int | None = None, **kwargs: Any) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.image_processor = image_processor
        self.feature_extractor = feature_extractor
        self.processor = processor
        self.task = task or self.task
        self._batch_size = batch_size
        self._preprocess_params, self._forward_params, self._postprocess_params = self._sanitize_parameters(**kwargs)
        self.steps: CallSteps | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task={self.task!r}, model={type(self.model).__name__})"

    # --- to implement ---

    @abstractmethod
    def _sanitize_parameters(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """See the class docstring."""

    @abstractmethod
    def preprocess(self, item: Any, **params: Any) -> list[dict[str, Any]]:
        """See the class docstring."""

    @abstractmethod
    def postprocess(self, results: list[ChunkResult], steps: list[Step], **params: Any) -> Any:
        """See the class docstring."""

    def _forward(self, model_inputs: dict[str, torch.Tensor], **params: Any) -> dict[str, Any]:
        return dict(self.model(**model_inputs))

    def is_one_input(self, inputs: Any) -> bool:
        """Whether ``inputs`` is one input rather than a collection of them."""
        return isinstance(inputs, (str, Mapping))

    # --- calling ---

    def __call__(self, inputs: Any, *, batch_size: int | None = None, **kwargs: Any) -> Any:
        size = self._checked_batch_size(self._batch_size if batch_size is None else batch_size)
        params = self._merged_parameters(kwargs)
        if self.is_one_input(inputs):
            return next(self._results([inputs], size, params))
        if isinstance(inputs, (list, tuple)):
            return list(self._results(list(inputs), size, params))
        if isinstance(inputs, Iterable) and not isinstance(inputs, (bytes, bytearray)):
            return self._results(inputs, size, params)
        raise errors.PipelineInputError(
            f"inputs: {self.task} takes one input, a list or an iterable of them, not {type(inputs).__name__}."
        )

    def _checked_batch_size(self, batch_size: int | None) -> int:
        size = 1 if batch_size is None else batch_size
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise errors.PipelineInputError(f"batch_size={batch_size!r}: pass a whole number of at least 1.")
        if size > 1 and self.tokenizer is not None and self.tokenizer.pad_token_id is None:
            raise errors.PipelineInputError(
                f"batch_size={size}: the tokenizer has no pad token to pad a batch with. Set one "
                "(tokenizer.pad_token = tokenizer.eos_token) or use batch_size=1."
            )
        return size

    def _merged_parameters(self, kwargs: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        """The call's parameters over those given when the pipeline was made."""
        call = self._sanitize_parameters(**kwargs)
        made = (self._preprocess_params, self._forward_params, self._postprocess_params)
        return tuple({**before, **now} for before, now in zip(made, call))

    def _results(self, items: Iterable[Any], batch_size: int, params: tuple[dict[str, Any], ...]) -> Iterator[Any]:
        """Each input's result, in order; chunks are batched across inputs as they come."""
        preprocess_params, forward_params, postprocess_params = params
        self.steps = CallSteps(self.task, batch_size, plain_parameters({**preprocess_params, **postprocess_params}))
        runs: deque[_Run] = deque()
        waiting: list[tuple[_Run, dict[str, Any]]] = []
        for item in items:
            run = _Run(item, self.preprocess(item, **preprocess_params))
            runs.append(run)
            waiting += [(run, chunk) for chunk in run.chunks]
            while len(waiting) >= batch_size:
                self._run_batch(waiting[:batch_size], forward_params)
                waiting = waiting[batch_size:]
            yield from self._finished(runs, postprocess_params)
        if waiting:
            self._run_batch(waiting, forward_params)
        yield from self._finished(runs, postprocess_params)

    def _run_batch(self, batch: list[tuple[_Run, dict[str, Any]]], forward_params: dict[str, Any]) -> None:
        chunks = [chunk for _, chunk in batch]
        inputs = chunks[0] if len(chunks) == 1 else self._collate(chunks)
        with torch.no_grad():
            outputs = self._forward(self._model_inputs(inputs), **forward_params)
        for row, (run, _) in enumerate(batch):
            run.results.append(ChunkResult({key: row_of(value, row) for key, value in inputs.items()},
                                           {key: row_of(value, row) for key, value in outputs.items()}))

    @property
    def model_input_names(self) -> list[str]:
        """The preprocessed keys the model takes: its tokenizer's, image processor's or feature extractor's."""
        parts = (self.tokenizer, self.image_processor, self.feature_extractor)
        return [name for part in parts if part is not None for name in part.model_input_names]

    def _model_inputs(self, inputs: dict[str, Any]) -> dict[str, torch.Tensor]:
        return {name: inputs[name] for name in self.model_input_names if name in inputs}

    def _collate(self, chunks: list[dict[str, Any]]) -> dict[str, Any]:
        """Chunks padded into one batch: tensors padded on the tokenizer's side (the right without one), other
        values listed."""
        side = self.tokenizer.padding_side if self.tokenizer is not None else "right"
        batch = {}
        for key, first in chunks[0].items():
            values = [chunk[key] for chunk in chunks]
            if isinstance(first, torch.Tensor):
                batch[key] = pad_tensors(values, self._padding_value(key), side)
            else:
                batch[key] = values
        return batch

    def _padding_value(self, key: str) -> int:
        if key in self.padded_with_pad_id:
            return self.tokenizer.pad_token_id
        return 1 if key in PADDED_WITH_ONE else 0

    def _finished(self, runs: deque[_Run], postprocess_params: dict[str, Any]) -> Iterator[Any]:
        """Postprocess the inputs at the front whose chunks have all run."""
        while runs and runs[0].done:
            run = runs.popleft()
            steps: list[Step] = []
            output = self.postprocess(run.results, steps, **postprocess_params)
            self.steps.items.append(ItemSteps(plain(run.input), [self._chunk_steps(result) for result in run.results],
                                              steps, plain(output)))
            yield output

    def _chunk_steps(self, result: ChunkResult) -> ChunkSteps:
        tensors = {key: plain(value) for key, value in result.inputs.items() if isinstance(value, torch.Tensor)}
        ids = tensors.get("input_ids")
        tokens = self.tokenizer.convert_ids_to_tokens(ids[0]) if ids is not None and self.tokenizer else []
        return ChunkSteps(tokens, tensors, self.recorded_outputs(result))

    def recorded_outputs(self, result: ChunkResult) -> dict[str, Any]:
        """The model's raw outputs for one chunk as the record keeps them: every tensor (a task whose outputs are
        large keeps the part its postprocessing reads)."""
        return {key: plain(value) for key, value in result.outputs.items() if isinstance(value, (torch.Tensor, tuple))}


def plain_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """The call's parameters as plain data (enums by their value)."""
    return {key: getattr(value, "value", plain(value)) for key, value in params.items()}


def check_text(value: Any, argument: str) -> str:
    """``value`` if it is a non-empty string; else an error naming ``argument``."""
    if not isinstance(value, str):
        raise errors.PipelineInputError(f"{argument}: expected a string, got {type(value).__name__}.")
    if not value.strip():
        raise errors.PipelineInputError(f"{argument}: the text is empty; pass some text to run the model on.")
    return value


def softmax(values: np.ndarray) -> np.ndarray:
    """transformers' numpy softmax over the last axis (the same float32 operations, so the same scores)."""
    shifted = np.exp(values - np.max(values, axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))
