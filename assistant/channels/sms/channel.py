"""SMS channel at ``POST /webhooks/sms/webhook``, for Twilio's Messaging webhook.

Unlike Rasa's built-in Twilio channel it:
- verifies ``X-Twilio-Signature`` with the auth token over the raw form, empty fields included
  (403 and nothing stored otherwise); only ``application/x-www-form-urlencoded`` is read (415);
- answers each MessageSid once (``assistant.channels.replies_store``): a repeat (nginx
  retrying on another replica after one died, a replayed webhook) gets the stored reply, or
  waits for the first attempt's, and never reaches the bot again; if the first attempt's
  replica died, the repeat answers (from the tracker when that turn was stored: the sid is the
  message's ``message_id``). The signature check still refuses a forged request first. One
  without a MessageSid gets 400. The sids are kept a day;
- answers synchronously with TwiML (no outbound credentials, no blocking API calls), always
  within ``reply_timeout_s``: a slow bot gets an apology with the support number instead;
- handles STOP/START/HELP itself, and the Spanish PARAR/CANCELAR (opt out) and AYUDA (help);
  an opted-out number gets no replies, across restarts;
- writes its own texts (keyword replies, the menu line, the feedback line, the apology) in the
  language of the conversation's latest bot message (``language``), and a reply to a Spanish
  keyword in Spanish;
- turns buttons into a numbered menu ("Reply 1 for ...", at most 1-8) and maps "1" back to the
  choice (decimal digits of any script; "²" or "①" are text);
- ends a reply with a rateable answer with "Reply 9 if this did not help."; a "9" right after
  such a reply records a not_helpful rating of that answer in the tracker
  (``assistant.channels.feedback``) and is answered with thanks and the support line; any other
  "9" is an ordinary message;
- keeps opt-outs, menus and answered MessageSids in the tracker database, so replicas agree;
  the database calls run in worker threads, off the event loop;
- sends each answer's SMS form as plain text, split at sentence boundaries, with every body
  folded to GSM-7 (``segments.fold_for_sms``: "información" goes as "informacion", since one
  "ó" would make the whole message UCS-2, about three times the segments); only text of
  another script (a name the patient typed) is kept as it is;
- names the conversation by an HMAC of the phone number, so raw numbers never reach the
  tracker or the logs; a typed "/intent{...}" is plain text.

Configuration comes from the environment (secrets never live in credentials.yml):
``TWILIO_AUTH_TOKEN`` (required), ``SMS_ID_SECRET`` (required, 16+ bytes),
``SMS_PUBLIC_URL`` (the URL the provider calls, when behind a proxy: it is what is signed),
``SMS_STATE_DB_URL`` (the state database, e.g. the tracker's PostgreSQL URL; its tables must
exist), else ``SMS_STATE_DB`` (a development SQLite file, default ``.state/sms.db``), and
``SMS_REPLY_TIMEOUT_S`` (default 2.5).
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from assistant.channels.feedback import (
    FeedbackNotRecorded,
    Rating,
    RecordedFeedback,
    last_turn_answer,
    record_feedback,
)
from assistant.channels.opening_language import opening_language
from assistant.channels.output import AnnotatedOutputChannel, collect_replies
from assistant.channels.replies_store import (
    AnsweredRequests,
    ClaimState,
    RepliesUnavailable,
    SqlBackend,
)
from assistant.channels.settings import (
    channel_or_off,
    check_credentials,
    knowledge_store,
    require_set,
    required_secret,
)
from assistant.channels.sms.form import (
    FormError,
    IncomingSms,
    WebhookForm,
    parse_form,
    read_message,
)
from assistant.channels.sms.identity import conversation_id
from assistant.channels.sms.keywords import Keyword, KeywordMatch, keyword_match
from assistant.channels.sms.language import conversation_language
from assistant.channels.sms.menu import chosen_payload, is_feedback_reply
from assistant.channels.sms.reply import shape_reply
from assistant.channels.sms.segments import fold_for_sms, is_gsm7
from assistant.channels.sms.state import SmsState, database_url
from assistant.channels.tracker_replies import replies_in_tracker
from assistant.dialogue_names import (
    ENTRY_CONVERSATION_FALLBACK,
    ENTRY_SMS_FEEDBACK_THANKS,
    ENTRY_SMS_HELP,
    ENTRY_SMS_SLOW_REPLY,
    ENTRY_SMS_START_CONFIRMED,
    ENTRY_SMS_STOP_CONFIRMED,
    META_CHANNEL,
    META_LANGUAGE,
    NOT_HELPFUL,
    SMS_CHANNEL,
)
from assistant.knowledge import EN, SMS, KnowledgeStore
from assistant.stores.replica_tables import SMS_REQUESTS
from assistant.text_guard import RejectedMessage, clean_user_text

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
DEFAULT_REPLY_TIMEOUT_S = 2.5  # the provider itself gives up at 15 s
KNOWN_CREDENTIALS = {"knowledge_dir"}
KEYWORD_ENTRIES = {
    Keyword.STOP: ENTRY_SMS_STOP_CONFIRMED,
    Keyword.START: ENTRY_SMS_START_CONFIRMED,
    Keyword.HELP: ENTRY_SMS_HELP,
}


@dataclass(frozen=True)
class _Turn:
    """One webhook request being answered."""

    on_new_message: Callable[[UserMessage], Awaitable[Any]]
    request: Request
    sender: str  # the conversation id (an HMAC of the number)
    incoming: IncomingSms


class SmsInput(InputChannel):
    """Twilio-compatible SMS webhook with signature check and opt-out keywords."""

    @classmethod
    def name(cls) -> Text:
        return SMS_CHANNEL

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
        self._requests: Optional[AnsweredRequests] = None
        self._opening = asyncio.Lock()

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        # Without its secrets: off with a warning, or a stop in production (settings.py).
        return channel_or_off(
            cls.name(), lambda: cls.from_settings(credentials or {}, os.environ), os.environ
        )

    @classmethod
    def from_settings(cls, credentials: Mapping[str, Any], env: Mapping[str, str]) -> SmsInput:
        check_credentials(cls.name(), credentials, KNOWN_CREDENTIALS)
        require_set(env, ("TWILIO_AUTH_TOKEN", "SMS_ID_SECRET"), cls.name())
        token = env["TWILIO_AUTH_TOKEN"]
        secret = required_secret(env, "SMS_ID_SECRET", cls.name())
        store = knowledge_store(credentials)
        return cls(
            auth_token=token,
            id_secret=secret,
            state=SmsState(database_url(env)),
            store=store,
            public_url=env.get("SMS_PUBLIC_URL") or None,
            reply_timeout_s=float(env.get("SMS_REPLY_TIMEOUT_S", DEFAULT_REPLY_TIMEOUT_S)),
        )

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        # Only the channel name: the sender's number must not reach the tracker.
        return {META_CHANNEL: self.name()}

    def _signed_url(self, request: Request) -> str:
        return self.public_url or request.url

    def _is_signed(self, request: Request, form: WebhookForm) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER, "")
        return bool(signature) and self.validator.validate(
            self._signed_url(request), form, signature
        )

    def _twiml(self, parts: List[str]) -> HTTPResponse:
        reply = MessagingResponse()
        for part in parts:
            reply.message(fold_for_sms(part))
        return response.text(str(reply), content_type="text/xml")

    def _entry_parts(self, entry_id: str, language: str = EN) -> List[str]:
        return [self.store.current().render(entry_id, SMS, language=language).text]

    async def _own_parts(
        self, request: Request, sender: str, entry_id: str, language: Optional[str] = None
    ) -> List[str]:
        """One of the channel's own texts, in ``language`` if given, else in the language of
        the conversation's latest bot message."""
        if language is None:
            agent = getattr(request.app.ctx, "agent", None)
            language = await conversation_language(agent, sender)
        return self._entry_parts(entry_id, language)

    async def requests(self) -> AnsweredRequests:
        """The MessageSids and their replies, in the SMS state database (opened once)."""
        async with self._opening:
            if self._requests is None:
                backend = await asyncio.to_thread(SqlBackend.open, self.state.engine, SMS_REQUESTS)
                self._requests = AnsweredRequests(backend)
            return self._requests

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"sms_webhook_{id(self)}", __name__)

        @webhook.listener("after_server_start")
        async def open_requests(_app: Any, _loop: Any) -> None:
            try:  # a missing PostgreSQL table or column stops the server here, named
                await self.requests()
            except RepliesUnavailable as error:
                logger.warning("%s; trying again with the first message", error)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                form = parse_form(request.body, request.headers.get("content-type"))
            except FormError as error:
                return response.json({"error": str(error)}, status=error.status)
            if not self._is_signed(request, form):
                logger.warning("SMS webhook: missing or invalid signature; rejected")
                return response.json({"error": "invalid signature"}, status=403)
            try:
                incoming = read_message(form)
            except FormError as error:
                return response.json({"error": str(error)}, status=error.status)
            sender = conversation_id(incoming.number, self.id_secret)
            turn = _Turn(on_new_message, request, sender, incoming)
            return self._twiml(await self._answer_once(turn))

        return webhook

    async def _answer_once(self, turn: _Turn) -> List[str]:
        """The reply to a MessageSid, worked out once: a repeat (nginx retrying on another
        replica, a provider retry) waits for the first attempt's reply or gets the stored
        one; if the first attempt's replica died, the repeat answers, from the tracker when
        that turn was stored."""
        key = (turn.incoming.message_sid,)
        try:
            requests = await self.requests()
            claim = await requests.claim(*key)
            if claim.state is ClaimState.BUSY:
                claim = await requests.wait(*key, timeout_s=self.reply_timeout_s)
        except RepliesUnavailable as error:
            # Without the table nothing can be answered once: the apology, no turn.
            logger.warning("%s; sent the apology", error)
            return await self._own_parts(turn.request, turn.sender, ENTRY_SMS_SLOW_REPLY)
        if claim.state is ClaimState.ANSWERED:
            logger.info("SMS webhook: a repeated MessageSid was answered from its stored reply")
            return [str(part) for part in claim.replies or []]
        if claim.state is ClaimState.BUSY:
            return await self._own_parts(turn.request, turn.sender, ENTRY_SMS_SLOW_REPLY)
        try:
            parts = None
            if claim.taken_over:
                parts = await self._stored_turn(turn)
            if parts is None:
                parts = await self._answer(turn)
        except BaseException:
            await requests.release(key)
            raise
        await requests.record(key, parts)
        return parts

    async def _stored_turn(self, turn: _Turn) -> Optional[List[str]]:
        """The reply to a message a dead replica already stored in the tracker, else None."""
        agent = getattr(turn.request.app.ctx, "agent", None)
        messages = await replies_in_tracker(agent, turn.sender, turn.incoming.message_sid)
        if not messages:
            return None
        return await self._shaped(turn, messages)

    async def _answer(self, turn: _Turn) -> List[str]:
        body, sender, request = turn.incoming.body, turn.sender, turn.request
        opted_out = await asyncio.to_thread(self.state.is_opted_out, sender)
        match = keyword_match(body)
        if match is not None and match.keyword is Keyword.STOP:
            await asyncio.to_thread(self.state.set_opted_out, sender, True)
            return await self._keyword_parts(request, sender, match)
        if (
            match is not None
            and match.keyword is Keyword.START
            and (opted_out or body.strip().upper() != "YES")
        ):
            await asyncio.to_thread(self.state.set_opted_out, sender, False)
            return await self._keyword_parts(request, sender, match)
        if opted_out:
            return []
        if match is not None and match.keyword is Keyword.HELP:
            return await self._keyword_parts(request, sender, match)
        return await self._converse(turn)

    async def _keyword_parts(self, request: Request, sender: str, match: KeywordMatch) -> List[str]:
        """The reply to a keyword: in Spanish for a Spanish word, else in the conversation's
        language."""
        entry_id = KEYWORD_ENTRIES[match.keyword]
        return await self._own_parts(request, sender, entry_id, match.language)

    async def _converse(self, turn: _Turn) -> List[str]:
        body, sender, request = turn.incoming.body, turn.sender, turn.request
        knowledge = self.store.current()
        if is_feedback_reply(body):
            rated = await self._rate_last_answer(request, sender)
            if rated is not None:
                await asyncio.to_thread(self.state.set_menu, sender, [])
                language = str((rated.answer.get("metadata") or {}).get(META_LANGUAGE) or EN)
                return self._entry_parts(ENTRY_SMS_FEEDBACK_THANKS, language)
        menu = await asyncio.to_thread(self.state.menu, sender)
        text = chosen_payload(body, menu)  # the payload of the button the number stands for
        if text is None:
            try:
                text = clean_user_text(body, trusted_payloads=())
            except RejectedMessage:
                return await self._own_parts(request, sender, ENTRY_CONVERSATION_FALLBACK)
        collector = AnnotatedOutputChannel()
        metadata = {**(self.get_metadata(request) or {}), **opening_language(text, knowledge)}
        message = UserMessage(
            text,
            collector,
            sender,
            input_channel=self.name(),
            metadata=metadata,
            # The idempotency key in the tracker too (``tracker_replies``).
            message_id=turn.incoming.message_sid,
        )
        messages = await collect_replies(turn.on_new_message, message, self.reply_timeout_s)
        if messages is None:
            return await self._own_parts(request, sender, ENTRY_SMS_SLOW_REPLY)
        return await self._shaped(turn, messages)

    async def _shaped(self, turn: _Turn, messages: List[Dict[str, Any]]) -> List[str]:
        """The bot's messages as SMS parts; the menu they offer is remembered."""
        # Unicode only for a patient who wrote in another script: accents alone fold to GSM-7.
        unicode = not is_gsm7(fold_for_sms(turn.incoming.body))
        reply = shape_reply(messages, self.store.current(), allow_unicode=unicode)
        await asyncio.to_thread(self.state.set_menu, turn.sender, reply.menu)
        return reply.parts

    async def _rate_last_answer(self, request: Request, sender: str) -> Optional[RecordedFeedback]:
        """Record "did not help" for the answer of the bot's latest turn; None when that turn
        had no rateable answer (the "9" is then an ordinary message)."""
        try:
            return await record_feedback(
                getattr(request.app.ctx, "agent", None),
                sender,
                last_turn_answer,
                Rating(NOT_HELPFUL),
                self.name(),
            )
        except FeedbackNotRecorded as error:
            if error.status != 404:
                logger.warning("SMS feedback not recorded (%s)", error.status)
            return None
