"""Offline data and small training loops for the catalog's trained checkpoints (used by ``make_catalog.py``
and by the tests that re-measure the cards' accuracies; never by the package at run time).

Data sets, all made on this machine with a fixed seed:

- ``digit_images``: scikit-learn's 1797 handwritten digits (8x8, 16 grey levels), upscaled to 32x32 RGB;
- ``spoken_digits``: the words "zero" ... "nine" spoken by espeak-ng in several voices, speeds and pitches;
- ``sentiment_sentences``: templated English sentences with a positive or negative opinion;
- ``english_text``: Python's own documentation (``pydoc_data.topics``), for masked-language modelling.

Every split is a seeded permutation: the same seed gives the same held-out examples.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEST_FRACTION = 0.2


# --- splits and loops ------------------------------------------------------------------------------------------


def split(count: int, seed: int, test_fraction: float = TEST_FRACTION) -> tuple[list[int], list[int]]:
    """Train and held-out indices of ``count`` examples: a seeded permutation, the last part held out."""
    order = np.random.default_rng(seed).permutation(count).tolist()
    cut = count - int(round(count * test_fraction))
    return sorted(order[:cut]), sorted(order[cut:])


def take(inputs: dict[str, torch.Tensor], indices: list[int] | torch.Tensor) -> dict[str, torch.Tensor]:
    return {name: tensor[indices] for name, tensor in inputs.items()}


def fit(model: torch.nn.Module, count: int, loss_of: Callable[[list[int], torch.Generator], torch.Tensor], *,
        epochs: int, lr: float, batch_size: int, seed: int, log: Callable[[str], None] = print) -> None:
    """AdamW over shuffled mini-batches of ``count`` examples; ``loss_of(indices, generator)`` is the loss of
    one batch (the generator, seeded, drives any per-batch randomness such as masking)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * ((count + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.1)
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(count, generator=generator).tolist()
        total = 0.0
        for start in range(0, count, batch_size):
            loss = loss_of(order[start:start + batch_size], generator)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += loss.item() * len(order[start:start + batch_size])
        log(f"  epoch {epoch + 1}/{epochs}: loss {total / count:.4f}")
    model.eval()


@torch.no_grad()
def accuracy(model: torch.nn.Module, inputs: dict[str, torch.Tensor], labels: torch.Tensor,
             batch_size: int = 256) -> float:
    """Top-1 accuracy of a classification model's logits."""
    model.eval()
    right = 0
    for start in range(0, len(labels), batch_size):
        batch = {name: tensor[start:start + batch_size] for name, tensor in inputs.items()}
        right += (model(**batch).logits.argmax(-1) == labels[start:start + batch_size]).sum().item()
    return right / len(labels)


# --- handwritten digits ----------------------------------------------------------------------------------------


def digit_images(side: int = 32) -> tuple[list[Any], torch.Tensor]:
    """scikit-learn's digits as ``side`` x ``side`` RGB PIL images (bilinear upscaling), and their labels."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = [Image.fromarray((image * 255 / 16).round().astype(np.uint8), "L")
              .resize((side, side), Image.Resampling.BILINEAR).convert("RGB") for image in digits.images]
    return images, torch.as_tensor(digits.target, dtype=torch.long)


def shifted(pixels: torch.Tensor, generator: torch.Generator, most: int = 2) -> torch.Tensor:
    """Each image moved by up to ``most`` pixels in each direction (the digits are not all centred alike)."""
    moved = torch.empty_like(pixels)
    offsets = torch.randint(-most, most + 1, (len(pixels), 2), generator=generator).tolist()
    for index, (down, right) in enumerate(offsets):
        moved[index] = torch.roll(pixels[index], shifts=(down, right), dims=(1, 2))
    return moved


# --- spoken digits ---------------------------------------------------------------------------------------------

VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us+f3", "en-gb+f2", "en-us+m3"]
SPEEDS = [120, 150, 180, 210]
PITCHES = [25, 50, 75]


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def spoken_digits(sampling_rate: int = 16000) -> tuple[list[np.ndarray], torch.Tensor]:
    """Every digit word in every voice, speed and pitch: samples at ``sampling_rate`` (resampled by
    explorer's load_audio), and labels."""
    from explorer.processing.audio import load_audio

    clips, labels = [], []
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "clip.wav"
        for (label, word), voice, speed, pitch in itertools.product(enumerate(DIGIT_WORDS), VOICES, SPEEDS, PITCHES):
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(wav), word],
                           check=True, capture_output=True)
            clips.append(trimmed(load_audio(wav, sampling_rate)))
            labels.append(label)
    return clips, torch.as_tensor(labels)


