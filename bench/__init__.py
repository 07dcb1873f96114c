"""``make bench``: this project against stock Rasa (``rasa init`` config) on our data.

``python -m bench.run_bench`` orchestrates; ``python -m bench.load`` is the load generator
(a separate process); ``bench.plots`` draws the charts. Results go to ``reports/bench.md`` and
``reports/bench/``.
"""
