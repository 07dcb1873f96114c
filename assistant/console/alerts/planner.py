"""Which outbox rows a batch of indexed conversations makes, and when each is due.

The indexer calls ``AlertPlanner.write`` inside its own transaction, after the batch's
conversations and callback requests have their ids: the rows commit with the index or not at
all, so an alert is neither lost (indexed, never alerted) nor made twice (the indexer's lock
serialises batches, and existing rows are looked up before inserting).

A callback requested while the support line is closed waits for the next opening and goes
out with that morning's digest; everything else is due at once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Set, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.alerts.kinds import (
    CALLBACK_ALERT,
    PENDING,
    callback_subject,
    conversation_subject,
)
from assistant.knowledge.models import SupportLine
from assistant.support_hours import line_status

logger = logging.getLogger(__name__)
CHUNK = 500


@dataclass(frozen=True)
class AlertCandidate:
    """Something that happened and may alert: no patient text, only what, when and where."""

    kind: str
    conversation_id: int
    happened_at: float
    channel: str = "unknown"
    callback_id: Optional[int] = None

    @property
    def subject(self) -> str:
        if self.callback_id is not None:
            return callback_subject(self.callback_id)
        return conversation_subject(self.conversation_id)


@dataclass(frozen=True)
class Timing:
    due_at: float
    digest: bool


class AlertPlanner:
    def __init__(
        self,
        routes: Mapping[str, FrozenSet[str]],
        support_line: Optional[SupportLine],
        max_age_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.routes = dict(routes)
        self.support_line = support_line
        self.max_age_s = max_age_s
        self.clock = clock

    def timing(self, candidate: AlertCandidate) -> Timing:
        """When ``candidate`` is due: a callback while the line is closed waits for the next
        opening, as part of that morning's digest; the rest are due at once."""
        if candidate.kind != CALLBACK_ALERT or self.support_line is None:
            return Timing(candidate.happened_at, digest=False)
        when = datetime.fromtimestamp(candidate.happened_at, timezone.utc)
        status = line_status(when, self.support_line)
        if status.is_open or status.next_open is None:
            return Timing(candidate.happened_at, digest=False)
        return Timing(status.next_open.timestamp(), digest=True)

    def write(self, connection: Connection, candidates: Iterable[AlertCandidate]) -> int:
        """Insert the outbox rows ``candidates`` call for and that do not exist yet; returns
        how many were written."""
        now = self.clock()
        fresh: List[AlertCandidate] = []
        stale = 0
        for candidate in candidates:
            if candidate.happened_at < now - self.max_age_s:
                stale += 1
            else:
                fresh.append(candidate)
        if stale:
            logger.info("%s events too old to alert (before ALERT_MAX_AGE_HOURS)", stale)
        wanted: Dict[Tuple[str, str, str], Dict[str, object]] = {}
        # In the order things happened, so the outbox's ids (and sends) follow it.
        for candidate in sorted(fresh, key=lambda c: (c.happened_at, c.conversation_id)):
            timing = self.timing(candidate)
            for destination, kinds in self.routes.items():
                if candidate.kind not in kinds:
                    continue
                key = (destination, candidate.kind, candidate.subject)
                wanted.setdefault(key, _row(candidate, destination, timing, now))
        for key in self._existing(connection, list(wanted)):
            del wanted[key]
        if wanted:
            connection.execute(schema.alerts.insert(), list(wanted.values()))
        return len(wanted)

    @staticmethod
    def _existing(
        connection: Connection, keys: List[Tuple[str, str, str]]
    ) -> Set[Tuple[str, str, str]]:
        table = schema.alerts
        subjects = sorted({subject for _d, _k, subject in keys})
        found: Set[Tuple[str, str, str]] = set()
        for start in range(0, len(subjects), CHUNK):
            query = sa.select(table.c.destination, table.c.kind, table.c.subject).where(
                table.c.subject.in_(subjects[start : start + CHUNK])
            )
            found.update((d, k, s) for d, k, s in connection.execute(query))
        return found


def _row(
    candidate: AlertCandidate, destination: str, timing: Timing, now: float
) -> Dict[str, object]:
    return {
        "kind": candidate.kind,
        "subject": candidate.subject,
        "conversation_id": candidate.conversation_id,
        "callback_id": candidate.callback_id,
        "channel": candidate.channel[:16],
        "happened_at": candidate.happened_at,
        "destination": destination,
        "digest": timing.digest,
        "due_at": timing.due_at,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": timing.due_at,
        "created_at": now,
    }
