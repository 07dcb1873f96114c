"""Sanic app factory for the action server.

rasa-sdk's own server has no authentication, allows any CORS origin, and on an error answers
with the whole request body (the tracker: patient messages) and logs the request. This one:
- requires ``Authorization: Bearer <token>`` on every call but ``/health``;
- answers errors with a short, generic message and the action name, never the request;
- logs the action name and the exception type, never the tracker;
- caps the request size and sends no CORS headers.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 4 * 1024 * 1024


def _authorized(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip(), token)


SERVER_KEEPALIVE_S = 15


def create_app(token: str, executor: ActionExecutor, name: str = "action_server") -> Sanic:
    """The action server for ``executor``'s actions, callable only with ``token``."""
    if len(token) < 16:
        raise ValueError("the action server token must be at least 16 characters")
    app = Sanic(name, configure_logging=False)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    # Rasa's side (assistant.rasa_server.tuning) reuses an idle connection for up to
    # CLIENT_KEEPALIVE_S; the server must keep it open longer, or a reused connection could
    # be closed under a request.
    app.config.KEEP_ALIVE_TIMEOUT = SERVER_KEEPALIVE_S

    @app.middleware("request")
    async def require_token(request: Request) -> Any:
        if request.path != "/health" and not _authorized(request, token):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/actions")
    async def actions(_: Request) -> HTTPResponse:
        return response.json([{"name": name} for name in sorted(executor.actions)])

    @app.post("/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        try:
            action_call = json.loads(request.body or b"")
        except (UnicodeDecodeError, json.JSONDecodeError):
            return response.json({"error": "invalid JSON body"}, status=400)
        if not isinstance(action_call, dict) or not action_call.get("next_action"):
            return response.json({"error": "invalid action call"}, status=400)
        action_name = str(action_call.get("next_action"))
        try:
            result = await executor.run(action_call)
        except ActionExecutionRejection as rejection:
            return response.json(
                {"error": rejection.message, "action_name": action_name}, status=400
            )
        except ActionNotFoundException:
            logger.error("Unknown action %s requested", action_name)
            return response.json(
                {"error": "no such action", "action_name": action_name}, status=404
            )
        except Exception as error:  # noqa: BLE001 - never leak the tracker in answer or log
            logger.error("Action %s failed: %s", action_name, type(error).__name__)
            return response.json(
                {"error": "the action failed", "action_name": action_name}, status=500
            )
        return response.json(result)

    @app.exception(Exception)
    async def any_error(request: Request, error: Exception) -> HTTPResponse:
        status = int(getattr(error, "status_code", 500) or 500)
        logger.error("Request to %s failed: %s", request.path, type(error).__name__)
        return response.json({"error": "request failed"}, status=status)

    return app
