"""``tuning.apply`` bounds the wait for the action server and installs the cheaper check."""

from __future__ import annotations

import copy
import gc
import importlib
import json
from typing import Any, Iterator

import jsonschema
import pytest
import rasa.core.actions.action as action_module
import rasa.core.processor as processor_module
import rasa.core.run as run_module
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from assistant.rasa_server import debug_copies
from assistant.rasa_server.graph_runner import PlannedGraphRunner
from assistant.rasa_server.tuning import (
    DEFAULT_ACTION_TIMEOUT_S,
    DEFAULT_MAX_SESSION_EVENTS,
    SESSION_STARTED,
    Tuning,
    apply,
    session_is_full,
)


@pytest.fixture
def restore_rasa() -> Iterator[None]:
    timeout = action_module.DEFAULT_REQUEST_TIMEOUT
    validate = RemoteAction._validate_action_result
    load_agent = run_module.load_agent_on_start
    resolve_by_type = Event.__dict__["resolve_by_type"]
    session = EndpointConfig.session
    graph_runner = processor_module.DaskGraphRunner
    possible_keys = RulePolicy._get_possible_keys
    past_states = DialogueStateTracker.past_states
    is_empty = Domain.is_empty
    session_expired = processor_module.MessageProcessor._has_session_expired
    copy_modules = {name: importlib.import_module(name).copy for name in debug_copies.MODULES}
    yield
    for name, module in copy_modules.items():
        importlib.import_module(name).copy = module  # type: ignore[attr-defined]
    Domain.is_empty = is_empty  # type: ignore[method-assign]
    processor_module.MessageProcessor._has_session_expired = session_expired  # type: ignore[method-assign]
    DialogueStateTracker.past_states = past_states  # type: ignore[method-assign]
    RulePolicy._get_possible_keys = possible_keys  # type: ignore[method-assign]
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


def test_session_length_setting() -> None:
    assert Tuning.from_env({}).max_session_events == DEFAULT_MAX_SESSION_EVENTS
    assert Tuning.from_env({"MAX_SESSION_EVENTS": "0"}).max_session_events == 0
    assert Tuning.from_env({"MAX_SESSION_EVENTS": " 200 "}).max_session_events == 200
    for bad in ("many", "-5", "10", "1e3", "\u0662\u0660\u0660"):
        with pytest.raises(ValueError, match="MAX_SESSION_EVENTS"):
            Tuning.from_env({"MAX_SESSION_EVENTS": bad})


def _turns(count: int, start: float) -> list:
    """``count`` patient turns (user message, bot answer, listen), one second apart."""
    events: list = []
    for turn in range(count):
        at = start + turn
        events += [
            UserUttered("what is immunotherapy", timestamp=at),
            BotUttered("An answer.", timestamp=at),
            ActionExecuted("action_listen", timestamp=at),
        ]
    return events


def test_a_session_is_full_after_the_limit_counting_from_its_start() -> None:
    assert SESSION_STARTED == SessionStarted.type_name
    old_session = _turns(100, 0.0)  # 300 events before the current session started
    current = [ActionExecuted("action_session_start"), SessionStarted(), *_turns(20, 500.0)]
    assert not session_is_full(old_session + current, 100)  # 62 events in this session
    assert session_is_full(old_session + current + _turns(20, 600.0), 100)  # 122
    assert session_is_full(_turns(40, 0.0), 100)  # no session start at all: 120 events
    assert not session_is_full(_turns(30, 0.0), 100)


def _processor_with(domain: Domain) -> Any:
    processor = processor_module.MessageProcessor.__new__(processor_module.MessageProcessor)
    processor.domain = domain
    return processor


def test_long_sessions_expire_and_others_get_rasas_verdict(restore_rasa: None) -> None:
    import time

    domain = Domain.from_dict({"session_config": {"session_expiration_time": 60}})
    processor = _processor_with(domain)
    now = time.time()
    short = DialogueStateTracker.from_events("s", _turns(10, now - 30))
    idle = DialogueStateTracker.from_events("i", _turns(10, now - 7200))
    long = DialogueStateTracker.from_events("l", _turns(300, now - 300))
    rasas = processor_module.MessageProcessor._has_session_expired
    before = [rasas(processor, tracker) for tracker in (short, idle, long)]
    assert before == [False, True, False]  # Rasa's: only time counts
    apply(Tuning(max_session_events=600))
    ours = processor_module.MessageProcessor._has_session_expired
    assert [ours(processor, tracker) for tracker in (short, idle)] == before[:2]
    assert ours(processor, long)  # 900 events in one session: over the limit
    apply(Tuning(max_session_events=0))  # switched off: Rasa's own method again
    assert processor_module.MessageProcessor._has_session_expired is rasas
    no_sessions = _processor_with(
        Domain.from_dict({"session_config": {"session_expiration_time": 0}})
    )
    apply(Tuning(max_session_events=600))
    assert not processor_module.MessageProcessor._has_session_expired(no_sessions, long)


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


def test_rule_matches_are_remembered_per_policy_and_lookup(restore_rasa: None) -> None:
    rasas = RulePolicy._get_possible_keys
    apply(Tuning())
    apply(Tuning())
    assert RulePolicy._get_possible_keys.wrapped_by_tuning is rasas  # type: ignore[attr-defined]
    listen = {"prev_action": {"action_name": "action_listen"}}
    lookup = {json.dumps([{**listen, "user": {"intent": "greet"}}]): "utter_greet"}
    policy = RulePolicy.__new__(RulePolicy)
    for intent in ("greet", "bye", "greet"):
        states = [{**listen, "user": {"intent": intent}}]
        assert policy._get_possible_keys(lookup, states) == rasas(policy, lookup, states)
    assert policy._get_possible_keys({}, [{**listen, "user": {"intent": "greet"}}]) == set()


def test_states_emptiness_and_debug_copies_are_installed_once(restore_rasa: None) -> None:
    rasas = (DialogueStateTracker.past_states, Domain.is_empty)
    assert all(importlib.import_module(n).copy is copy for n in debug_copies.MODULES)
    apply(Tuning())
    apply(Tuning())
    assert DialogueStateTracker.past_states.wrapped_by_tuning is rasas[0]  # type: ignore[attr-defined]
    assert Domain.is_empty.wrapped_by_tuning is rasas[1]  # type: ignore[attr-defined]
    modules = [importlib.import_module(name) for name in debug_copies.MODULES]
    assert all(isinstance(m.copy, debug_copies.DebugLogCopies) for m in modules)
    full = Domain.from_dict({"intents": ["greet"]})
    for _ in range(2):
        assert Domain.empty().is_empty() and not full.is_empty()
