"""The inbox search sees patient messages only as reviewers do, masked: part of a phone
number, email address or record number the transcript hides finds nothing, and every
search is audited with contact details masked."""

from __future__ import annotations

from pathlib import Path
from typing import List
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from assistant.console import schema
from assistant.console.database import Database
from assistant.console.indexer import SEARCH_STATE, SEARCH_TEXT_VERSION, Indexer
from bench.console_harness import (
    Console,
    ConsoleClient,
    EventWriter,
    ManualClock,
    running_console,
)
from tests.assistant.console.builders import PACIFIC, conversations, support_masker
from tests.assistant.console.test_inbox import listed

pytestmark = pytest.mark.quick_startup

CONTACT = (
    "Please call me at (310) 555-0123 or 310.555.0177, email Jane.Doe@example.com, "
    "my MRN is 12345678"
)
ORDINARY = "Where do I park for my infusion?"
# Parts of what the transcript masks: digits of the phone numbers, the email's hidden
# part, the record number's digits.
HIDDEN_FRAGMENTS = (
    "55-0123",
    "555-01",
    "(310",
    "310",
    "310.555",
    "555",
    "jane.doe@",
    "jane.doe",
    "doe@example",
    "e.doe@ex",
    "jane",
    "1234567",
    "123456",
    "2345",
)
RAW_FORMS = ("555-0123", "555.0177", "jane.doe", "12345678", "(310)")


def seed(events: EventWriter) -> None:
    events.session("p1")
    events.user("p1", CONTACT, "request_callback")
    events.session("p2")
    events.user("p2", ORDINARY, "ask_parking")


@pytest.fixture
async def reviewer(console: Console, events: EventWriter) -> ConsoleClient:
    seed(events)
    console.index()
    return await console.logged_in("rita", "reviewer")


async def found(client: ConsoleClient, query: str) -> List[int]:
    page = await client.get(f"/inbox?q={quote(query)}")
    assert page.status_code == 200
    return listed(page.text)


def search_rows(console: Console) -> List[sa.engine.Row]:
    return [r for r in console.audit_rows() if r.action in ("inbox_search", "search_contact")]


# -- what a search finds ------------------------------------------------------------------


@pytest.mark.parametrize("fragment", HIDDEN_FRAGMENTS)
async def test_parts_of_masked_details_find_nothing(
    console: Console, reviewer: ConsoleClient, fragment: str
) -> None:
    assert await found(reviewer, fragment) == []
    assert await found(reviewer, fragment.upper()) == []


async def test_ordinary_words_still_find_the_conversation(reviewer: ConsoleClient) -> None:
    assert await found(reviewer, "infusion") == [2]
    assert await found(reviewer, "PARK") == [2]
    assert await found(reviewer, "email") == [1]
    assert await found(reviewer, "mrn is") == [1]


async def test_what_the_transcript_shows_can_be_searched(reviewer: ConsoleClient) -> None:
    """The last four digits and the email's domain are on screen anyway."""
    assert await found(reviewer, "0123") == [1]
    assert await found(reviewer, "@example.com") == [1]
    assert await found(reviewer, "\u2022\u2022\u2022-\u2022\u2022\u2022-0177") == [1]


async def test_a_whole_number_or_address_finds_what_shows_its_masked_form(
    console: Console, reviewer: ConsoleClient
) -> None:
    """Searched masked, a whole number matches any conversation showing •••-•••-0123:
    no more than searching for 0123 tells."""
    page = await reviewer.get("/inbox?q=" + quote("310-555-0123"))
    assert listed(page.text) == [1]
    assert "310-555-0123" not in page.text  # the search box shows the masked form
    assert await found(reviewer, "Jane.Doe@example.com") == [1]
    assert await found(reviewer, "+1 (310) 555-9999") == []


