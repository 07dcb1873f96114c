"""The conversation index: reads new rows of Rasa's ``events`` table, in id order, and keeps
one ``console_conversations`` row per Rasa session with its flags, intents, callbacks and
unanswered questions. It only ever reads events once, so the inbox never scans ``events``.

A conversation starts at Rasa's session start (``session_started_metadata`` or
``action_session_start``) once the sender's previous session has begun, or at a sender's first
event. A gap in event ids can be a transaction still being committed (PostgreSQL hands out ids
before commit), so the indexer waits for a recent gap to fill and only skips an old one.

The inbox searches ``search_text``: the patient's messages masked exactly as the transcript
shows them to reviewers, so a search for part of a phone number or email address finds
nothing the masked transcript does not show, and folded (``folding.fold``: lower case, no
accents). Older consoles stored it unmasked (format 0) or not folded (1); ``catch_up``
rewrites it from the events once (``SEARCH_TEXT_VERSION``), and with it each conversation's
language, which they did not record.

A conversation's language (``languages.LanguageTracker``) is the language slot's last value,
else the last bot message's language, else English.

Nothing the indexer logs or raises carries a database error's text, which can quote the
values being written: only the error's type and the events rows concerned.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from assistant.console import schema
from assistant.console.alerts.kinds import CALLBACK_ALERT, INTENT_KINDS, TRIAGE_KINDS
from assistant.console.alerts.planner import AlertCandidate, AlertPlanner
from assistant.console.languages import DEFAULT_LANGUAGE, LanguageTracker
from assistant.console.masking import Masker
from assistant.dialogue_names import (
    ACTION_HANDOFF,
    ACTION_SESSION_START,
    ANSWER_FEEDBACK_SLOT,
    CALLBACK_REQUEST_SLOT,
    EMERGENCY,
    LANGUAGE_SLOT,
    META_CHANNEL,
    META_EMERGENCY,
    META_FALLBACK,
    META_HANDOFF,
    META_TRIAGE,
    NLU_FALLBACK,
    OUT_OF_SCOPE,
    REQUEST_BEST_TIME,
    REQUEST_CHANNEL,
    REQUEST_NAME,
    REQUEST_PHONE,
    REQUEST_REQUESTED_AT,
    SELF_HARM,
    SESSION_STARTED_METADATA_SLOT,
)
from assistant.feedback import COMMENT_MAX_CHARS, AnswerFeedback
from assistant.language.folding import fold_accents

logger = logging.getLogger(__name__)

CURSOR = "events"
LOW_CONFIDENCE = 0.5
MISSED_INTENTS = frozenset({NLU_FALLBACK, OUT_OF_SCOPE})
SESSION_START_SLOT = SESSION_STARTED_METADATA_SLOT
SESSION_START_ACTION = ACTION_SESSION_START
CALLBACK_SLOT = CALLBACK_REQUEST_SLOT
# A patient's rating of an answer (assistant/feedback.py), stored masked in console_feedback.
FEEDBACK_SLOT = ANSWER_FEEDBACK_SLOT
# 911 and 988 messages flag the conversation as an emergency.
EMERGENCY_INTENTS = frozenset({EMERGENCY, SELF_HARM})
HANDOFF_ACTION = ACTION_HANDOFF
SEARCH_TEXT_CHARS = 4000
# console_index_state row holding the search text's format: 1 = masked like the transcript;
# 2 = also folded, and each conversation's language read from its events.
SEARCH_STATE = "search_text"
SEARCH_TEXT_VERSION = 2
REBUILD_BATCH = 500
QUESTION_CHARS = 300
_SPACES = re.compile(r"\s+")
_READ_DATA = frozenset({"user", "bot"})
_READ_SLOTS = frozenset({SESSION_START_SLOT, CALLBACK_SLOT, FEEDBACK_SLOT, LANGUAGE_SLOT})


@dataclass
class ConversationState:
    sender_id: str
    started_at: float
    started_day: str
    first_event_id: int
    id: Optional[int] = None
    channel: str = "unknown"
    last_at: float = 0.0
    last_event_id: int = 0
    session_open: bool = False
    turns: int = 0
    missed: int = 0
    emergency: bool = False
    handoff: bool = False
    callback: bool = False
    fallback: bool = False
    first_message: str = ""
    search_text: str = ""
    language: str = DEFAULT_LANGUAGE
    language_from_slot: bool = False
    intents: Counter[str] = field(default_factory=Counter)  # new in this batch
    callbacks: List[Dict[str, Any]] = field(default_factory=list)
    unanswered: List[Dict[str, Any]] = field(default_factory=list)
    alerts: Dict[str, float] = field(default_factory=dict)  # alert kind -> when, this batch
    feedback: List[Dict[str, Any]] = field(default_factory=list)  # console_feedback rows

    def row(self) -> Dict[str, Any]:
        return {
            "sender_id": self.sender_id,
            "channel": self.channel,
            "started_at": self.started_at,
            "started_day": self.started_day,
            "last_at": self.last_at,
            "first_event_id": self.first_event_id,
            "last_event_id": self.last_event_id,
            "session_open": self.session_open,
            "turns": self.turns,
            "missed": self.missed,
            "emergency": self.emergency,
            "handoff": self.handoff,
            "callback": self.callback,
            "fallback": self.fallback,
            "first_message": self.first_message,
            "search_text": self.search_text,
            "language": self.language,
            "language_from_slot": self.language_from_slot,
        }

    @property
    def language_tracker(self) -> LanguageTracker:
        return LanguageTracker(self.language, self.language_from_slot)

    @language_tracker.setter
    def language_tracker(self, tracker: LanguageTracker) -> None:
        self.language, self.language_from_slot = tracker.language, tracker.from_slot


class IndexingFailed(RuntimeError):
    """Indexing stopped. The message names the error's type and the events rows, never
    the error's own text, and the original error is not chained for tracebacks."""


