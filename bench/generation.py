"""Generation speed of explorer against transformers, side by side (issue 11), and the Generation panel's slider.

Two checkpoints: a decoder of the offline catalog trained here (small: the per-step overhead of the generation
loop dominates there), and a GPT-2-small-sized GPT2LMHeadModel (124M parameters, random weights, saved by
transformers; the arithmetic dominates there). Every measurement runs in a fresh child process (this script in
``--worker`` mode, HF_HUB_OFFLINE=1, torch.set_num_threads(2)), the libraries alternating who goes first:

- greedy tokens/s: ``generate(prompt, max_new_tokens=NEW_TOKENS, do_sample=False, eos_token_id=None)`` at
  batch 1 after a warm-up call (every call decodes NEW_TOKENS tokens); new tokens over the seconds of the call,
  median of REPEATS calls. Higher is better: the ratio is explorer's tokens/s over transformers'.
- time to first token: ``generate(prompt, max_new_tokens=1)`` (the prompt's forward and one choice), median of
  REPEATS calls after a warm-up.
- from_pretrained: ``AutoModelForCausalLM.from_pretrained`` alone, in a child that has imported torch, the
  library and its GPT-2 module, with the garbage collector paused (common.timed).
- slider move (explorer only: transformers has no app): in the app loaded on the trained decoder, setting the
  Generation panel's temperature slider until its observers have re-rendered the kept tokens, median of 20
  moves (no forward pass: the panel reuses the step's logits).

Before timing, one child loads both libraries on each checkpoint and checks that the prompts are the same ids,
that greedy generate returns identical ids, and that the first step's logits agree within 1e-4.

    python bench/generation.py [--quick]
"""

import os
import statistics
import tempfile
import time
from pathlib import Path

from common import LIBRARIES, header, load_library, parse_or_work, ratio_row, run_child, table_head, timed

TRAINED = "explorer-catalog/gpt2-python-docs"  # the catalog's trained GPT-2
PROMPT = "Once upon a time, in a small village by the sea, there lived an old fisherman who"
NEW_TOKENS, REPEATS, TOLERANCE = 64, 5, 1e-4
MODEL_MODULES = {
    "explorer": ("explorer.auto", "explorer.loading", "explorer.models.gpt2", "safetensors"),
    "transformers": ("transformers.models.auto.modeling_auto", "transformers.models.gpt2.modeling_gpt2"),
}
# metric: (target, higher is better, unit)
TARGETS = {"greedy tokens/s": (2.0, True, "tok/s"), "time to first token": (1.0, False, "ms"),
           "from_pretrained": (0.25, False, "s")}
SMALL_TARGETS = {"greedy tokens/s": 1.05}  # on GPT-2-small the matrix products dominate: a smaller margin
SLIDER_TARGET_MS, SLIDER_MOVES = 50.0, 20
CACHE = Path(tempfile.gettempdir()) / "explorer-bench"
RESULTS = Path(__file__).parent / "results" / "generation.md"


# --- the child process --------------------------------------------------------------------------------------


def prompt_ids(library, checkpoint: str):
    tokenizer = library.AutoTokenizer.from_pretrained(checkpoint)
    return tokenizer(PROMPT, return_tensors="pt").input_ids


def loaded(name: str, checkpoint: str):
    torch, library = load_library(name)
    return torch, library.AutoModelForCausalLM.from_pretrained(checkpoint).eval(), prompt_ids(library, checkpoint)


def greedy(model, ids, new_tokens: int):
    """Greedy decoding of exactly ``new_tokens`` (eos_token_id=None: the trained decoder would end its text
    after a dozen tokens, and the measurement would be the prompt's forward, not decoding)."""
    return model.generate(ids, max_new_tokens=new_tokens, do_sample=False, pad_token_id=0, eos_token_id=None)


def decode_speed(name: str, checkpoint: str) -> dict:
    _, model, ids = loaded(name, checkpoint)
    greedy(model, ids, NEW_TOKENS)
    rates = []
    for _ in range(REPEATS):
        begin = time.perf_counter()
        new = greedy(model, ids, NEW_TOKENS).shape[1] - ids.shape[1]
        rates.append(new / (time.perf_counter() - begin))
    return {"value": statistics.median(rates)}


def first_token(name: str, checkpoint: str) -> dict:
    _, model, ids = loaded(name, checkpoint)
    greedy(model, ids, 1)
    return {"value": 1000 * statistics.median(timed(lambda: greedy(model, ids, 1)) for _ in range(REPEATS))}


def from_pretrained(name: str, checkpoint: str) -> dict:
    _, library = load_library(name)
    for module in MODEL_MODULES[name]:
        __import__(module)
    return {"value": timed(lambda: library.AutoModelForCausalLM.from_pretrained(checkpoint))}


