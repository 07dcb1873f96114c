"""Web chat channel for the embeddable widget, under ``/webhooks/web``.

Closes the gaps of Rasa's socket.io channel:
- the server issues the session id (128 random bits) in a signed HttpOnly cookie; a client
  cannot choose one, and another patient's id without their cookie reads and posts nothing;
- only configured origins may call it (Origin header and CORS); the default is the server's
  own origin, where the demo page lives;
- history comes from the tracker store, so a reload, another page or a reopened tab shows
  the conversation; a retried message (same ``client_id``) is answered once, not twice;
- input is checked like the REST channel's; a slow bot gets an apology with the phone number.

Settings (environment): ``WEB_SESSION_SECRET`` (16+ characters, required),
``WEB_ALLOWED_ORIGINS`` (comma-separated, besides the server's own),
``WEB_SESSION_TTL_S`` (default 14400), ``WEB_COOKIE_SAMESITE`` (Strict, Lax or None),
``WEB_COOKIE_SECURE`` (1 to force the Secure flag; it is set anyway over https),
``WEB_REPLY_TIMEOUT_S`` (default 2.5), ``SOURCE_PAGE`` (the text shown on the demo page).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import weakref
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.channels.output import AnnotatedOutputChannel, collect_replies
from assistant.channels.settings import check_credentials, knowledge_store, required_secret
from assistant.knowledge import WEB, KnowledgeStore
from assistant.text_guard import RejectedMessage, clean_user_text
from assistant.web.demo_page import render_demo_page
from assistant.web.history import conversation, replies_to
from assistant.web.origins import OriginPolicy
from assistant.web.sessions import COOKIE_NAME, ChatSession, SessionSigner

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"
MAX_CHARS = 1000
CLIENT_ID_MAX = 64
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".json": "application/json"}
KNOWN_CREDENTIALS = {"knowledge_dir"}


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "web"

    def __init__(
        self,
        signer: SessionSigner,
        origins: OriginPolicy,
        store: KnowledgeStore,
        same_site: str = "Strict",
        force_secure: bool = False,
        reply_timeout_s: float = 2.5,
        source_page: Optional[Path] = None,
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
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls.from_settings(credentials or {}, os.environ)

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
        )

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return {"channel": self.name()}

    # -- helpers -----------------------------------------------------------------------

    @staticmethod
    def _own_origin(request: Request) -> str:
        return f"{request.scheme}://{request.host}"

    def _cors(self, request: Request, reply: HTTPResponse) -> HTTPResponse:
        origin = request.headers.get("origin")
        if origin and self.origins.allows(origin, self._own_origin(request)):
            reply.headers["Access-Control-Allow-Origin"] = origin
            reply.headers["Access-Control-Allow-Credentials"] = "true"
        reply.headers["Vary"] = "Origin"
        reply.headers["Cache-Control"] = "no-store"
        return reply

    def _json(self, request: Request, body: Any, status: int = 200) -> HTTPResponse:
        return self._cors(request, response.json(body, status=status))

    def _session(self, request: Request) -> Optional[ChatSession]:
        return self.signer.read(request.cookies.get(COOKIE_NAME))

    def _set_cookie(self, request: Request, reply: HTTPResponse, session: ChatSession) -> None:
        reply.cookies[COOKIE_NAME] = self.signer.cookie_value(session)
        cookie = reply.cookies[COOKIE_NAME]
        cookie["httponly"] = True
        cookie["samesite"] = self.same_site
        cookie["path"] = "/webhooks/web"
        cookie["max-age"] = self.signer.lifetime_s
        if self.force_secure or request.scheme == "https":
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

    # -- endpoints -----------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        web = Blueprint(f"web_chat_{id(self)}", __name__)

        @web.middleware("request")
        async def check_origin(request: Request) -> Optional[HTTPResponse]:
            if request.method == "OPTIONS" or request.path.endswith(("/demo", ".js", ".css")):
                return None
            if not self.origins.permits(request.headers, self._own_origin(request)):
                return response.json({"error": "origin not allowed"}, status=403)
            return None

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
            current = current or self.signer.new_session()
            line = self.store.current().contacts.support_line
            body = {
                "resumed": resumed,
                "max_chars": MAX_CHARS,
                "phone": {"display": line.display, "digits": line.digits, "tel": line.tel},
            }
            reply = self._json(request, body)
            self._set_cookie(request, reply, current)
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
            current = self._session(request)
            if current is None:
                return self._json(request, {"error": "no session"}, status=401)
            try:
                body = json.loads((request.body or b"").decode("utf-8"))
                if not isinstance(body, dict):
                    raise RejectedMessage(400, "request body must be a JSON object")
                client_id = str(body.get("client_id") or "")[:CLIENT_ID_MAX]
                title = body.get("title")
                knowledge = self.store.current()
                text = clean_user_text(body.get("text"), knowledge.button_payloads(), MAX_CHARS)
            except (UnicodeDecodeError, json.JSONDecodeError):
                return self._json(request, {"error": "body is not UTF-8 JSON"}, status=400)
            except RejectedMessage as error:
                return self._json(request, {"error": error.reason}, status=error.status)
            async with self._lock(current.sender_id):
                if client_id:
                    earlier = replies_to(await self._events(request, current.sender_id), client_id)
                    if earlier is not None:
                        return self._json(request, {"messages": earlier})
                metadata: Dict[str, Any] = {"channel": self.name(), "client_id": client_id}
                if isinstance(title, str) and title.strip():
                    metadata["title"] = title.strip()[:80]
                messages = await self._ask_bot(on_new_message, text, current, metadata)
            return self._json(request, {"messages": messages})

        @web.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            widget = f"{self._own_origin(request)}/webhooks/web/widget.js"
            reply = response.html(render_demo_page(self.source_page, self.store.current(), widget))
            reply.headers["Content-Security-Policy"] = (
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
            )
            reply.headers["X-Content-Type-Options"] = "nosniff"
            return reply

        @web.route("/<name:widget\\.js|widget\\.css|demo\\.css>", methods=["GET"])
        async def static_file(request: Request, name: str) -> HTTPResponse:
            return await self._static(STATIC_DIR / name)

        @web.route("/vendor/<name:str>", methods=["GET"])
        async def vendor_file(request: Request, name: str) -> HTTPResponse:
            vendor = STATIC_DIR / "vendor"
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

    async def _ask_bot(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        session: ChatSession,
        metadata: Dict[str, Any],
    ) -> List[Dict[str, Any]]:
        message = UserMessage(
            text,
            AnnotatedOutputChannel(),
            session.sender_id,
            input_channel=self.name(),
            metadata=metadata,
        )
        replies = await collect_replies(on_new_message, message, self.reply_timeout_s)
        if replies is None:
            return [self._apology()]
        return [self._as_message(m) for m in replies]

    def _apology(self) -> Dict[str, Any]:
        text = self.store.current().render("conversation.technical_error", WEB).text
        return self._as_message({"text": text, "kb_entry": "conversation.technical_error"})

    @staticmethod
    def _as_message(collected: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "role": "bot",
            "text": collected.get("text"),
            "buttons": list(collected.get("buttons") or []),
            "timestamp": time.time(),
            "emergency": bool(collected.get("emergency")),
            "kb_entry": collected.get("kb_entry"),
            "client_id": None,
        }
