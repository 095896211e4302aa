"""Log lines, warnings and stderr text caught as data while the app works (explorer/widgets/logs.py)."""

from __future__ import annotations

import logging
import sys
import warnings

import pytest

from explorer.widgets.logs import Message, captured


def test_log_lines_warnings_and_stderr_text_become_messages_and_reach_no_terminal(capfd, caplog):
    caught: list[Message] = []
    with caplog.at_level(logging.INFO), captured(caught):
        logging.getLogger("huggingface_hub.file_download").warning("slow disk %s", "/tmp")
        logging.getLogger("explorer.tokenization").error("no vocabulary")
        logging.getLogger("explorer.tokenization").info("an info line is not a message")
        warnings.warn("old spelling", DeprecationWarning)
        print("a stray bar", file=sys.stderr)
    assert caught == [Message("warning", "huggingface_hub.file_download", "slow disk /tmp"),
                      Message("error", "explorer.tokenization", "no vocabulary"),
                      Message("warning", "DeprecationWarning", "old spelling"),
                      Message("info", "stderr", "a stray bar")]
    assert caplog.records == [] and capfd.readouterr().err == ""


def test_the_loaders_load_report_is_left_out_as_it_is_shown_as_data():
    caught: list[Message] = []
    with captured(caught):
        logging.getLogger("explorer.loading").warning("ConvNextBackbone load report: ...")
    assert caught == []


def test_what_led_up_to_a_failure_is_kept_and_the_loggers_are_restored():
    caught: list[Message] = []
    logger = logging.getLogger("explorer")
    with pytest.raises(ValueError), captured(caught):
        warnings.warn("first this", UserWarning)
        raise ValueError("then this")
    assert caught == [Message("warning", "UserWarning", "first this")]
    assert logger.propagate and not any(type(handler).__name__ == "Collector" for handler in logger.handlers)
