"""``python -m bench.run_bench``: this project against STOCK Rasa, in one run, on one machine.

STOCK is the configuration ``rasa init`` trains with in Rasa 3.6 (``bench/stock_config.yml``,
checked against the installed copy), trained on OUR domain and data and served with OUR action
server, REST channel and endpoints (SQLite tracker store), so that only the model differs.

Steps: full training from scratch (both), held-out NLU scores (both), REST latency and
throughput at 1, 8 and 32 concurrent conversations (both; load from the separate process
``bench.load``), start-up time, memory and model size (both), one lever (ours with 2 Sanic
workers and a Redis lock store), and a soak of ours at 8 concurrent conversations.

Writes ``reports/bench.md``, ``reports/bench/results.json`` and PNG charts in ``reports/bench/``;
work files (stock model, logs, tracker databases) go to ``reports/bench/work/``.

Options: ``--quick`` (short levels, 60 s soak), ``--soak-s N`` (or ``SOAK_S``; default 600),
``--skip-stock-train MODEL`` (reuse a stock model instead of training one), ``--skip-lever``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import traceback
import warnings
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple
from unittest import mock

import yaml

import assistant.ops.run as run_module
from assistant.ops.run import RunSettings, start_servers, stop
from assistant.ops.train import ensure_model, rasa_command

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "reports" / "bench.md"
OUT_DIR = ROOT / "reports" / "bench"
WORK = OUT_DIR / "work"
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
STOCK_CONFIG = Path(__file__).resolve().with_name("stock_config.yml")
TRAINING_DATA = ("data/nlu", "data/rules", "data/stories")
LEVELS = (1, 8, 32)
# 8 conversations at a patient's pace: each reply is read before the next message, 0.5-1.5 s.
PACED_CONVERSATIONS = 8
PACED_THINK_S = 1.0
PACED_LEVEL = f"{PACED_CONVERSATIONS}-paced"
SOAK_CONCURRENCY = 8
RSS_EVERY_S = 10.0
HOST = "127.0.0.1"
APOLOGY_ENTRY = "conversation.technical_error"
# The comparison levels measure the servers' real round trips: the REST channel's reply timeout
# (2.5 s by default, after which it sends an apology and finishes the turn in the background) is
# raised for them. The soak keeps the deployed default, so its errors are what patients see.
LEVELS_ENV = {"REST_REPLY_TIMEOUT_S": "60"}
OURS_TRACKER_STORE = "assistant.stores.tracker_store.StrictSQLTrackerStore"  # as endpoints.yml

# Targets: (results key, description, check(ours, stock) -> met?)
TARGET_P99_8_MS = 150.0
TARGET_READY_S = 20.0
TARGET_RSS_MB = 700.0
TARGET_TRAIN_S = 120.0
TARGET_THROUGHPUT_RATIO = 3.0


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages (other work on this machine shows up here)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def apology_marker() -> str:
    """The start of the REST channel's apology (knowledge entry conversation.technical_error),
    which the load generator counts as an error."""
    for path in sorted((ROOT / "data" / "knowledge").glob("*.yml")):
        for entry in (yaml.safe_load(path.read_text()) or {}).get("entries", []) or []:
            if isinstance(entry, dict) and entry.get("id") == APOLOGY_ENTRY:
                return str(entry.get("answer", "")).split("{")[0].split(".")[0].strip()
    return "something went wrong on our side"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- memory (/proc)


def rss_mb(pid: int) -> Optional[float]:
    """VmRSS of one process in MB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def descendants(pid: int) -> List[int]:
    """Every live process below ``pid`` (from /proc/*/stat parent ids)."""
    children: Dict[int, List[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    found: List[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def tree_rss_mb(pid: int) -> Optional[float]:
    """VmRSS of a process plus its descendants (Sanic workers), in MB."""
    values = [rss_mb(p) for p in [pid, *descendants(pid)]]
    known = [v for v in values if v is not None]
    return round(sum(known), 1) if known else None


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
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        raise RuntimeError(
            f"{label} failed (exit {process.returncode}); log {log_path}:\n" + "\n".join(tail)
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


def evaluate_nlu(model: Path, out: Path) -> Dict[str, Any]:
    """Held-out scores via assistant.ops.evaluate_nlu, plus out-of-scope recall."""
    import structlog

    # Rasa 3.6 logs every parse through structlog at debug level unless configured.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("rasa").setLevel(logging.WARNING)
    from assistant.ops.evaluate_nlu import (
        FALLBACK,
        _predict,
        _run_in_own_loop,
        read_examples,
        score,
        write_reports,
    )

    pairs = read_examples(HELDOUT)
    texts = [text for text, _ in pairs]
    gold = [intent for _, intent in pairs]
    started = time.perf_counter()
    final, top1 = _run_in_own_loop(_predict(model, texts))
    scores, report = score(gold, final, top1, texts)
    write_reports(out, scores, report, gold, final, texts)
    oos = [p for g, p in zip(gold, final, strict=True) if g == "out_of_scope"]
    result = asdict(scores)
    result["emergency_missed"] = list(scores.emergency_missed)
    result["oos_examples"] = len(oos)
    result["oos_recall"] = (
        sum(p in ("out_of_scope", FALLBACK) for p in oos) / len(oos) if oos else None
    )
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


# ---------------------------------------------------------------- servers


@dataclass
class Deployment:
    name: str
    url: str
    processes: List[subprocess.Popen]
    ready_total_s: float  # action server start -> Rasa server answers (what make run waits)
    ready_rasa_s: float  # Rasa server process start -> first 200
    ready_action_s: float
    workdir: Path
    ready_clock: float = 0.0  # perf_counter() when the Rasa server first answered
    rest_token: str = ""  # the REST channel's bearer token (REST_TOKEN)

    @property
    def action_pid(self) -> int:
        return self.processes[0].pid

    @property
    def rasa_pid(self) -> int:
        return self.processes[1].pid

    def rss(self) -> Dict[str, Optional[float]]:
        return {
            "rasa_mb": tree_rss_mb(self.rasa_pid),
            "rasa_processes": 1 + len(descendants(self.rasa_pid)),
            "action_mb": tree_rss_mb(self.action_pid),
        }

    def cpu(self) -> Tuple[float, float]:
        """CPU seconds used so far by the Rasa server and the action server."""
        return cpu_s(self.rasa_pid), cpu_s(self.action_pid)

    def stop(self) -> None:
        everything = [p.pid for p in self.processes]
        for process in self.processes:
            everything += descendants(process.pid)
        stop(self.processes)
        for pid in everything:  # Sanic workers left behind, if any (only ones we started)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, 9)


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout/stderr (and so the servers' it starts) to ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    with path.open("ab") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def write_endpoints(
    workdir: Path, action_port: int, redis_port: Optional[int], tracker_store: str
) -> Path:
    """Endpoints for one deployment: the action server, an SQLite tracker store of
    ``tracker_store``'s type (Rasa's ``SQL`` for stock, ours as in endpoints.yml for ours)
    and, with ``redis_port``, a Redis lock store."""
    endpoints = workdir / "endpoints.yml"
    text = (
        f'action_endpoint:\n  url: "http://{HOST}:{action_port}/webhook"\n'
        "  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n"
        f"tracker_store:\n  type: {tracker_store}\n  dialect: sqlite\n"
        f"  db: {workdir / 'tracker.db'}\n"
    )
    if redis_port:
        text += f"lock_store:\n  type: redis\n  url: {HOST}\n  port: {redis_port}\n  db: 1\n"
    endpoints.write_text(text)
    return endpoints


def deploy(
    name: str,
    model: Path,
    extra_env: Optional[Dict[str, str]] = None,
    redis_port: Optional[int] = None,
    stock: bool = False,
) -> Deployment:
    """Start the action server and the Rasa server with ``model``; time each to ready.

    Ours runs as ``make run`` runs it (``assistant.rasa_server``, our tracker store); stock
    runs as plain ``rasa run`` with Rasa's SQL tracker store.
    """
    workdir = WORK / f"serve_{name}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    action_port, rasa_port = free_port(), free_port()
    server_env = {"REST_TOKEN": secrets.token_hex(24), **(extra_env or {})}
    settings = RunSettings(
        host=HOST,
        rasa_port=rasa_port,
        action_port=action_port,
        endpoints=str(
            write_endpoints(
                workdir, action_port, redis_port, "SQL" if stock else OURS_TRACKER_STORE
            )
        ),
        credentials=str(ROOT / "credentials.yml"),
        state_dir=str(workdir),
        console_port=0,
    )
    ready_at: Dict[str, float] = {}
    original = run_module.wait_until_up

    def timed_wait(url: str, process: subprocess.Popen, timeout_s: float) -> None:
        original(url, process, timeout_s)
        ready_at[url] = time.perf_counter()

    log(f"Starting {name}: model {model.name}, server logs in {workdir / 'servers.log'}")
    started = time.perf_counter()
    with (
        mock.patch.object(run_module, "wait_until_up", timed_wait),
        output_to(workdir / "servers.log"),
    ):
        processes = start_servers(
            ROOT, model, settings, server_env, rasa_server=[rasa_command()] if stock else None
        )
    action_ready = ready_at[f"http://{HOST}:{action_port}/health"]
    rasa_ready = ready_at[f"http://{HOST}:{rasa_port}/webhooks/rest/"]
    deployment = Deployment(
        name=name,
        url=f"http://{HOST}:{rasa_port}/webhooks/rest/webhook",
        processes=processes,
        ready_total_s=round(rasa_ready - started, 1),
        ready_rasa_s=round(rasa_ready - action_ready, 1),
        ready_action_s=round(action_ready - started, 1),
        workdir=workdir,
        ready_clock=rasa_ready,
        rest_token=server_env["REST_TOKEN"],
    )
    log(
        f"{name} ready: Rasa server {deployment.ready_rasa_s} s after its start, "
        f"{deployment.ready_total_s} s for both servers"
    )
    return deployment


def run_load(
    deployment: Deployment,
    concurrency: int,
    duration_s: float,
    warmup_s: float,
    label: str,
    progress_s: float = 10.0,
    on_tick: Optional[Callable[[float], None]] = None,
    think_s: float = 0.0,
) -> Dict[str, Any]:
    """Run bench.load in its own process; ``on_tick(elapsed)`` is called about every second."""
    out = WORK / "load" / f"{label}.json"
    out.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "bench.load",
        "--url",
        deployment.url,
        "--concurrency",
        str(concurrency),
        "--duration",
        str(duration_s),
        "--warmup",
        str(warmup_s),
        "--progress",
        str(progress_s),
        "--label",
        label,
        "--error-marker",
        apology_marker(),
        "--think",
        str(think_s),
        "--out",
        str(out),
    ]
    load_before = loadavg()
    started = time.perf_counter()
    env = {**os.environ, "REST_TOKEN": deployment.rest_token}
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - our own module, no shell
    while process.poll() is None:
        time.sleep(1)
        if on_tick:
            on_tick(time.perf_counter() - started)
    if process.returncode != 0 or not out.exists():
        raise RuntimeError(f"load generator failed (exit {process.returncode})")
    result: Dict[str, Any] = json.loads(out.read_text())
    result["loadavg_before"] = load_before
    result["loadavg_after"] = loadavg()
    return result


def measure_levels(
    deployment: Deployment,
    levels: Sequence[int],
    level_s: float,
    warmup_s: float,
    paced_s: float = 0.0,
) -> Dict[str, Any]:
    """Each closed-loop level, then (``paced_s`` > 0) the patient-paced one."""
    results: Dict[str, Any] = {}
    runs: List[Tuple[str, int, float, float]] = [(str(c), c, 0.0, level_s) for c in levels]
    if paced_s:
        runs.append((PACED_LEVEL, PACED_CONVERSATIONS, PACED_THINK_S, paced_s))
    for key, concurrency, think_s, seconds in runs:
        pacing = f", think time {think_s:g} s" if think_s else ""
        log(
            f"{deployment.name}: {concurrency} concurrent{pacing}, "
            f"{warmup_s:.0f} s warm-up + {seconds:.0f} s"
        )
        rasa_before, action_before = deployment.cpu()
        result = run_load(
            deployment,
            concurrency,
            seconds,
            warmup_s,
            f"{deployment.name}-c{key}",
            think_s=think_s,
        )
        rasa_after, action_after = deployment.cpu()
        sent = max(1, result["requests_total"])
        result["cpu_ms_per_msg"] = {
            "rasa": round((rasa_after - rasa_before) * 1000 / sent, 1),
            "action": round((action_after - action_before) * 1000 / sent, 1),
        }
        result.pop("latencies_ms", None)
        results[key] = result
    return results


def measure_system(
    name: str, model: Path, level_s: float, warmup_s: float, paced_s: float
) -> Dict[str, Any]:
    """Start-up, load levels and memory for one model (``stock``: plain Rasa)."""
    deployment = deploy(name, model, LEVELS_ENV, stock=name == "stock")
    try:
        levels = measure_levels(deployment, LEVELS, level_s, warmup_s, paced_s)
        memory = deployment.rss()
    finally:
        deployment.stop()
    return {
        "ready_rasa_s": deployment.ready_rasa_s,
        "ready_total_s": deployment.ready_total_s,
        "ready_action_s": deployment.ready_action_s,
        "levels": levels,
        "rss_after_load": memory,
        "model_mb": round(model.stat().st_size / 1e6, 2),
    }


# ---------------------------------------------------------------- lever: 2 workers + Redis


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_for_workers(deployment: Deployment, workers: int, timeout_s: float = 180) -> float:
    """Seconds after the Rasa server's start until every worker has loaded the model (the
    first 200 comes from whichever worker is ready first)."""
    log_path = deployment.workdir / "servers.log"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if log_path.read_text(errors="replace").count("Rasa server is up and running") >= workers:
            break
        time.sleep(0.5)
    return round(deployment.ready_rasa_s + time.perf_counter() - deployment.ready_clock, 1)


@contextlib.contextmanager
def private_redis() -> Iterator[int]:
    """A throw-away redis-server on a free loopback port (no persistence); yields the port."""
    server = shutil.which("redis-server")
    if not server:
        raise RuntimeError("redis-server is not installed (apt-get install -y redis-server)")
    port = free_port()
    folder = WORK / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "redis.log").open("w") as sink:
        redis = subprocess.Popen(  # noqa: S603 - the Debian redis-server, fixed arguments
            [
                server,
                "--bind",
                HOST,
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 15
        while not _redis_ping(port):
            if redis.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start (see {folder / 'redis.log'})")
            time.sleep(0.2)
        yield port
    finally:
        redis.terminate()
        try:
            redis.wait(timeout=10)
        except subprocess.TimeoutExpired:
            redis.kill()


def measure_lever(model: Path, level_s: float, warmup_s: float) -> Dict[str, Any]:
    """Ours with SANIC_WORKERS=2 and a private Redis lock store; reasons instead of a crash."""
    lever: Dict[str, Any] = {"setup": "SANIC_WORKERS=2, lock_store: redis (private redis-server)"}
    if not shutil.which("redis-server"):
        return {
            **lever,
            "status": "skipped",
            "why": "redis-server is not installed (apt-get install -y redis-server)",
        }
    deployment: Optional[Deployment] = None
    try:
        with private_redis() as port:
            deployment = deploy(
                "ours-2workers", model, {**LEVELS_ENV, "SANIC_WORKERS": "2"}, redis_port=port
            )
            workers = len(descendants(deployment.rasa_pid))
            lever["all_workers_ready_s"] = wait_for_workers(deployment, workers)
            lever["sanic_worker_processes"] = workers
            if workers < 2:
                lever["note"] = (
                    f"Rasa started {workers} worker process(es) below its main process; "
                    "it falls back to 1 worker unless the lock store is multi-worker compatible"
                )
            lever["ready_rasa_s"] = deployment.ready_rasa_s
            lever["levels"] = measure_levels(deployment, (8, 32), level_s, warmup_s)
            lever["rss_after_load"] = deployment.rss()
            lever["status"] = "ok"
            deployment.stop()
            deployment = None
    except Exception as error:  # noqa: BLE001 - the lever is optional: report, do not crash
        log_path = WORK / "serve_ours-2workers" / "servers.log"
        tail = ""
        if log_path.exists():
            lines = log_path.read_text(errors="replace").splitlines()
            tail = "\n".join(line for line in lines[-40:] if "Error" in line or "error" in line)
        lever.update(status="failed", why=f"{type(error).__name__}: {error}", log_tail=tail[-2000:])
        log(f"Lever failed: {lever['why']}")
    finally:
        if deployment:
            deployment.stop()
    return lever


# ---------------------------------------------------------------- soak


def measure_soak(model: Path, soak_s: float, warmup_s: float) -> Dict[str, Any]:
    """Ours at 8 concurrent conversations for ``soak_s``; RSS every 10 s."""
    deployment = deploy("ours-soak", model)
    samples: List[Dict[str, Any]] = []
    next_sample = [0.0]
    next_minute = [60.0]

    def tick(elapsed: float) -> None:
        if elapsed >= next_sample[0]:
            next_sample[0] += RSS_EVERY_S
            memory = deployment.rss()
            samples.append({"t_s": round(elapsed, 1), **memory})
        if elapsed >= next_minute[0]:
            next_minute[0] += 60
            last = samples[-1]
            log(
                f"soak: minute {elapsed / 60:.0f} of {(soak_s + warmup_s) / 60:.1f}, "
                f"Rasa RSS {last['rasa_mb']} MB, action RSS {last['action_mb']} MB, "
                f"load {loadavg()}"
            )

    try:
        log(
            f"Soak: {SOAK_CONCURRENCY} concurrent conversations, {warmup_s:.0f} s warm-up "
            f"+ {soak_s:.0f} s, RSS every {RSS_EVERY_S:.0f} s"
        )
        result = run_load(
            deployment,
            SOAK_CONCURRENCY,
            soak_s,
            warmup_s,
            "ours-soak",
            progress_s=60,
            on_tick=tick,
        )
        end = deployment.rss()
        samples.append({"t_s": round(warmup_s + soak_s, 1), **end, "end": True})
    finally:
        deployment.stop()
    result.pop("latencies_ms", None)
    measured = [s for s in samples if s["t_s"] >= warmup_s and s["rasa_mb"]]
    first, last = (measured[0], measured[-1]) if measured else ({}, {})

    def growth(key: str) -> Optional[float]:
        if not first.get(key) or not last.get(key):
            return None
        return round((last[key] - first[key]) / first[key] * 100, 2)

    return {
        "load": result,
        "rss_samples": samples,
        "warmup_s": warmup_s,
        "rasa_rss_first_mb": first.get("rasa_mb"),
        "rasa_rss_last_mb": last.get("rasa_mb"),
        "rasa_rss_growth_pct": growth("rasa_mb"),
        "action_rss_first_mb": first.get("action_mb"),
        "action_rss_last_mb": last.get("action_mb"),
        "action_rss_growth_pct": growth("action_mb"),
    }


# ---------------------------------------------------------------- report


def _num(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value}{unit}"


def _ratio(ours: Any, stock: Any) -> str:
    if not isinstance(ours, (int, float)) or not isinstance(stock, (int, float)) or not stock:
        return "n/a"
    ratio = ours / stock
    if ratio == 0:
        return "0x"
    return f"{ratio:.3f}x" if ratio >= 0.01 else f"{ratio:.1e}x"


def _met(flag: Optional[bool]) -> str:
    return "" if flag is None else ("yes" if flag else "**NO**")


def _level(system: Dict[str, Any], concurrency: Any, key: str) -> Optional[float]:
    level = system.get("levels", {}).get(str(concurrency))
    if not level:
        return None
    if key == "msg_per_s":
        return level.get("msg_per_s")
    if key == "errors":
        return level.get("errors")
    if key == "slow":
        return level.get("slower_than_2500_ms")
    if key.startswith("cpu_"):
        return level.get("cpu_ms_per_msg", {}).get(key.removeprefix("cpu_"))
    return level.get("latency_ms", {}).get(key)


def table_rows(results: Dict[str, Any]) -> List[Tuple[str, str, str, str, str, str]]:
    """(measure, ours, stock, ratio, target, met?) rows."""
    ours, stock = results.get("ours", {}), results.get("stock", {})
    nlu_o, nlu_s = results.get("nlu", {}).get("ours", {}), results.get("nlu", {}).get("stock", {})
    rows: List[Tuple[str, str, str, str, str, str]] = []

    def row(
        measure: str,
        o: Any,
        s: Any,
        fmt: Callable[[Any], str],
        target: str = "",
        met: Optional[bool] = None,
    ) -> None:
        rows.append((measure, fmt(o), fmt(s), _ratio(o, s), target, _met(met)))

    def at_most(value: Any, limit: float, unit: str) -> Tuple[str, Optional[bool]]:
        """(target text, met?) for an upper bound; unknown when ``value`` is missing."""
        return f"<= {limit:.0f} {unit}", None if value is None else value <= limit

    pct = lambda v: _num(v * 100 if isinstance(v, (int, float)) else None, 1, " %")  # noqa: E731
    acc_o, acc_s = nlu_o.get("accuracy"), nlu_s.get("accuracy")
    row(
        "NLU accuracy, held-out (strict)",
        acc_o,
        acc_s,
        pct,
        ">= stock",
        None if acc_o is None or acc_s is None else acc_o >= acc_s,
    )
    row(
        "NLU top-1 accuracy (best guess, before the fallback threshold)",
        nlu_o.get("top1_accuracy"),
        nlu_s.get("top1_accuracy"),
        pct,
    )
    row(
        "NLU macro-F1, held-out", nlu_o.get("macro_f1"), nlu_s.get("macro_f1"), lambda v: _num(v, 3)
    )
    row(
        "Out-of-scope recall (out_of_scope or fallback)",
        nlu_o.get("oos_recall"),
        nlu_s.get("oos_recall"),
        pct,
    )
    row("Emergency recall", nlu_o.get("emergency_recall"), nlu_s.get("emergency_recall"), pct)
    row("Fallback rate, held-out", nlu_o.get("fallback_rate"), nlu_s.get("fallback_rate"), pct)
    ms = lambda v: _num(v, 0 if isinstance(v, float) and v >= 100 else 1, " ms")  # noqa: E731
    for concurrency in LEVELS:
        for key in ("p50", "p95", "p99"):
            o, s = _level(ours, concurrency, key), _level(stock, concurrency, key)
            target, met = "", None
            if concurrency == 8 and key == "p99":
                target, met = at_most(o, TARGET_P99_8_MS, "ms")
            row(
                f"REST latency {key} @ {concurrency} concurrent, back to back",
                o,
                s,
                ms,
                target,
                met,
            )
    for key in ("p50", "p95", "p99"):
        o, s = _level(ours, PACED_LEVEL, key), _level(stock, PACED_LEVEL, key)
        target, met = at_most(o, TARGET_P99_8_MS, "ms") if key == "p99" else ("", None)
        row(
            f"REST latency {key} @ {PACED_CONVERSATIONS} conversations at a patient's pace "
            f"(next message {PACED_THINK_S / 2:g}-{PACED_THINK_S * 1.5:g} s after the reply)",
            o,
            s,
            ms,
            target,
            met,
        )
    for concurrency in (32, 8):
        o, s = _level(ours, concurrency, "msg_per_s"), _level(stock, concurrency, "msg_per_s")
        met = None if o is None or s is None else o >= TARGET_THROUGHPUT_RATIO * s
        row(
            f"Sustained msg/s @ {concurrency} concurrent, back to back",
            o,
            s,
            lambda v: _num(v, 1),
            f">= {TARGET_THROUGHPUT_RATIO:.0f}x stock",
            met,
        )
    every_level = (*LEVELS, PACED_LEVEL)
    errors_o = sum(_level(ours, c, "errors") or 0 for c in every_level) if ours else None
    errors_s = sum(_level(stock, c, "errors") or 0 for c in every_level) if stock else None
    row("Errors during the load levels", errors_o, errors_s, lambda v: _num(v))
    for concurrency in (8, 32):
        row(
            f"Turns slower than 2.5 s (deployed apology threshold) @ {concurrency}",
            _level(ours, concurrency, "slow"),
            _level(stock, concurrency, "slow"),
            lambda v: _num(v),
        )
    for key, server in (("cpu_rasa", "Rasa server"), ("cpu_action", "action server")):
        row(
            f"CPU time per message, {server} (@ 8 concurrent)",
            _level(ours, 8, key),
            _level(stock, 8, key),
            lambda v: _num(v, 1, " ms"),
        )
    sec = lambda v: _num(v, 1, " s")  # noqa: E731
    o, s = ours.get("ready_rasa_s"), stock.get("ready_rasa_s")
    row(
        "Start to ready, Rasa server (first 200)",
        o,
        s,
        sec,
        *at_most(o, TARGET_READY_S, "s"),
    )
    o, s = ours.get("ready_total_s"), stock.get("ready_total_s")
    row(
        "Start to ready, action + Rasa server",
        o,
        s,
        sec,
        *at_most(o, TARGET_READY_S, "s"),
    )
    mb = lambda v: _num(v, 0, " MB")  # noqa: E731
    o = ours.get("rss_after_load", {}).get("rasa_mb")
    s = stock.get("rss_after_load", {}).get("rasa_mb")
    row(
        "RSS, Rasa server after load",
        o,
        s,
        mb,
        *at_most(o, TARGET_RSS_MB, "MB"),
    )
    row(
        "RSS, action server after load",
        ours.get("rss_after_load", {}).get("action_mb"),
        stock.get("rss_after_load", {}).get("action_mb"),
        mb,
    )
    row("Model file size", ours.get("model_mb"), stock.get("model_mb"), lambda v: _num(v, 2, " MB"))
    training = results.get("training", {})
    o, s = training.get("ours_s"), training.get("stock_s")
    row(
        "Full training from scratch",
        o,
        s,
        sec,
        *at_most(o, TARGET_TRAIN_S, "s"),
    )
    return rows


def markdown(results: Dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        "# Benchmark: this project vs stock Rasa 3.6",
        "",
        f"Run {meta['started']} ({meta['mode']} mode) on {meta['cpus']} CPUs; "
        f"load average at start {meta['loadavg_start']}, at end {meta.get('loadavg_end', 'n/a')}; "
        f"the whole run took {meta.get('total_min', 'n/a')} min.",
        "",
        "Stock = the `rasa init` default config (`bench/stock_config.yml`) trained on our "
        "domain.yml and data, served by plain `rasa run` with Rasa's own SQL tracker store. "
        "Ours = this project as `make run` serves it: `python -m assistant.rasa_server run` "
        "(Rasa with `assistant/rasa_server/tuning.py`) and "
        "`assistant.stores.tracker_store.StrictSQLTrackerStore`. Both use our action server, "
        "REST channel and an SQLite file. Ratio = ours / stock. Latencies are client-side "
        "round trips from a separate load process. At 1, 8 and 32 concurrent, each virtual "
        "user sends its next message as soon as the reply arrives (back to back: the server "
        "at saturation); the paced level waits 0.5-1.5 s after each reply, as a patient "
        "reading and typing would (longer, in life).",
        "",
        "| measure | ours | stock | ratio | target | met? |",
        "|---|---:|---:|---:|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in table_rows(results)]
    training = results.get("training", {})
    if training.get("stock_note"):
        lines += ["", f"Stock training time: {training['stock_note']}"]
    lines += ["", "## Lever: 2 Sanic workers + Redis lock store (ours)", ""]
    lever = results.get("lever", {})
    if lever.get("status") == "ok":
        base = results.get("ours", {})
        lines += [
            f"Setup: {lever['setup']}; "
            f"Rasa worker processes: {lever.get('sanic_worker_processes')}."
            + (f" {lever['note']}" if lever.get("note") else ""),
            "",
            "| measure | 1 worker | 2 workers + Redis | ratio |",
            "|---|---:|---:|---:|",
        ]
        for concurrency in (8, 32):
            for key, fmt in (("msg_per_s", " msg/s"), ("p50", " ms"), ("p99", " ms")):
                one, two = _level(base, concurrency, key), _level(lever, concurrency, key)
                lines.append(
                    f"| {key} @ {concurrency} | {_num(one, 1, fmt)} | {_num(two, 1, fmt)} | "
                    f"{_ratio(two, one)} |"
                )
            one, two = _level(base, concurrency, "errors"), _level(lever, concurrency, "errors")
            lines.append(f"| errors @ {concurrency} | {_num(one)} | {_num(two)} | |")
        one = base.get("rss_after_load", {}).get("rasa_mb")
        two = lever.get("rss_after_load", {}).get("rasa_mb")
        lines.append(
            f"| RSS, Rasa server (all processes, shared pages counted twice) | "
            f"{_num(one, 0, ' MB')} | {_num(two, 0, ' MB')} | {_ratio(two, one)} |"
        )
        lines.append(
            f"| start to ready, Rasa server | {_num(base.get('ready_rasa_s'), 1, ' s')} | "
            f"{_num(lever.get('ready_rasa_s'), 1, ' s')} | |"
        )
        lines.append(
            f"| every worker has loaded the model | | "
            f"{_num(lever.get('all_workers_ready_s'), 1, ' s')} | |"
        )
    else:
        lines.append(f"Not measured: {lever.get('status', 'not run')}: {lever.get('why', '')}")
        if lever.get("log_tail"):
            lines += ["", "```", lever["log_tail"], "```"]
    soak = results.get("soak")
    lines += ["", "## Soak (ours, 8 concurrent conversations)", ""]
    if soak:
        load = soak["load"]
        latency = load["latency_ms"]
        lines += [
            "| measure | value |",
            "|---|---:|",
            f"| duration (after {soak['warmup_s']:.0f} s warm-up) | {load['duration_s']:.0f} s |",
            f"| messages answered | {load['ok']:,} |",
            f"| sustained msg/s | {load['msg_per_s']:.1f} |",
            f"| errors | {load['errors']}"
            + (f" ({json.dumps(load['error_kinds'])})" if load["error_kinds"] else "")
            + " |",
            f"| latency p50 / p95 / p99 | {latency['p50']} / {latency['p95']} / "
            f"{latency['p99']} ms |",
            f"| Rasa server RSS, first sample after warm-up -> end | "
            f"{_num(soak['rasa_rss_first_mb'], 0)} -> {_num(soak['rasa_rss_last_mb'], 0)} MB "
            f"({_num(soak['rasa_rss_growth_pct'], 1, ' %')}) |",
            f"| Rasa server RSS growth over the second half of the soak | "
            f"{_num(second_half_growth(soak), 2, ' %')} |",
            f"| action server RSS, first sample after warm-up -> end | "
            f"{_num(soak['action_rss_first_mb'], 0)} -> {_num(soak['action_rss_last_mb'], 0)} MB "
            f"({_num(soak['action_rss_growth_pct'], 1, ' %')}) |",
        ]
    else:
        lines.append("Not run.")
    lines += ["", "## Charts", ""]
    lines += [f"![{p}](bench/{p})" for p in results.get("plots", [])]
    lines += ["", "## Caveats", ""]
    lines += [f"- {c}" for c in results.get("caveats", [])]
    failures = results.get("failures", [])
    if failures:
        lines += ["", "## What failed", ""] + [f"- {f}" for f in failures]
    return "\n".join(lines) + "\n"


def second_half_growth(soak: Dict[str, Any]) -> Optional[float]:
    """Rasa server RSS growth from the soak's midpoint to its end (a plateau reads ~0)."""
    samples = [s for s in soak.get("rss_samples", []) if s.get("rasa_mb")]
    if len(samples) < 3:
        return None
    middle = samples[len(samples) // 2]["rasa_mb"]
    return round((samples[-1]["rasa_mb"] - middle) / middle * 100, 2)


def print_summary(results: Dict[str, Any]) -> None:
    rows = [("measure", "ours", "stock", "ratio", "target", "met?"), *table_rows(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    print()
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))
    soak = results.get("soak")
    if soak:
        print(
            f"\nSoak {soak['load']['duration_s']:.0f} s @ {SOAK_CONCURRENCY}: "
            f"{soak['load']['errors']} errors, {soak['load']['msg_per_s']} msg/s, "
            f"Rasa RSS growth {soak['rasa_rss_growth_pct']} %"
        )
    lever = results.get("lever", {})
    if lever.get("status") == "ok":
        print(
            "Lever (2 workers + Redis): "
            + ", ".join(
                f"{_level(lever, c, 'msg_per_s')} msg/s and p99 {_level(lever, c, 'p99')} ms @ {c}"
                for c in (8, 32)
            )
            + f"; Rasa RSS {lever.get('rss_after_load', {}).get('rasa_mb')} MB"
        )
    elif lever:
        print(f"Lever (2 workers + Redis): {lever.get('status')}: {lever.get('why', '')}")
    print(f"\nReport: {REPORT.relative_to(ROOT)}", flush=True)


# ---------------------------------------------------------------- main


def _step(results: Dict[str, Any], name: str, action: Callable[[], Any]) -> Any:
    """Run one step; record a failure (and keep going) instead of losing the whole run."""
    try:
        return action()
    except Exception as error:  # noqa: BLE001 - the report says what failed
        traceback.print_exc()
        results["failures"].append(f"{name}: {type(error).__name__}: {str(error)[:600]}")
        log(f"{name} FAILED: {error}")
        return None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short levels and a 60 s soak")
    parser.add_argument("--soak-s", type=float, default=None, help="soak seconds (SOAK_S; 600)")
    parser.add_argument(
        "--skip-stock-train",
        type=Path,
        metavar="MODEL",
        help="use this stock model instead of training one",
    )
    parser.add_argument("--skip-lever", action="store_true", help="skip 2 workers + Redis")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="measure nothing: rewrite the report and charts from reports/bench/results.json",
    )
    args = parser.parse_args(argv)
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
            "loadavg_start": loadavg(),
            "level_s": level_s,
            "paced_s": paced_s,
            "warmup_s": warmup_s,
            "soak_s": soak_s,
        },
        "training": {},
        "nlu": {},
        "failures": [],
    }
    run_started = time.perf_counter()
    log(f"Benchmark ({results['meta']['mode']}): load average {loadavg()}")

    # 1. Training, both from scratch (timed); ours is served from the repository's model.
    training = results["training"]
    stock_model: Optional[Path] = None
    if args.skip_stock_train:
        stock_model = args.skip_stock_train.resolve()
        if not stock_model.is_file():
            parser.error(f"--skip-stock-train: no model at {stock_model}")
        sidecar = stock_model.with_name(stock_model.name.removesuffix(".tar.gz") + ".train.json")
        if sidecar.exists():
            earlier = json.loads(sidecar.read_text())
            training["stock_s"] = round(earlier["seconds"], 1)
            training["stock_note"] = f"measured by an earlier run (finished {earlier['finished']})"
        else:
            training["stock_note"] = "not measured (--skip-stock-train)"
    else:
        trained = _step(results, "training stock", lambda: train_stock(WORK))
        if trained:
            stock_model, seconds = trained
            training["stock_s"] = round(seconds, 1)
    trained = _step(results, "training ours from scratch", lambda: train_ours_fresh(WORK))
    if trained:
        training["ours_s"] = round(trained[1], 1)
    ours_model: Path = ensure_model(ROOT)

    # 2. Held-out NLU.
    for name, model in (("ours", ours_model), ("stock", stock_model)):
        if model:
            log(f"Held-out NLU scores for {name} ({HELDOUT.relative_to(ROOT)})")
            scores = _step(
                results, f"NLU {name}", partial(evaluate_nlu, model, WORK / f"nlu_{name}")
            )
            if scores:
                results["nlu"][name] = scores
                log(f"  accuracy {scores['accuracy']:.3f}, macro-F1 {scores['macro_f1']:.3f}")

    # 3. Latency, throughput, start-up, memory.
    for name, model in (("ours", ours_model), ("stock", stock_model)):
        if model:
            system = _step(
                results,
                f"load {name}",
                partial(measure_system, name, model, level_s, warmup_s, paced_s),
            )
            if system:
                results[name] = system

    # 4. Lever, 5. soak.
    if args.skip_lever:
        results["lever"] = {"status": "skipped", "why": "--skip-lever"}
    else:
        results["lever"] = measure_lever(ours_model, level_s, warmup_s)
    results["soak"] = _step(
        results, "soak", lambda: measure_soak(ours_model, soak_s, soak_warmup_s)
    )
    results["meta"]["loadavg_end"] = loadavg()
    results["meta"]["total_min"] = round((time.perf_counter() - run_started) / 60, 1)
    results["caveats"] = caveats(results)

    write_outputs(results)
    return 1 if results["failures"] else 0


def write_outputs(results: Dict[str, Any]) -> None:
    """Charts, results.json, reports/bench.md and the printed summary."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyparsing deprecations from matplotlib 3.5
        from bench.plots import draw

        plots = _step(results, "plots", lambda: draw(results, OUT_DIR))
    results["plots"] = [p.name for p in plots or []]
    (OUT_DIR / "results.json").write_text(json.dumps(results, indent=1, default=str))
    REPORT.write_text(markdown(results))
    print_summary(results)


def caveats(results: Dict[str, Any]) -> List[str]:
    notes = [
        f"{results['meta']['cpus']} CPUs shared by the servers, the load generator and anything "
        "else running on the machine (a 1-minute load average of 2 means both cores busy): "
        f"{results['meta']['loadavg_start']} at the start, "
        f"{results['meta'].get('loadavg_end')} at the end; per level in results.json "
        "(`loadavg_before`/`loadavg_after`). Training times are the most exposed to other work.",
        "Ready times are measured by polling every 0.5 s (start_servers' wait_until_up).",
        "RSS is VmRSS from /proc after the 32-concurrent level; with several Sanic workers "
        "the processes' RSS are summed (shared pages counted more than once).",
        "Throughput is closed-loop: each virtual user waits for each reply, so msg/s is the "
        "server's capacity at that concurrency, not an open arrival rate.",
        "Both systems use the project's hardened REST channel, action server and an SQLite "
        "file; stock runs plain `rasa run` with Rasa's `SQL` tracker store, ours "
        "`assistant.rasa_server` with its own store (see the top of the report).",
        "The comparison levels and the lever run with REST_REPLY_TIMEOUT_S=60, so a slow turn "
        "is measured instead of being replaced by the channel's 2.5 s apology; the soak keeps "
        "the deployed default, so its errors are what patients would see.",
        "CPU time per message is the servers' user+system time (/proc) over the level, "
        "warm-up included, divided by the messages sent.",
    ]
    during = [
        f"{name} @ {c}: {level.get('loadavg_before', '?').split()[0]}"
        for name in ("ours", "stock")
        for c, level in (results.get(name) or {}).get("levels", {}).items()
    ]
    if during:
        notes.append("1-minute load average when each level started: " + ", ".join(during) + ".")
    if results["meta"]["mode"] == "quick":
        notes.append("Quick mode: short levels and soak; numbers are indicative only.")
    return notes


if __name__ == "__main__":
    sys.exit(main())
