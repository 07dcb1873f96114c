"""The Translations page: every knowledge entry's Spanish state, stale and missing first, over
a small knowledge folder (one current, one stale, one missing translation); the nav's count;
the dashboard's line; who may read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Dict, List

import pytest
from argon2 import PasswordHasher

from assistant.console import accounts
from assistant.console.app import refresh_knowledge
from assistant.console.clinical_review import ReviewKnowledge
from assistant.console.translation_review import translations_view
from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.translations import TranslationStatus
from bench.console_harness import Console, ConsoleClient
from tests.assistant.console.knowledge_folder import console_over, spanish, write_folder

# The fingerprint of some English these entries no longer say.
OLD_ENGLISH = "0123456789ab"
EXPLAINED = (
    "A stale entry answers Spanish speakers in English, with a one-line note in Spanish, "
    "until its translation is updated."
)


def entry(entry_id: str, intent: str, answer: str) -> Dict[str, Any]:
    return {
        "id": entry_id,
        "intents": [intent],
        "answer": answer,
        "sms": answer,
        "source": {"section": "Need Help?"},
        "last_reviewed": "2026-11-26",
    }


def info_entries() -> List[Dict[str, Any]]:
    """info.hours: current (approved); info.rooms: stale (pending); info.parking: missing."""
    hours = spanish(
        entry("info.hours", "ask_infusion_hours", "We are open {support_hours}."),
        "Estamos abiertos {support_hours}.",
        "Estamos abiertos {support_hours}.",
        review="approved",
    )
    rooms = spanish(
        entry("info.rooms", "ask_infusion_rooms", "The infusion rooms are private now."),
        "Las salas de infusión son compartidas.",
        "Las salas de infusión son compartidas.",
        translates=OLD_ENGLISH,
    )
    parking = entry("info.parking", "ask_capabilities", "Parking is validated.")
    return [hours, rooms, parking]


def write_knowledge(directory: Path) -> Path:
    return write_folder(directory, {"info": info_entries()})


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", hasher)


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    return write_knowledge(tmp_path / "knowledge")


@pytest.fixture
async def console(knowledge_dir: Path, tmp_path: Path) -> AsyncIterator[Console]:
    async with console_over(knowledge_dir, tmp_path) as started:
        yield started


@pytest.fixture
async def reviewer(console: Console) -> ConsoleClient:
    return await console.logged_in("rita", "reviewer")


def listed(page: str) -> List[str]:
    """The entry ids in the order the page lists them."""
    ids = []
    for chunk in page.split('id="tr-')[1:]:
        ids.append(chunk.split('"', 1)[0])
    return ids


# -- the pure part ------------------------------------------------------------------------


def test_stale_and_missing_come_first_whatever_the_report_order() -> None:
    report = [
        TranslationStatus("a.current", "current", "approved"),
        TranslationStatus("b.missing", "missing", None),
        TranslationStatus("c.stale", "stale", "pending"),
        TranslationStatus("d.current", "current", "pending"),
        TranslationStatus("e.stale", "stale", "approved"),
    ]

    view = translations_view(report)

    assert [s.entry_id for s in view.statuses] == [
        "c.stale",
        "e.stale",
        "b.missing",
        "a.current",
        "d.current",
    ]
    assert (view.stale, view.missing, view.current, view.to_do) == (2, 1, 2, 3)


def test_the_knowledge_source_reports_through_the_given_function(knowledge_dir: Path) -> None:
    calls: List[KnowledgeBase] = []

    def fake_report(knowledge: KnowledgeBase) -> List[TranslationStatus]:
        calls.append(knowledge)
        return [TranslationStatus("x.one", "missing", None)]

    source = ReviewKnowledge(knowledge_dir, check_interval_s=0, report=fake_report)
    assert source.translations_to_do() is None  # nothing read yet, and nothing read here

    state = source.state()
    source.state()  # the same knowledge: not reported again

    assert state.translations is not None and state.translations.to_do == 1
    assert source.translations_to_do() == 1 and len(calls) == 1


def test_a_new_translation_is_picked_up_live(knowledge_dir: Path) -> None:
    source = ReviewKnowledge(knowledge_dir, check_interval_s=0)
    assert source.state().translations is not None
    assert source.translations_to_do() == 2

    parking = spanish(
        entry("info.parking", "ask_capabilities", "Parking is validated."),
        "Validamos el estacionamiento.",
        "Validamos el estacionamiento.",
    )
    write_folder(knowledge_dir, {"info": [*info_entries()[:2], parking]})

    state = source.state()

    assert state.translations is not None and state.error is None
    assert [s.entry_id for s in state.translations.statuses if s.state != "current"] == [
        "info.rooms"
    ]
    assert source.translations_to_do() == 1


# -- the page -----------------------------------------------------------------------------


async def test_the_page_lists_stale_then_missing_then_current(reviewer: ConsoleClient) -> None:
    page = (await reviewer.get("/translations")).text

    assert listed(page) == ["info.rooms", "info.parking", "info.hours"]
    assert EXPLAINED in page
    assert "<strong>1</strong> stale · <strong>1</strong> missing · <strong>1</strong> current" in (
        page
    )
    rooms = page.split('id="tr-info.rooms"')[1].split("</tr>")[0]
    assert '<span class="status stale">stale</span>' in rooms and "pending" in rooms
    parking = page.split('id="tr-info.parking"')[1].split("</tr>")[0]
    assert '<span class="status missing">missing</span>' in parking
    assert '<span class="muted">none</span>' in parking


async def test_the_nav_counts_what_is_stale_or_missing(reviewer: ConsoleClient) -> None:
    before = (await reviewer.get("/inbox")).text
    await reviewer.get("/translations")
    after = (await reviewer.get("/inbox")).text

    assert '<a href="/translations">Translations</a>' in before  # not read yet: no count
    badge = '<span class="count" id="translations-to-do">2<span class="sr-only"> stale or missing'
    assert f'<a href="/translations">Translations {badge}' in after


async def test_the_background_task_keeps_the_count_current(
    console: Console, reviewer: ConsoleClient, knowledge_dir: Path
) -> None:
    console.app.ctx.knowledge = ReviewKnowledge(knowledge_dir, check_interval_s=0)
    await refresh_knowledge(console.app)
    assert 'id="translations-to-do">2<' in (await reviewer.get("/inbox")).text

    write_folder(knowledge_dir, {"info": info_entries()[:1]})  # only the current one left
    await refresh_knowledge(console.app)

    assert 'id="translations-to-do"' not in (await reviewer.get("/inbox")).text


async def test_nothing_to_translate_shows_no_count(tmp_path: Path) -> None:
    hours = spanish(
        entry("info.hours", "ask_infusion_hours", "We are open {support_hours}."),
        "Estamos abiertos {support_hours}.",
        "Estamos abiertos {support_hours}.",
    )
    directory = write_folder(tmp_path / "k", {"info": [hours]})
    async with console_over(directory, tmp_path) as console:
        client = await console.logged_in("rita")
        page = (await client.get("/translations")).text

    assert listed(page) == ["info.hours"]
    assert 'id="translations-to-do"' not in page
    assert '<a href="/translations" aria-current="page">Translations</a>' in page


async def test_knowledge_that_does_not_load_shows_the_error(tmp_path: Path) -> None:
    async with console_over(tmp_path / "nowhere", tmp_path) as console:
        client = await console.logged_in("rita")
        reply = await client.get("/translations")

    assert reply.status_code == 200
    assert "The knowledge did not load" in reply.text and listed(reply.text) == []


async def test_the_dashboard_says_how_many_to_do(reviewer: ConsoleClient) -> None:
    page = (await reviewer.get("/dashboard")).text

    assert (
        '<p class="notice" id="translations-to-fix"><a href="/translations">'
        "2 Spanish translations are stale or missing</a></p>"
    ) in page


# -- who may read it ----------------------------------------------------------------------


async def test_the_page_needs_a_login(console: Console) -> None:
    reply = await console.client().get("/translations")

    assert reply.status_code == 302
    assert reply.headers["location"] == "/login?next=%2Ftranslations"


@pytest.mark.parametrize("role", accounts.ROLES)
async def test_every_role_that_reads_clinical_review_reads_it(console: Console, role: str) -> None:
    client = await console.logged_in(f"user_{role}", role)

    review = await client.get("/clinical-review")
    reply = await client.get("/translations")

    assert review.status_code == reply.status_code == 200
    assert listed(reply.text) == ["info.rooms", "info.parking", "info.hours"]
