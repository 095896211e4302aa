"""Processors against transformers' (the oracle): Wav2Vec2Processor, CLIPProcessor and LayoutLMv2Processor
built from tiny parts and saved by transformers, loaded by explorer's AutoProcessor: the same printout, input
names and outputs (keys in order, containers, dtypes, shapes, values within 1e-5) for audio of different
lengths with transcripts, CLIP text + image batches, LayoutLMv2 pages with words, boxes and labels (truncated,
padded, overflowing); transformers' refusals; AutoProcessor's resolution order, read off the resolution trace;
and transformers' AutoProcessor loading what explorer saves."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import transformers
from PIL import Image
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers
from tokenizers.models import WordPiece

import explorer
from explorer import AutoProcessor, errors
from explorer.batch import BatchFeature
from explorer.processing.audio import Wav2Vec2FeatureExtractor
from explorer.tokenization.clip import WORD_SPLIT, CLIPTokenizerFast
from explorer.tokenization.wav2vec2_ctc import Wav2Vec2CTCTokenizer
from explorer.processing.image import CLIPImageProcessor, LayoutLMv2ImageProcessor
from explorer.tokenization.layoutlmv2 import LayoutLMv2TokenizerFast
from explorer.processing.multimodal import (
    CLIPProcessor,
    LayoutLMv2Processor,
    Wav2Vec2Processor,
)
from explorer.tokenization import BatchEncoding

ATOL = 1e-5
RATE = 16000
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ'"
CTC_VOCAB = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, **{c: i + 5 for i, c in enumerate(LETTERS)}}
TRANSCRIPTS = ["HELLO WORLD", "a cat's photo", "SPEECH"]
CAPTIONS = ["a photo of a cat", "a picture of two dogs playing in the park", "A DOG"]
WORDS = ["Invoice", "number", "12345", "Total:", "$99.00", "antidisestablishmentarianism"]
BOXES = [[10 * i, 20, 10 * i + 8, 30] for i in range(len(WORDS))]
LABELS = [1, 0, 2, 0, 3, 4]
WORDS_2 = ["Hello", "world"]
BOXES_2 = [[1, 2, 3, 4], [5, 6, 7, 8]]
LABELS_2 = [5, 6]


# --- comparing ----------------------------------------------------------------------------------------------------


def assert_same(ours: Any, theirs: Any, where: str = "output") -> None:
    """Same keys in order, containers, dtypes, shapes and values (floats within ATOL)."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, torch.Tensor), where
        assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape), where
        torch.testing.assert_close(ours, theirs, atol=ATOL, rtol=0, msg=lambda m: f"{where}: {m}")
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), where
        assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape), where
        if theirs.dtype == object:
            for index, (a, b) in enumerate(zip(ours, theirs)):
                assert_same(a, b, f"{where}[{index}]")
        else:
            np.testing.assert_allclose(ours, theirs, atol=ATOL, rtol=0, err_msg=where)
    elif isinstance(theirs, Mapping):  # BatchFeature / BatchEncoding (transformers': UserDicts)
        assert list(ours) == list(theirs), where
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), where
        for index, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{index}]")
    else:
        assert ours == theirs, where


def class_name(obj: Any) -> str:
    """transformers' class name as explorer spells it (no PIL-backend suffix, v5's fast tokenizer names)."""
    name = type(obj).__name__.removesuffix("Pil")
    return {"CLIPTokenizer": "CLIPTokenizerFast", "LayoutLMv2Tokenizer": "LayoutLMv2TokenizerFast"}.get(name, name)


def same_repr(ours: Any, theirs: Any) -> str:
    text = repr(theirs)
    for part in ("image_processor", "feature_extractor", "tokenizer"):
        if hasattr(theirs, part):
            name = type(getattr(theirs, part)).__name__
            text = text.replace(f"- {part}: {name}", f"- {part}: {class_name(getattr(theirs, part))}")
    return text


def decisions(trace: Any) -> list[tuple[str, str, str, Any, str]]:
    return [(d.stage, d.file, d.key, d.value, d.result) for d in trace.decisions]


