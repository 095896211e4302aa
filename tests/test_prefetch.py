"""python -m explorer prefetch / unpack, against the local Hub server (tests/hubserver.py): only the files explorer
reads are fetched, listed first with their sizes, checked against the Hub's hashes, completed by a second run
after a cut, packed into one archive and unpacked into an offline cache where the checkpoint loads; archives
with members that are no cache entry are refused."""

from __future__ import annotations

import io
import json
import re
import tarfile

import pytest
import torch

from explorer import AutoModel, AutoTokenizer, BertConfig, BertModel, errors, hub as explorer_hub
from explorer.__main__ import main
from explorer.catalog import available
from explorer.prefetch import NOTEBOOKS, READ_FILES, fetch, notebook_ids, plan, references_in, unpack
from explorer.trace import format_size
from explorer.weights import OTHER_FRAMEWORKS, WEIGHT_FORMATS
from explorer.widgets.session import load_session
from hubserver import assert_cache_sound, go_offline, hub  # noqa: F401  (hub: a fixture)
from test_hub_faults import REPO, TINY

TOKENIZER_NAMES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
# what a Hub repository holds besides: other frameworks' weights, a pickle beside the safetensors, docs
NOT_READ = {"tf_model.h5": b"h5" * 500, "flax_model.msgpack": b"msgpack" * 100, "onnx/model.onnx": b"onnx" * 100,
            "model.onnx": b"onnx" * 50, "rust_model.ot": b"ot" * 100, "model.tflite": b"tflite" * 10,
            "README.md": b"# tiny\n", ".gitattributes": b"*.bin filter=lfs\n"}
