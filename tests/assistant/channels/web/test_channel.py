"""The web chat channel in a real Sanic server with a stand-in bot: retries answered once,
rate limits, JSON-only POSTs, the session cookie's name and flags, "End chat", and the
languages a message carries in and its answers carry out."""

from __future__ import annotations

import asyncio
import itertools
import json
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, List, Mapping, Optional, Tuple

import aiohttp
import pytest
import sqlalchemy as sa
from multidict import CIMultiDictProxy
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from assistant.channels.replies_store import AnsweredRequests, MemoryBackend
from assistant.channels.web.channel import WebChatInput
from assistant.channels.web.rate_limits import WebRateLimits
from assistant.dialogue_names import (
    ENTRY_CONVERSATION_TECHNICAL_ERROR,
    META_LANGUAGE,
    META_LANGUAGE_CHOICE,
    META_PAGE_LANGUAGE,
)
from assistant.knowledge import WEB, KnowledgeStore
from tests.support.sanic_server import serving

_app_ids = itertools.count()
SECRET = "web-test-secret-0123456789"
APOLOGY = "conversation.technical_error"


class Bot:
    """Stands in for Rasa: records each message and answers with its text, after ``gate``
    opens if one is set; ``fail`` makes it raise; ``language`` goes on its answer's metadata."""

    def __init__(self) -> None:
        self.messages: List[UserMessage] = []
        self.fail = False
        self.gate: Optional[asyncio.Event] = None
        self.language: Optional[str] = None

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("the bot broke")
        annotations = {META_LANGUAGE: self.language} if self.language else {}
        await message.output_channel.send_text_message(
            message.sender_id, f"echo: {message.text}", **annotations
        )


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


class Reply:
    def __init__(self, status: int, headers: CIMultiDictProxy[str], body: Any) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def set_cookies(self) -> List[str]:
        return list(self.headers.getall("Set-Cookie", []))


class Visitor:
    """One browser: keeps its cookies by hand (Secure and ``__Host-`` ones too, which a
    client library would not keep over loopback http)."""

    def __init__(self, base: str, headers: Optional[Dict[str, str]] = None) -> None:
        self.base = base
        self.headers = dict(headers or {})
        self.cookies: Dict[str, str] = {}

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: Optional[str] = "application/json",
        headers: Optional[Mapping[str, str]] = None,
    ) -> Reply:
        sent = {**self.headers, **(headers or {})}
        if content_type:
            sent["Content-Type"] = content_type
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = json.dumps(body).encode() if body is not None else None
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
            async with session.request(method, self.base + path, data=data, headers=sent) as got:
                reply = Reply(got.status, got.headers, await got.json(content_type=None))
        for header in reply.set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    async def start(self) -> Reply:
        return await self.call("POST", "/session", {})

    async def say(self, text: str, client_id: str = "") -> Reply:
        return await self.call("POST", "/message", {"text": text, "client_id": client_id})


Serve = Callable[..., Any]


@pytest.fixture
def bot() -> Bot:
    return Bot()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def serve(knowledge_copy: Path, bot: Bot, clock: Clock) -> AsyncIterator[Callable[..., Any]]:
    """``await serve(env)``: the channel with these settings, serving; returns (base, channel)."""
    servers: List[Any] = []

    async def start(
        env: Optional[Dict[str, str]] = None, client_messages: Optional[AnsweredRequests] = None
    ) -> Tuple[str, WebChatInput]:
        settings = {"WEB_SESSION_SECRET": SECRET, **(env or {})}
        channel = WebChatInput.from_settings({"knowledge_dir": str(knowledge_copy)}, settings)
        channel.limits = WebRateLimits.from_env(settings, clock=clock)
        if client_messages is not None:
            channel._given_client_messages = client_messages
        app = Sanic(f"web_test_{next(_app_ids)}")
        app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/web")
        server = serving(app)
        servers.append(server)
        base = await server.__aenter__()
        return f"{base}/webhooks/web", channel

    yield start
    for server in reversed(servers):
        await server.__aexit__(None, None, None)