def speech(length: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(length) / RATE
    return (0.3 * np.sin(2 * np.pi * (200 + 50 * seed) * t) + 0.02 * rng.standard_normal(length) + 0.05).astype(
        np.float32)


def page(height: int, width: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


AUDIO = [speech(1600, 0), speech(900, 1), speech(1234, 2)]
PAGES = [page(60, 45, 0), page(33, 80, 1)]


# --- checkpoints saved by transformers ----------------------------------------------------------------------------


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def ctc_tokenizer(folder: Path, **kwargs: Any) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "vocab.json", CTC_VOCAB)
    return transformers.Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), **kwargs)


@pytest.fixture(scope="module", params=["base", "lv60"])
def w2v_folder(request, tmp_path_factory) -> Path:
    """A Wav2Vec2Processor saved by transformers: wav2vec2-base-like (no attention mask) or lv60-like."""
    root = tmp_path_factory.mktemp(f"w2v-{request.param}")
    lv60 = request.param == "lv60"
    extractor = transformers.Wav2Vec2FeatureExtractor(return_attention_mask=lv60, do_normalize=True)
    tokenizer = ctc_tokenizer(root / "source", do_lower_case=lv60)
    transformers.Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(root / "saved")
    return root / "saved"


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory) -> Path:
    """A CLIPProcessor saved by transformers: a CLIP-style BPE trained here, a 32-pixel image processor."""
    backend = Tokenizer(models.BPE(unk_token="<|endoftext|>", end_of_word_suffix="</w>", continuing_subword_prefix=""))
    backend.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(WORD_SPLIT), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    trainer = trainers.BpeTrainer(vocab_size=350, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  end_of_word_suffix="</w>", show_progress=False)
    backend.train_from_iterator(CAPTIONS * 4, trainer)
    files = tmp_path_factory.mktemp("clip-bpe")
    backend.model.save(str(files))
    vocab = json.loads((files / "vocab.json").read_text(encoding="utf-8"))
    vocab.update({"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1})
    write_json(files / "vocab.json", vocab)
    tokenizer = transformers.CLIPTokenizer(vocab=str(files / "vocab.json"), merges=str(files / "merges.txt"),
                                           model_max_length=16)
    image_processor = transformers.CLIPImageProcessorPil(size={"shortest_edge": 32},
                                                         crop_size={"height": 32, "width": 32})
    folder = tmp_path_factory.mktemp("clip-processor")
    transformers.CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def layoutlmv2_processor(minilm_path: Path, folder: Path, apply_ocr: bool) -> Path:
    tokenizer = transformers.LayoutLMv2Tokenizer(vocab=WordPiece.read_file(str(minilm_path / "vocab.txt")))
    image_processor = transformers.LayoutLMv2ImageProcessorPil(apply_ocr=apply_ocr)
    transformers.LayoutLMv2Processor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def layoutlmv2_folder(minilm_path, tmp_path_factory) -> Path:
    return layoutlmv2_processor(minilm_path, tmp_path_factory.mktemp("layoutlmv2"), apply_ocr=False)


@pytest.fixture(scope="module")
def w2v(w2v_folder):
    return AutoProcessor.from_pretrained(w2v_folder), transformers.AutoProcessor.from_pretrained(w2v_folder)


@pytest.fixture(scope="module")
def clip(clip_folder):
    return AutoProcessor.from_pretrained(clip_folder), transformers.AutoProcessor.from_pretrained(clip_folder)


@pytest.fixture(scope="module")
def layoutlmv2(layoutlmv2_folder):
    return (AutoProcessor.from_pretrained(layoutlmv2_folder),
            transformers.AutoProcessor.from_pretrained(layoutlmv2_folder))


# --- loading and printing -----------------------------------------------------------------------------------------


def check_loaded(ours: Any, theirs: Any, cls: type, parts: tuple[type, ...]) -> None:
    assert type(ours) is cls and type(theirs).__name__ == cls.__name__
    assert tuple(type(getattr(ours, attribute)) for attribute in cls.attributes) == parts
    assert repr(ours) == same_repr(ours, theirs)
    assert json.loads(ours.to_json_string()) == json.loads(theirs.to_json_string())
    assert ours.model_input_names == theirs.model_input_names
    trace = ours.resolution_trace
    assert all(getattr(ours, attribute).resolution_trace is trace for attribute in cls.attributes)
    assert ("AutoProcessor", "processor_config.json", "processor_class", cls.__name__, cls.__name__) in decisions(trace)
    assert next(read.name for read in trace.files) == "processor_config.json"
    nested = [d for d in trace.decisions if d.stage == cls.__name__ and d.file == "processor_config.json"]
    assert [d.result for d in nested] == [parts[0].__name__]  # the nested settings of transformers v5


def test_wav2vec2_loads_like_transformers(w2v):
    check_loaded(*w2v, Wav2Vec2Processor, (Wav2Vec2FeatureExtractor, Wav2Vec2CTCTokenizer))


def test_clip_loads_like_transformers(clip):
    check_loaded(*clip, CLIPProcessor, (CLIPImageProcessor, CLIPTokenizerFast))


def test_layoutlmv2_loads_like_transformers(layoutlmv2):
    check_loaded(*layoutlmv2, LayoutLMv2Processor, (LayoutLMv2ImageProcessor, LayoutLMv2TokenizerFast))
    tokenizer_choice = next(d for d in layoutlmv2[0].resolution_trace.decisions if d.key == "tokenizer_class")
    assert (tokenizer_choice.value, tokenizer_choice.result) == ("LayoutLMv2Tokenizer", "LayoutLMv2TokenizerFast")


# --- Wav2Vec2 -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sampling_rate": RATE},
        {"sampling_rate": RATE, "padding": True, "return_tensors": "pt"},
        {"sampling_rate": RATE, "padding": True, "return_tensors": "np", "return_attention_mask": True},
        {"sampling_rate": RATE, "padding": "max_length", "max_length": 1000, "truncation": True, "return_tensors": "pt"},
        {"sampling_rate": RATE, "padding": True, "pad_to_multiple_of": 512, "return_attention_mask": False},
        {"sampling_rate": RATE, "audio_kwargs": {"padding": True}, "common_kwargs": {"return_tensors": "pt"}},
    ],
    ids=["lists", "pt", "np-mask", "max-length", "multiple", "modality-dicts"],
)
def test_wav2vec2_audio(w2v, kwargs):
    ours, theirs = w2v
    assert_same(ours(audio=AUDIO, **kwargs), theirs(audio=AUDIO, **kwargs))
    assert_same(ours(AUDIO[0], **kwargs), theirs(AUDIO[0], **kwargs))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding": True}, {"padding": True, "return_tensors": "pt"},
     {"text_kwargs": {"padding": "max_length", "max_length": 16}, "return_tensors": "np"}],
    ids=["lists", "padded", "pt", "text-dict"],
)
def test_wav2vec2_text(w2v, kwargs):
    ours, theirs = w2v
    got, expected = ours(text=TRANSCRIPTS, **kwargs), theirs(text=TRANSCRIPTS, **kwargs)
    assert isinstance(got, BatchEncoding)
    assert_same(got, expected)
    assert_same(ours(text=TRANSCRIPTS[0], **kwargs), theirs(text=TRANSCRIPTS[0], **kwargs))


