"""Every fact in the knowledge traces to a curated source.

Each entry quotes the page verbatim under ``source.quotes``, and each triage answer also
quotes the red-flag sheet under ``source.red_flags``; these tests check that the quotes are
really there, and that every number an answer states appears on the page or in the contacts
file. The sources are ``../shared/source/immunotherapy-page.txt`` and ``red-flags.md`` beside
the repository (``$SOURCE_PAGE`` / ``$RED_FLAGS`` override). A clone without ``../shared/``
skips the tests that read them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from assistant.knowledge import SMS, WEB, KnowledgeBase
from assistant.triage.tiers import TIER_INTENTS

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ROOT.parent / "shared" / "source"
DEFAULT_PAGE = SOURCES / "immunotherapy-page.txt"
DEFAULT_RED_FLAGS = SOURCES / "red-flags.md"


def _normalize(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2014", "-").replace("\u2013", "-")
    return re.sub(r"\s+", " ", text).strip().lower()


def _source(variable: str, default: Path) -> str:
    path = Path(os.environ.get(variable, default))
    if not path.is_file():
        pytest.skip(f"source not found at {path} (a clone without ../shared/); set {variable}")
    return _normalize(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def page() -> str:
    return _source("SOURCE_PAGE", DEFAULT_PAGE)


@pytest.fixture(scope="module")
def red_flags() -> str:
    return _source("RED_FLAGS", DEFAULT_RED_FLAGS)


def test_every_red_flag_quote_is_in_the_red_flag_sheet(
    knowledge: KnowledgeBase, red_flags: str
) -> None:
    cited = [entry for entry in knowledge.entries if entry.source.red_flags]
    assert cited
    missing = [
        (entry.id, quote)
        for entry in cited
        for quote in entry.source.red_flags.quotes  # type: ignore[union-attr]
        if _normalize(quote) not in red_flags
    ]
    assert missing == []


def test_every_triage_answer_is_pending_or_approved_and_cites_the_sheet(
    knowledge: KnowledgeBase,
) -> None:
    triage = [e for e in knowledge.entries if set(e.intents) & TIER_INTENTS]
    assert len(triage) >= 10
    assert [e.id for e in triage if e.clinical_review not in ("pending", "approved")] == []
    assert [e.id for e in triage if e.source.red_flags is None] == []


def test_every_quote_is_on_the_page(knowledge: KnowledgeBase, page: str) -> None:
    missing = [
        (entry.id, quote)
        for entry in knowledge.entries
        for quote in entry.source.quotes
        if _normalize(quote) not in page
    ]
    assert missing == []


def test_topic_answers_quote_the_page(knowledge: KnowledgeBase) -> None:
    topic_entries = [
        e
        for e in knowledge.entries
        if e.id.split(".")[0]
        in {"immunotherapy", "treatment", "side_effects", "cancer_origin", "infusion", "other"}
    ]
    assert topic_entries
    assert [e.id for e in topic_entries if not e.source.quotes] == []


NUMBER = re.compile(r"\d+")
WORD_NUMBERS = {"18": "eighteen", "16": "sixteen", "24": "24", "3": "three", "7": "seven"}


def test_every_number_stated_is_on_the_page_or_in_contacts(
    knowledge: KnowledgeBase, page: str, red_flags: str
) -> None:
    """Numbers come from the page or the contacts; a triage answer (one that cites the
    red-flag sheet) may also state the sheet's numbers, such as 988's "press 2"."""
    contacts = knowledge.contacts
    allowed = set(
        NUMBER.findall(
            " ".join(
                [
                    contacts.support_line.digits,
                    contacts.support_line.tel,
                    contacts.support_line.hours_text,
                    contacts.emergency_number,
                    contacts.crisis_line,
                    contacts.example_phone,
                ]
            )
        )
    )
    unexplained = []
    for entry in knowledge.entries:
        params = {name: "" for name in entry.params}
        for kind, language in ((WEB, "en"), (SMS, "en"), (WEB, "es"), (SMS, "es")):
            text = knowledge.render(entry.id, kind, params, language).text
            for number in NUMBER.findall(text):
                on_page = re.search(rf"\b{number}\b", page) or WORD_NUMBERS.get(number, "@") in page
                on_sheet = entry.source.red_flags is not None and re.search(
                    rf"\b{number}\b", red_flags
                )
                if number not in allowed and not on_page and not on_sheet:
                    unexplained.append((entry.id, kind, language, number))
    assert unexplained == []


def test_every_entry_was_reviewed(knowledge: KnowledgeBase) -> None:
    assert all(entry.last_reviewed.year >= 2026 for entry in knowledge.entries)
