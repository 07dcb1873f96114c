"""Translations: every knowledge entry's Spanish translation state (any staff)."""

from __future__ import annotations

import asyncio

from sanic import Blueprint, HTTPResponse, Request

from assistant.console.routes.render import render

bp = Blueprint("translations")


@bp.get("/translations")
async def show(request: Request) -> HTTPResponse:
    state = await asyncio.to_thread(request.app.ctx.knowledge.state)
    return render(request, "translations.html", state=state)
