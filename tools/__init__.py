"""Developer tools of the repository, run from its root (``python -m tools...``); not part of the installed
``explorer`` package."""
