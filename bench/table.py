"""``make bench``'s comparison table: one row per measure, with ours, ours with the Rasa patches
switched off, stock Rasa, and the two ratios (ours / stock; ours / patches off, which is the
patch layer's own effect). ``bench.report`` turns the rows into markdown and console text.

The NLU rows come in pairs, English and Spanish held-out sets; the load levels mix both
languages, and some latency rows split them by the conversation's language."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

from assistant.dialogue_names import LANGUAGE_EN, LANGUAGE_ES, LANGUAGES
from bench.common import (
    LABELS,
    LEVELS,
    NLU_RESULTS,
    OURS,
    PACED_CONVERSATIONS,
    PACED_LEVEL,
    PACED_THINK_S,
    PATCHES_OFF,
    STOCK,
    TARGET_ACCURACY,
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


def language_value(
    system: Dict[str, Any], concurrency: Any, language: str, key: str
) -> Optional[float]:
    """One figure of one load level for the conversations in ``language`` (``key``: p50, p95,
    p99, requests, errors, answered_in_language); None for runs without the split."""
    level = (system or {}).get("levels", {}).get(str(concurrency)) or {}
    split = level.get("by_language", {}).get(language)
    if not split:
        return None
    if key in ("p50", "p95", "p99"):
        return split.get("latency_ms", {}).get(key)
    return split.get(key)


LANGUAGE_NAMES = {LANGUAGE_EN: "English", LANGUAGE_ES: "Spanish"}
OTHER_NAMES = {LANGUAGE_EN: "Spanish", LANGUAGE_ES: "English"}


def nlu_scores(results: Dict[str, Any], language: str, system: str) -> Dict[str, Any]:
    """One system's held-out scores in one language ({} when not measured)."""
    return dict(results.get(NLU_RESULTS[language], {}).get(system) or {})


def _pct(value: Any) -> str:
    return num(value * 100 if isinstance(value, (int, float)) else None, 1, " %")


def _nlu_row(
    ours: Dict[str, Any],
    stock: Dict[str, Any],
    measure: str,
    field: str,
    fmt: Callable[[Any], str] = _pct,
    target: str = "",
    met: Optional[bool] = None,
    key: bool = False,
) -> Row:
    o, s = ours.get(field), stock.get(field)
    return Row(measure, fmt(o), "", fmt(s), ratio(o, s), "", target, _met(met), key)


def accuracy_target(language: str, ours: Any, stock: Any) -> Tuple[str, Optional[bool]]:
    """(target text, met?) of ours' strict accuracy: ``TARGET_ACCURACY`` in each language and,
    in English, at least stock's (the comparison gate from before the Spanish work)."""
    floor = TARGET_ACCURACY[language]
    target = f">= {floor * 100:g} %"
    met = None if ours is None else ours >= floor
    if language != LANGUAGE_EN:
        return target, met
    if met is None or stock is None:
        return f">= stock, {target}", None
    return f">= stock, {target}", met and ours >= stock


def nlu_rows(results: Dict[str, Any]) -> List[Row]:
    """The held-out NLU rows, English then Spanish (no patches-off cells: the same model)."""
    rows: List[Row] = []
    for language in LANGUAGES:
        ours, stock = nlu_scores(results, language, OURS), nlu_scores(results, language, STOCK)
        name = LANGUAGE_NAMES[language]
        target, met = accuracy_target(language, ours.get("accuracy"), stock.get("accuracy"))
        measures = (
            (f"NLU accuracy, held-out {name} (strict)", "accuracy"),
            (f"NLU top-1 accuracy, {name} (best guess, before the fallback)", "top1_accuracy"),
            (f"NLU macro-F1, held-out {name}", "macro_f1"),
            (f"Out-of-scope recall, {name} (out_of_scope or fallback)", "oos_recall"),
            (f"Emergency recall, {name}", "emergency_recall"),
            (f"Fallback rate, held-out {name}", "fallback_rate"),
            (f"{name} messages detected as {name} (language detector)", "language_detected"),
            (f"{name} messages misread as {OTHER_NAMES[language]}", "language_misread"),
        )
        for measure, field in measures:
            if field == "accuracy":
                rows.append(_nlu_row(ours, stock, measure, field, _pct, target, met, key=True))
            elif field == "macro_f1":
                rows.append(_nlu_row(ours, stock, measure, field, lambda v: num(v, 3)))
            else:
                rows.append(_nlu_row(ours, stock, measure, field))
    return rows


def _at_most(value: Any, limit: float, unit: str) -> Tuple[str, Optional[bool]]:
    """(target text, met?) for an upper bound; unknown when ``value`` is missing."""
    return f"<= {limit:.0f} {unit}", None if value is None else value <= limit


def table_rows(results: Dict[str, Any]) -> List[Row]:
    """Every row of the comparison, in the report's order."""
    ours, stock = results.get(OURS) or {}, results.get(STOCK) or {}
    off = results.get(PATCHES_OFF) or {}
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

    rows.extend(nlu_rows(results))
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
    split_levels: Tuple[Tuple[str, str], ...] = (
        ("8", "8 concurrent, back to back"),
        (PACED_LEVEL, f"{PACED_CONVERSATIONS} at a patient's pace"),
    )
    for level, where in split_levels:
        for key in ("p50", "p99"):
            for language in LANGUAGES:
                row(
                    f"REST latency {key} @ {where}, {LANGUAGE_NAMES[language]} conversations",
                    language_value(ours, level, language, key),
                    language_value(stock, level, language, key),
                    ms,
                    p=language_value(off, level, language, key),
                    key=level == PACED_LEVEL and key == "p99" and language == LANGUAGE_ES,
                )
    for language in LANGUAGES:
        row(
            f"Turns answered in the conversation's language @ 8 concurrent, "
            f"{LANGUAGE_NAMES[language]}",
            language_value(ours, 8, language, "answered_in_language"),
            language_value(stock, 8, language, "answered_in_language"),
            _pct,
            p=language_value(off, 8, language, "answered_in_language"),
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
        "RSS, Rasa server after load (ours: with the language detector)",
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
    detector = results.get("detector_memory") or {}
    row(
        "Language detector (lingua, English + Spanish): RSS kept, in a fresh process",
        detector.get("detector_mb"),
        None,
        mb,
        key=True,
    )
    row(
        "Language detector: peak RSS while loading, above the fresh process",
        detector.get("peak_extra_mb"),
        None,
        mb,
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
