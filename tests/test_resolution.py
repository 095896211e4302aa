"""resolution.py: resolvers in their documented order, an open checkpoint passed through, and a checkpoint
that resolves and reads each file once."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from explorer import errors, resolution
from explorer.resolution import open_checkpoint
from hubcache import add_to_cache

CONFIG = json.dumps({"model_type": "bert", "hidden_size": 32}).encode()


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "ckpt"
    root.mkdir()
    (root / "config.json").write_bytes(CONFIG)
    return root


def test_resolvers_are_tried_in_the_documented_order():
    assert [what for what, _ in resolution.RESOLVERS] == [
        "local folder", "offline catalog", "Hugging Face cache, then the Hub"]
    for what, _ in resolution.RESOLVERS:
        assert what in resolution.__doc__.replace("**", "")


def test_an_open_checkpoint_is_passed_through(folder):
    checkpoint = open_checkpoint(folder)
    assert open_checkpoint(checkpoint) is checkpoint
    assert open_checkpoint(checkpoint, subfolder="") is checkpoint  # its own value: nothing is dropped


@pytest.mark.parametrize("hub_kwargs", [{"revision": "v2"}, {"subfolder": "text"}, {"local_files_only": True},
                                        {"cache_dir": "/elsewhere", "token": "hf_x"}])
def test_hub_arguments_with_an_open_checkpoint_are_an_error(folder, hub_kwargs):
    checkpoint = open_checkpoint(folder)
    with pytest.raises(errors.UnexpectedArgumentError, match="already open checkpoint") as raised:
        open_checkpoint(checkpoint, **hub_kwargs)
    assert all(name in str(raised.value) for name in hub_kwargs)


def test_hub_arguments_with_an_open_checkpoint_are_an_error_in_every_auto_class(folder):
    from explorer import AutoConfig, AutoModel, AutoTokenizer

    checkpoint = open_checkpoint(folder)
    for auto in (AutoConfig, AutoTokenizer, AutoModel):
        with pytest.raises(errors.UnexpectedArgumentError, match="revision='v2'"):
            auto.from_pretrained(checkpoint, revision="v2")


def test_the_hub_resolver_comes_last_and_keeps_the_arguments(hf_cache):
    add_to_cache(hf_cache, "org/tiny", {"config.json": CONFIG}, revision="v2")
    checkpoint = open_checkpoint("org/tiny", cache_dir=hf_cache, revision="v2")
    assert checkpoint.folder is None
    assert checkpoint.hub_arguments() == {"cache_dir": hf_cache, "revision": "v2", "token": None,
                                          "local_files_only": False, "subfolder": "", "force_download": False}


def test_each_file_is_resolved_and_read_once(folder, monkeypatch):
    checkpoint = open_checkpoint(folder)
    opened = []
    real_read_bytes = type(folder).read_bytes
    monkeypatch.setattr(type(folder), "read_bytes", lambda path: opened.append(path.name) or real_read_bytes(path))
    first = checkpoint.read_json("config.json")
    first.pop("model_type")  # a caller may change its copy; the next caller still gets the file's content
    assert checkpoint.read_json("config.json") == json.loads(CONFIG)
    assert checkpoint.read_text("config.json") == CONFIG.decode()
    assert checkpoint.get("tokenizer.json") is None and checkpoint.get("tokenizer.json") is None
    assert opened == ["config.json"]
    assert [(f.name, f.reads) for f in checkpoint.trace.files] == [("config.json", 1)]


def test_a_file_read_twice_shows_in_the_trace(folder):
    """Two checkpoints of one reference read the file twice; merging their traces shows it."""
    first, second = open_checkpoint(folder), open_checkpoint(folder)
    first.read_json("config.json"), second.read_json("config.json")
    first.trace.merge(second.trace)
    assert [(f.name, f.reads) for f in first.trace.files] == [("config.json", 2)]
    assert "read 2 times" in repr(first.trace)


def test_a_json_file_over_the_limit_is_refused_before_it_is_read(folder, monkeypatch):
    from explorer import hub

    monkeypatch.setattr(hub, "JSON_MAX_BYTES", 8)
    with pytest.raises(errors.MalformedFileError, match=r"config\.json is \d+ bytes, more than the 8"):
        open_checkpoint(folder).read_json("config.json")


def test_text_that_is_not_utf8_names_the_file(folder):
    (folder / "merges.txt").write_bytes(b"\xff\xfe not text")
    with pytest.raises(errors.MalformedFileError, match=r"merges\.txt is not UTF-8"):
        open_checkpoint(folder).read_text("merges.txt")


def test_loading_a_local_folder_imports_neither_the_catalog_nor_the_app(minilm_path):
    code = ("import sys; from explorer import AutoConfig, AutoTokenizer, AutoModel; "
            f"reference = {str(minilm_path)!r}; AutoConfig.from_pretrained(reference); "
            "AutoTokenizer.from_pretrained(reference); AutoModel.from_pretrained(reference); "
            "print(sorted(m for m in sys.modules if m.startswith(('explorer.catalog', 'explorer.widgets'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.split() == ["[]"]


def test_what_a_checkpoint_makes_once_is_reused(folder):
    checkpoint, made = open_checkpoint(folder), []
    first = checkpoint.memo(("weights", "model.safetensors"), lambda: made.append(1) or object())
    assert checkpoint.memo(("weights", "model.safetensors"), lambda: made.append(1) or object()) is first
    assert made == [1]
