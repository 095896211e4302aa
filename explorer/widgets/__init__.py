"""The explorer app (ipywidgets): ``explore(reference, lang=...)``. Panels live one per module; ``render/`` holds
the pure functions that turn what the public API returns into HTML."""

import importlib.util

from ..errors import MissingDependencyError

# ipywidgets is one of explorer's dependencies; an install made with --no-deps (or a kernel of another
# environment) lacks it, and a bare ModuleNotFoundError would not say what to do
if importlib.util.find_spec("ipywidgets") is None:
    raise MissingDependencyError(
        "explore() needs ipywidgets, a dependency of explorer that this Python environment lacks (installed with "
        "--no-deps, or the notebook's kernel runs another environment): pip install 'ipywidgets>=8' in the "
        "kernel's environment, or reinstall explorer with its dependencies."
    )

from .app import ExplorerApp, explore  # noqa: E402 - after the check above

__all__ = ["ExplorerApp", "explore"]