def test_wav2vec2_audio_with_transcripts_gives_labels(w2v):
    ours, theirs = w2v
    kwargs = {"sampling_rate": RATE, "padding": True, "return_tensors": "pt"}
    got = ours(audio=AUDIO, text=TRANSCRIPTS, **kwargs)
    assert_same(got, theirs(audio=AUDIO, text=TRANSCRIPTS, **kwargs))
    assert list(got)[-1] == "labels"
    assert_same(ours(audio=AUDIO, text=TRANSCRIPTS, sampling_rate=RATE),
                theirs(audio=AUDIO, text=TRANSCRIPTS, sampling_rate=RATE))


def test_wav2vec2_decoding_and_padding(w2v):
    ours, theirs = w2v
    predicted = torch.tensor([[8, 8, 0, 9, 16, 0, 16, 19, 4, 4, 27, 19, 22, 16, 8], [5, 5, 0, 0, 4, 7, 7, 3, 1, 2, 0, 0, 0,
                                                                                  0, 0]])
    assert ours.batch_decode(predicted) == theirs.batch_decode(predicted)
    assert ours.decode(predicted[0], skip_special_tokens=True) == theirs.decode(predicted[0], skip_special_tokens=True)
    assert dict(ours.decode(predicted[0], output_word_offsets=True)) == dict(
        theirs.decode(predicted[0], output_word_offsets=True))
    features = [{"input_values": AUDIO[0]}, {"input_values": AUDIO[1]}]
    labels = [{"input_ids": [8, 9, 16]}, {"input_ids": [5]}]
    assert_same(ours.pad(features, labels=labels, return_tensors="pt"),
                theirs.pad(features, labels=labels, return_tensors="pt"))
    assert_same(ours.pad(labels=labels), theirs.pad(labels=labels))


