"""Llama's SentencePiece-style BPE tokenizer (LlamaTokenizerFast) against transformers' (the oracle), with a tiny
byte-fallback BPE trained here and saved as Llama 2 and TinyLlama ship their files; and, when the llama.cpp
vocabulary file is at hand, Llama 2's real vocabulary."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import transformers
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

from explorer import AutoTokenizer, errors
from explorer.tokenization import LlamaTokenizer, LlamaTokenizerFast, PreTrainedTokenizerFast
from explorer.tokenization import tokenizer_class_from_name
from parity import assert_same_encoding
from .cases import BPE_CORPUS, BPE_TEXTS, CHAT, assert_same_repr

BYTE_TOKENS = [f"<0x{byte:02X}>" for byte in range(256)]  # Llama's vocabulary has one token per byte
SPECIAL = ["<unk>", "<s>", "</s>"]
# characters the training corpus lacks (spelled with their bytes), and special tokens inside the text
ABSENT = "🦙 नमस्ते Ω≈√∫ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"
LLAMA_TEXTS = [*BPE_TEXTS, ABSENT, "Hi</s>there", "<s>Hello", "Hello <s> world </s>", "  two leading", "a\n\nb"]
OPTIONS = {"return_offsets_mapping": True, "return_special_tokens_mask": True}
# meta-llama/Llama-2-7b-chat-hf's template; TinyLlama-1.1B-Chat-v1.0's (Zephyr's)
LLAMA2_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
    "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
    "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
)
ZEPHYR_TEMPLATE = (
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + "
    "eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
    "{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}"
)
SYSTEM_CHAT = [{"role": "system", "content": "You are a llama. 🦙"}, *CHAT]


def _added_token(content: str) -> dict[str, Any]:
    return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": False, "rstrip": False,
            "single_word": False}


def _train_vocabulary() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A byte-fallback BPE as Llama's: <unk> <s> </s>, the 256 byte tokens, then the pieces (``▁`` for spaces)."""
    backend = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    backend.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first")
    trainer = trainers.BpeTrainer(vocab_size=1000, special_tokens=[*SPECIAL, *BYTE_TOKENS], limit_alphabet=150,
                                  show_progress=False)
    backend.train_from_iterator(BPE_CORPUS * 4, trainer)
    model = json.loads(backend.to_str())["model"]
    return model["vocab"], [tuple(merge) for merge in model["merges"]]


def _llama2_tokenizer_json(folder: Path) -> None:
    """tokenizer.json laid out as Llama 2's (its normalizer prepends and replaces, no pre-tokenizer, added tokens
    normalized): both libraries take only its vocabulary, merges and post-processor."""
    data = json.loads((folder / "tokenizer.json").read_text())
    data["normalizer"] = json.loads(normalizers.Sequence(
        [normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]).__getstate__())
    data["pre_tokenizer"] = None
    data["model"]["unk_token"] = "<unk>"
    for token in data["added_tokens"]:
        token["normalized"] = True
    (folder / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False))


