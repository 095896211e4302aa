"""Speed of explorer against transformers on image/audio preprocessing and three vision/audio models.

Every measurement runs in a fresh child process (this script in ``--worker`` mode, with HF_HUB_OFFLINE=1
and torch.set_num_threads(2)), alternating the two libraries, repeated; the table gives medians.

- image preprocessing: AutoImageProcessor (a saved ViTImageProcessor config) on 16 synthetic 640x480 RGB
  "photos" (seeded numpy noise + gradients, JPEG-encoded and decoded in memory before timing),
  return_tensors="pt"; images/s from the median of the timed calls after warm-up. transformers has no
  torchvision here, so it uses its PIL backend.
- feature extraction: AutoFeatureExtractor (a saved Wav2Vec2FeatureExtractor config) on 8 clips of 5-15 s
  at 16 kHz, padding=True, return_tensors="pt"; clips/s likewise.
- from_pretrained: AutoModel.from_pretrained alone, timed inside a child that has already imported torch,
  the library and the model's modelling module, with the garbage collector paused as timeit does
  (common.timed).
- forward: median of the timed forwards after warm-ups (eval mode, no_grad) on 1x3x224x224 pixels
  (ViT-base, Swin-tiny) or 1x16000 samples (Wav2Vec2-base).

The three checkpoints are made once with random weights (config defaults) by transformers' save_pretrained
under /tmp/explorer-bench. Before measuring, one child per case loads both libraries and checks that the
outputs agree (pixel_values / input_values within 1e-5, last_hidden_state within 1e-4).

    python bench/vision_audio.py [--quick]
"""

import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import LIBRARIES, header, load_library, parse_or_work, ratio_row, run_child, table_head, timed

CACHE = Path(tempfile.gettempdir()) / "explorer-bench"
RESULTS = Path(__file__).parent / "results" / "vision_audio.md"
IMAGES, WIDTH, HEIGHT = 16, 640, 480
CLIPS, RATE = 8, 16000
PREPROCESS_TOLERANCE, MODEL_TOLERANCE = 1e-5, 1e-4
PREPROCESS_WARMUPS, PREPROCESS_CALLS = 2, 10
FORWARD_WARMUPS, FORWARDS = 3, 15
MODELS = {  # label: (folder name, transformers config and model class, explorer module, transformers module)
    "ViT-base": ("vit-base-random", "ViTConfig", "ViTModel", "explorer.models.vit",
                 "transformers.models.vit.modeling_vit"),
    "Swin-tiny": ("swin-tiny-random", "SwinConfig", "SwinModel", "explorer.models.swin",
                  "transformers.models.swin.modeling_swin"),
    "Wav2Vec2-base": ("wav2vec2-base-random", "Wav2Vec2Config", "Wav2Vec2Model", "explorer.models.wav2vec2",
                      "transformers.models.wav2vec2.modeling_wav2vec2"),
}


# --- inputs -------------------------------------------------------------------------------------------------


