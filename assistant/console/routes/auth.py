"""Log in (throttled, audited) and log out."""

from __future__ import annotations

import hmac
import math
import secrets

import sqlalchemy as sa
from sanic import Blueprint, HTTPResponse, Request, response
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from assistant.console import audit
from assistant.console.accounts import authenticate, has_accounts
from assistant.console.login_throttle import (
    ThrottlePolicy,
    begin_login_attempt,
    login_succeeded,
)
from assistant.console.routes.guards import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    audit_staff_action,
    clear_cookie,
    client_ip,
    forbidden,
    form_value,
    safe_next,
    set_cookie,
)
from assistant.console.routes.render import render
from assistant.console.staff_sessions import end_session, start_session

bp = Blueprint("auth")


async def _no_accounts(request: Request) -> bool:
    """Whether the page says how to make the first account: only while there is none at all
    (then nobody can log in, and there is nothing to reveal)."""
    try:
        return not await request.app.ctx.db.run(has_accounts)
    except SQLAlchemyError:  # the form still shows; logging in will say what is wrong
        return False


async def _login_page(request: Request, status: int = 200, error: str = "") -> HTTPResponse:
    # Keep this browser's token: the /favicon.ico request browsers send after the page
    # (redirected here) or a second tab must not invalidate the form already on screen.
    kept = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    token = kept if 32 <= len(kept) <= 64 and kept.isascii() else secrets.token_urlsafe(32)
    next_path = safe_next(request.args.get("next") or form_value(request, "next", 500) or None)
    reply = render(
        request,
        "login.html",
        status=status,
        login_csrf=token,
        next_path=next_path,
        error=error,
        expired=request.args.get("expired") == "1",
        first_account=await _no_accounts(request),
    )
    set_cookie(request, reply, LOGIN_CSRF_COOKIE, token, path="/login")
    return reply


@bp.get("/login")
async def login_form(request: Request) -> HTTPResponse:
    if request.ctx.staff is not None:
        return response.redirect("/inbox")
    return await _login_page(request)


def _wait_text(seconds: float) -> str:
    whole = max(1, math.ceil(seconds))
    if whole == 1:
        return "1 second"
    if whole < 120:
        return f"{whole} seconds"
    return f"{math.ceil(whole / 60)} minutes"


async def _throttled_page(request: Request, wait_s: float) -> HTTPResponse:
    reply = await _login_page(
        request,
        status=429,
        error=f"Too many failed attempts. Wait {_wait_text(wait_s)}, then try again.",
    )
    reply.headers["Retry-After"] = str(max(1, math.ceil(wait_s)))
    return reply


@bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = form_value(request, CSRF_FIELD, 200)
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        return forbidden(request, "The login form expired. Reload the page and try again.")
    app = request.app
    db = app.ctx.db
    username = form_value(request, "username", 64).strip().lower()
    password = form_value(request, "password", 1024)
    ip = client_ip(request)
    now = app.ctx.clock()
    # Reserved before the password is checked, so parallel guesses cannot outrun the count.
    policy = ThrottlePolicy.from_settings(app.ctx.settings)
    attempt = await db.run(begin_login_attempt, username or "?", ip, now, policy)
    if not attempt.allowed:
        await db.run(audit.record, username or "?", "login_throttled", "", attempt.limited_by, ip)
        return await _throttled_page(request, attempt.wait_s)
    user = await db.run(authenticate, username, password) if username and password else None
    if user is None:
        await db.run(audit.record, username or "?", "login_failed", "", "", ip)
        return await _login_page(request, status=401, error="Wrong user name or password.")
    await db.run(login_succeeded, attempt, user.username, ip, now)
    token, _csrf = await db.run(start_session, user, now)
    await db.run(audit.record, user.username, "login", "", f"role={user.role}", ip)
    reply = response.redirect(safe_next(form_value(request, "next", 500) or None))
    set_cookie(request, reply, SESSION_COOKIE, token)
    clear_cookie(request, reply, LOGIN_CSRF_COOKIE, path="/login")
    return reply


@bp.post("/logout")
async def logout(request: Request) -> HTTPResponse:
    staff = request.ctx.staff
    idle = form_value(request, "reason", 10) == "idle"  # the page's idle timer logged out
    await request.app.ctx.db.run(end_session, staff.token_hash)
    await audit_staff_action(request, "logout", "", "idle" if idle else "")
    reply = response.redirect("/login?expired=1" if idle else "/login")
    clear_cookie(request, reply, SESSION_COOKIE)
    return reply


@bp.post("/keepalive")
async def keepalive(request: Request) -> HTTPResponse:
    """ "Stay logged in": the session check before this handler has marked it as active."""
    return response.empty()


def _ping(connection: Connection) -> None:
    connection.execute(sa.text("SELECT 1"))


@bp.get("/health")
async def health(request: Request) -> HTTPResponse:
    """Ready when the database answers."""
    try:
        await request.app.ctx.db.run(_ping)
    except SQLAlchemyError:
        return response.json({"status": "database unavailable"}, status=503)
    return response.json({"status": "ok"})
