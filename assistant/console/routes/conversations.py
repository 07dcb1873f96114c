"""One conversation: the transcript (audited), revealing contact details (audited), tags,
notes, the reviewed mark and intent corrections."""

from __future__ import annotations

from typing import FrozenSet, Optional

from sanic import Blueprint, HTTPResponse, Request, response
from sanic.exceptions import NotFound

from assistant.console.numbers import parse_small_int
from assistant.console.review import (
    MAX_NOTE_CHARS,
    ReviewError,
    add_note,
    add_tag,
    correct_intent,
    remove_tag,
    set_reviewed,
)
from assistant.console.routes.guards import MAX_ID, audit_staff_action, form_value
from assistant.console.routes.render import render
from assistant.console.transcript import load_conversation, load_transcript

bp = Blueprint("conversations", url_prefix="/conversations")


def _id(text: str) -> Optional[int]:
    value = parse_small_int(text, 10)
    return value if value is not None and value <= MAX_ID else None


async def _show(
    request: Request,
    conversation_id: int,
    reveal: FrozenSet[int] = frozenset(),
    error: str = "",
    status: int = 200,
) -> HTTPResponse:
    app = request.app
    transcript = await app.ctx.db.run(load_transcript, conversation_id, app.ctx.masker, reveal)
    if transcript is None:
        raise NotFound("no such conversation")
    return render(
        request,
        "transcript.html",
        status=status,
        t=transcript,
        intents=app.ctx.intents,
        revealed=reveal,
        error=error,
    )


async def _exists(request: Request, conversation_id: int) -> None:
    if (
        conversation_id > MAX_ID
        or await request.app.ctx.db.run(load_conversation, conversation_id) is None
    ):
        raise NotFound("no such conversation")


@bp.get("/<conversation_id:int>")
async def transcript(request: Request, conversation_id: int) -> HTTPResponse:
    await _exists(request, conversation_id)
    await audit_staff_action(request, "view_transcript", f"conversation {conversation_id}")
    return await _show(request, conversation_id)


@bp.post("/<conversation_id:int>/reveal")
async def reveal(request: Request, conversation_id: int) -> HTTPResponse:
    await _exists(request, conversation_id)
    event_id = _id(form_value(request, "event_id", 12))
    if event_id is None:
        return await _show(
            request, conversation_id, error="Choose a message to reveal.", status=400
        )
    await audit_staff_action(
        request, "reveal", f"conversation {conversation_id}", f"event {event_id}"
    )
    return await _show(request, conversation_id, reveal=frozenset({event_id}))


def _back(conversation_id: int, anchor: str = "") -> HTTPResponse:
    return response.redirect(f"/conversations/{conversation_id}{anchor}")


@bp.post("/<conversation_id:int>/tags")
async def tag(request: Request, conversation_id: int) -> HTTPResponse:
    await _exists(request, conversation_id)
    user = request.ctx.staff.user.username
    try:
        name = await request.app.ctx.db.run(
            add_tag, conversation_id, form_value(request, "tag", 200), user
        )
    except ReviewError as error:
        return await _show(request, conversation_id, error=str(error), status=400)
    await audit_staff_action(request, "tag", f"conversation {conversation_id}", name)
    return _back(conversation_id, "#review")


@bp.post("/<conversation_id:int>/tags/remove")
async def untag(request: Request, conversation_id: int) -> HTTPResponse:
    await _exists(request, conversation_id)
    name = form_value(request, "tag", 40)
    await request.app.ctx.db.run(remove_tag, conversation_id, name)
    await audit_staff_action(request, "untag", f"conversation {conversation_id}", name)
    return _back(conversation_id, "#review")


@bp.post("/<conversation_id:int>/notes")
async def note(request: Request, conversation_id: int) -> HTTPResponse:
    await _exists(request, conversation_id)
    user = request.ctx.staff.user.username
    try:
        # Read past the limit, so a note that is too long is refused rather than cut short.
        body = form_value(request, "body", 10 * MAX_NOTE_CHARS)
        await request.app.ctx.db.run(add_note, conversation_id, body, user)
    except ReviewError as error:
        return await _show(request, conversation_id, error=str(error), status=400)
    await audit_staff_action(request, "note", f"conversation {conversation_id}")
    return _back(conversation_id, "#notes")


@bp.post("/<conversation_id:int>/reviewed")
async def reviewed(request: Request, conversation_id: int) -> HTTPResponse:
    await _exists(request, conversation_id)
    value = form_value(request, "reviewed", 5) == "yes"
    user = request.ctx.staff.user.username
    await request.app.ctx.db.run(set_reviewed, conversation_id, value, user)
    await audit_staff_action(
        request, "reviewed", f"conversation {conversation_id}", "yes" if value else "no"
    )
    return _back(conversation_id)


@bp.post("/<conversation_id:int>/correct")
async def correct(request: Request, conversation_id: int) -> HTTPResponse:
    await _exists(request, conversation_id)
    event_id = _id(form_value(request, "event_id", 12))
    intent = form_value(request, "intent", 255)
    if event_id is None or intent not in request.app.ctx.intents:
        return await _show(
            request, conversation_id, error="Choose a message and a known intent.", status=400
        )
    user = request.ctx.staff.user.username
    try:
        predicted = await request.app.ctx.db.run(
            correct_intent, conversation_id, event_id, intent, user
        )
    except ReviewError as error:
        return await _show(request, conversation_id, error=str(error), status=400)
    detail = f"event {event_id}: {predicted or '?'} -> {intent}"
    await audit_staff_action(request, "correct_intent", f"conversation {conversation_id}", detail)
    return _back(conversation_id, f"#m{event_id}")
