"""``python -m bench.web_session``: thousands of messages in ONE web chat session, latency by block.

Does a web message cost more as its conversation grows? One visitor opens a session and sends
``--messages`` (5,000) messages one after the other to ``POST /webhooks/web/message``, each with
a fresh ``client_id``, as the widget does. Every ``--retry-every``-th message is sent a second
time with the same id, as the widget does after a lost reply: that answer comes from the
channel's ``web_client_messages`` row and never reaches Rasa. Every ``--history-every``-th
message the page's ``GET /history`` is timed too (it reads the whole conversation by design).

Latency is reported per block of ``--block`` (500) messages: mean, p50 and p95 of new messages,
p50 of retries, and the last block against the first. Rasa itself reads the current session's
events for every message, so some growth of the new-message latency is Rasa's; the retries
show the channel's own cost.

Starts its own assistant (``bench.servers.deploy``: the project's Rasa server and tracker
store on SQLite, as ``make run``), with the web rate limits off and a 60 s reply deadline so
the numbers are real round trips. ``--base URL`` uses a running server instead (for example
``http://127.0.0.1:5005``); start it with ``WEB_RATE_MESSAGES_PER_MIN=0
WEB_RATE_ADDRESS_MESSAGES_PER_MIN=0 WEB_REPLY_TIMEOUT_S=60`` or the limits answer 429.

Writes ``messages.csv`` (one row per request), ``blocks.csv`` and ``latency.png`` to ``--out``
(``reports/web_session``) and prints the summary. The servers' workdir (their log and tracker
database) is ``reports/bench/work/serve_web-session-<pid>``, so runs side by side do not
clobber each other's.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import aiohttp

from assistant.dialogue_names import META_KB_ENTRY
from bench.common import APOLOGY_ENTRY
from bench.load import percentile
from bench.load_messages import GREETINGS, SIDE_EFFECTS, THANKS, TOPICS

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "reports" / "web_session"
SERVER_ENV = {
    "WEB_RATE_MESSAGES_PER_MIN": "0",
    "WEB_RATE_ADDRESS_MESSAGES_PER_MIN": "0",
    "WEB_RATE_ADDRESS_SESSIONS_PER_10_MIN": "0",
    "WEB_REPLY_TIMEOUT_S": "60",
}
TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Sample:
    index: int  # the message's number, from 0
    kind: str  # "message", "retry" or "history"
    ms: float
    ok: bool


def phrases() -> Iterator[str]:
    """Ordinary patient questions, round and round (nothing that triggers triage)."""
    return itertools.cycle([*GREETINGS, *TOPICS, *SIDE_EFFECTS, *THANKS])


class WebVisitor:
    """One browser tab: the session cookie, the Origin header, JSON bodies."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base.rstrip("/")
        self.headers = {"Origin": self.base.split("/webhooks")[0]}

    async def _timed(self, method: str, path: str, body: Any = None) -> tuple[float, int, Any]:
        started = time.perf_counter()
        async with self.session.request(
            method,
            self.base + path,
            json=body,
            headers=self.headers,
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
        ) as reply:
            data = await reply.json(content_type=None)
        return (time.perf_counter() - started) * 1000, reply.status, data

    async def start(self) -> None:
        _, status, data = await self._timed("POST", "/session", {})
        if status != 200:
            raise SystemExit(f"POST /session answered {status}: {data}")

    async def say(self, index: int, text: str, client_id: str, kind: str) -> Sample:
        ms, status, data = await self._timed(
            "POST", "/message", {"text": text, "client_id": client_id}
        )
        messages = data.get("messages") if isinstance(data, dict) else None
        ok = status == 200 and bool(messages)
        ok = ok and not any(m.get(META_KB_ENTRY) == APOLOGY_ENTRY for m in messages or [])
        return Sample(index, kind, ms, ok)

    async def history(self, index: int) -> Sample:
        ms, status, _ = await self._timed("GET", "/history")
        return Sample(index, "history", ms, status == 200)


async def drive(
    base: str, messages: int, retry_every: int, history_every: int, block: int
) -> List[Sample]:
    samples: List[Sample] = []
    jar = aiohttp.CookieJar(unsafe=True)  # keep the cookie of a server on an IP address
    started = time.perf_counter()
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        visitor = WebVisitor(session, base)
        await visitor.start()
        for index, text in zip(range(messages), phrases(), strict=False):
            client_id = str(uuid.uuid4())
            samples.append(await visitor.say(index, text, client_id, "message"))
            if retry_every and index % retry_every == retry_every - 1:
                samples.append(await visitor.say(index, text, client_id, "retry"))
            if history_every and index % history_every == history_every - 1:
                samples.append(await visitor.history(index))
            if (index + 1) % block == 0:
                row = summarize(samples, block)[-1]
                print(
                    f"[web_session {time.perf_counter() - started:7.0f} s] {index + 1:5d} "
                    f"messages: block p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, "
                    f"retry p50 {row['retry_p50_ms']} ms, errors {row['errors']}",
                    flush=True,
                )
    return samples