def test_wav2vec2_refusals(w2v, caplog):
    ours, _ = w2v
    with pytest.raises(errors.InputError, match="either an `audio` or `text`"):
        ours()
    with pytest.raises(errors.InputError, match="passed two times"):
        ours(text="A", padding=True, text_kwargs={"padding": False})
    with caplog.at_level(logging.WARNING):
        ours(text="A", bogus=1)
    assert "`bogus` is not a valid argument" in caplog.text
    with pytest.raises(errors.AudioInputError, match="16000 Hz"):
        ours(audio=AUDIO, sampling_rate=8000)


def test_built_by_hand(tmp_path):
    write_json(tmp_path / "vocab.json", CTC_VOCAB)
    extractor, tokenizer = Wav2Vec2FeatureExtractor(), Wav2Vec2CTCTokenizer(tmp_path / "vocab.json")
    processor = Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer)
    assert processor.resolution_trace is None
    assert Wav2Vec2Processor(extractor, tokenizer).feature_extractor is extractor
    theirs = transformers.Wav2Vec2Processor(
        feature_extractor=transformers.Wav2Vec2FeatureExtractor(),
        tokenizer=transformers.Wav2Vec2CTCTokenizer(str(tmp_path / "vocab.json")))
    assert repr(processor).replace("name_or_path=''", "") == repr(theirs).replace("name_or_path=''", "")
    with pytest.raises(errors.UnexpectedArgumentError, match="feature_extractor must be"):
        Wav2Vec2Processor(tokenizer, extractor)
    with pytest.raises(TypeError, match="missing: tokenizer"):
        Wav2Vec2Processor(extractor)
    with pytest.raises(TypeError, match="unexpected keyword argument 'image_processor2'"):
        CLIPProcessor(image_processor=None, tokenizer=tokenizer, image_processor2=1)


# --- CLIP ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "kwargs"),
    [
        ({"text": CAPTIONS, "images": PAGES + PAGES[:1]}, {"padding": True, "return_tensors": "pt"}),
        ({"text": CAPTIONS[:2], "images": PAGES}, {"padding": "max_length", "max_length": 12, "truncation": True,
                                                   "return_tensors": "np"}),
        ({"text": CAPTIONS[0], "images": PAGES[0]}, {}),
        ({"text": CAPTIONS}, {"padding": True}),
        ({"images": PAGES}, {"return_tensors": "pt"}),
        ({"images": [np.asarray(PAGES[0]), np.asarray(PAGES[1])]}, {}),
        ({"text": CAPTIONS, "images": PAGES[:1] * 3},
         {"padding": True, "return_tensors": "pt", "images_kwargs": {"crop_size": {"height": 16, "width": 16}}}),
    ],
    ids=["pt", "np-truncated", "one", "text-only", "images-only", "arrays", "images-dict"],
)
def test_clip(clip, inputs, kwargs):
    ours, theirs = clip
    got = ours(**inputs, **kwargs)
    assert type(got) is BatchFeature
    assert_same(got, theirs(**inputs, **kwargs))


def test_clip_refusals(clip):
    ours, _ = clip
    with pytest.raises(errors.InputError, match="at least one input"):
        ours()
    with pytest.raises(errors.InputError, match="string or list of strings"):
        ours(text=[1, 2])
    with pytest.raises(errors.InputError, match="no audio processor"):
        ours(text="a", audio=AUDIO[0])


