"""The dashboard: the last 30 days by default, or a chosen date range (at most a year)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sanic import Blueprint, HTTPResponse, Request

from assistant.console.callback_metrics import callback_figures
from assistant.console.charts import bar_chart, column_chart
from assistant.console.dashboard import dashboard
from assistant.console.feedback_stats import feedback_stats
from assistant.console.inbox import InboxFilters, date_range
from assistant.console.routes.alerts import dashboard_panel
from assistant.console.routes.render import render
from assistant.console.routes.topics import DASHBOARD_GROUPS, topics_view

bp = Blueprint("dashboard")


@bp.get("/dashboard")
async def show(request: Request) -> HTTPResponse:
    app = request.app
    filters = InboxFilters.parse(request.args)
    first, last = date_range(filters, datetime.fromtimestamp(app.ctx.clock(), app.ctx.tz).date())
    figures = await app.ctx.db.run(dashboard, first, last, app.ctx.tz)
    feedback = await app.ctx.db.run(feedback_stats, first, last, app.ctx.tz)
    callback_stats = await app.ctx.db.run(
        callback_figures,
        first,
        last,
        app.ctx.tz,
        app.ctx.clock(),
        app.ctx.open_hours,
        app.ctx.settings.callback_target_minutes,
    )
    signoff = await asyncio.to_thread(app.ctx.knowledge.state)
    topics = await topics_view(request, first, last)
    alert_panel = await dashboard_panel(app)
    return render(
        request,
        "dashboard.html",
        d=figures,
        per_day=column_chart(figures.per_day),
        intents_chart=bar_chart(figures.top_intents),
        problems=filters.problems,
        signoff=signoff,
        alert_panel=alert_panel,
        callback_stats=callback_stats,
        feedback=feedback,
        topics=topics,
        topics_limit=DASHBOARD_GROUPS,
    )
