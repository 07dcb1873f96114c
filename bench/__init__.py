"""``make bench``: this project against stock Rasa (``rasa init`` config) on our data, and
against itself with its Rasa patches switched off.

``python -m bench.run_bench`` orchestrates; its parts are ``bench.training`` (training and
held-out NLU), ``bench.servers`` (starting and stopping the servers), ``bench.measure`` (the
load phases), ``bench.table`` and ``bench.report`` (the report) and ``bench.common``.
``python -m bench.load`` is the load generator (a separate process; its English and Spanish
messages are in ``bench.load_messages``); ``python -m bench.detector_memory`` measures the
language detector's memory in a fresh process; ``bench.plots`` draws the charts. Results go
to ``reports/bench.md`` and ``reports/bench/``. ``bench.console_harness`` runs the staff
console in-process, for ``bench/console_bench.py`` and the console's tests.
"""
