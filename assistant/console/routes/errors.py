"""Error pages that never echo the request (no query, form or patient text in them)."""

from __future__ import annotations

import logging
import traceback

from sanic import HTTPResponse, Request, Sanic
from sanic.exceptions import MethodNotSupported, NotFound, SanicException

from assistant.console.routes.guards import attach_session
from assistant.console.routes.render import render

logger = logging.getLogger(__name__)


def install(app: Sanic) -> None:
    @app.exception(NotFound)
    async def not_found(request: Request, _error: Exception) -> HTTPResponse:
        if not hasattr(request.ctx, "staff"):  # no route matched, so the guard did not run
            reply = await attach_session(request)
            if reply is not None:
                return reply
        return render(
            request,
            "error.html",
            status=404,
            title="Not found",
            message="There is no such page or conversation.",
        )

    @app.exception(MethodNotSupported)
    async def bad_method(request: Request, _error: Exception) -> HTTPResponse:
        return render(
            request,
            "error.html",
            status=405,
            title="Not allowed",
            message="That request is not supported here.",
        )

    @app.exception(SanicException)
    async def http_error(request: Request, error: SanicException) -> HTTPResponse:
        status = getattr(error, "status_code", 400) or 400
        return render(
            request,
            "error.html",
            status=status,
            title="Bad request",
            message="The request could not be handled.",
        )

    @app.exception(Exception)
    async def crash(request: Request, error: Exception) -> HTTPResponse:
        # The type and where, not the message: a message can quote patient text.
        logger.error(
            "console error %s on %s %s\n%s",
            type(error).__name__,
            request.method,
            request.path,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        return render(
            request,
            "error.html",
            status=500,
            title="Something went wrong",
            message="The console hit an error; it has been logged.",
        )
