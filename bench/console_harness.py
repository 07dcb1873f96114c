"""The staff console in-process: its app behind httpx's ASGI transport (no sockets), a
client that keeps cookies and the CSRF token, and helpers to add users and events.

Used by the console benchmark (``bench/console_bench.py``) and the console's tests. It lives
in ``bench/`` rather than in the ``assistant`` package because it needs httpx, a development
dependency, and is no part of what is deployed.

sanic-testing is not used: every release that supports Sanic 21.12 (Rasa 3.6's pin) needs
httpx < 0.24 and so h11 < 0.15, which has CVE-2025-43859; later releases fail on Sanic 21.12.
httpx's ASGITransport is the same mechanism sanic-testing's ``asgi_client`` uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Optional

import httpx
import sqlalchemy as sa
from sanic import Sanic

from assistant.console import schema
from assistant.console.accounts import add_user
from assistant.console.alerts.settings import AlertSettings
from assistant.console.app import create_app
from assistant.console.database import Database
from assistant.console.settings import ConsoleSettings
from assistant.dialogue_names import ANSWER_FEEDBACK_SLOT
from assistant.feedback import AnswerFeedback

ROOT = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery staple"  # noqa: S105 - test accounts only


class ManualClock:
    """Seconds since the epoch, moved by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ConsoleClient:
    """One browser: cookies, and the CSRF token of the last page that had a form."""

    def __init__(self, app: Sanic, base_url: str = "http://console.test") -> None:
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base_url, follow_redirects=False
        )
        self.csrf = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        reply = await self.http.get(path, **kwargs)
        found = (
            CSRF.search(reply.text)
            if reply.headers.get("content-type", "").startswith("text/html")
            else None
        )
        if found:
            self.csrf = found.group(1)
        return reply

    async def post(
        self, path: str, data: Optional[Dict[str, str]] = None, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        return await self.http.post(path, data=form, **kwargs)

    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        await self.get("/login")
        reply = await self.post("/login", {"username": username, "password": password})
        if reply.status_code == 302:
            await self.get("/inbox")  # pick up the session's CSRF token
        return reply

    async def close(self) -> None:
        await self.http.aclose()


@dataclass
class Console:
    app: Sanic
    db: Database
    clock: ManualClock
    clients: List[ConsoleClient] = field(default_factory=list)

    def client(self, base_url: str = "http://console.test") -> ConsoleClient:
        made = ConsoleClient(self.app, base_url)
        self.clients.append(made)
        return made

    def add_user(self, username: str, role: str = "reviewer", password: str = PASSWORD) -> None:
        self.db.call(add_user, username, role, password)

    async def logged_in(self, username: str, role: str = "reviewer") -> ConsoleClient:
        self.add_user(username, role)
        client = self.client()
        reply = await client.login(username)
        assert reply.status_code == 302, reply.text
        return client

    def index(self) -> int:
        return int(self.app.ctx.indexer.catch_up(self.db.engine))

    def audit_rows(self, action: Optional[str] = None) -> List[sa.engine.Row]:
        query = sa.select(schema.audit).order_by(schema.audit.c.id)
        if action:
            query = query.where(schema.audit.c.action == action)
        with self.db.engine.begin() as connection:
            return list(connection.execute(query))


async def _lifespan(app: Sanic) -> tuple[asyncio.Task, asyncio.Queue, asyncio.Queue]:
    inbox: asyncio.Queue = asyncio.Queue()
    outbox: asyncio.Queue = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put)
    )
    message = await asyncio.wait_for(outbox.get(), 60)
    assert message["type"] == "lifespan.startup.complete", message
    return task, inbox, outbox


