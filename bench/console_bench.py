"""Staff console benchmark: build (or reuse) a database of synthetic conversations, time the
index build, then time the console's pages in-process (ASGI, logged in as an admin).

    .venv/bin/python bench/console_bench.py                      # 100,000 conversations
    .venv/bin/python bench/console_bench.py --conversations 20000 --repeats 10
    .venv/bin/python bench/console_bench.py --reuse /tmp/console-100k.db   # build once, keep

Prints a table of p50/p95 per request and writes reports/console_bench.md. Timings depend
on the machine and on what else runs on it; the report records both.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import logging
import math
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from assistant.console import schema  # noqa: E402
from assistant.console.app import public_numbers  # noqa: E402
from assistant.console.database import Database  # noqa: E402
from assistant.console.indexer import Indexer  # noqa: E402
from assistant.console.masking import Masker  # noqa: E402
from assistant.console.sample_corpus import write_sample_corpus  # noqa: E402
from bench.console_harness import (  # noqa: E402
    ConsoleClient,
    ManualClock,
    running_console,
)

NOW = 1795723200.0  # 2026-11-26 12:00 Pacific: a fixed "now" for a fresh corpus
TZ = ZoneInfo("America/Los_Angeles")
BENCH_TAG = "bench-sample"
PAGE_SIZE = 50
REPORT = ROOT / "reports" / "console_bench.md"


@dataclass
class BuildTimes:
    conversations: int
    events: int
    write_s: Optional[float] = None  # None: reused
    index_s: Optional[float] = None
    batch_size: int = 0
    reused: bool = False


@dataclass
class Case:
    name: str
    path: str
    params: Dict[str, str] = field(default_factory=dict)
    repeats: Optional[int] = None  # None: --repeats


@dataclass
class Timing:
    case: Case
    seconds: List[float]
    size: int
    detail: str = ""

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.seconds)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return 1000 * ordered[rank - 1]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def count(engine: Engine, table: sa.Table) -> int:
    with engine.begin() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)


def index_with_progress(engine: Engine, batch_size: int, clock_now: float) -> float:
    """Bring the console index up to date, showing progress; returns the seconds it took."""
    masker = Masker.allowing(public_numbers(ROOT / "data" / "knowledge"))
    indexer = Indexer(TZ, masker, batch_size=batch_size, clock=lambda: clock_now + 3600)
    total = count(engine, schema.events)
    done = 0
    started = time.perf_counter()
    while True:
        read = indexer.catch_up(engine, max_batches=5)
        done += read
        elapsed = time.perf_counter() - started
        rate = done / elapsed if elapsed else 0.0
        print(
            f"\r  indexed {done:,}/{total:,} events ({rate:,.0f} events/s)",
            end="",
            file=sys.stderr,
            flush=True,
        )
        if read < 5 * batch_size:
            break
    print(file=sys.stderr)
    return time.perf_counter() - started


def build_or_reuse(
    path: Path, conversations: int, days: int, batch_size: int, reuse: bool
) -> Tuple[BuildTimes, float]:
    """The database at ``path``, built unless ``reuse`` finds one; returns its timings and
    the corpus's "now"."""
    url = f"sqlite:///{path}"
    existing = reuse and path.exists() and path.stat().st_size > 0
    db = Database.connect(url)
    try:
        engine = db.engine
        if existing and count(engine, schema.events):
            with engine.begin() as connection:
                last = connection.execute(sa.select(sa.func.max(schema.events.c.timestamp)))
                now = float(last.scalar() or NOW) + 600
            log(f"Reusing {path} ({count(engine, schema.events):,} events)")
            index_s = index_with_progress(engine, batch_size, now)  # new events only, if any
            times = BuildTimes(
                count(engine, schema.conversations),
                count(engine, schema.events),
                index_s=index_s,
                batch_size=batch_size,
                reused=True,
            )
            return times, now
        log(f"Writing {conversations:,} synthetic conversations over {days} days to {path}")
        started = time.perf_counter()
        write_sample_corpus(engine, conversations, days=days, now=NOW, progress=True)
        write_s = time.perf_counter() - started
        log(f"  written in {write_s:.1f} s; indexing (batch size {batch_size:,})")
        index_s = index_with_progress(engine, batch_size, NOW)
        indexed = count(engine, schema.conversations)
        log(f"  indexed {indexed:,} conversations in {index_s:.1f} s")
        times = BuildTimes(
            indexed, count(engine, schema.events), write_s, index_s, batch_size, reused=False
        )
        return times, NOW
    finally:
        db.close()


