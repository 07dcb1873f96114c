"""The console's side of alerts: the dashboard says when alerts are off or were not
delivered, and admins get the Alerts page with a test button (audited)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import AsyncIterator, List

import pytest
from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from assistant.console.alerts.settings import AlertSettings
from assistant.dialogue_names import EMERGENCY
from assistant.ops.processes import free_port
from bench.console_harness import Console, EventWriter, ManualClock, running_console
from tests.assistant.console.alerts.alert_builders import SECRET, outbox_rows
from tests.support.sanic_server import serving

pytestmark = pytest.mark.quick_startup


def hook_settings(url: str, max_attempts: int = 2) -> AlertSettings:
    return AlertSettings(
        webhook_url=url,
        webhook_secret=SECRET,
        webhook_timeout_s=3.0,
        max_attempts=max_attempts,
        public_url="https://console.cshs.example",
    )


@pytest.fixture
async def unreachable(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Console]:
    """A console whose webhook points at a port nobody listens on."""
    url = f"http://127.0.0.1:{free_port()}/hook"
    db_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    async with running_console(db_url, clock, alert_settings=hook_settings(url)) as started:
        yield started


async def test_an_alert_that_fails_every_try_shows_on_the_dashboard(
    unreachable: Console, clock: ManualClock
) -> None:
    writer = EventWriter(unreachable.db, clock.now - 120)
    writer.session("+16265550100", channel="sms")
    writer.user("+16265550100", "wife fainted n wont wake up!!", EMERGENCY)
    unreachable.index()
    worker = unreachable.app.ctx.alerts.worker
    reviewer = await unreachable.logged_in("rosa")
    page = (await reviewer.get("/dashboard")).text
    assert "Alerts not delivered" not in page  # still being retried

    await worker.run_once()
    clock.advance(30)
    await worker.run_once()
    (row,) = outbox_rows(unreachable.db)
    assert (row.status, row.attempts, row.last_error) == ("failed", 2, "ClientConnectorError")
    page = (await reviewer.get("/dashboard")).text
    assert "Alerts not delivered" in page
    assert 'href="/conversations/1">Emergency (911)</a>' in page
    assert "ClientConnectorError" in page
    assert "Alerts are off" not in page


async def test_the_dashboard_says_when_alerts_are_off(console: Console) -> None:
    page = (await (await console.logged_in("ivy")).get("/dashboard")).text
    assert "Alerts are off" in page and "ALERT_" in page
    admin_page = (await (await console.logged_in("it-admin", "admin")).get("/alerts")).text
    assert "Alerts are off." in admin_page and "ALERT_WEBHOOK_URL" in admin_page
    assert "ALERT_SMTP_HOST" in admin_page


async def test_the_alerts_page_is_for_admins(console: Console) -> None:
    reviewer = await console.logged_in("rosa")
    assert (await reviewer.get("/alerts")).status_code == 403
    assert (await reviewer.post("/alerts/test")).status_code == 403
    assert 'href="/alerts"' not in (await reviewer.get("/inbox")).text
    admin = await console.logged_in("it-admin", "admin")
    assert 'href="/alerts"' in (await admin.get("/inbox")).text


def recording_receiver(seen: List[bytes]) -> Sanic:
    app = Sanic(f"receiver_{uuid.uuid4().hex[:8]}")

    @app.post("/hook")
    async def hook(request: Request) -> HTTPResponse:
        seen.append(request.body)
        return response.text("ok")

    return app


async def test_a_test_alert_reaches_the_webhook_and_is_audited(
    tmp_path: Path, clock: ManualClock
) -> None:
    seen: List[bytes] = []
    async with serving(recording_receiver(seen)) as base:
        settings = hook_settings(f"{base}/hook")
        db_url = f"sqlite:///{tmp_path / 'tracker.db'}"
        async with running_console(db_url, clock, alert_settings=settings) as console:
            admin = await console.logged_in("it-admin", "admin")
            page = (await admin.get("/alerts")).text
            assert "http://127.0.0.1/…" in page and SECRET not in page
            assert "/hook" not in page  # a webhook URL's path is its credential
            page = (await admin.post("/alerts/test")).text
            assert "Test alert, webhook: sent" in page
            (audited,) = console.audit_rows("alert_test")
            assert audited.actor == "it-admin" and audited.detail == "webhook sent"
    assert len(seen) == 1 and b"Test alert from the staff console" in seen[0]


async def test_an_admin_can_retry_a_failed_alert(unreachable: Console, clock: ManualClock) -> None:
    writer = EventWriter(unreachable.db, clock.now - 120)
    writer.session("w-1")
    writer.user("w-1", "my brother is seizing rn", EMERGENCY)
    unreachable.index()
    for _ in range(2):
        await unreachable.app.ctx.alerts.worker.run_once()
        clock.advance(30)
    admin = await unreachable.logged_in("it-admin", "admin")
    page = (await admin.get("/alerts")).text
    assert "not delivered" in page and 'action="/alerts/1/retry"' in page
    assert (await admin.post("/alerts/1/retry")).status_code == 302
    (row,) = outbox_rows(unreachable.db)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)
    assert [r.target for r in unreachable.audit_rows("alert_retry")] == ["alert:1"]
