"""``python -m assistant.ops.sms_segments``: how many SMS segments each answer costs.

Every knowledge entry's SMS form is rendered as the channel would send it (run-time
placeholders filled with 24-character stand-ins): in Spanish, counted with its accents kept
(an "ó" makes the whole text UCS-2: 70 characters a segment, 67 when concatenated) and folded
to GSM-7 the way the SMS channel sends it (160, 153); and in English. Prints a table and the
totals (sum, mean, max); ``--json PATH`` also writes them (e.g. to ``reports/``). Entries whose
Spanish is missing or out of date are listed apart (they would go out in English).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from assistant.channels.sms.segments import (
    fold_for_sms,
    is_gsm7,
    replace_typography,
    segment_count,
)
from assistant.knowledge import EN, ES, SMS, KnowledgeBase, load_knowledge

STAND_IN_CHARS = 24  # a run-time value (a name, a button title, a menu) as measured
STAND_IN = "X" * STAND_IN_CHARS


@dataclass(frozen=True)
class EntrySegments:
    entry_id: str
    chars_es: int
    es_kept: int  # segments of the Spanish text with its accents
    es_folded: int  # segments once folded to GSM-7 (what the channel sends)
    en: int  # segments of the English text
    ucs2_characters: str  # the Spanish text's characters outside GSM-7, in order of use


@dataclass(frozen=True)
class Totals:
    texts: int
    sum: int
    mean: float
    max: int


@dataclass(frozen=True)
class SegmentReport:
    entries: List[EntrySegments]
    untranslated: List[str]  # Spanish missing or stale: sent in English
    totals: Dict[str, Totals] = field(default_factory=dict)  # es_kept, es_folded, en


def _totals(counts: Sequence[int]) -> Totals:
    if not counts:
        return Totals(0, 0, 0.0, 0)
    return Totals(len(counts), sum(counts), round(sum(counts) / len(counts), 2), max(counts))


def _sms_text(knowledge: KnowledgeBase, entry_id: str, language: str) -> tuple[str, str]:
    """The entry's SMS text in ``language`` as rendered, and the language it came out in."""
    entry = knowledge.get(entry_id)
    params = {name: STAND_IN for name in entry.params}
    rendered = knowledge.render(entry_id, SMS, params, language=language)
    return rendered.text, rendered.language


def measure(knowledge: KnowledgeBase) -> SegmentReport:
    """The segment counts of every entry's Spanish (kept and folded) and English SMS text."""
    rows: List[EntrySegments] = []
    untranslated: List[str] = []
    english: List[int] = []
    for entry in sorted(knowledge.entries, key=lambda e: e.id):
        text_en, _ = _sms_text(knowledge, entry.id, EN)
        english.append(segment_count(fold_for_sms(text_en)))
        text_es, language = _sms_text(knowledge, entry.id, ES)
        if language != ES:
            untranslated.append(entry.id)
            continue
        kept = replace_typography(
            text_es
        )  # typography is always replaced; accents are the question
        outside = "".join(dict.fromkeys(ch for ch in kept if not is_gsm7(ch)))
        rows.append(
            EntrySegments(
                entry_id=entry.id,
                chars_es=len(text_es),
                es_kept=segment_count(kept),
                es_folded=segment_count(fold_for_sms(text_es)),
                en=english[-1],
                ucs2_characters=outside,
            )
        )
    totals = {
        "es_kept": _totals([row.es_kept for row in rows]),
        "es_folded": _totals([row.es_folded for row in rows]),
        "en_translated": _totals([row.en for row in rows]),
        "en_all": _totals(english),
    }
    return SegmentReport(rows, untranslated, totals)


def format_report(report: SegmentReport) -> str:
    """The table and totals as plain text."""
    width = max([len(row.entry_id) for row in report.entries] + [len("entry")])
    lines = [f"{'entry':<{width}}  chars  es kept  es folded  en  outside GSM-7"]
    for row in report.entries:
        lines.append(
            f"{row.entry_id:<{width}}  {row.chars_es:>5}  {row.es_kept:>7}  "
            f"{row.es_folded:>9}  {row.en:>2}  {row.ucs2_characters}"
        )
    lines.append("")
    lines.append(f"{'segments':<16} {'texts':>5} {'sum':>5} {'mean':>6} {'max':>4}")
    for name, totals in report.totals.items():
        lines.append(
            f"{name:<16} {totals.texts:>5} {totals.sum:>5} {totals.mean:>6.2f} {totals.max:>4}"
        )
    forced = sum(1 for row in report.entries if row.ucs2_characters)
    lines.append("")
    lines.append(
        f"Spanish texts that accents would send as UCS-2: {forced} of {len(report.entries)}"
    )
    if report.untranslated:
        lines.append(
            f"Not measured in Spanish (translation missing or stale, {len(report.untranslated)}): "
            + ", ".join(report.untranslated)
        )
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--knowledge", default="data/knowledge", type=Path)
    parser.add_argument("--json", type=Path, help="also write the numbers here (e.g. reports/)")
    args = parser.parse_args(argv)
    report = measure(load_knowledge(args.knowledge))
    print(format_report(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
