"""LayoutLMv2's tokenizer: BERT's WordPiece over words that come with their boxes on the page.

A document is a list of words (from OCR, or given) and one box per word, ``[x0, y0, x1, y1]`` on a 0-1000
scale. The words are tokenized as pre-split words (BERT's normalizer and WordPiece, exactly
:class:`~explorer.tokenization.bert.BertTokenizerFast`); then each token gets the box of the word it came from:

- ``[CLS]`` gets ``cls_token_box`` ``[0, 0, 0, 0]``, ``[SEP]`` ``sep_token_box`` ``[1000, 1000, 1000, 1000]``,
  padding ``pad_token_box`` ``[0, 0, 0, 0]``;
- with a question (``text=question, text_pair=words``), the question's tokens get ``pad_token_box`` (the
  question is split on whitespace; its words have no boxes).

With ``word_labels`` (one label per word, for token classification), the first token of each word gets the
word's label and every other token ``pad_token_label`` (-100, ignored by the loss); with
``only_label_first_subword=False`` every token of a word gets its label. As in transformers, a token is "first"
when its offset within its word starts at 0, and the question's tokens, too, take labels by their word index.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from .. import errors
from .batch_encoding import BatchEncoding
from .bert import BertTokenizerFast
from .tokenizers_backend import PreTrainedTokenizerFast

BOX_SETTINGS = {
    "cls_token_box": [0, 0, 0, 0],
    "sep_token_box": [1000, 1000, 1000, 1000],
    "pad_token_box": [0, 0, 0, 0],
    "pad_token_label": -100,
    "only_label_first_subword": True,
}


class LayoutLMv2TokenizerFast(BertTokenizerFast):
    """BERT's WordPiece tokenizer with word boxes (``bbox``) and word labels (``labels``) in its output."""

    model_input_names: ClassVar[list[str]] = ["input_ids", "attention_mask", "token_type_ids"]
    backend_settings: ClassVar[dict[str, Any]] = {**BertTokenizerFast.backend_settings, **BOX_SETTINGS}
    default_model_max_length: ClassVar[int] = 512  # transformers' LayoutLMv2Tokenizer default

    def __init__(self, tokenizer_object: Any = None, **settings: Any) -> None:
        settings.setdefault("model_max_length", self.default_model_max_length)
        for key, default in BOX_SETTINGS.items():  # a box list of its own for each tokenizer
            settings[key] = copy.deepcopy(settings.get(key, default))
        super().__init__(tokenizer_object, **settings)
        for key in ("cls_token_box", "sep_token_box", "pad_token_box"):
            box = getattr(self, key)
            if not isinstance(box, (list, tuple)) or len(box) != 4:
                raise errors.ConfigValueError(f"{key} must be a box of 4 numbers [x0, y0, x1, y1], not {box!r}.")

    def __call__(  # type: ignore[override]
        self,
        text: str | list[str] | list[list[str]],
        text_pair: list[str] | list[list[str]] | None = None,
        boxes: list[list[int]] | list[list[list[int]]] | None = None,
        word_labels: list[int] | list[list[int]] | None = None,
        *,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        stride: int = 0,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_tensors: str | None = None,
        return_token_type_ids: bool | None = None,
        return_attention_mask: bool | None = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        verbose: bool = True,
    ) -> BatchEncoding:
        """Encode words with their boxes: ``text`` is a list of words (one document) or a list of such lists (a
        batch); or ``text`` is a question (a string, or a list of them) and ``text_pair`` the words. ``boxes``
        has one box per word; ``word_labels`` (optional) one label per word. Returns transformers' fields plus
        ``bbox`` (and ``labels``)."""
        is_pair = text_pair is not None
        is_batched = _check_inputs(text, text_pair, boxes)
        if is_batched:
            questions = list(text) if is_pair else None
            words = list(text_pair if is_pair else text)
            batch_boxes, batch_labels = list(boxes), word_labels  # type: ignore[arg-type]
        else:
            questions = [text] if is_pair else None
            words = [text_pair if is_pair else text]
            batch_boxes, batch_labels = [boxes], (None if word_labels is None else [word_labels])
        # as transformers: every input is pre-split, a question on whitespace
        first = [question.split() for question in questions] if questions is not None else words
        second = words if questions is not None else None
        encoded = PreTrainedTokenizerFast.__call__(
            self, first, second, add_special_tokens=add_special_tokens, padding=padding, truncation=truncation,
            max_length=max_length, stride=stride, is_split_into_words=True, pad_to_multiple_of=pad_to_multiple_of,
            padding_side=padding_side, return_token_type_ids=return_token_type_ids,
            return_attention_mask=return_attention_mask, return_overflowing_tokens=return_overflowing_tokens,
            return_special_tokens_mask=return_special_tokens_mask,
            return_offsets_mapping=return_offsets_mapping or word_labels is not None,  # labels need the offsets
            return_length=return_length, verbose=verbose,
        )
        encodings = encoded.encodings or []
        data = dict(encoded)
        sample_of = data.get("overflow_to_sample_mapping") or list(range(len(encodings)))
        data["bbox"] = [
            self._token_boxes(row, encoding, batch_boxes[sample], is_pair)
            for row, encoding, sample in zip(data["input_ids"], encodings, sample_of)
        ]
        if batch_labels is not None:
            data["labels"] = [
                self._token_labels(offsets, encoding, batch_labels[sample])
                for offsets, encoding, sample in zip(data["offset_mapping"], encodings, sample_of)
            ]
            if not return_offsets_mapping:
                del data["offset_mapping"]
        if not is_batched and return_tensors is None and not return_overflowing_tokens:
            data = {key: value[0] if value and isinstance(value[0], list) else value for key, value in data.items()}
        return BatchEncoding(data, encodings, tensor_type=return_tensors)

    def _token_boxes(self, ids: list[int], encoding: Any, boxes: Any, is_pair: bool) -> list[Any]:
        token_boxes = []
        for index, sequence, word in zip(ids, encoding.sequence_ids, encoding.word_ids):
            if word is not None:
                token_boxes.append(self.pad_token_box if is_pair and sequence == 0 else boxes[word])
            elif index == self.cls_token_id:
                token_boxes.append(self.cls_token_box)
            elif index == self.sep_token_id:
                token_boxes.append(self.sep_token_box)
            elif index == self.pad_token_id:
                token_boxes.append(self.pad_token_box)
            else:
                raise errors.TokenizerInputError(
                    f"Token id {index} belongs to no word and is not [CLS], [SEP] or [PAD]: no box for it."
                )
        return token_boxes

    def _token_labels(self, offsets: list[tuple[int, int]], encoding: Any, labels: Any) -> list[Any]:
        token_labels = []
        for (start, _), word in zip(offsets, encoding.word_ids):
            if word is None or (self.only_label_first_subword and start != 0):
                token_labels.append(self.pad_token_label)
                continue
            try:
                token_labels.append(labels[word])
            except (IndexError, KeyError, TypeError):
                raise errors.TokenizerInputError(
                    f"word_labels has no label for word {word}: give one label per word (a question's tokens, too, "
                    "take the label of their word index, as in transformers)."
                ) from None
        return token_labels

    def tokenize(self, text: str, pair: str | None = None, add_special_tokens: bool = False) -> list[str]:
        """The token strings of ``text`` (a plain string: no boxes needed)."""
        return PreTrainedTokenizerFast.__call__(self, text, pair, add_special_tokens=add_special_tokens).tokens()

    def encode(self, text: Any, text_pair: Any = None, boxes: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """The ``input_ids`` of one document (with its ``boxes``)."""
        return self(text, text_pair, boxes=boxes, **kwargs)["input_ids"]

    def _pad_one(
        self, inputs: dict[str, Any], padding: str, max_length: int | None, pad_to_multiple_of: int | None,
        padding_side: str | None, return_attention_mask: bool | None,
    ) -> dict[str, Any]:
        """As BERT's, and ``bbox`` padded with ``pad_token_box``, ``labels`` with ``pad_token_label``."""
        before = len(inputs[self.model_input_names[0]])
        inputs = super()._pad_one(inputs, padding, max_length, pad_to_multiple_of, padding_side, return_attention_mask)
        missing = len(inputs[self.model_input_names[0]]) - before
        left = (padding_side or self.padding_side) == "left"
        for key, value in (("bbox", self.pad_token_box), ("labels", self.pad_token_label)):
            if missing and key in inputs:
                fill = [value] * missing
                inputs[key] = fill + list(inputs[key]) if left else list(inputs[key]) + fill
        return inputs


def _is_text_input(value: Any) -> bool:
    """transformers' check for a question: a string, a list of strings, or a list of lists of strings."""
    if isinstance(value, str):
        return True
    if isinstance(value, (list, tuple)):
        if not value or isinstance(value[0], str):
            return True
        if isinstance(value[0], (list, tuple)):
            return not value[0] or isinstance(value[0][0], str)
    return False


def _check_inputs(text: Any, text_pair: Any, boxes: Any) -> bool:
    """transformers' checks of words, questions and boxes; returns whether the input is a batch."""
    words_message = (
        "Words must be of type `List[str]` (single pretokenized example), or `List[List[str]]` (batch of "
        "pretokenized examples)."
    )
    if text_pair is not None:
        if not _is_text_input(text):
            raise errors.TokenizerInputError(
                "text input must of type `str` (single example) or `List[str]` (batch of examples). "
            )
        if not isinstance(text_pair, (list, tuple)):
            raise errors.TokenizerInputError(words_message)
        is_batched = isinstance(text, (list, tuple))
    else:
        if not isinstance(text, (list, tuple)):
            raise errors.TokenizerInputError(words_message + " A question goes in `text` with the words in `text_pair`.")
        is_batched = bool(text) and isinstance(text[0], (list, tuple))
    words = text if text_pair is None else text_pair
    if boxes is None:
        raise errors.TokenizerInputError("You must provide corresponding bounding boxes (one box per word).")
    if is_batched:
        if len(words) != len(boxes):
            raise errors.TokenizerInputError("You must provide words and boxes for an equal amount of examples")
        for words_example, boxes_example in zip(words, boxes):
            if len(words_example) != len(boxes_example):
                raise errors.TokenizerInputError("You must provide as many words as there are bounding boxes")
        if text_pair is not None and len(text) != len(text_pair):
            raise errors.TokenizerInputError(
                f"batch length of `text`: {len(text)} does not match batch length of `text_pair`: {len(text_pair)}."
            )
    elif len(words) != len(boxes):
        raise errors.TokenizerInputError("You must provide as many words as there are bounding boxes")
    return is_batched


LayoutLMv2Tokenizer = LayoutLMv2TokenizerFast  # transformers v5's name: its slow and fast classes are one class now

__all__ = ["LayoutLMv2Tokenizer", "LayoutLMv2TokenizerFast"]
