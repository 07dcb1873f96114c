"""The production profile (PostgreSQL, nginx, two Rasa replicas, action server, console)
started once for the fault tests, on free loopback ports in a private folder.

Patients talk to it as they do in production: through nginx, over the web channel (a session
cookie from ``POST /webhooks/web/session``, then ``POST /webhooks/web/message``), each from its
own loopback address (all of 127.0.0.0/8 reaches the loopback interface), so the per-address
limits of nginx and of the web channel see one patient per device. The REST channel is not
reachable through nginx; a test that needs it posts to a replica with the token."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from assistant.channels.sms.identity import conversation_id, normalize_number
from assistant.channels.web.sessions import SessionSigner
from assistant.ops.processes import free_port
from assistant.ops.prod import ProdSettings, RunningProfile, start_profile
from assistant.ops.sms_try import signed_form

ROOT = Path(__file__).resolve().parents[2]
REST_TOKEN = secrets.token_hex(24)
_addresses = itertools.count(1)


# Alert settings that only the console may hold (nothing is alerted in these tests: the
# address takes no connections, and a failed delivery only shows on the console).
ALERT_SETTINGS = {
    "ALERT_WEBHOOK_URL": "http://127.0.0.1:9/prod-test-alerts",
    "ALERT_WEBHOOK_SECRET": "prod-test-alert-signing-secret",
}


# The SMS channel is on, as in production: Twilio's auth token (which signs each webhook) and
# the secret that turns phone numbers into conversation ids.
SMS_SETTINGS = {
    "TWILIO_AUTH_TOKEN": "prod-test-twilio-auth-token",
    "SMS_ID_SECRET": "prod-test-sms-id-secret-0123456789",
}


@pytest.fixture(scope="session")
def prod(trained_model: Path) -> Iterator[RunningProfile]:
    subprocess.run([str(ROOT / "scripts" / "ensure_prod_packages.sh")], check=True)
    # PostgreSQL runs as its own user, which must be able to reach its folder.
    state = Path(tempfile.mkdtemp(prefix="assistant-prod-", dir="/tmp"))
    state.chmod(0o755)
    settings = ProdSettings(
        state_dir=state,
        patient_port=free_port(),
        staff_port=free_port(),
        rasa_ports=(free_port(), free_port()),
        action_port=free_port(),
        console_port=free_port(),
        postgres_port=free_port(),
        log_level="INFO",  # the production log level
    )
    base_env = {**os.environ, "REST_TOKEN": REST_TOKEN, **ALERT_SETTINGS, **SMS_SETTINGS}
    profile = start_profile(settings, ROOT, trained_model, base_env=base_env, progress=False)
    yield profile
    profile.stop()
    shutil.rmtree(state, ignore_errors=True)


def new_address() -> str:
    """A loopback address no other patient of this session uses (127.1.0.1, 127.1.0.2, ...)."""
    number = next(_addresses)
    return f"127.1.{number // 250}.{number % 250 + 1}"


class RateLimited(AssertionError):
    """A 429: the load of a test went over a rate limit of nginx or of the web channel."""


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def request(
    url: str,
    method: str = "GET",
    body: Optional[bytes] = None,
    headers: Optional[Dict[str, str]] = None,
    source: str = "127.0.0.1",
    timeout: float = 30,
) -> Reply:
    """One HTTP request from the loopback address ``source``; the path is sent as given."""
    parts = urlsplit(url)
    assert parts.hostname and parts.port, url
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=timeout, source_address=(source, 0)
    )
    try:
        connection.request(method, path, body, headers or {})
        reply = connection.getresponse()
        return Reply(reply.status, reply.headers, reply.read())
    finally:
        connection.close()


def check_not_limited(reply: Reply, what: str, source: str) -> None:
    if reply.status != 429:
        return
    html = "text/html" in (reply.headers.get("Content-Type") or "")
    by = "nginx (limit_req / limit_conn)" if html else "the web channel (WEB_RATE_*)"
    raise RateLimited(
        f"429 from {by} for {what} from {source}, Retry-After "
        f"{reply.headers.get('Retry-After')!r}: the test's load is over a production limit"
    )


@dataclass
class Patient:
    """One patient's browser on the chat widget: its address, its session cookie (whatever
    the cookie's name) and the conversation id the cookie stands for."""

    profile: RunningProfile
    address: str
    cookie: str  # "name=value", sent back as the browser would
    sender_id: str

    @property
    def base(self) -> str:
        return f"{self.profile.patient_url}/webhooks/web"

    def headers(self) -> Dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Origin": self.profile.patient_url,  # what a browser on the demo page sends
            "Cookie": self.cookie,
        }