TEXT = "In a hole in the ground there lived a hobbit."


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, minilm_path):
    """A tiny BERT with all-MiniLM-L6-v2's tokenizer files (its vocabulary has more ids than the model: only
    token ids are compared)."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    BertModel(BertConfig(**TINY)).save_pretrained(folder)
    for name in TOKENIZER_NAMES:
        (folder / name).write_bytes((minilm_path / name).read_bytes())
    return folder


def files_of(folder, **extra):
    return {**{p.name: p for p in folder.iterdir() if p.is_file()}, **extra}


@pytest.fixture
def served(hub, tiny):  # noqa: F811
    """org/tiny-bert with its files, a pickle of the same weights and every other format."""
    hub.add_repo(REPO, files_of(tiny, **{"pytorch_model.bin": b"pickle" * 200}, **NOT_READ))
    return hub


def prefetch(hub, *args):  # noqa: F811
    return main(["prefetch", *args, "--cache-dir", str(hub.cache)])


def snapshot_names(cache, repo_id=REPO):
    return {p.name for p in (cache / f"models--{repo_id.replace('/', '--')}" / "snapshots").glob("*/*")}


def assert_loads_offline(cache, tiny, monkeypatch):
    go_offline(monkeypatch)
    model = AutoModel.from_pretrained(REPO, cache_dir=cache)
    expected = BertModel.from_pretrained(tiny).state_dict()
    assert all(torch.equal(tensor, expected[name]) for name, tensor in model.state_dict().items())
    tokenizer = AutoTokenizer.from_pretrained(REPO, cache_dir=cache)
    assert tokenizer(TEXT)["input_ids"] == AutoTokenizer.from_pretrained(tiny)(TEXT)["input_ids"]
    assert {read.source for read in model.resolution_trace.files} == {"cache"}


# --- which files --------------------------------------------------------------------------------------------------


def test_only_the_files_explorer_reads_are_fetched_and_the_checkpoint_then_loads_offline(served, tiny, capsys,
                                                                                         monkeypatch):
    assert prefetch(served, REPO) == 0
    expected = {"config.json", "model.safetensors", *TOKENIZER_NAMES}
    assert snapshot_names(served.cache) == expected
    assert all(served.downloads(name) == 1 for name in expected)
    assert not any(served.downloads(name) for name in [*NOT_READ, "pytorch_model.bin"])
    out = capsys.readouterr().out
    listing, summary = out.split("Summary:")
    size = (tiny / "model.safetensors").stat().st_size
    assert re.search(rf"model\.safetensors\s+{re.escape(format_size(size))}\s+to fetch", listing)
    assert f"Total {format_size(sum((tiny / n).stat().st_size for n in expected))} in 6 files" in listing
    assert re.search(r"model\.safetensors\s+\S+ \S+\s+downloaded\s+sha256 ok", summary)
    assert re.search(r"vocab\.txt\s+\S+ \S+\s+downloaded\s+git-sha1 ok", summary)
    assert "6 downloaded, 0 resumed, 0 cached, 0 failed" in summary
    assert_cache_sound(served.cache)
    served.stop()
    assert_loads_offline(served.cache, tiny, monkeypatch)


def test_a_pickle_only_when_there_is_no_safetensors(hub, tiny):  # noqa: F811
    folder = tiny.parent / "bin-only"
    folder.mkdir(exist_ok=True)
    BertModel.from_pretrained(tiny).save_pretrained(folder, safe_serialization=False)
    hub.add_repo("org/bin-only", files_of(folder, **NOT_READ))
    assert [f.name for f in plan("org/bin-only").files] == ["config.json", "pytorch_model.bin"]


def test_sharded_weights_are_the_index_and_every_shard(hub, tiny):  # noqa: F811
    folder = tiny.parent / "sharded"
    folder.mkdir(exist_ok=True)
    BertModel.from_pretrained(tiny).save_pretrained(folder, max_shard_size="40KB")
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) > 1
    hub.add_repo("org/sharded", files_of(folder, **NOT_READ))
    names = [f.name for f in plan("org/sharded", cache_dir=hub.cache).files]
    assert names == ["config.json", "model.safetensors.index.json", *shards]


def test_every_file_a_load_asks_for_is_one_prefetch_fetches(monkeypatch):
    """Every catalog checkpoint loaded as the app loads it (all Auto classes): the names asked of the checkpoint
    are READ_FILES, weight files, or the other frameworks' names asked only to explain a missing weights file."""
    asked = set()
    real_get = explorer_hub.Checkpoint.get
    monkeypatch.setattr(explorer_hub.Checkpoint, "get", lambda self, name: asked.add(name) or real_get(self, name))
    for entry in available():
        load_session(str(entry.path()))
    weights = {name for index, single, _ in WEIGHT_FORMATS for name in (index, single)}
    assert asked - set(READ_FILES) - weights - set(OTHER_FRAMEWORKS) == set()
    assert {"vocab.txt", "vocab.json", "tokenizer.json", "preprocessor_config.json", "config.json"} <= asked


# --- which checkpoints: the notebooks -----------------------------------------------------------------------------


def test_ids_are_read_from_the_code_literals_names_and_defaults():
    cells = ['checkpoint = "org/b"\nmodel = AutoModel.from_pretrained(checkpoint)',
             'tok = AutoTokenizer.from_pretrained("org/a")  # a comment\nfolder = make()',
             'again = AutoModel.from_pretrained(folder)\n%timeit x',
             'pipeline("sentiment-analysis")\npipeline("fill-mask", model="org/c")\nexplore()\nexplore("org/d")']
    from explorer.catalog import default_reference
    from explorer.pipelines.tasks import TASK_NAMED

    assert list(references_in(cells)) == ["org/b", "org/a", TASK_NAMED["sentiment-analysis"].default, "org/c",
                                          default_reference(), "org/d"]


def test_the_notebooks_ids_include_every_literal_they_load():
    text = "".join("".join(cell["source"]) for notebook in NOTEBOOKS.rglob("*.ipynb")
                   for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == "code")
    literals = set(re.findall(r'from_pretrained\(\s*"([^"]+)"', text))
    assert literals and literals <= set(notebook_ids())
    assert not any(found.startswith("explorer-catalog/") for found in notebook_ids())


