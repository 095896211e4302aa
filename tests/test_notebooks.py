"""The workshop notebooks run top to bottom, offline, each in a fresh kernel, and print the tutorial's figures.

Offline with an empty Hugging Face cache, the tutorial's ids resolve to the offline catalog; no cell may raise.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from explorer.widgets.i18n import labels_for
from tools.notebooks import translate

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SERIES = ["", *translate.LANGUAGES]  # "": the English series in notebooks/; then notebooks/ko/, notebooks/zh/
SERIES_IDS = ["en", *translate.LANGUAGES]
CELL_TIMEOUT_SECONDS = 180
HOBBIT_IDS = "[101, 1999, 1037, 4920, 1999, 1996, 2598, 2045, 2973, 1037, 7570, 10322, 4183, 1012, 102]"
# What each notebook must print: the tutorial's figures (/work/shared/spec/tutorial.md) where they are exact.
FIGURES = {
    "00-explorer.ipynb": ["ExplorerApp("],
    "01-autotokenizer.ipynb": [
        f"'input_ids': {HOBBIT_IDS}",
        "'token_type_ids': [" + ", ".join(["0"] * 15) + "]",
        "'attention_mask': [" + ", ".join(["1"] * 15) + "]",
        "'ho', '##bb', '##it'",
        "[CLS] in a hole in the ground there lived a hobbit. [SEP]",
        "BertTokenizerFast(name_or_path='bert-base-uncased', vocab_size=30522, model_max_length=512, "
        "padding_side='right', truncation_side='right'",
        "103: AddedToken(\"[MASK]\"",
        "torch.Size([2, 15])",
    ],
    "02-autoimageprocessor.ipynb": [
        "ViTImageProcessor",
        "{'height': 224, 'width': 224} 2 0.00392156862745098",
        "[0.5, 0.5, 0.5] [0.5, 0.5, 0.5]",
        "BatchFeature ['pixel_values']",
        "torch.Size([1, 3, 224, 224])",
    ],
    "03-autobackbone.ipynb": [
        "4 7 96 [2, 2, 6, 2] [3, 6, 12, 24] 224",
        "['stem', 'stage1', 'stage2', 'stage3', 'stage4']",
        "[1] ['stage1']",
        "[1, 96, 56, 56]\n[1, 96, 56, 56]",
        "stage1 [1, 96, 56, 56]\nstage2 [1, 192, 28, 28]\nstage3 [1, 384, 14, 14]\nstage4 [1, 768, 7, 7]",
    ],
    "04-autofeatureextractor.ipynb": [
        '"feature_extractor_type": "Wav2Vec2FeatureExtractor"',
        "input_values [1, 41974] torch.float32\nattention_mask [1, 41974] torch.int32",
        "std 1.0000",
        "[2, 41974]\n[41974, 20987]",
    ],
    "05-autoprocessor.ipynb": [
        "LayoutLMv2Processor\nLayoutLMv2ImageProcessor LayoutLMv2TokenizerFast",
        "bbox [1, 7, 4]\nimage [1, 3, 224, 224]",
        "['[CLS]', 'in', '##vo', '##ice', 'number', '42', '[SEP]']",
        "[[0, 0, 0, 0], [117, 90, 200, 105], [117, 90, 200, 105], [117, 90, 200, 105], [210, 90, 290, 105], "
        "[300, 90, 330, 105], [1000, 1000, 1000, 1000]]",
    ],
    "06-automodel.ipynb": [
        "DistilBertForSequenceClassification",
        "input_ids [[101, 2023, 4825, 2003, 12476, 102]]\nattention_mask [[1, 1, 1, 1, 1, 1]]\n",
        "torch.Size([1, 2])",
        "torch.Size([1, 6, 2])",
        "7 [1, 6, 768]\n6 [1, 12, 6, 6]",
        # adding a word: one token, a new embedding row at the old rows' mean, saved and reloaded
        "['the', 'ho', '##bb', '##its', '##es', 'lived', 'here']\n1 token added; len(tokenizer) = 30523 "
        "vocab_size = 30522\n['the', 'hobbitses', 'lived', 'here'] 30522",
        "Embedding(30523, 768, padding_idx=0) config.vocab_size = 30523",
        "new row within 1e-3 of the mean: True\nold rows kept: True",
        "[[101, 1996, 30522, 2973, 2182, 102]]\ntorch.Size([1, 2])",
        "30522 [30523, 768]\nsame new row after reloading: True",
    ],
    "07-behind-the-pipeline.ipynb": [
        # pipeline("sentiment-analysis") first, then its steps
        "text-classification DistilBertForSequenceClassification",
        "['[CLS]', 'i', \"'\", 've', 'been', 'waiting', 'for', 'a', 'hugging', '##face', 'course', 'my', 'whole', "
        "'life', '.', '[SEP]']",
        "[[101, 1045, 1005, 2310, 2042, 3403, 2005, 1037, 17662, 12172, 2607, 2026, 2878, 2166, 1012, 102]]",
        "logits -> softmax -> id2label",
        "input_ids\n    [101, 1045, 1005, 2310, 2042, 3403, 2005, 1037, 17662, 12172, 2607, 2026, 2878, 2166, 1012, 102]\n"
        "    [101, 1045, 5223, 2023, 2061, 2172, 999, 102, 0, 0, 0, 0, 0, 0, 0, 0]",
        "attention_mask\n    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        "    [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]",
        "torch.Size([2, 16, 768])",
        "torch.Size([2, 2])",
        "{0: 'NEGATIVE', 1: 'POSITIVE'}",
        # explorer-catalog/distilbert-sentiment, trained offline, gets both right
        "POSITIVE  I've been waiting for a HuggingFace course my whole life.  (probability",
        "NEGATIVE  I hate this so much!  (probability",
    ],
    "08-generation.ipynb": [
        "[818, 257, 7604, 287, 262, 2323, 612, 5615, 257, 32724, 2545, 13]",
        "'Ġhob', 'bit', '.'",
        "'🤗' b'\\xf0\\x9f\\xa4\\x97' [8582, 97, 245]",
        "GPT2LMHeadModel 124,439,808 parameters",
        "torch.Size([1, 12, 50257])",
        "torch.Size([1, 22])",
        "same seed, same tokens: True",
        "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nWhere did the hobbit live?"
        "<|im_end|>\n<|im_start|>assistant\n",
        "Qwen2ForCausalLM torch.bfloat16 [151645, 151643]",
        "ExplorerApp(",
    ],
}


def notebooks_of(series: str) -> list[str]:
    """The series' notebooks as paths relative to notebooks/ ("01-autotokenizer.ipynb", "ko/01-autotokenizer.ipynb")."""
    return [str(Path(series, name)) for name in sorted(FIGURES)]


