"""``make bench``'s report: ``reports/bench.md``, ``reports/bench/results.json``, the charts,
the printed summary, and the generated summary block of ``docs/performance.md``.

The block is the part of ``docs/performance.md`` between a line ``<!-- bench:start -->`` and a
line ``<!-- bench:end -->``: a full run replaces it with the latest headline figures (date,
mode, CPU cores, and ours / stock / ours with patches off, with both ratios). A file without
the two markers is left alone, with a printed note; so is the file after a ``--quick`` run,
whose numbers are indicative only.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from bench.common import (
    LABELS,
    OUT_DIR,
    PATCHES_OFF,
    PATCHES_OFF_ENV,
    PERFORMANCE_DOC,
    REPORT,
    ROOT,
    SOAK_CONCURRENCY,
    step,
)
from bench.table import HEADER, Row, level_value, num, ratio, table_rows

BLOCK_START = "<!-- bench:start -->"
BLOCK_END = "<!-- bench:end -->"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _markdown_table(header: List[str], rows: List[List[str]]) -> List[str]:
    """A markdown table: figures right-aligned; the measure, target and met? left-aligned."""
    align = [
        "---" if index == 0 or name in ("target", "met?") else "---:"
        for index, name in enumerate(header)
    ]
    lines = [f"| {' | '.join(header)} |", f"|{'|'.join(align)}|"]
    return lines + [f"| {' | '.join(row)} |" for row in rows]


def _mix_sentence(meta: Dict[str, Any]) -> str:
    """What the load sent, by language (runs before the Spanish work sent English only)."""
    share = meta.get("spanish_share")
    if share is None:
        return "The load sent English conversations only."
    return (
        f"The load sends {100 - share * 100:g} % of its conversations in English and "
        f"{share * 100:g} % in Spanish (one language per conversation, drawn from a fixed "
        "seed, so every configuration gets the same mix); the per-language rows split the "
        "latencies by the conversation's language. NLU is scored on the English "
        "(`tests/nlu/heldout.yml`) and the Spanish (`tests/nlu/heldout_es.yml`) held-out "
        "sets; stock's config is the English `rasa init` one, trained on the same data, both "
        "languages included: its Spanish rows are what stock Rasa would give a Spanish "
        "speaker."
    )


def _meta_line(meta: Dict[str, Any]) -> str:
    cpu = f" ({meta['cpu_model']})" if meta.get("cpu_model") else ""
    return (
        f"Run {meta['started']} ({meta['mode']} mode) on {meta['cpus']} CPUs{cpu}; "
        f"load average at start {meta['loadavg_start']}, at end {meta.get('loadavg_end', 'n/a')}"
    )


# ---------------------------------------------------------------- reports/bench.md


def markdown(results: Dict[str, Any]) -> str:
    meta = results["meta"]
    switch = " ".join(f"{k}={v}" for k, v in PATCHES_OFF_ENV.items())
    lines = [
        "# Benchmark: this project vs stock Rasa 3.6",
        "",
        f"{_meta_line(meta)}; the whole run took {meta.get('total_min', 'n/a')} min.",
        "",
        "Stock = the `rasa init` default config (`bench/stock_config.yml`) trained on our "
        "domain.yml and data, served by plain `rasa run` with Rasa's own SQL tracker store. "
        "Ours = this project as `make run` serves it: `python -m assistant.rasa_server run` "
        "(Rasa with the patch layer in `assistant/rasa_server/`) and "
        "`assistant.stores.tracker_store.StrictSQLTrackerStore`. Ours, patches off = the same "
        f"model and servers with `{switch}`: Rasa's own internals under our channels, tracker "
        "store and action server, measured at the same load levels (not trained, scored, "
        "soaked or scaled separately: the model is the same), so ours / patches off is the "
        "patch layer's own effect. All use our action server, REST channel and an SQLite "
        "file. Latencies are client-side round trips from a separate load process. At 1, 8 "
        "and 32 concurrent, each virtual user sends its next message as soon as the reply "
        "arrives (back to back: the server at saturation); the paced level waits 0.5-1.5 s "
        "after each reply, as a patient reading and typing would (longer, in life). "
        f"{_mix_sentence(meta)}",
        "",
    ]
    lines += _markdown_table(list(HEADER), [list(row.cells()) for row in table_rows(results)])
    training = results.get("training", {})
    if training.get("stock_note"):
        lines += ["", f"Stock training time: {training['stock_note']}"]
    lines += ["", "## Lever: 2 Sanic workers + Redis lock store (ours)", ""]
    lines += _lever_lines(results)
    lines += ["", f"## Soak (ours, {SOAK_CONCURRENCY} concurrent conversations)", ""]
    lines += _soak_lines(results.get("soak"))
    lines += ["", "## Charts", ""]
    lines += [f"![{p}](bench/{p})" for p in results.get("plots", [])]
    lines += ["", "## Caveats", ""]
    lines += [f"- {c}" for c in results.get("caveats", [])]
    failures = results.get("failures", [])
    if failures:
        lines += ["", "## What failed", ""] + [f"- {f}" for f in failures]
    return "\n".join(lines) + "\n"


def _lever_lines(results: Dict[str, Any]) -> List[str]:
    lever = results.get("lever", {})
    if lever.get("status") != "ok":
        lines = [f"Not measured: {lever.get('status', 'not run')}: {lever.get('why', '')}"]
        if lever.get("log_tail"):
            lines += ["", "```", lever["log_tail"], "```"]
        return lines
    base = results.get("ours", {})
    rows: List[List[str]] = []
    for concurrency in (8, 32):
        for key, unit in (("msg_per_s", " msg/s"), ("p50", " ms"), ("p99", " ms")):
            one, two = level_value(base, concurrency, key), level_value(lever, concurrency, key)
            rows.append(
                [f"{key} @ {concurrency}", num(one, 1, unit), num(two, 1, unit), ratio(two, one)]
            )
        one, two = (
            level_value(base, concurrency, "errors"),
            level_value(lever, concurrency, "errors"),
        )
        rows.append([f"errors @ {concurrency}", num(one), num(two), ""])
    one = base.get("rss_after_load", {}).get("rasa_mb")
    two = lever.get("rss_after_load", {}).get("rasa_mb")
    rows.append(
        [
            "RSS, Rasa server (all processes, shared pages counted twice)",
            num(one, 0, " MB"),
            num(two, 0, " MB"),
            ratio(two, one),
        ]
    )
    rows.append(
        [
            "start to ready, Rasa server",
            num(base.get("ready_rasa_s"), 1, " s"),
            num(lever.get("ready_rasa_s"), 1, " s"),
            "",
        ]
    )
    rows.append(
        [
            "every worker has loaded the model",
            "",
            num(lever.get("all_workers_ready_s"), 1, " s"),
            "",
        ]
    )
    setup = (
        f"Setup: {lever['setup']}; Rasa worker processes: {lever.get('sanic_worker_processes')}."
        + (f" {lever['note']}" if lever.get("note") else "")
    )
    header = ["measure", "1 worker", "2 workers + Redis", "ratio"]
    return [setup, "", *_markdown_table(header, rows)]


def _soak_lines(soak: Optional[Dict[str, Any]]) -> List[str]:
    if not soak:
        return ["Not run."]
    load = soak["load"]
    latency = load["latency_ms"]
    errors = f"{load['errors']}" + (
        f" ({json.dumps(load['error_kinds'])})" if load["error_kinds"] else ""
    )
    rows = [
        [f"duration (after {soak['warmup_s']:.0f} s warm-up)", f"{load['duration_s']:.0f} s"],
        ["messages answered", f"{load['ok']:,}"],
        ["sustained msg/s", f"{load['msg_per_s']:.1f}"],
        ["errors", errors],
        [
            "latency p50 / p95 / p99",
            f"{latency['p50']} / {latency['p95']} / {latency['p99']} ms",
        ],
        [
            "Rasa server RSS, first sample after warm-up -> end",
            f"{num(soak['rasa_rss_first_mb'], 0)} -> {num(soak['rasa_rss_last_mb'], 0)} MB "
            f"({num(soak['rasa_rss_growth_pct'], 1, ' %')})",
        ],
        [
            "Rasa server RSS growth over the second half of the soak",
            num(second_half_growth(soak), 2, " %"),
        ],
        [
            "action server RSS, first sample after warm-up -> end",
            f"{num(soak['action_rss_first_mb'], 0)} -> {num(soak['action_rss_last_mb'], 0)} MB "
            f"({num(soak['action_rss_growth_pct'], 1, ' %')})",
        ],
    ]
    return _markdown_table(["measure", "value"], rows)


def second_half_growth(soak: Dict[str, Any]) -> Optional[float]:
    """Rasa server RSS growth from the soak's midpoint to its end (a plateau reads ~0)."""
    samples = [s for s in soak.get("rss_samples", []) if s.get("rasa_mb")]
    if len(samples) < 3:
        return None
    middle = samples[len(samples) // 2]["rasa_mb"]
    return round((samples[-1]["rasa_mb"] - middle) / middle * 100, 2)


def caveats(results: Dict[str, Any]) -> List[str]:
    meta = results["meta"]
    notes = [
        f"{meta['cpus']} CPUs shared by the servers, the load generator and anything "
        "else running on the machine (a 1-minute load average of 2 means both cores busy): "
        f"{meta['loadavg_start']} at the start, {meta.get('loadavg_end')} at the end; per "
        "level in results.json (`loadavg_before`/`loadavg_after`). Training times are the "
        "most exposed to other work.",
        "Ready times are measured by polling every 0.5 s (assistant.ops.processes."
        "wait_for_http, reported through start_servers' on_ready).",
        "RSS is VmRSS from /proc after the 32-concurrent level; with several Sanic workers "
        "the processes' RSS are summed (shared pages counted more than once).",
        "Throughput is closed-loop: each virtual user waits for each reply, so msg/s is the "
        "server's capacity at that concurrency, not an open arrival rate.",
        "All systems use the project's hardened REST channel, action server and an SQLite "
        "file; stock runs plain `rasa run` with Rasa's `SQL` tracker store, ours (patches on "
        "or off) `assistant.rasa_server` with its own store (see the top of the report).",
        "Ours, patches off runs right after ours, at the same levels, so the two see the "
        "most similar machine. " + _switch_note(results.get(PATCHES_OFF)),
        "The comparison levels and the lever run with REST_REPLY_TIMEOUT_S=60, so a slow turn "
        "is measured instead of being replaced by the channel's 2.5 s apology; the soak keeps "
        "the deployed default, so its errors are what patients would see.",
        "CPU time per message is the servers' user+system time (/proc) over the level, "
        "warm-up included, divided by the messages sent.",
        "Ours loads a language detector (lingua, English and Spanish models preloaded) at "
        "start: its RSS is inside the Rasa server's figure; the detector's own share is "
        "measured separately in a fresh Python process (kept after loading, and the peak "
        "while loading), which stock does not load.",
        "A turn counts as answered in the conversation's language when every reply carries "
        "that `language` annotation. Stock's NLU detects no language, so our actions have "
        "no signal and should answer its Spanish conversations in English (the default); "
        "the row shows what they did.",
    ]
    during = [
        f"{LABELS[name]} @ {c}: {level.get('loadavg_before', '?').split()[0]}"
        for name in ("ours", PATCHES_OFF, "stock")
        for c, level in (results.get(name) or {}).get("levels", {}).items()
    ]
    if during:
        notes.append("1-minute load average when each level started: " + ", ".join(during) + ".")
    if meta["mode"] == "quick":
        notes.append("Quick mode: short levels and soak; numbers are indicative only.")
    return notes


def _switch_note(off: Optional[Dict[str, Any]]) -> str:
    if not off:
        return "It was not measured in this run."
    seen = off.get("switch_in_log")
    if seen is None:
        return "Whether its server took the switch was not recorded."
    if seen:
        return "Its server's log confirms ASSISTANT_RASA_TUNING=off (stock Rasa internals)."
    return (
        "**Its server's log never mentions ASSISTANT_RASA_TUNING=off: the switch may have been "
        "ignored, and the column may equal ours.**"
    )


# ---------------------------------------------------------------- docs/performance.md


def performance_block(results: Dict[str, Any]) -> str:
    """The headline figures for docs/performance.md's generated block (markdown)."""
    meta = results["meta"]
    cpu = f" ({meta['cpu_model']})" if meta.get("cpu_model") else ""
    lines = [
        f"Latest `make bench`: {meta['started']} ({meta['mode']} mode), {meta['cpus']} CPU "
        f"cores{cpu}, load average {meta['loadavg_start']} at the start. Generated from "
        "`reports/bench/results.json` (the full report is `reports/bench.md`); ours / patches "
        "off is the effect of the Rasa patch layer (`assistant/rasa_server/`) alone.",
        "",
    ]
    headline = [row for row in table_rows(results) if row.key]
    lines += _markdown_table(list(HEADER[:6]), [list(row.cells()[:6]) for row in headline])
    soak = results.get("soak")
    if soak:
        load = soak["load"]
        lines += [
            "",
            f"Soak: {load['duration_s']:.0f} s at {SOAK_CONCURRENCY} concurrent, "
            f"{load['errors']} errors, {load['msg_per_s']:.1f} msg/s, Rasa server RSS growth "
            f"{num(soak['rasa_rss_growth_pct'], 1, ' %')}.",
        ]
    failures = results.get("failures", [])
    if failures:
        lines += ["", f"{len(failures)} step(s) failed; see `reports/bench.md`."]
    return "\n".join(lines)


def replace_block(text: str, block: str) -> Optional[str]:
    """``text`` with the lines between the bench:start and bench:end marker lines replaced by
    ``block`` (the markers stay); None when the markers are not both there, in that order."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == BLOCK_START]
    if not starts:
        return None
    ends = [i for i, line in enumerate(lines) if line.strip() == BLOCK_END and i > starts[0]]
    if not ends:
        return None
    start, end = starts[0], ends[0]
    return "".join(lines[: start + 1]) + block.rstrip("\n") + "\n" + "".join(lines[end:])


def update_performance_doc(
    results: Dict[str, Any],
    path: Path = PERFORMANCE_DOC,
    say: Callable[[str], None] = print,
) -> bool:
    """Replace the generated block of ``path`` with this run's summary; True if it did. A
    missing file, missing markers or a quick run leave the file alone (``say`` tells why)."""
    if results.get("meta", {}).get("mode") != "full":
        say(f"Note: {_shown(path)} left alone: only a full run updates its summary.")
        return False
    if not path.is_file():
        say(f"Note: {_shown(path)} does not exist: no summary block to update.")
        return False
    updated = replace_block(path.read_text(encoding="utf-8"), performance_block(results))
    if updated is None:
        say(f"Note: {_shown(path)} has no '{BLOCK_START}' ... '{BLOCK_END}' lines: left alone.")
        return False
    path.write_text(updated, encoding="utf-8")
    say(f"Updated the summary block in {_shown(path)}")
    return True


# ---------------------------------------------------------------- writing and printing


def print_rows(table: List[Row]) -> None:
    """Rows as an aligned text table, the header first."""
    rows = [HEADER, *(row.cells() for row in table)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))


def print_summary(results: Dict[str, Any]) -> None:
    print()
    print_rows(table_rows(results))
    soak = results.get("soak")
    if soak:
        print(
            f"\nSoak {soak['load']['duration_s']:.0f} s @ {SOAK_CONCURRENCY}: "
            f"{soak['load']['errors']} errors, {soak['load']['msg_per_s']} msg/s, "
            f"Rasa RSS growth {soak['rasa_rss_growth_pct']} %"
        )
    lever = results.get("lever", {})
    if lever.get("status") == "ok":
        each = ", ".join(
            f"{level_value(lever, c, 'msg_per_s')} msg/s and p99 "
            f"{level_value(lever, c, 'p99')} ms @ {c}"
            for c in (8, 32)
        )
        rss = lever.get("rss_after_load", {}).get("rasa_mb")
        print(f"Lever (2 workers + Redis): {each}; Rasa RSS {rss} MB")
    elif lever:
        print(f"Lever (2 workers + Redis): {lever.get('status')}: {lever.get('why', '')}")
    print(f"\nReport: {_shown(REPORT)}", flush=True)


def write_outputs(results: Dict[str, Any]) -> None:
    """Charts, results.json, reports/bench.md, docs/performance.md's block and the printed
    summary (a failure drawing the charts is recorded, not fatal)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyparsing deprecations from matplotlib 3.5
        from bench.plots import draw

        plots = step(results, "plots", lambda: draw(results, OUT_DIR))
    results["plots"] = [p.name for p in plots or []]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "results.json").write_text(json.dumps(results, indent=1, default=str))
    REPORT.write_text(markdown(results))
    update_performance_doc(results)
    print_summary(results)
