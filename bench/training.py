"""``make bench``'s training and NLU steps: both models trained from scratch (timed, with a
progress line every so often) and their held-out NLU scores in English and Spanish."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Sequence, Tuple

import yaml

from assistant.dialogue_names import OUT_OF_SCOPE, PARSE_LANGUAGE, PARSE_LANGUAGE_CONFIDENCE
from assistant.ops.processes import log_tail
from assistant.ops.train import rasa_command
from bench.common import HELDOUT_SETS, ROOT, STOCK_CONFIG, TRAINING_DATA, loadavg, log

# ---------------------------------------------------------------- subprocess with progress


def run_with_progress(
    command: Sequence[str],
    cwd: Path,
    env: Dict[str, str],
    log_path: Path,
    label: str,
    every_s: float = 30.0,
) -> float:
    """Run ``command``, its output to ``log_path``; print a progress line every ``every_s``.
    Returns the wall-clock seconds; raises with the log's tail if it fails."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    last_line = [""]
    with log_path.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(  # noqa: S603 - fixed command line, no shell
            list(command),
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        assert process.stdout is not None
        reader = threading.Thread(target=_pump, args=(process.stdout, sink, last_line), daemon=True)
        reader.start()
        next_report = started + every_s
        while process.poll() is None:
            time.sleep(0.5)
            if time.perf_counter() >= next_report:
                next_report += every_s
                log(
                    f"{label}: {time.perf_counter() - started:5.0f} s, load {loadavg()} | "
                    f"{last_line[0][:110]}"
                )
        reader.join(timeout=5)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(
            f"{label} failed (exit {process.returncode}); log {log_path}:\n"
            + log_tail(log_path, 25)
        )
    return elapsed


def _pump(stream: IO[str], sink: IO[str], last_line: List[str]) -> None:
    """Copy output to the log; remember the latest line worth showing as progress."""
    buffer = ""
    while True:
        chunk = stream.read(256)
        if not chunk:
            break
        sink.write(chunk)
        sink.flush()
        buffer += chunk
        *complete, buffer = buffer.replace("\r", "\n").split("\n")
        for line in complete:
            line = line.strip()
            if any(key in line for key in ("Epochs:", "train", "Train", "component")):
                last_line[0] = " ".join(line.split())


# ---------------------------------------------------------------- training


def check_stock_config() -> None:
    """bench/stock_config.yml must equal the installed Rasa's ``rasa init`` default."""
    spec = importlib.util.find_spec("rasa")
    if spec is None or spec.origin is None:
        raise RuntimeError("rasa is not installed")
    installed = Path(spec.origin).parent / "engine/recipes/config_files/default_config.yml"
    ours = yaml.safe_load(STOCK_CONFIG.read_text())
    theirs = yaml.safe_load(installed.read_text())
    for key in ("recipe", "language", "pipeline", "policies"):
        if ours.get(key) != theirs.get(key):
            raise RuntimeError(f"{STOCK_CONFIG} differs from {installed} in {key!r}")


def _train_env(pythonpath: Path) -> Dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(pythonpath),
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONWARNINGS": "ignore",
    }


def train_stock(work: Path) -> Tuple[Path, float]:
    """Train the stock model from scratch (empty training cache) on our domain and data."""
    check_stock_config()
    folder = work / "stock_train"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    config = folder / "config.yml"  # a copy: Rasa rewrites a placeholder assistant_id
    shutil.copyfile(STOCK_CONFIG, config)
    command = [
        rasa_command(),
        "train",
        "--config",
        str(config),
        "--domain",
        str(ROOT / "domain.yml"),
        "--data",
        *(str(ROOT / name) for name in TRAINING_DATA),
        "--out",
        str(folder / "models"),
        "--fixed-model-name",
        "stock",
    ]
    log(f"Training STOCK from scratch (log: {folder / 'train.log'}); 10-25 min on 2 cores")
    seconds = run_with_progress(
        command, folder, _train_env(ROOT), folder / "train.log", "training stock"
    )
    model = folder / "models" / "stock.tar.gz"
    model.with_name("stock.train.json").write_text(
        json.dumps({"seconds": seconds, "finished": time.strftime("%Y-%m-%d %H:%M:%S")})
    )
    log(f"Stock trained in {seconds:.0f} s: {model}")
    return model, seconds