def tag_sample(engine: Engine, every: int = 100) -> int:
    """Tag every ``every``-th conversation (once), so the tag filter has something to find."""
    tags = schema.tags
    with engine.begin() as connection:
        already = connection.execute(
            sa.select(sa.func.count()).select_from(tags).where(tags.c.tag == BENCH_TAG)
        ).scalar()
        if not already:
            ids = connection.execute(
                sa.select(schema.conversations.c.id).where(schema.conversations.c.id % every == 0)
            )
            rows = [
                {"conversation_id": r[0], "tag": BENCH_TAG, "created_by": "bench", "created_at": 0}
                for r in ids
            ]
            if rows:
                connection.execute(tags.insert(), rows)
        return int(
            connection.execute(
                sa.select(sa.func.count()).select_from(tags).where(tags.c.tag == BENCH_TAG)
            ).scalar()
            or 0
        )


def cases(conversations: int, now: float, export_repeats: int) -> List[Case]:
    pages = max(1, -(-conversations // PAGE_SIZE))
    today = datetime.fromtimestamp(now, TZ).date()
    week_from = (today - timedelta(days=13)).isoformat()
    week_to = (today - timedelta(days=7)).isoformat()
    quarter_from = (today - timedelta(days=89)).isoformat()
    return [
        Case("inbox page 1", "/inbox"),
        Case(f"inbox middle page ({pages // 2:,})", "/inbox", {"page": str(max(1, pages // 2))}),
        Case(f"inbox last page ({pages:,})", "/inbox", {"page": str(pages)}),
        Case("inbox page 999999 (clamped)", "/inbox", {"page": "999999"}),
        Case("filter channel=sms", "/inbox", {"channel": "sms"}),
        Case("filter flag=emergency", "/inbox", {"flag": "emergency"}),
        Case("filter flag=fallback", "/inbox", {"flag": "fallback"}),
        Case("filter intent=ask_dosing", "/inbox", {"intent": "ask_dosing"}),
        Case(f"filter tag={BENCH_TAG}", "/inbox", {"tag": BENCH_TAG}),
        Case("filter reviewed=no", "/inbox", {"reviewed": "no"}),
        Case("filter date range (7 days)", "/inbox", {"from": week_from, "to": week_to}),
        Case("filter emergency, page 100", "/inbox", {"flag": "emergency", "page": "100"}),
        Case("sort=turns", "/inbox", {"sort": "turns"}),
        Case("sort=active, channel=sms", "/inbox", {"sort": "active", "channel": "sms"}),
        Case("search q='parking validation'", "/inbox", {"q": "parking validation"}),
        Case("search q (no match)", "/inbox", {"q": "no such words anywhere"}),
        Case("transcript (random ids)", "/conversations/{id}"),
        Case("dashboard (30 days)", "/dashboard"),
        Case("dashboard (90 days)", "/dashboard", {"from": quarter_from, "to": today.isoformat()}),
        Case("export CSV", "/export.csv", repeats=export_repeats),
    ]


async def time_case(
    client: ConsoleClient, case: Case, repeats: int, ids: Sequence[int], rng: random.Random
) -> Timing:
    seconds: List[float] = []
    size = 0
    detail = ""
    for attempt in range(repeats + 1):  # the first request warms up and is not counted
        path = case.path.format(id=rng.choice(ids)) if "{id}" in case.path else case.path
        started = time.perf_counter()
        reply = await client.get(path, params=case.params)
        elapsed = time.perf_counter() - started
        if reply.status_code != 200:
            raise SystemExit(f"{case.name}: {path} answered {reply.status_code}")
        if attempt:
            seconds.append(elapsed)
            size = max(size, len(reply.content))
        if case.path == "/export.csv" and not detail:
            rows = list(csv.reader(io.StringIO(reply.text)))[1:]
            detail = f"{len({r[0] for r in rows}):,} conversations, {len(rows):,} rows"
    return Timing(case, seconds, size, detail)


async def run_requests(
    db_url: str, now: float, conversations: int, repeats: int, export: int, export_repeats: int
) -> List[Timing]:
    logging.getLogger("sanic").setLevel(logging.WARNING)
    logging.getLogger("sanic.root").setLevel(logging.WARNING)
    rng = random.Random(11)  # noqa: S311 - which transcripts to open; not security
    timings: List[Timing] = []
    async with running_console(db_url, ManualClock(now), export_limit=export) as console:
        client = await console.logged_in(f"bench.{int(time.time())}", "admin")
        with console.db.engine.begin() as connection:
            ids = [int(r[0]) for r in connection.execute(sa.select(schema.conversations.c.id))]
        for case in cases(conversations, now, export_repeats):
            n = case.repeats or repeats
            timing = await time_case(client, case, n, ids, rng)
            timings.append(timing)
            log(
                f"  {case.name:36} p50 {timing.percentile(50):8.1f} ms"
                f"  p95 {timing.percentile(95):8.1f} ms  (n={n})"
            )
    return timings


def table(timings: List[Timing]) -> str:
    lines = [
        "| request | n | p50 ms | p95 ms | max ms | response KB | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for t in timings:
        lines.append(
            f"| {t.case.name} | {len(t.seconds)} | {t.percentile(50):.1f} | "
            f"{t.percentile(95):.1f} | {1000 * max(t.seconds):.1f} | {t.size / 1024:.0f} | "
            f"{t.detail} |"
        )
    return "\n".join(lines)


def report(build: BuildTimes, timings: List[Timing], repeats: int, db_path: Path) -> str:
    load = os.getloadavg()
    if build.reused:
        built = f"reused `{db_path}`; catching up the index took {build.index_s or 0:.1f} s"
    else:
        per_s = build.events / build.index_s if build.index_s else 0
        built = (
            f"written in {build.write_s or 0:.1f} s; indexed in {build.index_s or 0:.1f} s "
            f"({per_s:,.0f} events/s, batch size {build.batch_size:,})"
        )
    return "\n".join(
        [
            "# Staff console benchmark",
            "",
            f"- Run: {datetime.now().isoformat(timespec='seconds')} "
            f"on {platform.platform()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}",
            f"- Load average after the run: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
            "(other work on the machine inflates the timings)",
            f"- Corpus: {build.conversations:,} conversations, {build.events:,} events; {built}",
            f"- Requests: in-process through httpx's ASGI transport, logged in as an admin; "
            f"one warm-up then {repeats} timed requests each (exports: see n). Transcripts "
            "open random conversations; the CSV export is capped at its limit.",
            "",
            table(timings),
            "",
        ]
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument(
        "--reuse", type=Path, help="keep the database here; reuse it when it exists"
    )
    parser.add_argument("--repeats", type=int, default=30, help="timed requests per case")
    parser.add_argument("--export", type=int, default=1000, help="conversations per export")
    parser.add_argument("--export-repeats", type=int, default=30)
    parser.add_argument(
        "--batch-size", type=int, default=2000, help="indexer batch (the app's default: 2000)"
    )
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        if args.reuse:
            db_path = args.reuse.resolve()
            db_path.parent.mkdir(parents=True, exist_ok=True)
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="console-bench-"))
            db_path = Path(folder) / "tracker.db"
        build, now = build_or_reuse(
            db_path, args.conversations, args.days, args.batch_size, bool(args.reuse)
        )
        db = Database.connect(f"sqlite:///{db_path}")
        try:
            tagged = tag_sample(db.engine)
        finally:
            db.close()
        log(f"{tagged:,} conversations tagged {BENCH_TAG!r}; timing requests")
        timings = asyncio.run(
            run_requests(
                f"sqlite:///{db_path}",
                now,
                build.conversations,
                args.repeats,
                args.export,
                args.export_repeats,
            )
        )
    text = report(build, timings, args.repeats, db_path)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print()
    print(text)
    log(f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
