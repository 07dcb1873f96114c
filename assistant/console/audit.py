"""The audit trail: who did what, when, from where. Rows are only ever inserted."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema

# What is audited. Logins (and failed ones), views of PHI, and anything that changes or
# removes data.
ACTIONS = (
    "login",
    "login_failed",
    "login_throttled",
    "logout",
    "view_transcript",
    "reveal",
    "inbox_search",
    "search_contact",
    "export",
    "purge",
    "tag",
    "untag",
    "note",
    "reviewed",
    "correct_intent",
    "callback_status",
    "callback_claim",
    "export_corrections",
    "correct_topic_group",
    "request_knowledge_entry",
    "knowledge_request_done",
    "export_knowledge_requests",
    "user_add",
    "user_change",
    "alert_test",
    "alert_retry",
)


def record(
    connection: Connection,
    actor: str,
    action: str,
    target: str = "",
    detail: str = "",
    ip: str = "",
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    connection.execute(
        schema.audit.insert().values(
            at=time.time(),
            actor=actor[:64],
            action=action,
            target=target[:255],
            detail=detail[:2000],
            ip=ip[:64],
        )
    )


@dataclass(frozen=True)
class AuditPage:
    rows: List[sa.engine.Row]
    page: int
    pages: int
    total: int


def read(
    connection: Connection,
    page: int,
    page_size: int,
    action: Optional[str] = None,
    actor: Optional[str] = None,
) -> AuditPage:
    table = schema.audit
    conditions = []
    if action:
        conditions.append(table.c.action == action)
    if actor:
        conditions.append(table.c.actor == actor)
    total = int(
        connection.execute(
            sa.select(sa.func.count()).select_from(table).where(*conditions)
        ).scalar()
        or 0
    )
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = list(
        connection.execute(
            sa.select(table)
            .where(*conditions)
            .order_by(table.c.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    )
    return AuditPage(rows, page, pages, total)
