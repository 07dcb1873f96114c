"""Admin exports (CSV and JSON of the filtered conversations, masked) and retention (purging
old conversations from Rasa's events and every console table, keeping the audit log)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Dict, List

import pytest
import sqlalchemy as sa

from assistant.console import audit, schema
from assistant.console.export import CSV_COLUMNS
from assistant.console.retention import DAY_S, purge_older_than
from assistant.console.review import add_note, add_tag, correct_intent
from assistant.dialogue_names import HELPFUL, NOT_HELPFUL
from assistant.feedback import AnswerFeedback
from assistant.stores.replica_tables import web_client_messages
from bench.console_harness import Console, ConsoleClient, EventWriter
from tests.assistant.console.builders import (
    answered,
    conversations,
    language_slot,
    last_event_id,
    rows,
    said,
)

CONSOLE_TABLES = (
    schema.conversations,
    schema.conversation_intents,
    schema.unanswered,
    schema.tags,
    schema.notes,
    schema.corrections,
    schema.callbacks,
    schema.callback_changes,
    schema.feedback,
)


pytestmark = pytest.mark.quick_startup


@pytest.fixture
async def admin(console: Console) -> ConsoleClient:
    return await console.logged_in("ada", "admin")


def seed(console: Console, events: EventWriter) -> None:
    """1 web, emergency, with a phone number; 2 sms with an email address; 3 web, a callback."""
    events.session("p1")
    events.user("p1", "I can't breathe, call 310-555-0123", "emergency")
    events.bot("p1", "Call 911 now.", "safety.emergency", emergency=True)
    events.session("p2", "sms")
    events.user("p2", "hello, I am pat@example.com", "greet", channel="sms")
    events.bot("p2", "Hello!", "conversation.greet")
    events.session("p3")
    events.user("p3", "please call me back", "request_callback", confidence=0.756)
    events.callback("p3", "Dee", "+14245550199", "noon")
    console.index()


def parse_csv(text: str) -> List[Dict[str, str]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert tuple(header) == CSV_COLUMNS
    return [dict(zip(header, row, strict=True)) for row in reader]


# -- exports ------------------------------------------------------------------------------


async def test_csv_export_of_everything(
    console: Console, events: EventWriter, admin: ConsoleClient
) -> None:
    seed(console, events)

    reply = await admin.get("/export.csv")

    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    disposition = reply.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="conversations-') and ".csv" in disposition
    lines = parse_csv(reply.text)
    assert [r["conversation_id"] for r in lines if r["speaker"] == "patient"] == ["3", "2", "1"]
    emergency = next(r for r in lines if r["conversation_id"] == "1" and r["speaker"] == "patient")
    assert emergency["text"] == "I can't breathe, call •••-•••-0123"
    assert (emergency["intent"], emergency["confidence"]) == ("emergency", "0.950")
    assert emergency["channel"] == "web"
    assert emergency["conversation_started"].startswith("2026-11-26T11:00")
    replies = [
        (r["kb_entry"], r["flags"])
        for r in lines
        if r["conversation_id"] == "1" and r["speaker"] == "bot"
    ]
    assert replies == [("conversation.disclaimer", ""), ("safety.emergency", "emergency")]
    callback = next(r for r in lines if r["speaker"] == "callback")
    assert callback["text"] == "callback requested: Dee, •••-•••-0199, noon"
    for secret in ("310-555-0123", "pat@example.com", "+14245550199", "4245550199"):
        assert secret not in reply.text


async def test_csv_export_has_only_the_filtered_conversations(
    console: Console, events: EventWriter, admin: ConsoleClient
) -> None:
    seed(console, events)

    emergencies = parse_csv((await admin.get("/export.csv?flag=emergency")).text)
    texts = parse_csv((await admin.get("/export.csv?q=breathe")).text)
    nothing = parse_csv((await admin.get("/export.csv?channel=rest")).text)

    assert {r["conversation_id"] for r in emergencies} == {"1"}
    assert {r["conversation_id"] for r in texts} == {"1"}
    assert nothing == []


async def test_json_export(console: Console, events: EventWriter, admin: ConsoleClient) -> None:
    seed(console, events)
    console.db.call(add_tag, 2, "greeting", "ada")

    reply = await admin.get("/export.json?channel=sms")

    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    (exported,) = json.loads(reply.text)["conversations"]
    assert (exported["id"], exported["channel"], exported["turns"]) == (2, "sms", 1)
    assert exported["tags"] == ["greeting"] and exported["flags"] == []
    patient = [m for m in exported["messages"] if m["speaker"] == "patient"]
    assert patient == [
        {
            "time": patient[0]["time"],
            "speaker": "patient",
            "text": "hello, I am p•••@example.com",
            "intent": "greet",
            "confidence": 0.95,
            "kb_entry": "",
            "flags": [],
            "language": None,  # written before the NLU detected languages
            "language_confidence": None,
        }
    ]
    assert exported["language"] == "en"
    assert "pat@example.com" not in reply.text


def seed_spanish(console: Console, events: EventWriter) -> None:
    """A conversation switched to Spanish: a Spanish question, the answer, then "sí"."""
    events.session("maria", "sms")
    said(events, "maria", "que es la inmunoterapia", "ask_immunotherapy", "es", 0.93, "sms")
    language_slot(events, "maria", "es")
    answered(events, "maria", "La inmunoterapia ayuda a su sistema inmunitario.", "kb.a", "es")
    said(events, "maria", "sí", "affirm", None, 0.41, "sms")
    console.index()


async def test_exports_carry_the_conversations_and_the_messages_languages(
    console: Console, events: EventWriter, admin: ConsoleClient
) -> None:
    seed_spanish(console, events)

    lines = parse_csv((await admin.get("/export.csv")).text)
    (conversation,) = json.loads((await admin.get("/export.json")).text)["conversations"]

    assert {r["conversation_language"] for r in lines} == {"es"}
    by_text = {r["text"]: r for r in lines}
    question, yes = by_text["que es la inmunoterapia"], by_text["sí"]
    assert (question["language"], question["language_confidence"]) == ("es", "0.930")
    assert (yes["language"], yes["language_confidence"]) == ("", "0.410")  # undecided
    answer = by_text["La inmunoterapia ayuda a su sistema inmunitario."]
    assert (answer["language"], answer["language_confidence"]) == ("es", "")
    assert conversation["language"] == "es"
    patient = [m for m in conversation["messages"] if m["speaker"] == "patient"]
    assert [(m["language"], m["language_confidence"]) for m in patient] == [
        ("es", 0.93),
        (None, 0.41),
    ]
    bot = [m for m in conversation["messages"] if m["text"].startswith("La inmuno")]
    assert bot[0]["language"] == "es" and "language_confidence" not in bot[0]


async def test_json_export_flags_and_masking(
    console: Console, events: EventWriter, admin: ConsoleClient
) -> None:
    seed(console, events)

    everything = json.loads((await admin.get("/export.json")).text)["conversations"]

    assert [c["id"] for c in everything] == [3, 2, 1]
    assert everything[2]["flags"] == ["emergency"]
    assert everything[0]["flags"] == ["callback"]
    text = json.dumps(everything, ensure_ascii=False)
    assert "310-555-0123" not in text and "+14245550199" not in text
    assert "•••-•••-0123" in text


async def test_exports_are_audited(
    console: Console, events: EventWriter, admin: ConsoleClient
) -> None:
    seed(console, events)

    await admin.get("/export.json?channel=sms")
    await admin.get("/export.csv")

    first, second = console.audit_rows("export")
    assert (first.actor, first.target, first.detail) == (
        "ada",
        "1 conversations",
        "json channel=sms",
    )
    assert (second.target, second.detail) == ("3 conversations", "csv all")


async def test_exports_are_for_admins_only(console: Console, events: EventWriter) -> None:
    seed(console, events)
    reviewer = await console.logged_in("rita", "reviewer")

    for path in ("/export.csv", "/export.json"):
        reply = await reviewer.get(path)
        assert reply.status_code == 403
        assert "I can" not in reply.text
    assert console.audit_rows("export") == []
    assert "/export.csv" not in (await reviewer.get("/inbox")).text


async def test_inbox_export_links_carry_the_filters(
    console: Console, events: EventWriter, admin: ConsoleClient
) -> None:
    seed(console, events)

    page = (await admin.get("/inbox?channel=sms&page=1")).text

    assert '<a href="/export.csv?channel=sms">CSV</a>' in page
    assert '<a href="/export.json?channel=sms">JSON</a>' in page


# -- retention ----------------------------------------------------------------------------


def seed_old_and_new(console: Console, events: EventWriter) -> Dict[str, Any]:
    """Conversation 1 (sender old) and 2 (sender both, first session) ended 100 days ago;
    conversation 3 (sender both, second session) and 4 (sender new) are from today. Each
    old one has review data attached."""
    now = console.clock.now
    events.at = now - 100 * DAY_S
    events.session("old")
    events.user("old", "old question 310-555-0123", "nlu_fallback")
    events.callback("old", "Olive", "+13105550123", "mornings")
    events.bot("old", "We will call you.", "contacts.callback")
    events.feedback("old", AnswerFeedback(NOT_HELPFUL, "contacts.callback", events.at, "2 slow"))
    events.session("both")
    events.user("both", "old session", "greet")
    old_last = last_event_id(console.db)
    events.at = now - 3600
    events.session("both")
    events.user("both", "new session", "greet")
    events.session("new")
    events.user("new", "new question", "nlu_fallback")
    events.callback("new", "Nia", "+14245550199", "evenings")
    events.bot("new", "We will call you.", "contacts.callback")
    events.feedback("new", AnswerFeedback(HELPFUL, "contacts.callback", events.at))
    console.index()

    old_question = rows(
        console.db,
        schema.events,
        schema.events.c.sender_id == "old",
        schema.events.c.type_name == "user",
    )[0].id
    console.db.call(add_tag, 1, "old tag", "rita")
    console.db.call(add_note, 1, "old note", "rita")
    console.db.call(correct_intent, 1, old_question, "ask_dosing", "rita")
    console.db.call(add_tag, 4, "new tag", "rita")
    console.db.call(add_note, 4, "new note", "rita")
    console.db.call(audit.record, "rita", "view_transcript", "conversation 1")
    callback_ids = [r.id for r in rows(console.db, schema.callbacks)]
    with console.db.engine.begin() as connection:
        connection.execute(
            schema.callback_changes.insert(),
            [
                {
                    "callback_id": cid,
                    "from_status": "new",
                    "to_status": "no_answer",
                    "changed_by": "rita",
                    "changed_at": now,
                }
                for cid in callback_ids
            ],
        )
    return {"old_last": old_last, "events": last_event_id(console.db)}


def count(console: Console, table: sa.Table) -> int:
    with console.db.engine.begin() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar())


def test_purge_deletes_old_conversations_everywhere(console: Console, events: EventWriter) -> None:
    seeded = seed_old_and_new(console, events)
    assert [(c.id, c.sender_id) for c in conversations(console.db)] == [
        (1, "old"),
        (2, "both"),
        (3, "both"),
        (4, "new"),
    ]
    audit_before = console.audit_rows()
    old_events = [
        e.id
        for e in rows(console.db, schema.events)
        if e.sender_id == "old" or (e.sender_id == "both" and e.id <= seeded["old_last"])
    ]

    result = purge_older_than(console.db.engine, 90, console.clock.now)

    assert (result.conversations, result.events) == (2, len(old_events))
    assert [c.id for c in conversations(console.db)] == [3, 4]
    remaining = rows(console.db, schema.events)
    assert not {e.id for e in remaining} & set(old_events)
    assert {e.sender_id for e in remaining} == {"both", "new"}
    assert len(remaining) == seeded["events"] - len(old_events)
    for table in CONSOLE_TABLES:
        ids = (
            {r.conversation_id for r in rows(console.db, table)}
            if "conversation_id" in table.c
            else set()
        )
        assert not ids & {1, 2}, table.name
    assert [r.tag for r in rows(console.db, schema.tags)] == ["new tag"]
    assert [r.body for r in rows(console.db, schema.notes)] == ["new note"]
    assert rows(console.db, schema.corrections) == []
    assert [r.name for r in rows(console.db, schema.callbacks)] == ["Nia"]
    assert count(console, schema.callback_changes) == 1
    (nia,) = rows(console.db, schema.callbacks)
    assert [r.callback_id for r in rows(console.db, schema.callback_changes)] == [nia.id]
    assert count(console, schema.unanswered) == 1
    assert [r.rating for r in rows(console.db, schema.feedback)] == [HELPFUL]
    assert console.audit_rows() == audit_before


def test_purge_keeps_everything_newer_than_the_cutoff(
    console: Console, events: EventWriter
) -> None:
    seed_old_and_new(console, events)
    before = {table.name: count(console, table) for table in (schema.events, *CONSOLE_TABLES)}

    result = purge_older_than(console.db.engine, 101, console.clock.now)

    assert (result.conversations, result.events) == (0, 0)
    assert {
        table.name: count(console, table) for table in (schema.events, *CONSOLE_TABLES)
    } == before


def test_indexing_after_a_purge_continues(console: Console, events: EventWriter) -> None:
    seed_old_and_new(console, events)
    purge_older_than(console.db.engine, 90, console.clock.now)

    events.user("new", "one more", "greet")
    console.index()

    assert [(c.id, c.turns) for c in conversations(console.db)] == [(3, 1), (4, 2)]


def test_purge_deletes_web_chat_retry_records_older_than_the_cutoff(console: Console) -> None:
    """The web chat's client-id records (its replies to retried messages) in the same
    database go at the same cutoff; newer ones stay."""
    table = web_client_messages
    table.create(console.db.engine)
    now = console.clock.now
    with console.db.engine.begin() as connection:
        for sender, age_days in (("old", 120), ("edge", 91), ("new", 10)):
            connection.execute(
                table.insert().values(
                    sender_id=sender, client_id="c1", replies="[]", at=now - age_days * DAY_S
                )
            )

    result = purge_older_than(console.db.engine, 90, now)

    assert result.web_messages == 2
    assert [r.sender_id for r in rows(console.db, table)] == ["new"]


def test_purge_without_web_chat_records_in_the_database(console: Console) -> None:
    assert purge_older_than(console.db.engine, 90, console.clock.now).web_messages == 0


def test_purge_needs_at_least_a_day(console: Console) -> None:
    with pytest.raises(ValueError, match="at least 1 day"):
        purge_older_than(console.db.engine, 0, console.clock.now)


async def test_purge_button_needs_the_typed_confirmation(
    console: Console, events: EventWriter, admin: ConsoleClient
) -> None:
    seed_old_and_new(console, events)
    page = (await admin.get("/admin/retention")).text
    assert "<strong>90 days</strong>" in page and 'name="confirm"' in page

    for typed in ("", "yes", "PURGE", " purge", "purge now"):
        reply = await admin.post("/admin/retention", {"confirm": typed})
        assert reply.status_code == 400, typed
        assert "Type purge to confirm." in reply.text
    assert len(conversations(console.db)) == 4
    assert console.audit_rows("purge") == []

    reply = await admin.post("/admin/retention", {"confirm": "purge"})

    assert reply.status_code == 200
    assert "Purged 2 conversations (" in reply.text
    assert [c.id for c in conversations(console.db)] == [3, 4]
    (purge,) = console.audit_rows("purge")
    assert (purge.actor, purge.target) == ("ada", "older than 90 days")
    assert purge.detail.startswith("2 conversations, ")
    assert console.audit_rows("view_transcript")  # the audit log is kept


async def test_purge_button_needs_the_csrf_token_and_an_admin(
    console: Console, events: EventWriter, admin: ConsoleClient
) -> None:
    seed_old_and_new(console, events)
    reviewer = await console.logged_in("rita", "reviewer")

    forged = await admin.post("/admin/retention", {"confirm": "purge"}, csrf=False)
    by_reviewer = await reviewer.post("/admin/retention", {"confirm": "purge"})

    assert (forged.status_code, by_reviewer.status_code) == (403, 403)
    assert len(conversations(console.db)) == 4
