"""SMS channel at ``POST /webhooks/sms/webhook``, for Twilio's Messaging webhook.

Unlike Rasa's built-in Twilio channel it:
- verifies ``X-Twilio-Signature`` with the auth token (403 and nothing stored otherwise);
- answers synchronously with TwiML (no outbound credentials, no blocking API calls), always
  within ``reply_timeout_s``: a slow bot gets an apology with the support number instead;
- handles STOP/START/HELP itself; an opted-out number gets no replies, across restarts;
- turns buttons into a numbered menu ("Reply 1 for ...") and maps "1" back to the choice;
- sends each answer's SMS form, plain GSM-7 (unless the patient wrote in another script),
  split at sentence boundaries;
- names the conversation by an HMAC of the phone number, so raw numbers never reach the
  tracker or the logs; a typed "/intent{...}" is plain text.

Configuration comes from the environment (secrets never live in credentials.yml):
``TWILIO_AUTH_TOKEN`` (required), ``SMS_ID_SECRET`` (required, 16+ bytes),
``SMS_PUBLIC_URL`` (the URL the provider calls, when behind a proxy),
``SMS_STATE_DB`` (default ``.state/sms.db``) and ``SMS_REPLY_TIMEOUT_S`` (default 2.5).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from assistant.channels.output import AnnotatedOutputChannel, collect_replies
from assistant.channels.settings import check_credentials, knowledge_store, required_secret
from assistant.knowledge import SMS, KnowledgeStore
from assistant.sms.identity import conversation_id, normalize_number
from assistant.sms.keywords import Keyword, keyword_of
from assistant.sms.reply import shape_reply
from assistant.sms.segments import is_gsm7
from assistant.sms.state import SmsState
from assistant.text_guard import RejectedMessage, clean_user_text

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
DEFAULT_REPLY_TIMEOUT_S = 2.5  # the provider itself gives up at 15 s
KNOWN_CREDENTIALS = {"knowledge_dir"}
KEYWORD_ENTRIES = {
    Keyword.STOP: "sms.stop_confirmed",
    Keyword.START: "sms.start_confirmed",
    Keyword.HELP: "sms.help",
}


class SmsInput(InputChannel):
    """Twilio-compatible SMS webhook with signature check and opt-out keywords."""

    @classmethod
    def name(cls) -> Text:
        return "sms"

    def __init__(
        self,
        auth_token: str,
        id_secret: bytes,
        state: SmsState,
        store: KnowledgeStore,
        public_url: Optional[str] = None,
        reply_timeout_s: float = DEFAULT_REPLY_TIMEOUT_S,
    ) -> None:
        self.validator = RequestValidator(auth_token)
        self.id_secret = id_secret
        self.state = state
        self.store = store
        self.public_url = public_url
        self.reply_timeout_s = reply_timeout_s

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls.from_settings(credentials or {}, os.environ)

    @classmethod
    def from_settings(cls, credentials: Mapping[str, Any], env: Mapping[str, str]) -> SmsInput:
        check_credentials(cls.name(), credentials, KNOWN_CREDENTIALS)
        token = env.get("TWILIO_AUTH_TOKEN", "")
        if not token:
            raise ValueError("the sms channel needs TWILIO_AUTH_TOKEN in the environment")
        secret = required_secret(env, "SMS_ID_SECRET", cls.name())
        store = knowledge_store(credentials)
        return cls(
            auth_token=token,
            id_secret=secret,
            state=SmsState(Path(env.get("SMS_STATE_DB", ".state/sms.db"))),
            store=store,
            public_url=env.get("SMS_PUBLIC_URL") or None,
            reply_timeout_s=float(env.get("SMS_REPLY_TIMEOUT_S", DEFAULT_REPLY_TIMEOUT_S)),
        )

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        # Only the channel name: the sender's number must not reach the tracker.
        return {"channel": self.name()}

    def _signed_url(self, request: Request) -> str:
        return self.public_url or request.url

    def _is_signed(self, request: Request, form: Dict[str, str]) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER, "")
        return bool(signature) and self.validator.validate(
            self._signed_url(request), form, signature
        )

    def _twiml(self, parts: list[str]) -> HTTPResponse:
        reply = MessagingResponse()
        for part in parts:
            reply.message(part)
        return response.text(str(reply), content_type="text/xml")

    def _keyword_reply(self, entry_id: str) -> HTTPResponse:
        return self._twiml([self.store.current().render(entry_id, SMS).text])

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"sms_webhook_{id(self)}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            form = {key: values[0] for key, values in (request.form or {}).items() if values}
            if not self._is_signed(request, form):
                logger.warning("SMS webhook: missing or invalid signature; rejected")
                return response.json({"error": "invalid signature"}, status=403)
            number = normalize_number(form.get("From", ""))
            if number is None:
                return response.json({"error": "From is not a phone number"}, status=400)
            sender = conversation_id(number, self.id_secret)
            body = form.get("Body", "")
            keyword = keyword_of(body)
            opted_out = self.state.is_opted_out(sender)
            if keyword is Keyword.STOP:
                self.state.set_opted_out(sender, True)
                return self._keyword_reply(KEYWORD_ENTRIES[Keyword.STOP])
            if keyword is Keyword.START and (opted_out or body.strip().upper() != "YES"):
                self.state.set_opted_out(sender, False)
                return self._keyword_reply(KEYWORD_ENTRIES[Keyword.START])
            if opted_out:
                return self._twiml([])
            if keyword is Keyword.HELP:
                return self._keyword_reply(KEYWORD_ENTRIES[Keyword.HELP])
            return await self._converse(on_new_message, request, sender, body)

        return webhook

    async def _converse(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        request: Request,
        sender: str,
        body: str,
    ) -> HTTPResponse:
        knowledge = self.store.current()
        menu = self.state.menu(sender)
        choice = body.strip().rstrip(".)")
        if choice.isdigit() and 1 <= int(choice) <= len(menu):
            text = menu[int(choice) - 1]  # the payload of the button the number stands for
        else:
            try:
                text = clean_user_text(body, trusted_payloads=())
            except RejectedMessage:
                return self._keyword_reply("conversation.fallback")
        collector = AnnotatedOutputChannel()
        message = UserMessage(
            text, collector, sender, input_channel=self.name(), metadata=self.get_metadata(request)
        )
        messages = await collect_replies(on_new_message, message, self.reply_timeout_s)
        if messages is None:
            return self._keyword_reply("sms.slow_reply")
        reply = shape_reply(messages, knowledge, allow_unicode=not is_gsm7(body))
        self.state.set_menu(sender, reply.menu)
        return self._twiml(reply.parts)