def trimmed(samples: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """Without the silence espeak-ng puts around the word."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    return samples[loud[0]:loud[-1] + 1] if len(loud) else samples


def noisy(values: torch.Tensor, generator: torch.Generator, level: float = 0.05) -> torch.Tensor:
    return values + level * torch.randn(values.shape, generator=generator)


# --- sentiment sentences ---------------------------------------------------------------------------------------

POSITIVE = ["good", "great", "awesome", "excellent", "wonderful", "amazing", "lovely", "fantastic", "delightful",
            "brilliant", "enjoyable", "superb", "perfect", "pleasant", "charming", "fun"]
NEGATIVE = ["bad", "terrible", "awful", "horrible", "boring", "disappointing", "dreadful", "poor", "mediocre",
            "annoying", "dull", "unpleasant", "disgusting", "painful", "useless", "bland"]
LIKE = ["love", "like", "enjoyed", "adore", "recommend", "appreciate", "can't wait for", "have been waiting for"]
DISLIKE = ["hate", "dislike", "regret", "can't stand", "despise", "wasted my time on", "will never forgive", "loathe"]
SUBJECTS = ["the movie", "this restaurant", "the food", "this book", "the course", "the service", "this place",
            "the music", "the hotel", "this phone", "the show", "the game", "the lesson", "this album", "the staff",
            "the coffee", "a HuggingFace course", "this song", "the ending", "the tutorial"]
ADJECTIVE_TEMPLATES = ["{s} is {a}.", "{s} was {a}!", "{s} was really {a}.", "i think {s} is {a}.",
                       "honestly, {s} was {a}.", "what {a} stuff, {s} is {a}.", "{s} is so {a}!",
                       "overall {s} was quite {a}."]
NEGATED_TEMPLATES = ["{s} was not {a}.", "{s} is not {a} at all.", "i don't think {s} is {a}."]
VERB_TEMPLATES = ["i {v} {s}.", "i {v} {s} so much!", "we {v} {s}.", "i've always said i {v} {s}.",
                  "i really {v} {s} my whole life."]


def sentiment_sentences() -> tuple[list[str], torch.Tensor]:
    """Templated opinions: adjectives, negated adjectives (which flip the label) and verbs of liking;
    label 1 = POSITIVE, 0 = NEGATIVE. Deduplicated, in a fixed order."""
    rows: dict[str, int] = {}
    for subject in SUBJECTS:
        for words, label in ((POSITIVE, 1), (NEGATIVE, 0)):
            for template, adjective in itertools.product(ADJECTIVE_TEMPLATES, words):
                rows[template.format(s=subject, a=adjective).capitalize()] = label
            for template, adjective in itertools.product(NEGATED_TEMPLATES, words):
                rows[template.format(s=subject, a=adjective).capitalize()] = 1 - label
        for verbs, label in ((LIKE, 1), (DISLIKE, 0)):
            for template, verb in itertools.product(VERB_TEMPLATES, verbs):
                rows[template.format(s=subject, v=verb).capitalize()] = label
    return list(rows), torch.as_tensor(list(rows.values()))


# --- English text for masked-language modelling ----------------------------------------------------------------


def english_text() -> list[str]:
    """Paragraphs of Python's own reference documentation (the ``pydoc_data.topics`` module that ships with
    CPython), sorted by topic so the order does not depend on the dict."""
    from pydoc_data.topics import topics

    paragraphs = []
    for name in sorted(topics):
        for paragraph in topics[name].split("\n\n"):
            text = " ".join(paragraph.split())
            if len(text.split()) >= 8 and sum(ch.isalpha() for ch in text) > 0.6 * len(text):
                paragraphs.append(text)
    return paragraphs


def chunks(token_lists: list[list[int]], length: int) -> torch.Tensor:
    """The token stream cut into rows of ``length`` (the last partial row dropped)."""
    stream = list(itertools.chain.from_iterable(token_lists))
    rows = len(stream) // length
    return torch.as_tensor(stream[:rows * length]).view(rows, length)


def masked(rows: torch.Tensor, generator: torch.Generator, mask_id: int, vocab_size: int,
           special_ids: set[int], rate: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking: ``rate`` of the tokens are predicted; of those 80% become the mask token, 10% a random
    token, 10% stay. Returns (inputs, labels with -100 where nothing is predicted)."""
    chosen = torch.rand(rows.shape, generator=generator) < rate
    for special in special_ids:
        chosen &= rows != special
    labels = torch.where(chosen, rows, torch.full_like(rows, -100))
    roll = torch.rand(rows.shape, generator=generator)
    inputs = rows.clone()
    inputs[chosen & (roll < 0.8)] = mask_id
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = torch.randint(vocab_size, (int(swap.sum()),), generator=generator)
    return inputs, labels


