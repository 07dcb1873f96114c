"""The callback queue: claim a request, call, record the outcome.

Any staff member works the queue. The full number is shown only to the person holding the
request's claim, and only when they ask for it (an audited reveal). A claim held by someone
else is refused with 409, naming who holds it and until when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sanic import Blueprint, HTTPResponse, Request, response
from sanic.exceptions import NotFound

from assistant.console.callbacks import (
    OUTCOMES,
    VIEWS,
    CallbackError,
    CallbackNotFound,
    ClaimHeld,
    change_status,
    claim,
    format_duration,
    get_callback,
    history,
    live_holder,
    queue,
    release,
)
from assistant.console.routes.guards import MAX_ID, audit_staff_action, form_value
from assistant.console.routes.render import render
from assistant.console.settings import ConsoleSettings

bp = Blueprint("callbacks", url_prefix="/callbacks")


def _user(request: Request) -> str:
    return str(request.ctx.staff.user.username)


def _target_s(request: Request) -> int:
    settings: ConsoleSettings = request.app.ctx.settings
    return settings.callback_target_minutes * 60


async def _page(
    request: Request, view: str, revealed: Optional[int] = None, error: str = "", status: int = 200
) -> HTTPResponse:
    app = request.app
    settings: ConsoleSettings = app.ctx.settings
    items = await app.ctx.db.run(
        queue, view, _user(request), app.ctx.clock(), app.ctx.open_hours, _target_s(request)
    )
    changes = await app.ctx.db.run(history, [item.row.id for item in items])
    return render(
        request,
        "callbacks.html",
        status=status,
        items=items,
        changes=changes,
        view=view,
        views=VIEWS,
        outcomes=OUTCOMES,
        me=_user(request),
        revealed=revealed,
        error=error,
        masker=app.ctx.masker,
        duration=format_duration,
        hours_known=app.ctx.open_hours is not None,
        target_minutes=settings.callback_target_minutes,
        claim_minutes=settings.callback_claim_minutes,
    )


def _view(request: Request) -> str:
    view = str(request.args.get("view") or form_value(request, "view", 10) or "open")
    return view if view in VIEWS else "open"


def _back(request: Request, callback_id: int) -> HTTPResponse:
    return response.redirect(f"/callbacks?view={_view(request)}#callback-{callback_id}")


def _checked_id(callback_id: int) -> int:
    if not 0 < callback_id <= MAX_ID:
        raise NotFound("no such callback request")
    return callback_id


async def _refused(request: Request, error: CallbackError) -> HTTPResponse:
    """The queue again, saying why: 404 unknown, 409 claimed by someone else, 400 otherwise."""
    if isinstance(error, CallbackNotFound):
        raise NotFound("no such callback request")
    if isinstance(error, ClaimHeld):
        message = (
            f"This request is claimed by {error.holder} until "
            f"{_local_time(request, error.until)}, so they may be calling now. "
            "Pick another request, or wait until the claim ends."
        )
        return await _page(request, _view(request), error=message, status=409)
    return await _page(request, _view(request), error=str(error), status=400)


def _local_time(request: Request, at: float) -> str:
    return datetime.fromtimestamp(at, request.app.ctx.tz).strftime("%H:%M")


@bp.get("")
async def show_queue(request: Request) -> HTTPResponse:
    return await _page(request, _view(request))


@bp.post("/<callback_id:int>/claim")
async def claim_request(request: Request, callback_id: int) -> HTTPResponse:
    settings: ConsoleSettings = request.app.ctx.settings
    try:
        await request.app.ctx.db.run(
            claim,
            _checked_id(callback_id),
            _user(request),
            request.app.ctx.clock(),
            settings.callback_claim_minutes * 60,
        )
    except CallbackError as error:
        return await _refused(request, error)
    await audit_staff_action(request, "callback_claim", f"callback {callback_id}", "claim")
    return _back(request, callback_id)


@bp.post("/<callback_id:int>/release")
async def release_request(request: Request, callback_id: int) -> HTTPResponse:
    try:
        await request.app.ctx.db.run(release, _checked_id(callback_id), _user(request))
    except CallbackError as error:
        return await _refused(request, error)
    await audit_staff_action(request, "callback_claim", f"callback {callback_id}", "release")
    return _back(request, callback_id)


@bp.post("/<callback_id:int>/status")
async def status(request: Request, callback_id: int) -> HTTPResponse:
    """Record an outcome (reached, voicemail, no_answer, wrong_number, closed), or reopen a
    closed request (``new``)."""
    to_status = form_value(request, "status", 16)
    try:
        row = await request.app.ctx.db.run(
            change_status,
            _checked_id(callback_id),
            to_status,
            _user(request),
            request.app.ctx.clock(),
        )
    except CallbackError as error:
        return await _refused(request, error)
    await audit_staff_action(
        request, "callback_status", f"callback {callback_id}", f"{row.status} -> {to_status}"
    )
    return _back(request, callback_id)


@bp.post("/<callback_id:int>/reveal")
async def reveal(request: Request, callback_id: int) -> HTTPResponse:
    """The full number and best time, for the person holding the request's claim."""
    row = await request.app.ctx.db.run(get_callback, _checked_id(callback_id))
    if row is None:
        raise NotFound("no such callback request")
    if live_holder(row, request.app.ctx.clock()) != _user(request):
        message = "Claim this request before showing its number, so nobody else calls too."
        return await _page(request, _view(request), error=message, status=409)
    await audit_staff_action(request, "reveal", f"callback {callback_id}", "phone number")
    return await _page(request, _view(request), revealed=callback_id)