def message_text(data: Mapping[str, Any]) -> str:
    """A patient message's text, from its event's ``data``."""
    return str(data.get("text") or "")


def add_search_text(search_text: str, text: str, masker: Masker) -> str:
    """``search_text`` with a patient message added, masked as reviewers see it and folded
    (lower case, no accents), up to ``SEARCH_TEXT_CHARS``. Button payloads ("/greet") are
    not typed text."""
    if not text or text.startswith("/") or len(search_text) >= SEARCH_TEXT_CHARS:
        return search_text
    masked = fold_accents(masker.mask(text))
    joined = f"{search_text}\n{masked}" if search_text else masked
    return joined[:SEARCH_TEXT_CHARS]


def _loaded(data: Optional[str]) -> Dict[str, Any]:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _metadata(data: Mapping[str, Any]) -> Dict[str, Any]:
    metadata = data.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def normalise_question(text: str, masker: Masker) -> str:
    """How unanswered questions are grouped: masked, lower case, single spaces."""
    return _SPACES.sub(" ", masker.mask(text).lower()).strip(" ?.!")[:QUESTION_CHARS]


def _callback_time(value: Mapping[str, Any], fallback: float) -> float:
    try:
        return datetime.fromisoformat(str(value.get(REQUEST_REQUESTED_AT))).timestamp()
    except ValueError:
        return fallback