@torch.no_grad()
def masked_accuracy(model: torch.nn.Module, rows: torch.Tensor, seed: int, **masking: Any) -> float:
    """Top-1 accuracy on the predicted positions of ``rows`` masked with ``seed``."""
    model.eval()
    inputs, labels = masked(rows, torch.Generator().manual_seed(seed), **masking)
    predicted = torch.cat([model(input_ids=inputs[start:start + 64]).logits.argmax(-1)
                           for start in range(0, len(inputs), 64)])  # logits over a 30k vocabulary: in batches
    chosen = labels != -100
    return (predicted[chosen] == labels[chosen]).float().mean().item()


# --- causal language modelling ---------------------------------------------------------------------------------


@torch.no_grad()
def causal_nll(model: torch.nn.Module, input_ids: torch.Tensor, labels: torch.Tensor,
               attention_mask: torch.Tensor | None = None, batch_size: int = 32) -> tuple[float, int]:
    """Summed negative log-likelihood (nats) of ``labels`` (-100: not predicted) under a causal LM, each token
    predicted from the ones before it, and the count of predicted tokens."""
    model.eval()
    total, count = 0.0, 0
    for start in range(0, len(input_ids), batch_size):
        rows = slice(start, start + batch_size)
        mask = None if attention_mask is None else attention_mask[rows]
        logits = model(input_ids=input_ids[rows], attention_mask=mask).logits[:, :-1]
        targets = labels[rows, 1:]
        total += torch.nn.functional.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(),
                                                   ignore_index=-100, reduction="sum").item()
        count += int((targets != -100).sum())
    return total, count


def perplexity(model: torch.nn.Module, input_ids: torch.Tensor, labels: torch.Tensor,
               attention_mask: torch.Tensor | None = None) -> float:
    total, count = causal_nll(model, input_ids, labels, attention_mask)
    return float(np.exp(total / count))


def unigram_perplexity(train_tokens: torch.Tensor, test_tokens: torch.Tensor, vocab_size: int) -> float:
    """The perplexity of ``test_tokens`` under the train set's token frequencies, add-one smoothed: what a model
    that ignores the context entirely can do."""
    counts = torch.bincount(train_tokens.flatten(), minlength=vocab_size).double() + 1
    log_probabilities = counts.log() - counts.sum().log()
    return float(torch.exp(-log_probabilities[test_tokens.flatten()].mean()))


def predicted(labels: torch.Tensor) -> torch.Tensor:
    """The tokens a causal LM predicts in ``labels``: from the second position on, -100 left out."""
    targets = labels[:, 1:]
    return targets[targets != -100]


# --- chat: questions and answers made from templates -----------------------------------------------------------

ONES = DIGIT_WORDS + ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                      "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(number: int) -> str:
    """0 <= number < 1000 in English words: 347 -> "three hundred forty-seven"."""
    hundreds, rest = divmod(number, 100)
    words = [f"{ONES[hundreds]} hundred"] if hundreds else []
    if rest or not hundreds:
        tens, ones = divmod(rest, 10)
        words.append(ONES[rest] if rest < 20 else TENS[tens] + (f"-{ONES[ones]}" if ones else ""))
    return " ".join(words)


def doc_sentences(fewest: int = 6, most: int = 12) -> list[str]:
    """Sentences of Python's documentation of ``fewest`` to ``most`` words, each once, in a fixed order."""
    found: dict[str, None] = {}
    for paragraph in english_text():
        for sentence in paragraph.replace("? ", ". ").split(". "):
            words = sentence.rstrip(".").split()
            if fewest <= len(words) <= most and sentence[0].isupper():
                found[" ".join(words) + "."] = None
    return list(found)


def chat_pairs(seed: int, per_task: int = 1000) -> list[tuple[str, str, str]]:
    """(task, question, answer) rows of four templated tasks, ``per_task`` each (at most), drawn with ``seed``,
    none twice: adding two numbers below 100, writing a number below 1000 in words, the sentiment of a templated opinion, and
    repeating a sentence of Python's documentation. Fixed order."""
    rng = np.random.default_rng(seed)
    pairs = [divmod(index, 100) for index in rng.permutation(100 * 100)[:per_task].tolist()]
    numbers = rng.permutation(1000)[:per_task].tolist()
    sentences, labels = sentiment_sentences()
    opinions = rng.permutation(len(sentences))[:per_task].tolist()
    documented = doc_sentences()
    repeated = rng.permutation(len(documented))[:per_task].tolist()
    return [
        *(("add", f"What is {a} plus {b}?", f"{a} plus {b} is {a + b}.") for a, b in pairs),
        *(("words", f"Write {n} in words.", f"{n} is {number_words(n)}.") for n in numbers),
        *(("sentiment", f"Is this opinion positive or negative? {sentences[i]}",
           "Positive." if labels[i] else "Negative.") for i in opinions),
        *(("repeat", f"Repeat after me: {documented[i]}", documented[i]) for i in repeated),
    ]
