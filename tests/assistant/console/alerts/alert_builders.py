"""Builders for the alert tests: a database indexed with alerts on, a sender that records
what it was given, and the outbox read back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Dict, FrozenSet, List, Mapping, Optional

import sqlalchemy as sa

from assistant.console import schema
from assistant.console.alerts.delivery import DeliveryFailed
from assistant.console.alerts.kinds import EMAIL, KINDS, WEBHOOK
from assistant.console.alerts.messages import AlertMessage, Composer
from assistant.console.alerts.planner import AlertPlanner
from assistant.console.alerts.service import support_line
from assistant.console.database import Database
from assistant.console.indexer import Indexer
from assistant.knowledge.models import SupportLine
from bench.console_harness import ROOT
from tests.assistant.console.builders import PACIFIC, support_masker

ALL_KINDS: FrozenSet[str] = frozenset(KINDS)
BOTH: Dict[str, FrozenSet[str]] = {WEBHOOK: ALL_KINDS, EMAIL: ALL_KINDS}
PUBLIC_URL = "https://console.example-hospital.org"
SECRET = "whsec-test-0123456789abcdef"


def the_support_line() -> SupportLine:
    line = support_line(ROOT / "data" / "knowledge")
    assert line is not None
    return line


def alerting_indexer(
    clock: Callable[[], float],
    routes: Mapping[str, FrozenSet[str]] = BOTH,
    line: Optional[SupportLine] = None,
    max_age_s: float = 72 * 3600.0,
) -> Indexer:
    planner = AlertPlanner(routes, line or the_support_line(), max_age_s, clock)
    return Indexer(PACIFIC, support_masker(), gap_grace_s=0.0, clock=clock, alerts=planner)


def composer() -> Composer:
    return Composer(PUBLIC_URL, PACIFIC)


def iso(at: float) -> str:
    """``requested_at`` as the callback form writes it (ISO 8601 with the offset)."""
    return datetime.fromtimestamp(at, PACIFIC).isoformat()


def outbox_rows(db: Database) -> List[sa.engine.Row]:
    with db.engine.begin() as connection:
        return list(connection.execute(sa.select(schema.alerts).order_by(schema.alerts.c.id)))


@dataclass
class RecordingSender:
    """A destination that keeps what it receives; it fails the first ``failures`` sends."""

    failures: int = 0
    received: List[AlertMessage] = field(default_factory=list)
    tries: int = 0

    async def send(self, message: AlertMessage) -> None:
        self.tries += 1
        if self.tries <= self.failures:
            raise DeliveryFailed("HTTP 503")
        self.received.append(message)
