"""question-answering, with transformers 4's ``QuestionAnsweringPipeline`` behaviour and outputs (transformers
5 removed it): the question and the context -> tokens, the context cut into overlapping spans of at most
``max_seq_len`` tokens (``doc_stride`` of overlap) -> the head's start and end logits per span -> the span
search: softmax over the context's tokens, the best ``start <= end`` pairs of at most ``max_answer_len`` tokens
by the product of their probabilities -> character offsets of the answer's words in the context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from .. import errors
from .base import ChunkResult, Pipeline, Step, check_text

NULL_SCORE = 1000000  # transformers 4's starting "no answer" score: any span's probability is below it


class QuestionAnsweringPipeline(Pipeline):
    """Answer a question from a context: ``{"score", "start", "end", "answer"}``, or a list of ``top_k``.

    Called as ``qa(question=..., context=...)``, ``qa({"question": ..., "context": ...})``, ``qa(question,
    context)``, or with lists (of questions and contexts, or of dicts)."""

    task = "question-answering"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        examples, kwargs = examples_of(args, kwargs)
        if isinstance(examples, list) and len(examples) == 1:
            return super().__call__(examples[0], **kwargs)
        return super().__call__(examples, **kwargs)

    def _sanitize_parameters(self, padding: Any = None, top_k: int | None = None, doc_stride: int | None = None,
                             max_answer_len: int | None = None, max_seq_len: int | None = None,
                             max_question_len: int | None = None, handle_impossible_answer: bool | None = None,
                             align_to_words: bool | None = None) -> tuple[dict, dict, dict]:
        preprocess = {name: value for name, value in (("padding", padding), ("doc_stride", doc_stride),
                                                      ("max_seq_len", max_seq_len),
                                                      ("max_question_len", max_question_len))
                      if value is not None}
        for name, value in (("top_k", top_k), ("max_answer_len", max_answer_len)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise errors.PipelineInputError(f"{name}={value!r}: pass a whole number of at least 1.")
        postprocess = {name: value for name, value in (("top_k", top_k), ("max_answer_len", max_answer_len),
                                                       ("handle_impossible_answer", handle_impossible_answer),
                                                       ("align_to_words", align_to_words))
                       if value is not None}
        return preprocess, {}, postprocess

    def preprocess(self, example: Mapping[str, Any], padding: Any = "do_not_pad", doc_stride: int | None = None,
                   max_question_len: int = 64, max_seq_len: int | None = None) -> list[dict[str, Any]]:
        """One chunk per span of the context. ``max_question_len`` only applies to slow tokenizers in
        transformers 4, and explorer's tokenizers are all fast: it is accepted and has no effect, as there."""
        example = checked_example(example)
        question, context = check_text(example["question"], "question"), check_text(example["context"], "context")
        if max_seq_len is None:
            max_seq_len = min(self.tokenizer.model_max_length, 384)
        if doc_stride is None:
            doc_stride = min(max_seq_len // 2, 128)
        if doc_stride > max_seq_len:
            raise errors.PipelineInputError(f"doc_stride={doc_stride}: larger than max_seq_len={max_seq_len}.")
        question_first = self.tokenizer.padding_side == "right"
        encoded = self.tokenizer(
            text=question if question_first else context, text_pair=context if question_first else question,
            padding=padding, truncation="only_second" if question_first else "only_first", max_length=max_seq_len,
            stride=doc_stride, return_token_type_ids=True, return_overflowing_tokens=True,
            return_offsets_mapping=True, return_special_tokens_mask=True,
        )
        return [self.span(encoded, index, question_first, {"question": question, "context": context})
                for index in range(len(encoded["input_ids"]))]

    def span(self, encoded: Any, index: int, question_first: bool, example: dict[str, str]) -> dict[str, Any]:
        """One span's model inputs, its p_mask (1: a token that cannot be in the answer, the CLS token excepted,
        as it stands for "no answer") and what postprocessing needs."""
        input_ids = encoded["input_ids"][index]
        p_mask = [int(sequence != 1) if question_first else 0 for sequence in encoded.sequence_ids(index)]
        for position, token in enumerate(input_ids):
            if token == self.tokenizer.cls_token_id:
                p_mask[position] = 0
        chunk = {name: torch.tensor([encoded[name][index]]) for name in self.tokenizer.model_input_names
                 if name in encoded}
        chunk["token_type_ids"] = torch.tensor([encoded["token_type_ids"][index]])
        return {**chunk, "p_mask": torch.tensor([p_mask]), "example": example,
                "encoding": encoded.encodings[index]}

    def _forward(self, model_inputs: dict[str, torch.Tensor]) -> dict[str, Any]:
        output = self.model(**model_inputs)
        return {"start_logits": output["start_logits"], "end_logits": output["end_logits"]}

    def _model_inputs(self, inputs: dict[str, Any]) -> dict[str, torch.Tensor]:
        return {name: inputs[name] for name in self.tokenizer.model_input_names}

    def postprocess(self, results: list[ChunkResult], steps: list[Step], top_k: int = 1,
                    handle_impossible_answer: bool = False, max_answer_len: int = 15,
                    align_to_words: bool = True) -> Any:
        null_score = NULL_SCORE
        answers = []
        for span_index, result in enumerate(results):
            start_logits = result.outputs["start_logits"].numpy()
            end_logits = result.outputs["end_logits"].numpy()
            attention_mask = result.inputs["attention_mask"].numpy() if "attention_mask" in result.inputs else None
            starts, ends, scores, null_score = select_starts_ends(
                start_logits, end_logits, result.inputs["p_mask"].numpy(), attention_mask, null_score, top_k,
                handle_impossible_answer, max_answer_len)
            found = [self.answer(result, int(start), int(end), float(score), align_to_words)
                     for start, end, score in zip(starts, ends, scores)]
            steps.append(Step(f"span search, span {span_index}",
                              f"softmax of the start and end logits over the context's tokens; the best start <= end "
                              f"pairs of at most {max_answer_len} tokens by start x end probability",
                              [{**answer, "start_token": int(start), "end_token": int(end)}
                               for answer, start, end in zip(found, starts, ends)]))
            answers += found
        if handle_impossible_answer:
            answers.append({"score": null_score, "start": 0, "end": 0, "answer": ""})
            steps.append(Step("no answer", "the lowest probability of the CLS token as start and end, over the spans",
                              null_score))
        answers = sorted(answers, key=lambda answer: answer["score"], reverse=True)[:top_k]
        steps.append(Step("top_k", f"the {top_k} best answers over all spans", answers))
        return answers[0] if len(answers) == 1 else answers

    def answer(self, result: ChunkResult, start: int, end: int, score: float, align_to_words: bool) -> dict:
        """The answer's characters in the context for tokens ``start..end`` of a span."""
        if self.tokenizer.padding_side == "left":  # a left-padded batch shifts the span's tokens
            shift = int((result.inputs["input_ids"] == self.tokenizer.pad_token_id).sum())
            start, end = start - shift, end - shift
        sequence_index = 1 if self.tokenizer.padding_side == "right" else 0
        first, last = character_span(result.inputs["encoding"], start, end, sequence_index, align_to_words)
        return {"score": score, "start": first, "end": last, "answer": result.inputs["example"]["context"][first:last]}


def character_span(encoding: Any, start: int, end: int, sequence_index: int, align_to_words: bool) -> tuple[int, int]:
    """From the start of the first token's word to the end of the last token's word (or the tokens' own
    offsets, when not aligning to words or when a token belongs to no word)."""
    if align_to_words:
        start_word, end_word = encoding.token_to_word(start), encoding.token_to_word(end)
        if start_word is not None and end_word is not None:
            return (encoding.word_to_chars(start_word, sequence_index)[0],
                    encoding.word_to_chars(end_word, sequence_index)[1])
    return encoding.offsets[start][0], encoding.offsets[end][1]


def select_starts_ends(start: np.ndarray, end: np.ndarray, p_mask: np.ndarray, attention_mask: np.ndarray | None,
                       min_null_score: float, top_k: int, handle_impossible_answer: bool,
                       max_answer_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """transformers 4's span search over one span's logits (shape 1 x tokens), step for step."""
    undesired_tokens = np.abs(np.array(p_mask) - 1)
    if attention_mask is not None:
        undesired_tokens = undesired_tokens & attention_mask
    undesired_tokens_mask = undesired_tokens == 0.0  # (it is in fact the mask of the *allowed* tokens, inverted)
    start = np.where(undesired_tokens_mask, -10000.0, start)
    end = np.where(undesired_tokens_mask, -10000.0, end)
    start = np.exp(start - start.max(axis=-1, keepdims=True))
    start = start / start.sum()
    end = np.exp(end - end.max(axis=-1, keepdims=True))
    end = end / end.sum()
    if handle_impossible_answer:
        min_null_score = min(min_null_score, (start[0, 0] * end[0, 0]).item())
    start[0, 0] = end[0, 0] = 0.0  # the CLS token is never an answer
    starts, ends, scores = decode_spans(start, end, top_k, max_answer_len, undesired_tokens)
    return starts, ends, scores, min_null_score


def decode_spans(start: np.ndarray, end: np.ndarray, topk: int, max_answer_len: int,
                 undesired_tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``topk`` best (start, end) pairs with start <= end < start + max_answer_len, by start x end."""
    outer = np.matmul(np.expand_dims(start, -1), np.expand_dims(end, 1))
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    scores_flat = candidates.flatten()
    if topk == 1:
        idx_sort = [np.argmax(scores_flat)]
    elif len(scores_flat) < topk:
        idx_sort = np.argsort(-scores_flat)
    else:
        idx = np.argpartition(-scores_flat, topk)[0:topk]
        idx_sort = idx[np.argsort(-scores_flat[idx])]
    starts, ends = np.unravel_index(idx_sort, candidates.shape)[1:]
    # as transformers 4: nonzero() of the 2-d mask gives (rows, columns), so position 0 (a row index) passes too
    allowed = undesired_tokens.nonzero()
    desired_spans = np.isin(starts, allowed) & np.isin(ends, allowed)
    starts, ends = starts[desired_spans], ends[desired_spans]
    return starts, ends, candidates[0, starts, ends]


def examples_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """transformers 4's ways of passing questions and contexts -> a list of ``{"question", "context"}`` dicts (a
    generator passes through), and the remaining keyword arguments."""
    question, context = kwargs.pop("question", None), kwargs.pop("context", None)
    if len(args) == 2 and all(isinstance(arg, str) for arg in args):
        examples: Any = [{"question": args[0], "context": args[1]}]
    elif len(args) == 1:
        examples = args[0]
    elif args:
        examples = list(args)
    elif question is not None and context is not None:
        examples = pair_up(question, context)
    else:
        raise errors.PipelineInputError(
            "question, context: pass both (qa(question=..., context=...)), or a dict {'question': ..., "
            "'context': ...}, or a list of such dicts."
        )
    return [examples] if isinstance(examples, Mapping) else examples, kwargs


def pair_up(question: Any, context: Any) -> list[dict[str, Any]]:
    if isinstance(question, list) and isinstance(context, str):
        return [{"question": each, "context": context} for each in question]
    if isinstance(question, list) and isinstance(context, list):
        if len(question) != len(context):
            raise errors.PipelineInputError(
                f"question, context: {len(question)} questions and {len(context)} contexts; pass as many of each."
            )
        return [{"question": q, "context": c} for q, c in zip(question, context)]
    return [{"question": question, "context": context}]


def checked_example(example: Any) -> dict[str, Any]:
    if not isinstance(example, Mapping) or not {"question", "context"} <= set(example):
        raise errors.PipelineInputError(
            f"inputs: each example is a dict with the keys 'question' and 'context', got {example!r:.80}."
        )
    return {"question": example["question"], "context": example["context"]}
