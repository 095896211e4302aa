"""What every tokenizer shares, from the base class both backends subclass: loading through the trace (and the
refusal of remote code), the padding and truncation rules and their errors."""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path
from typing import Any

import pytest
import transformers

import explorer.tokenization
from explorer import errors
from explorer.resolution import open_checkpoint
from explorer.tokenization import (
    BertTokenizerFast,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
    PythonBackend,
    Wav2Vec2CTCTokenizer,
)
from parity import assert_same_encoding
from .cases import HOBBIT, bare_tokenizer_json


def test_trace_is_shared_and_records_decisions(bert_folders: dict[str, Path]) -> None:
    checkpoint = open_checkpoint(bert_folders["vocab.txt"])
    tokenizer = BertTokenizerFast.from_pretrained(checkpoint)
    assert tokenizer.resolution_trace is checkpoint.trace
    assert tokenizer.name_or_path == str(bert_folders["vocab.txt"])
    results = [decision.result for decision in checkpoint.trace.decisions]
    assert "WordPiece built from vocab.txt (no tokenizer.json)" in results
    assert "model_max_length=512" in results
    assert {read.name for read in checkpoint.trace.files} >= {"vocab.txt", "tokenizer_config.json"}
    from_json = BertTokenizerFast.from_pretrained(bert_folders["tokenizer.json"]).resolution_trace
    assert any(d.file == "tokenizer.json" and d.key == "model.vocab" for d in from_json.decisions)


def test_padding_without_pad_token(roberta_folders: dict[str, Path], tmp_path: Path) -> None:
    bare_tokenizer_json(roberta_folders, tmp_path)
    ours = PreTrainedTokenizerFast.from_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    for padding, max_length in ((True, None), ("longest", None), ("max_length", 8)):
        with pytest.raises(ValueError, match="does not have a padding token"):
            theirs(["a", "b c"], padding=padding, max_length=max_length)
        with pytest.raises(errors.TokenizerInputError, match="does not have a padding token"):
            ours(["a", "b c"], padding=padding, max_length=max_length)
    ours.pad_token = theirs.pad_token = "</s>"  # the usual fix, as the message suggests
    assert_same_encoding(ours(["a", "b c"], padding=True), theirs(["a", "b c"], padding=True))
    ours.pad_token_id = theirs.pad_token_id = 1
    assert ours.pad_token == theirs.pad_token == "<pad>"
    assert ours.add_special_tokens({"pad_token": "<pad>"}) == theirs.add_special_tokens({"pad_token": "<pad>"}) == 0
    assert_same_encoding(ours(["a", "b c"], padding=True), theirs(["a", "b c"], padding=True))


def test_invalid_arguments(bert: tuple[BertTokenizerFast, Any]) -> None:
    ours, theirs = bert
    with pytest.raises(errors.TokenizerInputError, match="padding='sideways'"):
        ours(HOBBIT, padding="sideways")
    with pytest.raises(errors.TokenizerInputError, match="truncation='most'"):
        ours(HOBBIT, truncation="most")
    with pytest.raises(errors.TokenizerInputError, match="return_tensors='tf'"):
        ours(HOBBIT, return_tensors="tf")
    with pytest.raises(errors.TokenizerInputError, match="text must be a string"):
        ours(5)
    with pytest.raises(errors.TokenizerInputError, match="text_pair must be a list as long as text"):
        ours(["a", "b"], ["c"])
    with pytest.raises(errors.TokenizerInputError, match="padding_side must be"):
        ours(HOBBIT, padding=True, padding_side="middle")
    with pytest.raises(errors.TokenizerInputError, match="not a multiple of pad_to_multiple_of"):
        ours(HOBBIT, padding=True, truncation=True, max_length=10, pad_to_multiple_of=8)
    with pytest.raises(errors.TokenizerInputError, match="non-negative integer"):
        ours.decode([101, -1])
    with pytest.raises(errors.TokenizerInputError, match="not a special token name"):
        ours.add_special_tokens({"pda_token": "[PAD]"})
    with pytest.raises(errors.ConfigValueError, match="padding_side"):
        BertTokenizerFast.from_pretrained(ours.name_or_path, padding_side="up")
    assert ours([]) == {"input_ids": [], "token_type_ids": [], "attention_mask": []}


def test_padding_true_with_max_length_warns_like_transformers(bert: tuple[BertTokenizerFast, Any]) -> None:
    ours, theirs = bert
    with pytest.warns(UserWarning, match="`max_length` is ignored"):
        expected = theirs(["a", "b c"], padding=True, max_length=3)
    with pytest.warns(UserWarning, match="`max_length` is ignored"):
        assert_same_encoding(ours(["a", "b c"], padding=True, max_length=3), expected)


# --- one base class for both backends -----------------------------------------------------------------------

SHARED = (
    "pad", "_pad_one", "_strategies", "encode", "clean_up_tokenization", "added_tokens_encoder", "get_added_vocab",
    "extra_special_tokens", "all_special_tokens", "all_special_ids", "save_pretrained", "from_pretrained",
    "__repr__", "__bool__", "bos_token", "pad_token_id",
)


@pytest.mark.parametrize("name", SHARED)
def test_both_backends_inherit_the_base_behaviour(name: str) -> None:
    """The CTC tokenizer and the fast tokenizer inherit these from the base class: neither copies them."""
    base = vars(PreTrainedTokenizerBase)[name]
    for cls in (Wav2Vec2CTCTokenizer, PythonBackend, PreTrainedTokenizerFast, BertTokenizerFast):
        assert issubclass(cls, PreTrainedTokenizerBase)
        assert name not in vars(cls), f"{cls.__name__} defines {name} itself"
        assert inspect.getattr_static(cls, name) is base
    assert Wav2Vec2CTCTokenizer.pad is PreTrainedTokenizerFast.pad is PreTrainedTokenizerBase.pad


def test_no_private_name_is_imported_across_modules() -> None:
    """A helper two modules use is public in the lower one (its ``_name`` stays inside its module)."""
    package = Path(explorer.tokenization.__file__).parent
    imported = {
        (path.name, alias.name)
        for path in sorted(package.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        for alias in node.names
        if alias.name.startswith("_")
    }
    assert len(list(package.glob("*.py"))) >= 10
    assert imported == set()


# --- remote code ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [BertTokenizerFast, PreTrainedTokenizerFast, Wav2Vec2CTCTokenizer])
def test_trust_remote_code_is_refused(minilm_path: Path, tmp_path: Path, cls: type) -> None:
    folder = minilm_path
    if cls is Wav2Vec2CTCTokenizer:
        folder = tmp_path
        (folder / "vocab.json").write_text(json.dumps({"<pad>": 0, "<unk>": 1, "|": 2, "A": 3}))
    with pytest.raises(errors.RemoteCodeError, match="trust_remote_code=True"):
        cls.from_pretrained(folder, trust_remote_code=True)
    assert type(cls.from_pretrained(folder, trust_remote_code=False)) is cls