def test_notebooks_lists_every_id_the_notebooks_load(hub, tiny, capsys):  # noqa: F811
    for reference in notebook_ids():
        hub.add_repo(reference, files_of(tiny))
    assert prefetch(hub, "--notebooks", "--dry-run") == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines() if line.endswith("to fetch")}
    assert listed == set(notebook_ids())


# --- listing, checking, resuming ---------------------------------------------------------------------------------


def test_dry_run_lists_and_fetches_nothing(served, capsys):
    assert prefetch(served, REPO, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "to fetch" in out and "Summary" not in out
    assert not any(method == "GET" and "/resolve/" in path or "/lfs/" in path for method, path in served.requests)
    assert not served.cache.exists() or not snapshot_names(served.cache)


def test_downloads_show_progress_bars(served, capsys, monkeypatch):
    monkeypatch.setenv("TQDM_POSITION", "-1")  # tqdm shows bars even though pytest's stderr is not a terminal
    assert prefetch(served, REPO) == 0
    shown = capsys.readouterr().err
    for name in ("config.json", "vocab.txt", "model.safetensors"):
        assert re.search(rf"{re.escape(name)}: 100%", shown), name


def test_a_file_that_differs_from_the_hubs_hash_is_failed_and_removed(served):
    fetched = plan(REPO, cache_dir=served.cache)
    repo = served.repos[REPO]
    served_vocab = repo.commits[fetched.commit]["vocab.txt"]  # the same size, other bytes: a lying proxy
    repo.commits[fetched.commit]["vocab.txt"] = served_vocab.replace(b"[PAD]", b"[BAD]")
    outcomes = {o.file.name: o for o in fetch(fetched, served.cache)}
    assert outcomes["vocab.txt"].status == "failed" and "arrived damaged" in outcomes["vocab.txt"].detail
    assert not [p for p in (served.cache / ".explorer-partial").rglob("*") if p.is_file()]
    assert outcomes["config.json"].status == "downloaded"
    assert "vocab.txt" not in snapshot_names(served.cache)
    assert_cache_sound(served.cache)


def test_a_connection_cut_is_resumed_where_it_stopped(served, tiny, monkeypatch):
    from huggingface_hub import constants

    # huggingface_hub writes what it received in pieces of this size (10 MB): resuming starts after the last whole
    # piece, so with the real size this 112 KB file would start again from 0
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 250)
    cut = served.fault(path="/lfs/", method="GET", cut_after=1000, times=1)
    outcomes = fetch(plan(REPO, cache_dir=served.cache), served.cache)
    assert {o.status for o in outcomes} == {"downloaded"} and cut.hits == 1
    assert [r for _, r in served.ranges] == ["bytes=1000-"]
    assert_cache_sound(served.cache)


def test_a_run_cut_for_good_is_resumed_by_the_next_which_fetches_only_the_rest(served, tiny, capsys, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 250)  # see the test above
    served.fault(path="/lfs/", method="GET", cut_after=20000, times=1)  # 20000 bytes arrive, then nothing more
    served.fault(path="/lfs/", method="GET", cut_after=0)
    assert prefetch(served, REPO) == 1
    out = capsys.readouterr().out
    assert re.search(r"model\.safetensors.*failed", out) and "run the same command again" in out
    assert "model.safetensors" not in snapshot_names(served.cache)
    assert_cache_sound(served.cache)
    served.clear_faults()
    served.ranges.clear()
    assert prefetch(served, REPO) == 0
    out = capsys.readouterr().out
    assert re.search(r"model\.safetensors\s+\S+ \S+\s+resumed\s+sha256 ok", out)
    assert "0 downloaded, 1 resumed, 5 cached, 0 failed" in out
    assert [r for _, r in served.ranges] == ["bytes=20000-"]
    assert served.downloads("config.json") == 1 and served.downloads("vocab.txt") == 1
    assert not [p for p in (served.cache / ".explorer-partial").rglob("*") if p.is_file()]
    served.stop()
    assert_loads_offline(served.cache, tiny, monkeypatch)


