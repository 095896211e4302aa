"""Reading a tokenizer's files: legacy added tokens, the SentencePiece table of tokenizer.json, and the errors
of malformed or missing files, which name the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from explorer import errors
from explorer.tokenization import (
    BertTokenizerFast,
    PreTrainedTokenizerFast,
    RobertaTokenizerFast,
    XLMRobertaTokenizerFast,
)
from parity import assert_same_encoding
from .cases import BERT_FILES, assert_same_repr, fresh_bert


def test_precompiled_charsmap_is_taken_from_tokenizer_json() -> None:
    """XLM-RoBERTa's SentencePiece normalization table, alone or inside a Sequence (as transformers v5 finds it)."""
    from explorer.tokenization.files import precompiled_charsmap

    precompiled = {"type": "Precompiled", "precompiled_charsmap": "AAEC"}
    assert precompiled_charsmap(precompiled) == b"\x00\x01\x02"
    in_sequence = {"type": "Sequence", "normalizers": [{"type": "NFKC"}, precompiled]}
    assert precompiled_charsmap(in_sequence) == b"\x00\x01\x02"
    assert precompiled_charsmap({"type": "NFKC"}) is None
    assert precompiled_charsmap(None) is None


def test_legacy_added_tokens_file(bert_folders: dict[str, Path], tmp_path: Path) -> None:
    for name in BERT_FILES:
        shutil.copy(bert_folders["vocab.txt"] / name, tmp_path / name)
    (tmp_path / "added_tokens.json").write_text(json.dumps({"<ent>": 30522, "hobbitses": 30523}))
    special_map = json.loads((tmp_path / "special_tokens_map.json").read_text())
    special_map["additional_special_tokens"] = ["<ent>"]
    (tmp_path / "special_tokens_map.json").write_text(json.dumps(special_map))
    ours, theirs = fresh_bert(tmp_path)
    text = "the <ent> met HOBBITSES"
    assert_same_encoding(ours(text), theirs(text))
    assert ours.decode(ours(text)["input_ids"], skip_special_tokens=True) == theirs.decode(
        theirs(text)["input_ids"], skip_special_tokens=True
    )
    assert_same_repr(ours, theirs)


@pytest.mark.parametrize("content", ["{not json", '{"model": {"type": "Nope"}}', "[1, 2]"])
@pytest.mark.parametrize("cls", [BertTokenizerFast, PreTrainedTokenizerFast])
def test_malformed_tokenizer_json(tmp_path: Path, content: str, cls: type) -> None:
    (tmp_path / "tokenizer.json").write_text(content)
    with pytest.raises(errors.MalformedFileError, match="tokenizer.json"):
        cls.from_pretrained(tmp_path)


def test_malformed_vocabulary_files(tmp_path: Path) -> None:
    (tmp_path / "vocab.json").write_text("{broken")
    (tmp_path / "merges.txt").write_text("#version: 0.2\n")
    with pytest.raises(errors.MalformedFileError, match="vocab.json"):
        RobertaTokenizerFast.from_pretrained(tmp_path)


@pytest.mark.parametrize(
    ("cls", "missing"),
    [(BertTokenizerFast, "vocab.txt"), (RobertaTokenizerFast, "vocab.json"),
     (PreTrainedTokenizerFast, "tokenizer.json"), (XLMRobertaTokenizerFast, "tokenizer.json")],
)
def test_folder_without_tokenizer_files(tmp_path: Path, cls: type, missing: str) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(errors.EntryNotFoundError, match=missing):
        cls.from_pretrained(tmp_path)


def test_merges_missing(roberta_folders: dict[str, Path], tmp_path: Path) -> None:
    shutil.copy(roberta_folders["vocab.json"] / "vocab.json", tmp_path / "vocab.json")
    with pytest.raises(errors.EntryNotFoundError, match="merges.txt"):
        RobertaTokenizerFast.from_pretrained(tmp_path)


def test_tokenizer_json_is_read_once(bert_folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """As JSON and as the backend's pipeline, from the same bytes (Path.read_bytes and read_text open the file)."""
    opened = []
    original_open = Path.open

    def counted_open(path: Path, *args: Any, **kwargs: Any) -> Any:
        opened.append(path.name)
        return original_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counted_open)
    tokenizer = BertTokenizerFast.from_pretrained(bert_folders["tokenizer.json"])
    assert opened.count("tokenizer.json") == 1
    assert [read.reads for read in tokenizer.resolution_trace.files if read.name == "tokenizer.json"] == [1]
