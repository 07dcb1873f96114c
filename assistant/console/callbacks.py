"""The callback queue: requests recorded by the bot's callback form.

A staff member claims a request before calling, so two people never call the same patient;
the claim lapses after a set time, or when its holder releases it or records the call's
outcome. "No answer" puts the request back in the queue for another try; the other outcomes
close it, and a closed request can be reopened. Every status change is kept with who made
it and when (``console_callback_changes``).

A request is overdue while nobody has called yet and it has waited longer than the target,
counting only the hours the support line is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from assistant.console import schema
from assistant.console.open_hours import OpenHours, waited_seconds

NEW = "new"
NO_ANSWER = "no_answer"
OPEN_STATUSES = (NEW, NO_ANSWER)
# The outcomes staff record, in the order the queue offers them.
OUTCOMES = ("reached", "voicemail", NO_ANSWER, "wrong_number", "closed")
CLOSED_STATUSES = ("reached", "voicemail", "wrong_number", "closed")
# Outcomes that mean somebody dialled the patient (an attempt; the first sets first_call_at).
CALL_OUTCOMES = frozenset({"reached", "voicemail", NO_ANSWER, "wrong_number"})
STATUSES = (NEW, *OUTCOMES)
VIEWS = ("open", "mine", "overdue", "closed", "all")
QUEUE_LIMIT = 500


class CallbackError(ValueError):
    """A change that is not allowed (the message says why)."""


class CallbackNotFound(CallbackError):
    """No request with that id."""


class ClaimHeld(CallbackError):
    """Another staff member holds a live claim on the request."""

    def __init__(self, holder: str, until: float) -> None:
        super().__init__(f"claimed by {holder}")
        self.holder = holder
        self.until = until


@dataclass(frozen=True)
class QueueItem:
    """One request as the queue shows it, with its age worked out at ``now``."""

    row: Row
    age_s: float  # since requested, wall clock (until closed, for a closed request)
    waited_s: float  # open-line seconds from the request to the first call (or to now)
    overdue: bool
    holder: Optional[str]  # who holds a live claim, if anyone
    held_until: Optional[float]

    @property
    def is_open(self) -> bool:
        return self.row.status in OPEN_STATUSES


def get_callback(connection: Connection, callback_id: int) -> Optional[Row]:
    table = schema.callbacks
    return connection.execute(sa.select(table).where(table.c.id == callback_id)).first()


def live_holder(row: Row, now: float) -> Optional[str]:
    """Who holds a claim on ``row`` that has not lapsed at ``now``."""
    if row.claimed_by and (row.claimed_until is None or row.claimed_until > now):
        return str(row.claimed_by)
    return None


def _free_for(user: str, now: float) -> sa.sql.ColumnElement:
    """Nobody else holds a live claim: unclaimed, lapsed, or held by ``user``."""
    c = schema.callbacks.c
    return sa.or_(c.claimed_by.is_(None), c.claimed_until <= now, c.claimed_by == user)


def _refusal(connection: Connection, callback_id: int, now: float) -> CallbackError:
    """Why a conditional update of request ``callback_id`` changed no row."""
    row = get_callback(connection, callback_id)
    if row is None:
        return CallbackNotFound("no such callback request")
    holder = live_holder(row, now)
    if row.status not in OPEN_STATUSES:
        return CallbackError(f"this request is already closed ({row.status}); reopen it first")
    if holder is not None:
        return ClaimHeld(holder, float(row.claimed_until or now))
    return CallbackError("this request changed meanwhile; look again and retry")


def claim(connection: Connection, callback_id: int, user: str, now: float, claim_s: int) -> float:
    """Claim an open request for ``claim_s`` seconds (renewing one's own claim) and return
    when the claim lapses. One conditional UPDATE, so of two staff claiming at once exactly
    one succeeds."""
    table = schema.callbacks
    until = now + claim_s
    result = connection.execute(
        table.update()
        .where(
            table.c.id == callback_id,
            table.c.status.in_(OPEN_STATUSES),
            _free_for(user, now),
        )
        .values(claimed_by=user, claimed_until=until)
    )
    if result.rowcount != 1:
        raise _refusal(connection, callback_id, now)
    return until


def release(connection: Connection, callback_id: int, user: str) -> None:
    """Give up one's own claim (a lapsed one too)."""
    table = schema.callbacks
    result = connection.execute(
        table.update()
        .where(table.c.id == callback_id, table.c.claimed_by == user)
        .values(claimed_by=None, claimed_until=None)
    )
    if result.rowcount != 1:
        if get_callback(connection, callback_id) is None:
            raise CallbackNotFound("no such callback request")
        raise CallbackError("you do not hold a claim on this request")


def _record_change(
    connection: Connection,
    callback_id: int,
    from_status: str,
    to_status: str,
    user: str,
    now: float,
) -> None:
    connection.execute(
        schema.callback_changes.insert().values(
            callback_id=callback_id,
            from_status=from_status,
            to_status=to_status,
            changed_by=user,
            changed_at=now,
        )
    )


def record_outcome(
    connection: Connection, callback_id: int, outcome: str, user: str, now: float
) -> Row:
    """Record how an open request ended up, and release its claim. Allowed to the claim's
    holder, and to anyone while nobody holds a live claim (a call made before claiming, or
    a claim that lapsed during a long call); refused while another person holds one.
    Returns the request as it was before."""
    row = get_callback(connection, callback_id)
    if row is None:
        raise CallbackNotFound("no such callback request")
    if outcome not in OUTCOMES or row.status not in OPEN_STATUSES:
        raise CallbackError(f"a {row.status} request cannot become {outcome or 'nothing'}")
    table = schema.callbacks
    values: Dict[str, object] = {
        "status": outcome,
        "updated_by": user,
        "updated_at": now,
        "claimed_by": None,
        "claimed_until": None,
    }
    if outcome in CALL_OUTCOMES:
        values["attempts"] = table.c.attempts + 1
        values["first_call_at"] = sa.func.coalesce(table.c.first_call_at, now)
    if outcome in CLOSED_STATUSES:
        values["closed_at"] = now
    result = connection.execute(
        table.update()
        .where(table.c.id == callback_id, table.c.status == row.status, _free_for(user, now))
        .values(**values)
    )
    if result.rowcount != 1:
        raise _refusal(connection, callback_id, now)
    _record_change(connection, callback_id, row.status, outcome, user, now)
    return row


def reopen(connection: Connection, callback_id: int, user: str, now: float) -> Row:
    """Put a closed request back in the queue as new (its attempts and first call are kept).
    Returns the request as it was before."""
    row = get_callback(connection, callback_id)
    if row is None:
        raise CallbackNotFound("no such callback request")
    if row.status not in CLOSED_STATUSES:
        raise CallbackError(f"a {row.status} request cannot become {NEW}")
    table = schema.callbacks
    result = connection.execute(
        table.update()
        .where(table.c.id == callback_id, table.c.status == row.status)
        .values(status=NEW, closed_at=None, updated_by=user, updated_at=now)
    )
    if result.rowcount != 1:
        raise _refusal(connection, callback_id, now)
    _record_change(connection, callback_id, row.status, NEW, user, now)
    return row


def change_status(
    connection: Connection, callback_id: int, to_status: str, user: str, now: float
) -> Row:
    """An outcome for an open request, or ``new`` to reopen a closed one."""
    if to_status == NEW:
        return reopen(connection, callback_id, user, now)
    return record_outcome(connection, callback_id, to_status, user, now)


def describe(row: Row, now: float, hours: Optional[OpenHours], target_s: float) -> QueueItem:
    """The request's age, open-hours wait and claim at ``now``."""
    requested = float(row.requested_at)
    ended = float(row.closed_at) if row.closed_at is not None else now
    called = float(row.first_call_at) if row.first_call_at is not None else None
    waited = waited_seconds(requested, called if called is not None else now, hours)
    is_open = row.status in OPEN_STATUSES
    holder = live_holder(row, now) if is_open else None
    return QueueItem(
        row=row,
        age_s=max(0.0, ended - requested),
        waited_s=waited,
        overdue=is_open and called is None and waited > target_s,
        holder=holder,
        held_until=float(row.claimed_until) if holder and row.claimed_until else None,
    )


def queue(
    connection: Connection,
    view: str,
    user: str,
    now: float,
    hours: Optional[OpenHours],
    target_s: float,
    limit: int = QUEUE_LIMIT,
) -> List[QueueItem]:
    """The requests a view shows: open ones oldest first ("open"; "mine": those ``user``
    holds; "overdue"), closed ones most recently closed first, or all of them oldest first."""
    c = schema.callbacks.c
    query = sa.select(schema.callbacks)
    if view == "closed":
        query = query.where(c.status.in_(CLOSED_STATUSES)).order_by(c.closed_at.desc(), c.id.desc())
    elif view == "all":
        query = query.order_by(c.requested_at.asc(), c.id.asc())
    else:
        query = query.where(c.status.in_(OPEN_STATUSES)).order_by(c.requested_at.asc(), c.id.asc())
        if view == "mine":
            query = query.where(c.claimed_by == user, c.claimed_until > now)
    items = [describe(row, now, hours, target_s) for row in connection.execute(query.limit(limit))]
    if view == "overdue":
        items = [item for item in items if item.overdue]
    return items


def history(connection: Connection, callback_ids: List[int]) -> Dict[int, List[Row]]:
    table = schema.callback_changes
    found: Dict[int, List[Row]] = {i: [] for i in callback_ids}
    if callback_ids:
        query = sa.select(table).where(table.c.callback_id.in_(callback_ids)).order_by(table.c.id)
        for row in connection.execute(query):
            found[row.callback_id].append(row)
    return found


def format_duration(seconds: float) -> str:
    """A wait as staff read it: "under 1 min", "42 min", "3 h 10 min", "2 d 4 h"."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
