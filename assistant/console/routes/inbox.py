"""The inbox: every conversation, filtered, searched, sorted and paged."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request, response

from assistant.console.inbox import (
    CHANNELS,
    FLAGS,
    LANGUAGES,
    SORTS,
    InboxFilters,
    inbox_page,
    known_tags,
)
from assistant.console.routes.guards import audit_staff_action
from assistant.console.routes.render import render

bp = Blueprint("inbox")


@bp.get("/")
async def home(request: Request) -> HTTPResponse:
    return response.redirect("/inbox")


async def audit_search(request: Request, query: str) -> None:
    """Every search is audited, with contact details in it masked (people read the audit
    log too). Looking a patient up by phone number or email is its own action."""
    masker = request.app.ctx.masker
    action = "search_contact" if masker.has_contact_details(query) else "inbox_search"
    await audit_staff_action(request, action, "inbox", masker.mask(query))


@bp.get("/inbox")
async def inbox(request: Request) -> HTTPResponse:
    app = request.app
    filters = InboxFilters.parse(request.args)
    if filters.q:
        await audit_search(request, filters.q)
    filters = filters.masked(app.ctx.masker)
    page = await app.ctx.db.run(inbox_page, filters, app.ctx.tz, app.ctx.settings.page_size)
    tags = await app.ctx.db.run(known_tags)
    return render(
        request,
        "inbox.html",
        filters=filters,
        result=page,
        channels=CHANNELS,
        languages=LANGUAGES,
        flags=FLAGS,
        sorts=SORTS,
        intents=app.ctx.intents,
        tags=tags,
        masker=app.ctx.masker,
    )