async def test_the_index_keeps_no_unmasked_contact_details(
    console: Console, reviewer: ConsoleClient
) -> None:
    text = conversations(console.db)[0].search_text
    assert "\u2022\u2022\u2022-\u2022\u2022\u2022-0123" in text
    assert "j\u2022\u2022\u2022@example.com" in text
    for raw in RAW_FORMS:
        assert raw not in text


# -- auditing -----------------------------------------------------------------------------


async def test_every_search_is_audited_with_contact_details_masked(
    console: Console, reviewer: ConsoleClient
) -> None:
    queries = ["infusion", "55-0123", "jane.doe@", "310-555-0123", "Jane.Doe@example.com"]
    for query in queries:
        await found(reviewer, query)
    await reviewer.get("/inbox")  # no search, no row
    await reviewer.get("/inbox?channel=web")

    rows = search_rows(console)
    assert [(r.actor, r.action, r.target, r.detail) for r in rows] == [
        ("rita", "inbox_search", "inbox", "infusion"),
        ("rita", "inbox_search", "inbox", "55-0123"),
        ("rita", "inbox_search", "inbox", "jane.doe@"),
        ("rita", "search_contact", "inbox", "\u2022\u2022\u2022-\u2022\u2022\u2022-0123"),
        ("rita", "search_contact", "inbox", "J\u2022\u2022\u2022@example.com"),
    ]


async def test_an_export_searches_masked_and_audits_the_masked_search(
    console: Console, reviewer: ConsoleClient
) -> None:
    admin = await console.logged_in("boss", "admin")
    reply = await admin.get("/export.json?q=" + quote("310-555-0123"))
    assert reply.status_code == 200
    assert len(reply.json()["conversations"]) == 1
    fragment = await admin.get("/export.json?q=" + quote("55-0123"))
    assert fragment.json()["conversations"] == []
    details = [row.detail for row in console.audit_rows("export")]
    assert len(details) == 2
    assert all("555" not in detail and "310" not in detail for detail in details)


# -- databases written by older consoles --------------------------------------------------


async def test_unmasked_search_text_left_by_an_older_console_is_rewritten(
    db_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    db = Database.connect(db_url)
    seed(EventWriter(db, clock.now - 3600))
    Indexer(PACIFIC, support_masker(), clock=clock).catch_up(db.engine)
    masked = [row.search_text for row in conversations(db)]
    with db.engine.begin() as connection:  # what the older console stored
        connection.execute(
            schema.conversations.update()
            .where(schema.conversations.c.id == 1)
            .values(search_text=CONTACT.lower())
        )
        state = schema.index_state
        connection.execute(state.delete().where(state.c.name == SEARCH_STATE))
    db.close()

    async with running_console(db_url, clock) as console:
        assert [row.search_text for row in conversations(console.db)] == masked
        reviewer = await console.logged_in("rita")
        assert await found(reviewer, "55-0123") == []
        assert await found(reviewer, "jane.doe@") == []
        version = console.db.call(
            lambda connection: connection.execute(
                sa.select(state.c.value).where(state.c.name == SEARCH_STATE)
            ).scalar()
        )
        assert version == SEARCH_TEXT_VERSION


def test_the_rewrite_happens_once(tmp_path: Path, clock: ManualClock) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'tracker.db'}")
    try:
        seed(EventWriter(db, clock.now - 3600))
        first = Indexer(PACIFIC, support_masker(), clock=clock)
        assert first.refresh_search_text(db.engine) == 0  # nothing indexed yet
        first.catch_up(db.engine)
        state = schema.index_state
        with db.engine.begin() as connection:
            connection.execute(state.delete().where(state.c.name == SEARCH_STATE))
        again = Indexer(PACIFIC, support_masker(), clock=clock)
        assert again.refresh_search_text(db.engine) == 2
        assert again.refresh_search_text(db.engine) == 0
        assert Indexer(PACIFIC, support_masker(), clock=clock).refresh_search_text(db.engine) == 0
    finally:
        db.close()
