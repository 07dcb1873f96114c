"""``python -m bench.load``: drive the REST channel with concurrent multi-turn conversations.

Each of ``--concurrency`` virtual users runs conversations back to back (greet, a topic
question, a side-effects question, thanks; ``bench.load_messages``), each with a fresh sender
id, and waits for every reply before sending the next message (closed loop). Each conversation
is in Spanish with probability ``--spanish-share`` (default 0.4), else in English; the draws
come from ``--seed``, so two runs with the same seed send each user the same conversations in
the same order. With ``--think S`` a user also pauses between a reply and its next message, for
a random 0.5 S to 1.5 S (patients read and type); without it the next message goes at once,
which measures the server at saturation. The first ``--warmup`` seconds are not measured.
Writes a JSON summary (latency percentiles, sustained messages per second, errors, a
per-interval timeline and the raw latencies) to ``--out`` and prints progress to stderr.

The REST channel needs its bearer token: ``REST_TOKEN`` from the environment.

An error is: a non-200 answer, a timeout or connection failure, an empty reply list, or the
assistant's own apology in either language (``--error-marker``, once per language: the REST
channel's answer when the bot fails or is too slow). Latency percentiles cover every request of
the measured window, errors included (an error's latency is the time until it came back). The
summary also splits requests, errors and latencies by the conversation's language
(``by_language``), with the share of turns whose replies were all marked (``language``) as
that language.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence

import aiohttp

from assistant.dialogue_names import LANGUAGE_EN, LANGUAGES, META_LANGUAGE
from bench.common import LOAD_SEED, SPANISH_SHARE
from bench.load_messages import conversation, pick_language, user_rng

ERROR_MARKERS = ("something went wrong on our side",)  # the REST channel's apology
SLOW_MS = 2500.0  # the REST channel's default reply timeout: slower turns get the apology


def percentile(values: Sequence[float], pct: float) -> Optional[float]:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


class Sample(NamedTuple):
    """One request: when it went and came back, its outcome (``kind``: "ok" or the error), the
    conversation's language and the language its replies were marked with (None: unmarked or
    mixed)."""

    start: float
    end: float
    latency_s: float
    kind: str
    language: str
    answered_in: Optional[str]


class Reply(NamedTuple):
    kind: str
    language: Optional[str]


@dataclass
class Recorder:
    measure_from: float
    measure_until: float
    samples: List[Sample] = field(default_factory=list)  # every request, warm-up included
    conversations: int = 0

    def add(
        self,
        start: float,
        end: float,
        kind: str,
        language: str = LANGUAGE_EN,
        answered_in: Optional[str] = None,
    ) -> None:
        self.samples.append(Sample(start, end, end - start, kind, language, answered_in))


def reply_language(items: Sequence[Any]) -> Optional[str]:
    """The language every reply is marked with (``META_LANGUAGE``); None when one is unmarked
    or they differ."""
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    marked = {item.get(META_LANGUAGE) for item in items}
    language = marked.pop() if len(marked) == 1 else None
    return language if isinstance(language, str) else None


async def _send(
    session: aiohttp.ClientSession,
    url: str,
    sender: str,
    text: str,
    timeout_s: float,
    markers: Sequence[str],
) -> Reply:
    """POST one message; returns "ok" or the kind of error, and the replies' language."""
    try:
        async with session.post(
            url,
            json={"sender": sender, "message": text},
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as reply:
            body = await reply.read()
            if reply.status != 200:
                return Reply(f"http_{reply.status}", None)
            data = json.loads(body)
            if not isinstance(data, list) or not data:
                return Reply("empty_reply", None)
            language = reply_language(data)
            if any(m in str(item.get("text", "")) for item in data for m in markers):
                return Reply("technical_error", language)
            return Reply("ok", language)
    except asyncio.TimeoutError:
        return Reply("timeout", None)
    except aiohttp.ClientError as error:
        return Reply(type(error).__name__, None)
    except json.JSONDecodeError:
        return Reply("bad_json", None)


async def _user(
    index: int,
    session: aiohttp.ClientSession,
    url: str,
    stop_at: float,
    recorder: Recorder,
    run_id: str,
    timeout_s: float,
    markers: Sequence[str],
    think_s: float = 0.0,
    spanish_share: float = SPANISH_SHARE,
    seed: str = LOAD_SEED,
) -> None:
    rng = user_rng(seed, index)
    # Spread the users' first messages over the first second (or think time).
    await asyncio.sleep(rng.random() * max(1.0, think_s))
    number = 0
    while time.perf_counter() < stop_at:
        sender = f"bench-{run_id}-{index}-{number}"
        number += 1
        language = pick_language(rng, spanish_share)
        for text in conversation(rng, language):
            if time.perf_counter() >= stop_at:
                return
            start = time.perf_counter()
            reply = await _send(session, url, sender, text, timeout_s, markers)
            recorder.add(start, time.perf_counter(), reply.kind, language, reply.language)
            if think_s:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)
        recorder.conversations += 1


