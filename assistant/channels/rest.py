"""Hardened REST channel at ``/webhooks/rest/webhook`` (same contract as Rasa's ``rest``).

It is for integrations and testing, not for patients (they use the web and SMS channels), and
nginx does not pass it through. Compared with Rasa's built-in channel it:
- needs ``Authorization: Bearer <REST_TOKEN>`` (``REST_TOKEN``, 16+ characters, from the
  environment; the channel does not start without it) and answers 401 otherwise;
- refuses the conversation ids of the web and SMS channels (403), so knowing a patient's id
  is not enough to write into their conversation or read the replies;
- answers malformed JSON, invalid UTF-8, empty or oversized messages with a clear 4xx;
- treats a typed ``/intent{...}`` as plain text (see ``assistant.text_guard``);
- fixes the input channel name (a client cannot claim to be another channel);
- stores no client-chosen metadata;
- never logs the message text, and answers with an apology and the phone number if the
  bot fails instead of an empty list.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.channels.opening_language import opening_language
from assistant.channels.output import AnnotatedOutputChannel, collect_replies
from assistant.channels.settings import (
    channel_or_off,
    check_credentials,
    knowledge_store,
    required_secret,
)
from assistant.channels.sms.identity import ID_PREFIX as SMS_SENDER_PREFIX
from assistant.channels.web.sessions import SENDER_PREFIX as WEB_SENDER_PREFIX
from assistant.dialogue_names import ENTRY_CONVERSATION_TECHNICAL_ERROR, META_CHANNEL, REST_CHANNEL
from assistant.knowledge import WEB, KnowledgeStore
from assistant.stores.health import readiness
from assistant.text_guard import MAX_MESSAGE_CHARS, RejectedMessage, clean_user_text

logger = logging.getLogger(__name__)

SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
# Conversation ids of the patient channels: never reachable through REST.
RESERVED_SENDER_PREFIXES = (WEB_SENDER_PREFIX, SMS_SENDER_PREFIX)
TECHNICAL_ERROR_ENTRY = ENTRY_CONVERSATION_TECHNICAL_ERROR
KNOWN_CREDENTIALS = {"max_message_chars", "knowledge_dir", "reply_timeout_s"}
# A patient waits at most this long; then the apology with the support number goes out.
DEFAULT_REPLY_TIMEOUT_S = 2.5


class PatientRestInput(InputChannel):
    """REST input channel: POST ``{"sender": "...", "message": "..."}``."""

    @classmethod
    def name(cls) -> Text:
        return REST_CHANNEL

    def __init__(
        self,
        store: KnowledgeStore,
        token: bytes,
        max_message_chars: int = MAX_MESSAGE_CHARS,
        reply_timeout_s: float = DEFAULT_REPLY_TIMEOUT_S,
    ) -> None:
        if len(token) < 16:
            raise ValueError("the REST channel's token must be at least 16 characters")
        self.store = store
        self._token = token
        self.max_message_chars = max_message_chars
        self.reply_timeout_s = reply_timeout_s

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        # Without REST_TOKEN: off with a warning, or a stop in production (settings.py).
        return channel_or_off(
            cls.name(), lambda: cls.from_settings(credentials or {}, os.environ), os.environ
        )

    @classmethod
    def from_settings(
        cls, credentials: Mapping[str, Any], env: Mapping[str, str]
    ) -> PatientRestInput:
        check_credentials(cls.name(), credentials, KNOWN_CREDENTIALS)
        token = required_secret(env, "REST_TOKEN", cls.name())
        store = knowledge_store(credentials)
        max_chars = int(credentials.get("max_message_chars", MAX_MESSAGE_CHARS))
        if max_chars < 1:
            raise ValueError("credentials.yml: max_message_chars must be positive")
        timeout = float(
            credentials.get("reply_timeout_s")
            or env.get("REST_REPLY_TIMEOUT_S")
            or DEFAULT_REPLY_TIMEOUT_S
        )
        return cls(store, token, max_chars, timeout)

    def _authorized(self, request: Request) -> bool:
        """Whether the request carries ``Authorization: Bearer <REST_TOKEN>``."""
        scheme, _, credential = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(credential.strip().encode(), self._token)

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return {META_CHANNEL: self.name()}

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
            if not self._authorized(request):
                logger.warning("REST request without a valid token refused")
                return response.json(
                    {"error": "a valid bearer token is required"},
                    status=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            try:
                body = self._parse(request)
                sender = body.get("sender")
                if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
                    raise RejectedMessage(400, "sender must be 1-128 letters, digits or _.:@-")
                if sender.lower().startswith(RESERVED_SENDER_PREFIXES):
                    logger.warning("REST request for a web or SMS conversation refused")
                    raise RejectedMessage(403, "this conversation id belongs to another channel")
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
                metadata={
                    **(self.get_metadata(request) or {}),
                    **opening_language(text, knowledge),
                },
            )
            replies = await collect_replies(on_new_message, message, self.reply_timeout_s)
            return response.json(self._technical_error() if replies is None else replies)

        return webhook
