"""One conversation as a reviewer reads it: NLU details, knowledge entries, flags, callback
details; contact details masked until one message is revealed (audited); unknown ids 404."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from assistant.console import schema
from bench.console_harness import Console, ConsoleClient, EventWriter
from tests.assistant.console.builders import (
    last_event_id,
    raw_event,
    rows,
)

ARTICLE = re.compile(r'<article class="msg [^"]*" id="m(\d+)">.*?</article>', re.S)


pytestmark = pytest.mark.quick_startup


@pytest.fixture
async def reviewer(console: Console) -> ConsoleClient:
    return await console.logged_in("rita", "reviewer")


@dataclass(frozen=True)
class Seeded:
    """Event ids of the messages in conversation 1."""

    contact: int  # patient message with a phone number and an email address
    bot_reply: int  # bot reply quoting the phone number, and the support line
    callback: int
    missed: int  # patient message with low confidence
    emergency: int  # bot reply flagged as an emergency
    other: int  # a patient message of conversation 2


def seed(console: Console, events: EventWriter) -> Seeded:
    events.session("p", "sms")
    events.user(
        "p",
        "My number is 310-555-0123, email pat@example.com",
        "request_callback",
        confidence=0.87,
        entities=[
            {"entity": "phone", "value": "310-555-0123", "start": 13, "end": 25},
            {"entity": "email", "value": "pat@example.com"},
        ],
        channel="sms",
    )
    contact = last_event_id(console.db)
    events.bot(
        "p",
        "We will call 310-555-0123. You can also call 1-800-233-2771.",
        "contacts.support_line",
        handoff=True,
    )
    bot_reply = last_event_id(console.db)
    events.action("p", "action_handoff")
    events.callback("p", "Pat Lee", "+13105550123", "after 5pm", channel="sms")
    callback = last_event_id(console.db)
    events.user("p", "blorp zzz", "nlu_fallback", confidence=0.31, channel="sms")
    missed = last_event_id(console.db)
    events.bot("p", "If this is an emergency, call 911.", "safety.emergency", emergency=True)
    emergency = last_event_id(console.db)
    events.session("q")
    events.user("q", "Reach me on 424-555-0199", "inform")
    other = last_event_id(console.db)
    console.index()
    return Seeded(contact, bot_reply, callback, missed, emergency, other)


def message(page: str, event_id: int) -> str:
    for found in ARTICLE.finditer(page):
        if int(found.group(1)) == event_id:
            return found.group(0)
    raise AssertionError(f"message {event_id} is not on the page")


async def test_patient_message_shows_intent_confidence_and_entities(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    ids = seed(console, events)

    reply = await reviewer.get("/conversations/1")

    assert reply.status_code == 200
    contact = message(reply.text, ids.contact)
    assert "<code>request_callback</code>" in contact
    assert '<span class="conf">87 %</span>' in contact
    assert "<code>phone=•••-•••-0123</code>" in contact
    assert "<code>email=p•••@example.com</code>" in contact
    missed = message(reply.text, ids.missed)
    assert 'class="msg patient missed"' in missed
    assert "<code>nlu_fallback</code>" in missed
    assert '<span class="conf low">31 %</span>' in missed


async def test_bot_replies_show_their_knowledge_entry_and_flags(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    ids = seed(console, events)

    page = (await reviewer.get("/conversations/1")).text

    handoff = message(page, ids.bot_reply)
    assert "Knowledge entry: <code>contacts.support_line</code>" in handoff
    assert '<span class="badge handoff">handoff</span>' in handoff
    assert "You can also call 1-800-233-2771." in handoff  # the public line is not masked
    emergency = message(page, ids.emergency)
    assert "Knowledge entry: <code>safety.emergency</code>" in emergency
    assert '<span class="badge emergency">emergency</span>' in emergency
    assert '<p class="action" id="m' in page and "<code>action_handoff</code>" in page
    assert "action_listen" not in page and "action_session_start" not in page


async def test_header_shows_channel_turns_and_flags(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)

    page = (await reviewer.get("/conversations/1")).text

    meta = page[page.index('<p class="meta">') :]
    meta = meta[: meta.index("</p>")]
    assert "SMS" in meta and "2 patient messages" in meta
    for flag in ("emergency", "handoff", "callback", "fallback"):
        assert f'class="badge {flag}"' in meta


async def test_callback_details_are_shown_with_the_number_masked(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    ids = seed(console, events)

    callback = message((await reviewer.get("/conversations/1")).text, ids.callback)

    assert "<dt>Name</dt><dd>Pat Lee</dd>" in callback
    assert "<dt>Number</dt><dd>•••-•••-0123</dd>" in callback
    assert "<dt>Best time</dt><dd>after 5pm</dd>" in callback
    assert "<dt>Channel</dt><dd>sms</dd>" in callback
    assert "Reveal number" in callback


async def test_contact_details_are_masked_by_default(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    ids = seed(console, events)

    page = (await reviewer.get("/conversations/1")).text

    for secret in ("310-555-0123", "pat@example.com", "+13105550123", "3105550123"):
        assert secret not in page
    assert "My number is •••-•••-0123, email p•••@example.com" in message(page, ids.contact)
    assert "We will call •••-•••-0123." in message(page, ids.bot_reply)
    assert "Reveal contact details" in message(page, ids.contact)
    assert "Reveal" not in message(page, ids.missed)  # nothing to hide there


async def test_contact_details_in_the_callback_best_time_are_masked_too(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    events.session("p")
    events.callback("p", "Pat", "+13105550123", "after 5 on 424-555-0199 or pat@example.com")
    console.index()

    page = (await reviewer.get("/conversations/1")).text

    assert "424-555-0199" not in page and "pat@example.com" not in page
    assert "after 5 on •••-•••-0199 or p•••@example.com" in page


async def test_a_conversation_shows_only_its_own_session(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    events.session("p")
    events.user("p", "first session", "greet")
    events.session("p")
    events.user("p", "second session", "greet")
    console.index()

    first = (await reviewer.get("/conversations/1")).text
    second = (await reviewer.get("/conversations/2")).text

    assert "first session" in first and "second session" not in first
    assert "second session" in second and "first session" not in second


async def test_viewing_a_transcript_is_audited(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)

    await reviewer.get("/conversations/2")

    (row,) = console.audit_rows("view_transcript")
    assert (row.actor, row.target) == ("rita", "conversation 2")


async def test_malformed_event_data_is_skipped(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    events.session("p")
    events.user("p", "before", "greet")
    raw_event(console.db, "p", "user", "{broken", events.at + 0.5)
    raw_event(console.db, "p", "bot", "[]", events.at + 0.6)
    events.user("p", "after", "greet")
    console.index()

    reply = await reviewer.get("/conversations/1")

    assert reply.status_code == 200
    assert "before" in reply.text and "after" in reply.text


# -- revealing ----------------------------------------------------------------------------


async def test_revealing_one_message_shows_only_that_message(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    ids = seed(console, events)
    await reviewer.get("/conversations/1")

    reply = await reviewer.post("/conversations/1/reveal", {"event_id": str(ids.contact)})

    assert reply.status_code == 200
    page = reply.text
    contact = message(page, ids.contact)
    assert "My number is 310-555-0123, email pat@example.com" in contact
    assert "<code>phone=310-555-0123</code>" in contact
    assert "<code>email=pat@example.com</code>" in contact
    assert "Reveal contact details" not in contact
    assert "We will call •••-•••-0123." in message(page, ids.bot_reply)
    assert "<dd>•••-•••-0123</dd>" in message(page, ids.callback)
    assert page.count("310-555-0123") == 2  # the message text and its entity, nothing else
    assert "recorded in the audit log" in page


async def test_revealing_is_audited(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    ids = seed(console, events)

    await reviewer.post("/conversations/1/reveal", {"event_id": str(ids.bot_reply)})

    (row,) = console.audit_rows("reveal")
    assert (row.actor, row.target, row.detail) == (
        "rita",
        "conversation 1",
        f"event {ids.bot_reply}",
    )


async def test_revealing_a_bot_reply_and_a_callback(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    ids = seed(console, events)

    bot_page = (
        await reviewer.post("/conversations/1/reveal", {"event_id": str(ids.bot_reply)})
    ).text
    callback_page = (
        await reviewer.post("/conversations/1/reveal", {"event_id": str(ids.callback)})
    ).text

    assert "We will call 310-555-0123." in message(bot_page, ids.bot_reply)
    assert "310-555-0123" not in message(bot_page, ids.contact)
    assert "<dt>Number</dt><dd>+13105550123</dd>" in message(callback_page, ids.callback)
    assert "310-555-0123" not in callback_page.replace("+13105550123", "")
    assert len(console.audit_rows("reveal")) == 2


async def test_a_reload_masks_again(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    ids = seed(console, events)
    await reviewer.post("/conversations/1/reveal", {"event_id": str(ids.contact)})

    page = (await reviewer.get("/conversations/1")).text

    assert "310-555-0123" not in page


async def test_revealing_a_message_of_another_conversation_reveals_nothing(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    ids = seed(console, events)

    reply = await reviewer.post("/conversations/1/reveal", {"event_id": str(ids.other)})

    assert reply.status_code == 200
    assert "424-555-0199" not in reply.text
    assert "310-555-0123" not in reply.text and "pat@example.com" not in reply.text


@pytest.mark.parametrize("event_id", ["", "abc", "-1", "1.5", "²", "9" * 12, "99999999999"])
async def test_revealing_needs_a_valid_event_id(
    console: Console, events: EventWriter, reviewer: ConsoleClient, event_id: str
) -> None:
    seed(console, events)

    reply = await reviewer.post("/conversations/1/reveal", {"event_id": event_id})

    assert reply.status_code == 400
    assert "Choose a message to reveal." in reply.text
    assert console.audit_rows("reveal") == []


async def test_revealing_needs_the_csrf_token(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    ids = seed(console, events)

    reply = await reviewer.post(
        "/conversations/1/reveal", {"event_id": str(ids.contact)}, csrf=False
    )

    assert reply.status_code == 403
    assert "310-555-0123" not in reply.text
    assert console.audit_rows("reveal") == []


# -- unknown conversations and messages ---------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/conversations/999",
        "/conversations/0",
        "/conversations/99999999999999999999",
        "/conversations/2147483648",
        "/conversations/abc",
        "/conversations/-1",
        "/conversations/1.5",
        "/conversations/",
    ],
)
async def test_unknown_conversation_is_not_found(
    console: Console, events: EventWriter, reviewer: ConsoleClient, path: str
) -> None:
    seed(console, events)

    reply = await reviewer.get(path)

    assert reply.status_code == 404
    assert "There is no such page or conversation." in reply.text


@pytest.mark.parametrize(
    ("action", "form"),
    [
        ("reveal", {"event_id": "1"}),
        ("correct", {"event_id": "1", "intent": "greet"}),
        ("tags", {"tag": "x"}),
        ("tags/remove", {"tag": "x"}),
        ("notes", {"body": "x"}),
        ("reviewed", {"reviewed": "yes"}),
    ],
)
async def test_posting_to_an_unknown_conversation_is_not_found(
    console: Console, events: EventWriter, reviewer: ConsoleClient, action: str, form: dict
) -> None:
    seed(console, events)

    for conversation_id in ("999", "99999999999999999999", "-1"):
        reply = await reviewer.post(f"/conversations/{conversation_id}/{action}", form)
        assert reply.status_code == 404, conversation_id
    assert rows(console.db, schema.tags) == [] and rows(console.db, schema.notes) == []
    assert rows(console.db, schema.corrections) == []


async def test_a_message_of_another_conversation_cannot_be_corrected(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    ids = seed(console, events)

    for event_id in (ids.other, ids.bot_reply, ids.callback, 10**9):
        reply = await reviewer.post(
            "/conversations/1/correct", {"event_id": str(event_id), "intent": "greet"}
        )
        assert reply.status_code == 400, event_id
        assert "not a patient message of this conversation" in reply.text

    assert rows(console.db, schema.corrections) == []
    assert console.audit_rows("correct_intent") == []
