"""Server-issued chat sessions in a signed, HttpOnly cookie.

The session id is 128 random bits chosen by the server. The cookie carries the id, when it was
issued and an HMAC over both, so a client cannot pick, guess or forge an id, and knowing
another patient's id is useless without that patient's cookie.

A Secure cookie (https) is named ``__Host-cc_session``: browsers then insist on Secure,
``Path=/`` and no ``Domain``, so neither plain http nor a sibling subdomain can set or
overwrite it. On plain http (development) it is ``cc_session``, sent to the chat paths only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Callable, Optional

COOKIE_NAME = "cc_session"
SECURE_COOKIE_NAME = "__Host-cc_session"
PLAIN_COOKIE_PATH = "/webhooks/web"
ID_BYTES = 16  # 128 bits
SENDER_PREFIX = "web-"  # every web conversation id; the REST channel refuses it


@dataclass(frozen=True)
class CookieSpec:
    name: str
    path: str
    secure: bool


def cookie_spec(secure: bool) -> CookieSpec:
    """The session cookie's name and path, with the ``__Host-`` prefix when it is Secure."""
    if secure:
        return CookieSpec(SECURE_COOKIE_NAME, "/", True)
    return CookieSpec(COOKIE_NAME, PLAIN_COOKIE_PATH, False)


@dataclass(frozen=True)
class ChatSession:
    session_id: str
    issued_at: int

    @property
    def sender_id(self) -> str:
        """The conversation id in the tracker store."""
        return f"{SENDER_PREFIX}{self.session_id}"


class SessionSigner:
    def __init__(
        self, secret: bytes, lifetime_s: int, clock: Callable[[], float] = time.time
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the web session secret must be at least 16 bytes")
        self._secret = secret
        self.lifetime_s = lifetime_s
        self._clock = clock

    def _mac(self, session_id: str, issued_at: int) -> str:
        message = f"{session_id}.{issued_at}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def new_session(self) -> ChatSession:
        return ChatSession(secrets.token_urlsafe(ID_BYTES), int(self._clock()))

    def cookie_value(self, session: ChatSession) -> str:
        mac = self._mac(session.session_id, session.issued_at)
        return f"{session.session_id}.{session.issued_at}.{mac}"

    def read(self, cookie: Optional[str]) -> Optional[ChatSession]:
        """The session in a cookie value, or None if it is missing, forged or expired."""
        if not cookie or cookie.count(".") != 2:
            return None
        session_id, issued, mac = cookie.split(".")
        if not issued.isdigit() or not hmac.compare_digest(mac, self._mac(session_id, int(issued))):
            return None
        if self._clock() - int(issued) > self.lifetime_s:
            return None
        return ChatSession(session_id, int(issued))