def photos():
    """16 seeded 640x480 RGB PIL images: colour gradients plus noise, JPEG round-tripped in memory."""
    import numpy as np
    from PIL import Image

    generator = np.random.default_rng(0)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    images = []
    for i in range(IMAGES):
        phase = i / IMAGES
        base = np.stack([255 * x / WIDTH, 255 * y / HEIGHT, 127.5 * (1 + np.sin(6.28 * (x + y) / 400 + phase))], -1)
        pixels = np.clip(base + generator.normal(0, 25, base.shape), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
        buffer.seek(0)
        image = Image.open(buffer).convert("RGB")
        image.load()
        images.append(image)
    return images


def clips():
    """8 seeded mono float32 clips of 5 to 15 s at 16 kHz (tones plus noise)."""
    import numpy as np

    generator = np.random.default_rng(0)
    lengths = np.linspace(5 * RATE, 15 * RATE, CLIPS).astype(int)
    waves = []
    for i, n in enumerate(lengths):
        t = np.arange(n) / RATE
        wave = 0.3 * np.sin(2 * np.pi * (220 + 40 * i) * t) + 0.05 * generator.standard_normal(n)
        waves.append(wave.astype(np.float32))
    return waves


def model_input(label: str):
    import torch

    generator = torch.Generator().manual_seed(0)
    if label == "Wav2Vec2-base":
        return {"input_values": torch.randn(1, RATE, generator=generator)}
    return {"pixel_values": torch.randn(1, 3, 224, 224, generator=generator)}


# --- the child process --------------------------------------------------------------------------------------


def preprocess_call(library, kind: str, folder: str):
    """The processor and a function running it once on the batch."""
    if kind == "image":
        processor, batch = library.AutoImageProcessor.from_pretrained(folder), photos()
        return lambda: processor(batch, return_tensors="pt")["pixel_values"]
    processor, batch = library.AutoFeatureExtractor.from_pretrained(folder), clips()
    return lambda: processor(batch, sampling_rate=RATE, padding=True, return_tensors="pt")["input_values"]


def preprocess(name: str, kind: str, folder: str) -> dict:
    _, library = load_library(name)
    call = preprocess_call(library, kind, folder)
    times = []
    for _ in range(PREPROCESS_WARMUPS + PREPROCESS_CALLS):
        begin = time.perf_counter()
        call()
        times.append(time.perf_counter() - begin)
    return {"per_second": (IMAGES if kind == "image" else CLIPS) / statistics.median(times[PREPROCESS_WARMUPS:])}


def from_pretrained(name: str, label: str, folder: str) -> dict:
    _, library = load_library(name)
    __import__(MODELS[label][3] if name == "explorer" else MODELS[label][4])
    if name == "explorer":
        __import__("explorer.auto")
        __import__("explorer.loading")
    else:
        __import__("transformers.models.auto.modeling_auto")
    return {"seconds": timed(lambda: library.AutoModel.from_pretrained(folder))}


def forward(name: str, label: str, folder: str) -> dict:
    torch, library = load_library(name)
    model = library.AutoModel.from_pretrained(folder).eval()
    batch = model_input(label)
    times = []
    with torch.no_grad():
        for _ in range(FORWARD_WARMUPS + FORWARDS):
            begin = time.perf_counter()
            model(**batch)
            times.append(time.perf_counter() - begin)
    return {"seconds": statistics.median(times[FORWARD_WARMUPS:])}


def check_preprocess(kind: str, folder: str) -> dict:
    import torch

    outputs = {}
    for name in LIBRARIES:
        _, library = load_library(name)
        outputs[name] = preprocess_call(library, kind, folder)()
    ours, theirs = outputs["explorer"], outputs["transformers"]
    assert ours.shape == theirs.shape, f"{kind}: shapes {tuple(ours.shape)} != {tuple(theirs.shape)}"
    difference = (ours.to(torch.float64) - theirs.to(torch.float64)).abs().max().item()
    assert difference <= PREPROCESS_TOLERANCE, f"{kind}: outputs differ by {difference:.2e}"
    return {"max_abs_difference": difference, "shape": list(ours.shape)}


def check_model(label: str, folder: str) -> dict:
    import torch

    outputs = {}
    for name in LIBRARIES:
        _, library = load_library(name)
        model = library.AutoModel.from_pretrained(folder).eval()
        with torch.no_grad():
            outputs[name] = model(**model_input(label)).last_hidden_state
    ours, theirs = outputs["explorer"], outputs["transformers"]
    assert ours.shape == theirs.shape, f"{label}: shapes {tuple(ours.shape)} != {tuple(theirs.shape)}"
    difference = (ours - theirs).abs().max().item()
    assert difference <= MODEL_TOLERANCE, f"{label}: last_hidden_state differs by {difference:.2e}"
    return {"max_abs_difference": difference, "shape": list(ours.shape)}


def make(label: str, folder: str) -> dict:
    """A random-weight checkpoint from config defaults, saved by transformers, with its preprocessor config."""
    import torch
    import transformers

    _, config_class, model_class, *_ = MODELS[label]
    torch.manual_seed(0)
    getattr(transformers, model_class)(getattr(transformers, config_class)()).save_pretrained(folder)
    if label == "Wav2Vec2-base":
        transformers.Wav2Vec2FeatureExtractor().save_pretrained(folder)
    else:
        transformers.ViTImageProcessor().save_pretrained(folder)
    return {}


TASKS = {"preprocess": preprocess, "load": from_pretrained, "forward": forward,
         "check_preprocess": check_preprocess, "check_model": check_model, "make": make}


# --- the parent process ---------------------------------------------------------------------------------------


def checkpoints() -> dict[str, str]:
    folders = {}
    for label, (folder_name, *_) in MODELS.items():
        folder = CACHE / folder_name
        if not (folder / "model.safetensors").exists() or not (folder / "preprocessor_config.json").exists():
            run_child(__file__, "make", label, str(folder))
        folders[label] = str(folder)
    return folders


# rows: (case, metric, unit, target, "higher"/"lower" is better, worker args, answer key, scale)
def rows(folders: dict[str, str]) -> list[tuple]:
    found = [("image preprocessing (16 x 640x480, ViTImageProcessor)", "throughput", "images/s", 2.0, "higher",
              ("preprocess", "image", folders["ViT-base"]), "per_second", 1),
             ("feature extraction (8 x 5-15 s, Wav2Vec2FeatureExtractor)", "throughput", "clips/s", 1.0, "higher",
              ("preprocess", "audio", folders["Wav2Vec2-base"]), "per_second", 1)]
    for label, folder in folders.items():
        found.append((label, "from_pretrained", "s", 0.25, "lower", ("load", label, folder), "seconds", 1))
        found.append((label, "forward", "ms", 1.0, "lower", ("forward", label, folder), "seconds", 1000))
    return found


def measure(measured: list[tuple], repetitions: int) -> dict[int, dict[str, list[float]]]:
    """{row: {library: [one value per repetition]}}, the libraries alternating who goes first."""
    samples = {i: {name: [] for name in LIBRARIES} for i in range(len(measured))}
    for repetition in range(repetitions):
        order = LIBRARIES if repetition % 2 == 0 else LIBRARIES[::-1]
        for i, (case, metric, *_, args, key, scale) in enumerate(measured):
            for name in order:
                samples[i][name].append(run_child(__file__, args[0], name, *args[1:])[0][key] * scale)
        print(f"repetition {repetition + 1}/{repetitions} done", flush=True)
    return samples


def table(measured: list[tuple], samples: dict[int, dict[str, list[float]]]) -> str:
    lines = table_head("case")
    for i, (case, metric, unit, target, better, *_) in enumerate(measured):
        lines.append(ratio_row(case, metric, samples[i], unit, target, higher_is_better=better == "higher"))
    return "\n".join(lines)


def main() -> None:
    options = parse_or_work(__doc__.splitlines()[0], TASKS)
    repetitions = 2 if options.quick else 5
    load_before = os.getloadavg()[0]
    folders = checkpoints()
    checks = []
    for kind, label in (("image", "ViT-base"), ("audio", "Wav2Vec2-base")):
        answer, _ = run_child(__file__, "check_preprocess", kind, folders[label])
        checks.append(f"{kind} preprocessing {answer['shape']}: max |explorer - transformers| = "
                      f"{answer['max_abs_difference']:.1e}")
    for label, folder in folders.items():
        answer, _ = run_child(__file__, "check_model", label, folder)
        checks.append(f"{label} last_hidden_state {answer['shape']}: max |explorer - transformers| = "
                      f"{answer['max_abs_difference']:.1e}")
    print("\n".join(checks), flush=True)
    measured = rows(folders)
    samples = measure(measured, repetitions)
    report = (f"{header(__file__, options.quick, repetitions, load_before)}\n\n{table(measured, samples)}\n\n"
              "Agreement checked before measuring: " + "; ".join(checks) + ".\n")
    print("\n" + report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report)


if __name__ == "__main__":
    main()