class Indexer:
    def __init__(
        self,
        timezone: ZoneInfo,
        masker: Masker,
        batch_size: int = 2000,
        gap_grace_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        alerts: Optional[AlertPlanner] = None,
    ) -> None:
        self.timezone = timezone
        self.masker = masker
        self.batch_size = batch_size
        self.gap_grace_s = gap_grace_s
        self.clock = clock
        # Writes the alerts outbox in the index's transaction; None: no alerts.
        self.alerts = alerts
        self._search_text_current = False
        self._batch_rows = ""  # the events rows of the batch being indexed, for errors

    # -- reading --------------------------------------------------------------------------

    def catch_up(self, engine: Engine, max_batches: Optional[int] = None) -> int:
        """Index every committed event not indexed yet; returns how many were read.

        Raises ``IndexingFailed`` (after logging the error's type and the rows)."""
        self.refresh_search_text(engine)
        total = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            count = self._guarded(self._index_one_batch, engine)
            total += count
            batches += 1
            if count < self.batch_size:
                break
        return total

    def _index_one_batch(self, engine: Engine) -> int:
        with engine.begin() as connection:
            return self.index_batch(connection)

    def _guarded(self, step: Callable[[Engine], int], engine: Engine) -> int:
        self._batch_rows = ""
        try:
            return step(engine)
        except Exception as error:  # noqa: BLE001 - reported by type only, then raised
            where = self._batch_rows or "the events not yet indexed"
            logger.error("indexing failed: %s in %s", type(error).__name__, where)
            raise IndexingFailed(f"{type(error).__name__} in {where}") from None

    def index_batch(self, connection: Connection) -> int:
        self._lock(connection)
        cursor = self._cursor(connection)
        self._batch_rows = f"the batch of events after row {cursor}"
        rows = connection.execute(
            sa.select(schema.events)
            .where(schema.events.c.id > cursor)
            .order_by(schema.events.c.id)
            .limit(self.batch_size)
        ).all()
        if rows:
            self._batch_rows = f"the batch of events rows {rows[0].id}-{rows[-1].id}"
        states: Dict[str, Optional[ConversationState]] = dict.fromkeys({r.sender_id for r in rows})
        states.update(self._latest(connection, list(states)))
        expected = cursor + 1
        done = 0
        ended: List[ConversationState] = []  # earlier sessions of a sender in this batch
        for row in rows:
            if row.id != expected and (row.timestamp or 0) > self.clock() - self.gap_grace_s:
                break  # an earlier id may still be committing; read on next time
            before = states[row.sender_id]
            states[row.sender_id] = self._apply(before, row)
            if before is not None and states[row.sender_id] is not before:
                ended.append(before)
            expected = row.id + 1
            done += 1
            cursor = row.id
        if done:
            self._save(ended + [s for s in states.values() if s is not None], connection)
            self._set_cursor(connection, cursor)
        return done

    # -- the search text's format ---------------------------------------------------------

    def refresh_search_text(self, engine: Engine) -> int:
        """Rewrite every conversation's search text and language from its events if an older
        console stored the text in an older format (unmasked, or not folded) and no language.
        Returns how many conversations were rewritten."""
        if self._search_text_current:
            return 0
        rewritten = 0
        if self._guarded(self._search_text_version, engine) < SEARCH_TEXT_VERSION:
            rewritten = self._guarded(self._rewrite_search_text, engine)
            logger.info("search text and language rewritten for %s conversations", rewritten)
        self._search_text_current = True
        return rewritten

    def _search_text_version(self, engine: Engine) -> int:
        self._batch_rows = "reading the search text's format"
        with engine.begin() as connection:
            return self._state(connection, SEARCH_STATE)

    def _rewrite_search_text(self, engine: Engine) -> int:
        after = 0
        rewritten = 0
        while True:
            with engine.begin() as connection:
                self._lock(connection)
                ids = self._rewrite_search_batch(connection, after)
            if not ids:
                break
            rewritten += len(ids)
            after = ids[-1]
        with engine.begin() as connection:
            self._lock(connection)
            self._set_state(connection, SEARCH_STATE, SEARCH_TEXT_VERSION)
        return rewritten

    def _rewrite_search_batch(self, connection: Connection, after: int) -> List[int]:
        """The search text and language of the next ``REBUILD_BATCH`` conversations after id
        ``after``, made again from their messages and language slot; returns their ids."""
        table, events = schema.conversations, schema.events
        ids = list(
            connection.execute(
                sa.select(table.c.id)
                .where(table.c.id > after)
                .order_by(table.c.id)
                .limit(REBUILD_BATCH)
            ).scalars()
        )
        if not ids:
            return []
        self._batch_rows = f"the search text of conversations {ids[0]}-{ids[-1]}"
        texts = dict.fromkeys(ids, "")
        languages = {i: LanguageTracker() for i in ids}
        joined = table.join(
            events,
            sa.and_(
                events.c.sender_id == table.c.sender_id,
                events.c.id >= table.c.first_event_id,
                events.c.id <= table.c.last_event_id,
            ),
        )
        read = sa.or_(
            events.c.type_name.in_(("user", "bot")),
            sa.and_(events.c.type_name == "slot", events.c.action_name == LANGUAGE_SLOT),
        )
        messages = (
            sa.select(table.c.id, events.c.type_name, events.c.data)
            .select_from(joined)
            .where(table.c.id.between(ids[0], ids[-1]), read)
            .order_by(table.c.id, events.c.id)
        )
        for conversation_id, type_name, data in connection.execute(messages):
            loaded = _loaded(data)
            if type_name == "user":
                texts[conversation_id] = add_search_text(
                    texts[conversation_id], message_text(loaded), self.masker
                )
            elif type_name == "bot":
                languages[conversation_id].on_bot(_metadata(loaded))
            else:
                languages[conversation_id].on_slot(loaded.get("value"))
        connection.execute(
            table.update()
            .where(table.c.id == sa.bindparam("v_id"))
            .values(
                search_text=sa.bindparam("v_text"),
                language=sa.bindparam("v_language"),
                language_from_slot=sa.bindparam("v_from_slot"),
            ),
            [
                {
                    "v_id": i,
                    "v_text": text,
                    "v_language": languages[i].language,
                    "v_from_slot": languages[i].from_slot,
                }
                for i, text in texts.items()
            ],
        )
        return ids

    @staticmethod
    def _lock(connection: Connection) -> None:
        """Take the cursor row's write lock first, so two consoles never index the same
        events (PostgreSQL locks the row; SQLite takes its database write lock)."""
        table = schema.index_state
        locked = connection.execute(
            table.update().where(table.c.name == CURSOR).values(value=table.c.value)
        ).rowcount
        if not locked:
            connection.execute(table.insert().values(name=CURSOR, value=0))

    def _cursor(self, connection: Connection) -> int:
        return self._state(connection, CURSOR)

    def _set_cursor(self, connection: Connection, value: int) -> None:
        self._set_state(connection, CURSOR, value)

    @staticmethod
    def _state(connection: Connection, name: str) -> int:
        table = schema.index_state
        value = connection.execute(sa.select(table.c.value).where(table.c.name == name)).scalar()
        return int(value or 0)

    @staticmethod
    def _set_state(connection: Connection, name: str, value: int) -> None:
        table = schema.index_state
        updated = connection.execute(
            table.update().where(table.c.name == name).values(value=value)
        ).rowcount
        if not updated:
            connection.execute(table.insert().values(name=name, value=value))

    def _latest(self, connection: Connection, senders: List[str]) -> Dict[str, ConversationState]:
        """Each sender's latest conversation, in one query per 500 senders."""
        table = schema.conversations
        found: Dict[str, ConversationState] = {}
        names = list(ConversationState.__dataclass_fields__)
        for start in range(0, len(senders), 500):
            chunk = senders[start : start + 500]
            latest = (
                sa.select(sa.func.max(table.c.id))
                .where(table.c.sender_id.in_(chunk))
                .group_by(table.c.sender_id)
            )
            for row in connection.execute(
                sa.select(table).where(table.c.id.in_(latest))
            ).mappings():
                found[row["sender_id"]] = ConversationState(
                    **{k: row[k] for k in names if k in row}
                )
        return found

    # -- interpreting ---------------------------------------------------------------------

    def _new(self, row: Any) -> ConversationState:
        at = float(row.timestamp or 0.0)
        day = datetime.fromtimestamp(at, self.timezone).date().isoformat()
        return ConversationState(row.sender_id, at, day, row.id, last_at=at, last_event_id=row.id)

    def _apply(self, state: Optional[ConversationState], row: Any) -> ConversationState:
        type_name, name = row.type_name, row.action_name
        starts = (type_name == "slot" and name == SESSION_START_SLOT) or (
            type_name == "action" and name == SESSION_START_ACTION
        )
        if state is None or (starts and state.session_open):
            state = self._new(row)
        if row.timestamp and row.timestamp > state.last_at:
            state.last_at = float(row.timestamp)
        state.last_event_id = row.id
        if type_name == "session_started":
            state.session_open = True
        elif type_name == "action":
            if name == HANDOFF_ACTION:
                state.handoff = True
        elif type_name in _READ_DATA or (type_name == "slot" and name in _READ_SLOTS):
            # Only these events' JSON is parsed; the rest need just their columns.
            try:
                data = json.loads(row.data or "{}")
            except ValueError:
                logger.warning("events row %s: data is not JSON; indexed without it", row.id)
                data = None
            if isinstance(data, dict):
                getattr(self, f"_on_{type_name}")(state, row, data)
        return state

    def _on_slot(self, state: ConversationState, row: Any, data: Dict) -> None:
        value = data.get("value")
        if row.action_name == SESSION_START_SLOT and isinstance(value, dict):
            self._set_channel(state, value.get(META_CHANNEL))
        elif row.action_name == CALLBACK_SLOT and isinstance(value, dict):
            if not value.get(REQUEST_PHONE):
                return
            state.callback = True
            # The keys are console_callbacks columns; the values come from the slot's keys.
            state.callbacks.append(
                {
                    "event_id": row.id,
                    "name": str(value.get(REQUEST_NAME) or "")[:255],
                    "phone": str(value.get(REQUEST_PHONE))[:32],
                    "best_time": str(value.get(REQUEST_BEST_TIME) or "")[:255],
                    "requested_at": _callback_time(value, float(row.timestamp or 0.0)),
                    "channel": str(value.get(REQUEST_CHANNEL) or state.channel)[:16],
                    "status": "new",
                }
            )
        elif row.action_name == FEEDBACK_SLOT:
            self._on_feedback(state, row, value)
        elif row.action_name == LANGUAGE_SLOT:
            tracker = state.language_tracker
            tracker.on_slot(value)
            state.language_tracker = tracker

    def _on_feedback(self, state: ConversationState, row: Any, value: Any) -> None:
        """A rating of an answer, its comment masked as reviewers see it. A reset slot (None)
        is no rating; a value this version does not understand is skipped, not an error."""
        rating = AnswerFeedback.from_slot_value(value)
        if rating is None:
            if value is not None:
                logger.warning("events row %s: answer feedback not understood; skipped", row.id)
            return
        channel = rating.channel if rating.channel != "unknown" else state.channel
        state.feedback.append(
            {
                "event_id": row.id,
                "at": float(row.timestamp or 0.0),
                "rating": rating.rating,
                "entry_id": rating.kb_entry,
                "answer_at": rating.answer_at,
                "comment": self.masker.mask(rating.comment.strip())[:COMMENT_MAX_CHARS],
                "channel": channel[:16],
            }
        )

    def _on_bot(self, state: ConversationState, row: Any, data: Dict) -> None:
        metadata = data.get("metadata") or {}
        if not isinstance(metadata, dict):
            return
        state.emergency = state.emergency or metadata.get(META_EMERGENCY) is True
        state.handoff = state.handoff or metadata.get(META_HANDOFF) is True
        state.fallback = state.fallback or metadata.get(META_FALLBACK) is True
        tier_kind = TRIAGE_KINDS.get(str(metadata.get(META_TRIAGE) or ""))
        if tier_kind:
            state.alerts.setdefault(tier_kind, float(row.timestamp or 0.0))
        tracker = state.language_tracker
        tracker.on_bot(metadata)
        state.language_tracker = tracker

    def _on_user(self, state: ConversationState, row: Any, data: Dict) -> None:
        text = message_text(data)
        parse = data.get("parse_data") or {}
        intent = parse.get("intent") if isinstance(parse, dict) else {}
        intent = intent if isinstance(intent, dict) else {}
        name = str(intent.get("name") or row.intent_name or "")
        confidence = intent.get("confidence")
        metadata = data.get("metadata") or {}
        if isinstance(metadata, dict):
            self._set_channel(state, metadata.get(META_CHANNEL))
        self._set_channel(state, data.get("input_channel"))
        state.turns += 1
        if name:
            state.intents[name] += 1
        if name in EMERGENCY_INTENTS:
            state.emergency = True
        if name in INTENT_KINDS:
            state.alerts.setdefault(INTENT_KINDS[name], float(row.timestamp or 0.0))
        low = isinstance(confidence, (int, float)) and confidence < LOW_CONFIDENCE
        if name in MISSED_INTENTS or low:
            state.missed += 1
            state.fallback = True
            question = normalise_question(text, self.masker)
            if question:
                state.unanswered.append(
                    {"event_id": row.id, "at": float(row.timestamp or 0.0), "question": question}
                )
        if not state.first_message and text and not text.startswith("/"):
            state.first_message = text[:500]
        state.search_text = add_search_text(state.search_text, text, self.masker)

    @staticmethod
    def _set_channel(state: ConversationState, channel: Any) -> None:
        if state.channel == "unknown" and isinstance(channel, str) and channel:
            state.channel = channel[:16]

    # -- writing --------------------------------------------------------------------------

    def _save(self, states: List[ConversationState], connection: Connection) -> None:
        """Write a batch with a handful of bulk statements (not one per conversation)."""
        table = schema.conversations
        new = sorted((s for s in states if s.id is None), key=lambda s: s.first_event_id)
        old = [s for s in states if s.id is not None]
        if new:
            # Ids are assigned here, under the indexer lock, so rows go in as one bulk insert.
            next_id = int(connection.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1
            for offset, state in enumerate(new):
                state.id = next_id + offset
            connection.execute(table.insert(), [{"id": s.id, **s.row()} for s in new])
        if old:
            values = {k: sa.bindparam(f"v_{k}") for k in old[0].row()}
            connection.execute(
                table.update().where(table.c.id == sa.bindparam("v_id")).values(**values),
                [{"v_id": s.id, **{f"v_{k}": v for k, v in s.row().items()}} for s in old],
            )
        self._save_intents(connection, new, old)
        # In event order, so ids follow the order the requests were made.
        callbacks = sorted(
            ({**c, "conversation_id": s.id} for s in states for c in s.callbacks),
            key=lambda c: c["event_id"],
        )
        if callbacks:
            connection.execute(schema.callbacks.insert(), callbacks)
        if self.alerts is not None:
            self._plan_alerts(connection, states, callbacks)
        questions = sorted(
            ({**u, "conversation_id": s.id} for s in states for u in s.unanswered),
            key=lambda u: u["event_id"],
        )
        if questions:
            connection.execute(schema.unanswered.insert(), questions)
        self._save_feedback(
            connection, [{**f, "conversation_id": s.id} for s in states for f in s.feedback]
        )
        for state in states:
            state.intents.clear()
            state.callbacks.clear()
            state.unanswered.clear()
            state.alerts.clear()
            state.feedback.clear()

    @staticmethod
    def _save_feedback(connection: Connection, ratings: List[Dict[str, Any]]) -> None:
        """One row per rated answer, the latest rating: a patient may change their mind, and
        the widget records a thumbs-down at once and again with the comment that follows."""
        latest: Dict[Tuple[Any, ...], Dict[str, Any]] = {}
        for rating in sorted(ratings, key=lambda f: f["event_id"]):
            latest[(rating["conversation_id"], rating["entry_id"], rating["answer_at"])] = rating
        if not latest:
            return
        table = schema.feedback
        for conversation_id, entry_id, answer_at in latest:
            connection.execute(
                table.delete().where(
                    table.c.conversation_id == conversation_id,
                    table.c.entry_id.is_(None)
                    if entry_id is None
                    else table.c.entry_id == entry_id,
                    table.c.answer_at.is_(None)
                    if answer_at is None
                    else table.c.answer_at == answer_at,
                )
            )
        connection.execute(table.insert(), sorted(latest.values(), key=lambda f: f["event_id"]))

    def _plan_alerts(
        self,
        connection: Connection,
        states: List[ConversationState],
        callbacks: List[Dict[str, Any]],
    ) -> None:
        """The batch's alerts, into the outbox. The callbacks' bulk insert returns no ids, so
        they are read back by event id."""
        assert self.alerts is not None
        found = [
            AlertCandidate(kind, s.id, at, s.channel)
            for s in states
            if s.id is not None
            for kind, at in s.alerts.items()
        ]
        table = schema.callbacks
        for start in range(0, len(callbacks), 500):
            event_ids = [c["event_id"] for c in callbacks[start : start + 500]]
            rows = connection.execute(
                sa.select(
                    table.c.id, table.c.conversation_id, table.c.requested_at, table.c.channel
                ).where(table.c.event_id.in_(event_ids))
            )
            found.extend(
                AlertCandidate(CALLBACK_ALERT, r.conversation_id, r.requested_at, r.channel, r.id)
                for r in rows
            )
        if found:
            self.alerts.write(connection, found)

    @staticmethod
    def _save_intents(
        connection: Connection, new: List[ConversationState], old: List[ConversationState]
    ) -> None:
        table = schema.conversation_intents
        inserts = [
            {"conversation_id": s.id, "intent": i[:255], "count": n}
            for s in new
            for i, n in s.intents.items()
        ]
        touched = [s for s in old if s.intents]
        existing = set()
        for start in range(0, len(touched), 500):
            ids = [s.id for s in touched[start : start + 500]]
            existing.update(
                connection.execute(
                    sa.select(table.c.conversation_id, table.c.intent).where(
                        table.c.conversation_id.in_(ids)
                    )
                ).all()
            )
        updates = []
        for state in touched:
            for intent, count in state.intents.items():
                if (state.id, intent[:255]) in existing:
                    updates.append({"v_id": state.id, "v_intent": intent[:255], "v_n": count})
                else:
                    inserts.append(
                        {"conversation_id": state.id, "intent": intent[:255], "count": count}
                    )
        if updates:
            connection.execute(
                table.update()
                .where(
                    table.c.conversation_id == sa.bindparam("v_id"),
                    table.c.intent == sa.bindparam("v_intent"),
                )
                .values(count=table.c.count + sa.bindparam("v_n")),
                updates,
            )
        if inserts:
            connection.execute(table.insert(), inserts)
