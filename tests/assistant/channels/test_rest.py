"""The hardened REST channel: a bearer token, no web or SMS conversations, clear 4xx for bad
input, no typed intents, no empty replies."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, List, Optional

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from assistant.channels.rest import PatientRestInput
from assistant.channels.sms.identity import conversation_id
from assistant.channels.web.sessions import SessionSigner
from tests.support.sanic_server import serving

_app_ids = itertools.count()
TOKEN = "rest-token-for-the-unit-tests-0123"


class Recorder:
    """Stands in for Rasa: records each message and answers with its text."""

    def __init__(self, fail: bool = False) -> None:
        self.messages: List[UserMessage] = []
        self.fail = fail

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.fail:
            raise RuntimeError("the bot broke")
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def channel_for(credentials: Dict[str, Any]) -> PatientRestInput:
    return PatientRestInput.from_settings(credentials, {"REST_TOKEN": TOKEN})


@pytest.fixture
async def url(knowledge_copy: Path, recorder: Recorder) -> AsyncIterator[str]:
    channel = channel_for({"knowledge_dir": str(knowledge_copy)})
    app = Sanic(f"rest_test_{next(_app_ids)}")
    app.blueprint(channel.blueprint(recorder), url_prefix="/webhooks/rest")
    async with serving(app) as base:
        yield f"{base}/webhooks/rest/webhook"


async def post(
    url: str,
    body: Any = None,
    raw: bytes | None = None,
    authorization: Optional[str] = f"Bearer {TOKEN}",
) -> tuple[int, Any]:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with aiohttp.ClientSession() as session:
        kwargs = {"data": raw} if raw is not None else {"json": body}
        async with session.post(url, headers=headers, **kwargs) as reply:
            return reply.status, await reply.json(content_type=None)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token-of-the-same-size-01",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
async def test_without_the_token_nothing_reaches_the_bot(
    url: str, recorder: Recorder, authorization: Optional[str]
) -> None:
    status, reply = await post(url, {"sender": "p", "message": "hi"}, authorization=authorization)
    assert status == 401 and reply["error"]
    assert recorder.messages == []


async def test_the_token_is_checked_before_the_body(url: str, recorder: Recorder) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=b"{not json") as reply:
            assert reply.status == 401
            assert reply.headers["WWW-Authenticate"] == "Bearer"


async def test_the_scheme_is_case_insensitive(url: str, recorder: Recorder) -> None:
    status, _ = await post(url, {"sender": "p", "message": "hi"}, authorization=f"bearer {TOKEN}")
    assert status == 200 and len(recorder.messages) == 1


def _web_sender() -> str:
    signer = SessionSigner(b"w" * 32, 3600)
    return signer.new_session().sender_id


def _sms_sender() -> str:
    return conversation_id("+13105550147", b"s" * 32)


@pytest.mark.parametrize(
    "sender",
    [
        pytest.param(_web_sender, id="web"),
        pytest.param(_sms_sender, id="sms"),
        pytest.param(lambda: "WEB-abc", id="web-upper"),
        pytest.param(lambda: "Sms-abc", id="sms-mixed"),
        pytest.param(lambda: "web-", id="web-bare"),
    ],
)
async def test_web_and_sms_conversations_are_refused_even_with_the_token(
    url: str, recorder: Recorder, sender: Callable[[], str]
) -> None:
    status, reply = await post(url, {"sender": sender(), "message": "what did I tell you?"})
    assert status == 403 and reply["error"]
    assert recorder.messages == []


async def test_ids_that_only_look_alike_are_served(url: str, recorder: Recorder) -> None:
    for sender in ("website-1", "smsx-1", "rest-web-1", "integration-sms-1"):
        status, _ = await post(url, {"sender": sender, "message": "hi"})
        assert status == 200, sender
    assert len(recorder.messages) == 4


async def test_health_and_readiness_stay_open(url: str) -> None:
    base = url.removesuffix("/webhook")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/") as reply:
            assert reply.status == 200
        async with session.get(f"{base}/ready") as reply:
            assert reply.status in (200, 503)  # no agent here: not ready, but not refused


@pytest.mark.parametrize("env", [{}, {"REST_TOKEN": ""}, {"REST_TOKEN": "too-short"}])
def test_the_channel_does_not_start_without_a_token(
    knowledge_copy: Path, env: Dict[str, str]
) -> None:
    with pytest.raises(ValueError, match="REST_TOKEN"):
        PatientRestInput.from_settings({"knowledge_dir": str(knowledge_copy)}, env)


def test_from_credentials_reads_the_environment(
    knowledge_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REST_TOKEN", "too-short")
    with pytest.raises(ValueError, match="REST_TOKEN"):
        PatientRestInput.from_credentials({"knowledge_dir": str(knowledge_copy)})
    monkeypatch.setenv("REST_TOKEN", TOKEN)
    assert isinstance(
        PatientRestInput.from_credentials({"knowledge_dir": str(knowledge_copy)}),
        PatientRestInput,
    )
    # Not set at all: off (tests/assistant/channels/test_settings.py), or a stop in production.
    monkeypatch.delenv("REST_TOKEN")
    monkeypatch.setenv("ASSISTANT_REQUIRE_CHANNEL_SECRETS", "1")
    with pytest.raises(ValueError, match="REST_TOKEN"):
        PatientRestInput.from_credentials({"knowledge_dir": str(knowledge_copy)})


async def test_message_reaches_the_bot_and_answers(url: str, recorder: Recorder) -> None:
    status, body = await post(url, {"sender": "patient-1", "message": "  what is immunotherapy "})
    assert status == 200
    assert body == [{"recipient_id": "patient-1", "text": "echo: what is immunotherapy"}]
    message = recorder.messages[0]
    assert message.input_channel == "rest"
    # The channel's name, and the language a new conversation opens in (the first message's)
    assert message.metadata == {"channel": "rest", "page_language": "en"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"sender": "p", "message": ""}, 400),
        ({"sender": "p", "message": "   \n "}, 400),
        ({"sender": "p"}, 400),
        ({"sender": "p", "message": 12}, 400),
        ({"message": "hi"}, 400),
        ({"sender": "bad sender!", "message": "hi"}, 400),
        ({"sender": "p", "message": "a" * 10_000}, 413),
        (["not", "an", "object"], 400),
    ],
)
async def test_bad_requests_get_a_clear_4xx(
    url: str, recorder: Recorder, body: Any, status: int
) -> None:
    got_status, reply = await post(url, body)
    assert got_status == status
    assert isinstance(reply["error"], str) and reply["error"]
    assert recorder.messages == []


async def test_invalid_utf8_is_a_400(url: str, recorder: Recorder) -> None:
    status, reply = await post(url, raw=b'{"sender": "p", "message": "\xff\xfe"}')
    assert status == 400 and "UTF-8" in reply["error"]
    assert recorder.messages == []


async def test_invalid_json_is_a_400(url: str) -> None:
    status, reply = await post(url, raw=b'{"sender": ')
    assert status == 400 and "JSON" in reply["error"]


async def test_typed_intent_syntax_is_plain_text(url: str, recorder: Recorder) -> None:
    await post(url, {"sender": "p", "message": '/affirm{"callback_phone": "+13105550123"}'})
    assert recorder.messages[0].text == 'affirm{"callback_phone": "+13105550123"}'


async def test_button_payload_keeps_its_meaning(url: str, recorder: Recorder) -> None:
    await post(url, {"sender": "p", "message": '/ask_side_effects{"side_effect": "rash"}'})
    assert recorder.messages[0].text == '/ask_side_effects{"side_effect": "rash"}'


async def test_client_cannot_pick_the_channel_or_metadata(url: str, recorder: Recorder) -> None:
    body = {
        "sender": "p",
        "message": "hi, what is immunotherapy",
        "input_channel": "sms",
        "metadata": {"role": "admin", "page_language": "es"},
    }
    await post(url, body)
    assert recorder.messages[0].input_channel == "rest"
    # Only the channel's own metadata: its name, and the opening language it read from the text.
    assert recorder.messages[0].metadata == {"channel": "rest", "page_language": "en"}


async def test_html_and_emoji_are_passed_as_text(url: str, recorder: Recorder) -> None:
    await post(url, {"sender": "p", "message": "<script>alert(1)</script>"})
    await post(url, {"sender": "p", "message": "\U0001f622\U0001f622"})
    assert [m.text for m in recorder.messages] == [
        "<script>alert(1)</script>",
        "\U0001f622\U0001f622",
    ]


async def test_failure_answers_with_apology_and_phone(
    knowledge_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    channel = channel_for({"knowledge_dir": str(knowledge_copy)})
    app = Sanic(f"rest_test_{next(_app_ids)}")
    app.blueprint(channel.blueprint(Recorder(fail=True)), url_prefix="/webhooks/rest")
    async with serving(app) as base:
        status, body = await post(
            f"{base}/webhooks/rest/webhook", {"sender": "p", "message": "my secret symptom"}
        )
    assert status == 200
    assert "1-800-CEDARS-1" in body[-1]["text"] and "911" in body[-1]["text"]
    assert "my secret symptom" not in caplog.text


def test_unknown_credentials_fail_loudly() -> None:
    with pytest.raises(ValueError, match=r"unknown keys.*max_chars"):
        channel_for({"max_chars": 10})


async def test_slow_bot_gets_an_apology_within_the_limit(knowledge_copy: Path) -> None:
    async def hang(message: UserMessage) -> None:
        await asyncio.sleep(30)

    channel = channel_for({"knowledge_dir": str(knowledge_copy), "reply_timeout_s": 0.5})
    app = Sanic(f"rest_test_{next(_app_ids)}")
    app.blueprint(channel.blueprint(hang), url_prefix="/webhooks/rest")
    async with serving(app) as base:
        loop = asyncio.get_running_loop()
        started = loop.time()
        status, body = await post(f"{base}/webhooks/rest/webhook", {"sender": "p", "message": "hi"})
        elapsed = loop.time() - started
    assert status == 200 and elapsed < 3
    assert "1-800-CEDARS-1" in body[-1]["text"]