@contextlib.asynccontextmanager
async def running_console(
    db_url: str,
    clock: ManualClock,
    knowledge_dir: Path = ROOT / "data" / "knowledge",
    alert_settings: Optional[AlertSettings] = None,
    **settings: Any,
) -> AsyncIterator[Console]:
    """The console app started (listeners run) over ``db_url`` and ``knowledge_dir``; stopped
    afterwards. Alerts are off unless ``alert_settings`` are given (never from the
    environment)."""
    Sanic.test_mode = True
    config = ConsoleSettings(db_url=db_url, index_interval_s=3600, **settings)
    app = create_app(
        config,
        name=f"console_{uuid.uuid4().hex[:8]}",
        clock=clock,
        domain_path=ROOT / "domain.yml",
        knowledge_dir=knowledge_dir,
        index_in_background=False,
        alert_settings=alert_settings or AlertSettings(),
    )
    task, inbox, outbox = await _lifespan(app)
    console = Console(app, app.ctx.db, clock)
    try:
        yield console
    finally:
        for client in console.clients:
            await client.close()
        await inbox.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(outbox.get(), 30)
        task.cancel()
        # Sanic 21.12's ASGI lifespan raises after a clean shutdown; nothing to report.
        with contextlib.suppress(BaseException):
            await task


class EventWriter:
    """Writes events the way Rasa's SQL tracker store does, for one conversation at a time."""

    def __init__(self, db: Database, start: float) -> None:
        self.db = db
        self.at = start

    def _add(
        self,
        sender: str,
        type_name: str,
        data: Dict[str, Any],
        intent: Optional[str] = None,
        action: Optional[str] = None,
    ) -> None:
        self.at += 1.0
        with self.db.engine.begin() as connection:
            connection.execute(
                schema.events.insert().values(
                    sender_id=sender,
                    type_name=type_name,
                    timestamp=self.at,
                    intent_name=intent,
                    action_name=action,
                    data=json.dumps({"event": type_name, "timestamp": self.at, **data}),
                )
            )

    def session(self, sender: str, channel: str = "web") -> None:
        self._add(
            sender,
            "slot",
            {"name": "session_started_metadata", "value": {"channel": channel}},
            action="session_started_metadata",
        )
        self._add(sender, "action", {"name": "action_session_start"}, action="action_session_start")
        self._add(
            sender,
            "bot",
            {
                "text": "General information only.",
                "metadata": {"kb_entry": "conversation.disclaimer"},
            },
        )
        self._add(sender, "session_started", {})
        self._add(sender, "action", {"name": "action_listen"}, action="action_listen")

    def user(
        self,
        sender: str,
        text: str,
        intent: str,
        confidence: float = 0.95,
        entities: Optional[List[Dict[str, Any]]] = None,
        channel: str = "web",
    ) -> None:
        parse = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "text": text,
        }
        self._add(
            sender,
            "user",
            {
                "text": text,
                "parse_data": parse,
                "input_channel": channel,
                "metadata": {"channel": channel},
            },
            intent=intent,
        )

    def action(self, sender: str, name: str) -> None:
        self._add(sender, "action", {"name": name}, action=name)

    def bot(
        self,
        sender: str,
        text: str,
        kb_entry: str,
        triage: Optional[str] = None,
        **flags: bool,
    ) -> None:
        """A bot answer; ``triage`` is the tier it answers (``triage`` metadata)."""
        metadata: Dict[str, Any] = {"kb_entry": kb_entry, **flags}
        if triage:
            metadata["triage"] = triage
        self._add(sender, "bot", {"text": text, "metadata": metadata})

    def callback(
        self,
        sender: str,
        name: str,
        phone: str,
        best_time: str,
        channel: str = "web",
        requested_at: str = "2026-11-20T10:00:00-08:00",
    ) -> None:
        value = {
            "name": name,
            "phone": phone,
            "best_time": best_time,
            "consent": True,
            "requested_at": requested_at,
            "channel": channel,
        }
        self._add(
            sender, "slot", {"name": "callback_request", "value": value}, action="callback_request"
        )

    def feedback(self, sender: str, rating: AnswerFeedback) -> None:
        """A patient's rating of an answer: the ``answer_feedback`` slot a channel sets."""
        self._add(
            sender,
            "slot",
            {"name": ANSWER_FEEDBACK_SLOT, "value": rating.as_slot_value()},
            action=ANSWER_FEEDBACK_SLOT,
        )