def texts(reply: Reply) -> List[str]:
    return [m["text"] for m in reply.body["messages"]]


# -- a retried message is answered once ------------------------------------------------------


async def test_a_retried_client_id_is_answered_once_with_the_same_replies(
    serve: Serve, bot: Bot
) -> None:
    base, _ = await serve()
    visitor = Visitor(base)
    await visitor.start()
    first = await visitor.say("what is immunotherapy", "c1")
    again = await visitor.say("what is immunotherapy", "c1")
    assert first.status == again.status == 200
    assert again.body == first.body and texts(first) == ["echo: what is immunotherapy"]
    assert len(bot.messages) == 1
    assert bot.messages[0].metadata["client_id"] == "c1"
    assert texts(await visitor.say("what is immunotherapy", "c2")) == texts(first)
    assert len(bot.messages) == 2  # a new client id is a new message


async def test_a_message_without_client_id_is_always_asked(serve: Serve, bot: Bot) -> None:
    base, _ = await serve()
    visitor = Visitor(base)
    await visitor.start()
    await visitor.say("hello")
    await visitor.say("hello")
    assert len(bot.messages) == 2


async def test_after_a_failed_turn_a_retry_asks_the_bot_again(serve: Serve, bot: Bot) -> None:
    base, _ = await serve()
    visitor = Visitor(base)
    await visitor.start()
    bot.fail = True
    failed = await visitor.say("hello", "c1")
    assert [m["kb_entry"] for m in failed.body["messages"]] == [APOLOGY]
    bot.fail = False
    assert texts(await visitor.say("hello", "c1")) == ["echo: hello"]
    assert len(bot.messages) == 2


async def test_a_slow_turn_answers_the_retry_once_it_has_finished(serve: Serve, bot: Bot) -> None:
    store = AnsweredRequests(MemoryBackend(), keep_s=3600)
    base, _ = await serve({"WEB_REPLY_TIMEOUT_S": "0.2"}, client_messages=store)
    visitor = Visitor(base)
    await visitor.start()
    bot.gate = asyncio.Event()
    slow = await visitor.say("hello", "c1")  # the patient gets the apology meanwhile
    assert [m["kb_entry"] for m in slow.body["messages"]] == [APOLOGY]
    busy = await visitor.say("hello", "c1")  # still running: apology again, no second ask
    assert [m["kb_entry"] for m in busy.body["messages"]] == [APOLOGY]
    retry = asyncio.ensure_future(visitor.say("hello", "c1"))
    await asyncio.sleep(0.05)
    bot.gate.set()  # the turn ends while the retry waits for it
    assert texts(await retry) == ["echo: hello"]
    assert texts(await visitor.say("hello", "c1")) == ["echo: hello"]
    assert len(bot.messages) == 1


class _DownBackend(MemoryBackend):
    """A database that does not answer."""

    def claim(self, key: Any, now: float, stale_before: float) -> Any:
        raise sa.exc.OperationalError("SELECT", {}, Exception())


