"""Downloads through the real huggingface_hub client against a local Hub-compatible server (tests/hubserver.py):
the cache layout, revisions, progress bars, local_files_only and offline fallback; then every network fault,
each ending in the cached result or a typed error that says what to do, never a partial file in the cache,
and a retry that succeeds once the fault clears."""

from __future__ import annotations

import io
import time

import huggingface_hub
import pytest
import torch

from explorer import AutoConfig, AutoModel, AutoTokenizer, BertConfig, BertModel, errors
from hubserver import assert_cache_sound, go_offline, hub  # noqa: F401  (hub: a fixture)

REPO = "org/tiny-bert"
TINY = dict(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=37)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    BertModel(BertConfig(**TINY)).save_pretrained(folder)
    return folder


@pytest.fixture
def served(hub, tiny):  # noqa: F811
    """The server with the tiny checkpoint as ``org/tiny-bert`` (main)."""
    hub.commit = hub.add_folder(REPO, tiny)
    return hub


def load(hub, **kwargs):  # noqa: F811
    return AutoModel.from_pretrained(REPO, cache_dir=hub.cache, **kwargs)


def assert_same_weights(model, folder):
    expected = BertModel.from_pretrained(folder).state_dict()
    assert all(torch.equal(tensor, expected[name]) for name, tensor in model.state_dict().items())


def sources(model) -> dict[str, str]:
    return {read.name: read.source for read in model.resolution_trace.files}


# --- downloads through the real client ---------------------------------------------------------------------------


def test_a_download_fills_the_cache_as_huggingface_hub_lays_it_out(served, tiny):
    model = load(served)
    assert sources(model) == {"config.json": "download", "model.safetensors": "download"}
    assert_same_weights(model, tiny)
    repo = served.cache / "models--org--tiny-bert"
    assert (repo / "refs" / "main").read_text() == served.commit
    snapshot = repo / "snapshots" / served.commit
    for name in ("config.json", "model.safetensors"):
        assert (snapshot / name).is_symlink() and (snapshot / name).resolve().parent == repo / "blobs"
        assert (snapshot / name).read_bytes() == (tiny / name).read_bytes()
    assert_cache_sound(served.cache)


def test_a_second_load_reads_the_cache_without_downloading_again(served):
    load(served)
    model = load(served)
    assert sources(model) == {"config.json": "cache", "model.safetensors": "cache"}
    assert served.downloads("model.safetensors") == 1


def test_revisions_by_branch_and_by_commit(served):
    v2 = served.add_repo(REPO, {"config.json": b'{"model_type": "roberta", "hidden_size": 48, '
                                               b'"num_attention_heads": 4}'}, branch="v2")
    assert AutoConfig.from_pretrained(REPO, cache_dir=served.cache, revision="v2").model_type == "roberta"
    assert AutoConfig.from_pretrained(REPO, cache_dir=served.cache, revision=served.commit).model_type == "bert"
    by_commit = AutoConfig.from_pretrained(REPO, cache_dir=served.cache, revision=v2)
    assert by_commit.hidden_size == 48
    assert (served.cache / "models--org--tiny-bert" / "refs" / "v2").read_text() == v2


def test_downloads_show_a_progress_bar(served, capsys, monkeypatch):
    monkeypatch.setenv("TQDM_POSITION", "-1")  # tqdm shows bars even though pytest's stderr is not a terminal
    load(served)
    shown = capsys.readouterr().err
    assert "config.json" in shown and "112k/112k" in shown and "100%" in shown


def test_inside_download_bars_the_bars_are_the_given_class_and_nothing_is_printed(served, capsys, monkeypatch):
    from tqdm.std import tqdm

    from explorer.hub import download_bars

    monkeypatch.setenv("TQDM_POSITION", "-1")  # the default bars would print here (see above)
    finished: dict[str, tuple[int, int]] = {}

    class Recording(tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs, file=io.StringIO())

        def close(self):
            finished[self.desc] = (self.n, self.total)
            super().close()

    with download_bars(Recording):
        load(served)
    size = (served.cache / "models--org--tiny-bert" / "snapshots" / served.commit / "model.safetensors").stat().st_size
    assert finished["model.safetensors"] == (size, size) and "config.json" in "".join(finished)
    assert capsys.readouterr().err == ""
    load(served, force_download=True)  # outside the block: huggingface_hub's own bars again
    assert "100%" in capsys.readouterr().err


def test_local_files_only_reads_the_cache_and_asks_nothing(served):
    load(served)
    asked = len(served.requests)
    model = load(served, local_files_only=True)
    assert sources(model)["model.safetensors"] == "cache" and len(served.requests) == asked


def test_local_files_only_without_a_cache_says_so(served):
    with pytest.raises(errors.OfflineCacheMissError, match="local_files_only"):
        load(served, local_files_only=True)
    assert served.requests == []


def test_offline_mode_falls_back_to_the_cache(served, monkeypatch, tiny):
    load(served)
    served.stop()
    go_offline(monkeypatch)
    model = load(served)
    assert sources(model) == {"config.json": "cache", "model.safetensors": "cache"}
    assert_same_weights(model, tiny)


def test_offline_mode_without_a_cache_never_asks_the_server(served, monkeypatch):
    go_offline(monkeypatch)
    with pytest.raises(errors.OfflineCacheMissError, match=r"Offline .*config\.json of 'org/tiny-bert'.* Download"):
        load(served)
    assert served.requests == []