@pytest.mark.parametrize("series", SERIES, ids=SERIES_IDS)
def test_every_notebook_is_tested(series):
    assert sorted(path.name for path in (NOTEBOOKS / series).glob("*.ipynb")) == sorted(FIGURES)


@pytest.mark.parametrize("series", SERIES, ids=SERIES_IDS)
def test_notebooks_are_stored_without_outputs(series):
    """Outputs would carry one machine's paths and timings; every reader runs the notebooks themselves."""
    for path in (NOTEBOOKS / series).glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        ran = [cell.id for cell in notebook.cells if cell.cell_type == "code" and (cell.outputs or cell.execution_count)]
        assert not ran, f"{path.name}: cells {ran} hold outputs; clear them before committing"


def test_translated_notebooks_and_the_side_by_side_page_are_up_to_date():
    """notebooks/ko/, notebooks/zh/ and docs/notebooks-trilingual.md are what the tool makes from the English series
    and the translations now (the tool itself stops on an English cell changed since its translation)."""
    stale = [str(path.relative_to(translate.REPO)) for path, text in translate.build().items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    assert not stale, f"{stale} are out of date: run {translate.COMMAND}"


def cell_pairs(lang: str, cell_type: str):
    """(notebook name, English cell, translated cell) for every cell of ``cell_type``, cells matched by position."""
    for name in sorted(FIGURES):
        english = nbformat.read(NOTEBOOKS / name, as_version=4)
        translated = nbformat.read(NOTEBOOKS / lang / name, as_version=4)
        assert [(cell.id, cell.cell_type) for cell in translated.cells] == [
            (cell.id, cell.cell_type) for cell in english.cells], f"{lang}/{name}: not the English notebook's cells"
        for english_cell, translated_cell in zip(english.cells, translated.cells):
            if english_cell.cell_type == cell_type:
                yield name, english_cell, translated_cell


def explore_calls(source: str) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "explore"]


