"""hub.py: a reference (local folder, Hub id resolved through the cache) becomes local files, offline rules
hold, and nothing leaves the checkpoint's folder."""

from __future__ import annotations

import json

import pytest

from explorer import errors
from explorer.hub import offline_mode, pop_hub_kwargs
from explorer.resolution import open_checkpoint
from hubcache import add_to_cache, mark_absent

CONFIG = json.dumps({"model_type": "bert", "hidden_size": 32}).encode()


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "ckpt"
    (root / "sub").mkdir(parents=True)
    (root / "config.json").write_bytes(CONFIG)
    (root / "sub" / "config.json").write_text('{"model_type": "roberta"}')
    return root


def test_local_folder_files_are_found_and_traced(folder, no_network):
    checkpoint = open_checkpoint(str(folder))
    assert checkpoint.get("config.json") == folder / "config.json"
    assert checkpoint.get("tokenizer.json") is None
    (read,) = checkpoint.trace.files
    assert (read.name, read.size, read.source) == ("config.json", len(CONFIG), "local folder")
    assert not no_network


def test_subfolder(folder):
    checkpoint = open_checkpoint(folder, subfolder="sub")
    assert checkpoint.read_json("config.json") == {"model_type": "roberta"}
    assert checkpoint.trace.files[0].name == "sub/config.json"


def test_missing_required_file_names_it_and_the_need(folder):
    with pytest.raises(errors.EntryNotFoundError, match=r"no model\.safetensors, which loading weights needs"):
        open_checkpoint(folder).require("model.safetensors", "loading weights")


@pytest.mark.parametrize("reference", ["./no/such/folder", "/definitely/not/here", "~/nope/nope/nope"])
def test_a_path_that_does_not_exist(reference):
    with pytest.raises(errors.CheckpointNotFoundError, match="No folder"):
        open_checkpoint(reference)


@pytest.mark.parametrize("reference", ["not a valid id!", "org/name/extra/bits/", "a" * 200])
def test_an_invalid_hub_id(reference):
    with pytest.raises((errors.CheckpointNotFoundError)):
        open_checkpoint(reference)


def test_a_file_instead_of_a_folder(folder):
    with pytest.raises(errors.CheckpointNotFoundError, match="is a file"):
        open_checkpoint(folder / "config.json")


def test_a_reference_of_the_wrong_type():
    with pytest.raises(errors.CheckpointNotFoundError, match="not int"):
        open_checkpoint(42)  # type: ignore[arg-type]


def test_a_link_out_of_the_folder_is_refused(folder, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text("{}")
    (folder / "tokenizer_config.json").symlink_to(secret)
    with pytest.raises(errors.UnsafePathError, match="outside the checkpoint"):
        open_checkpoint(folder).get("tokenizer_config.json")


@pytest.mark.parametrize("name", ["../config.json", "a/../../config.json", "/etc/passwd", "C:/x"])
def test_file_names_that_climb_out_are_refused(folder, name):
    with pytest.raises(errors.UnsafePathError):
        open_checkpoint(folder).get(name)


@pytest.mark.parametrize("content, message", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must hold a JSON object"),
    (b"\xff\xfe\x00", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
])
def test_malformed_json_is_a_typed_error_naming_the_file(folder, content, message):
    (folder / "config.json").write_bytes(content)
    with pytest.raises(errors.MalformedFileError, match=rf"config\.json .*{message}|config\.json {message}"):
        open_checkpoint(folder).read_json("config.json")


# --- the Hugging Face cache, through huggingface_hub -----------------------------------------------------------


def test_hub_id_resolves_from_the_cache_offline(hf_cache, no_network):
    add_to_cache(hf_cache, "org/tiny", {"config.json": CONFIG})
    checkpoint = open_checkpoint("org/tiny", cache_dir=hf_cache)
    path = checkpoint.get("config.json")
    assert path is not None and path.read_bytes() == CONFIG
    assert checkpoint.trace.files[0].source == "cache"
    assert not no_network


def test_revision_by_branch_and_by_commit(hf_cache, no_network):
    add_to_cache(hf_cache, "org/tiny", {"config.json": CONFIG})
    commit = add_to_cache(hf_cache, "org/tiny", {"config.json": b'{"model_type": "roberta"}'}, revision="v2")
    assert open_checkpoint("org/tiny", cache_dir=hf_cache, revision="v2").read_json("config.json") == {
        "model_type": "roberta"
    }
    by_commit = open_checkpoint("org/tiny", cache_dir=hf_cache, revision=commit)
    assert by_commit.read_json("config.json") == {"model_type": "roberta"}


def test_cached_subfolder(hf_cache):
    add_to_cache(hf_cache, "org/tiny", {"text/config.json": CONFIG})
    assert open_checkpoint("org/tiny", cache_dir=hf_cache, subfolder="text").read_json("config.json")["hidden_size"] == 32


def test_optional_file_absent_from_a_cached_revision_is_none(hf_cache, no_network):
    commit = add_to_cache(hf_cache, "org/tiny", {"config.json": CONFIG})
    checkpoint = open_checkpoint("org/tiny", cache_dir=hf_cache)
    assert checkpoint.get("tokenizer.json") is None
    mark_absent(hf_cache, "org/tiny", commit, "vocab.txt")
    assert checkpoint.get("vocab.txt") is None
    assert not no_network


def test_offline_without_a_cached_copy_says_so(hf_cache, no_network):
    with pytest.raises(errors.OfflineCacheMissError, match=r"Offline .* config\.json of 'org/never-downloaded'"):
        open_checkpoint("org/never-downloaded", cache_dir=hf_cache).require("config.json", "AutoConfig")
    assert not no_network


def test_local_files_only_is_offline_even_when_the_environment_is_not(hf_cache, monkeypatch, no_network):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert not offline_mode()
    checkpoint = open_checkpoint("org/absent", cache_dir=hf_cache, local_files_only=True)
    assert checkpoint.offline
    with pytest.raises(errors.OfflineCacheMissError):
        checkpoint.get("config.json")
    assert not no_network


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("ON", True), ("0", False), ("", False)])
def test_offline_mode_is_read_at_call_time(monkeypatch, value, expected):
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    assert offline_mode() is expected


def test_hub_kwargs_are_taken_out_of_the_rest():
    kwargs = {"revision": "v1", "use_auth_token": "t", "num_labels": 3, "cache_dir": "/c"}
    assert pop_hub_kwargs(kwargs) == {"revision": "v1", "cache_dir": "/c", "token": "t"}
    assert kwargs == {"num_labels": 3}

