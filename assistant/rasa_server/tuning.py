"""Rasa 3.6 behaviours replaced before the server starts: a bounded action wait, cheaper hot paths.

- **Action-server timeout.** Rasa waits up to 300 s (``DEFAULT_REQUEST_TIMEOUT``) for the
  action server. The channels already answer a patient with the apology after their reply
  deadline, but the turn went on in the background and held the conversation's lock for
  five minutes, so the patient's next message waited too. Here the wait is
  ``ACTION_SERVER_TIMEOUT_S`` (5 s by default); then Rasa logs the failed action and the
  turn ends.
- **Action-server connections.** Rasa opens a new HTTP session, and so a new TCP connection,
  for every action call (``EndpointConfig.session``). Here the sessions of one event loop
  share a connection pool; an idle connection is closed after ``CLIENT_KEEPALIVE_S`` (2 s),
  well before the action server closes it (``SERVER_KEEPALIVE_S``, 15 s).
- **Response validation.** ``RemoteAction._validate_action_result`` is replaced by one that
  uses ``ActionResponseValidator``: the same verdict and error text, about a tenth of the
  CPU.
- **Event classes by name.** ``Event.resolve_by_type`` walks every ``Event`` subclass, with
  an ``inspect.isabstract`` check each, for every event it reads back (about 5 % of the CPU);
  a found class is remembered by its name. Unknown names go to Rasa's own method.
- **Graph runs.** The processor's graph runner is ``PlannedGraphRunner`` instead of
  ``DaskGraphRunner``: the same nodes with the same inputs, in an order worked out once.
- **Rule matching.** ``RulePolicy._get_possible_keys`` answers are remembered per dialogue
  shape (``RuleMatches``): the same rules for the same states, as far as the rules can see
  them.
- **Past states.** A tracker's ``past_states`` are worked out once per history and
  domain (``past_states.remembering``), not once per policy and per question.
- **Empty domain check.** ``Domain.is_empty`` built an empty domain and compared both as
  dicts, on every message (``_check_for_unseen_features``); the answer is kept on the domain,
  which does not change once loaded.
- **Debug-log copies.** The deep copies Rasa makes only as debug log arguments are skipped
  while structlog drops debug lines (``DebugLogCopies``).
- **Session length.** Rasa loads, replays and sends to the action server every event of the
  current session on every message, so a reply's cost grows with the session: one web
  session flooded with 5,000 messages went from 10 ms to over a second per reply. A session
  with more than ``MAX_SESSION_EVENTS`` events (600 by default, about 130 patient messages;
  ``0`` turns this off) is treated as expired, like one idle past ``session_expiration_time``:
  ``action_session_start`` opens a new one (with the disclaimer) and the old one stays in the
  tracker store for staff review. Counting stops at the session start or the limit, so the
  check itself is bounded.
- **Garbage collection.** Once the model is loaded, the objects alive then (Rasa, TensorFlow,
  spaCy, the model: millions) are moved out of the collector's reach (``gc.freeze``). Full
  collections scanned them all, up to 470 ms each, and those pauses were the slowest replies
  under load.

``apply`` is called by ``python -m assistant.rasa_server`` only; importing this module
changes nothing.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Set

DEFAULT_ACTION_TIMEOUT_S = 5.0
DEFAULT_MAX_SESSION_EVENTS = 600
CLIENT_KEEPALIVE_S = 2.0
SESSION_STARTED = "session_started"  # rasa.shared.core.events.SessionStarted.type_name


@dataclass(frozen=True)
class Tuning:
    action_timeout_s: float = DEFAULT_ACTION_TIMEOUT_S
    max_session_events: int = DEFAULT_MAX_SESSION_EVENTS  # 0: sessions end by time only

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> Tuning:
        env = os.environ if env is None else env
        return cls(
            action_timeout_s=_action_timeout(env.get("ACTION_SERVER_TIMEOUT_S", "").strip()),
            max_session_events=_max_session_events(env.get("MAX_SESSION_EVENTS", "").strip()),
        )


def _action_timeout(raw: str) -> float:
    if not raw:
        return DEFAULT_ACTION_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"ACTION_SERVER_TIMEOUT_S must be a number of seconds, not {raw!r}"
        ) from None
    if not 0 < value <= 300:
        raise ValueError(f"ACTION_SERVER_TIMEOUT_S must be in (0, 300], not {raw!r}")
    return value


def _max_session_events(raw: str) -> int:
    if not raw:
        return DEFAULT_MAX_SESSION_EVENTS
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(f"MAX_SESSION_EVENTS must be a whole number (0 = no limit), not {raw!r}")
    value = int(raw)
    if 0 < value < 50:
        raise ValueError(f"MAX_SESSION_EVENTS must be 0 or at least 50, not {raw!r}")
    return value


def session_is_full(events: Sequence[Any], limit: int) -> bool:
    """Whether the current session (the events after the last ``session_started``) has more
    than ``limit`` events; looks at no more than ``limit + 1`` events."""
    for count, event in enumerate(reversed(events), start=1):
        if event.type_name == SESSION_STARTED:
            return False
        if count > limit:
            return True
    return False


def _rasas(current: Any) -> Any:
    """Rasa's own version of ``current``, also when an earlier ``apply`` replaced it (each
    replacement keeps Rasa's as ``wrapped_by_tuning``), so that ``apply`` is idempotent."""
    return getattr(current, "wrapped_by_tuning", current)


