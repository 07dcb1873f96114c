"""Hardened REST channel at ``/webhooks/rest/webhook`` (same contract as Rasa's ``rest``).

Compared with Rasa's built-in channel it:
- answers malformed JSON, invalid UTF-8, empty or oversized messages with a clear 4xx;
- treats a typed ``/intent{...}`` as plain text (see ``assistant.text_guard``);
- fixes the input channel name (a client cannot claim to be another channel);
- stores no client-chosen metadata;
- never logs the message text, and answers with an apology and the phone number if the
  bot fails instead of an empty list.
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.channels.output import AnnotatedOutputChannel, collect_replies
from assistant.channels.settings import check_credentials, knowledge_store
from assistant.knowledge import WEB, KnowledgeStore
from assistant.stores.health import readiness
from assistant.text_guard import MAX_MESSAGE_CHARS, RejectedMessage, clean_user_text

logger = logging.getLogger(__name__)

SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
TECHNICAL_ERROR_ENTRY = "conversation.technical_error"
KNOWN_CREDENTIALS = {"max_message_chars", "knowledge_dir", "reply_timeout_s"}
# A patient waits at most this long; then the apology with the support number goes out.
DEFAULT_REPLY_TIMEOUT_S = 2.5


class PatientRestInput(InputChannel):
    """REST input channel: POST ``{"sender": "...", "message": "..."}``."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(
        self,
        store: KnowledgeStore,
        max_message_chars: int = MAX_MESSAGE_CHARS,
        reply_timeout_s: float = DEFAULT_REPLY_TIMEOUT_S,
    ) -> None:
        self.store = store
        self.max_message_chars = max_message_chars
        self.reply_timeout_s = reply_timeout_s

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        check_credentials(cls.name(), credentials, KNOWN_CREDENTIALS)
        store = knowledge_store(credentials)
        max_chars = int(credentials.get("max_message_chars", MAX_MESSAGE_CHARS))
        if max_chars < 1:
            raise ValueError("credentials.yml: max_message_chars must be positive")
        timeout = float(
            credentials.get("reply_timeout_s")
            or os.environ.get("REST_REPLY_TIMEOUT_S")
            or DEFAULT_REPLY_TIMEOUT_S
        )
        return cls(store, max_chars, timeout)

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return {"channel": self.name()}

    def _error(self, error: RejectedMessage) -> HTTPResponse:
        return response.json({"error": error.reason}, status=error.status)

    def _parse(self, request: Request) -> Dict[str, Any]:
        try:
            body = json.loads((request.body or b"").decode("utf-8"))
        except UnicodeDecodeError:
            raise RejectedMessage(400, "request body is not valid UTF-8") from None
        except json.JSONDecodeError:
            raise RejectedMessage(400, "request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise RejectedMessage(400, "request body must be a JSON object")
        return body

    def _technical_error(self) -> List[Dict[str, Any]]:
        rendered = self.store.current().render(TECHNICAL_ERROR_ENTRY, WEB)
        return [{"text": rendered.text}]

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"patient_rest_{id(self)}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            """Readiness for a load balancer: 503 while the model, the tracker store's
            database or the lock store is not available."""
            checks = await readiness(getattr(request.app.ctx, "agent", None))
            return response.json(
                {"ready": all(checks.values()), **checks},
                status=200 if all(checks.values()) else 503,
            )

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = self._parse(request)
                sender = body.get("sender")
                if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
                    raise RejectedMessage(400, "sender must be 1-128 letters, digits or _.:@-")
                knowledge = self.store.current()
                text = clean_user_text(
                    body.get("message"), knowledge.button_payloads(), self.max_message_chars
                )
            except RejectedMessage as error:
                return self._error(error)
            message = UserMessage(
                text,
                AnnotatedOutputChannel(),
                sender,
                input_channel=self.name(),
                metadata=self.get_metadata(request),
            )
            replies = await collect_replies(on_new_message, message, self.reply_timeout_s)
            return response.json(self._technical_error() if replies is None else replies)

        return webhook