def train_ours_fresh(work: Path) -> Tuple[Path, float]:
    """Time ``python -m assistant.ops.train --force`` in a scratch copy of the project (its own
    models/ folder and empty training cache), so the repository's model is left alone."""
    folder = work / "ours_train"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in ("config.yml", "domain.yml", "data", "assistant", "actions"):
        (folder / name).symlink_to(ROOT / name)
    log(f"Training OURS from scratch (log: {folder / 'train.log'})")
    seconds = run_with_progress(
        [sys.executable, "-m", "assistant.ops.train", "--force"],
        folder,
        _train_env(folder),
        folder / "train.log",
        "training ours",
        every_s=15,
    )
    models = sorted((folder / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError(f"training ours wrote no model in {folder / 'models'}")
    log(f"Ours trained in {seconds:.0f} s")
    return models[0], seconds


# ---------------------------------------------------------------- NLU


def parsed_intents(parsed: Sequence[Dict[str, Any]], fallback: str) -> Tuple[List[str], List[str]]:
    """The final intent of each parse (``fallback`` when below the threshold) and the best
    guess before the threshold (as ``assistant.ops.evaluate_nlu``)."""
    final, top1 = [], []
    for parse in parsed:
        intent = str((parse.get("intent") or {}).get("name"))
        ranking = [r["name"] for r in parse.get("intent_ranking", []) if r["name"] != fallback]
        final.append(intent)
        top1.append(intent if intent != fallback else (ranking[0] if ranking else fallback))
    return final, top1


def language_share(parsed: Sequence[Dict[str, Any]], language: str) -> Optional[float]:
    """The share of parses whose detected language (``PARSE_LANGUAGE``) is ``language``. An
    undecided message has no ``PARSE_LANGUAGE`` (Rasa drops a None): it counts as neither.
    None when the model detects no language at all (stock: no ``PARSE_LANGUAGE_CONFIDENCE``)."""
    if not parsed or not any(PARSE_LANGUAGE_CONFIDENCE in parse for parse in parsed):
        return None
    return sum(parse.get(PARSE_LANGUAGE) == language for parse in parsed) / len(parsed)


async def _parse_all(model: Path, sets: Dict[str, Sequence[str]]) -> Dict[str, List[Any]]:
    """Every text of every set parsed by one loaded model."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    parsed: Dict[str, List[Any]] = {}
    for key, texts in sets.items():
        parsed[key] = []
        for text in texts:
            parsed[key].append(await agent.parse_message(text))
    return parsed


def evaluate_nlu(model: Path, out: Path) -> Dict[str, Dict[str, Any]]:
    """Held-out scores in each language (``HELDOUT_SETS``) via assistant.ops.evaluate_nlu,
    plus out-of-scope recall and the shares of messages the language detector read as the
    set's language and as the other one (the rest were undecided)."""
    import structlog

    # Rasa 3.6 logs every parse through structlog at debug level unless configured.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("rasa").setLevel(logging.WARNING)
    from assistant.ops.evaluate_nlu import (
        FALLBACK,
        _run_in_own_loop,
        read_examples,
        score,
        write_reports,
    )

    pairs = {language: read_examples(path) for language, path in HELDOUT_SETS.items()}
    started = time.perf_counter()
    parsed = _run_in_own_loop(
        _parse_all(model, {key: [text for text, _ in found] for key, found in pairs.items()})
    )
    results: Dict[str, Dict[str, Any]] = {}
    for language, found in pairs.items():
        texts = [text for text, _ in found]
        gold = [intent for _, intent in found]
        final, top1 = parsed_intents(parsed[language], FALLBACK)
        scores, report = score(gold, final, top1, texts)
        write_reports(out, scores, report, gold, final, texts, f"nlu_heldout_{language}")
        oos = [p for g, p in zip(gold, final, strict=True) if g == OUT_OF_SCOPE]
        result = asdict(scores)
        result["emergency_missed"] = list(scores.emergency_missed)
        result["oos_examples"] = len(oos)
        result["oos_recall"] = (
            sum(p in (OUT_OF_SCOPE, FALLBACK) for p in oos) / len(oos) if oos else None
        )
        other = next(code for code in HELDOUT_SETS if code != language)
        result["language_detected"] = language_share(parsed[language], language)
        result["language_misread"] = language_share(parsed[language], other)
        result["heldout"] = str(HELDOUT_SETS[language].relative_to(ROOT))
        results[language] = result
    seconds = round(time.perf_counter() - started, 1)
    for result in results.values():
        result["seconds"] = seconds  # both sets together, model load included
    return results