# --- LayoutLMv2 ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((PAGES[0], WORDS), {"boxes": BOXES, "return_tensors": "pt"}),
        ((PAGES[0], WORDS), {"boxes": BOXES}),
        ((PAGES, [WORDS, WORDS_2]), {"boxes": [BOXES, BOXES_2], "word_labels": [LABELS, LABELS_2], "padding": True,
                                     "truncation": True, "max_length": 10, "return_tensors": "pt"}),
        ((PAGES, [WORDS, WORDS_2]), {"boxes": [BOXES, BOXES_2], "padding": "max_length", "max_length": 24,
                                     "return_tensors": "np"}),
        ((PAGES[1], "What is the total?", WORDS), {"boxes": BOXES, "return_tensors": "pt"}),
        ((PAGES, ["What is the total?", "who"], [WORDS, WORDS_2]), {"boxes": [BOXES, BOXES_2], "padding": True,
                                                                    "return_tensors": "pt"}),
        ((PAGES, [WORDS, WORDS_2]), {"boxes": [BOXES, BOXES_2], "truncation": True, "max_length": 8, "stride": 2,
                                     "padding": True, "return_overflowing_tokens": True,
                                     "return_offsets_mapping": True, "return_tensors": "pt"}),
        ((PAGES, [WORDS, WORDS_2]), {"boxes": [BOXES, BOXES_2], "word_labels": [LABELS, LABELS_2],
                                     "padding_side": "left", "padding": True, "return_length": True}),
    ],
    ids=["pt", "lists", "labels-truncated", "np-max-length", "question", "questions", "overflow", "left"],
)
def test_layoutlmv2(layoutlmv2, args, kwargs):
    ours, theirs = layoutlmv2
    got = ours(*args, **kwargs)
    assert isinstance(got, BatchEncoding)
    assert_same(got, theirs(*args, **kwargs))


def test_layoutlmv2_image_is_bgr_uint8(layoutlmv2):
    ours, _ = layoutlmv2
    image = ours(PAGES[0], WORDS, boxes=BOXES, return_tensors="pt")["image"]
    assert (image.dtype, tuple(image.shape)) == (torch.uint8, (1, 3, 224, 224))
    rgb = np.asarray(PAGES[0].resize((224, 224), resample=Image.BILINEAR))
    assert torch.equal(image[0], torch.from_numpy(np.ascontiguousarray(rgb[..., ::-1].transpose(2, 0, 1))))


def test_layoutlmv2_refusals(layoutlmv2, minilm_path, tmp_path, monkeypatch):
    ours, _ = layoutlmv2
    with pytest.raises(errors.InputError, match="overflowing tokens without returning the offsets"):
        ours(PAGES[0], WORDS, boxes=BOXES, return_overflowing_tokens=True)
    with pytest.raises(errors.InputError, match="apply_ocr=False"):
        ours(PAGES[0], WORDS)
    with pytest.raises(errors.TokenizerInputError, match="as many words"):
        ours(PAGES[0], WORDS, boxes=BOXES[:2])
    ocr_folder = layoutlmv2_processor(minilm_path, tmp_path / "ocr", apply_ocr=True)
    processor, theirs = AutoProcessor.from_pretrained(ocr_folder), transformers.AutoProcessor.from_pretrained(ocr_folder)
    assert processor.image_processor.apply_ocr is True and theirs.image_processor.apply_ocr is True
    for kwargs, message in (({"boxes": BOXES}, "bounding boxes"), ({"word_labels": LABELS}, "word labels")):
        with pytest.raises(errors.InputError, match=message):
            processor(PAGES[0], WORDS, **kwargs)
        with pytest.raises(ValueError, match=message):  # transformers refuses the same
            theirs(PAGES[0], WORDS, **kwargs)
    monkeypatch.setitem(sys.modules, "pytesseract", None)  # as on a machine without it
    with pytest.raises(ImportError, match="pip install pytesseract") as raised:
        processor(PAGES[0])
    assert isinstance(raised.value, errors.ExplorerError)
    assert "apply_ocr=False" in str(raised.value) and "tesseract-ocr" in str(raised.value)


