"""One conversation, as staff read it: patient messages with intent, confidence, entities and
detected language; bot replies with the knowledge entry they came from and their language;
actions; callback requests; patients' ratings of answers, shown with the answer they rate.

Contact details are masked unless the message's event id is in ``reveal``. A rating's comment
is always masked (it has no reveal).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.indexer import (
    CALLBACK_SLOT,
    FEEDBACK_SLOT,
    LOW_CONFIDENCE,
    MISSED_INTENTS,
)
from assistant.console.languages import bot_language, detected_language
from assistant.console.masking import Masker, mask_phone_number
from assistant.dialogue_names import (
    ACTION_LISTEN,
    ACTION_RESTART,
    ACTION_SESSION_START,
    HELPFUL,
    MESSAGE_FLAGS,
    META_KB_ENTRY,
    REQUEST_BEST_TIME,
    REQUEST_CHANNEL,
    REQUEST_NAME,
    REQUEST_PHONE,
    REQUEST_REQUESTED_AT,
)
from assistant.feedback import AnswerFeedback

HIDDEN_ACTIONS = frozenset({ACTION_LISTEN, ACTION_SESSION_START, ACTION_RESTART})
# The yes/no flags the actions put on a bot message, shown beside it.
BOT_FLAGS = MESSAGE_FLAGS
# How far apart a rating's ``answer_at`` and its answer's timestamp may be (float round trips).
SAME_TIME_S = 1e-6


@dataclass(frozen=True)
class Rating:
    """A patient's rating of one answer, its comment masked."""

    event_id: int
    at: float
    rating: str  # helpful, not_helpful
    comment: str
    kb_entry: str
    answer_at: Optional[float]

    @property
    def helpful(self) -> bool:
        return self.rating == HELPFUL


@dataclass
class Entry:
    event_id: int
    kind: str  # "patient", "bot", "action" or "callback"
    at: float
    text: str = ""
    masked: bool = False  # contact details were hidden in ``text``
    intent: str = ""
    confidence: Optional[float] = None
    entities: List[Dict[str, str]] = field(default_factory=list)
    kb_entry: str = ""
    flags: List[str] = field(default_factory=list)
    action: str = ""
    callback: Dict[str, str] = field(default_factory=dict)
    correction: str = ""
    buttons: List[str] = field(default_factory=list)
    ratings: List[Rating] = field(default_factory=list)  # of this answer; or a "feedback" entry
    # A patient message's detected language (None: undecided) and the detector's confidence;
    # a bot message's language (None: not recorded).
    language: Optional[str] = None
    language_confidence: Optional[float] = None
    language_reported: bool = False  # the NLU said something of the language (newer events)

    @property
    def low_confidence(self) -> bool:
        return self.confidence is not None and self.confidence < LOW_CONFIDENCE

    @property
    def missed(self) -> bool:
        return self.intent in MISSED_INTENTS or self.low_confidence


@dataclass
class Transcript:
    conversation: sa.engine.Row
    entries: List[Entry]
    tags: List[sa.engine.Row]
    notes: List[sa.engine.Row]


def load_conversation(connection: Connection, conversation_id: int) -> Optional[sa.engine.Row]:
    table = schema.conversations
    return connection.execute(sa.select(table).where(table.c.id == conversation_id)).first()


def conversation_events(connection: Connection, conversation: sa.engine.Row) -> List[Any]:
    events = schema.events
    return list(
        connection.execute(
            sa.select(events)
            .where(
                events.c.sender_id == conversation.sender_id,
                events.c.id >= conversation.first_event_id,
                events.c.id <= conversation.last_event_id,
            )
            .order_by(events.c.id)
        )
    )


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _masked(masker: Masker, text: str, reveal: bool) -> tuple[str, bool]:
    if reveal or not text:
        return text, False
    hidden = masker.mask(text)
    return hidden, hidden != text