@pytest.mark.parametrize("lang", translate.LANGUAGES)
def test_translated_code_cells_are_the_english_ones_with_the_apps_language(lang):
    explored = 0
    for name, english, translated in cell_pairs(lang, "code"):
        assert translated.source.replace(f', lang="{lang}"', "").replace(f'lang="{lang}"', "") == english.source, (
            f"{lang}/{name} cell {english.id}: the code differs from the English notebook's beyond lang=")
        for call in explore_calls(translated.source):
            assert [ast.literal_eval(keyword.value) for keyword in call.keywords if keyword.arg == "lang"] == [lang]
            explored += 1
    assert explored == 2  # 00-explorer and 08-generation open the app


SCRIPT = {"ko": re.compile("[\uac00-\ud7a3]"), "zh": re.compile("[\u4e00-\u9fff]")}  # Hangul syllables, CJK ideographs
CODE_SPAN = re.compile(r"`[^`]+`")


@pytest.mark.parametrize("lang", translate.LANGUAGES)
def test_every_markdown_cell_is_translated_with_its_code_unchanged(lang):
    for name, english, translated in cell_pairs(lang, "markdown"):
        where = f"{lang}/{name} cell {english.id}"
        assert translated.source != english.source and SCRIPT[lang].search(translated.source), f"{where} is not translated"
        lost = [span for span in CODE_SPAN.findall(english.source) if span not in translated.source]
        assert not lost, f"{where} lost or changed the code {lost}"


def uses_term(english_prose: str, forms: list[str]) -> bool:
    """Whether prose (code spans removed) uses a word form; a space also matches a hyphen, a final "s" is allowed."""
    return any(re.search(r"\b" + re.escape(form).replace("\\ ", "[- ]") + r"s?\b", english_prose, re.IGNORECASE)
               for form in forms)


@pytest.mark.parametrize("lang", translate.LANGUAGES)
def test_translations_use_the_tutorials_own_terms(lang):
    """Where an English cell uses a glossary term, its translation uses the write-ups' term for it."""
    missing = [f"{name} cell {english.id}: {term[lang]} ({term['en'][0]})"
               for name, english, translated in cell_pairs(lang, "markdown") for term in translate.terms()
               if uses_term(CODE_SPAN.sub("", english.source), term["en"]) and term[lang] not in translated.source]
    assert not missing, missing


@pytest.mark.parametrize(("code", "expected"), [
    ("app = explore()", 'app = explore(lang="ko")'),
    ('explore("gpt2")  # 🤗 explore(', 'explore("gpt2", lang="ko")  # 🤗 explore('),
    ('x = "東京"; explorer.explore(\n    "gpt2",\n)', 'x = "東京"; explorer.explore(\n    "gpt2",\nlang="ko")'),
    ("print(explore)", "print(explore)"),
])
def test_with_lang_adds_the_language_to_every_explore_call(code, expected):
    assert translate.with_lang(code, "ko") == expected


def printed_text(notebook: nbformat.NotebookNode) -> str:
    """Everything the cells printed to stdout or displayed as text, in order (stderr holds the load reports
    that explorer logs, as transformers does)."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout":
                parts.append(output.text)
            elif "text/plain" in output.get("data", {}):
                parts.append(output.data["text/plain"] + "\n")
    return "".join(parts)


def widget_descriptions(notebook: nbformat.NotebookNode) -> set[str]:
    """The labels (``description``) of the widgets an executed notebook displayed, from the widget state nbclient
    stores in its metadata (the text/plain of a widget is cut short)."""
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return {model["state"].get("description") for model in state.values()}


@pytest.mark.parametrize("notebook", [path for series in SERIES for path in notebooks_of(series)])
def test_notebook_runs_offline_and_prints_the_tutorials_figures(notebook, tmp_path, monkeypatch):
    """The translated notebooks run too: their code is the English one's, so they print the same figures."""
    # The kernel inherits this environment: offline, an empty cache, one thread (2 cores shared by the suite).
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    path = NOTEBOOKS / notebook
    executed = nbformat.read(path, as_version=4)
    NotebookClient(executed, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # raises CellExecutionError
    text = printed_text(executed)
    missing = [figure for figure in FIGURES[path.name] if figure not in text]
    assert not missing, f"{notebook} did not print {missing}; it printed:\n{text}"
    if "ExplorerApp(" in FIGURES[path.name]:  # the app speaks the series' language: explore(..., lang=) took effect
        assert labels_for(Path(notebook).parent.name or "en")["checkpoint"] in widget_descriptions(executed)
