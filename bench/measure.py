"""``make bench``'s load phases, each against a deployment from ``bench.servers``: the
comparison levels, the lever (2 Sanic workers + Redis) and the soak. The load itself comes from
the separate process ``bench.load``, so the servers and the client do not share an interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import yaml

from assistant.dialogue_names import LANGUAGE_ES
from bench.common import (
    APOLOGY_ENTRY,
    LEVELS,
    LEVELS_ENV,
    PACED_CONVERSATIONS,
    PACED_LEVEL,
    PACED_THINK_S,
    ROOT,
    RSS_EVERY_S,
    SOAK_CONCURRENCY,
    WORK,
    loadavg,
    log,
)
from bench.load import ERROR_MARKERS
from bench.servers import Deployment, deploy, descendants, private_redis, wait_for_workers


def _marker(text: Any) -> str:
    """The start of an apology text: up to its first placeholder or full stop."""
    return str(text or "").split("{")[0].split(".")[0].strip()


def apology_markers() -> Tuple[str, ...]:
    """The start of the REST channel's apology (knowledge entry conversation.technical_error)
    in English and, when translated, Spanish: the load generator counts either as an error."""
    for path in sorted((ROOT / "data" / "knowledge").glob("*.yml")):
        for entry in (yaml.safe_load(path.read_text()) or {}).get("entries", []) or []:
            if isinstance(entry, dict) and entry.get("id") == APOLOGY_ENTRY:
                spanish = entry.get(LANGUAGE_ES) or {}
                found = (_marker(entry.get("answer")), _marker(spanish.get("answer")))
                return tuple(marker for marker in found if marker)
    return ERROR_MARKERS


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
        *(arg for marker in apology_markers() for arg in ("--error-marker", marker)),
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
    name: str,
    model: Path,
    level_s: float,
    warmup_s: float,
    paced_s: float,
    stock: bool = False,
    extra_env: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    """Start-up, the comparison levels and memory for one server configuration: ``stock``
    (plain Rasa) or ours, with ``extra_env`` on top of ``LEVELS_ENV`` (the patches-off run
    adds ``ASSISTANT_RASA_TUNING=off``)."""
    deployment = deploy(name, model, {**LEVELS_ENV, **(extra_env or {})}, stock=stock)
    switches = [f"{k}={v}" for k, v in (extra_env or {}).items() if k == "ASSISTANT_RASA_TUNING"]
    try:
        levels = measure_levels(deployment, LEVELS, level_s, warmup_s, paced_s)
        memory = deployment.rss()
    finally:
        deployment.stop()
    said = deployment.log_path.read_text(errors="replace") if switches else ""
    return {
        # Whether the server's log acknowledged the switch (it prints the setting at start).
        **({"switch_in_log": all(s in said for s in switches)} if switches else {}),
        "ready_rasa_s": deployment.ready_rasa_s,
        "ready_total_s": deployment.ready_total_s,
        "ready_action_s": deployment.ready_action_s,
        "levels": levels,
        "rss_after_load": memory,
        "model_mb": round(model.stat().st_size / 1e6, 2),
        "env": dict(extra_env or {}),
    }


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
