"""Languages in the console: each conversation's language (the language slot's last value,
else the last bot message's, else English) as the indexer records it and re-indexes it; the
inbox's language filter and accent-insensitive search; each message's language in the
transcript."""

from __future__ import annotations

import re
from pathlib import Path
from typing import AsyncIterator, Iterator, List
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa

from assistant.console import schema
from assistant.console.database import Database
from assistant.console.indexer import SEARCH_STATE, SEARCH_TEXT_VERSION, Indexer
from assistant.dialogue_names import LANGUAGE_EN, LANGUAGE_ES
from bench.console_harness import Console, ConsoleClient, EventWriter, ManualClock, running_console
from tests.assistant.console.builders import (
    PACIFIC,
    answered,
    conversation,
    conversations,
    language_slot,
    said,
    support_masker,
)

ARTICLE = re.compile(r'<article class="msg [^"]*" id="m(\d+)">.*?</article>', re.S)
LINK = re.compile(r'href="/conversations/(\d+)"')
PAGER_LINK = re.compile(r'<nav class="pager".*?</nav>', re.S)

pytestmark = pytest.mark.quick_startup

# What the Spanish-speaking patients write (typos, no accents, Spanglish, a caregiver).
ES_QUESTION = "q es la inmunoterapia?? mi mama empieza el lunes"
ES_ACCENTED = "Qué efectos secundarios tiene la inmunoterapía"
SPANGLISH = "my mom tiene fiebre after la infusion, que hago"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.connect(f"sqlite:///{tmp_path / 'tracker.db'}")
    yield database
    database.close()


@pytest.fixture
def indexer(clock: ManualClock) -> Indexer:
    return Indexer(PACIFIC, support_masker(), clock=clock)


@pytest.fixture
def writer(db: Database, clock: ManualClock) -> EventWriter:
    return EventWriter(db, clock.now - 3600)


def spanish_chat(w: EventWriter, sender: str, channel: str = "web") -> None:
    """A conversation the assistant switched to Spanish: a Spanish question, then "sí"."""
    w.session(sender, channel)
    said(w, sender, ES_QUESTION, "ask_immunotherapy", LANGUAGE_ES, 0.93, channel)
    language_slot(w, sender, LANGUAGE_ES)
    answered(w, sender, "La inmunoterapia ayuda a su sistema inmunitario.", "kb.a", LANGUAGE_ES)
    said(w, sender, "sí", "affirm", None, 0.41, channel)
    answered(w, sender, "¿Algo más?", "kb.b", LANGUAGE_ES)


def english_chat(w: EventWriter, sender: str, text: str, channel: str = "web") -> None:
    w.session(sender, channel)
    said(w, sender, text, "ask_immunotherapy", LANGUAGE_EN, 0.88, channel)
    answered(w, sender, "Immunotherapy helps your immune system.", "kb.a", LANGUAGE_EN)


# -- the indexer --------------------------------------------------------------------------