async def test_without_the_database_the_message_is_answered_without_the_retry_check(
    serve: Serve, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    down = AnsweredRequests(_DownBackend("web_client_messages"), keep_s=3600)
    base, _ = await serve(client_messages=down)
    visitor = Visitor(base)
    await visitor.start()
    assert texts(await visitor.say("hello", "c1")) == ["echo: hello"]
    assert "web_client_messages claim failed: OperationalError" in caplog.text


# -- JSON only -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/session", "/message", "/end"])
@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_posts_that_are_not_json_get_415(
    serve: Serve, bot: Bot, path: str, content_type: Optional[str]
) -> None:
    base, _ = await serve()
    visitor = Visitor(base)
    await visitor.start()
    reply = await visitor.call(
        "POST", path, {"text": "hello", "client_id": "c1"}, content_type=content_type
    )
    assert reply.status == 415 and reply.body == {"error": "Content-Type must be application/json"}
    assert reply.set_cookies == [] and bot.messages == []


async def test_json_with_a_charset_is_json(serve: Serve, bot: Bot) -> None:
    base, _ = await serve()
    visitor = Visitor(base)
    started = await visitor.call("POST", "/session", {}, "application/json; charset=utf-8")
    assert started.status == 200
    reply = await visitor.call(
        "POST", "/message", {"text": "hi", "client_id": "c1"}, "Application/JSON;charset=UTF-8"
    )
    assert reply.status == 200 and len(bot.messages) == 1


# -- rate limits -----------------------------------------------------------------------------


async def test_messages_over_the_session_limit_get_429_and_never_reach_the_bot(
    serve: Serve, bot: Bot, clock: Clock
) -> None:
    base, _ = await serve({"WEB_RATE_MESSAGES_PER_MIN": "3"})
    visitor = Visitor(base, {"Origin": base.split("/webhooks")[0]})
    await visitor.start()
    for index in range(3):
        assert (await visitor.say("hi", f"c{index}")).status == 200
    refused = await visitor.say("hi", "c3")
    assert refused.status == 429 and refused.body == {"error": "too many requests"}
    assert refused.headers["Retry-After"] == "20"
    assert "Retry-After" in refused.headers["Access-Control-Expose-Headers"]
    assert len(bot.messages) == 3
    other = Visitor(base)  # another session from the same address is not held up
    await other.start()
    assert (await other.say("hi", "c0")).status == 200
    clock.now += 20
    assert (await visitor.say("hi", "c3")).status == 200


async def test_messages_over_the_address_limit_get_429(serve: Serve, bot: Bot) -> None:
    base, _ = await serve({"WEB_RATE_ADDRESS_MESSAGES_PER_MIN": "2"})
    first, second = Visitor(base), Visitor(base)
    await first.start()
    await second.start()
    assert (await first.say("hi", "a")).status == 200
    assert (await second.say("hi", "b")).status == 200
    assert (await second.say("hi", "c")).status == 429
    assert (await Visitor(base).say("hi", "d")).status == 429  # even without a session
    assert len(bot.messages) == 2


async def test_new_sessions_per_address_are_limited_but_resuming_is_not(
    serve: Serve, clock: Clock
) -> None:
    base, _ = await serve({"WEB_RATE_ADDRESS_SESSIONS_PER_10_MIN": "2"})
    kept = Visitor(base)
    assert (await kept.start()).status == 200
    assert (await Visitor(base).start()).status == 200
    refused = await Visitor(base).start()
    assert refused.status == 429 and refused.headers["Retry-After"] == "300"
    assert refused.set_cookies == []
    resumed = await kept.start()
    assert resumed.status == 200 and resumed.body["resumed"] is True
    clock.now += 300
    assert (await Visitor(base).start()).status == 200


async def test_forwarded_addresses_are_ignored_on_a_direct_connection(serve: Serve) -> None:
    base, _ = await serve({"WEB_RATE_ADDRESS_SESSIONS_PER_10_MIN": "1"})
    assert (await Visitor(base, {"X-Forwarded-For": "198.51.100.1"}).start()).status == 200
    assert (await Visitor(base, {"X-Forwarded-For": "198.51.100.2"}).start()).status == 429


async def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_limit(
    serve: Serve,
) -> None:
    base, _ = await serve(
        {"WEB_RATE_ADDRESS_SESSIONS_PER_10_MIN": "1", "WEB_TRUSTED_PROXIES": "127.0.0.1"}
    )

    def behind_proxy(forwarded: str) -> Visitor:
        return Visitor(base, {"X-Forwarded-For": forwarded})

    assert (await behind_proxy("198.51.100.1").start()).status == 200
    assert (await behind_proxy("198.51.100.2").start()).status == 200
    assert (await behind_proxy("198.51.100.1").start()).status == 429
    # A client cannot get a fresh budget by writing its own entry in front.
    assert (await behind_proxy("203.0.113.50, 198.51.100.2").start()).status == 429


# -- the cookie ------------------------------------------------------------------------------


async def test_on_plain_http_the_cookie_is_cc_session_on_the_chat_paths(serve: Serve) -> None:
    base, _ = await serve()
    reply = await Visitor(base, {"X-Forwarded-Proto": "https"}).start()  # not from a proxy
    (cookie,) = reply.set_cookies
    assert cookie.startswith("cc_session=")
    assert "Path=/webhooks/web" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie
    assert "Strict-Transport-Security" not in reply.headers


@pytest.mark.parametrize(
    "settings",
    [
        {"WEB_COOKIE_SECURE": "1"},
        {"WEB_COOKIE_SAMESITE": "None"},
        {"WEB_TRUSTED_PROXIES": "127.0.0.1"},  # with X-Forwarded-Proto: https from the proxy
    ],
)
async def test_a_secure_cookie_is_a_host_cookie_and_answers_carry_hsts(
    serve: Serve, bot: Bot, settings: Dict[str, str]
) -> None:
    base, _ = await serve(settings)
    visitor = Visitor(base, {"X-Forwarded-Proto": "https"})
    reply = await visitor.start()
    (cookie,) = reply.set_cookies
    assert cookie.startswith("__Host-cc_session=")
    assert "Path=/;" in cookie + ";" and "Secure" in cookie and "Domain" not in cookie
    assert reply.headers["Strict-Transport-Security"] == "max-age=31536000"
    message = await visitor.say("hi", "c1")
    assert message.status == 200
    assert message.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert (await visitor.start()).body["resumed"] is True
    # The plain cookie's name is not read in this mode.
    value = visitor.cookies.pop("__Host-cc_session")
    visitor.cookies["cc_session"] = value
    assert (await visitor.say("hi", "c2")).status == 401
    assert (await visitor.start()).body["resumed"] is False


async def test_the_own_origin_follows_the_scheme_a_trusted_proxy_reports(serve: Serve) -> None:
    base, _ = await serve({"WEB_TRUSTED_PROXIES": "127.0.0.1"})
    host = base.split("//")[1].split("/")[0]
    proxied = Visitor(base, {"Origin": f"https://{host}", "X-Forwarded-Proto": "https"})
    assert (await proxied.start()).status == 200
    base, _ = await serve()
    direct = Visitor(base, {"Origin": f"https://{host}", "X-Forwarded-Proto": "https"})
    assert (await direct.start()).status == 403


# -- End chat --------------------------------------------------------------------------------


async def test_end_clears_the_cookie_and_the_client_ids(serve: Serve, bot: Bot) -> None:
    backend = MemoryBackend()
    base, _ = await serve(client_messages=AnsweredRequests(backend, keep_s=3600))
    visitor = Visitor(base)
    await visitor.start()
    await visitor.say("hello", "c1")
    assert len(backend) == 1
    old_cookies = dict(visitor.cookies)
    ended = await visitor.call("POST", "/end", {})
    assert ended.status == 200 and ended.body == {"ended": True}
    (cookie,) = ended.set_cookies
    assert cookie.startswith('cc_session="";') and "Max-Age=0" in cookie
    assert "Path=/webhooks/web" in cookie
    assert visitor.cookies == {} and len(backend) == 0
    assert (await visitor.call("GET", "/history", content_type=None)).status == 401
    fresh = await visitor.start()
    assert fresh.body["resumed"] is False and visitor.cookies != old_cookies
    again = await visitor.call("POST", "/end", {})
    assert again.body == {"ended": True}
    assert (await visitor.call("POST", "/end", {})).body == {"ended": False}


async def test_end_over_https_clears_the_host_cookie(serve: Serve) -> None:
    base, _ = await serve({"WEB_COOKIE_SECURE": "1"})
    visitor = Visitor(base)
    await visitor.start()
    (cookie,) = (await visitor.call("POST", "/end", {})).set_cookies
    assert cookie.startswith('__Host-cc_session="";') and "Max-Age=0" in cookie
    assert "Path=/;" in cookie and "Secure" in cookie


# -- languages -------------------------------------------------------------------------------


async def test_the_widget_languages_go_into_the_user_message_metadata(
    serve: Serve, bot: Bot
) -> None:
    base, _ = await serve()
    visitor = Visitor(base)
    await visitor.start()
    body = {"text": "tengo fiebre y escalofrios", "client_id": "c1"}
    first = await visitor.call("POST", "/message", {**body, "page_language": "en"})
    chosen = {**body, "client_id": "c2", "page_language": "es", "language_choice": "es"}
    second = await visitor.call("POST", "/message", chosen)
    assert first.status == second.status == 200
    assert bot.messages[0].metadata[META_PAGE_LANGUAGE] == "en"
    assert META_LANGUAGE_CHOICE not in bot.messages[0].metadata
    assert bot.messages[1].metadata[META_PAGE_LANGUAGE] == "es"
    assert bot.messages[1].metadata[META_LANGUAGE_CHOICE] == "es"
    assert bot.messages[1].metadata["client_id"] == "c2"  # the rest of the metadata stays


@pytest.mark.parametrize("value", ["fr", "es-MX", "ES", "spanish", "", 1, True, ["es"], {"es": 1}])
async def test_an_unknown_language_is_ignored_and_the_message_still_answered(
    serve: Serve, bot: Bot, value: Any
) -> None:
    base, _ = await serve()
    visitor = Visitor(base)
    await visitor.start()
    body = {"text": "my moms rash is worse", "client_id": "c1"}
    reply = await visitor.call(
        "POST", "/message", {**body, "page_language": value, "language_choice": value}
    )
    assert reply.status == 200 and texts(reply) == ["echo: my moms rash is worse"]
    (message,) = bot.messages
    assert META_PAGE_LANGUAGE not in message.metadata
    assert META_LANGUAGE_CHOICE not in message.metadata


@pytest.mark.parametrize(("said", "shown"), [("es", "es"), ("en", "en"), (None, None)])
async def test_each_answer_carries_the_language_the_bot_says_it_is_in(
    serve: Serve, bot: Bot, said: Optional[str], shown: Optional[str]
) -> None:
    base, _ = await serve()
    visitor = Visitor(base)
    await visitor.start()
    bot.language = said
    reply = await visitor.say("q horas abren?", "c1")
    assert [m[META_LANGUAGE] for m in reply.body["messages"]] == [shown]


@pytest.mark.parametrize(
    ("fields", "language"),
    [
        ({"page_language": "es"}, "es"),
        ({"page_language": "en", "language_choice": "es"}, "es"),
        ({"page_language": "es", "language_choice": "en"}, "en"),
        ({"page_language": "fr"}, "en"),
        ({}, "en"),
    ],
)
async def test_the_apology_is_in_the_language_the_patient_chose_or_sees(
    serve: Serve, bot: Bot, knowledge_copy: Path, fields: Dict[str, str], language: str
) -> None:
    base, _ = await serve()
    visitor = Visitor(base)
    await visitor.start()
    bot.fail = True
    reply = await visitor.call("POST", "/message", {"text": "hola??", "client_id": "c1", **fields})
    (apology,) = reply.body["messages"]
    expected = KnowledgeStore(knowledge_copy, check_interval_s=0).current()
    rendered = expected.render(ENTRY_CONVERSATION_TECHNICAL_ERROR, WEB, language=language)
    assert apology["kb_entry"] == ENTRY_CONVERSATION_TECHNICAL_ERROR
    assert apology[META_LANGUAGE] == rendered.language
    assert apology["text"].endswith(rendered.text)
    if rendered.note:  # an out-of-date translation: the English, after the Spanish note
        assert apology["text"].startswith(rendered.note)


@pytest.mark.parametrize(
    ("asked", "attribute"),
    [("es", ' data-lang="es"'), ("en", ' data-lang="en"'), ("fr", ""), ("", "")],
)
async def test_the_demo_page_can_show_the_widget_in_spanish(
    serve: Serve, asked: str, attribute: str
) -> None:
    base, _ = await serve()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/demo", params={"lang": asked}) as got:
            page = await got.text()
    assert f'/webhooks/web/widget.js"{attribute} defer></script>' in page
    assert '<html lang="en">' in page  # the page itself stays English
