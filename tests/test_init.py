"""The package's public names: every one resolves, and importing explorer does not import torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

import explorer


@pytest.mark.parametrize("name", sorted(set(explorer.__all__) - {"explore", "compare", "pipeline"}))
def test_every_public_name_resolves_to_a_class(name):
    value = getattr(explorer, name)
    assert isinstance(value, type)
    # v5 spellings are aliases: BertTokenizer is BertTokenizerFast, TokenizersBackend PreTrainedTokenizerFast
    assert value.__name__ in (name, name + "Fast", "PreTrainedTokenizerFast", "PretrainedConfig")


def test_explore_is_the_app_function():
    from explorer.widgets.app import explore

    assert explorer.explore is explore


def test_compare_is_the_compare_mode_function():
    from explorer.widgets.compare import compare

    assert explorer.compare is compare


def test_pipeline_is_the_pipelines_function():
    from explorer.pipelines import pipeline

    assert explorer.pipeline is pipeline


def test_import_is_light():
    code = ("import sys, explorer; "
            "print('torch' in sys.modules, 'transformers' in sys.modules, 'ipywidgets' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["False", "False", "False"]


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'AutoModelForTimeTravel'"):
        explorer.AutoModelForTimeTravel


def test_explore_without_ipywidgets_names_what_to_install():
    # an environment that lacks ipywidgets (installed with --no-deps): find_spec finds nothing
    code = ("import importlib.util, sys; real = importlib.util.find_spec; "
            "importlib.util.find_spec = lambda name, *a: None if name == 'ipywidgets' else real(name, *a); "
            "import explorer\n"
            "try:\n    explorer.explore\nexcept ImportError as error:\n"
            "    print(type(error).__name__, 'ipywidgets>=8' in str(error))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["MissingDependencyError", "True"]
