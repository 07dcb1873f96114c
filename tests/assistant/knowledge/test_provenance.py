"""Every fact in the knowledge traces to the source page.

Each entry quotes the page verbatim under ``source.quotes``; these tests check that the quotes
are really on the page, and that every number an answer states appears on the page or in the
contacts file. The page is ``../shared/source/immunotherapy-page.txt`` beside the repository
(``$SOURCE_PAGE`` overrides).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from assistant.knowledge import SMS, WEB, KnowledgeBase

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_PAGE = ROOT.parent / "shared" / "source" / "immunotherapy-page.txt"


def _normalize(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2014", "-").replace("\u2013", "-")
    return re.sub(r"\s+", " ", text).strip().lower()


@pytest.fixture(scope="module")
def page() -> str:
    path = Path(os.environ.get("SOURCE_PAGE", DEFAULT_PAGE))
    assert path.is_file(), f"source page not found at {path}; set SOURCE_PAGE"
    return _normalize(path.read_text(encoding="utf-8"))


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
    knowledge: KnowledgeBase, page: str
) -> None:
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
        for kind in (WEB, SMS):
            for number in NUMBER.findall(knowledge.render(entry.id, kind, params).text):
                on_page = re.search(rf"\b{number}\b", page) or WORD_NUMBERS.get(number, "@") in page
                if number not in allowed and not on_page:
                    unexplained.append((entry.id, kind, number))
    assert unexplained == []


def test_every_entry_was_reviewed(knowledge: KnowledgeBase) -> None:
    assert all(entry.last_reviewed.year >= 2026 for entry in knowledge.entries)
