"""The app under faults, against the local Hub-compatible server (tests/hubserver.py): a bad id, a connection cut
mid-download and hostile files each show a message (class ``explorer-error``) and leave the app usable: the next
id loads."""

from __future__ import annotations

import json
import struct

import pytest
import torch
from hubserver import assert_cache_sound, hub  # noqa: F401  (hub: a fixture)



class RunsCode:
    """Unpickling this would create ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def everything_shown(app) -> str:
    """The message and every tab's view (each tab selected in turn: only the selected one renders)."""
    return app.message.value + "".join(app.show(panel.name).output.value for panel in list(app.shown))


def assert_recovers(app, hub):  # noqa: F811
    """After a failure: the message is shown, the app is idle, and a good id loads."""
    assert app.busy.layout.display == "none" and not app.load_button.disabled
    app.load("org/sentiment")
    assert app.state.status == "ready" and app.message.value == ""
    assert "explorer-error" not in everything_shown(app)
    assert app.state.session.reference == "org/sentiment"


@pytest.fixture
def served(hub, checkpoints):  # noqa: F811
    hub.add_folder("org/sentiment", checkpoints["sentiment"])
    return hub


def test_a_bad_id_shows_a_message_and_the_next_id_works(app, served):
    app.load("org/no-such-model")
    assert app.state.status == "failed"
    assert 'class="explorer-error"' in app.message.value
    assert "CheckpointNotFoundError" in app.message.value and "does not exist, or is private" in app.message.value
    assert_recovers(app, served)


def test_a_connection_cut_mid_download_shows_a_message_and_a_retry_works(app, served):
    served.fault(path="/lfs/", method="GET", cut_after=1000, times=1)
    served.fault(path="/lfs/", method="GET", cut_after=0)  # and the server never finishes the file
    app.load("org/sentiment")
    shown = everything_shown(app)
    assert "explorer-error" in shown and "HubConnectionError" in shown and "model.safetensors" in shown
    assert_cache_sound(served.cache)
    served.clear_faults()
    app.load("org/no-such-model")  # the box must change for the same id to load again
    assert_recovers(app, served)


def test_a_hostile_pickle_shows_a_message_runs_nothing_and_the_next_id_works(app, served, checkpoints, tmp_path):
    marker = tmp_path / "ran"
    torch.save({"bert.embeddings.word_embeddings.weight": RunsCode(str(marker))}, tmp_path / "pytorch_model.bin")
    served.add_repo("org/evil", {"config.json": checkpoints["sentiment"] / "config.json",
                                 "pytorch_model.bin": tmp_path / "pytorch_model.bin"})
    app.load("org/evil")
    # the loader's warning is shown as a styled message of its Auto class, not printed to stderr
    assert 'class="explorer-message warning"><b>AutoModelForSequenceClassification · PickleWeightsWarning' in \
        app.show("resolution").output.value
    shown = everything_shown(app)
    assert "explorer-error" in shown and "UnsafePickleError" in shown and "refused without running" in shown
    assert not marker.exists()
    assert_recovers(app, served)


def test_lying_safetensors_show_a_message_and_the_next_id_works(app, served, checkpoints):
    header = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode()
    served.add_repo("org/lying", {"config.json": checkpoints["sentiment"] / "config.json",
                                  "model.safetensors": struct.pack("<Q", len(header)) + header + bytes(12)})
    app.load("org/lying")
    shown = everything_shown(app)
    assert "explorer-error" in shown and "CorruptWeightsError" in shown and "model.safetensors" in shown
    assert_recovers(app, served)


def test_an_absurd_config_shows_a_message_and_the_next_id_works(app, served):
    served.add_repo("org/absurd", {"config.json": json.dumps({"model_type": "bert", "hidden_size": 10**12}).encode()})
    app.load("org/absurd")
    shown = everything_shown(app)
    assert "explorer-error" in shown and "ConfigValueError" in shown and "hidden_size" in shown
    assert_recovers(app, served)
