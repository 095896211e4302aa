"""The tokenizers the tests compare with transformers': the real bert-base-uncased files, and tiny RoBERTa and
XLM-RoBERTa tokenizers trained here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import transformers
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from explorer.tokenization import BertTokenizerFast
from .cases import BERT_FILES, ROBERTA_CORPUS


@pytest.fixture(scope="module")
def bert_folders(minilm_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The real bert-base-uncased tokenizer files: as shipped (with tokenizer.json), and without tokenizer.json."""
    vocab_only = tmp_path_factory.mktemp("bert-vocab-only")
    for name in BERT_FILES:
        shutil.copy(minilm_path / name, vocab_only / name)
    return {"tokenizer.json": minilm_path, "vocab.txt": vocab_only}


@pytest.fixture(scope="module", params=["tokenizer.json", "vocab.txt"])
def bert(request: pytest.FixtureRequest, bert_folders: dict[str, Path]) -> tuple[BertTokenizerFast, Any]:
    """(ours, transformers'), loaded from the same folder; shared by the tests that do not change them."""
    folder = bert_folders[request.param]
    return BertTokenizerFast.from_pretrained(folder), transformers.BertTokenizerFast.from_pretrained(folder)


@pytest.fixture(scope="session")
def roberta_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny byte-level BPE trained here, saved by transformers' RobertaTokenizer (tokenizer.json), as bare
    vocab.json + merges.txt, and as roberta-base ships its files (added_tokens_decoder, <mask> with lstrip)."""
    root = tmp_path_factory.mktemp("roberta")
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=420, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    backend.train_from_iterator(ROBERTA_CORPUS * 4, trainer)
    files = root / "vocab-files"
    files.mkdir()
    backend.model.save(str(files))
    vocab = json.loads((files / "vocab.json").read_text())
    merges = [tuple(line.split()) for line in (files / "merges.txt").read_text().splitlines()[1:] if line]
    saved = root / "saved"
    transformers.RobertaTokenizer(vocab=vocab, merges=merges).save_pretrained(saved)
    lstrip_mask = root / "lstrip-mask"
    shutil.copytree(saved, lstrip_mask)
    tokenizer_json = json.loads((lstrip_mask / "tokenizer.json").read_text())
    for token in tokenizer_json["added_tokens"]:
        token["lstrip"] = token["content"] == "<mask>"
    (lstrip_mask / "tokenizer.json").write_text(json.dumps(tokenizer_json))
    config = json.loads((lstrip_mask / "tokenizer_config.json").read_text())
    config["mask_token"] = {"__type": "AddedToken", "content": "<mask>", "lstrip": True, "rstrip": False,
                            "normalized": False, "single_word": False, "special": True}
    config["added_tokens_decoder"] = {
        str(token["id"]): {key: value for key, value in token.items() if key != "id"}
        for token in tokenizer_json["added_tokens"]
    }
    config["model_max_length"] = 64
    (lstrip_mask / "tokenizer_config.json").write_text(json.dumps(config))
    return {"tokenizer.json": saved, "vocab.json": files, "lstrip-mask": lstrip_mask}


@pytest.fixture(scope="session")
def xlmr_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny SentencePiece-like Unigram tokenizer saved by transformers' XLMRobertaTokenizer."""
    backend = Tokenizer(models.Unigram())
    backend.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=150, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], unk_token="<unk>",
        show_progress=False,
    )
    backend.train_from_iterator(ROBERTA_CORPUS * 4, trainer)
    vocab = [tuple(entry) for entry in json.loads(backend.to_str())["model"]["vocab"]]
    folder = tmp_path_factory.mktemp("xlmr")
    transformers.XLMRobertaTokenizer(vocab=vocab).save_pretrained(folder)
    return folder
