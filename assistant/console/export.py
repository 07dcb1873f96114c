"""Exports of the conversations an inbox filter selects, as CSV (one row per message) or
JSON (one object per conversation). Contact details are masked in both.

Languages: the conversation's (as the inbox shows it) on each row or object, and each
message's: a patient message's detected language and the detector's confidence (empty when
undecided or not recorded), a bot message's language.

Patients' ratings go with the answer they rate: a ``feedback`` list on bot messages (JSON) or
a ``feedback`` column ("not_helpful: comment"). A rating whose answer is not in the
conversation is a message of its own, speaker ``feedback``."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any, Dict, Iterator, List
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.inbox import InboxFilters, conditions, tags_for
from assistant.console.masking import Masker
from assistant.console.transcript import (
    Entry,
    Rating,
    conversation_events,
    entries_from_events,
)

# The export's names for languages (a file format staff tools read, not the parse-data keys).
LANGUAGE = "language"
LANGUAGE_CONFIDENCE = "language_confidence"
CSV_COLUMNS = (
    "conversation_id",
    "channel",
    "conversation_started",
    "message_time",
    "speaker",
    "text",
    "intent",
    "confidence",
    "kb_entry",
    "flags",
    "feedback",
    # Added with the Spanish work: at the end, so the earlier columns keep their places.
    "conversation_language",
    LANGUAGE,
    LANGUAGE_CONFIDENCE,
)
c = schema.conversations.c


def _iso(at: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(at, tz).isoformat(timespec="seconds")


def selected_conversations(
    connection: Connection, filters: InboxFilters, tz: ZoneInfo, limit: int
) -> List[sa.engine.Row]:
    return list(
        connection.execute(
            sa.select(schema.conversations)
            .where(*conditions(filters, tz))
            .order_by(c.started_at.desc(), c.id.desc())
            .limit(limit)
        )
    )


def _rating(rating: Rating, tz: ZoneInfo) -> Dict[str, Any]:
    return {"time": _iso(rating.at, tz), "rating": rating.rating, "comment": rating.comment}


def _csv_ratings(ratings: List[Dict[str, Any]]) -> str:
    return "; ".join(
        f"{r['rating']}: {r['comment']}" if r["comment"] else r["rating"] for r in ratings
    )


def _message(entry: Entry, tz: ZoneInfo) -> Dict[str, Any]:
    speaker = {"patient": "patient", "bot": "bot"}.get(entry.kind, entry.kind)
    text = entry.text
    if entry.kind == "action":
        text = entry.action
    elif entry.kind == "callback":
        text = (
            f"callback requested: {entry.callback['name']}, {entry.callback['phone']}, "
            + (entry.callback["best_time"])
        )
    message: Dict[str, Any] = {
        "time": _iso(entry.at, tz),
        "speaker": speaker,
        "text": text,
        "intent": entry.intent,
        "confidence": entry.confidence,
        "kb_entry": entry.kb_entry,
        "flags": entry.flags,
        LANGUAGE: entry.language,
    }
    if entry.kind == "patient":
        message[LANGUAGE_CONFIDENCE] = entry.language_confidence
    if entry.kind in ("bot", "feedback"):
        message["feedback"] = [_rating(r, tz) for r in entry.ratings]
    if entry.kind == "feedback":
        message["kb_entry"] = entry.ratings[0].kb_entry
    return message


def export_json(
    connection: Connection, rows: List[sa.engine.Row], masker: Masker, tz: ZoneInfo
) -> str:
    tags = tags_for(connection, [r.id for r in rows])
    out = []
    for row in rows:
        entries = entries_from_events(conversation_events(connection, row), masker)
        out.append(
            {
                "id": row.id,
                "channel": row.channel,
                "started": _iso(row.started_at, tz),
                "last_activity": _iso(row.last_at, tz),
                "turns": row.turns,
                LANGUAGE: row.language,
                "flags": [
                    f
                    for f in ("emergency", "handoff", "callback", "fallback", "reviewed")
                    if getattr(row, f)
                ],
                "tags": tags.get(row.id, []),
                "messages": [_message(e, tz) for e in entries],
            }
        )
    return json.dumps({"conversations": out}, ensure_ascii=False, indent=1)


def _decimal(value: Any) -> str:
    return "" if value is None else f"{value:.3f}"


def _csv_safe(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas; prefix those with '."""
    if isinstance(value, str) and value.lstrip(" ")[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(
    connection: Connection, rows: List[sa.engine.Row], masker: Masker, tz: ZoneInfo
) -> str:
    return "".join(_csv_chunks(connection, rows, masker, tz))


def _csv_chunks(
    connection: Connection, rows: List[sa.engine.Row], masker: Masker, tz: ZoneInfo
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        for entry in entries_from_events(conversation_events(connection, row), masker):
            m = _message(entry, tz)
            writer.writerow(
                [
                    _csv_safe(v)
                    for v in (
                        row.id,
                        row.channel,
                        _iso(row.started_at, tz),
                        m["time"],
                        m["speaker"],
                        m["text"],
                        m["intent"],
                        _decimal(m["confidence"]),
                        m["kb_entry"],
                        " ".join(m["flags"]),
                        _csv_ratings(m.get("feedback", [])),
                        row.language,
                        m[LANGUAGE] or "",
                        _decimal(m.get(LANGUAGE_CONFIDENCE)),
                    )
                ]
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