def apply(tuning: Tuning) -> None:
    """Install the replacements in the loaded Rasa modules (idempotent)."""
    import rasa.core.actions.action as action_module

    action_module.DEFAULT_REQUEST_TIMEOUT = tuning.action_timeout_s
    _share_connections()
    _check_action_responses()
    _remember_event_classes()
    _plan_graph_runs()
    _remember_rule_matches()
    _remember_past_states()
    _remember_empty_domains()
    _cap_session_length(tuning.max_session_events)
    _copy_for_debug_logs_only()
    _freeze_after_loading()


def _check_action_responses() -> None:
    import rasa.core.actions.action as action_module
    from rasa.shared.constants import DOCS_BASE_URL

    from assistant.rasa_server.action_response import ActionResponseValidator

    remote = action_module.RemoteAction
    validator = ActionResponseValidator(remote.action_response_format_spec())
    suffix = (
        ". Failed to validate Action server response from API, make sure your response "
        f"from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )

    def validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
        error = validator.first_error(result)
        if error is not None:
            error.message += suffix
            raise error
        return True

    remote._validate_action_result = validate_action_result


def _plan_graph_runs() -> None:
    import rasa.core.processor as processor_module

    from assistant.rasa_server.graph_runner import PlannedGraphRunner

    processor_module.DaskGraphRunner = PlannedGraphRunner


def _remember_rule_matches() -> None:
    import weakref

    from rasa.core.policies.rule_policy import RulePolicy

    from assistant.rasa_server.rule_matches import RuleMatches

    rasas = _rasas(RulePolicy._get_possible_keys)
    memories: weakref.WeakKeyDictionary[RulePolicy, Dict[int, RuleMatches]] = (
        weakref.WeakKeyDictionary()
    )

    def get_possible_keys(self: Any, lookup: Dict[str, str], states: List[Any]) -> Set[str]:
        by_lookup = memories.setdefault(self, {})
        matches = by_lookup.get(id(lookup))
        if matches is None or not matches.fits(lookup):
            matches = by_lookup[id(lookup)] = RuleMatches(lookup)
        return matches.possible_keys(states, lambda: rasas(self, lookup, states))

    get_possible_keys.wrapped_by_tuning = rasas  # type: ignore[attr-defined]
    RulePolicy._get_possible_keys = get_possible_keys


def _remember_past_states() -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    from assistant.rasa_server.past_states import remembering

    tracker_class: Any = DialogueStateTracker
    rasas = _rasas(tracker_class.past_states)
    tracker_class.past_states = remembering(rasas)


def _remember_empty_domains() -> None:
    from rasa.shared.core.domain import Domain

    domain_class: Any = Domain
    rasas = _rasas(domain_class.is_empty)

    def is_empty(self: Any) -> bool:
        known = self.__dict__.get("_is_empty_remembered")
        if known is None:
            known = self.__dict__["_is_empty_remembered"] = rasas(self)
        return bool(known)

    is_empty.wrapped_by_tuning = rasas  # type: ignore[attr-defined]
    domain_class.is_empty = is_empty


def _cap_session_length(limit: int) -> None:
    import rasa.core.processor as processor_module

    processor_class: Any = processor_module.MessageProcessor
    rasas = _rasas(processor_class._has_session_expired)
    if not limit:
        processor_class._has_session_expired = rasas
        return

    def has_session_expired(self: Any, tracker: Any) -> bool:
        if rasas(self, tracker):
            return True
        enabled = self.domain.session_config.are_sessions_enabled()
        return bool(enabled and session_is_full(tracker.events, limit))

    has_session_expired.wrapped_by_tuning = rasas  # type: ignore[attr-defined]
    processor_class._has_session_expired = has_session_expired


def _copy_for_debug_logs_only() -> None:
    import importlib

    from assistant.rasa_server.debug_copies import MODULES, DebugLogCopies

    copies = DebugLogCopies()
    for name in MODULES:
        importlib.import_module(name).copy = copies  # type: ignore[attr-defined]


def _freeze_after_loading() -> None:
    import rasa.core.run as run_module

    rasas = _rasas(run_module.load_agent_on_start)
    run_module.load_agent_on_start = _freeze_after(rasas)


def _share_connections() -> None:
    import asyncio
    import weakref

    import aiohttp
    import rasa.utils.endpoints as endpoints_module

    config_class = endpoints_module.EndpointConfig
    rasas = _rasas(config_class.session)
    pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.TCPConnector] = (
        weakref.WeakKeyDictionary()
    )

    def session(self: Any) -> aiohttp.ClientSession:
        """Rasa's session (headers, basic auth, timeout) over the loop's shared pool."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return rasas(self)
        pool = pools.get(loop)
        if pool is None or pool.closed:
            pool = pools[loop] = aiohttp.TCPConnector(keepalive_timeout=CLIENT_KEEPALIVE_S)
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        return aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=endpoints_module.DEFAULT_REQUEST_TIMEOUT),
            connector=pool,
            connector_owner=False,
        )

    session.wrapped_by_tuning = rasas  # type: ignore[attr-defined]
    config_class.session = session


def _remember_event_classes() -> None:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    rasas = _rasas(Event.resolve_by_type)
    found: Dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Optional[Any] = None) -> Optional[Any]:
        known = found.get(type_name)
        if known is not None:
            return known
        for cls in all_subclasses(Event):
            if cls.type_name == type_name:
                found[type_name] = cls
                return cls
        return rasas(type_name, default)  # Rasa's answer for old and unknown names

    resolve_by_type.wrapped_by_tuning = rasas  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)


def _freeze_after(load_agent: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """``load_agent`` (Rasa's start-up listener), then a last full collection and a freeze."""

    async def load_agent_then_freeze(*args: Any, **kwargs: Any) -> Any:
        agent = await load_agent(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return agent

    load_agent_then_freeze.wrapped_by_tuning = load_agent  # type: ignore[attr-defined]
    return load_agent_then_freeze
