"""The web chat API against the real servers: sessions, history, retries, origins, JSON-only
posts and "End chat"."""

from __future__ import annotations

import http.cookiejar
import json
import sqlite3
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from tests.support.assistant_servers import RunningAssistant

pytestmark = pytest.mark.slow


class Browser:
    """A cookie-keeping HTTP client, like one browser profile."""

    def __init__(self, base: str, origin: Optional[str] = None) -> None:
        self.base = base
        self.origin = origin if origin is not None else base.split("/webhooks")[0]
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Optional[Dict[str, str]] = None,
        raw: Optional[bytes] = None,
    ) -> Tuple[int, Dict[str, Any], Any]:
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if self.origin:
            all_headers["Origin"] = self.origin
        request = urllib.request.Request(self.base + path, data, all_headers, method=method)
        try:
            with self.opener.open(request, timeout=30) as reply:
                return reply.status, dict(reply.headers), json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read() or b"null")

    def say(self, text: str, client_id: Optional[str] = None) -> list:
        status, _, body = self.call(
            "POST", "/message", {"text": text, "client_id": client_id or str(uuid.uuid4())}
        )
        assert status == 200, body
        return body["messages"]


@pytest.fixture
def base(assistant: RunningAssistant) -> str:
    return assistant.url.replace("/rest/webhook", "/web")


def test_session_cookie_is_server_issued_httponly_strict(base: str) -> None:
    status, headers, body = Browser(base).call("POST", "/session", {})
    assert status == 200 and body["resumed"] is False
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("cc_session=")  # plain http: no __Host- prefix, no HSTS
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/webhooks/web" in cookie
    assert "Strict-Transport-Security" not in headers


def _user_events(tracker_db: Path, sender_id: str) -> List[Dict[str, Any]]:
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'", (sender_id,)
        ).fetchall()
    return [json.loads(data) for (data,) in rows]


def _sender_id(browser: Browser) -> str:
    return "web-" + next(c.value for c in browser.jar if c.name == "cc_session").split(".")[0]


def test_history_survives_reload_and_retry_is_not_duplicated(
    base: str, assistant: RunningAssistant
) -> None:
    browser = Browser(base)
    browser.call("POST", "/session", {})
    client_id = str(uuid.uuid4())
    first = browser.say("what is immunotherapy", client_id)
    again = browser.say("what is immunotherapy", client_id)  # a retry after a lost reply
    assert again == first  # the very same answer, disclaimer and timestamps included
    sender_id = _sender_id(browser)
    users = _user_events(assistant.tracker_db, sender_id)
    assert [e["metadata"]["client_id"] for e in users] == [client_id]  # Rasa saw it once
    with sqlite3.connect(assistant.tracker_db) as db:
        (stored,) = db.execute(
            "SELECT replies FROM web_client_messages WHERE sender_id = ? AND client_id = ?",
            (sender_id, client_id),
        ).fetchone()
    assert json.loads(stored) == first
    assert browser.call("POST", "/session", {})[2]["resumed"] is True  # a reload
    history = browser.call("GET", "/history")[2]["messages"]
    users = [m for m in history if m["role"] == "user"]
    assert [m["text"] for m in users] == ["what is immunotherapy"]
    assert any("immune system" in (m["text"] or "") for m in history if m["role"] == "bot")


def test_button_title_is_shown_in_history(base: str) -> None:
    browser = Browser(base)
    browser.call("POST", "/session", {})
    browser.call(
        "POST",
        "/message",
        {"text": "/request_human", "title": "Talk to a person", "client_id": "b1"},
    )
    history = browser.call("GET", "/history")[2]["messages"]
    assert [m["text"] for m in history if m["role"] == "user"] == ["Talk to a person"]


def test_a_stolen_session_id_reads_and_posts_nothing(base: str) -> None:
    victim = Browser(base)
    victim.call("POST", "/session", {})
    victim.say("my rash is itchy, what are the side effects")
    session_id = next(c.value for c in victim.jar).split(".")[0]
    thief = Browser(base)
    for forged in (session_id, f"{session_id}.1.{'0' * 64}"):
        thief.jar.clear()
        thief.jar.set_cookie(
            http.cookiejar.Cookie(
                0,
                "cc_session",
                forged,
                None,
                False,
                "127.0.0.1",
                False,
                False,
                "/webhooks/web",
                True,
                False,
                None,
                False,
                None,
                None,
                {},
            )
        )
        assert thief.call("GET", "/history")[0] == 401
        assert thief.call("POST", "/message", {"text": "hi", "client_id": "x"})[0] == 401
    # The victim's conversation is untouched.
    assert (
        len([m for m in victim.call("GET", "/history")[2]["messages"] if m["role"] == "user"]) == 1
    )


def test_other_origins_are_refused(base: str) -> None:
    evil = Browser(base, origin="https://evil.example")
    status, headers, _ = evil.call("POST", "/session", {})
    assert status == 403
    assert "Access-Control-Allow-Origin" not in headers
    own = Browser(base)
    assert "Access-Control-Allow-Origin" in own.call("POST", "/session", {})[1]


def test_bad_input_gets_a_4xx(base: str) -> None:
    browser = Browser(base)
    browser.call("POST", "/session", {})
    assert browser.call("POST", "/message", {"text": "  ", "client_id": "e"})[0] == 400
    assert browser.call("POST", "/message", {"text": "x" * 1001, "client_id": "l"})[0] == 413


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_posts_that_are_not_json_are_refused(base: str, content_type: str) -> None:
    browser = Browser(base)
    browser.call("POST", "/session", {})
    body = json.dumps({"text": "hello", "client_id": "f1"}).encode()
    status, _, reply = browser.call(
        "POST", "/message", headers={"Content-Type": content_type}, raw=body
    )
    assert status == 415 and "application/json" in reply["error"]
    assert browser.call("GET", "/history")[2]["messages"] == []


def test_end_chat_forgets_the_session_here_but_keeps_the_conversation(
    base: str, assistant: RunningAssistant
) -> None:
    browser = Browser(base)
    browser.call("POST", "/session", {})
    browser.say("when is the infusion center open", "e1")
    sender_id = _sender_id(browser)
    status, headers, body = browser.call("POST", "/end", {})
    assert status == 200 and body == {"ended": True}
    assert "Max-Age=0" in headers["Set-Cookie"]
    assert not list(browser.jar)
    assert browser.call("GET", "/history")[0] == 401
    assert browser.call("POST", "/message", {"text": "hi", "client_id": "e2"})[0] == 401
    with sqlite3.connect(assistant.tracker_db) as db:
        rows = db.execute(
            "SELECT COUNT(*) FROM web_client_messages WHERE sender_id = ?", (sender_id,)
        ).fetchone()
    assert rows == (0,)
    assert len(_user_events(assistant.tracker_db, sender_id)) == 1  # kept for staff review
    assert browser.call("POST", "/session", {})[2]["resumed"] is False


def test_demo_page_and_widget_are_served(base: str) -> None:
    with urllib.request.urlopen(base + "/demo", timeout=10) as reply:
        page = reply.read().decode()
        assert "Content-Security-Policy" in reply.headers
    assert "/webhooks/web/widget.js" in page and "immunotherapy" in page.lower()
    with urllib.request.urlopen(base + "/widget.js", timeout=10) as reply:
        assert reply.headers["Content-Type"].startswith("text/javascript")