async def _progress(
    recorder: Recorder, every_s: float, label: str, timeline: List[Dict[str, Any]]
) -> None:
    seen = 0
    started = time.perf_counter()
    while True:
        await asyncio.sleep(every_s)
        now = time.perf_counter()
        new = recorder.samples[seen:]
        seen += len(new)
        ok = [s for s in new if s.kind == "ok"]
        errors = len(new) - len(ok)
        measuring = now > recorder.measure_from
        timeline.append(
            {
                "t_s": round(now - started, 1),
                "measuring": measuring,
                "ok": len(ok),
                "errors": errors,
                "msg_per_s": round(len(ok) / every_s, 2),
                "p50_ms": _ms(percentile([s.latency_s for s in new], 50)),
                "p95_ms": _ms(percentile([s.latency_s for s in new], 95)),
            }
        )
        phase = "" if measuring else " (warm-up)"
        print(
            f"  [{label}] {now - started:5.0f} s{phase}: {len(ok) / every_s:6.1f} msg/s, "
            f"p95 {timeline[-1]['p95_ms']} ms, {errors} errors in the last {every_s:.0f} s",
            file=sys.stderr,
            flush=True,
        )


def _ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds * 1000, 1)


def by_language(window: Sequence[Sample]) -> Dict[str, Dict[str, Any]]:
    """Per conversation language: requests, errors, latency percentiles and the share of
    turns answered in that language (only languages that were sent)."""
    split: Dict[str, Dict[str, Any]] = {}
    for language in LANGUAGES:
        mine = [s for s in window if s.language == language]
        if not mine:
            continue
        latencies = [s.latency_s for s in mine]
        split[language] = {
            "requests": len(mine),
            "errors": sum(s.kind != "ok" for s in mine),
            "answered_in_language": round(
                sum(s.answered_in == language for s in mine) / len(mine), 4
            ),
            "latency_ms": {
                "p50": _ms(percentile(latencies, 50)),
                "p95": _ms(percentile(latencies, 95)),
                "p99": _ms(percentile(latencies, 99)),
            },
        }
    return split


def summarize(
    recorder: Recorder, concurrency: int, duration_s: float, warmup_s: float, slow_ms: float
) -> Dict[str, Any]:
    window = [s for s in recorder.samples if s.start >= recorder.measure_from]
    latencies = [s.latency_s for s in window]
    completed_ok = sum(
        1
        for s in recorder.samples
        if s.kind == "ok" and recorder.measure_from <= s.end <= recorder.measure_until
    )
    kinds = Counter(s.kind for s in window if s.kind != "ok")
    return {
        "concurrency": concurrency,
        "duration_s": duration_s,
        "warmup_s": warmup_s,
        "requests": len(window),
        "requests_total": len(recorder.samples),  # warm-up included (for CPU per message)
        "ok": len(window) - sum(kinds.values()),
        "errors": sum(kinds.values()),
        "error_kinds": dict(kinds),
        "error_rate": round(sum(kinds.values()) / len(window), 5) if window else None,
        "msg_per_s": round(completed_ok / duration_s, 2),
        "conversations": recorder.conversations,
        f"slower_than_{slow_ms:.0f}_ms": sum(v * 1000 > slow_ms for v in latencies),
        "latency_ms": {
            "p50": _ms(percentile(latencies, 50)),
            "p95": _ms(percentile(latencies, 95)),
            "p99": _ms(percentile(latencies, 99)),
            "mean": _ms(sum(latencies) / len(latencies)) if latencies else None,
            "max": _ms(max(latencies)) if latencies else None,
        },
        "by_language": by_language(window),
        "latencies_ms": [round(v * 1000, 1) for v in latencies],
    }


