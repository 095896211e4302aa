"""One load: which Auto class loads the model, what is absent, parameter counts."""

from __future__ import annotations

import pytest

from explorer import BertConfig, ConvNextConfig, Wav2Vec2Config
from explorer.widgets.session import load_session, model_auto_class, parameter_counts


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


def test_one_checkpoint_one_trace_for_every_auto_class(checkpoints):
    session = load_session(str(checkpoints["sentiment"]))
    stages = {decision.stage for decision in session.trace.decisions}
    assert {"AutoConfig", "AutoTokenizer", "AutoModelForSequenceClassification"} <= stages
    assert session.get("model").resolution_trace is session.trace
    assert session.parts["backbone"].status == "absent" and "AutoBackbone" in session.parts["backbone"].absent
    assert session.get("backbone") is None


def test_parameter_counts_cover_the_model(checkpoints):
    model = load_session(str(checkpoints["sentiment"])).get("model")
    rows = {name.strip(): count for name, count in parameter_counts(model)}
    assert rows["BertForSequenceClassification"] == model.num_parameters()
    assert rows["bert"] + rows["classifier"] == model.num_parameters()
    assert rows["bert.embeddings"] + rows["bert.encoder"] + rows["bert.pooler"] == rows["bert"]
