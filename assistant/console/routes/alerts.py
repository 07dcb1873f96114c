"""The Alerts page (admins): where alerts go, the recent outbox, a test alert and retries;
and the dashboard's "Alerts not delivered" panel (any staff)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import List, Tuple

from sanic import Blueprint, HTTPResponse, Request, Sanic, response

from assistant.console.alerts import outbox
from assistant.console.alerts.delivery import error_code
from assistant.console.alerts.outbox import AlertRecord
from assistant.console.alerts.service import Alerts
from assistant.console.numbers import parse_small_int
from assistant.console.routes.guards import admin_only, audit_staff_action
from assistant.console.routes.render import render

bp = Blueprint("alerts", url_prefix="/alerts")
RECENT_ROWS = 100
# The dashboard shows alerts that failed for good in the last week.
PANEL_DAYS = 7


@dataclass(frozen=True)
class AlertPanel:
    enabled: bool
    undelivered: List[AlertRecord]


async def dashboard_panel(app: Sanic) -> AlertPanel:
    """What the dashboard's alerts panel shows: whether alerts are on, and the alerts that
    were not delivered after every try."""
    since = app.ctx.clock() - PANEL_DAYS * 86400
    rows = await app.ctx.db.run(outbox.undelivered, since)
    return AlertPanel(app.ctx.alerts.enabled, rows)


async def _page(
    request: Request, results: Tuple[Tuple[str, str], ...] = (), status: int = 200
) -> HTTPResponse:
    alerts: Alerts = request.app.ctx.alerts
    rows = await request.app.ctx.db.run(outbox.recent, RECENT_ROWS)
    return render(
        request,
        "alerts.html",
        status=status,
        enabled=alerts.enabled,
        destinations=alerts.settings.described(),
        warnings=alerts.settings.overridden(),
        max_attempts=alerts.settings.max_attempts,
        public_url=alerts.settings.public_url,
        rows=rows,
        results=results,
    )


@bp.get("")
@admin_only
async def show(request: Request) -> HTTPResponse:
    return await _page(request)


@bp.post("/test")
@admin_only
async def send_test(request: Request) -> HTTPResponse:
    """Send one test alert to every configured destination now, and show what happened."""
    alerts: Alerts = request.app.ctx.alerts
    message = alerts.composer.test_message(request.app.ctx.clock(), uuid.uuid4().hex[:16])
    names = list(alerts.senders)
    outcomes = await asyncio.gather(
        *(alerts.senders[name].send(message) for name in names), return_exceptions=True
    )
    results = tuple(
        (name, "sent" if outcome is None else f"failed: {error_code(outcome)}")
        for name, outcome in zip(names, outcomes, strict=True)
    )
    detail = "; ".join(f"{name} {result}" for name, result in results) or "no destination"
    await audit_staff_action(request, "alert_test", message.alert_id, detail)
    return await _page(request, results or (("none", "no destination is configured"),))


@bp.post("/<alert_id:int>/retry")
@admin_only
async def retry(request: Request, alert_id: int) -> HTTPResponse:
    """A failed alert is tried again from now, with its tries counted afresh."""
    if parse_small_int(str(alert_id), 12) is None:
        return await _page(request, status=400)
    if await request.app.ctx.db.run(outbox.retry, alert_id, request.app.ctx.clock()):
        await audit_staff_action(request, "alert_retry", f"alert:{alert_id}")
    return response.redirect("/alerts")
