"""Small builders on top of the console harness: raw event rows (with chosen ids, timestamps
or broken data), whole conversations in one call, and reads of the console's tables."""

from __future__ import annotations

import contextlib
import functools
import json
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union
from zoneinfo import ZoneInfo

import httpx
import markupsafe
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import Connection

from assistant.console import accounts, schema
from assistant.console import app as console_app
from assistant.console.database import Database
from assistant.console.masking import Masker
from assistant.dialogue_names import (
    LANGUAGE_SLOT,
    META_KB_ENTRY,
    META_LANGUAGE,
    PARSE_LANGUAGE,
    PARSE_LANGUAGE_CONFIDENCE,
)
from bench.console_harness import ROOT, Console, ConsoleClient, EventWriter

PACIFIC = ZoneInfo("America/Los_Angeles")
SUPPORT_NUMBERS = ("1-800-233-2771", "+18002332771")
# A message: its text, and optionally its intent and confidence.
Message = Union[Tuple[str, str], Tuple[str, str, float]]


@functools.cache
def _public_numbers() -> Tuple[str, ...]:
    return tuple(console_app.public_numbers(ROOT / "data" / "knowledge"))


def quick_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make each test's console start in a fraction of the time, for tests that are
    not about passwords or the knowledge base:

    - the support line's numbers are read from the real knowledge base once per test run
      (the app reads the whole knowledge base on every start);
    - Argon2 runs at minimal cost (test_auth.py is where the real cost matters).
    """
    numbers = list(_public_numbers())
    assert numbers, "the knowledge base names no support line"
    monkeypatch.setattr(console_app, "public_numbers", lambda _dir=None: list(numbers))
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


async def client_at(console: Console, ip: str, port: int = 50000) -> ConsoleClient:
    """A browser whose connection comes from ``ip`` (the socket peer the app sees)."""
    client = console.client()
    await client.http.aclose()
    client.http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=console.app, client=(ip, port)),
        base_url="http://console.test",
        follow_redirects=False,
    )
    return client


def support_masker() -> Masker:
    """The masker the app builds: the support line is allowed, everything else masked."""
    return Masker.allowing(SUPPORT_NUMBERS)


def pacific(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> float:
    """Seconds since the epoch of a wall-clock time in the console's time zone."""
    return datetime(year, month, day, hour, minute, tzinfo=PACIFIC).timestamp()


def raw_event(
    db: Database,
    sender: str,
    type_name: str,
    data: str,
    at: float,
    event_id: Optional[int] = None,
    intent: Optional[str] = None,
    action: Optional[str] = None,
) -> int:
    """One ``events`` row exactly as given (``data`` is stored as is, JSON or not)."""
    values: Dict[str, Any] = {
        "sender_id": sender,
        "type_name": type_name,
        "timestamp": at,
        "intent_name": intent,
        "action_name": action,
        "data": data,
    }
    if event_id is not None:
        values["id"] = event_id
    with db.engine.begin() as connection:
        result = connection.execute(schema.events.insert().values(**values))
        return int(result.inserted_primary_key[0])


def user_data(text: str, intent: str, confidence: float = 0.95) -> str:
    """The ``data`` JSON of a patient message, as Rasa stores it."""
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text}
    return json.dumps({"event": "user", "text": text, "parse_data": parse, "input_channel": "web"})


def last_event_id(db: Database) -> int:
    with db.engine.begin() as connection:
        return int(connection.execute(sa.select(sa.func.max(schema.events.c.id))).scalar() or 0)


class _OneConnection:
    """Stands in for a ``Database`` whose every transaction is the same open one."""

    def __init__(self, connection: Connection) -> None:
        self.engine = self
        self.connection = connection

    def begin(self) -> contextlib.nullcontext[Connection]:
        return contextlib.nullcontext(self.connection)


@contextlib.contextmanager
def one_transaction(events: EventWriter) -> Iterator[EventWriter]:
    """An ``EventWriter`` continuing ``events`` that writes everything in one transaction
    (one commit for hundreds of conversations instead of one per event)."""
    with events.db.engine.begin() as connection:
        batch = EventWriter(_OneConnection(connection), events.at)  # type: ignore[arg-type]
        yield batch
    events.at = batch.at


