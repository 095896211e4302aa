"""The tools that build explorer's offline catalog (``python -m tools.catalog.make_catalog``): they write
``explorer/catalog/catalog.json`` and ``explorer/catalog/checkpoints/``, which the package ships and reads.

- ``make_catalog.py``: makes every entry and its model card;
- ``copies.py``: the files of the Hub checkpoints the catalog copies;
- ``training.py``: offline data and the small training loops (also used by the tests that re-measure the
  cards' accuracies).
"""
