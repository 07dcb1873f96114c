"""``python -m bench.run_bench``: this project against STOCK Rasa, in one run, on one machine.

STOCK is the configuration ``rasa init`` trains with in Rasa 3.6 (``bench/stock_config.yml``,
checked against the installed copy), trained on OUR domain and data and served with OUR action
server, REST channel and endpoints (SQLite tracker store), so that only the model differs.

Three server configurations take the same load: ours (``assistant.rasa_server``, as ``make
run``), ours with its Rasa patches switched off (the same model and servers with
``ASSISTANT_RASA_TUNING=off``: Rasa's own internals), and stock. The report's ratios are
ours / stock and ours / patches off, the patch layer's own effect. The patches-off run is kept
cheap: it is neither trained, scored nor soaked (the model is ours), only started and put
through the same load levels (full mode: about 3 min; ``--skip-patches-off`` drops it).

Steps: full training from scratch (ours and stock), held-out NLU scores of both models in
English (``tests/nlu/heldout.yml``) and Spanish (``tests/nlu/heldout_es.yml``), REST latency
and throughput at 1, 8 and 32 concurrent conversations and at a patient's pace (all three
configurations; load from the separate process ``bench.load``: 60 % of the conversations in
English, 40 % in Spanish, seeded, latency also split by language), start-up time, memory
(with the language detector's own share, measured in a fresh process) and model size, one
lever (ours with 2 Sanic workers and a Redis lock store), and a soak of ours at 8 concurrent
conversations. Long steps print a progress line as they go.

Writes ``reports/bench.md``, ``reports/bench/results.json`` and PNG charts in ``reports/bench/``,
and (full runs) the summary block of ``docs/performance.md``; work files (stock model, logs,
tracker databases) go to ``reports/bench/work/``.

Options: ``--quick`` (short levels, 60 s soak), ``--soak-s N`` (or ``SOAK_S``; default 600),
``--skip-stock-train MODEL`` (reuse a stock model instead of training one),
``--skip-ours-train`` (do not time a from-scratch training of ours), ``--skip-lever``,
``--skip-patches-off``, ``--report-only``, ``--only nlu`` / ``--only detector-memory`` (one
quick section alone: printed and written to ``reports/bench/<section>.json``, the report and
``results.json`` left alone; ``--only nlu`` scores the repository's model, trained first if
the data changed, and stock only with ``--skip-stock-train MODEL``).

Parts: ``bench.training`` (training, NLU), ``bench.servers`` (starting and stopping the
servers), ``bench.measure`` (the load phases), ``bench.table`` and ``bench.report`` (the
report), ``bench.common`` (paths, levels, targets).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from assistant.ops.train import ensure_model
from bench.common import (
    HELDOUT_SETS,
    NLU_RESULTS,
    OURS,
    OUT_DIR,
    PATCHES_OFF,
    PATCHES_OFF_ENV,
    ROOT,
    SPANISH_SHARE,
    STOCK,
    WORK,
    loadavg,
    log,
    step,
)
from bench.detector_memory import measure_detector_memory
from bench.measure import measure_lever, measure_soak, measure_system
from bench.report import caveats, print_rows, write_outputs
from bench.table import nlu_rows
from bench.training import evaluate_nlu, train_ours_fresh, train_stock

SECTIONS = ("nlu", "detector-memory")


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run_bench",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="short levels and a 60 s soak")
    parser.add_argument("--soak-s", type=float, default=None, help="soak seconds (SOAK_S; 600)")
    parser.add_argument(
        "--skip-stock-train",
        type=Path,
        metavar="MODEL",
        help="use this stock model instead of training one",
    )
    parser.add_argument(
        "--skip-ours-train",
        action="store_true",
        help="do not time a from-scratch training of ours (the repository's model is served)",
    )
    parser.add_argument("--skip-lever", action="store_true", help="skip 2 workers + Redis")
    parser.add_argument(
        "--skip-patches-off", action="store_true", help="skip ours with its Rasa patches off"
    )
    parser.add_argument(
        "--only",
        choices=SECTIONS,
        help="run one quick section alone (no training, no report): its JSON goes to "
        "reports/bench/<section>.json",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="measure nothing: rewrite the report and charts from reports/bench/results.json",
    )
    args = parser.parse_args(argv)
    if args.skip_stock_train:
        args.skip_stock_train = args.skip_stock_train.resolve()
        if not args.skip_stock_train.is_file():
            parser.error(f"--skip-stock-train: no model at {args.skip_stock_train}")
    return args


def cpu_model() -> str:
    """The processor's name, from /proc/cpuinfo ("" if unknown)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def train_both(results: Dict[str, Any], args: argparse.Namespace) -> Tuple[Path, Optional[Path]]:
    """Step 1: both trained from scratch (timed); ours is served from the repository's model.
    Returns (ours, stock or None)."""
    training = results["training"]
    stock_model: Optional[Path] = None
    if args.skip_stock_train:
        stock_model = args.skip_stock_train
        sidecar = stock_model.with_name(stock_model.name.removesuffix(".tar.gz") + ".train.json")
        if sidecar.exists():
            earlier = json.loads(sidecar.read_text())
            training["stock_s"] = round(earlier["seconds"], 1)
            training["stock_note"] = f"measured by an earlier run (finished {earlier['finished']})"
        else:
            training["stock_note"] = "not measured (--skip-stock-train)"
    else:
        trained = step(results, "training stock", lambda: train_stock(WORK))
        if trained:
            stock_model, seconds = trained
            training["stock_s"] = round(seconds, 1)
    if not args.skip_ours_train:
        trained = step(results, "training ours from scratch", lambda: train_ours_fresh(WORK))
        if trained:
            training["ours_s"] = round(trained[1], 1)
    return ensure_model(ROOT), stock_model