def check_equal(checkpoint: str) -> dict:
    """Both libraries in one process: the same prompt ids, the same greedy ids, first-step logits within
    TOLERANCE."""
    import torch

    prompts, sequences, logits = {}, {}, {}
    for name in LIBRARIES:
        _, model, prompts[name] = loaded(name, checkpoint)
        sequences[name] = greedy(model, prompts[name], NEW_TOKENS)
        with torch.no_grad():
            logits[name] = model(prompts[name]).logits
    assert torch.equal(*prompts.values()), f"the tokenizers give different prompts on {checkpoint}"
    assert torch.equal(*sequences.values()), f"greedy generate differs on {checkpoint}"
    assert sequences["explorer"].shape[1] == prompts["explorer"].shape[1] + NEW_TOKENS
    difference = (logits["explorer"] - logits["transformers"]).abs().max().item()
    assert difference <= TOLERANCE, f"logits differ by {difference:.2e} on {checkpoint}"
    return {"max_abs_difference": difference, "new_tokens": sequences["explorer"].shape[1] - prompts["explorer"].shape[1]}


def slider_move(checkpoint: str) -> dict:
    """Milliseconds per temperature-slider move in the app's Generation panel, after the first step's forward."""
    load_library("explorer")
    from explorer.widgets.app import ExplorerApp

    app = ExplorerApp()
    app.load(checkpoint)
    panel = app.panels["generation"]
    assert panel.box.layout.display != "none", f"the Generation panel is hidden for {checkpoint}"
    slider = panel.temperature
    times = []
    for move in range(SLIDER_MOVES):
        value = 0.5 + (move % 10) / 10  # 0.5 ... 1.4, each move a change
        times.append(1000 * timed(lambda: setattr(slider, "value", value)))
    return {"value": statistics.median(times), "range": [min(times), max(times)]}


def make_gpt2_small(folder: str, tokenizer_from: str) -> dict:
    """A GPT-2-small-sized GPT2LMHeadModel (transformers' default GPT2Config) with random weights, saved by
    transformers, with the tokenizer of ``tokenizer_from`` (the catalog's copy of openai-community/gpt2)."""
    import torch
    import transformers

    torch.manual_seed(0)
    transformers.GPT2LMHeadModel(transformers.GPT2Config()).save_pretrained(folder)
    transformers.AutoTokenizer.from_pretrained(tokenizer_from).save_pretrained(folder)
    return {}


WORKERS = {"decode": decode_speed, "ttft": first_token, "load": from_pretrained}
METRIC_OF = dict(zip(WORKERS, TARGETS))
TASKS = {**WORKERS, "check": check_equal, "make": make_gpt2_small, "slider": slider_move}


# --- the parent process ---------------------------------------------------------------------------------------


def catalog_folder(reference: str) -> str:
    from explorer import catalog

    return str(catalog.find(reference).path())


def checkpoints() -> dict[str, str]:
    small = CACHE / "gpt2-small-random"
    if not (small / "model.safetensors").exists():
        run_child(__file__, "make", str(small), catalog_folder("openai-community/gpt2"))
    return {f"{TRAINED} (trained)": catalog_folder(TRAINED), "GPT-2-small-sized (random)": str(small)}


def measure(checkpoint: str, repetitions: int) -> dict[str, dict[str, list[float]]]:
    """{library: {metric: [one value per repetition]}}, the libraries alternating who goes first."""
    samples = {name: {metric: [] for metric in TARGETS} for name in LIBRARIES}
    for repetition in range(repetitions):
        order = LIBRARIES if repetition % 2 == 0 else LIBRARIES[::-1]
        for worker, metric in METRIC_OF.items():
            for name in order:
                samples[name][metric].append(run_child(__file__, worker, name, checkpoint)[0]["value"])
    return samples


def table(results: dict[str, dict[str, dict[str, list[float]]]], slider: dict, trained: str) -> str:
    lines = table_head("checkpoint")
    for label, samples in results.items():
        for metric, (target, higher, unit) in TARGETS.items():
            if "random" in label:
                target = SMALL_TARGETS.get(metric, target)
            by_library = {name: samples[name][metric] for name in LIBRARIES}
            lines.append(ratio_row(label, metric, by_library, unit, target, higher_is_better=higher))
    low, high = slider["range"]
    lines.append(f"| {trained} (trained) | Generation panel slider move | {slider['value']:.1f} ms ({low:.1f}–"
                 f"{high:.1f}) | – | – | <= {SLIDER_TARGET_MS:.0f} ms"
                 f" | {'yes' if slider['value'] <= SLIDER_TARGET_MS else 'NO'} |")
    return "\n".join(lines)


def main() -> None:
    options = parse_or_work(__doc__.splitlines()[0], TASKS)
    repetitions = 2 if options.quick else 5
    load_before = os.getloadavg()[0]
    results = {}
    for label, checkpoint in checkpoints().items():
        checked = run_child(__file__, "check", checkpoint)[0]
        print(f"{label}: same prompt ids and the same {checked['new_tokens']} greedy ids; first-step logits max "
              f"|explorer - transformers| = {checked['max_abs_difference']:.1e}", flush=True)
        results[label] = measure(checkpoint, repetitions)
    slider = run_child(__file__, "slider", TRAINED)[0]
    report = f"{header(__file__, options.quick, repetitions, load_before)}\n\n{table(results, slider, TRAINED)}\n"
    print("\n" + report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)


if __name__ == "__main__":
    main()
