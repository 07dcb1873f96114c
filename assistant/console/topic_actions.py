"""What a reviewer does with a group of unanswered questions: send its messages to the
intent corrections as one intent, or ask the content owner for a knowledge entry (a snapshot
row in ``console_knowledge_requests``, listed and exported as CSV with counts).

Groups are recomputed on every page, so a form carries its group's event ids; every action
checks them against ``console_unanswered`` first and refuses ids that are not unanswered
questions (a tampered or stale form), and more than ``MAX_GROUP_ACTION`` of them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.export import _csv_safe
from assistant.console.masking import Masker
from assistant.console.review import ReviewError, correct_intent
from assistant.console.topics import EXAMPLES, UnansweredQuestion, describe, unanswered_by_ids

MAX_GROUP_ACTION = 500  # event ids one action may carry (a form holds the newest ones)
OPEN, DONE = "open", "done"
CSV_COLUMNS = (
    "request_id",
    "questions",
    "label",
    *(f"example_{n}" for n in range(1, EXAMPLES + 1)),
    "requested_by",
    "requested_at",
    "status",
)


@dataclass(frozen=True)
class KnowledgeRequest:
    id: int
    label: str
    questions: int
    examples: Tuple[str, ...]
    event_ids: Tuple[int, ...]
    status: str
    created_by: str
    created_at: float


def checked_members(connection: Connection, event_ids: Sequence[int]) -> List[UnansweredQuestion]:
    """The unanswered questions of a posted group; ReviewError when an id is none of them."""
    wanted = list(dict.fromkeys(event_ids))
    if not wanted:
        raise ReviewError("the group has no questions")
    if len(wanted) > MAX_GROUP_ACTION:
        raise ReviewError(f"a group action takes at most {MAX_GROUP_ACTION} questions")
    found = unanswered_by_ids(connection, wanted)
    if len(found) != len(wanted):
        raise ReviewError("some of those messages are not unanswered questions")
    return sorted(found, key=lambda q: (-q.at, -q.event_id))


def correct_group(
    connection: Connection, event_ids: Sequence[int], intent: str, by: str
) -> List[UnansweredQuestion]:
    """One intent correction per question of the group (all or none: one transaction)."""
    members = checked_members(connection, event_ids)
    for question in members:
        correct_intent(connection, question.conversation_id, question.event_id, intent, by)
    return members


def request_knowledge_entry(
    connection: Connection,
    event_ids: Sequence[int],
    label_event_id: Optional[int],
    masker: Masker,
    by: str,
    at: float,
) -> KnowledgeRequest:
    """Snapshot a group for the content owner. Its label is the question of
    ``label_event_id`` (the label the reviewer saw) when that is as asked as any other of the
    group, else its most asked question."""
    members = checked_members(connection, event_ids)
    label = next((q.question for q in members if q.event_id == label_event_id), "")
    summary = describe(members, centre=label)
    examples = [masker.mask(text) for text in summary.examples]
    ids = [q.event_id for q in members]
    table = schema.knowledge_requests
    result = connection.execute(
        table.insert().values(
            label=examples[0][:300],
            questions=len(members),
            examples=json.dumps(examples, ensure_ascii=False),
            event_ids=json.dumps(ids),
            status=OPEN,
            created_by=by,
            created_at=at,
        )
    )
    return KnowledgeRequest(
        id=int(result.inserted_primary_key[0]),
        label=examples[0][:300],
        questions=len(members),
        examples=tuple(examples),
        event_ids=tuple(ids),
        status=OPEN,
        created_by=by,
        created_at=at,
    )


def _json_list(text: str) -> List[object]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def knowledge_requests(connection: Connection, status: str = OPEN) -> List[KnowledgeRequest]:
    """Requests with this status, most questions first, then oldest first."""
    table = schema.knowledge_requests
    rows = connection.execute(
        sa.select(table)
        .where(table.c.status == status)
        .order_by(table.c.questions.desc(), table.c.created_at, table.c.id)
    )
    return [
        KnowledgeRequest(
            id=int(r.id),
            label=str(r.label),
            questions=int(r.questions),
            examples=tuple(str(e) for e in _json_list(r.examples)),
            event_ids=tuple(int(i) for i in _json_list(r.event_ids) if isinstance(i, int)),
            status=str(r.status),
            created_by=str(r.created_by),
            created_at=float(r.created_at),
        )
        for r in rows
    ]


def count_requests(connection: Connection, status: str) -> int:
    table = schema.knowledge_requests
    query = sa.select(sa.func.count()).select_from(table).where(table.c.status == status)
    return int(connection.execute(query).scalar() or 0)


def mark_done(connection: Connection, request_id: int) -> bool:
    """Close an open request; False when there is no open request with this id."""
    table = schema.knowledge_requests
    result = connection.execute(
        table.update().where(table.c.id == request_id, table.c.status == OPEN).values(status=DONE)
    )
    return bool(result.rowcount)


def knowledge_requests_csv(
    requests: Sequence[KnowledgeRequest], masker: Masker, tz: ZoneInfo
) -> str:
    """The requests as CSV for the content owner: masked, spreadsheet formulas defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for request in requests:
        examples = [masker.mask(e) for e in request.examples[:EXAMPLES]]
        examples += [""] * (EXAMPLES - len(examples))
        when = datetime.fromtimestamp(request.created_at, tz).isoformat(timespec="seconds")
        cells = (
            request.id,
            request.questions,
            masker.mask(request.label),
            *examples,
            request.created_by,
            when,
            request.status,
        )
        writer.writerow([_csv_safe(cell) for cell in cells])
    return buffer.getvalue()
