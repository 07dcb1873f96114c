"""``python -m bench.profile_server``: one quick measurement of a serving stack, for tuning.

Starts the action server and a Rasa server as the benchmark does (``ours`` by default:
``assistant.rasa_server`` with this project's tracker store; ``--stock MODEL`` for plain
``rasa run``), warms it up, then runs ``bench.load`` at ``--concurrency`` for ``--seconds``
and prints messages per second, latency percentiles and each server's CPU time per message.
With ``--py-spy PATH`` it also records the Rasa server with py-spy (``pip install py-spy``)
into PATH, in py-spy's raw (collapsed stack) format. ``--workers 2`` runs two Sanic workers
with a private Redis lock store. The load mixes English and Spanish conversations as
``make bench`` does; ``--spanish-share 0`` sends English only, as every run before the Spanish
work did. Used for the step-by-step table in the README.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Optional

from assistant.ops.train import ensure_model
from bench import load
from bench.common import LEVELS_ENV, ROOT, SPANISH_SHARE
from bench.servers import deploy, descendants, private_redis, wait_for_workers


@contextlib.contextmanager
def _redis(workers: int) -> Iterator[Optional[int]]:
    if workers < 2:
        yield None
        return
    with private_redis() as port:
        yield port


def _py_spy(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    binary = shutil.which("py-spy")
    if not binary:
        raise SystemExit("--py-spy needs py-spy on PATH (pip install py-spy)")
    command = [binary, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "200"]
    command += ["-f", "raw", "-o", str(out), "--nonblocking", "--subprocesses"]
    return subprocess.Popen(command)  # noqa: S603 - py-spy from PATH, fixed arguments


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stock", type=Path, help="serve this stock model with plain rasa run")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1, help="Sanic workers (2: with Redis)")
    parser.add_argument("--py-spy", type=Path, help="record the Rasa server into this file")
    parser.add_argument(
        "--spanish-share",
        type=float,
        default=SPANISH_SHARE,
        help="share of conversations in Spanish (0: English only)",
    )
    args = parser.parse_args(argv)
    share = args.spanish_share
    model = args.stock.resolve() if args.stock else ensure_model(ROOT)
    env = {**LEVELS_ENV, "SANIC_WORKERS": str(args.workers)}
    with _redis(args.workers) as redis_port:
        name = "profile-stock" if args.stock else "profile-ours"
        deployment = deploy(name, model, env, redis_port=redis_port, stock=bool(args.stock))
        try:
            if args.workers > 1:
                wait_for_workers(deployment, len(descendants(deployment.rasa_pid)))
            token = deployment.rest_token
            asyncio.run(
                load.run(
                    deployment.url,
                    args.concurrency,
                    5,
                    2,
                    30,
                    60,
                    "warm-up",
                    token=token,
                    spanish_share=share,
                )
            )
            spy = _py_spy(deployment.rasa_pid, args.seconds, args.py_spy) if args.py_spy else None
            before = deployment.cpu()
            result = asyncio.run(
                load.run(
                    deployment.url,
                    args.concurrency,
                    args.seconds,
                    0.5,
                    30,
                    60,
                    name,
                    token=token,
                    spanish_share=share,
                )
            )
            after = deployment.cpu()
            if spy:
                spy.wait()
        finally:
            deployment.stop()
    sent = max(1, result["requests_total"])
    rasa_ms, action_ms = ((b - a) * 1000 / sent for a, b in zip(before, after, strict=True))
    latency = result["latency_ms"]
    print(
        f"{name}: {result['msg_per_s']} msg/s at {args.concurrency} concurrent; "
        f"p50 {latency['p50']} / p95 {latency['p95']} / p99 {latency['p99']} ms; "
        f"{result['errors']} errors; CPU per message: Rasa {rasa_ms:.1f} ms "
        f"(main process{' and workers' if args.workers > 1 else ''}), action {action_ms:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
