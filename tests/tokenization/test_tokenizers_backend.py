"""The tokenizers-library backend: tokenizer.json used as it is, the class of a tokenizer_config.json name, and
the library's errors (and Rust panics) turned into explorer's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import transformers

from explorer import errors
from explorer.tokenization import (
    BertTokenizer,
    BertTokenizerFast,
    DistilBertTokenizerFast,
    PreTrainedTokenizerFast,
    RobertaTokenizerFast,
    TokenizersBackend,
    XLMRobertaTokenizerFast,
    tokenizer_class_from_name,
)
from parity import assert_same_encoding
from .cases import HOBBIT, HOBBIT_IDS, LONG, LONGISH, ROBERTA_CORPUS, assert_same_repr, bare_tokenizer_json


def test_generic_tokenizer_uses_tokenizer_json_as_is(roberta_folders: dict[str, Path], tmp_path: Path) -> None:
    bare_tokenizer_json(roberta_folders, tmp_path)
    ours = PreTrainedTokenizerFast.from_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert TokenizersBackend is PreTrainedTokenizerFast
    assert_same_encoding(ours(ROBERTA_CORPUS), theirs(ROBERTA_CORPUS))
    assert_same_repr(ours, theirs)
    assert ours.special_tokens_map == {} and ours.model_max_length == int(1e30)
    saved = tmp_path / "saved"
    ours.save_pretrained(saved)
    assert json.loads((saved / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"
    reloaded = transformers.AutoTokenizer.from_pretrained(saved)
    assert_same_encoding(ours(ROBERTA_CORPUS), reloaded(ROBERTA_CORPUS))


def test_tokenizer_path_does_not_import_torch(minilm_path: Path) -> None:
    code = (
        "import sys; from explorer.tokenization import BertTokenizerFast;"
        f"t = BertTokenizerFast.from_pretrained({str(minilm_path)!r}); t(['a', 'b c'], padding=True);"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_tokenizer_class_from_name() -> None:
    assert tokenizer_class_from_name("BertTokenizer") is BertTokenizerFast is BertTokenizer
    assert tokenizer_class_from_name("BertTokenizerFast") is BertTokenizerFast
    assert tokenizer_class_from_name("DistilBertTokenizer") is DistilBertTokenizerFast
    assert tokenizer_class_from_name("RobertaTokenizerFast") is RobertaTokenizerFast
    assert tokenizer_class_from_name("XLMRobertaTokenizer") is XLMRobertaTokenizerFast
    for name in ("TokenizersBackend", "PreTrainedTokenizerFast"):
        assert tokenizer_class_from_name(name) is PreTrainedTokenizerFast
    assert tokenizer_class_from_name("GemmaTokenizerFast") is None  # a transformers class explorer does not have


def test_tokenizer_json_of_another_model(roberta_folders: dict[str, Path]) -> None:
    with pytest.raises(errors.MalformedFileError, match="BPE model, but BertTokenizerFast builds on WordPiece"):
        BertTokenizerFast.from_pretrained(roberta_folders["tokenizer.json"])


BACKEND_FAILURES = {
    "only_second_without_pair": ((HOBBIT,), {"truncation": "only_second", "max_length": 4}),
    "pair_too_short_to_truncate": ((HOBBIT, "a"), {"truncation": "only_second", "max_length": 4}),
    "stride_too_large": ((LONG,), {"truncation": True, "max_length": 6, "stride": 5,
                                   "return_overflowing_tokens": True}),
}


@pytest.mark.parametrize(("args", "kwargs"), BACKEND_FAILURES.values(), ids=BACKEND_FAILURES.keys())
def test_backend_errors_do_not_leak(bert: tuple[BertTokenizerFast, Any], args: tuple, kwargs: dict[str, Any]) -> None:
    ours, theirs = bert
    with pytest.raises(Exception):  # noqa: B017 - transformers lets the tokenizers library's own exception through
        theirs(*args, **kwargs)
    with pytest.raises(errors.TokenizerInputError, match="max_length"):
        ours(*args, **kwargs)


def test_rust_panic_becomes_an_error(bert: tuple[BertTokenizerFast, Any]) -> None:
    """transformers lets this pair + stride reach a panic in the tokenizers library (a BaseException)."""
    ours, _ = bert
    with pytest.raises(errors.TokenizerInputError, match="stride"):
        ours(LONGISH, HOBBIT, truncation="longest_first", max_length=12, stride=4, return_overflowing_tokens=True)
    assert ours(HOBBIT)["input_ids"] == HOBBIT_IDS  # still usable
