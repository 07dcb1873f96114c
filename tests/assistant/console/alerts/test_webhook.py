"""Alerts by webhook, against a real HTTP server on 127.0.0.1 that checks the signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Dict, Iterator, List

import pytest
from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from assistant.console.alerts.kinds import WEBHOOK
from assistant.console.alerts.settings import AlertSettings, check_webhook_url
from assistant.console.alerts.webhook import WebhookSender
from assistant.console.alerts.worker import AlertWorker
from assistant.console.database import Database
from assistant.dialogue_names import EMERGENCY
from bench.console_harness import EventWriter, ManualClock
from tests.assistant.console.alerts.alert_builders import (
    BOTH,
    SECRET,
    alerting_indexer,
    composer,
    outbox_rows,
)
from tests.support.sanic_server import serving


@dataclass
class Receiver:
    """What the receiving end saw: every request, and which it accepted."""

    fail_first: int
    requests: List[Dict[str, str]] = field(default_factory=list)
    accepted: List[Dict[str, object]] = field(default_factory=list)


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does (docs/alerts.md): HMAC-SHA256 over "timestamp.body"."""
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(header, f"v1={expected.hexdigest()}")


def receiver_app(receiver: Receiver) -> Sanic:
    app = Sanic(f"hook_{uuid.uuid4().hex[:8]}")

    @app.post("/hook")
    async def hook(request: Request) -> HTTPResponse:
        headers = {k.lower(): v for k, v in request.headers.items()}
        receiver.requests.append(headers)
        if not verify(
            SECRET,
            headers["x-alert-timestamp"],
            request.body,
            headers["x-alert-signature"],
        ):
            return response.text("bad signature", status=401)
        if len(receiver.requests) <= receiver.fail_first:
            return response.text("try later", status=500)
        receiver.accepted.append(json.loads(request.body))
        return response.text("ok")

    return app


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.connect(f"sqlite:///{tmp_path / 'tracker.db'}")
    yield database
    database.close()


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver(fail_first=3)
    async with serving(receiver_app(receiver)) as base:
        yield receiver, f"{base}/hook"


async def test_a_webhook_that_fails_three_times_then_succeeds_delivers_once(
    db: Database, clock: ManualClock, flaky: tuple[Receiver, str]
) -> None:
    receiver, url = flaky
    writer = EventWriter(db, clock.now - 300)
    writer.session("grandpa", channel="sms")
    writer.user("grandpa", "my chest feels like an elephant is on it", EMERGENCY)
    alerting_indexer(clock, routes={WEBHOOK: BOTH[WEBHOOK]}).catch_up(db.engine)
    sender = WebhookSender(url, SECRET, timeout_s=5.0, clock=clock)
    loop = AlertWorker(db, {WEBHOOK: sender}, composer(), 8, clock, name="console")

    for wait in (0, 30, 60, 120):  # the backoff after each failure
        clock.advance(wait)
        assert (await loop.run_once()).messages == (1 if wait == 120 else 0)
    for _ in range(3):  # later rounds send nothing more
        clock.advance(3600)
        await loop.run_once()

    assert len(receiver.requests) == 4
    assert len(receiver.accepted) == 1
    assert len({r["x-alert-id"] for r in receiver.requests}) == 1  # the same id every try
    (row,) = outbox_rows(db)
    assert (row.status, row.attempts, row.delivery_id) == (
        "delivered",
        4,
        receiver.requests[0]["x-alert-id"],
    )
    body = receiver.accepted[0]
    assert body["kind"] == "emergency" and body["channel"] == "sms"
    assert body["link"] == "https://console.example-hospital.org/conversations/1"
    assert isinstance(body["text"], str) and str(body["link"]) in body["text"]
    assert body["text"].startswith("Emergency (911) - SMS.")


async def test_a_wrong_secret_is_refused_by_the_receiver(
    db: Database, clock: ManualClock, flaky: tuple[Receiver, str]
) -> None:
    receiver, url = flaky
    writer = EventWriter(db, clock.now - 300)
    writer.session("x")
    writer.user("x", "overdosed on my oxy by accident i think", EMERGENCY)
    alerting_indexer(clock, routes={WEBHOOK: BOTH[WEBHOOK]}).catch_up(db.engine)
    wrong = WebhookSender(url, "not-the-shared-secret-at-all", clock=clock)
    await AlertWorker(db, {WEBHOOK: wrong}, composer(), 8, clock).run_once()
    (row,) = outbox_rows(db)
    assert (row.status, row.last_error) == ("pending", "HTTP 401")
    assert receiver.accepted == []


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/services/T0/B0/X",
        "ftp://127.0.0.1/hook",
        "http://10.0.0.5/hook",
        "https:///no-host",
    ],
)
def test_only_https_urls_or_this_machine(url: str) -> None:
    with pytest.raises(ValueError, match="ALERT_WEBHOOK_URL"):
        check_webhook_url(url)
    with pytest.raises(ValueError, match="ALERT_WEBHOOK_URL"):
        AlertSettings(webhook_url=url, webhook_secret=SECRET)


def test_https_and_loopback_urls_are_accepted() -> None:
    for url in (
        "https://hooks.slack.com/services/T0/B0/X",
        "https://contoso.webhook.office.com/webhookb2/abc",
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
    ):
        assert check_webhook_url(url) == url
