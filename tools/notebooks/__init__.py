"""The tool that makes the Korean and Chinese workshop notebooks from the English ones
(``python -m tools.notebooks.translate``): ``ko.json`` and ``zh.json`` hold the translated prose, ``terms.json``
the tutorial write-ups' own Korean and Chinese terms the translations use."""
