"""A channel without its secret stays off (503, a warning naming the variable), except in
production; a secret that is set but unusable, or an unknown credentials key, always stops it."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any, Dict, List, Type

import aiohttp
import pytest
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Sanic

from assistant.channels.rest import PatientRestInput
from assistant.channels.settings import MissingSecret, OffChannel
from assistant.channels.sms.channel import SmsInput
from assistant.channels.web.channel import WebChatInput
from tests.support.sanic_server import serving

_app_ids = itertools.count()
SECRET = "s" * 32
PRODUCTION = "ASSISTANT_REQUIRE_CHANNEL_SECRETS"
# Each channel, the variables it needs, and a full set of them.
CHANNELS: List[Any] = [
    (PatientRestInput, ["REST_TOKEN"]),
    (WebChatInput, ["WEB_SESSION_SECRET"]),
    (SmsInput, ["TWILIO_AUTH_TOKEN", "SMS_ID_SECRET"]),
]
SECRETS = {
    "REST_TOKEN": SECRET,
    "WEB_SESSION_SECRET": SECRET,
    "TWILIO_AUTH_TOKEN": "twilio-auth-token",
    "SMS_ID_SECRET": SECRET,
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in [*SECRETS, PRODUCTION, "SMS_STATE_DB_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMS_STATE_DB", str(tmp_path / "sms.db"))
    return monkeypatch


def start(channel: Type[InputChannel], knowledge: Path) -> InputChannel:
    return channel.from_credentials({"knowledge_dir": str(knowledge)})


@pytest.mark.parametrize(("channel", "names"), CHANNELS)
def test_a_missing_secret_leaves_the_channel_off_with_a_warning(
    channel: Type[InputChannel],
    names: List[str],
    knowledge_copy: Path,
    clean_env: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="assistant.channels.settings"):
        off = start(channel, knowledge_copy)
    assert isinstance(off, OffChannel)
    assert not isinstance(off, channel)
    assert off.name() == channel.name()
    assert off.url_prefix() == channel.name()  # the channel's own URLs answer 503
    assert off.missing == tuple(names)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    line = record.getMessage()
    assert f"The {channel.name()} channel is OFF" in line
    assert all(name in line for name in names)
    assert "make run" in line


@pytest.mark.parametrize(("channel", "names"), CHANNELS)
def test_an_empty_secret_counts_as_missing(
    channel: Type[InputChannel],
    names: List[str],
    knowledge_copy: Path,
    clean_env: pytest.MonkeyPatch,
) -> None:
    for name in names:
        clean_env.setenv(name, "")
    assert isinstance(start(channel, knowledge_copy), OffChannel)


@pytest.mark.parametrize(("channel", "names"), CHANNELS)
def test_in_production_a_missing_secret_stops_the_server(
    channel: Type[InputChannel],
    names: List[str],
    knowledge_copy: Path,
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv(PRODUCTION, "1")
    with pytest.raises(MissingSecret) as raised:
        start(channel, knowledge_copy)
    # A RasaException: Rasa's command line prints it as one line, without a traceback.
    assert isinstance(raised.value, RasaException)
    assert isinstance(raised.value, ValueError)
    assert all(name in str(raised.value) for name in names)
    assert PRODUCTION in str(raised.value)


@pytest.mark.parametrize(("channel", "names"), CHANNELS)
def test_with_its_secrets_the_channel_starts(
    channel: Type[InputChannel],
    names: List[str],
    knowledge_copy: Path,
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv(PRODUCTION, "1")
    for name in names:
        clean_env.setenv(name, SECRETS[name])
    assert isinstance(start(channel, knowledge_copy), channel)


@pytest.mark.parametrize("production", ["", "1"])
@pytest.mark.parametrize(
    ("channel", "name"),
    [(PatientRestInput, "REST_TOKEN"), (WebChatInput, "WEB_SESSION_SECRET")],
)
def test_a_short_secret_always_stops_the_server(
    channel: Type[InputChannel],
    name: str,
    production: str,
    knowledge_copy: Path,
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv(PRODUCTION, production)
    clean_env.setenv(name, "too-short")
    with pytest.raises(ValueError, match=name) as raised:
        start(channel, knowledge_copy)
    assert not isinstance(raised.value, MissingSecret)


@pytest.mark.parametrize(("channel", "names"), CHANNELS)
def test_an_unknown_key_stops_the_server_even_without_secrets(
    channel: Type[InputChannel],
    names: List[str],
    clean_env: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="unknown keys"):
        channel.from_credentials({"knowlege_dir": "typo"})


async def _never(message: UserMessage) -> None:
    raise AssertionError("an off channel must not pass a message on")


async def test_an_off_channel_answers_503_and_accepts_nothing() -> None:
    off = OffChannel.standing_in_for("web", ["WEB_SESSION_SECRET"])
    assert off.get_output_channel() is None
    app = Sanic(f"off_test_{next(_app_ids)}")
    app.blueprint(off.blueprint(_never), url_prefix=f"/webhooks/{off.url_prefix()}")
    replies: Dict[str, Any] = {}
    async with serving(app) as base, aiohttp.ClientSession() as session:
        for method, path in [
            ("GET", "/"),
            ("GET", "/demo"),
            ("GET", "/widget.js"),
            ("POST", "/webhook"),
            ("POST", "/messages/deeper/path"),
            ("OPTIONS", "/webhook"),
        ]:
            async with session.request(
                method, f"{base}/webhooks/web{path}", json={"sender": "x", "message": "hi"}
            ) as reply:
                replies[f"{method} {path}"] = (reply.status, await reply.json())
    for status, body in replies.values():
        assert status == 503
        assert "web channel is off" in body["error"]
        assert "WEB_SESSION_SECRET" in body["error"]


def test_two_off_channels_keep_their_own_names() -> None:
    web = OffChannel.standing_in_for("web", ["WEB_SESSION_SECRET"])
    sms = OffChannel.standing_in_for("sms", ["TWILIO_AUTH_TOKEN"])
    assert (web.name(), sms.name()) == ("web", "sms")
    assert web.blueprint(_never).name != sms.blueprint(_never).name
