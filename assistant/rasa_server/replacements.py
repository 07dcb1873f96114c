"""The replacements the rows of ``patches.PATCHES`` install, one factory per row.

A factory gets Rasa's value as it stands in its owner's ``__dict__`` (a function, a
``staticmethod``, a module, a number) and the settings, and returns what takes its place.
Replacements that wrap Rasa's call the value they were given, so ``tuning.restore`` only has
to put that value back. Rasa is imported by the factories, not by this module.
"""

from __future__ import annotations

import gc
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Set

from assistant.rasa_server.settings import Tuning

CLIENT_KEEPALIVE_S = 2.0
SESSION_STARTED = "session_started"  # rasa.shared.core.events.SessionStarted.type_name


def action_timeout(original: Any, tuning: Tuning) -> float:
    return tuning.action_timeout_s


def shared_connection_session(original: Any, tuning: Tuning) -> Callable[..., Any]:
    import asyncio
    import weakref

    import aiohttp
    import rasa.utils.endpoints as endpoints_module

    pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.TCPConnector] = (
        weakref.WeakKeyDictionary()
    )

    def session(self: Any) -> aiohttp.ClientSession:
        """Rasa's session (headers, basic auth, timeout) over the loop's shared pool."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return original(self)
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

    return session


def action_response_check(original: Any, tuning: Tuning) -> Callable[..., bool]:
    import rasa.core.actions.action as action_module
    from rasa.shared.constants import DOCS_BASE_URL

    from assistant.rasa_server.action_response import ActionResponseValidator

    validator = ActionResponseValidator(action_module.RemoteAction.action_response_format_spec())
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

    return validate_action_result


def event_classes_by_name(original: Any, tuning: Tuning) -> staticmethod:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    rasas = original.__func__  # a staticmethod in Event's __dict__
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

    return staticmethod(resolve_by_type)


def planned_graph_runner(original: Any, tuning: Tuning) -> type:
    from assistant.rasa_server.graph_runner import PlannedGraphRunner

    if not issubclass(PlannedGraphRunner, original):
        raise TypeError(f"PlannedGraphRunner does not extend {original!r}")
    return PlannedGraphRunner


def remembered_rule_matches(original: Any, tuning: Tuning) -> Callable[..., Set[str]]:
    import weakref

    from assistant.rasa_server.rule_matches import RuleMatches

    memories: weakref.WeakKeyDictionary[Any, Dict[int, RuleMatches]] = weakref.WeakKeyDictionary()

    def get_possible_keys(self: Any, lookup: Dict[str, str], states: List[Any]) -> Set[str]:
        by_lookup = memories.setdefault(self, {})
        matches = by_lookup.get(id(lookup))
        if matches is None or not matches.fits(lookup):
            matches = by_lookup[id(lookup)] = RuleMatches(lookup)
        return matches.possible_keys(states, lambda: original(self, lookup, states))

    return get_possible_keys


def remembered_past_states(original: Any, tuning: Tuning) -> Callable[..., Any]:
    from assistant.rasa_server.past_states import remembering

    return remembering(original)


def remembered_emptiness(original: Any, tuning: Tuning) -> Callable[[Any], bool]:
    def is_empty(self: Any) -> bool:
        known = self.__dict__.get("_is_empty_remembered")
        if known is None:
            known = self.__dict__["_is_empty_remembered"] = original(self)
        return bool(known)

    return is_empty


def session_is_full(events: Sequence[Any], limit: int) -> bool:
    """Whether the current session (the events after the last ``session_started``) has more
    than ``limit`` events; looks at no more than ``limit + 1`` events."""
    for count, event in enumerate(reversed(events), start=1):
        if event.type_name == SESSION_STARTED:
            return False
        if count > limit:
            return True
    return False


def session_length_cap(original: Any, tuning: Tuning) -> Callable[[Any, Any], bool]:
    limit = tuning.max_session_events

    def has_session_expired(self: Any, tracker: Any) -> bool:
        if original(self, tracker):
            return True
        enabled = self.domain.session_config.are_sessions_enabled()
        return bool(enabled and session_is_full(tracker.events, limit))

    return has_session_expired


def debug_log_copies(original: Any, tuning: Tuning) -> Any:
    import copy

    from assistant.rasa_server.debug_copies import DebugLogCopies

    if original is not copy:
        raise TypeError(f"expected the copy module, found {original!r}")
    return DebugLogCopies()


def freeze_after_loading(original: Any, tuning: Tuning) -> Callable[..., Awaitable[Any]]:
    """Rasa's start-up listener, then a last full collection and a freeze."""

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
        agent = await original(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return agent

    return load_agent_on_start
