"""Who may do what: the session check on every request, the CSRF check on every form post,
the admin-only decorator, cookies, and security headers."""

from __future__ import annotations

import hmac
from functools import wraps
from typing import Any, Callable, Coroutine, Optional
from urllib.parse import quote

from sanic import HTTPResponse, Request, Sanic, response

from assistant.console import audit
from assistant.console.settings import ConsoleSettings
from assistant.console.staff_sessions import StaffSession, load_session
from assistant.proxies import client_address, request_scheme

SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
CSRF_FIELD = "csrf_token"
PUBLIC_PATHS = frozenset({"/login", "/health"})
PUBLIC_PREFIXES = ("/static/",)
MAX_ID = 2**31 - 1  # larger ids are unknown (SQLite and PostgreSQL integers stop here)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]


def _peer(request: Request) -> str:
    """The address at the other end of the connection (the socket's peer)."""
    return str(request.ip or "")


def client_ip(request: Request) -> str:
    """The client's address: the peer's, or the forwarded one when the peer is one of
    CONSOLE_TRUSTED_PROXIES."""
    trusted = request.app.ctx.settings.trusted_proxies
    return client_address(_peer(request), request.headers.getall("x-forwarded-for", []), trusted)


async def audit_staff_action(
    request: Request, action: str, target: str = "", detail: str = ""
) -> None:
    """One audit row for what the logged-in staff member just did, from this address."""
    await request.app.ctx.db.run(
        audit.record, request.ctx.staff.user.username, action, target, detail, client_ip(request)
    )


def is_secure(request: Request) -> bool:
    """Whether cookies get Secure: always, never, or ("auto") when the client used https,
    directly or (X-Forwarded-Proto) through one of CONSOLE_TRUSTED_PROXIES."""
    settings: ConsoleSettings = request.app.ctx.settings
    if settings.cookie_secure != "auto":
        return settings.cookie_secure == "always"
    forwarded = request.headers.getall("x-forwarded-proto", [])
    # request.scheme is the connection's own: create_app turns Sanic's proxy support off.
    scheme = request_scheme(_peer(request), forwarded, request.scheme, settings.trusted_proxies)
    return scheme == "https"


def set_cookie(
    request: Request, reply: HTTPResponse, name: str, value: str, path: str = "/"
) -> None:
    reply.cookies[name] = value
    cookie = reply.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = path
    if is_secure(request):
        cookie["secure"] = True


def clear_cookie(request: Request, reply: HTTPResponse, name: str, path: str = "/") -> None:
    set_cookie(request, reply, name, "", path)
    reply.cookies[name]["max-age"] = 0


def form_value(request: Request, name: str, limit: int = 4000) -> str:
    form = request.form or {}
    value = form.get(name) if hasattr(form, "get") else None
    return str(value or "")[:limit]


def safe_next(target: Optional[str]) -> str:
    """Only a path on this site is a place to go after logging in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target[:500]
    return "/inbox"


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def forbidden(request: Request, message: str) -> HTTPResponse:
    from assistant.console.routes.render import render

    return render(request, "error.html", status=403, title="Not allowed", message=message)


async def attach_session(request: Request) -> Optional[HTTPResponse]:
    settings: ConsoleSettings = request.app.ctx.settings
    token = request.cookies.get(SESSION_COOKIE)
    staff: Optional[StaffSession] = None
    if token:
        staff = await request.app.ctx.db.run(
            load_session, token, request.app.ctx.clock(), settings.idle_timeout_s
        )
    request.ctx.staff = staff
    if _is_public(request.path):
        return None
    if staff is None:
        target = request.path + (f"?{request.query_string}" if request.query_string else "")
        expired = "&expired=1" if token else ""
        reply = response.redirect(f"/login?next={quote(target, safe='')}{expired}")
        if token:
            clear_cookie(request, reply, SESSION_COOKIE)
        return reply
    if request.method in UNSAFE_METHODS:
        sent = form_value(request, CSRF_FIELD, 200)
        if not sent or not hmac.compare_digest(sent.encode(), staff.csrf_token.encode()):
            return forbidden(request, "This form has expired or did not come from the console.")
    return None


def install(app: Sanic) -> None:
    app.on_request(attach_session)

    @app.on_response
    async def security_headers(request: Request, reply: HTTPResponse) -> None:
        for name, value in SECURITY_HEADERS.items():
            reply.headers.setdefault(name, value)
        if is_secure(request):
            reply.headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def admin_only(handler: Handler) -> Handler:
    @wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        staff: Optional[StaffSession] = request.ctx.staff
        if staff is None or not staff.user.is_admin:
            return forbidden(request, "This page is for console administrators.")
        return await handler(request, *args, **kwargs)

    return wrapper
