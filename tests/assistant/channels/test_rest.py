"""The hardened REST channel: clear 4xx for bad input, no typed intents, no empty replies."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any, AsyncIterator, List

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from assistant.channels.rest import PatientRestInput
from tests.support.sanic_server import serving

_app_ids = itertools.count()


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


@pytest.fixture
async def url(knowledge_copy: Path, recorder: Recorder) -> AsyncIterator[str]:
    channel = PatientRestInput.from_credentials({"knowledge_dir": str(knowledge_copy)})
    app = Sanic(f"rest_test_{next(_app_ids)}")
    app.blueprint(channel.blueprint(recorder), url_prefix="/webhooks/rest")
    async with serving(app) as base:
        yield f"{base}/webhooks/rest/webhook"


async def post(url: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        kwargs = {"data": raw} if raw is not None else {"json": body}
        async with session.post(url, **kwargs) as reply:
            return reply.status, await reply.json(content_type=None)


async def test_message_reaches_the_bot_and_answers(url: str, recorder: Recorder) -> None:
    status, body = await post(url, {"sender": "patient-1", "message": "  what is immunotherapy "})
    assert status == 200
    assert body == [{"recipient_id": "patient-1", "text": "echo: what is immunotherapy"}]
    message = recorder.messages[0]
    assert message.input_channel == "rest"
    assert message.metadata == {"channel": "rest"}


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
    await post(
        url, {"sender": "p", "message": "hi", "input_channel": "sms", "metadata": {"role": "admin"}}
    )
    assert recorder.messages[0].input_channel == "rest"
    assert recorder.messages[0].metadata == {"channel": "rest"}


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
    channel = PatientRestInput.from_credentials({"knowledge_dir": str(knowledge_copy)})
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
        PatientRestInput.from_credentials({"max_chars": 10})


async def test_slow_bot_gets_an_apology_within_the_limit(knowledge_copy: Path) -> None:
    async def hang(message: UserMessage) -> None:
        await asyncio.sleep(30)

    channel = PatientRestInput.from_credentials(
        {"knowledge_dir": str(knowledge_copy), "reply_timeout_s": 0.5}
    )
    app = Sanic(f"rest_test_{next(_app_ids)}")
    app.blueprint(channel.blueprint(hang), url_prefix="/webhooks/rest")
    async with serving(app) as base:
        loop = asyncio.get_running_loop()
        started = loop.time()
        status, body = await post(f"{base}/webhooks/rest/webhook", {"sender": "p", "message": "hi"})
        elapsed = loop.time() - started
    assert status == 200 and elapsed < 3
    assert "1-800-CEDARS-1" in body[-1]["text"]