def entries_from_events(
    rows: List[Any], masker: Masker, reveal: FrozenSet[int] = frozenset()
) -> List[Entry]:
    entries: List[Entry] = []
    for row in rows:
        try:
            data = json.loads(row.data or "{}")
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        at = float(row.timestamp or 0.0)
        show = row.id in reveal
        if row.type_name == "user":
            entries.append(_patient(row.id, at, data, masker, show))
        elif row.type_name == "bot":
            text, masked = _masked(masker, str(data.get("text") or ""), show)
            metadata = _dict(data.get("metadata"))
            buttons = _dict(data.get("data")).get("buttons") or []
            entries.append(
                Entry(
                    row.id,
                    "bot",
                    at,
                    text=text,
                    masked=masked,
                    kb_entry=str(metadata.get(META_KB_ENTRY) or ""),
                    flags=[f for f in BOT_FLAGS if metadata.get(f) is True],
                    buttons=[str(b.get("title", "")) for b in buttons if isinstance(b, dict)],
                    language=bot_language(metadata),
                )
            )
        elif row.type_name == "action" and row.action_name not in HIDDEN_ACTIONS:
            entries.append(Entry(row.id, "action", at, action=str(row.action_name or "")))
        elif row.type_name == "slot" and row.action_name == CALLBACK_SLOT:
            value = data.get("value")
            if isinstance(value, dict):
                phone = str(value.get(REQUEST_PHONE) or "")
                best_time, _ = _masked(masker, str(value.get(REQUEST_BEST_TIME) or ""), show)
                entries.append(
                    Entry(
                        row.id,
                        "callback",
                        at,
                        masked=not show,
                        callback={
                            "name": str(value.get(REQUEST_NAME) or ""),
                            "phone": phone if show else mask_phone_number(phone),
                            "best_time": best_time,
                            "requested_at": str(value.get(REQUEST_REQUESTED_AT) or ""),
                            "channel": str(value.get(REQUEST_CHANNEL) or ""),
                        },
                    )
                )
        elif row.type_name == "slot" and row.action_name == FEEDBACK_SLOT:
            rating = _rating(row.id, at, data.get("value"), masker)
            if rating is not None:
                entries.append(Entry(row.id, "feedback", at, ratings=[rating]))
    return _with_ratings_on_answers(entries)


def _rating(event_id: int, at: float, value: Any, masker: Masker) -> Optional[Rating]:
    found = AnswerFeedback.from_slot_value(value)
    if found is None:
        return None
    return Rating(
        event_id,
        at,
        found.rating,
        masker.mask(found.comment.strip()),
        found.kb_entry or "",
        found.answer_at,
    )


def _rated_answer(earlier: List[Entry], rating: Rating) -> Optional[Entry]:
    """The answer a rating is about: the bot message with the rating's ``answer_at`` as its
    timestamp, else the latest one from the same knowledge entry before the rating."""
    answers = [e for e in reversed(earlier) if e.kind == "bot"]
    if rating.answer_at is not None:
        for answer in answers:
            if abs(answer.at - rating.answer_at) <= SAME_TIME_S:
                return answer
    if rating.kb_entry:
        for answer in answers:
            if answer.kb_entry == rating.kb_entry:
                return answer
    return None


def _with_ratings_on_answers(entries: List[Entry]) -> List[Entry]:
    """Each rating moved onto the answer it rates, where it replaces an earlier one (a patient
    may change their mind, or add a comment to a thumbs-down: the latest counts); one whose
    answer is not in this conversation stays an entry of its own, where it happened."""
    kept: List[Entry] = []
    for entry in entries:
        answer = _rated_answer(kept, entry.ratings[0]) if entry.kind == "feedback" else None
        if answer is None:
            kept.append(entry)
        else:
            answer.ratings[:] = entry.ratings
    return kept


def _patient(event_id: int, at: float, data: Dict, masker: Masker, show: bool) -> Entry:
    parse = _dict(data.get("parse_data"))
    intent = _dict(parse.get("intent"))
    text, masked = _masked(masker, str(data.get("text") or ""), show)
    confidence = intent.get("confidence")
    language = detected_language(parse)
    entities = []
    found = parse.get("entities")
    for entity in found if isinstance(found, list) else []:
        if isinstance(entity, dict):
            value, _ = _masked(masker, str(entity.get("value", "")), show)
            entities.append({"entity": str(entity.get("entity", "")), "value": value})
    return Entry(
        event_id,
        "patient",
        at,
        text=text,
        masked=masked,
        intent=str(intent.get("name") or ""),
        confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
        entities=entities,
        language=language.language,
        language_confidence=language.confidence,
        language_reported=language.reported,
    )


def load_transcript(
    connection: Connection,
    conversation_id: int,
    masker: Masker,
    reveal: FrozenSet[int] = frozenset(),
) -> Optional[Transcript]:
    conversation = load_conversation(connection, conversation_id)
    if conversation is None:
        return None
    entries = entries_from_events(conversation_events(connection, conversation), masker, reveal)
    corrections = schema.corrections
    corrected = dict(
        connection.execute(
            sa.select(corrections.c.event_id, corrections.c.corrected_intent).where(
                corrections.c.conversation_id == conversation_id
            )
        ).all()
    )
    for entry in entries:
        entry.correction = corrected.get(entry.event_id, "")
    tags = list(
        connection.execute(
            sa.select(schema.tags)
            .where(schema.tags.c.conversation_id == conversation_id)
            .order_by(schema.tags.c.tag)
        )
    )
    notes = list(
        connection.execute(
            sa.select(schema.notes)
            .where(schema.notes.c.conversation_id == conversation_id)
            .order_by(schema.notes.c.id)
        )
    )
    return Transcript(conversation, entries, tags, notes)