def test_layoutlmv2_hub_layout(minilm_path, tmp_path):
    """microsoft/layoutlmv2-base-uncased's layout (the tutorial's lesson 5): a legacy preprocessor_config.json
    naming LayoutLMv2FeatureExtractor with an int size, vocab.txt and a tokenizer_config.json; apply_ocr turned
    off at load time."""
    (tmp_path / "vocab.txt").write_text((minilm_path / "vocab.txt").read_text(encoding="utf-8"), encoding="utf-8")
    write_json(tmp_path / "preprocessor_config.json", {
        "apply_ocr": True, "do_resize": True, "feature_extractor_type": "LayoutLMv2FeatureExtractor", "resample": 2,
        "size": 224, "processor_class": "LayoutLMv2Processor"})
    write_json(tmp_path / "tokenizer_config.json", {
        "do_lower_case": True, "model_max_length": 512, "tokenizer_class": "LayoutLMv2Tokenizer"})
    write_json(tmp_path / "config.json", {"model_type": "layoutlmv2"})
    ours = AutoProcessor.from_pretrained(tmp_path, apply_ocr=False)
    theirs = transformers.AutoProcessor.from_pretrained(tmp_path, apply_ocr=False)
    assert type(ours) is LayoutLMv2Processor and ours.image_processor.apply_ocr is False
    assert ours.image_processor.size == theirs.image_processor.size == {"height": 224, "width": 224}
    assert ("AutoImageProcessor", "preprocessor_config.json", "feature_extractor_type", "LayoutLMv2FeatureExtractor",
            "LayoutLMv2ImageProcessor") in decisions(ours.resolution_trace)
    kwargs = {"boxes": [BOXES, BOXES_2], "word_labels": [LABELS, LABELS_2], "padding": True, "return_tensors": "pt"}
    assert_same(ours(PAGES, [WORDS, WORDS_2], **kwargs), theirs(PAGES, [WORDS, WORDS_2], **kwargs))


# --- AutoProcessor's resolution order ------------------------------------------------------------------------------


@pytest.fixture
def parts(tmp_path) -> dict[str, Any]:
    """transformers' Wav2Vec2 parts, to lay out checkpoints by hand."""
    return {"extractor": transformers.Wav2Vec2FeatureExtractor(), "tokenizer": ctc_tokenizer(tmp_path / "vocab")}


def lay_out(folder: Path, parts: dict[str, Any], preprocessor: dict[str, Any] | None = None,
            tokenizer: dict[str, Any] | None = None, config: dict[str, Any] | None = None) -> Path:
    """A legacy checkpoint: preprocessor_config.json and the tokenizer's files, with extra keys."""
    parts["tokenizer"].save_pretrained(folder)
    if tokenizer is not None:
        path = folder / "tokenizer_config.json"
        write_json(path, {**json.loads(path.read_text(encoding="utf-8")), **tokenizer})
    if preprocessor is not None:
        write_json(folder / "preprocessor_config.json", {**parts["extractor"].to_dict(), **preprocessor})
    if config is not None:
        write_json(folder / "config.json", config)
    return folder


