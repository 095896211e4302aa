"""Make the Korean and Chinese workshop notebooks, ``notebooks/ko/`` and ``notebooks/zh/``, from the English series,
and ``docs/notebooks-trilingual.md``, every cell's prose in the three languages side by side.

A dev tool, run from the repository root after changing an English notebook or a translation:

    python -m tools.notebooks.translate

Code cells are copied unchanged, except that every ``explore(...)`` call gets ``lang="ko"`` or ``lang="zh"`` so
the app's labels follow the notebook's language. Markdown cells come from ``ko.json`` and ``zh.json`` beside this
file: for each English notebook, its markdown cells by id, each with ``text`` (the translation, a list of lines)
and ``en_sha256`` (the first 12 hex digits of the SHA-256 of the English source it translates). When an English
cell changes, the build stops and names the cell and its new digest, so a translation cannot drift silently.
The translations use the tutorial write-ups' own Korean and Chinese terms, ``terms.json`` (from the project's
glossary); tests/test_notebooks.py checks that they are used and that the generated files are up to date.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ENGLISH = REPO / "notebooks"
SIDE_BY_SIDE = REPO / "docs" / "notebooks-trilingual.md"
LANGUAGES = {"ko": "Korean", "zh": "Chinese"}
COMMAND = "python -m tools.notebooks.translate"
DIGEST_LENGTH = 12


def digest(english_source: str) -> str:
    """What a translation records of the English cell it translates."""
    return hashlib.sha256(english_source.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def english_notebooks() -> dict[str, nbformat.NotebookNode]:
    return {path.name: nbformat.read(path, as_version=4) for path in sorted(ENGLISH.glob("*.ipynb"))}


def translations(lang: str) -> dict[str, dict[str, dict]]:
    return json.loads((HERE / f"{lang}.json").read_text(encoding="utf-8"))


def terms() -> list[dict]:
    """The glossary rows the translations must follow: English word forms, the Korean and Chinese term."""
    return json.loads((HERE / "terms.json").read_text(encoding="utf-8"))


def with_lang(code: str, lang: str) -> str:
    """``code`` with ``lang=...`` added to every ``explore(...)`` call (found by parsing, not by pattern)."""
    lines = code.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def position(lineno: int, byte_col: int) -> int:  # ast columns count UTF-8 bytes
        line = lines[lineno - 1]
        return offsets[lineno - 1] + len(line.encode("utf-8")[:byte_col].decode("utf-8"))

    calls = [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call) and called_name(node) == "explore"]
    for call in calls:
        if any(keyword.arg == "lang" for keyword in call.keywords):
            raise SystemExit(f"explore(..., lang=...) in an English notebook's code:\n{code}\n"
                             "leave lang to its default there; the translated notebooks set it")
    edited = code
    for call in sorted(calls, key=lambda node: (node.end_lineno, node.end_col_offset), reverse=True):
        closing = position(call.end_lineno, call.end_col_offset) - 1  # the call's ")"
        before = edited[:closing].rstrip()
        separator = "" if before.endswith(("(", ",")) else ", "
        edited = f'{edited[:closing]}{separator}lang="{lang}"{edited[closing:]}'
    return edited


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def translated_markdown(name: str, cell: nbformat.NotebookNode, table: dict[str, dict], lang: str) -> str:
    entry = table.get(name, {}).get(cell.id)
    where = f"notebooks/{name}, markdown cell {cell.id!r}"
    if entry is None:
        raise SystemExit(f"{where} has no {LANGUAGES[lang]} translation: add it to tools/notebooks/{lang}.json "
                         f'under "{name}" with "en_sha256": "{digest(cell.source)}", then run {COMMAND}')
    if entry["en_sha256"] != digest(cell.source):
        raise SystemExit(f"{where} changed since its {LANGUAGES[lang]} translation: update its text in "
                         f'tools/notebooks/{lang}.json and set "en_sha256": "{digest(cell.source)}", then run {COMMAND}')
    return "\n".join(entry["text"])


def check_no_orphans(english: dict[str, nbformat.NotebookNode], table: dict[str, dict], lang: str) -> None:
    """A translation whose English cell is gone would be kept forever unnoticed."""
    markdown_ids = {name: {cell.id for cell in notebook.cells if cell.cell_type == "markdown"}
                    for name, notebook in english.items()}
    orphans = [f"{name} {cell_id}" for name, cells in table.items() for cell_id in cells
               if cell_id not in markdown_ids.get(name, ())]
    if orphans:
        raise SystemExit(f"tools/notebooks/{lang}.json translates cells no English notebook has: {', '.join(orphans)}; "
                         "remove them")


def translate(name: str, english: nbformat.NotebookNode, table: dict[str, dict], lang: str) -> nbformat.NotebookNode:
    notebook = copy.deepcopy(english)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = translated_markdown(name, cell, table, lang)
        elif cell.cell_type == "code":
            cell.source = with_lang(cell.source, lang)
    return notebook


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook) + "\n"  # as Jupyter saves them: the English files end with a newline


def quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def side_by_side(english: dict[str, nbformat.NotebookNode], translated: dict[str, dict[str, nbformat.NotebookNode]]) -> str:
    """Markdown: the terms, then each markdown cell in English, Korean and Chinese, one after the other."""
    parts = [
        "# The workshop notebooks in English, Korean and Chinese",
        "",
        f"Made by `{COMMAND}` from `notebooks/*.ipynb` and `tools/notebooks/ko.json`, `zh.json`: do not edit. "
        "The code cells are the same in `notebooks/`, `notebooks/ko/` and `notebooks/zh/` (only `explore(...)` gets "
        '`lang="ko"` or `lang="zh"`), so this page shows the prose, cell by cell, in the three languages. The '
        "translations use the Korean and Chinese terms of the write-ups the tutorial comes from (the project's "
        "glossary, `tools/notebooks/terms.json`; a test checks each cell uses them where its English does):",
        "",
        "| English | 한국어 | 中文 |",
        "|---|---|---|",
        *(f"| {' / '.join(term['en'])} | {term['ko']} | {term['zh']} |" for term in terms()),
    ]
    for name, notebook in english.items():
        parts += ["", f"## {name}", ""]
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "markdown":
                continue
            parts += [f"### Cell `{cell.id}`", "", "**en**", "", quoted(cell.source)]
            for lang in LANGUAGES:
                parts += ["", f"**{lang}**", "", quoted(translated[lang][name].cells[index].source)]
            parts.append("")
    return "\n".join(parts).rstrip("\n") + "\n"


def build() -> dict[Path, str]:
    """Every generated file, path -> text."""
    english = english_notebooks()
    translated: dict[str, dict[str, nbformat.NotebookNode]] = {}
    for lang in LANGUAGES:
        table = translations(lang)
        check_no_orphans(english, table, lang)
        translated[lang] = {name: translate(name, notebook, table, lang) for name, notebook in english.items()}
    files = {ENGLISH / lang / name: notebook_text(notebook)
             for lang, notebooks in translated.items() for name, notebook in notebooks.items()}
    files[SIDE_BY_SIDE] = side_by_side(english, translated)
    return files


def main() -> None:
    files = build()
    for lang in LANGUAGES:  # a notebook removed from the English series goes from the translations too
        for stale in set((ENGLISH / lang).glob("*.ipynb")) - set(files):
            stale.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(path.relative_to(REPO))


if __name__ == "__main__":
    main()