def _ms(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 1)


def summarize(samples: Sequence[Sample], block: int) -> List[Dict[str, Any]]:
    """One row per block of ``block`` messages (retries and history reads by their message)."""
    rows: List[Dict[str, Any]] = []
    last = max((s.index for s in samples), default=-1)
    for start in range(0, last + 1, block):
        inside = [s for s in samples if start <= s.index < start + block]
        new = [s.ms for s in inside if s.kind == "message"]
        retries = [s.ms for s in inside if s.kind == "retry"]
        history = [s.ms for s in inside if s.kind == "history"]
        rows.append(
            {
                "first": start + 1,
                "last": start + len(new),
                "mean_ms": _ms(statistics.fmean(new)) if new else None,
                "p50_ms": _ms(percentile(new, 50)),
                "p95_ms": _ms(percentile(new, 95)),
                "retry_p50_ms": _ms(percentile(retries, 50)),
                "retry_p95_ms": _ms(percentile(retries, 95)),
                "history_ms": _ms(statistics.fmean(history)) if history else None,
                "errors": sum(1 for s in inside if not s.ok),
            }
        )
    return rows


def write_csv(path: Path, rows: Sequence[Dict[str, Any]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot(samples: Sequence[Sample], blocks: Sequence[Dict[str, Any]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4.5))
    new = [s for s in samples if s.kind == "message"]
    axis.scatter([s.index + 1 for s in new], [s.ms for s in new], s=2, alpha=0.25, color="grey")
    middles = [(b["first"] + b["last"]) / 2 for b in blocks]
    for key, style, label in (
        ("p50_ms", "-o", "new message p50"),
        ("p95_ms", "--o", "new message p95"),
        ("retry_p50_ms", "-s", "retried message p50 (channel only)"),
    ):
        axis.plot(middles, [b[key] for b in blocks], style, label=label)
    axis.set_yscale("log")
    axis.set_xlabel("message number in the session")
    axis.set_ylabel("round trip (ms, log scale)")
    axis.set_title("One web chat session: latency by block")
    axis.legend(fontsize=8)
    axis.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    path = out / "latency.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def ratio(first: Optional[float], last: Optional[float]) -> str:
    return f"{last / first:.2f}x" if first and last is not None else "n/a"


def report(samples: Sequence[Sample], blocks: Sequence[Dict[str, Any]], elapsed_s: float) -> str:
    lines = [
        "block            mean     p50     p95   retry p50  history  errors",
    ]
    for b in blocks:
        lines.append(
            f"{b['first']:5d}-{b['last']:<5d} {b['mean_ms']!s:>8} {b['p50_ms']!s:>7} "
            f"{b['p95_ms']!s:>7} {b['retry_p50_ms']!s:>10} {b['history_ms']!s:>8} "
            f"{b['errors']:>6}"
        )
    first, last = blocks[0], blocks[-1]
    count = sum(1 for s in samples if s.kind == "message")
    retries = sum(1 for s in samples if s.kind == "retry")
    ratios = ", ".join(
        f"{name} {ratio(first[key], last[key])}"
        for name, key in (
            ("mean", "mean_ms"),
            ("p50", "p50_ms"),
            ("p95", "p95_ms"),
            ("retry p50", "retry_p50_ms"),
        )
    )
    lines.append(
        f"{count} messages (+{retries} retries) in {elapsed_s / 60:.1f} min; "
        f"last/first block: {ratios}"
    )
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--block", type=int, default=500)
    parser.add_argument("--retry-every", type=int, default=10, help="0: no retries")
    parser.add_argument("--history-every", type=int, default=500, help="0: no history reads")
    parser.add_argument("--base", help="a running server's web channel, e.g. http://HOST:5005")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where the CSVs and chart go")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    deployment = None
    if args.base:
        base = args.base.rstrip("/")
        base = base if base.endswith("/webhooks/web") else base + "/webhooks/web"
    else:
        from assistant.ops.train import ensure_model
        from bench.servers import deploy

        name = f"web-session-{os.getpid()}"
        deployment = deploy(name, ensure_model(ROOT), dict(SERVER_ENV))
        base = deployment.url.replace("/rest/webhook", "/web")
    started = time.perf_counter()
    try:
        samples = asyncio.run(
            drive(base, args.messages, args.retry_every, args.history_every, args.block)
        )
    finally:
        if deployment is not None:
            deployment.stop()
    elapsed = time.perf_counter() - started
    blocks = summarize(samples, args.block)
    write_csv(out / "messages.csv", [s.__dict__ for s in samples])
    write_csv(out / "blocks.csv", blocks)
    chart = plot(samples, blocks, out)
    print(report(samples, blocks, elapsed))
    print(f"Wrote {out / 'messages.csv'}, {out / 'blocks.csv'} and {chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