def chat(
    events: EventWriter, sender: str, messages: Sequence[Message], channel: str = "web"
) -> None:
    """A new session for ``sender`` with these patient messages, each answered by the bot."""
    events.session(sender, channel)
    for message in messages:
        text, intent = message[0], message[1]
        confidence = message[2] if len(message) > 2 else 0.95
        events.user(sender, text, intent, confidence=confidence, channel=channel)
        events.bot(sender, f"Answer to {intent}.", f"kb.{intent}")


def callback_requested(
    events: EventWriter,
    sender: str,
    name: str,
    phone: str,
    best_time: str,
    requested_at: float,
    channel: str = "web",
) -> int:
    """A ``callback_request`` slot like ``EventWriter.callback``, requested at a chosen time."""
    events.at += 1.0
    value = {
        "name": name,
        "phone": phone,
        "best_time": best_time,
        "consent": True,
        "requested_at": datetime.fromtimestamp(requested_at, PACIFIC).isoformat(),
        "channel": channel,
    }
    data = {"event": "slot", "timestamp": events.at, "name": "callback_request", "value": value}
    return raw_event(
        events.db, sender, "slot", json.dumps(data), events.at, action="callback_request"
    )


def rows(db: Database, table: sa.Table, *where: Any) -> List[sa.engine.Row]:
    with db.engine.begin() as connection:
        query = sa.select(table).where(*where)
        first_key = next(iter(table.primary_key.columns))
        return list(connection.execute(query.order_by(first_key)))


def conversations(db: Database) -> List[sa.engine.Row]:
    return rows(db, schema.conversations)


def conversation(db: Database, conversation_id: int) -> sa.engine.Row:
    found = rows(db, schema.conversations, schema.conversations.c.id == conversation_id)
    assert len(found) == 1, f"no conversation {conversation_id}"
    return found[0]


def intent_counts(db: Database, conversation_id: int) -> Dict[str, int]:
    table = schema.conversation_intents
    return {r.intent: r.count for r in rows(db, table, table.c.conversation_id == conversation_id)}


def unanswered_questions(db: Database) -> List[str]:
    return [r.question for r in rows(db, schema.unanswered)]


def escaped(text: str) -> str:
    """``text`` as Jinja's autoescape writes it."""
    return str(markupsafe.escape(text))


def said(
    events: EventWriter,
    sender: str,
    text: str,
    intent: str,
    language: Optional[str],
    language_confidence: float,
    channel: str = "web",
) -> int:
    """A patient message whose parse data carries the NLU's detected language (None:
    undecided) and confidence, as the language-aware NLU writes it."""
    events.at += 1.0
    parse: Dict[str, Any] = {
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [],
        "text": text,
        PARSE_LANGUAGE: language,
        PARSE_LANGUAGE_CONFIDENCE: language_confidence,
    }
    data = {
        "event": "user",
        "timestamp": events.at,
        "text": text,
        "parse_data": parse,
        "input_channel": channel,
        "metadata": {"channel": channel},
    }
    return raw_event(events.db, sender, "user", json.dumps(data), events.at, intent=intent)


def answered(
    events: EventWriter, sender: str, text: str, kb_entry: str, language: Optional[str]
) -> int:
    """A bot message with its language in the metadata (left out when None)."""
    events.at += 1.0
    metadata: Dict[str, Any] = {META_KB_ENTRY: kb_entry}
    if language is not None:
        metadata[META_LANGUAGE] = language
    data = {"event": "bot", "timestamp": events.at, "text": text, "metadata": metadata}
    return raw_event(events.db, sender, "bot", json.dumps(data), events.at)


def language_slot(events: EventWriter, sender: str, value: Optional[str]) -> int:
    """The actions setting (or resetting, None) the conversation's language slot."""
    events.at += 1.0
    data = {"event": "slot", "timestamp": events.at, "name": LANGUAGE_SLOT, "value": value}
    return raw_event(events.db, sender, "slot", json.dumps(data), events.at, action=LANGUAGE_SLOT)
