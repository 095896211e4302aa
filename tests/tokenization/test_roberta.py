"""RoBERTa's and XLM-RoBERTa's tokenizers against transformers' (the oracle), with tiny tokenizers trained here."""

from __future__ import annotations

from pathlib import Path

import pytest
import transformers

from explorer import errors
from explorer.tokenization import RobertaTokenizerFast, XLMRobertaTokenizerFast
from parity import assert_same_encoding
from .cases import CORPUS, ROBERTA_CORPUS, assert_same_repr


@pytest.mark.parametrize("source", ["tokenizer.json", "vocab.json", "lstrip-mask"])
@pytest.mark.parametrize("add_prefix_space", [None, True])
def test_roberta_against_transformers(
    roberta_folders: dict[str, Path], source: str, add_prefix_space: bool | None
) -> None:
    kwargs = {} if add_prefix_space is None else {"add_prefix_space": add_prefix_space}
    ours = RobertaTokenizerFast.from_pretrained(roberta_folders[source], **kwargs)
    theirs = transformers.RobertaTokenizer.from_pretrained(roberta_folders[source], **kwargs)
    texts = [*ROBERTA_CORPUS, " leading space", "Hello <mask> world</s>", CORPUS["cjk"], CORPUS["control"], ""]
    options = {"return_offsets_mapping": True, "return_special_tokens_mask": True}
    assert_same_encoding(ours(texts, **options), theirs(texts, **options))
    assert "token_type_ids" not in ours(texts[0])
    pairs = [(texts[0], texts[1]), (texts[2], texts[5])]
    assert_same_encoding(ours(pairs, padding=True, **options), theirs(pairs, padding=True, **options))
    truncated = {"truncation": "only_first", "max_length": 30, "stride": 2, "return_overflowing_tokens": True}
    assert_same_encoding(ours(pairs, **truncated), theirs(pairs, **truncated))
    if add_prefix_space:
        words = [["Hello", "world"], ["byte-level", "BPE", "🤗"]]
        assert_same_encoding(ours(words, is_split_into_words=True, padding=True),
                             theirs(words, is_split_into_words=True, padding=True))
    ids = theirs(texts, padding=True)["input_ids"]
    for skip in (False, True):
        assert ours.batch_decode(ids, skip_special_tokens=skip) == theirs.batch_decode(ids, skip_special_tokens=skip)
    assert ours.tokenize(texts[1]) == theirs.tokenize(texts[1])
    assert_same_repr(ours, theirs)
    if source == "lstrip-mask":  # the space before <mask> belongs to it, as in roberta-base
        assert ours.added_tokens_decoder[4].lstrip
        assert ours.tokenize("Hello <mask>")[-2:] != ["Ġ", "<mask>"]


def test_roberta_save_round_trip(roberta_folders: dict[str, Path], tmp_path: Path) -> None:
    ours = RobertaTokenizerFast.from_pretrained(roberta_folders["lstrip-mask"])
    assert ours.model_max_length == 64
    ours.add_tokens(["<new>"])
    ours.save_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(theirs) is transformers.RobertaTokenizer
    texts = ["Hello <mask> world <new>!", ROBERTA_CORPUS[0] * 5]
    assert_same_encoding(ours(texts, padding=True, truncation=True), theirs(texts, padding=True, truncation=True))
    assert_same_repr(ours, theirs)


def test_xlm_roberta(xlmr_folder: Path, tmp_path: Path) -> None:
    ours = XLMRobertaTokenizerFast.from_pretrained(xlmr_folder)
    theirs = transformers.XLMRobertaTokenizer.from_pretrained(xlmr_folder)
    texts = [*ROBERTA_CORPUS, "unseen wörds ☃", "Hello <mask> world"]
    assert_same_encoding(ours(texts, padding=True, return_offsets_mapping=True),
                         theirs(texts, padding=True, return_offsets_mapping=True))
    assert_same_encoding(ours(texts[0], texts[1]), theirs(texts[0], texts[1]))
    ids = theirs(texts)["input_ids"]
    assert ours.batch_decode(ids, skip_special_tokens=True) == theirs.batch_decode(ids, skip_special_tokens=True)
    assert_same_repr(ours, theirs)
    (tmp_path / "tokenizer_config.json").write_text((xlmr_folder / "tokenizer_config.json").read_text())
    with pytest.raises(errors.EntryNotFoundError, match="sentencepiece"):
        XLMRobertaTokenizerFast.from_pretrained(tmp_path)