@pytest.mark.parametrize(
    ("layout", "deciding"),
    [
        ({"preprocessor": {"processor_class": "Wav2Vec2Processor"}},
         ("preprocessor_config.json", "processor_class", "Wav2Vec2Processor")),
        ({"preprocessor": {}, "tokenizer": {"processor_class": "Wav2Vec2Processor"}},
         ("tokenizer_config.json", "processor_class", "Wav2Vec2Processor")),
        ({"preprocessor": {}, "config": {"model_type": "wav2vec2"}}, ("config.json", "model_type", "wav2vec2")),
        ({"preprocessor": {"processor_class": "Wav2Vec2Processor"}, "tokenizer": {"processor_class": "CLIPProcessor"}},
         ("preprocessor_config.json", "processor_class", "Wav2Vec2Processor")),
        ({"preprocessor": {"processor_class": "NotAProcessor"}, "config": {"model_type": "wav2vec2"}},
         ("config.json", "model_type", "wav2vec2")),
        ({"preprocessor": {}, "config": {"model_type": "bert", "processor_class": "Wav2Vec2Processor"}},
         ("config.json", "processor_class", "Wav2Vec2Processor")),
    ],
    ids=["preprocessor-config", "tokenizer-config", "model-type", "first-file-wins", "unknown-class", "model-config"],
)
def test_resolution_order(tmp_path, parts, layout, deciding):
    folder = lay_out(tmp_path / "checkpoint", parts, **layout)
    ours, theirs = AutoProcessor.from_pretrained(folder), transformers.AutoProcessor.from_pretrained(folder)
    unknown = layout["preprocessor"].get("processor_class") == "NotAProcessor"
    # transformers stops at an unknown processor_class and falls back to the tokenizer alone; explorer notes it
    # in the trace and goes on to the model type
    assert type(ours) is Wav2Vec2Processor
    assert type(theirs).__name__ == ("Wav2Vec2CTCTokenizer" if unknown else "Wav2Vec2Processor")
    made = decisions(ours.resolution_trace)
    file, key, value = deciding
    assert ("AutoProcessor", file, key, value, "Wav2Vec2Processor") in made
    stages = [decision[0] for decision in made]
    assert stages.index("AutoProcessor") < stages.index("AutoFeatureExtractor")  # then the parts, legacy files
    assert ("AutoFeatureExtractor", "preprocessor_config.json", "feature_extractor_type", "Wav2Vec2FeatureExtractor",
            "Wav2Vec2FeatureExtractor") in made
    if unknown:
        assert ("AutoProcessor", "preprocessor_config.json", "processor_class", "NotAProcessor",
                "not a known class") in made
    kwargs = {"sampling_rate": RATE, "padding": True, "return_tensors": "pt"}
    expected = transformers.Wav2Vec2Processor.from_pretrained(folder) if unknown else theirs
    assert_same(ours(audio=AUDIO, text=TRANSCRIPTS, **kwargs), expected(audio=AUDIO, text=TRANSCRIPTS, **kwargs))


@pytest.mark.parametrize("auto_name", ["AutoFeatureExtractor", "AutoImageProcessor"])
def test_parts_read_from_processor_config_alone(auto_name, w2v_folder, clip_folder):
    """transformers v5 saves a processor's parts nested in processor_config.json, with no
    preprocessor_config.json: the Auto class for one part reads its settings there."""
    folder = w2v_folder if auto_name == "AutoFeatureExtractor" else clip_folder
    assert not (folder / "preprocessor_config.json").exists()
    ours = getattr(explorer, auto_name).from_pretrained(folder)
    theirs = getattr(transformers, auto_name).from_pretrained(folder)
    assert class_name(theirs) == type(ours).__name__
    ours_settings, their_settings = ({key: value for key, value in json.loads(part.to_json_string()).items()
                                      if key != ours.type_key} for part in (ours, theirs))
    assert ours_settings == their_settings
    nested_key = "feature_extractor" if auto_name == "AutoFeatureExtractor" else "image_processor"
    saved = json.loads((folder / "processor_config.json").read_text())[nested_key]
    assert (auto_name, "processor_config.json", ours.type_key, saved[ours.type_key], type(ours).__name__) \
        in decisions(ours.resolution_trace)
    assert [read.name for read in ours.resolution_trace.files][:1] == ["processor_config.json"]


def test_no_settings_anywhere_names_both_files(tmp_path):
    write_json(tmp_path / "processor_config.json", {"processor_class": "CLIPProcessor"})
    with pytest.raises(errors.EntryNotFoundError, match="preprocessor_config.json.*'image_processor' entry in "
                                                        "processor_config.json"):
        explorer.AutoImageProcessor.from_pretrained(tmp_path)
    write_json(tmp_path / "processor_config.json", {"feature_extractor": ["not", "settings"]})
    with pytest.raises(errors.MalformedFileError, match="processor_config.json: 'feature_extractor' must be"):
        explorer.AutoFeatureExtractor.from_pretrained(tmp_path)