def _write_config(folder: Path, config: dict[str, Any]) -> Path:
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture(scope="module")
def llama_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The trained vocabulary saved by transformers' LlamaTokenizerFast (bos added by tokenizer.json's
    post-processor, no padding side in the config); as Llama-2-7b-hf ships it; as TinyLlama-1.1B-Chat-v1.0
    ships it; and tokenizer.model alone."""
    root = tmp_path_factory.mktemp("llama")
    vocab, merges = _train_vocabulary()
    saved = root / "saved"
    transformers.LlamaTokenizerFast(vocab=vocab, merges=merges, add_bos_token=True).save_pretrained(saved)
    llama2 = root / "llama2"
    shutil.copytree(saved, llama2)
    _llama2_tokenizer_json(llama2)
    _write_config(llama2, {
        "add_bos_token": True, "add_eos_token": False, "bos_token": _added_token("<s>"),
        "clean_up_tokenization_spaces": False, "eos_token": _added_token("</s>"), "legacy": False,
        "model_max_length": 1000000000000000019884624838656, "pad_token": None, "padding_side": "right",
        "sp_model_kwargs": {}, "tokenizer_class": "LlamaTokenizer", "unk_token": _added_token("<unk>"),
        "chat_template": LLAMA2_TEMPLATE,
    })
    tinyllama = root / "tinyllama"
    shutil.copytree(saved, tinyllama)
    added = {str(index): {**_added_token(token), "special": True} for index, token in enumerate(SPECIAL)}
    _write_config(tinyllama, {
        "add_bos_token": True, "add_eos_token": False, "added_tokens_decoder": added, "bos_token": "<s>",
        "chat_template": ZEPHYR_TEMPLATE, "clean_up_tokenization_spaces": False, "eos_token": "</s>",
        "legacy": False, "model_max_length": 2048, "pad_token": "</s>", "padding_side": "right",
        "sp_model_kwargs": {}, "tokenizer_class": "LlamaTokenizer", "unk_token": "<unk>",
        "use_default_system_prompt": False,
    })
    sentencepiece_only = root / "sentencepiece-only"
    sentencepiece_only.mkdir()
    (sentencepiece_only / "tokenizer.model").write_bytes(b"\x0a\x0b\x0a\x05<unk>")  # a SentencePiece protobuf's start
    _write_config(sentencepiece_only, {"tokenizer_class": "LlamaTokenizer"})
    return {"saved": saved, "llama2": llama2, "tinyllama": tinyllama, "sentencepiece-only": sentencepiece_only}


def assert_same_tokenizer(ours: Any, theirs: Any, texts: list[str] = LLAMA_TEXTS) -> None:
    """Ids, tokens, offsets, masks, pairs, padding (on the tokenizer's side), decoding both ways, the special
    tokens, the flags and the repr."""
    assert_same_encoding(ours(texts, **OPTIONS), theirs(texts, **OPTIONS))
    pairs = [(texts[0], texts[1]), (texts[-4], texts[-3])]
    assert_same_encoding(ours(pairs, **OPTIONS), theirs(pairs, **OPTIONS))
    if theirs.pad_token is not None:
        padded = {"padding": True, "return_tensors": "pt"}
        assert_same_encoding(ours(texts[:5], **padded), theirs(texts[:5], **padded))
    ids = theirs(texts)["input_ids"]
    for skip in (False, True):
        assert ours.batch_decode(ids, skip_special_tokens=skip) == theirs.batch_decode(ids, skip_special_tokens=skip)
    assert [ours.tokenize(text) for text in texts] == [theirs.tokenize(text) for text in texts]
    assert (ours.bos_token_id, ours.eos_token_id, ours.pad_token_id, ours.unk_token_id) == (
        theirs.bos_token_id, theirs.eos_token_id, theirs.pad_token_id, theirs.unk_token_id)
    assert ours.all_special_tokens == theirs.all_special_tokens
    assert (ours.padding_side, ours.add_bos_token, ours.add_eos_token, ours.add_prefix_space) == (
        theirs.padding_side, theirs.add_bos_token, theirs.add_eos_token, theirs.add_prefix_space)
    assert_same_repr(ours, theirs)


@pytest.mark.parametrize("source", ["saved", "llama2", "tinyllama"])
@pytest.mark.parametrize("flags", [
    {}, {"add_bos_token": False}, {"add_eos_token": True}, {"add_bos_token": True, "add_eos_token": True},
    {"add_prefix_space": False}, {"add_prefix_space": True}, {"legacy": True}, {"legacy": False},
    {"legacy": True, "add_prefix_space": False},
])
def test_llama_against_transformers(llama_folders: dict[str, Path], source: str, flags: dict[str, bool]) -> None:
    ours = LlamaTokenizerFast.from_pretrained(llama_folders[source], **flags)
    theirs = transformers.LlamaTokenizerFast.from_pretrained(llama_folders[source], **flags)
    assert_same_tokenizer(ours, theirs)
    ours.add_eos_token = theirs.add_eos_token = not ours.add_eos_token  # set later, it takes effect at once
    assert_same_encoding(ours(LLAMA_TEXTS, **OPTIONS), theirs(LLAMA_TEXTS, **OPTIONS))


def test_legacy_and_prefix_space_shape_the_pipeline(llama_folders: dict[str, Path]) -> None:
    """legacy=True puts a ``▁`` after a special token too; add_prefix_space=False puts none before the text."""
    text = "Hi</s>there"
    first = LlamaTokenizerFast.from_pretrained(llama_folders["llama2"]).tokenize(text)
    legacy = LlamaTokenizerFast.from_pretrained(llama_folders["llama2"], legacy=True).tokenize(text)
    bare = LlamaTokenizerFast.from_pretrained(llama_folders["llama2"], add_prefix_space=False).tokenize(text)
    assert first[0].startswith("▁") and not bare[0].startswith("▁")
    after = first.index("</s>") + 1
    assert legacy[after].startswith("▁") and not first[after].startswith("▁")


def test_byte_fallback_spells_absent_characters(llama_folders: dict[str, Path]) -> None:
    ours = LlamaTokenizerFast.from_pretrained(llama_folders["llama2"])
    llama = "🦙"
    assert ours.convert_tokens_to_ids(llama) == ours.unk_token_id  # not in the vocabulary
    assert ours.tokenize(llama)[-4:] == [f"<0x{byte:02X}>" for byte in llama.encode("utf-8")]
    plain = [text for text in LLAMA_TEXTS if not text.startswith(" ") and "<s>" not in text and "</s>" not in text]
    for text in plain:  # (a leading space is the prefix space the decoder strips)
        assert ours.decode(ours(text)["input_ids"], skip_special_tokens=True) == text


def test_padding_side_is_left_unless_the_files_say_otherwise(llama_folders: dict[str, Path]) -> None:
    ours = LlamaTokenizerFast.from_pretrained(llama_folders["saved"], pad_token="</s>")
    theirs = transformers.LlamaTokenizerFast.from_pretrained(llama_folders["saved"], pad_token="</s>")
    assert ours.padding_side == theirs.padding_side == "left"
    batch = ["Hello world", "A much longer line of text 🦙"]
    assert_same_encoding(ours(batch, padding=True, return_tensors="pt"), theirs(batch, padding=True, return_tensors="pt"))
    assert ours(batch, padding=True)["attention_mask"][0][0] == 0
    assert LlamaTokenizerFast.from_pretrained(llama_folders["tinyllama"]).padding_side == "right"  # its config's


@pytest.mark.parametrize("source", ["llama2", "tinyllama"])
@pytest.mark.parametrize("add_generation_prompt", [False, True])
def test_chat_templates_against_transformers(llama_folders: dict[str, Path], source: str,
                                             add_generation_prompt: bool) -> None:
    ours = AutoTokenizer.from_pretrained(llama_folders[source])
    theirs = transformers.AutoTokenizer.from_pretrained(llama_folders[source])
    ours.pad_token = theirs.pad_token = "</s>"
    options = {"add_generation_prompt": add_generation_prompt}
    for conversation in (CHAT, SYSTEM_CHAT, [CHAT, SYSTEM_CHAT[:2]]):
        assert ours.apply_chat_template(conversation, tokenize=False, **options) == theirs.apply_chat_template(
            conversation, tokenize=False, **options)
        assert ours.apply_chat_template(conversation, return_dict=False, **options) == theirs.apply_chat_template(
            conversation, return_dict=False, **options)
        assert_same_encoding(ours.apply_chat_template(conversation, **options),
                             theirs.apply_chat_template(conversation, **options))
    batch = {"padding": True, "return_tensors": "pt", **options}
    assert_same_encoding(ours.apply_chat_template([CHAT, CHAT[:1]], **batch),
                         theirs.apply_chat_template([CHAT, CHAT[:1]], **batch))


def test_chat_template_that_raises_names_its_file(llama_folders: dict[str, Path]) -> None:
    ours = AutoTokenizer.from_pretrained(llama_folders["llama2"])
    with pytest.raises(errors.ChatTemplateError, match="tokenizer_config.json.*roles must alternate"):
        ours.apply_chat_template([CHAT[0], CHAT[0]])


@pytest.mark.parametrize("flags", [{}, {"legacy": True, "add_prefix_space": False}, {"add_eos_token": True}])
def test_save_round_trip(llama_folders: dict[str, Path], tmp_path: Path, flags: dict[str, bool]) -> None:
    ours = LlamaTokenizerFast.from_pretrained(llama_folders["tinyllama"], **flags)
    ours.add_tokens(["<new>"])
    ours.save_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(theirs) is transformers.LlamaTokenizerFast
    texts = [*LLAMA_TEXTS, "Hello <new> world"]
    assert_same_encoding(ours(texts, **OPTIONS), theirs(texts, **OPTIONS))  # the saved post-processor frames them
    assert theirs.chat_template == ours.chat_template
    assert_same_tokenizer(LlamaTokenizerFast.from_pretrained(tmp_path), theirs, texts)


def test_auto_tokenizer_class_as_transformers_chooses(llama_folders: dict[str, Path], llama3_folder: Path,
                                                      tmp_path: Path) -> None:
    """By tokenizer_class only: a llama checkpoint that names none, or names PreTrainedTokenizerFast (Llama 3),
    gets tokenizer.json as it is, as does one naming LlamaTokenizer over a byte-level tokenizer.json."""
    for name in ("LlamaTokenizer", "LlamaTokenizerFast"):
        assert tokenizer_class_from_name(name) is LlamaTokenizerFast is LlamaTokenizer
        folder = _write_config(_copy(llama_folders["saved"], tmp_path / name), {"tokenizer_class": name})
        assert type(AutoTokenizer.from_pretrained(folder)) is LlamaTokenizerFast
        assert type(transformers.AutoTokenizer.from_pretrained(folder)) is transformers.LlamaTokenizerFast
    config = json.loads((llama3_folder / "tokenizer_config.json").read_text())
    cases = {
        "no-class": (llama_folders["saved"], {}),
        "llama3": (llama3_folder, config),
        "llama3-named-llama": (llama3_folder, {**config, "tokenizer_class": "LlamaTokenizerFast"}),
    }
    for case, (source, settings) in cases.items():
        folder = _write_config(_copy(source, tmp_path / case), settings)
        (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
        ours, theirs = AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
        assert type(ours) is PreTrainedTokenizerFast, case
        assert type(theirs) is transformers.TokenizersBackend, case
        assert_same_encoding(ours(LLAMA_TEXTS, **OPTIONS), theirs(LLAMA_TEXTS, **OPTIONS))


def _copy(source: Path, folder: Path) -> Path:
    shutil.copytree(source, folder)
    return folder


def test_sentencepiece_model_alone_is_refused(llama_folders: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(errors.EntryNotFoundError, match="has no tokenizer.json.*convert tokenizer.model.*save_pretrained"):
        AutoTokenizer.from_pretrained(llama_folders["sentencepiece-only"])
    _write_config(tmp_path, {"tokenizer_class": "LlamaTokenizer"})
    (tmp_path / "vocab.json").write_text("{}")  # not Llama's file: transformers does not read it either
    with pytest.raises(errors.EntryNotFoundError, match="LlamaTokenizerFast reads its vocabulary from no other file"):
        LlamaTokenizerFast.from_pretrained(tmp_path)


# --- Llama 2's real vocabulary, from llama.cpp's vocabulary file (llama-cpp-python's source archive) ------------

LLAMA_SPM_GGUF = os.environ.get("LLAMA_SPM_GGUF", "")  # the path of ggml-vocab-llama-spm.gguf


@pytest.fixture(scope="module")
def real_llama2_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """transformers converts llama.cpp's Llama 2 vocabulary (its gguf integration, with the gguf package), saved
    with Llama-2-7b-hf's tokenizer_config.json."""
    if not Path(LLAMA_SPM_GGUF).is_file():
        pytest.skip("set LLAMA_SPM_GGUF to llama.cpp's models/ggml-vocab-llama-spm.gguf (in llama-cpp-python's "
                    "source archive) to compare with Llama 2's real vocabulary")
    pytest.importorskip("gguf", reason="transformers reads the .gguf vocabulary with the gguf package")
    gguf = Path(LLAMA_SPM_GGUF)
    folder = tmp_path_factory.mktemp("llama2-real")
    transformers.AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(folder)
    return _write_config(folder, {**json.loads((folder / "tokenizer_config.json").read_text()),
                                  "tokenizer_class": "LlamaTokenizer", "add_bos_token": True, "legacy": False})


def test_real_llama2_vocabulary(real_llama2_folder: Path) -> None:
    """Llama 2's ids (transformers' own docstring example), and llama.cpp's test texts, as transformers."""
    ours = AutoTokenizer.from_pretrained(real_llama2_folder)
    assert type(ours) is LlamaTokenizerFast
    assert ours("Hello this is a test")["input_ids"] == [1, 15043, 445, 338, 263, 1243]
    texts = Path(LLAMA_SPM_GGUF + ".inp").read_text(encoding="utf-8").split("\n__ggml_vocab_test__\n")
    for flags in ({}, {"legacy": True}, {"add_prefix_space": False}, {"add_eos_token": True}):
        theirs = transformers.AutoTokenizer.from_pretrained(real_llama2_folder, **flags)
        assert_same_tokenizer(AutoTokenizer.from_pretrained(real_llama2_folder, **flags), theirs,
                              [*LLAMA_TEXTS, *texts])
