"""The action server: token required, errors never echo the tracker."""

from __future__ import annotations

import itertools
import logging
from typing import Any, AsyncIterator, Dict, List, Text

import aiohttp
import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from assistant.action_server.app import create_app
from tests.support.sanic_server import serving

TOKEN = "action-token-0123456789abcdef"
SECRET_TEXT = "my diagnosis is stage 4 and my number is 310 555 0142"
_ids = itertools.count()


class ActionGreetBack(Action):
    def name(self) -> Text:
        return "action_test_greet_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text="hello back")
        return []


class ActionBroken(Action):
    def name(self) -> Text:
        return "action_test_broken"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        raise RuntimeError(f"boom while reading {tracker.latest_message.get('text')}")


def action_call(name: str) -> Dict[str, Any]:
    return {
        "next_action": name,
        "sender_id": "s1",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "s1",
            "slots": {},
            "latest_message": {"text": SECRET_TEXT, "intent": {}, "entities": []},
            "events": [{"event": "user", "text": SECRET_TEXT}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


@pytest.fixture
async def url() -> AsyncIterator[str]:
    executor = ActionExecutor()
    executor.register_action(ActionGreetBack)
    executor.register_action(ActionBroken)
    async with serving(create_app(TOKEN, executor, name=f"actions_{next(_ids)}")) as base:
        yield base


async def call(url: str, body: Any, token: str | None = TOKEN, raw: bytes | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session:
        kwargs = {"data": raw} if raw is not None else {"json": body}
        async with session.post(f"{url}/webhook", headers=headers, **kwargs) as reply:
            return reply.status, await reply.text(), dict(reply.headers)


async def test_a_call_with_the_token_runs_the_action(url: str) -> None:
    status, body, headers = await call(url, action_call("action_test_greet_back"))
    assert status == 200 and "hello back" in body
    assert "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789abcdef", ""])
async def test_calls_without_the_right_token_are_refused(url: str, token: str | None) -> None:
    status, body, _ = await call(url, action_call("action_test_greet_back"), token=token)
    assert status == 401 and "hello back" not in body


async def test_health_needs_no_token(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/health") as reply:
            assert reply.status == 200


async def test_a_failing_action_leaks_nothing(url: str, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    status, body, _ = await call(url, action_call("action_test_broken"))
    assert status == 500
    assert "action_test_broken" in body
    assert "stage 4" not in body and "310 555" not in body
    assert "stage 4" not in caplog.text and "310 555" not in caplog.text


async def test_unknown_action_and_bad_json_leak_nothing(url: str) -> None:
    status, body, _ = await call(url, action_call("action_nope"))
    assert status == 404 and "stage 4" not in body
    status, body, _ = await call(url, None, raw=b'{"next_action": "x", "tracker": ' + b"{" * 3)
    assert status == 400 and "tracker" not in body


def test_short_token_is_refused() -> None:
    with pytest.raises(ValueError):
        create_app("short", ActionExecutor())


def test_idle_connections_outlive_rasas_reuse_window() -> None:
    """Rasa's side reuses an idle connection for CLIENT_KEEPALIVE_S; the server must keep it
    open longer, or a request could meet a connection the server is closing."""
    from assistant.action_server.app import SERVER_KEEPALIVE_S
    from assistant.rasa_server.tuning import CLIENT_KEEPALIVE_S

    app = create_app(TOKEN, ActionExecutor(), name=f"actions_{next(_ids)}")
    assert app.config.KEEP_ALIVE_TIMEOUT == SERVER_KEEPALIVE_S > 2 * CLIENT_KEEPALIVE_S