def test_prefetch_offline_says_it_needs_the_network(served, capsys, monkeypatch):
    go_offline(monkeypatch)
    assert prefetch(served, REPO) == 1
    assert "HF_HUB_OFFLINE is set: prefetch needs the network" in capsys.readouterr().err
    assert served.requests == []


def test_an_unknown_repository(served, capsys):
    assert prefetch(served, "org/no-such-model") == 1
    assert "CheckpointNotFoundError" in capsys.readouterr().err


# --- pack and unpack ---------------------------------------------------------------------------------------------


def test_pack_then_unpack_into_an_empty_cache_loads_offline(served, tiny, tmp_path, capsys, monkeypatch):
    archive = tmp_path / "workshop.tar"
    assert prefetch(served, REPO, "--pack", str(archive)) == 0
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert {name.split("/")[1] for name in names} == {"blobs", "snapshots", "refs"}
    assert {name.rsplit("/", 1)[1] for name in names if "/snapshots/" in name} == snapshot_names(served.cache)
    served.stop()
    room = tmp_path / "room-cache"
    assert main(["unpack", str(archive), "--cache-dir", str(room)]) == 0
    assert "Unpacked org/tiny-bert" in capsys.readouterr().out
    assert [p.name for p in room.iterdir()] == ["models--org--tiny-bert"]  # the staging folder is gone
    assert_cache_sound(room)
    assert_loads_offline(room, tiny, monkeypatch)


def member(name, kind=tarfile.REGTYPE, linkname="", data=b"x"):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, io.BytesIO(data) if kind == tarfile.REGTYPE else None


BLOB = "0" * 64
UNSAFE = {
    "absolute path": member("/tmp/models--x/blobs/" + BLOB),
    "parent folder": member("models--x/blobs/../../escaped"),
    "link out of the cache": member("models--x/snapshots/c/config.json", tarfile.SYMTYPE, "../../../../etc/passwd"),
    "absolute link": member("models--x/snapshots/c/config.json", tarfile.SYMTYPE, "/etc/passwd"),
    "link into another repository": member("models--x/snapshots/c/config.json", tarfile.SYMTYPE,
                                           "../../../models--y/blobs/" + BLOB),
    "hard link": member("models--x/blobs/" + BLOB, tarfile.LNKTYPE, "/etc/passwd"),
    "a device": member("models--x/blobs/" + BLOB, tarfile.CHRTYPE),
    "not a cache entry": member("bin/python"),
    "a link in blobs": member("models--x/blobs/" + BLOB, tarfile.SYMTYPE, "../refs/main"),
}


@pytest.mark.parametrize("name", UNSAFE)
def test_unpack_refuses_members_that_are_no_cache_entry(tmp_path, name):
    archive = tmp_path / "bad.tar"
    with tarfile.open(archive, "w") as tar:
        tar.addfile(*member("models--x/refs/main", data=b"c"))
        tar.addfile(*UNSAFE[name])
    cache = tmp_path / "cache"
    with pytest.raises(errors.UnsafePathError, match="is not an entry of a Hugging Face cache"):
        unpack(archive, cache)
    assert list(cache.iterdir()) == []


def test_unpack_refuses_a_damaged_archive_and_changes_nothing(served, tmp_path):
    archive = tmp_path / "workshop.tar"
    assert prefetch(served, REPO, "--pack", str(archive)) == 0
    data = bytearray(archive.read_bytes())
    at = data.index(b"[PAD]")  # inside vocab.txt's blob
    data[at:at + 5] = b"[BAD]"
    archive.write_bytes(bytes(data))
    cache = tmp_path / "room"
    with pytest.raises(errors.ArchiveError, match="does not hash to its name"):
        unpack(archive, cache)
    assert list(cache.iterdir()) == []
    (tmp_path / "not.tar").write_bytes(b"no tar here")
    with pytest.raises(errors.ArchiveError, match="not a readable tar archive"):
        unpack(tmp_path / "not.tar", cache)
