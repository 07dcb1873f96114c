"""``make bench``'s comparison table: one row per measure, with ours, ours with the Rasa patches
switched off, stock Rasa, and the two ratios (ours / stock; ours / patches off, which is the
patch layer's own effect). ``bench.report`` turns the rows into markdown and console text."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

from bench.common import (
    LABELS,
    LEVELS,
    OURS,
    PACED_CONVERSATIONS,
    PACED_LEVEL,
    PACED_THINK_S,
    PATCHES_OFF,
    STOCK,
    TARGET_P99_8_MS,
    TARGET_READY_S,
    TARGET_RSS_MB,
    TARGET_THROUGHPUT_RATIO,
    TARGET_TRAIN_S,
)

HEADER = (
    "measure",
    LABELS[OURS],
    LABELS[PATCHES_OFF],
    LABELS[STOCK],
    "ours / stock",
    "ours / patches off",
    "target",
    "met?",
)


class Row(NamedTuple):
    measure: str
    ours: str
    patches_off: str  # "" where the patches-off run does not apply (same model: NLU, size)
    stock: str
    vs_stock: str
    vs_patches_off: str
    target: str
    met: str
    key: bool = False  # one of the headline figures (docs/performance.md's summary)

    def cells(self) -> Tuple[str, ...]:
        """The eight shown cells (without ``key``)."""
        return (
            self.measure,
            self.ours,
            self.patches_off,
            self.stock,
            self.vs_stock,
            self.vs_patches_off,
            self.target,
            self.met,
        )


_NOT_RUN = object()  # a measure the patches-off run does not take


def num(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value}{unit}"


def ratio(ours: Any, other: Any) -> str:
    if not isinstance(ours, (int, float)) or not isinstance(other, (int, float)) or not other:
        return "n/a"
    value = ours / other
    if value == 0:
        return "0x"
    return f"{value:.3f}x" if value >= 0.01 else f"{value:.1e}x"


def _met(flag: Optional[bool]) -> str:
    return "" if flag is None else ("yes" if flag else "**NO**")


def level_value(system: Dict[str, Any], concurrency: Any, key: str) -> Optional[float]:
    """One figure of one load level (``key``: p50/p95/p99, msg_per_s, errors, slow, cpu_*)."""
    level = (system or {}).get("levels", {}).get(str(concurrency))
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


def _at_most(value: Any, limit: float, unit: str) -> Tuple[str, Optional[bool]]:
    """(target text, met?) for an upper bound; unknown when ``value`` is missing."""
    return f"<= {limit:.0f} {unit}", None if value is None else value <= limit


def table_rows(results: Dict[str, Any]) -> List[Row]:
    """Every row of the comparison, in the report's order."""
    ours, stock = results.get(OURS) or {}, results.get(STOCK) or {}
    off = results.get(PATCHES_OFF) or {}
    nlu_o = results.get("nlu", {}).get(OURS, {})
    nlu_s = results.get("nlu", {}).get(STOCK, {})
    rows: List[Row] = []

    def row(
        measure: str,
        o: Any,
        s: Any,
        fmt: Callable[[Any], str],
        target: str = "",
        met: Optional[bool] = None,
        p: Any = _NOT_RUN,
        key: bool = False,
    ) -> None:
        p_cell, p_ratio = ("", "") if p is _NOT_RUN else (fmt(p), ratio(o, p))
        rows.append(
            Row(measure, fmt(o), p_cell, fmt(s), ratio(o, s), p_ratio, target, _met(met), key)
        )

    def level_row(measure: str, concurrency: Any, key: str, fmt: Callable[[Any], str]) -> None:
        """A load-level figure for all three configurations (no target)."""
        o, s = level_value(ours, concurrency, key), level_value(stock, concurrency, key)
        row(measure, o, s, fmt, p=level_value(off, concurrency, key))

    pct = lambda v: num(v * 100 if isinstance(v, (int, float)) else None, 1, " %")  # noqa: E731
    acc_o, acc_s = nlu_o.get("accuracy"), nlu_s.get("accuracy")
    met = None if acc_o is None or acc_s is None else acc_o >= acc_s
    row("NLU accuracy, held-out (strict)", acc_o, acc_s, pct, ">= stock", met, key=True)
    row(
        "NLU top-1 accuracy (best guess, before the fallback threshold)",
        nlu_o.get("top1_accuracy"),
        nlu_s.get("top1_accuracy"),
        pct,
    )
    row("NLU macro-F1, held-out", nlu_o.get("macro_f1"), nlu_s.get("macro_f1"), lambda v: num(v, 3))
    row(
        "Out-of-scope recall (out_of_scope or fallback)",
        nlu_o.get("oos_recall"),
        nlu_s.get("oos_recall"),
        pct,
    )
    row("Emergency recall", nlu_o.get("emergency_recall"), nlu_s.get("emergency_recall"), pct)
    row("Fallback rate, held-out", nlu_o.get("fallback_rate"), nlu_s.get("fallback_rate"), pct)
    ms = lambda v: num(v, 0 if isinstance(v, float) and v >= 100 else 1, " ms")  # noqa: E731
    for concurrency in LEVELS:
        for key in ("p50", "p95", "p99"):
            o, s = level_value(ours, concurrency, key), level_value(stock, concurrency, key)
            p99_at_8 = concurrency == 8 and key == "p99"
            target, met = _at_most(o, TARGET_P99_8_MS, "ms") if p99_at_8 else ("", None)
            row(
                f"REST latency {key} @ {concurrency} concurrent, back to back",
                o,
                s,
                ms,
                target,
                met,
                p=level_value(off, concurrency, key),
                key=concurrency == 8 and key in ("p50", "p99"),
            )
    for key in ("p50", "p95", "p99"):
        o, s = level_value(ours, PACED_LEVEL, key), level_value(stock, PACED_LEVEL, key)
        target, met = _at_most(o, TARGET_P99_8_MS, "ms") if key == "p99" else ("", None)
        row(
            f"REST latency {key} @ {PACED_CONVERSATIONS} conversations at a patient's pace "
            f"(next message {PACED_THINK_S / 2:g}-{PACED_THINK_S * 1.5:g} s after the reply)",
            o,
            s,
            ms,
            target,
            met,
            p=level_value(off, PACED_LEVEL, key),
            key=key == "p99",
        )
    for concurrency in (32, 8):
        o, s = (
            level_value(ours, concurrency, "msg_per_s"),
            level_value(stock, concurrency, "msg_per_s"),
        )
        met = None if o is None or s is None else o >= TARGET_THROUGHPUT_RATIO * s
        row(
            f"Sustained msg/s @ {concurrency} concurrent, back to back",
            o,
            s,
            lambda v: num(v, 1),
            f">= {TARGET_THROUGHPUT_RATIO:.0f}x stock",
            met,
            p=level_value(off, concurrency, "msg_per_s"),
            key=True,
        )

    def errors(system: Dict[str, Any]) -> Optional[float]:
        every_level = (*LEVELS, PACED_LEVEL)
        return sum(level_value(system, c, "errors") or 0 for c in every_level) if system else None

    row("Errors during the load levels", errors(ours), errors(stock), num, p=errors(off))
    for concurrency in (8, 32):
        level_row(
            f"Turns slower than 2.5 s (deployed apology threshold) @ {concurrency}",
            concurrency,
            "slow",
            num,
        )
    for key, server in (("cpu_rasa", "Rasa server"), ("cpu_action", "action server")):
        o, s = level_value(ours, 8, key), level_value(stock, 8, key)
        row(
            f"CPU time per message, {server} (@ 8 concurrent)",
            o,
            s,
            lambda v: num(v, 1, " ms"),
            p=level_value(off, 8, key),
            key=key == "cpu_rasa",
        )
    sec = lambda v: num(v, 1, " s")  # noqa: E731
    for field, what, headline in (
        ("ready_rasa_s", "Rasa server (first 200)", True),
        ("ready_total_s", "action + Rasa server", False),
    ):
        o = ours.get(field)
        row(
            f"Start to ready, {what}",
            o,
            stock.get(field),
            sec,
            *_at_most(o, TARGET_READY_S, "s"),
            p=off.get(field),
            key=headline,
        )
    mb = lambda v: num(v, 0, " MB")  # noqa: E731
    memory = {
        name: system.get("rss_after_load", {})
        for name, system in (("o", ours), ("s", stock), ("p", off))
    }
    o = memory["o"].get("rasa_mb")
    row(
        "RSS, Rasa server after load",
        o,
        memory["s"].get("rasa_mb"),
        mb,
        *_at_most(o, TARGET_RSS_MB, "MB"),
        p=memory["p"].get("rasa_mb"),
        key=True,
    )
    row(
        "RSS, action server after load",
        memory["o"].get("action_mb"),
        memory["s"].get("action_mb"),
        mb,
        p=memory["p"].get("action_mb"),
    )
    row("Model file size", ours.get("model_mb"), stock.get("model_mb"), lambda v: num(v, 2, " MB"))
    training = results.get("training", {})
    o = training.get("ours_s")
    row(
        "Full training from scratch",
        o,
        training.get("stock_s"),
        sec,
        *_at_most(o, TARGET_TRAIN_S, "s"),
        key=True,
    )
    return rows
