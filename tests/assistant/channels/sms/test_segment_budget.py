"""``python -m assistant.ops.sms_segments``: every Spanish SMS answer, as the channel sends it
(folded to GSM-7), fits the 2-segment budget of the English ones; kept accents would not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.knowledge import KnowledgeBase
from assistant.ops.sms_segments import format_report, main, measure

BUDGET = 2  # segments per answer, as for the English texts


def test_every_spanish_sms_answer_fits_the_budget_once_folded(knowledge: KnowledgeBase) -> None:
    report = measure(knowledge)
    assert report.entries, "no Spanish SMS text was measured"
    over = [row.entry_id for row in report.entries if row.es_folded > BUDGET]
    assert over == []
    assert report.totals["es_folded"].max <= BUDGET


def test_folding_is_what_keeps_spanish_cheap(knowledge: KnowledgeBase) -> None:
    totals = measure(knowledge).totals
    assert totals["es_kept"].sum > totals["es_folded"].sum
    assert totals["es_folded"].sum >= totals["en_translated"].sum  # Spanish runs longer


def test_the_report_prints_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "reports" / "sms_segments.json"
    main(["--json", str(out)])
    printed = capsys.readouterr().out
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data["totals"]) == {"es_kept", "es_folded", "en_translated", "en_all"}
    assert "sms.help" in printed and "es folded" in printed
    assert len(data["entries"]) == data["totals"]["es_folded"]["texts"]


def test_untranslated_entries_are_listed_apart(knowledge: KnowledgeBase) -> None:
    report = measure(knowledge)
    measured = {row.entry_id for row in report.entries}
    assert measured.isdisjoint(report.untranslated)
    assert measured | set(report.untranslated) == {entry.id for entry in knowledge.entries}
    assert ("Not measured in Spanish" in format_report(report)) == bool(report.untranslated)
