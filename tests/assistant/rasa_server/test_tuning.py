"""``tuning.apply`` bounds the wait for the action server and installs the cheaper check."""

from __future__ import annotations

import gc
from typing import Any, Iterator

import jsonschema
import pytest
import rasa.core.actions.action as action_module
import rasa.core.processor as processor_module
import rasa.core.run as run_module
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from assistant.rasa_server.graph_runner import PlannedGraphRunner
from assistant.rasa_server.tuning import DEFAULT_ACTION_TIMEOUT_S, Tuning, apply


@pytest.fixture
def restore_rasa() -> Iterator[None]:
    timeout = action_module.DEFAULT_REQUEST_TIMEOUT
    validate = RemoteAction._validate_action_result
    load_agent = run_module.load_agent_on_start
    resolve_by_type = Event.__dict__["resolve_by_type"]
    session = EndpointConfig.session
    graph_runner = processor_module.DaskGraphRunner
    yield
    processor_module.DaskGraphRunner = graph_runner  # type: ignore[misc]
    Event.resolve_by_type = resolve_by_type  # type: ignore[method-assign]
    EndpointConfig.session = session  # type: ignore[method-assign]
    action_module.DEFAULT_REQUEST_TIMEOUT = timeout  # type: ignore[misc]
    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]
    run_module.load_agent_on_start = load_agent  # type: ignore[assignment]
    gc.unfreeze()


def test_settings_from_the_environment() -> None:
    assert Tuning.from_env({}).action_timeout_s == DEFAULT_ACTION_TIMEOUT_S
    assert Tuning.from_env({"ACTION_SERVER_TIMEOUT_S": " 2.5 "}).action_timeout_s == 2.5
    for bad in ("soon", "0", "-1", "301"):
        with pytest.raises(ValueError, match="ACTION_SERVER_TIMEOUT_S"):
            Tuning.from_env({"ACTION_SERVER_TIMEOUT_S": bad})


def test_apply_bounds_the_wait_and_keeps_rasas_verdicts(restore_rasa: None) -> None:
    assert action_module.DEFAULT_REQUEST_TIMEOUT == 300  # Rasa's own, before
    apply(Tuning(action_timeout_s=4.0))
    assert action_module.DEFAULT_REQUEST_TIMEOUT == 4.0
    assert processor_module.DaskGraphRunner is PlannedGraphRunner
    remote = RemoteAction("action_answer", None)
    assert remote._validate_action_result({"events": [{"event": "restart"}]}) is True
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        remote._validate_action_result({"events": [{"event": "slot", "name": "x"}]})


async def test_objects_alive_after_the_model_loads_are_frozen(restore_rasa: None) -> None:
    calls = []

    async def fake_load_agent(*args: Any) -> str:
        calls.append(args)
        assert gc.get_freeze_count() == 0  # not before the model is loaded
        return "agent"

    run_module.load_agent_on_start = fake_load_agent  # type: ignore[assignment]
    apply(Tuning())
    apply(Tuning())  # applying twice wraps Rasa's listener once
    assert await run_module.load_agent_on_start("model", "app") == "agent"
    assert calls == [("model", "app")]
    assert gc.get_freeze_count() > 0


def test_event_classes_resolve_as_before(restore_rasa: None) -> None:
    names = ["user", "bot", "slot", "action", "session_started", "reset_slots"]
    before = [Event.resolve_by_type(name) for name in names]
    apply(Tuning())
    apply(Tuning())
    assert [Event.resolve_by_type(name) for name in names] == before
    assert [Event.resolve_by_type(name) for name in names] == before  # from the memory
    assert Event.resolve_by_type("topic") is None  # Rasa's old-name rule
    assert Event.resolve_by_type("nope", default=BotUttered) is BotUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("nope")
    events = [UserUttered("hi"), SlotSet("topic", "rash"), BotUttered("hello")]
    assert [Event.from_parameters(e.as_dict()) for e in events] == events


async def test_action_calls_reuse_one_connection(restore_rasa: None) -> None:
    """Rasa opened a TCP connection per action call; after ``apply`` calls share a pool."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    client_ports: list = []

    async def webhook(request: web.Request) -> web.Response:
        client_ports.append(request.transport.get_extra_info("peername")[1])  # type: ignore[union-attr]
        assert request.headers["Authorization"] == "Bearer secret"
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    async with TestServer(app, host="127.0.0.1") as server:
        endpoint = EndpointConfig(
            url=str(server.make_url("/webhook")), headers={"Authorization": "Bearer secret"}
        )
        for _ in range(2):
            await endpoint.request(json={}, method="post")
        assert len(set(client_ports)) == 2  # Rasa's own: a new connection each time
        apply(Tuning())
        for _ in range(3):
            assert await endpoint.request(json={}, method="post") == {"events": [], "responses": []}
        assert len(set(client_ports[2:])) == 1
