"""``make bench``'s servers: start and stop the action server with stock Rasa (plain ``rasa
run``) or this project's Rasa server (``assistant.rasa_server``, patches on or off), timed to
ready; a private Redis for the lever; memory and CPU of the processes from ``/proc``."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from assistant.ops.processes import WaitTimedOut, free_port, wait_until
from assistant.ops.run import RunSettings, start_servers, stop, write_local_endpoints
from assistant.ops.train import rasa_command
from bench.common import HOST, OURS_TRACKER_STORE, ROOT, WORK, log

# ---------------------------------------------------------------- memory and CPU (/proc)


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


# ---------------------------------------------------------------- one deployment


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

    @property
    def log_path(self) -> Path:
        return self.workdir / "servers.log"

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


def write_endpoints(
    workdir: Path, action_port: int, redis_port: Optional[int], tracker_store: str
) -> Path:
    """Endpoints for one deployment: the action server, an SQLite tracker store of
    ``tracker_store``'s type (Rasa's ``SQL`` for stock, ours as in endpoints.yml for ours)
    and, with ``redis_port``, a Redis lock store."""
    return write_local_endpoints(workdir, action_port, tracker_store, redis_port, HOST)


def deploy(
    name: str,
    model: Path,
    extra_env: Optional[Dict[str, str]] = None,
    redis_port: Optional[int] = None,
    stock: bool = False,
) -> Deployment:
    """Start the action server and the Rasa server with ``model``; time each to ready.

    Ours runs as ``make run`` runs it (``assistant.rasa_server``, our tracker store; with
    ``ASSISTANT_RASA_TUNING=off`` in ``extra_env``, without its patches); stock runs as plain
    ``rasa run`` with Rasa's SQL tracker store. Both servers' output goes to
    ``<workdir>/servers.log``.
    """
    workdir = WORK / f"serve_{name}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    action_port, rasa_port = free_port(HOST), free_port(HOST)
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
    log_path = workdir / "servers.log"
    log(f"Starting {name}: model {model.name}, server logs in {log_path}")
    started = time.perf_counter()
    processes = start_servers(
        ROOT,
        model,
        settings,
        server_env,
        rasa_server=[rasa_command()] if stock else None,
        on_ready=ready_at.__setitem__,
        log=log_path,
    )
    action_ready, rasa_ready = ready_at["actions"], ready_at["rasa"]
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


# ---------------------------------------------------------------- the lever's extras


def wait_for_workers(deployment: Deployment, workers: int, timeout_s: float = 180) -> float:
    """Seconds after the Rasa server's start until every worker has loaded the model (the
    first 200 comes from whichever worker is ready first); at most ``timeout_s`` more."""

    def all_up() -> bool:
        text = deployment.log_path.read_text(errors="replace")
        return text.count("Rasa server is up and running") >= workers

    with contextlib.suppress(WaitTimedOut):
        wait_until(
            all_up,
            timeout_s,
            exited=f"{deployment.name}: the Rasa server exited while its workers started",
            timed_out=f"{deployment.name}: not every worker was up",
            process=deployment.processes[1],
            log=deployment.log_path,
        )
    return round(deployment.ready_rasa_s + time.perf_counter() - deployment.ready_clock, 1)


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def private_redis() -> Iterator[int]:
    """A throw-away redis-server on a free loopback port (no persistence); yields the port."""
    server = shutil.which("redis-server")
    if not server:
        raise RuntimeError("redis-server is not installed (apt-get install -y redis-server)")
    port = free_port(HOST)
    folder = WORK / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "redis.log"
    with log_path.open("w") as sink:
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
        wait_until(
            lambda: _redis_ping(port),
            15,
            exited="redis-server exited before it answered PING",
            timed_out=f"redis-server did not answer PING on {HOST}:{port} within 15 s",
            process=redis,
            log=log_path,
            interval_s=0.2,
        )
        yield port
    finally:
        redis.terminate()
        try:
            redis.wait(timeout=10)
        except subprocess.TimeoutExpired:
            redis.kill()
