"""Clinical review: the safety texts awaiting the clinical team's sign-off (any staff)."""

from __future__ import annotations

import asyncio

from sanic import Blueprint, HTTPResponse, Request

from assistant.console.routes.render import render

bp = Blueprint("clinical_review")


@bp.get("/clinical-review")
async def show(request: Request) -> HTTPResponse:
    state = await asyncio.to_thread(request.app.ctx.knowledge.state)
    return render(request, "clinical_review.html", state=state)
