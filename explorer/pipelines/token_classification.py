"""token-classification (alias ner), as transformers' ``TokenClassificationPipeline``: the text -> tokens with
their character offsets -> the head's logits per token -> softmax -> each token's best label -> (with an
``aggregation_strategy``) tokens grouped into words and entities -> labels in ``ignore_labels`` dropped."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import errors
from .base import ChunkResult, Pipeline, Step, check_text, softmax

STRATEGIES = ("none", "simple", "first", "average", "max")


class TokenClassificationPipeline(Pipeline):
    """Label each token: ``[{"entity", "score", "index", "word", "start", "end"}]``; with
    ``aggregation_strategy`` other than ``"none"``, ``[{"entity_group", "score", "word", "start", "end"}]``."""

    task = "token-classification"
    sort_by_length = True

    def _sanitize_parameters(self, ignore_labels: list[str] | None = None,
                             aggregation_strategy: str | None = None) -> tuple[dict, dict, dict]:
        postprocess: dict[str, Any] = {}
        if aggregation_strategy is not None:
            postprocess["aggregation_strategy"] = checked_strategy(aggregation_strategy)
        if ignore_labels is not None:
            postprocess["ignore_labels"] = ignore_labels
        return {}, {}, postprocess

    def preprocess(self, item: Any) -> list[dict[str, Any]]:
        sentence = check_text(item, "inputs")
        max_length = self.tokenizer.model_max_length
        inputs = self.tokenizer(sentence, return_tensors="pt", truncation=bool(max_length and max_length > 0),
                                return_special_tokens_mask=True, return_offsets_mapping=True)
        return [{**inputs, "sentence": sentence}]

    def postprocess(self, results: list[ChunkResult], steps: list[Step], aggregation_strategy: str = "none",
                    ignore_labels: list[str] | None = None) -> list[dict[str, Any]]:
        ignore_labels = ["O"] if ignore_labels is None else ignore_labels
        inputs, logits = results[0].inputs, results[0].outputs["logits"][0].float().numpy()
        scores = softmax(logits)
        steps.append(Step("logits", "the head's output for every token, one number per label", logits.tolist()))
        steps.append(Step("softmax", "softmax over each token's logits", scores.tolist()))
        tokens = self.gather_tokens(inputs["sentence"], inputs["input_ids"][0].tolist(), scores,
                                    inputs["offset_mapping"][0].tolist(), inputs["special_tokens_mask"][0].tolist())
        steps.append(Step("tokens", "special tokens dropped; each token's text span and whether it continues a word",
                          [{key: token[key] for key in ("word", "start", "end", "is_subword")} for token in tokens]))
        entities = self.aggregate(tokens, aggregation_strategy)
        steps.append(Step(f"aggregation: {aggregation_strategy}", AGGREGATION_DETAIL[aggregation_strategy],
                          entities))
        kept = [entity for entity in entities
                if entity.get("entity") not in ignore_labels and entity.get("entity_group") not in ignore_labels]
        steps.append(Step("ignore_labels", f"entities labelled {ignore_labels} dropped", kept))
        return kept

    def gather_tokens(self, sentence: str, input_ids: list[int], scores: np.ndarray,
                      offsets: list[list[int]], special: list[int]) -> list[dict[str, Any]]:
        """Every non-special token: its text, scores, character span and whether it continues a word."""
        prefix = getattr(self.tokenizer.backend_tokenizer.model, "continuing_subword_prefix", None)
        tokens = []
        for index, token_scores in enumerate(scores):
            if special[index]:
                continue
            word = self.tokenizer.convert_ids_to_tokens(input_ids[index])
            start, end = offsets[index]
            word_ref = sentence[start:end]
            if prefix:
                is_subword = len(word) != len(word_ref)
            else:  # transformers' fallback for tokenizers without a subword prefix: no space before the token
                is_subword = start > 0 and " " not in sentence[start - 1:start + 1]
            if input_ids[index] == self.tokenizer.unk_token_id:
                word, is_subword = word_ref, False
            tokens.append({"word": word, "scores": token_scores, "start": start, "end": end, "index": index,
                           "is_subword": is_subword})
        return tokens

    def aggregate(self, tokens: list[dict[str, Any]], strategy: str) -> list[dict[str, Any]]:
        if strategy in ("none", "simple"):
            entities = [self.best_label(token["scores"], {"index": token["index"], "word": token["word"],
                                                          "start": token["start"], "end": token["end"]})
                        for token in tokens]
        else:
            entities = [self.aggregate_word(word, strategy) for word in words(tokens)]
        return entities if strategy == "none" else self.group_entities(entities)

    def best_label(self, scores: np.ndarray, fields: dict[str, Any]) -> dict[str, Any]:
        best = int(scores.argmax())
        return {"entity": self.model.config.id2label[best], "score": float(scores[best]), **fields}

    def aggregate_word(self, tokens: list[dict[str, Any]], strategy: str) -> dict[str, Any]:
        """One word's label from its tokens': the first token's, the surest token's, or the mean scores'."""
        if strategy == "first":
            scores = tokens[0]["scores"]
        elif strategy == "max":
            scores = max(tokens, key=lambda token: token["scores"].max())["scores"]
        else:
            scores = np.nanmean(np.stack([token["scores"] for token in tokens]), axis=0)
        word = self.tokenizer.convert_tokens_to_string([token["word"] for token in tokens])
        return self.best_label(scores, {"word": word, "start": tokens[0]["start"], "end": tokens[-1]["end"]})

    def group_entities(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Neighbours with the same tag joined into one entity, a ``B-`` starting a new one."""
        groups: list[list[dict[str, Any]]] = []
        for entity in entities:
            bi, tag = bio_tag(entity["entity"])
            if groups and tag == bio_tag(groups[-1][-1]["entity"])[1] and bi != "B":
                groups[-1].append(entity)
            else:
                groups.append([entity])
        return [self.group(group) for group in groups]

    def group(self, entities: list[dict[str, Any]]) -> dict[str, Any]:
        return {"entity_group": entities[0]["entity"].split("-", 1)[-1],
                "score": float(np.mean(np.nanmean([entity["score"] for entity in entities]))),
                "word": self.tokenizer.convert_tokens_to_string([entity["word"] for entity in entities]),
                "start": entities[0]["start"], "end": entities[-1]["end"]}


AGGREGATION_DETAIL = {
    "none": "each token keeps its best label",
    "simple": "each token's best label; neighbours with the same tag grouped (B- starts a new group)",
    "first": "a word takes its first token's label; words with the same tag grouped",
    "average": "a word takes the best of its tokens' mean scores; words with the same tag grouped",
    "max": "a word takes the label of its surest token; words with the same tag grouped",
}


def words(tokens: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Tokens grouped into words: a subword token joins the word before it."""
    grouped: list[list[dict[str, Any]]] = []
    for token in tokens:
        if grouped and token["is_subword"]:
            grouped[-1].append(token)
        else:
            grouped.append([token])
    return grouped


def bio_tag(label: str) -> tuple[str, str]:
    """``("B", "PER")`` for ``B-PER``; a label without a B-/I- prefix counts as inside."""
    if label.startswith(("B-", "I-")):
        return label[0], label[2:]
    return "I", label


def checked_strategy(strategy: Any) -> str:
    name = getattr(strategy, "value", strategy)
    if not isinstance(name, str) or name.lower() not in STRATEGIES:
        raise errors.PipelineInputError(
            f"aggregation_strategy={strategy!r}: pass one of {', '.join(map(repr, STRATEGIES))}."
        )
    return name.lower()