async def run(
    url: str,
    concurrency: int,
    duration_s: float,
    warmup_s: float,
    timeout_s: float,
    progress_s: float,
    label: str,
    markers: Sequence[str] = ERROR_MARKERS,
    slow_ms: float = SLOW_MS,
    think_s: float = 0.0,
    token: Optional[str] = None,
    spanish_share: float = SPANISH_SHARE,
    seed: str = LOAD_SEED,
) -> Dict[str, Any]:
    """``token``: the REST channel's bearer token (REST_TOKEN); ``markers``: the starts of
    the apology in each language (a reply containing one is an error)."""
    run_id = uuid.uuid4().hex[:8]
    begin = time.perf_counter()
    recorder = Recorder(measure_from=begin + warmup_s, measure_until=begin + warmup_s + duration_s)
    timeline: List[Dict[str, Any]] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        reporter = asyncio.create_task(_progress(recorder, progress_s, label, timeline))
        await asyncio.gather(
            *(
                _user(
                    i,
                    session,
                    url,
                    recorder.measure_until,
                    recorder,
                    run_id,
                    timeout_s,
                    markers,
                    think_s,
                    spanish_share,
                    seed,
                )
                for i in range(concurrency)
            )
        )
        reporter.cancel()
    result = summarize(recorder, concurrency, duration_s, warmup_s, slow_ms)
    result["url"] = url
    result["think_s"] = think_s
    result["spanish_share"] = spanish_share
    result["seed"] = seed
    result["timeline"] = timeline
    return result


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="the REST webhook URL")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=25, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds first")
    parser.add_argument("--timeout", type=float, default=30, help="per-request timeout (s)")
    parser.add_argument("--progress", type=float, default=10, help="progress line every N s")
    parser.add_argument("--label", default="load")
    parser.add_argument(
        "--error-marker",
        action="append",
        help="start of the apology (once per language); default: the English one",
    )
    parser.add_argument("--slow-ms", type=float, default=SLOW_MS, help="count slower turns")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean pause before a user's next message (s)"
    )
    parser.add_argument(
        "--spanish-share",
        type=float,
        default=SPANISH_SHARE,
        help="share of conversations in Spanish (0..1)",
    )
    parser.add_argument("--seed", default=LOAD_SEED, help="seed of the phrase and language draws")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    result = asyncio.run(
        run(
            args.url,
            args.concurrency,
            args.duration,
            args.warmup,
            args.timeout,
            args.progress,
            args.label,
            tuple(args.error_marker or ERROR_MARKERS),
            args.slow_ms,
            args.think,
            os.environ.get("REST_TOKEN"),
            args.spanish_share,
            args.seed,
        )
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result))
    latency = result["latency_ms"]
    print(
        f"  [{args.label}] c={args.concurrency}: {result['msg_per_s']} msg/s, "
        f"p50 {latency['p50']} / p95 {latency['p95']} / p99 {latency['p99']} ms, "
        f"{result['errors']} errors of {result['requests']}"
        + "".join(
            f"; {language} p99 {split['latency_ms']['p99']} ms"
            for language, split in result["by_language"].items()
        ),
        file=sys.stderr,
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
