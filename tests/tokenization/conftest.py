"""The tokenizers the tests compare with transformers': the real bert-base-uncased files, and tiny RoBERTa,
XLM-RoBERTa, GPT-2, Llama-3-style and Qwen2-style tokenizers trained here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import transformers
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from explorer.tokenization import BertTokenizerFast
from .cases import (
    BERT_FILES,
    BPE_CORPUS,
    CHATML_TEMPLATE,
    END_OF_TEXT,
    LLAMA3_SPECIAL,
    LLAMA3_SPLIT,
    LLAMA3_TEMPLATE,
    QWEN2_SPECIAL,
    ROBERTA_CORPUS,
)


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


def _train_byte_level(pre_tokenizer: Any, special: list[str], normalizer: Any = None) -> Tokenizer:
    backend = Tokenizer(models.BPE())
    backend.normalizer = normalizer
    backend.pre_tokenizer = pre_tokenizer
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    backend.train_from_iterator(BPE_CORPUS * 4, trainer)
    return backend


def _save(backend: Tokenizer, folder: Path, config: dict[str, Any] | None, vocab_files: bool = False) -> Path:
    folder.mkdir()
    if vocab_files:
        backend.model.save(str(folder))
    else:
        backend.save(str(folder / "tokenizer.json"))
    if config is not None:
        (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


def _edit_model(backend: Tokenizer, **fields: Any) -> Tokenizer:
    data = json.loads(backend.to_str())
    data["model"].update(fields)
    return Tokenizer.from_str(json.dumps(data))


@pytest.fixture(scope="session")
def gpt2_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny GPT-2-style byte-level BPE: tokenizer.json as gpt2 ships it (ByteLevel post-processor), bare
    vocab.json + merges.txt, and vocab files whose tokenizer_config.json asks for bos and eos tokens."""
    root = tmp_path_factory.mktemp("gpt2")
    backend = _train_byte_level(pre_tokenizers.ByteLevel(add_prefix_space=False), [END_OF_TEXT])
    backend.post_processor = processors.ByteLevel(trim_offsets=False)
    config = {"tokenizer_class": "GPT2Tokenizer", "model_max_length": 1024}
    return {
        "tokenizer.json": _save(backend, root / "json", config),
        "vocab.json": _save(backend, root / "vocab", config, vocab_files=True),
        "bos-eos": _save(backend, root / "bos-eos", {**config, "add_bos_token": True, "add_eos_token": True,
                                                      "pad_token": END_OF_TEXT}, vocab_files=True),
    }


@pytest.fixture(scope="session")
def llama3_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama-3-style tokenizer.json (its split regex, BPE with ignore_merges, bos added by a
    TemplateProcessing after a ByteLevel post-processor) with tokenizer_config.json as Llama 3 ships it."""
    split = pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated", invert=False)
    backend = _train_byte_level(
        pre_tokenizers.Sequence([split, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
        LLAMA3_SPECIAL,
    )
    backend = _edit_model(backend, ignore_merges=True)
    bos = LLAMA3_SPECIAL[0]
    backend.post_processor = processors.Sequence([
        processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True),
        processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A:0 {bos}:1 $B:1",
                                      special_tokens=[(bos, backend.token_to_id(bos))]),
    ])
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": bos, "eos_token": LLAMA3_SPECIAL[1],
              "clean_up_tokenization_spaces": True, "model_input_names": ["input_ids", "attention_mask"],
              "model_max_length": 131072, "chat_template": LLAMA3_TEMPLATE}
    return _save(backend, tmp_path_factory.mktemp("llama3") / "tokenizer", config)


@pytest.fixture(scope="session")
def qwen2_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny Qwen2-style tokenizer (NFC, Qwen2's split, ByteLevel post-processor) with tokenizer_config.json as
    Qwen2-Instruct ships it (no bos, <|im_end|> ends, a ChatML template): as tokenizer.json and as vocab files."""
    from explorer.tokenization.qwen2 import WORD_SPLIT

    split = pre_tokenizers.Split(Regex(WORD_SPLIT), behavior="isolated", invert=False)
    backend = _train_byte_level(
        pre_tokenizers.Sequence([split, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
        QWEN2_SPECIAL, normalizers.NFC(),
    )
    backend.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    added = {str(backend.token_to_id(token)): {"content": token, "lstrip": False, "normalized": False,
                                                "rstrip": False, "single_word": False, "special": True}
             for token in QWEN2_SPECIAL}
    config = {"tokenizer_class": "Qwen2Tokenizer", "add_prefix_space": False, "bos_token": None,
              "eos_token": "<|im_end|>", "pad_token": END_OF_TEXT, "unk_token": None, "errors": "replace",
              "split_special_tokens": False, "model_max_length": 32768, "clean_up_tokenization_spaces": False,
              "added_tokens_decoder": added, "extra_special_tokens": QWEN2_SPECIAL[1:],
              "chat_template": CHATML_TEMPLATE}
    root = tmp_path_factory.mktemp("qwen2")
    return {"tokenizer.json": _save(backend, root / "json", config),
            "vocab.json": _save(backend, root / "vocab", config, vocab_files=True)}