def test_the_server_answers_model_info_and_snapshot_download(served):
    """The server speaks enough of the Hub's API for huggingface_hub's other entry points too."""
    info = huggingface_hub.HfApi().model_info(REPO)  # a new client: the module's own was made before the patch
    assert info.sha == served.commit and {s.rfilename for s in info.siblings} == {"config.json", "model.safetensors"}
    folder = huggingface_hub.snapshot_download(REPO, cache_dir=served.cache)
    assert AutoModel.from_pretrained(folder).load_report.is_clean


# --- faults: each a typed error that says what to do, then a retry that works -----------------------------------


FAULTS = {
    # name: (fault, error, what the message says)
    "server error 500": (dict(path="config.json", status=500), errors.HubConnectionError, "HTTP 500"),
    "unauthorised 401": (dict(path="config.json", status=401), errors.AuthorizationError, "HTTP 401.*token"),
    "forbidden 403": (dict(path="model.safetensors", status=403), errors.AuthorizationError, "HTTP 403.*token"),
    "too slow (timeout)": (dict(path="config.json", delay=1.5), errors.HubConnectionError, "did not answer in time"),
    "connection cut mid-file": (dict(path="/lfs/", method="GET", cut_after=1000), errors.HubConnectionError,
                                "model.safetensors.*RemoteProtocolError"),
    "Content-Length too short": (dict(path="/lfs/", method="GET", content_length=500), errors.HubConnectionError,
                                 "model.safetensors.*Consistency check failed"),
    "Content-Length too long": (dict(path="/lfs/", method="GET", content_length=10**6), errors.HubConnectionError,
                                "model.safetensors.*RemoteProtocolError"),
    "size and body both truncated": (dict(path="config.json", content_length=100), errors.HubConnectionError,
                                     "config.json .* arrived damaged"),
}


@pytest.mark.parametrize("name", FAULTS)
def test_a_fault_is_a_typed_error_then_a_retry_succeeds(served, tiny, name):
    fault, error, message = FAULTS[name]
    if fault.get("cut_after") is not None:  # cut for good after the first piece: no resume can finish it
        served.fault(**{**fault, "times": 1})
        served.fault(path="/lfs/", method="GET", cut_after=0)
    else:
        served.fault(**fault)
    started = time.monotonic()
    with pytest.raises(error, match=message) as caught:
        load(served)
    assert time.monotonic() - started < 15
    assert "try again" in str(caught.value).lower() or "token" in str(caught.value)
    assert_cache_sound(served.cache)
    served.clear_faults()
    model = load(served)
    assert_same_weights(model, tiny)
    assert_cache_sound(served.cache)


def test_a_connection_cut_once_is_resumed_to_the_exact_file(served, tiny):
    cut = served.fault(path="/lfs/", method="GET", cut_after=1000, times=1)
    model = load(served)
    assert cut.hits == 1 and served.downloads("model.safetensors") == 2  # the first GET, then a resumed one
    assert_same_weights(model, tiny)
    assert_cache_sound(served.cache)


def test_repository_not_found(served):
    with pytest.raises(errors.CheckpointNotFoundError, match="'org/no-such-model' does not exist, or is private"):
        AutoModel.from_pretrained("org/no-such-model", cache_dir=served.cache)


def test_revision_not_found(served):
    with pytest.raises(errors.CheckpointNotFoundError, match="has no revision 'no-such-branch'"):
        load(served, revision="no-such-branch")


def test_a_gated_repository_says_how_to_get_access(served, tiny):
    served.add_repo("org/gated", {"config.json": tiny / "config.json"}, gated=True)
    with pytest.raises(errors.AuthorizationError, match="gated: accept its conditions.*hf auth login"):
        AutoConfig.from_pretrained("org/gated", cache_dir=served.cache)


def test_a_file_not_in_the_repository(served, tiny):
    served.add_repo("org/no-weights", {"config.json": tiny / "config.json"})
    with pytest.raises(errors.EntryNotFoundError, match="'org/no-weights' has no weights"):
        AutoModel.from_pretrained("org/no-weights", cache_dir=served.cache)
    assert_cache_sound(served.cache)


def test_the_server_gone_after_a_first_download_leaves_the_cached_copy_in_use(served, tiny):
    load(served)
    served.stop()
    started = time.monotonic()
    model = load(served)
    assert time.monotonic() - started < 5
    assert sources(model) == {"config.json": "cache", "model.safetensors": "cache"}
    assert_same_weights(model, tiny)


def test_the_server_gone_before_any_download(served):
    served.stop()
    with pytest.raises(errors.HubConnectionError, match="Connection refused.*HF_HUB_OFFLINE=1"):
        load(served)
    assert_cache_sound(served.cache)


def test_a_tokenizer_keeps_working_from_the_cache_when_the_server_is_gone(hub, minilm_path):  # noqa: F811
    """Files the first load found absent (404, recorded by huggingface_hub) stay absent, not errors."""
    names = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
    hub.add_repo("org/minilm", {name: minilm_path / name for name in names})
    text = "In a hole in the ground there lived a hobbit."
    expected = AutoTokenizer.from_pretrained(minilm_path)(text)["input_ids"]
    assert AutoTokenizer.from_pretrained("org/minilm", cache_dir=hub.cache)(text)["input_ids"] == expected
    hub.stop()
    again = AutoTokenizer.from_pretrained("org/minilm", cache_dir=hub.cache)
    assert again(text)["input_ids"] == expected
    assert {read.source for read in again.resolution_trace.files} == {"cache"}
