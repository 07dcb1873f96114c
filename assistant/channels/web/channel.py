"""Web chat channel for the embeddable widget, under ``/webhooks/web``.

Closes the gaps of Rasa's socket.io channel:
- the server issues the session id (128 random bits) in a signed HttpOnly cookie; a client
  cannot choose one, and another patient's id without their cookie reads and posts nothing;
- only configured origins may call it (Origin header and CORS); the default is the server's
  own origin, where the demo page lives; every POST must say ``Content-Type:
  application/json`` (415 otherwise), which also shuts out cross-site HTML forms;
- history comes from the tracker store, so a reload, another page or a reopened tab shows
  the conversation; a retried message (same ``client_id``) is answered once, not twice, from
  one row of ``web_client_messages`` (``assistant.channels.replies_store``, ``answer_once``);
- rate limits per chat session and per client address (``assistant.channels.web.rate_limits``):
  over them the answer is 429 with ``Retry-After`` and nothing reaches Rasa;
- ``POST /end`` (the widget's "End chat", for shared computers) clears the session cookie; the
  conversation stays in the tracker store for staff review;
- ``POST /feedback`` rates an answer of the session's own conversation (helpful / not helpful,
  an optional comment): a ``SlotSet`` of ``answer_feedback`` in the tracker
  (``assistant.channels.feedback``), counted against the message rate limits; the comment is
  cleaned like a message and never logged;
- input is checked like the REST channel's; a slow bot gets an apology with the phone number;
- a message may carry the widget's UI language (``page_language``) and the patient's explicit
  choice (``language_choice``), "en" or "es"; valid ones go into the user message metadata,
  anything else is ignored; every bot message in an answer or the history carries its
  ``language`` (``assistant.dialogue_names.META_LANGUAGE``).

The cookie is Secure when the browser came over https (the connection itself, or
``X-Forwarded-Proto`` from a trusted proxy), with ``WEB_COOKIE_SECURE=1`` or with
``SameSite=None``; it is then named ``__Host-cc_session`` (``Path=/``) and every answer carries
``Strict-Transport-Security: max-age=31536000``. On plain http (development) it is
``cc_session`` with ``Path=/webhooks/web``. Only the cookie of the current mode is read.

Settings (environment): ``WEB_SESSION_SECRET`` (16+ characters, required),
``WEB_ALLOWED_ORIGINS`` (comma-separated, besides the server's own),
``WEB_SESSION_TTL_S`` (default 14400), ``WEB_COOKIE_SAMESITE`` (Strict, Lax or None),
``WEB_COOKIE_SECURE`` (1 to force the Secure cookie and HSTS, e.g. behind a TLS terminator
that is not a trusted proxy; it is Secure anyway over https),
``WEB_TRUSTED_PROXIES`` (comma-separated IPs or CIDR ranges of the proxies in front; only
from those peers are ``X-Forwarded-For`` and ``X-Forwarded-Proto`` believed; default none,
set ``127.0.0.1`` behind the nginx of ``make run-prod``),
``WEB_RATE_MESSAGES_PER_MIN`` (20 per session), ``WEB_RATE_ADDRESS_MESSAGES_PER_MIN`` (60),
``WEB_RATE_ADDRESS_SESSIONS_PER_10_MIN`` (30 new sessions; 0 turns a limit off),
``WEB_REPLY_TIMEOUT_S`` (default 2.5), ``SOURCE_PAGE`` (the text shown on the demo page).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.channels.feedback import (
    FeedbackNotRecorded,
    Rating,
    answer_at_or_before,
    is_rateable,
    record_feedback,
)
from assistant.channels.output import AnnotatedOutputChannel
from assistant.channels.replies_store import (
    AnsweredRequests,
    RepliesUnavailable,
    Reply,
    backend_for,
)
from assistant.channels.settings import (
    channel_or_off,
    check_credentials,
    knowledge_store,
    required_secret,
)
from assistant.channels.tracker_replies import replies_in_tracker
from assistant.channels.web.answer_once import Handler, OnceAnswerer
from assistant.channels.web.demo_page import render_demo_page
from assistant.channels.web.history import RATEABLE, conversation
from assistant.channels.web.origins import OriginPolicy
from assistant.channels.web.rate_limits import WebRateLimits, retry_after
from assistant.channels.web.request_format import declares_json, language_metadata
from assistant.channels.web.sessions import ChatSession, CookieSpec, SessionSigner, cookie_spec
from assistant.dialogue_names import (
    ENTRY_CONVERSATION_TECHNICAL_ERROR,
    LANGUAGE_EN,
    META_CHANNEL,
    META_EMERGENCY,
    META_KB_ENTRY,
    META_LANGUAGE,
    META_LANGUAGE_CHOICE,
    META_PAGE_LANGUAGE,
    WEB_CHANNEL,
)
from assistant.feedback import COMMENT_MAX_CHARS, AnswerFeedback, InvalidFeedback
from assistant.knowledge import WEB, KnowledgeStore
from assistant.language.choice import known_language
from assistant.proxies import (
    TrustedProxies,
    client_address,
    parse_trusted_proxies,
    request_scheme,
)
from assistant.stores.replica_tables import WEB_REQUESTS
from assistant.text_guard import RejectedMessage, clean_user_text

logger = logging.getLogger(__name__)

WIDGET_DIR = Path(__file__).resolve().parents[3] / "widget"
MAX_CHARS = 1000
CLIENT_ID_MAX = 64
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".json": "application/json"}
KNOWN_CREDENTIALS = {"knowledge_dir"}
HSTS = "max-age=31536000"


@dataclass(frozen=True)
class ClientView:
    """Where a request came from, as far as the channel believes it."""

    address: str
    scheme: str


def _trusted_proxies(setting: str) -> TrustedProxies:
    try:
        return parse_trusted_proxies(setting)
    except ValueError as error:
        raise ValueError(f"WEB_TRUSTED_PROXIES: {error}") from None


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return WEB_CHANNEL

    def __init__(
        self,
        signer: SessionSigner,
        origins: OriginPolicy,
        store: KnowledgeStore,
        same_site: str = "Strict",
        force_secure: bool = False,
        reply_timeout_s: float = 2.5,
        source_page: Optional[Path] = None,
        limits: Optional[WebRateLimits] = None,
        proxies: Optional[TrustedProxies] = None,
        client_messages: Optional[AnsweredRequests] = None,
    ) -> None:
        if same_site not in ("Strict", "Lax", "None"):
            raise ValueError("WEB_COOKIE_SAMESITE must be Strict, Lax or None")
        self.signer = signer
        self.origins = origins
        self.store = store
        self.same_site = same_site
        self.force_secure = force_secure or same_site == "None"
        self.reply_timeout_s = reply_timeout_s
        self.source_page = source_page
        self.limits = limits or WebRateLimits.from_env({})
        self.proxies: TrustedProxies = proxies or ()
        self._given_client_messages = client_messages
        self._opened: Optional[tuple[Any, AnsweredRequests]] = None  # (tracker store, its rows)
        self._opening = asyncio.Lock()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.answers = OnceAnswerer(reply_timeout_s, self._as_message, self._apology)

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        # Without WEB_SESSION_SECRET: off with a warning, or a stop in production (settings.py).
        return channel_or_off(
            cls.name(), lambda: cls.from_settings(credentials or {}, os.environ), os.environ
        )

    @classmethod
    def from_settings(cls, credentials: Mapping[str, Any], env: Mapping[str, str]) -> WebChatInput:
        check_credentials(cls.name(), credentials, KNOWN_CREDENTIALS)
        secret = required_secret(env, "WEB_SESSION_SECRET", cls.name())
        page = env.get("SOURCE_PAGE")
        return cls(
            signer=SessionSigner(secret, int(env.get("WEB_SESSION_TTL_S", "14400"))),
            origins=OriginPolicy.from_list(env.get("WEB_ALLOWED_ORIGINS", "").split(",")),
            store=knowledge_store(credentials),
            same_site=env.get("WEB_COOKIE_SAMESITE", "Strict"),
            force_secure=env.get("WEB_COOKIE_SECURE", "") == "1",
            reply_timeout_s=float(env.get("WEB_REPLY_TIMEOUT_S", "2.5")),
            source_page=Path(page) if page else None,
            limits=WebRateLimits.from_env(env),
            proxies=_trusted_proxies(env.get("WEB_TRUSTED_PROXIES", "")),
        )

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return {META_CHANNEL: self.name()}

    # -- the client, its cookie and the answer headers --------------------------------------

    def _client(self, request: Request) -> ClientView:
        known = getattr(request.ctx, "web_client", None)
        if isinstance(known, ClientView):
            return known
        peer = request.ip or ""
        direct = "https" if request.conn_info is not None and request.conn_info.ssl else "http"
        headers = request.headers
        client = ClientView(
            client_address(peer, headers.getall("x-forwarded-for", []), self.proxies),
            request_scheme(peer, headers.getall("x-forwarded-proto", []), direct, self.proxies),
        )
        request.ctx.web_client = client
        return client

    def _cookie(self, request: Request) -> CookieSpec:
        return cookie_spec(self.force_secure or self._client(request).scheme == "https")

    def _own_origin(self, request: Request) -> str:
        return f"{self._client(request).scheme}://{request.host}"

    def _cors(self, request: Request, reply: HTTPResponse) -> HTTPResponse:
        origin = request.headers.get("origin")
        if origin and self.origins.allows(origin, self._own_origin(request)):
            reply.headers["Access-Control-Allow-Origin"] = origin
            reply.headers["Access-Control-Allow-Credentials"] = "true"
            reply.headers["Access-Control-Expose-Headers"] = "Retry-After"
        reply.headers["Vary"] = "Origin"
        reply.headers["Cache-Control"] = "no-store"
        return reply

    def _json(self, request: Request, body: Any, status: int = 200) -> HTTPResponse:
        return self._cors(request, response.json(body, status=status))

    def _too_many(self, request: Request, wait_s: float) -> HTTPResponse:
        reply = self._json(request, {"error": "too many requests"}, status=429)
        reply.headers["Retry-After"] = retry_after(wait_s)
        return reply

    def _session(self, request: Request) -> Optional[ChatSession]:
        return self.signer.read(request.cookies.get(self._cookie(request).name))

    def _posting_session(self, request: Request) -> ChatSession | HTTPResponse:
        """The chat session a message or a rating is posted in, or the answer refusing it:
        429 over the message limits (which a request without a session counts against its
        address too), 401 without a session."""
        current = self._session(request)
        sender_id = current.sender_id if current else None
        wait = self.limits.message(self._client(request).address, sender_id)
        if wait:
            return self._too_many(request, wait)
        if current is None:
            return self._json(request, {"error": "no session"}, status=401)
        return current

    def _set_cookie(self, request: Request, reply: HTTPResponse, value: str, max_age: int) -> None:
        spec = self._cookie(request)
        reply.cookies[spec.name] = value
        cookie = reply.cookies[spec.name]
        cookie["httponly"] = True
        cookie["samesite"] = self.same_site
        cookie["path"] = spec.path
        cookie["max-age"] = max_age
        if spec.secure:
            cookie["secure"] = True

    def _lock(self, sender_id: str) -> asyncio.Lock:
        lock = self._locks.get(sender_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[sender_id] = lock
        return lock

    @staticmethod
    async def _events(request: Request, sender_id: str) -> List[Dict[str, Any]]:
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or agent.tracker_store is None:
            return []
        tracker = await agent.tracker_store.retrieve_full_tracker(sender_id)
        return [event.as_dict() for event in tracker.events] if tracker else []

    async def client_messages(self, app: Sanic) -> AnsweredRequests:
        """The client-id rows, next to the tracker store's conversations when it is SQL."""
        if self._given_client_messages is not None:
            return self._given_client_messages
        tracker_store = getattr(getattr(app.ctx, "agent", None), "tracker_store", None)
        async with self._opening:
            if self._opened is None or self._opened[0] is not tracker_store:
                backend = await asyncio.to_thread(backend_for, tracker_store, WEB_REQUESTS)
                self._opened = (tracker_store, AnsweredRequests(backend))
            return self._opened[1]

    # -- endpoints -----------------------------------------------------------------------

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        web = Blueprint(f"web_chat_{id(self)}", __name__)

        @web.listener("after_server_start")
        async def open_client_messages(app: Sanic, _loop: Any) -> None:
            if getattr(app.ctx, "agent", None) is None:
                return
            try:  # a missing PostgreSQL table stops the server here, with the table's name
                await self.client_messages(app)
            except RepliesUnavailable as error:
                logger.warning("%s; trying again with the first message", error)

        @web.middleware("request")
        async def check_request(request: Request) -> Optional[HTTPResponse]:
            if request.method == "OPTIONS" or request.path.endswith(("/demo", ".js", ".css")):
                return None
            if not self.origins.permits(request.headers, self._own_origin(request)):
                return response.json({"error": "origin not allowed"}, status=403)
            if request.method == "POST" and not declares_json(request.headers.get("content-type")):
                return self._json(request, {"error": "Content-Type must be application/json"}, 415)
            return None

        @web.middleware("response")
        async def strict_transport(request: Request, reply: HTTPResponse) -> None:
            if self._cookie(request).secure:
                reply.headers["Strict-Transport-Security"] = HSTS

        @web.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return self._json(request, {"status": "ok"})

        @web.route("/<path:path>", methods=["OPTIONS"])
        async def preflight(request: Request, path: str) -> HTTPResponse:
            reply = response.empty(status=204)
            if self.origins.allows(request.headers.get("origin"), self._own_origin(request)):
                reply.headers["Access-Control-Allow-Methods"] = "GET, POST"
                reply.headers["Access-Control-Allow-Headers"] = "Content-Type"
                reply.headers["Access-Control-Max-Age"] = "600"
            return self._cors(request, reply)

        @web.route("/session", methods=["POST"])
        async def session(request: Request) -> HTTPResponse:
            current = self._session(request)
            resumed = current is not None
            if current is None:
                wait = self.limits.new_session(self._client(request).address)
                if wait:
                    return self._too_many(request, wait)
                current = self.signer.new_session()
            line = self.store.current().contacts.support_line
            body = {
                "resumed": resumed,
                "max_chars": MAX_CHARS,
                "phone": {"display": line.display, "digits": line.digits, "tel": line.tel},
            }
            reply = self._json(request, body)
            value = self.signer.cookie_value(current)
            self._set_cookie(request, reply, value, self.signer.lifetime_s)
            return reply

        @web.route("/end", methods=["POST"])
        async def end(request: Request) -> HTTPResponse:
            current = self._session(request)
            if current is not None:
                try:
                    await (await self.client_messages(request.app)).forget(current.sender_id)
                except RepliesUnavailable as error:  # the rows expire anyway
                    logger.warning("%s", error)
            reply = self._json(request, {"ended": current is not None})
            self._set_cookie(request, reply, "", 0)
            return reply

        @web.route("/history", methods=["GET"])
        async def history(request: Request) -> HTTPResponse:
            current = self._session(request)
            if current is None:
                return self._json(request, {"error": "no session"}, status=401)
            events = await self._events(request, current.sender_id)
            return self._json(request, {"messages": conversation(events)})

        @web.route("/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            current = self._posting_session(request)
            if isinstance(current, HTTPResponse):
                return current
            try:
                text, metadata = self._read_message(request)
            except RejectedMessage as error:
                return self._json(request, {"error": error.reason}, status=error.status)
            async with self._lock(current.sender_id):
                messages = await self._answer(request.app, on_new_message, text, current, metadata)
            return self._json(request, {"messages": messages})

        @web.route("/feedback", methods=["POST"])
        async def feedback(request: Request) -> HTTPResponse:
            current = self._posting_session(request)
            if isinstance(current, HTTPResponse):
                return current
            try:
                asked = self._read_feedback(request)
            except RejectedMessage as error:
                return self._json(request, {"error": error.reason}, status=error.status)
            except InvalidFeedback as error:
                return self._json(request, {"error": str(error)}, status=400)
            rated = answer_at_or_before(asked.kb_entry or "", asked.answer_at or 0.0)
            try:
                recorded = await record_feedback(
                    getattr(request.app.ctx, "agent", None),
                    current.sender_id,
                    rated,
                    Rating(asked.rating, asked.comment),
                    self.name(),
                )
            except FeedbackNotRecorded as error:
                return self._json(request, {"error": error.reason}, status=error.status)
            body = {
                "rating": recorded.feedback.rating,
                META_KB_ENTRY: recorded.feedback.kb_entry,
                "timestamp": recorded.feedback.answer_at,
            }
            return self._json(request, body)

        @web.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            widget = f"{self._own_origin(request)}/webhooks/web/widget.js"
            language = known_language(request.args.get("lang"))
            page = render_demo_page(self.source_page, self.store.current(), widget, language)
            reply = response.html(page)
            reply.headers["Content-Security-Policy"] = (
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
            )
            reply.headers["X-Content-Type-Options"] = "nosniff"
            return reply

        @web.route("/<name:widget\\.js|widget\\.css|demo\\.css>", methods=["GET"])
        async def static_file(request: Request, name: str) -> HTTPResponse:
            return await self._static(WIDGET_DIR / name)

        @web.route("/vendor/<name:str>", methods=["GET"])
        async def vendor_file(request: Request, name: str) -> HTTPResponse:
            vendor = WIDGET_DIR / "vendor"
            allowed = {p.name for p in vendor.glob("*")} if vendor.is_dir() else set()
            if name not in allowed:
                return response.json({"error": "not found"}, status=404)
            return await self._static(vendor / name)

        return web

    @staticmethod
    async def _static(path: Path) -> HTTPResponse:
        if not path.is_file():
            return response.json({"error": "not found; run `make widget`"}, status=404)
        reply = await response.file(
            path, mime_type=CONTENT_TYPES.get(path.suffix, "application/octet-stream")
        )
        reply.headers["X-Content-Type-Options"] = "nosniff"
        reply.headers["Cache-Control"] = "no-cache"
        return reply

    def _read_message(self, request: Request) -> tuple[str, Dict[str, Any]]:
        """The text and the metadata (with the client id) of a ``/message`` body."""
        try:
            body = json.loads((request.body or b"").decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RejectedMessage(400, "body is not UTF-8 JSON") from None
        if not isinstance(body, dict):
            raise RejectedMessage(400, "request body must be a JSON object")
        client_id = str(body.get("client_id") or "")[:CLIENT_ID_MAX]
        knowledge = self.store.current()
        text = clean_user_text(body.get("text"), knowledge.button_payloads(), MAX_CHARS)
        metadata: Dict[str, Any] = {META_CHANNEL: self.name(), "client_id": client_id}
        metadata.update(language_metadata(body))
        title = body.get("title")
        if isinstance(title, str) and title.strip():
            metadata["title"] = title.strip()[:80]
        return text, metadata

    def _read_feedback(self, request: Request) -> AnswerFeedback:
        """The rating a ``/feedback`` body asks for (its ``timestamp`` is the rated message's,
        as the widget got it). Raises ``RejectedMessage`` or ``InvalidFeedback``."""
        try:
            body = json.loads((request.body or b"").decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RejectedMessage(400, "body is not UTF-8 JSON") from None
        if not isinstance(body, dict):
            raise RejectedMessage(400, "request body must be a JSON object")
        entry, stamp = body.get(META_KB_ENTRY), body.get("timestamp")
        if not isinstance(entry, str) or not entry:
            raise RejectedMessage(400, "kb_entry must be a knowledge entry id")
        if isinstance(stamp, bool) or not isinstance(stamp, (int, float)):
            raise RejectedMessage(400, "timestamp must be the answer's timestamp")
        return AnswerFeedback(
            rating=str(body.get("rating")),
            kb_entry=entry,
            answer_at=float(stamp),
            comment=_comment(body.get("comment")),
            channel=self.name(),
        )

    # -- answering, once per client id ------------------------------------------------------

    async def _answer(
        self,
        app: Sanic,
        on_new_message: Handler,
        text: str,
        session: ChatSession,
        metadata: Dict[str, Any],
    ) -> List[Reply]:
        store = None
        if metadata.get("client_id"):
            try:
                store = await self.client_messages(app)
            except RepliesUnavailable as error:
                logger.warning("%s; answering without the retry check", error)
        message = UserMessage(
            text,
            AnnotatedOutputChannel(),
            session.sender_id,
            input_channel=self.name(),
            metadata=metadata,
            # The idempotency key in the tracker too: a retry that takes over from a dead
            # replica finds the turn there if it was stored (``tracker_replies``).
            message_id=str(metadata.get("client_id") or "") or None,
        )
        agent = getattr(app.ctx, "agent", None)

        async def replay(taken_over: UserMessage) -> Optional[List[Dict[str, Any]]]:
            return await replies_in_tracker(agent, taken_over.sender_id, taken_over.message_id)

        return await self.answers.answer(on_new_message, message, store, replay)

    def _apology(self, message: UserMessage) -> Dict[str, Any]:
        """The apology for a message the bot did not answer in time, in the language the
        patient chose or the widget shows."""
        metadata = message.metadata or {}
        language = (
            known_language(metadata.get(META_LANGUAGE_CHOICE))
            or known_language(metadata.get(META_PAGE_LANGUAGE))
            or LANGUAGE_EN
        )
        rendered = self.store.current().render(
            ENTRY_CONVERSATION_TECHNICAL_ERROR, WEB, language=language
        )
        text = f"{rendered.note}\n\n{rendered.text}" if rendered.note else rendered.text
        apology = self._as_message(
            {
                "text": text,
                META_KB_ENTRY: ENTRY_CONVERSATION_TECHNICAL_ERROR,
                META_LANGUAGE: rendered.language,
            }
        )
        # The channel's own apology is not in the tracker: there is no answer to rate.
        return {**apology, RATEABLE: False}

    @staticmethod
    def _as_message(collected: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "role": "bot",
            "text": collected.get("text"),
            "buttons": list(collected.get("buttons") or []),
            "timestamp": time.time(),
            META_EMERGENCY: bool(collected.get(META_EMERGENCY)),
            META_KB_ENTRY: collected.get(META_KB_ENTRY),
            META_LANGUAGE: known_language(collected.get(META_LANGUAGE)),
            RATEABLE: is_rateable(collected),
            "client_id": None,
        }


def _comment(value: Any) -> str:
    """A rating's optional comment, cleaned like a message; "" when there is none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    try:
        return clean_user_text(value, trusted_payloads=(), max_chars=COMMENT_MAX_CHARS)
    except RejectedMessage as error:
        if error.reason == "message is empty":  # only invisible characters
            return ""
        raise RejectedMessage(error.status, error.reason.replace("message", "comment")) from None
