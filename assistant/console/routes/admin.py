"""Admin pages: accounts, the audit log, and retention (purge)."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse, Request, response

from assistant.console import audit
from assistant.console.accounts import (
    ROLES,
    AccountError,
    add_user,
    list_users,
    set_active,
    set_role,
)
from assistant.console.numbers import parse_small_int
from assistant.console.retention import purge_older_than
from assistant.console.routes.guards import admin_only, audit_staff_action, form_value
from assistant.console.routes.render import render

bp = Blueprint("admin", url_prefix="/admin")
AUDIT_PAGE_SIZE = 100


async def _users_page(request: Request, error: str = "", status: int = 200) -> HTTPResponse:
    rows = await request.app.ctx.db.run(list_users)
    return render(request, "admin_users.html", status=status, rows=rows, roles=ROLES, error=error)


@bp.get("/users")
@admin_only
async def users(request: Request) -> HTTPResponse:
    return await _users_page(request)


@bp.post("/users")
@admin_only
async def create_user(request: Request) -> HTTPResponse:
    username = form_value(request, "username", 64)
    role = form_value(request, "role", 16)
    password = form_value(request, "password", 1024)
    try:
        user = await request.app.ctx.db.run(add_user, username, role, password)
    except AccountError as error:
        return await _users_page(request, error=str(error), status=400)
    await audit_staff_action(request, "user_add", user.username, f"role={user.role}")
    return response.redirect("/admin/users")


@bp.post("/users/<username:str>")
@admin_only
async def change_user(request: Request, username: str) -> HTTPResponse:
    change = form_value(request, "change", 16)
    db = request.app.ctx.db
    try:
        if change in ROLES:
            user = await db.run(set_role, username, change)
        elif change in ("enable", "disable"):
            user = await db.run(set_active, username, change == "enable")
        else:
            raise AccountError("unknown change")
    except AccountError as error:
        return await _users_page(request, error=str(error), status=400)
    await audit_staff_action(request, "user_change", user.username, change)
    return response.redirect("/admin/users")


@bp.get("/audit")
@admin_only
async def audit_log(request: Request) -> HTTPResponse:
    page_text = str(request.args.get("page") or "1")
    page = parse_small_int(page_text, 7) or 1
    action = str(request.args.get("action") or "")
    action = action if action in audit.ACTIONS else ""
    actor = str(request.args.get("actor") or "")[:64]
    result = await request.app.ctx.db.run(audit.read, page, AUDIT_PAGE_SIZE, action, actor)
    return render(
        request,
        "admin_audit.html",
        result=result,
        actions=audit.ACTIONS,
        action=action,
        actor=actor,
    )


@bp.get("/retention")
@admin_only
async def retention(request: Request) -> HTTPResponse:
    return render(
        request, "admin_retention.html", days=request.app.ctx.settings.retention_days, result=None
    )


@bp.post("/retention")
@admin_only
async def purge(request: Request) -> HTTPResponse:
    app = request.app
    days = app.ctx.settings.retention_days
    if form_value(request, "confirm", 10) != "purge":
        return render(
            request,
            "admin_retention.html",
            status=400,
            days=days,
            result=None,
            error="Type purge to confirm.",
        )
    import asyncio

    result = await asyncio.to_thread(purge_older_than, app.ctx.db.engine, days, app.ctx.clock())
    await audit_staff_action(
        request,
        "purge",
        f"older than {days} days",
        f"{result.conversations} conversations, {result.events} events",
    )
    return render(request, "admin_retention.html", days=days, result=result)
