"""The tasks ``pipeline()`` serves, one row each, as plain data: the task's name and aliases, the Auto class
that loads its model, the pipeline class (by module and name, imported only when the task is used), and the
default checkpoint for ``model=None``.

A new task is one file in ``explorer/pipelines/`` with its ``Pipeline`` subclass, plus one row below.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .. import errors


@dataclass(frozen=True)
class Task:
    """One task. ``default`` is the checkpoint used when no model is given; ``default_offline`` says what it is
    without a network (a catalog entry's kind), or "" when it has no offline copy; ``preprocessors`` are the
    parts (``tokenizer``, ``image_processor``, ``feature_extractor``) the pipeline needs."""

    name: str
    aliases: tuple[str, ...]
    auto_class: str
    module: str  # under explorer/pipelines/
    pipeline_class: str
    default: str
    default_offline: str
    # what pipeline() loads from the checkpoint besides the model, as its argument names
    preprocessors: tuple[str, ...] = ("tokenizer",)

    @property
    def module_path(self) -> str:
        return f"explorer.pipelines.{self.module}"


TASKS = (
    Task("text-classification", ("sentiment-analysis",), "AutoModelForSequenceClassification",
         "text_classification", "TextClassificationPipeline",
         "distilbert-base-uncased-finetuned-sst-2-english", "catalog copy, random weights"),
    Task("token-classification", ("ner",), "AutoModelForTokenClassification",
         "token_classification", "TokenClassificationPipeline",
         "dbmdz/bert-large-cased-finetuned-conll03-english", ""),
    # transformers 5 removed this pipeline: its transformers 4 behaviour and outputs
    Task("question-answering", (), "AutoModelForQuestionAnswering",
         "question_answering", "QuestionAnsweringPipeline",
         "distilbert/distilbert-base-cased-distilled-squad", ""),
    Task("fill-mask", (), "AutoModelForMaskedLM", "fill_mask", "FillMaskPipeline",
         "explorer-catalog/bert-mlm", "catalog, trained here"),
    # transformers' default, HuggingFaceTB/SmolLM3-3B, has no offline copy (nor is SmolLM3 an explorer
    # architecture): the catalog's tiny GPT-2 trained here on Python's documentation (openai-community/gpt2's
    # catalog copy has random weights)
    Task("text-generation", (), "AutoModelForCausalLM", "text_generation", "TextGenerationPipeline",
         "explorer-catalog/gpt2-python-docs", "catalog, trained here"),
    Task("feature-extraction", (), "AutoModel", "feature_extraction", "FeatureExtractionPipeline",
         "sentence-transformers/all-MiniLM-L6-v2", "catalog, real weights"),
    # transformers' default, facebook/bart-large-mnli, is BART, not an explorer architecture: a DistilBERT NLI head
    Task("zero-shot-classification", (), "AutoModelForSequenceClassification",
         "zero_shot_classification", "ZeroShotClassificationPipeline",
         "typeform/distilbert-base-uncased-mnli", ""),
    # transformers' default; the catalog's copy has the real ImageNet id2label and random weights
    # (explorer-catalog/vit-digits is a trained one)
    Task("image-classification", (), "AutoModelForImageClassification", "image_classification",
         "ImageClassificationPipeline", "google/vit-base-patch16-224", "catalog copy, random weights",
         ("image_processor",)),
    # transformers' default, superb/wav2vec2-base-superb-ks, has no offline copy: the catalog's trained one
    Task("audio-classification", (), "AutoModelForAudioClassification", "audio_classification",
         "AudioClassificationPipeline", "explorer-catalog/wav2vec2-spoken-digits", "catalog, trained here",
         ("feature_extractor",)),
    # transformers' default; the catalog's copy has the real vocabulary and random weights (CTC heads only)
    Task("automatic-speech-recognition", (), "AutoModelForCTC", "automatic_speech_recognition",
         "AutomaticSpeechRecognitionPipeline", "facebook/wav2vec2-base-960h", "catalog copy, random weights",
         ("tokenizer", "feature_extractor")),
    # transformers' default, openai/clip-vit-base-patch32, has no offline copy: the catalog's trained tiny CLIP
    Task("zero-shot-image-classification", (), "AutoModelForZeroShotImageClassification",
         "zero_shot_image_classification", "ZeroShotImageClassificationPipeline", "explorer-catalog/clip-tiny",
         "catalog, trained here", ("tokenizer", "image_processor")),
)

TASK_NAMED = {name: task for task in TASKS for name in (task.name, *task.aliases)}


def find_task(name: object) -> Task:
    """The row of ``name`` (a task or an alias); an unknown name lists the closest tasks."""
    if isinstance(name, str) and name in TASK_NAMED:
        return TASK_NAMED[name]
    close = difflib.get_close_matches(str(name), list(TASK_NAMED), n=3, cutoff=0.4)
    hint = f" The closest: {', '.join(map(repr, close))}." if close else ""
    raise errors.UnknownTaskError(
        f"task={name!r} is not a task pipeline() knows.{hint} Tasks: {', '.join(task.name for task in TASKS)} "
        f"(aliases: {', '.join(alias for task in TASKS for alias in task.aliases)})."
    )


def tasks_served_by(auto_classes: set[str]) -> list[str]:
    """The tasks whose Auto class is one of ``auto_classes`` (the heads a model type has)."""
    return [task.name for task in TASKS if task.auto_class in auto_classes]


def pipeline_exports() -> dict[str, str]:
    """Every pipeline class with its module (``explorer.__all__`` lists them)."""
    return {"Pipeline": "explorer.pipelines.base",
            **{task.pipeline_class: task.module_path for task in TASKS}}
