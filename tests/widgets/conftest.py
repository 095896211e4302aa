"""Tiny checkpoints for the app's tests, made with explorer's own configs and save_pretrained (no catalog, no
Hub): a BERT sentiment classifier, a masked LM, a token classifier and a QA model on all-MiniLM-L6-v2's
vocabulary, a ViT image classifier, a ConvNeXt with stages, and a Wav2Vec2 CTC model with its feature extractor
and character tokenizer."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest
import torch

import explorer
from explorer.samples import SENTENCE

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")
BERT = {"vocab_size": 30522, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 32, "max_position_embeddings": 512}


def save_model(model_class: str, config: object, folder: Path) -> Path:
    torch.manual_seed(0)
    getattr(explorer, model_class).from_config(config).save_pretrained(folder)
    return folder


def with_tokenizer(folder: Path, minilm_path: Path) -> Path:
    for name in TOKENIZER_FILES:
        if (minilm_path / name).is_file():
            shutil.copy(minilm_path / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory, minilm_path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("widget-checkpoints")
    made = {}
    sentiment = explorer.BertConfig(**BERT, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                                    label2id={"NEGATIVE": 0, "POSITIVE": 1})
    made["sentiment"] = with_tokenizer(save_model("BertForSequenceClassification", sentiment, root / "sentiment"),
                                       minilm_path)
    made["mlm"] = with_tokenizer(save_model("BertForMaskedLM", explorer.BertConfig(**BERT), root / "mlm"),
                                 minilm_path)
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    ner = explorer.BertConfig(**BERT, id2label=dict(enumerate(tags)), label2id={tag: i for i, tag in enumerate(tags)},
                              initializer_range=1.0)  # logits far apart: some tokens are labelled other than O
    made["ner"] = with_tokenizer(save_model("BertForTokenClassification", ner, root / "ner"), minilm_path)
    made["qa"] = with_tokenizer(save_model("BertForQuestionAnswering", explorer.BertConfig(**BERT), root / "qa"),
                                minilm_path)
    vit = explorer.ViTConfig(image_size=32, patch_size=8, hidden_size=16, num_hidden_layers=2,
                             num_attention_heads=2, intermediate_size=32, id2label={0: "cat", 1: "dog", 2: "fish"},
                             label2id={"cat": 0, "dog": 1, "fish": 2})
    made["vit"] = save_model("ViTForImageClassification", vit, root / "vit")
    explorer.ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(made["vit"])
    convnext = explorer.ConvNextConfig(hidden_sizes=[8, 16, 24, 32], depths=[1, 1, 1, 1], num_labels=2)
    made["convnext"] = save_model("ConvNextForImageClassification", convnext, root / "convnext")
    explorer.ConvNextImageProcessor(size={"shortest_edge": 64}, crop_pct=1.0).save_pretrained(made["convnext"])
    made["wav2vec2"] = save_wav2vec2_ctc(root / "wav2vec2")
    return made


def save_wav2vec2_ctc(folder: Path) -> Path:
    letters = list("abcdefghijklmnopqrstuvwxyz'")
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4} | {c: i + 5 for i, c in enumerate(letters)}
    config = explorer.Wav2Vec2Config(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=32, conv_dim=(8, 8), conv_stride=(5, 4),
                                     conv_kernel=(10, 8), num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2,
                                     architectures=["Wav2Vec2ForCTC"])
    save_model("Wav2Vec2ForCTC", config, folder)
    explorer.Wav2Vec2FeatureExtractor(return_attention_mask=True).save_pretrained(folder)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "Wav2Vec2CTCTokenizer"}))
    return folder


@pytest.fixture
def app():
    """A fresh English app with no checkpoint loaded (loading is each test's business)."""
    from explorer.widgets import ExplorerApp

    made = ExplorerApp()
    assert made.panels["text"].text.value == SENTENCE
    return made


class RecordingComm:
    """What ipywidgets' own tests use in place of a kernel's comm: it keeps every message a widget sends."""

    kernel = "a kernel"  # truthy: widgets send their state changes

    def __init__(self, *args, **kwargs) -> None:
        self.comm_id = uuid.uuid4().hex  # widgets are registered by it
        self.messages: list[dict] = []

    def open(self, *args, **kwargs) -> None:
        pass

    def on_msg(self, *args, **kwargs) -> None:
        pass

    def send(self, data=None, **kwargs) -> None:
        self.messages.append(data or {})

    def close(self, *args, **kwargs) -> None:
        pass

    @staticmethod
    def sent_values(widget) -> list[object]:
        """The ``value`` updates a widget sent to the front end, oldest first."""
        return [message["state"]["value"] for message in widget.comm.messages
                if message.get("method") == "update" and "value" in message.get("state", {})]


@pytest.fixture
def recording_comm(monkeypatch):
    """Widgets made in this test talk to RecordingComms, as in a kernel with a front end attached."""
    import comm

    monkeypatch.setattr(comm, "create_comm", lambda **kwargs: RecordingComm())
    return RecordingComm

