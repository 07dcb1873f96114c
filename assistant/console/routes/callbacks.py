"""The callback queue: open requests oldest first; status new -> called -> closed."""

from __future__ import annotations

from typing import Optional

from sanic import Blueprint, HTTPResponse, Request, response
from sanic.exceptions import NotFound

from assistant.console.callbacks import (
    NEXT_STATUS,
    STATUSES,
    CallbackError,
    change_status,
    get_callback,
    history,
    list_callbacks,
)
from assistant.console.routes.guards import MAX_ID, audit_staff_action, form_value
from assistant.console.routes.render import render

bp = Blueprint("callbacks", url_prefix="/callbacks")
VIEWS = ("open", *STATUSES, "all")


async def _page(
    request: Request, view: str, revealed: Optional[int] = None, error: str = "", status: int = 200
) -> HTTPResponse:
    db = request.app.ctx.db
    rows = await db.run(list_callbacks, view)
    changes = await db.run(history, [r.id for r in rows])
    return render(
        request,
        "callbacks.html",
        status=status,
        rows=rows,
        changes=changes,
        view=view,
        views=VIEWS,
        next_status=NEXT_STATUS,
        revealed=revealed,
        error=error,
        masker=request.app.ctx.masker,
    )


def _view(request: Request) -> str:
    view = str(request.args.get("view") or form_value(request, "view", 10) or "open")
    return view if view in VIEWS else "open"


@bp.get("")
async def queue(request: Request) -> HTTPResponse:
    return await _page(request, _view(request))


@bp.post("/<callback_id:int>/status")
async def status(request: Request, callback_id: int) -> HTTPResponse:
    if callback_id > MAX_ID:
        raise NotFound("no such callback request")
    user = request.ctx.staff.user.username
    to_status = form_value(request, "status", 16)
    try:
        row = await request.app.ctx.db.run(change_status, callback_id, to_status, user)
    except CallbackError as error:
        return await _page(request, _view(request), error=str(error), status=400)
    await audit_staff_action(
        request, "callback_status", f"callback {callback_id}", f"{row.status} -> {to_status}"
    )
    return response.redirect(f"/callbacks?view={_view(request)}")


@bp.post("/<callback_id:int>/reveal")
async def reveal(request: Request, callback_id: int) -> HTTPResponse:
    if callback_id > MAX_ID or await request.app.ctx.db.run(get_callback, callback_id) is None:
        raise NotFound("no such callback request")
    await audit_staff_action(request, "reveal", f"callback {callback_id}", "phone number")
    return await _page(request, _view(request), revealed=callback_id)