def score_nlu(results: Dict[str, Any], ours: Path, stock: Optional[Path]) -> None:
    """Both held-out sets for each model, into ``results[NLU_RESULTS[language]][system]``."""
    sets = ", ".join(str(path.relative_to(ROOT)) for path in HELDOUT_SETS.values())
    for name, model in ((OURS, ours), (STOCK, stock)):
        if not model:
            continue
        log(f"Held-out NLU scores for {name} ({sets})")
        by_language = step(
            results, f"NLU {name}", partial(evaluate_nlu, model, WORK / f"nlu_{name}")
        )
        for language, scores in (by_language or {}).items():
            results.setdefault(NLU_RESULTS[language], {})[name] = scores
            log(
                f"  {language}: accuracy {scores['accuracy']:.3f}, "
                f"macro-F1 {scores['macro_f1']:.3f}"
            )


def run_section(section: str, args: argparse.Namespace) -> int:
    """One quick section alone (``--only``): printed and written to its own JSON file."""
    results: Dict[str, Any] = {"meta": {"started": time.strftime("%Y-%m-%d %H:%M:%S")}}
    if section == "nlu":
        score_nlu(results, ensure_model(ROOT), args.skip_stock_train)
        print_rows(nlu_rows(results))
    else:
        results["detector_memory"] = step(results, "detector memory", measure_detector_memory)
        print(json.dumps(results["detector_memory"]))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / f"{section}.json").write_text(json.dumps(results, indent=1, default=str))
    for failure in results.get("failures", []):
        print(f"FAILED: {failure}")
    return 1 if results.get("failures") else 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.only:
        os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.chdir(ROOT)
        return run_section(args.only, args)
    if args.report_only:
        saved: Dict[str, Any] = json.loads((OUT_DIR / "results.json").read_text())
        saved["caveats"] = caveats(saved)
        write_outputs(saved)
        return 0

    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    os.environ["PYTHONPATH"] = str(ROOT)
    os.chdir(ROOT)

    soak_s = args.soak_s or float(os.environ.get("SOAK_S", 60 if args.quick else 600))
    level_s, warmup_s = (8.0, 3.0) if args.quick else (25.0, 5.0)
    paced_s = 15.0 if args.quick else 60.0  # about 7 msg/s: more seconds for enough samples
    soak_warmup_s = 10.0 if args.quick else 30.0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    results: Dict[str, Any] = {
        "meta": {
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "mode": "quick" if args.quick else "full",
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "loadavg_start": loadavg(),
            "level_s": level_s,
            "paced_s": paced_s,
            "warmup_s": warmup_s,
            "soak_s": soak_s,
            "spanish_share": SPANISH_SHARE,
        },
        "training": {},
        **{key: {} for key in NLU_RESULTS.values()},
        "failures": [],
    }
    run_started = time.perf_counter()
    log(f"Benchmark ({results['meta']['mode']}): load average {loadavg()}")

    # 1. Training.
    ours_model, stock_model = train_both(results, args)

    # 2. Held-out NLU in each language (patches off serves our model: the same scores).
    score_nlu(results, ours_model, stock_model)

    # 3. Latency, throughput, start-up, memory: ours, ours with its patches off (right after
    # ours, so the two see the most similar machine), stock.
    systems: List[Tuple[str, str, Path, Dict[str, str], bool]] = [
        (OURS, "ours", ours_model, {}, False)
    ]
    if not args.skip_patches_off:
        systems.append((PATCHES_OFF, "ours-patches-off", ours_model, PATCHES_OFF_ENV, False))
    if stock_model:
        systems.append((STOCK, "stock", stock_model, {}, True))
    for key, name, model, env, stock in systems:
        system = step(
            results,
            f"load {name}",
            partial(measure_system, name, model, level_s, warmup_s, paced_s, stock, env),
        )
        if system:
            results[key] = system

    # The language detector's share of the Rasa server's memory (a fresh process, seconds).
    results["detector_memory"] = step(results, "detector memory", measure_detector_memory)

    # 4. Lever, 5. soak.
    if args.skip_lever:
        results["lever"] = {"status": "skipped", "why": "--skip-lever"}
    else:
        results["lever"] = measure_lever(ours_model, level_s, warmup_s)
    results["soak"] = step(results, "soak", lambda: measure_soak(ours_model, soak_s, soak_warmup_s))
    results["meta"]["loadavg_end"] = loadavg()
    results["meta"]["total_min"] = round((time.perf_counter() - run_started) / 60, 1)
    results["caveats"] = caveats(results)

    write_outputs(results)
    return 1 if results["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
