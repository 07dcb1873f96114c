"""``tuning.apply`` installs every row of ``patches.PATCHES`` or none, ``restore`` puts Rasa's
values back, and each installed replacement keeps Rasa's verdicts."""

from __future__ import annotations

import asyncio
import copy
import gc
import importlib
import json
import logging
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import jsonschema
import pytest
import rasa
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
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from assistant.rasa_server import debug_copies, patches
from assistant.rasa_server.graph_runner import PlannedGraphRunner
from assistant.rasa_server.replacements import SESSION_STARTED, session_is_full
from assistant.rasa_server.tuning import (
    DEFAULT_ACTION_TIMEOUT_S,
    DEFAULT_MAX_SESSION_EVENTS,
    Tuning,
    apply,
    apply_with_report,
    check,
    installed,
    restore,
)
from tests.assistant.rasa_server.test_action_response import INVALID, VALID

ROOT = Path(__file__).resolve().parents[3]


def _targets() -> Dict[patches.Patch, Any]:
    """Each row's value as it stands now in its owner's ``__dict__``."""
    return {row: vars(patches.resolve(row.owner))[row.attribute] for row in patches.PATCHES}


@pytest.fixture
def restore_rasa(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rasa as it was after the test. Takes ``monkeypatch`` so that its undoing comes after
    ``restore()``: a value a test set before ``apply`` is restored, then undone."""
    yield
    restore()
    gc.unfreeze()


def _same_as(before: Dict[patches.Patch, Any]) -> bool:
    now = _targets()
    return all(now[row] is value for row, value in before.items())


# Settings


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


def test_the_off_switch_setting() -> None:
    assert Tuning.from_env({}).enabled
    assert Tuning.from_env({"ASSISTANT_RASA_TUNING": "on"}).enabled
    assert not Tuning.from_env({"ASSISTANT_RASA_TUNING": " off "}).enabled
    assert not Tuning.from_env({"ASSISTANT_RASA_TUNING": "OFF"}).enabled
    for bad in ("0", "false", "no", "stock", "of"):
        with pytest.raises(ValueError, match="ASSISTANT_RASA_TUNING"):
            Tuning.from_env({"ASSISTANT_RASA_TUNING": bad})


# All or nothing, and back


def test_apply_then_restore_leaves_every_target_as_it_was(restore_rasa: None) -> None:
    before = _targets()
    assert isinstance(vars(Event)["resolve_by_type"], staticmethod)
    outcome = apply(Tuning())
    assert outcome.tuned and outcome.installed == installed() == patches.PATCHES
    after = _targets()
    assert all(after[row] is not before[row] for row in patches.PATCHES)
    assert isinstance(vars(Event)["resolve_by_type"], staticmethod)
    assert restore() == len(patches.PATCHES)
    assert _same_as(before) and installed() == ()
    assert restore() == 0  # idempotent
    assert _same_as(before)


def test_apply_twice_then_restore(restore_rasa: None) -> None:
    before = _targets()
    apply(Tuning())
    first = _targets()
    apply(Tuning())
    assert len(installed()) == len(patches.PATCHES)  # not one row on top of another
    second = _targets()
    assert second[patches.PATCHES[0]] == first[patches.PATCHES[0]] == DEFAULT_ACTION_TIMEOUT_S
    restore()
    assert _same_as(before)


def test_session_cap_row_is_inactive_at_zero(restore_rasa: None) -> None:
    before = _targets()
    outcome = apply(Tuning(max_session_events=0))
    rows = {(row.owner, row.attribute) for row in outcome.installed}
    assert ("rasa.core.processor:MessageProcessor", "_has_session_expired") not in rows
    assert len(rows) == len(patches.PATCHES) - 1
    assert vars(processor_module.MessageProcessor)["_has_session_expired"] is next(
        value for row, value in before.items() if row.attribute == "_has_session_expired"
    )


def _one_warning(caplog: pytest.LogCaptureFixture) -> str:
    lines = [r.getMessage() for r in caplog.records if r.name == "assistant.rasa_server.tuning"]
    assert len(lines) == 1, lines
    assert caplog.records[-1].levelno == logging.WARNING
    return lines[0]


def test_another_rasa_version_installs_nothing(
    restore_rasa: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    before = _targets()
    apply(Tuning())  # installed; the next apply undoes it first
    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    caplog.clear()
    outcome = apply(Tuning())
    assert not outcome.tuned and outcome.installed == () == installed()
    assert _same_as(before)
    assert outcome.stock_because is not None and "3.6.22" in outcome.stock_because
    assert _one_warning(caplog) == (
        "Rasa 3.6.22 is installed, the patches are for 3.6.21: serving stock Rasa behaviour"
    )


@pytest.mark.parametrize(
    ("owner", "attribute", "named"),
    [
        (processor_module, "DaskGraphRunner", "rasa.core.processor has no DaskGraphRunner"),
        (
            RemoteAction,
            "_validate_action_result",
            "rasa.core.actions.action.RemoteAction has no _validate_action_result",
        ),
        (run_module, "load_agent_on_start", "rasa.core.run has no load_agent_on_start"),
    ],
)
def test_a_missing_target_installs_nothing(
    restore_rasa: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    owner: Any,
    attribute: str,
    named: str,
) -> None:
    monkeypatch.delattr(owner, attribute)
    before = {
        row: value for row, value in _targets_or_missing().items() if row.attribute != attribute
    }
    outcome = apply(Tuning())
    assert not outcome.tuned and installed() == ()
    assert all(vars(patches.resolve(row.owner))[row.attribute] is v for row, v in before.items())
    assert _one_warning(caplog) == f"{named}: serving stock Rasa behaviour"


def _targets_or_missing() -> Dict[patches.Patch, Any]:
    return {row: vars(patches.resolve(row.owner)).get(row.attribute) for row in patches.PATCHES}


def test_a_module_global_nobody_reads_installs_nothing(
    restore_rasa: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """If the processor stopped loading its model through the name ``DaskGraphRunner``,
    replacing that name would change nothing: the check refuses it."""
    assert "DaskGraphRunner" in patches.names_used(processor_module.MessageProcessor)

    def load_model(model_path: Any) -> Any:
        return model_path  # reads no DaskGraphRunner

    monkeypatch.setattr(processor_module.MessageProcessor, "_load_model", staticmethod(load_model))
    before = _targets()
    assert not apply(Tuning()).tuned
    assert _same_as(before)
    assert _one_warning(caplog) == (
        "rasa.core.processor.MessageProcessor does not use DaskGraphRunner "
        "(for rasa.core.processor.DaskGraphRunner): serving stock Rasa behaviour"
    )


def test_a_replacement_that_cannot_be_built_installs_nothing(
    restore_rasa: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(original: Any, tuning: Tuning) -> Any:
        raise TypeError("no")

    last = patches.PATCHES[-1]
    rows = (*patches.PATCHES[:-1], patches.Patch(last.owner, last.attribute, broken, last.why))
    monkeypatch.setattr("assistant.rasa_server.tuning.PATCHES", rows)
    before = _targets()
    assert not apply(Tuning()).tuned
    assert _same_as(before)  # the rows before the broken one were not set either
    assert _one_warning(caplog) == (
        "the replacement for rasa.core.run.load_agent_on_start could not be built "
        "(TypeError('no')): serving stock Rasa behaviour"
    )


def test_tuning_off_installs_nothing(restore_rasa: None, caplog: pytest.LogCaptureFixture) -> None:
    before = _targets()
    apply(Tuning())
    caplog.clear()
    outcome = apply(Tuning.from_env({"ASSISTANT_RASA_TUNING": "off"}))
    assert not outcome.tuned and installed() == ()
    assert _same_as(before)
    assert action_module.DEFAULT_REQUEST_TIMEOUT == 300
    assert _one_warning(caplog) == (
        "ASSISTANT_RASA_TUNING=off: serving stock Rasa internals, "
        "and the action-server wait is Rasa's 300 s"
    )


def test_the_installed_rasa_passes_the_checks() -> None:
    assert rasa.__version__ == patches.PINNED_RASA_VERSION
    assert check() is None


# Each replacement, installed, against Rasa's own


def test_a_session_is_full_after_the_limit_counting_from_its_start() -> None:
    assert SESSION_STARTED == SessionStarted.type_name
    old_session = _turns(100, 0.0)  # 300 events before the current session started
    current = [ActionExecuted("action_session_start"), SessionStarted(), *_turns(20, 500.0)]
    assert not session_is_full(old_session + current, 100)  # 62 events in this session
    assert session_is_full(old_session + current + _turns(20, 600.0), 100)  # 122
    assert session_is_full(_turns(40, 0.0), 100)  # no session start at all: 120 events
    assert not session_is_full(_turns(30, 0.0), 100)


def _turns(count: int, start: float) -> List[Event]:
    """``count`` patient turns (user message, bot answer, listen), one second apart."""
    events: List[Event] = []
    for turn in range(count):
        at = start + turn
        events += [
            UserUttered("what is immunotherapy", timestamp=at),
            BotUttered("An answer.", timestamp=at),
            ActionExecuted("action_listen", timestamp=at),
        ]
    return events


def _processor_with(domain: Domain) -> Any:
    processor = processor_module.MessageProcessor.__new__(processor_module.MessageProcessor)
    processor.domain = domain
    return processor


def test_long_sessions_expire_and_others_get_rasas_verdict(restore_rasa: None) -> None:
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
    assert ours is not rasas
    assert [ours(processor, tracker) for tracker in (short, idle)] == before[:2]
    assert ours(processor, long)  # 900 events in one session: over the limit
    apply(Tuning(max_session_events=0))  # switched off: Rasa's own method again
    assert processor_module.MessageProcessor._has_session_expired is rasas
    no_sessions = _processor_with(
        Domain.from_dict({"session_config": {"session_expiration_time": 0}})
    )
    apply(Tuning(max_session_events=600))
    assert not processor_module.MessageProcessor._has_session_expired(no_sessions, long)


def test_apply_bounds_the_wait(restore_rasa: None) -> None:
    assert action_module.DEFAULT_REQUEST_TIMEOUT == 300  # Rasa's own, before
    apply(Tuning(action_timeout_s=4.0))
    assert action_module.DEFAULT_REQUEST_TIMEOUT == 4.0
    assert processor_module.DaskGraphRunner is PlannedGraphRunner


def test_the_installed_check_gives_rasas_verdicts(restore_rasa: None) -> None:
    remote = RemoteAction("action_answer", None)
    rasas = []
    for response in [*VALID, *INVALID]:
        rasas.append(_verdict(remote, response))
    apply(Tuning())
    assert "_validate_action_result" in vars(remote.__class__)
    assert vars(RemoteAction)["_validate_action_result"].__module__.endswith("replacements")
    for response, theirs in zip([*VALID, *INVALID], rasas, strict=True):
        ours = _verdict(remote, response)
        if theirs is None:
            assert ours is None, response
            continue
        assert ours is not None, response
        assert ours["message_end"] == theirs["message_end"]
        assert ours["event"] == theirs["event"], response  # the same event is blamed
    assert sum(verdict is None for verdict in rasas) == len(VALID)


def _verdict(remote: RemoteAction, response: Any) -> Any:
    """None if the response passes, else where the error is and how its message ends."""
    try:
        assert remote._validate_action_result(response) is True
    except jsonschema.ValidationError as error:
        path = list(error.absolute_path)
        event = path[:2] if path[:1] == ["events"] and len(path) > 2 else path
        return {"message_end": error.message.split(". Failed", 1)[1], "event": event}
    return None


async def test_objects_alive_after_the_model_loads_are_frozen(
    restore_rasa: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    async def fake_load_agent(*args: Any) -> str:
        calls.append(args)
        assert gc.get_freeze_count() == 0  # not before the model is loaded
        return "agent"

    monkeypatch.setattr(run_module, "load_agent_on_start", fake_load_agent)
    apply(Tuning())
    apply(Tuning())  # applying twice wraps Rasa's listener once
    assert await run_module.load_agent_on_start("model", "app") == "agent"
    assert calls == [("model", "app")]
    assert gc.get_freeze_count() > 0
    restore()
    assert run_module.load_agent_on_start is fake_load_agent


def test_event_classes_resolve_as_before(restore_rasa: None) -> None:
    names = sorted({cls.type_name for cls in all_subclasses(Event)})
    assert len(names) > 20
    before = [Event.resolve_by_type(name) for name in names]
    stock = vars(Event)["resolve_by_type"]
    apply(Tuning())
    assert vars(Event)["resolve_by_type"] is not stock
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


async def test_shared_sessions_carry_rasas_settings(restore_rasa: None) -> None:
    endpoint = EndpointConfig(
        url="http://127.0.0.1:1/webhook",
        headers={"X-Test": "1"},
        basic_auth={"username": "rasa", "password": "secret"},
    )
    theirs = endpoint.session()
    apply(Tuning())
    ours, again = endpoint.session(), endpoint.session()
    pool = ours.connector
    try:
        assert pool is not None and again.connector is pool is not theirs.connector
        for name in ("_default_headers", "_default_auth", "timeout"):
            assert getattr(ours, name) == getattr(theirs, name), name
        assert ours._default_auth is not None
    finally:
        for session in (theirs, ours, again):
            await session.close()
        if pool is not None:
            await pool.close()
    await asyncio.sleep(0)


def test_rule_matches_are_remembered_per_policy_and_lookup(restore_rasa: None) -> None:
    rasas = RulePolicy._get_possible_keys
    apply(Tuning())
    assert RulePolicy._get_possible_keys is not rasas
    listen = {"prev_action": {"action_name": "action_listen"}}
    lookup = {json.dumps([{**listen, "user": {"intent": "greet"}}]): "utter_greet"}
    policy = RulePolicy.__new__(RulePolicy)
    for intent in ("greet", "bye", "greet"):
        states = [{**listen, "user": {"intent": intent}}]
        assert policy._get_possible_keys(lookup, states) == rasas(policy, lookup, states)
    assert policy._get_possible_keys(lookup, [{**listen, "user": {"intent": "greet"}}]) == set(
        lookup
    )
    assert policy._get_possible_keys({}, [{**listen, "user": {"intent": "greet"}}]) == set()


def test_past_states_and_emptiness_are_rasas(restore_rasa: None) -> None:
    domain = Domain.load(ROOT / "domain.yml")
    rasas_states, rasas_empty = DialogueStateTracker.past_states, Domain.is_empty
    trackers = [
        DialogueStateTracker.from_events("t", [ActionExecuted("action_listen"), *_turns(n, 0.0)])
        for n in (0, 1, 3)
    ]
    domains = [Domain.empty(), Domain.from_dict({}), Domain.from_dict({"intents": ["greet"]})]
    expected_states = [rasas_states(tracker, domain) for tracker in trackers]
    expected_empty = [rasas_empty(each) for each in [*domains, domain]]
    assert expected_empty == [True, True, False, False]
    apply(Tuning())
    assert DialogueStateTracker.past_states is not rasas_states
    assert Domain.is_empty is not rasas_empty
    for _ in range(2):  # the second time from memory
        assert [tracker.past_states(domain) for tracker in trackers] == expected_states
        assert [each.is_empty() for each in [*domains, domain]] == expected_empty


def test_debug_copies_are_installed_in_each_module(restore_rasa: None) -> None:
    modules = [importlib.import_module(name) for name in debug_copies.MODULES]
    assert all(module.copy is copy for module in modules)
    apply(Tuning())
    assert all(isinstance(m.copy, debug_copies.DebugLogCopies) for m in modules)
    restore()
    assert all(module.copy is copy for module in modules)


def test_the_server_command_reports_what_it_serves(
    restore_rasa: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m assistant.rasa_server`` applies before Rasa configures logging, so the one
    line goes to stderr by a handler of its own, removed afterwards."""
    logger = logging.getLogger("assistant.rasa_server.tuning")
    handlers = list(logger.handlers)
    assert apply_with_report(Tuning()).tuned
    assert f"Rasa 3.6.21 tuned: {len(patches.PATCHES)} patches" in capsys.readouterr().err
    assert not apply_with_report(Tuning(enabled=False)).tuned
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "WARNING" in lines[0] and "Rasa's 300 s" in lines[0]
    assert logger.handlers == handlers and logger.propagate
