"""The explorer app (ipywidgets): ``explore(reference, lang=...)``. Panels live one per module; ``render/`` holds
the pure functions that turn what the public API returns into HTML."""

from .app import ExplorerApp, explore

__all__ = ["ExplorerApp", "explore"]
