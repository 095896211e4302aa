"""One load: which Auto class loads the model, which components a checkpoint has (decided from its files and
the registry, failures kept as errors), the backbone left to its panel, one processing per image, parameter
counts."""

from __future__ import annotations

import logging
import shutil

import pytest

from explorer import AutoBackbone, AutoConfig, BertConfig, ConvNextConfig, Wav2Vec2Config, catalog
from explorer.samples import PHOTO
from explorer.widgets.session import load_backbone, load_session, model_auto_class, parameter_counts

# the suffix table the app used before the registry derived the Auto class of architectures[0]
SUFFIX_AUTO_CLASSES = (
    ("ForMaskedLM", "AutoModelForMaskedLM"),
    ("ForTokenClassification", "AutoModelForTokenClassification"),
    ("ForQuestionAnswering", "AutoModelForQuestionAnswering"),
    ("ForImageClassification", "AutoModelForImageClassification"),
    ("ForCTC", "AutoModelForCTC"),
    ("ForSequenceClassification", "AutoModelForSequenceClassification"),
    ("ForCausalLM", "AutoModelForCausalLM"),  # the decoders: Qwen2ForCausalLM, GPT-2's LMHeadModel
    ("LMHeadModel", "AutoModelForCausalLM"),
)


def auto_class_by_suffix(config) -> str:
    saved_from = (config.architectures or [""])[0]
    if config.model_type == "wav2vec2" and saved_from.endswith("ForSequenceClassification"):
        return "AutoModelForAudioClassification"
    return next((auto for suffix, auto in SUFFIX_AUTO_CLASSES if saved_from.endswith(suffix)), "AutoModel")


@pytest.mark.parametrize("config, expected", [
    (BertConfig(architectures=["BertForSequenceClassification"]), "AutoModelForSequenceClassification"),
    (BertConfig(architectures=["BertForMaskedLM"]), "AutoModelForMaskedLM"),
    (BertConfig(architectures=["BertForQuestionAnswering"]), "AutoModelForQuestionAnswering"),
    (BertConfig(), "AutoModel"),
    (ConvNextConfig(architectures=["ConvNextForImageClassification"]), "AutoModelForImageClassification"),
    (Wav2Vec2Config(architectures=["Wav2Vec2ForSequenceClassification"]), "AutoModelForAudioClassification"),
    (Wav2Vec2Config(architectures=["Wav2Vec2ForCTC"]), "AutoModelForCTC"),
])
def test_the_model_is_loaded_with_the_head_it_was_saved_with(config, expected):
    assert model_auto_class(config) == expected


def test_every_catalog_entry_gets_the_auto_class_its_architecture_suffix_named():
    configs = {entry.id: AutoConfig.from_pretrained(entry.path()) for entry in catalog.entries() if entry.path()}
    assert len(configs) >= 19
    picked = {reference: model_auto_class(config) for reference, config in configs.items()}
    assert picked == {reference: auto_class_by_suffix(config) for reference, config in configs.items()}
    assert set(picked.values()) > {"AutoModel", "AutoModelForMaskedLM", "AutoModelForAudioClassification"}


def test_one_checkpoint_one_trace_for_every_auto_class(checkpoints):
    session = load_session(str(checkpoints["sentiment"]))
    stages = {decision.stage for decision in session.trace.decisions}
    assert {"AutoConfig", "AutoTokenizer", "AutoModelForSequenceClassification"} <= stages
    assert session.get("model").resolution_trace is session.trace
    assert session.parts["backbone"].status == "absent" and "AutoBackbone" in session.parts["backbone"].absent
    assert session.get("backbone") is None


def test_what_a_checkpoint_lacks_is_absent_without_being_tried(checkpoints):
    session = load_session(str(checkpoints["vit"]))
    statuses = {name: part.status for name, part in session.parts.items()}
    assert statuses == {"tokenizer": "absent", "image_processor": "loaded", "model": "loaded", "backbone": "absent"}
    assert "tokenizer.json" in session.parts["tokenizer"].absent
    assert not {"AutoTokenizer", "AutoFeatureExtractor", "AutoBackbone"} & {d.stage for d in session.trace.decisions}


def test_a_component_the_files_promise_that_fails_is_an_error_not_absent(checkpoints, tmp_path):
    broken = tmp_path / "sentiment"
    shutil.copytree(checkpoints["sentiment"], broken)
    for name in ("tokenizer.json", "vocab.txt"):
        (broken / name).unlink()
    part = load_session(str(broken)).parts["tokenizer"]
    assert part.status == "error" and "EntryNotFoundError" in part.error and "vocab.txt" in part.error


def test_the_backbone_is_left_to_its_panel_and_built_from_the_same_checkpoint(checkpoints):
    session = load_session(str(checkpoints["convnext"]))
    assert session.parts["backbone"].status == "pending" and session.get("backbone") is None
    assert "AutoBackbone" not in {decision.stage for decision in session.trace.decisions}
    part = load_backbone(session, ["stem", "stage2"])
    assert part.status == "loaded" and part.value.resolution_trace is session.trace
    assert part.value.config.out_features == ["stem", "stage2"] and part.value.config.out_indices == [0, 2]
    assert session.config.out_features == ["stage4"]  # the session's config is not changed


def test_an_unclean_load_report_goes_to_the_panel_not_the_log(checkpoints, caplog):
    """A backbone from a classifier checkpoint misses its stage norms: the report is the Part's, and nothing is
    logged (in a notebook the log would be a red block above the panels)."""
    session = load_session(str(checkpoints["convnext"]))
    with caplog.at_level(logging.WARNING):
        part = load_backbone(session, ["stem", "stage2"])
    assert not part.value.load_report.is_clean and caplog.records == []
    with caplog.at_level(logging.WARNING):  # outside the app, the loader does warn
        AutoBackbone.from_pretrained(session.checkpoint, out_features=["stage2"])
    assert "load report" in caplog.text


def counting_calls(monkeypatch, cls) -> list[int]:
    """Each call of an instance of ``cls`` appends to the returned list."""
    calls, real = [], cls.__call__

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__call__", counted)
    return calls


def test_an_image_is_processed_once_per_input(checkpoints, monkeypatch):
    session = load_session(str(checkpoints["vit"]))
    calls = counting_calls(monkeypatch, type(session.get("image_processor")))
    photo = (PHOTO.name, PHOTO.read_bytes())
    first = session.process_image(photo)
    assert session.process_image((PHOTO.name, PHOTO.read_bytes())) is first and len(calls) == 1
    assert list(first.inputs["pixel_values"].shape) == [1, 3, 32, 32] and first.image.size == (320, 214)
    assert session.process_image(("copy.jpg", photo[1])) is not first and len(calls) == 2


def test_parameter_counts_cover_the_model(checkpoints):
    model = load_session(str(checkpoints["sentiment"])).get("model")
    rows = {name.strip(): count for name, count in parameter_counts(model)}
    assert rows["BertForSequenceClassification"] == model.num_parameters()
    assert rows["bert"] + rows["classifier"] == model.num_parameters()
    assert rows["bert.embeddings"] + rows["bert.encoder"] + rows["bert.pooler"] == rows["bert"]