def test_fallback_to_a_single_part(tmp_path, parts, clip_folder):
    tokenizer_only = tmp_path / "tokenizer"
    parts["tokenizer"].save_pretrained(tokenizer_only)
    extractor_only = tmp_path / "extractor"
    parts["extractor"].save_pretrained(extractor_only)
    image_only = tmp_path / "image"
    transformers.AutoProcessor.from_pretrained(clip_folder).image_processor.save_pretrained(image_only)
    for folder, cls, via in ((tokenizer_only, Wav2Vec2CTCTokenizer, "AutoTokenizer"),
                             (extractor_only, Wav2Vec2FeatureExtractor, "AutoFeatureExtractor"),
                             (image_only, CLIPImageProcessor, "AutoImageProcessor")):
        ours, theirs = AutoProcessor.from_pretrained(folder), transformers.AutoProcessor.from_pretrained(folder)
        assert type(ours) is cls and class_name(theirs) == cls.__name__
        last = ours.resolution_trace.decisions[-1]
        assert (last.stage, last.result, last.note) == ("AutoProcessor", cls.__name__, f"no processor; {via} found one")
    (tmp_path / "empty").mkdir()
    with pytest.raises(errors.EntryNotFoundError, match="no processor"):
        AutoProcessor.from_pretrained(tmp_path / "empty")


def test_from_pretrained_routes_settings(layoutlmv2_folder, w2v_folder):
    processor = LayoutLMv2Processor.from_pretrained(layoutlmv2_folder, apply_ocr=True, model_max_length=20)
    assert processor.image_processor.apply_ocr is True and processor.tokenizer.model_max_length == 20
    assert "apply_ocr" not in processor.tokenizer.init_kwargs
    processor = Wav2Vec2Processor.from_pretrained(w2v_folder, return_attention_mask=True, do_lower_case=True)
    assert processor.feature_extractor.return_attention_mask is True and processor.tokenizer.do_lower_case is True
    with pytest.raises(errors.RemoteCodeError):
        Wav2Vec2Processor.from_pretrained(w2v_folder, trust_remote_code=True)


# --- saving -------------------------------------------------------------------------------------------------------


def check_saved(ours: Any, theirs: Any, folder: Path, call: Any) -> None:
    written = ours.save_pretrained(folder / "ours")
    assert written == [str(folder / "ours" / "processor_config.json")]
    theirs.save_pretrained(folder / "theirs")
    ours_files = {p.name for p in (folder / "ours").iterdir()}
    their_files = {p.name for p in (folder / "theirs").iterdir()}
    assert their_files <= ours_files <= their_files | {"special_tokens_map.json"}  # explorer's fast tokenizers add it
    assert json.loads((folder / "ours" / "processor_config.json").read_text()) == json.loads(
        (folder / "theirs" / "processor_config.json").read_text())
    saved_tokenizer = json.loads((folder / "ours" / "tokenizer_config.json").read_text())
    assert saved_tokenizer["processor_class"] == type(ours).__name__
    reloaded = transformers.AutoProcessor.from_pretrained(folder / "ours")
    assert type(reloaded).__name__ == type(ours).__name__
    assert json.loads(reloaded.to_json_string()) == json.loads(theirs.to_json_string())
    assert same_repr(ours, reloaded).replace(str(folder / "ours"), "X") == same_repr(ours, theirs).replace(
        theirs.tokenizer.name_or_path, "X")
    again = AutoProcessor.from_pretrained(folder / "ours")
    assert repr(again).replace(str(folder / "ours"), "X") == repr(ours).replace(ours.tokenizer.name_or_path, "X")
    assert_same(call(again), call(reloaded))
    assert_same(call(ours), call(theirs))


def test_wav2vec2_save_pretrained_loads_in_transformers(w2v, tmp_path):
    check_saved(*w2v, tmp_path, lambda p: p(audio=AUDIO, text=TRANSCRIPTS, sampling_rate=RATE, padding=True,
                                            return_tensors="pt"))


def test_clip_save_pretrained_loads_in_transformers(clip, tmp_path):
    check_saved(*clip, tmp_path, lambda p: p(text=CAPTIONS, images=PAGES + PAGES[:1], padding=True,
                                             return_tensors="pt"))


def test_layoutlmv2_save_pretrained_loads_in_transformers(layoutlmv2, tmp_path):
    check_saved(*layoutlmv2, tmp_path, lambda p: p(PAGES, [WORDS, WORDS_2], boxes=[BOXES, BOXES_2], padding=True,
                                                   return_tensors="pt"))