def test_a_spanish_conversation_is_spanish(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    spanish_chat(writer, "maria")
    writer.session("joe")
    writer.user("joe", "what r the side effects", "ask_side_effects")

    indexer.catch_up(db.engine)

    maria, joe = conversations(db)
    assert (maria.language, maria.language_from_slot) == (LANGUAGE_ES, True)
    assert (joe.language, joe.language_from_slot) == (LANGUAGE_EN, False)  # nothing said: en


def test_the_slot_wins_over_an_english_answer_even_in_a_later_batch(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    spanish_chat(writer, "maria")
    indexer.catch_up(db.engine)
    # A stale translation: the answer goes out in English, the conversation stays Spanish.
    said(writer, "maria", "y los efectos secundarios", "ask_side_effects", LANGUAGE_ES, 0.9)
    answered(writer, "maria", "Side effects can include...", "kb.c", LANGUAGE_EN)
    language_slot(writer, "maria", None)  # a reset is no language

    indexer.catch_up(db.engine)

    assert conversation(db, 1).language == LANGUAGE_ES


def test_without_the_slot_the_last_bot_message_decides(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    writer.session("ana")
    said(writer, "ana", "hola", "greet", None, 0.5)
    answered(writer, "ana", "Hello!", "kb.greet", LANGUAGE_EN)
    answered(writer, "ana", "¡Hola! ¿En qué le puedo ayudar?", "kb.greet", LANGUAGE_ES)
    answered(writer, "ana", "no language recorded", "kb.x", None)

    indexer.catch_up(db.engine)

    assert conversation(db, 1).language == LANGUAGE_ES


def test_the_patient_choosing_english_makes_it_english(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    spanish_chat(writer, "luis")
    said(writer, "luis", "English please", "change_language", LANGUAGE_EN, 0.97)
    language_slot(writer, "luis", LANGUAGE_EN)
    answered(writer, "luis", "Sure, I will answer in English.", "kb.lang", LANGUAGE_EN)

    indexer.catch_up(db.engine)

    assert conversation(db, 1).language == LANGUAGE_EN


def test_a_new_session_starts_from_english(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    spanish_chat(writer, "maria")
    english_chat(writer, "maria", "wat time does the infusion center open")

    indexer.catch_up(db.engine)

    assert [row.language for row in conversations(db)] == [LANGUAGE_ES, LANGUAGE_EN]


def test_search_text_is_folded(db: Database, writer: EventWriter, indexer: Indexer) -> None:
    writer.session("p")
    said(writer, "p", ES_ACCENTED, "ask_side_effects", LANGUAGE_ES, 0.95)

    indexer.catch_up(db.engine)

    assert conversation(db, 1).search_text == "que efectos secundarios tiene la inmunoterapia"


def test_conversations_an_older_console_indexed_are_reindexed_once(
    db: Database, writer: EventWriter, indexer: Indexer, clock: ManualClock
) -> None:
    spanish_chat(writer, "maria")
    writer.session("p")
    said(writer, "p", ES_ACCENTED, "ask_side_effects", LANGUAGE_ES, 0.95)
    indexer.catch_up(db.engine)
    table, state = schema.conversations, schema.index_state
    with db.engine.begin() as connection:  # what a console before languages left
        connection.execute(table.update().values(language=LANGUAGE_EN, language_from_slot=False))
        connection.execute(
            table.update().where(table.c.id == 2).values(search_text=ES_ACCENTED.lower())
        )
        connection.execute(state.update().where(state.c.name == SEARCH_STATE).values(value=1))

    again = Indexer(PACIFIC, support_masker(), clock=clock)
    assert again.refresh_search_text(db.engine) == 2
    assert again.refresh_search_text(db.engine) == 0

    maria, p = conversations(db)
    assert (maria.language, maria.language_from_slot) == (LANGUAGE_ES, True)
    assert p.search_text == "que efectos secundarios tiene la inmunoterapia"
    with db.engine.begin() as connection:
        version = connection.execute(
            sa.select(state.c.value).where(state.c.name == SEARCH_STATE)
        ).scalar()
    assert version == SEARCH_TEXT_VERSION == 2


# -- the inbox ----------------------------------------------------------------------------


@pytest.fixture
async def small_pages(db_url: str, clock: ManualClock) -> AsyncIterator[Console]:
    async with running_console(db_url, clock, page_size=2) as started:
        yield started


def seed_inbox(console: Console, events: EventWriter) -> None:
    """1-3 Spanish (1 and 2 on the web, 3 by SMS), 4-5 English (4 mentions "inmunoterapia"
    without its accent; 5 "que" in Spanglish), 6 Spanish with accents."""
    spanish_chat(events, "es-1")
    spanish_chat(events, "es-2")
    spanish_chat(events, "es-3", "sms")
    english_chat(events, "en-4", "is inmunoterapia the same as immunotherapy")
    english_chat(events, "en-5", SPANGLISH)
    events.session("es-6")
    said(events, "es-6", ES_ACCENTED, "ask_side_effects", LANGUAGE_ES, 0.95)
    language_slot(events, "es-6", LANGUAGE_ES)
    console.index()


async def listed(client: ConsoleClient, query: str) -> List[int]:
    reply = await client.get(f"/inbox?{query}")
    assert reply.status_code == 200, reply.text
    assert "ignored" not in reply.text
    return sorted(int(i) for i in LINK.findall(reply.text))


async def test_the_language_filter(console: Console, events: EventWriter) -> None:
    seed_inbox(console, events)
    client = await console.logged_in("rita", "reviewer")

    assert await listed(client, "lang=es") == [1, 2, 3, 6]
    assert await listed(client, "lang=en") == [4, 5]
    assert await listed(client, "") == [1, 2, 3, 4, 5, 6]
    assert await listed(client, "lang=es&channel=sms") == [3]
    assert await listed(client, "lang=en&q=inmunoterapia") == [4]
    page = (await client.get("/inbox?lang=es")).text
    assert '<option value="es" lang="es" selected>Español</option>' in page
    assert '<td class="lang"><span lang="es">Español</span></td>' in page


async def test_a_language_nobody_speaks_here_is_ignored(
    console: Console, events: EventWriter
) -> None:
    seed_inbox(console, events)
    client = await console.logged_in("rita", "reviewer")

    reply = await client.get("/inbox?lang=fr")

    assert "ignored lang=&#39;fr&#39;" in reply.text
    assert len(LINK.findall(reply.text)) == 6


async def test_the_language_filter_survives_paging(
    small_pages: Console, clock: ManualClock
) -> None:
    seed_inbox(small_pages, EventWriter(small_pages.db, clock.now - 3600))
    client = await small_pages.logged_in("rita", "reviewer")

    first = (await client.get("/inbox?lang=es&sort=oldest")).text
    pager = PAGER_LINK.search(first)
    assert pager is not None and "Page 1 of 2" in pager.group(0)
    following = re.search(r'href="/inbox\?([^"]+)" rel="next"', pager.group(0))
    assert following is not None
    query = following.group(1).replace("&amp;", "&")
    assert parse_qs(query) == {"lang": ["es"], "sort": ["oldest"], "page": ["2"]}
    assert await listed(client, query) == [3, 6]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("inmunoterapía", [1, 2, 3, 4, 6]),  # the accent finds the plain spelling (1-4)
        ("inmunoterapia", [1, 2, 3, 4, 6]),  # and the plain spelling the accented one (6)
        ("INMUNOTERAPIA", [1, 2, 3, 4, 6]),
        ("Qué", [5, 6]),  # "que" (5) and "Qué" (6); "q es" (1-3) is not "que"
        ("efectos secundarios", [6]),
        ("EFÉCTOS", [6]),
    ],
)
async def test_search_ignores_accents_and_case(
    console: Console, events: EventWriter, query: str, found: List[int]
) -> None:
    seed_inbox(console, events)
    client = await console.logged_in("rita", "reviewer")

    reply = await client.get("/inbox", params={"q": query})

    assert sorted(int(i) for i in LINK.findall(reply.text)) == found
    assert f'value="{query}"' in reply.text  # the box shows what was typed


# -- the transcript -----------------------------------------------------------------------


def article(page: str, event_id: int) -> str:
    for found in ARTICLE.finditer(page):
        if int(found.group(1)) == event_id:
            return found.group(0)
    raise AssertionError(f"message {event_id} is not shown")


async def test_each_message_shows_its_language(console: Console, events: EventWriter) -> None:
    events.session("maria")
    question = said(events, "maria", ES_QUESTION, "ask_immunotherapy", LANGUAGE_ES, 0.93)
    language_slot(events, "maria", LANGUAGE_ES)
    answer = answered(events, "maria", "La inmunoterapia ayuda.", "kb.a", LANGUAGE_ES)
    yes = said(events, "maria", "sí", "affirm", None, 0.41)
    stale = answered(events, "maria", "Side effects can include...", "kb.c", LANGUAGE_EN)
    events.user("maria", "ok gracias", "thank")  # an event from before language detection
    console.index()
    client = await console.logged_in("rita", "reviewer")

    page = (await client.get("/conversations/1")).text

    assert '<dd class="msg-lang">es · 0.93</dd>' in article(page, question)
    assert f'<p class="text" lang="es">{ES_QUESTION}</p>' in article(page, question)
    assert '<dd class="msg-lang">undecided · 0.41</dd>' in article(page, yes)
    assert '<p class="text">sí</p>' in article(page, yes)  # undecided: no lang attribute
    assert '<span class="msg-lang">language es</span>' in article(page, answer)
    assert '<span class="msg-lang">language en</span>' in article(page, stale)
    older = ARTICLE.findall(page)[-1]
    assert "msg-lang" not in article(page, int(older))
    assert '<span lang="es">Español</span>' in page.split('<div class="layout">')[0]
