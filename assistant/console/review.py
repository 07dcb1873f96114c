"""Review tools: tags, notes, the reviewed mark, and intent corrections (exported as Rasa NLU
YAML for the next training)."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from typing import Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.masking import Masker

MAX_NOTE_CHARS = 4000
_TAG = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,39}$")
# Control characters, which YAML does not allow in a document.
_NOT_YAML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


class ReviewError(ValueError):
    """A review request that cannot be done (the message says why)."""


def clean_tag(tag: str) -> str:
    tag = " ".join(tag.strip().lower().split())
    if not _TAG.match(tag):
        raise ReviewError("a tag is 1-40 characters: letters, digits, spaces, dash, underscore")
    return tag


def add_tag(connection: Connection, conversation_id: int, tag: str, by: str) -> str:
    tag = clean_tag(tag)
    table = schema.tags
    exists = connection.execute(
        sa.select(table.c.tag).where(table.c.conversation_id == conversation_id, table.c.tag == tag)
    ).first()
    if not exists:
        connection.execute(
            table.insert().values(
                conversation_id=conversation_id, tag=tag, created_by=by, created_at=time.time()
            )
        )
    return tag


def remove_tag(connection: Connection, conversation_id: int, tag: str) -> None:
    table = schema.tags
    connection.execute(
        table.delete().where(table.c.conversation_id == conversation_id, table.c.tag == tag)
    )


def add_note(connection: Connection, conversation_id: int, body: str, by: str) -> None:
    body = body.strip()
    if not body:
        raise ReviewError("the note is empty")
    if len(body) > MAX_NOTE_CHARS:
        raise ReviewError(f"a note is at most {MAX_NOTE_CHARS} characters")
    connection.execute(
        schema.notes.insert().values(
            conversation_id=conversation_id, author=by, created_at=time.time(), body=body
        )
    )


def set_reviewed(connection: Connection, conversation_id: int, reviewed: bool, by: str) -> None:
    table = schema.conversations
    connection.execute(
        table.update()
        .where(table.c.id == conversation_id)
        .values(
            reviewed=reviewed,
            reviewed_by=by if reviewed else None,
            reviewed_at=time.time() if reviewed else None,
        )
    )


def correct_intent(
    connection: Connection, conversation_id: int, event_id: int, intent: str, by: str
) -> str:
    """Record the right intent for one patient message of this conversation."""
    conversation = connection.execute(
        sa.select(schema.conversations).where(schema.conversations.c.id == conversation_id)
    ).first()
    events = schema.events
    row = (
        connection.execute(
            sa.select(events).where(
                events.c.id == event_id,
                events.c.type_name == "user",
                events.c.sender_id == conversation.sender_id,
                events.c.id.between(conversation.first_event_id, conversation.last_event_id),
            )
        ).first()
        if conversation is not None
        else None
    )
    if row is None:
        raise ReviewError("that message is not a patient message of this conversation")
    try:
        data = json.loads(row.data or "{}")
    except ValueError:
        data = None
    data = data if isinstance(data, dict) else {}
    text = str(data.get("text") or "")
    if not text.strip():
        raise ReviewError("that message has no text to learn from")
    parse = data.get("parse_data")
    intent_data = parse.get("intent") if isinstance(parse, dict) else None
    predicted = str(intent_data.get("name") or "") if isinstance(intent_data, dict) else ""
    table = schema.corrections
    values = {
        "conversation_id": conversation_id,
        "text": text,
        "predicted_intent": predicted or None,
        "corrected_intent": intent,
        "author": by,
        "created_at": time.time(),
    }
    if (
        connection.execute(
            table.update().where(table.c.event_id == event_id).values(**values)
        ).rowcount
        == 0
    ):
        connection.execute(table.insert().values(event_id=event_id, **values))
    return predicted


def list_corrections(connection: Connection, limit: int = 500) -> List[sa.engine.Row]:
    table = schema.corrections
    return list(connection.execute(sa.select(table).order_by(table.c.id.desc()).limit(limit)))


def _example(text: str, masker: Masker) -> Optional[str]:
    # Brackets would read as Rasa entity annotations ("[x](y)"); they carry no intent.
    line = " ".join(
        _NOT_YAML.sub("", masker.mask(text)).replace("[", "(").replace("]", ")").split()
    )
    if not line or line.startswith("/"):
        return None
    return line


def corrections_nlu_yaml(connection: Connection, masker: Masker, version: str = "3.1") -> str:
    """All corrections as a Rasa NLU training file. Contact details are masked: a patient's
    phone number must not become training data."""
    table = schema.corrections
    by_intent: Dict[str, List[str]] = defaultdict(list)
    query = sa.select(table.c.corrected_intent, table.c.text).order_by(
        table.c.corrected_intent, table.c.id
    )
    for intent, text in connection.execute(query):
        example = _example(text, masker)
        if example and example not in by_intent[intent]:
            by_intent[intent].append(example)
    lines = [
        "# Intent corrections made by reviewers in the staff console.",
        "# Review before copying into data/nlu/; never add held-out test sentences.",
        f'version: "{version}"',
        "nlu:",
    ]
    for intent in sorted(by_intent):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {example}" for example in by_intent[intent])
    return "\n".join(lines) + "\n"
