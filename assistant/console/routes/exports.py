"""Admin exports of the conversations the current inbox filters select (CSV or JSON)."""

from __future__ import annotations

from datetime import datetime

from sanic import Blueprint, HTTPResponse, Request, response

from assistant.console.export import export_csv, export_json, selected_conversations
from assistant.console.inbox import InboxFilters
from assistant.console.routes.guards import admin_only, audit_staff_action

bp = Blueprint("exports")
FORMATS = {
    "csv": ("text/csv; charset=utf-8", export_csv),
    "json": ("application/json", export_json),
}


@bp.get("/export.csv")
@admin_only
async def export_as_csv(request: Request) -> HTTPResponse:
    return await _export(request, "csv")


@bp.get("/export.json")
@admin_only
async def export_as_json(request: Request) -> HTTPResponse:
    return await _export(request, "json")


async def _export(request: Request, fmt: str) -> HTTPResponse:
    app = request.app
    # Searched (and written to the audit log) masked, like the inbox search.
    filters = InboxFilters.parse(request.args).masked(app.ctx.masker)
    content_type, build = FORMATS[fmt]
    limit = app.ctx.settings.export_limit

    def run(connection):  # type: ignore[no-untyped-def]
        rows = selected_conversations(connection, filters, app.ctx.tz, limit)
        return len(rows), build(connection, rows, app.ctx.masker, app.ctx.tz)

    count, body = await app.ctx.db.run(run)
    await audit_staff_action(
        request,
        "export",
        f"{count} conversations",
        f"{fmt} {filters.query_string(page=1) or 'all'}",
    )
    stamp = datetime.now(app.ctx.tz).strftime("%Y%m%d-%H%M")
    return response.raw(
        body.encode(),
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="conversations-{stamp}.{fmt}"'},
    )