def _session_cookie(reply: Reply) -> Tuple[str, str]:
    for header in reply.headers.get_all("Set-Cookie") or []:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            return name, morsel.value
    raise AssertionError("POST /webhooks/web/session set no cookie")


def open_chat(profile: RunningProfile, address: Optional[str] = None) -> Patient:
    """A new patient opens the widget: ``POST /webhooks/web/session`` through nginx."""
    source = address or new_address()
    reply = request(
        f"{profile.patient_url}/webhooks/web/session",
        "POST",
        b"{}",
        {"Content-Type": "application/json", "Origin": profile.patient_url},
        source,
    )
    check_not_limited(reply, "a new chat session", source)
    assert reply.status == 200, (reply.status, reply.body[:300])
    name, value = _session_cookie(reply)
    signer = SessionSigner(profile.env["WEB_SESSION_SECRET"].encode(), 3600)
    session = signer.read(value)
    assert session is not None, "the session cookie does not verify with WEB_SESSION_SECRET"
    return Patient(profile, source, f"{name}={value}", session.sender_id)


def message_body(text: str) -> bytes:
    return json.dumps({"text": text, "client_id": str(uuid.uuid4())}).encode()


def say(profile: RunningProfile, patient: Patient, text: str) -> List[Dict[str, Any]]:
    """The patient sends ``text`` through nginx; the bot's messages (each has ``text``)."""
    reply = request(
        f"{patient.base}/message", "POST", message_body(text), patient.headers(), patient.address
    )
    check_not_limited(reply, "a chat message", patient.address)
    assert reply.status == 200, (reply.status, reply.body[:300])
    return list(reply.json()["messages"])


def rest_post(
    profile: RunningProfile,
    port: int,
    body: Any,
    token: Optional[str] = REST_TOKEN,
    url: Optional[str] = None,
    source: str = "127.0.0.1",
) -> Reply:
    """POST to the REST channel of the replica on ``port`` (or to ``url``), with ``token``."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    target = url or f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    return request(target, "POST", json.dumps(body).encode(), headers, source)


def post(url: str, body: Dict[str, Any], timeout: float = 30) -> Tuple[int, Any]:
    request_ = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request_, timeout=timeout) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, None


def get_status(url: str, timeout: float = 10) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


def user_texts(profile: RunningProfile, sender: str) -> List[str]:
    """The patient messages stored for ``sender``, in event order."""
    return [e["text"] for e in stored_events(profile, sender) if e["event"] == "user"]


def stored_events(profile: RunningProfile, sender: str) -> List[Dict[str, Any]]:
    engine = sa.create_engine(profile.postgres.url())
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            ).all()
    finally:
        engine.dispose()
    return [json.loads(row[0]) for row in rows]


@dataclass
class Texter:
    """One patient's phone, texting the SMS webhook through nginx as the provider posts it
    (signed with the auth token over the URL the replicas know as theirs)."""

    profile: RunningProfile
    number: str

    @property
    def url(self) -> str:
        return f"{self.profile.patient_url}/webhooks/sms/webhook"

    @property
    def sender_id(self) -> str:
        """The conversation id the replicas give this number."""
        normalized = normalize_number(self.number)
        assert normalized is not None
        return conversation_id(normalized, SMS_SETTINGS["SMS_ID_SECRET"].encode())

    def form(self, text: str, message_sid: Optional[str] = None) -> Tuple[bytes, Dict[str, str]]:
        token, url = SMS_SETTINGS["TWILIO_AUTH_TOKEN"], self.profile.env["SMS_PUBLIC_URL"]
        return signed_form(url, token, self.number, text, message_sid)


_numbers = itertools.count(100)


def new_texter(profile: RunningProfile) -> Texter:
    """A phone number no other patient of this session uses."""
    return Texter(profile, f"+1310555{next(_numbers):04d}")


def sms_parts(twiml: bytes) -> List[str]:
    """The SMS bodies of a TwiML reply."""
    root = ElementTree.fromstring(twiml)  # noqa: S314 - our own server's reply
    return [message.text or "" for message in root.iter("Message")]
