"""Every Rasa internal this project replaces: one ``Patch`` row each, in ``PATCHES``.

The rows are written for Rasa ``PINNED_RASA_VERSION``. ``tuning.apply`` installs them all or
none (see its checks), ``tuning.restore`` puts Rasa's values back, and
``python -m assistant.rasa_server.patches_doc`` writes ``docs/rasa-patches.md`` from them.
A py-spy profile of the Rasa server under load showed where stock Rasa 3.6 spends its time;
each row's ``why`` gives the share it took. Importing this module imports no Rasa.
"""

from __future__ import annotations

import importlib
import inspect
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Set, Tuple

from assistant.rasa_server import replacements
from assistant.rasa_server.debug_copies import MODULES as DEBUG_COPY_MODULES
from assistant.rasa_server.settings import SWITCH, Tuning

PINNED_RASA_VERSION = "3.6.21"

Factory = Callable[[Any, Tuning], Any]


def always(tuning: Tuning) -> bool:
    return True


def caps_sessions(tuning: Tuning) -> bool:
    return tuning.max_session_events > 0


@dataclass(frozen=True)
class Patch:
    """``owner.attribute`` becomes ``replacement(Rasa's value, settings)``."""

    owner: str  # a module ("rasa.core.processor") or a class in one ("rasa.core.run:Class")
    attribute: str  # a name in the owner's own __dict__
    replacement: Factory
    why: str  # what Rasa does, what takes its place, and what that saves
    used_by: str = ""  # for a module global: the code that must read the name, as an owner
    active: Callable[[Tuning], bool] = always
    also_off: str = ""  # how this row alone is switched off, besides ASSISTANT_RASA_TUNING=off

    @property
    def target(self) -> str:
        return f"{self.owner}.{self.attribute}".replace(":", ".")

    def switched_off_by(self) -> str:
        return f"`{SWITCH}=off`" + (f"; {self.also_off}" if self.also_off else "")


def resolve(owner: str) -> Any:
    """The module or class an owner string names; ImportError or AttributeError if none."""
    module_name, _, path = owner.partition(":")
    found: Any = importlib.import_module(module_name)
    where = module_name
    for part in path.split(".") if path else ():
        if part not in vars(found):
            raise AttributeError(f"{where} has no {part}")
        found, where = vars(found)[part], f"{where}.{part}"
    return found


def names_used(obj: Any) -> Set[str]:
    """The global and attribute names read by the code of a function, a class's functions, or
    every function and class defined in a module."""
    if isinstance(obj, types.ModuleType):
        defined = [
            value
            for value in vars(obj).values()
            if (inspect.isfunction(value) or inspect.isclass(value))
            and getattr(value, "__module__", None) == obj.__name__
        ]
        return set().union(*(names_used(value) for value in defined))
    if inspect.isclass(obj):
        return set().union(*(names_used(value) for value in vars(obj).values()))
    if isinstance(obj, (staticmethod, classmethod)):
        return names_used(obj.__func__)
    if isinstance(obj, property):
        return set().union(*(names_used(f) for f in (obj.fget, obj.fset, obj.fdel) if f))
    code = getattr(obj, "__code__", None)
    return set(_code_names(code)) if isinstance(code, types.CodeType) else set()


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_names(constant)


_COPY_WHY = (
    "Rasa passes deep copies of states, events and parse data as debug log arguments "
    "(`structlogger.debug(..., states=copy.deepcopy(states))`), about fourteen per message "
    "in the processor and the rule and memoization policies, and Python makes each copy "
    "before structlog drops the line: about 3 % of the CPU. `copy` serves nothing else in "
    "these modules (`test_debug_copies.py` reads their source). `DebugLogCopies` copies "
    "only while structlog lets debug lines through."
)

PATCHES: Tuple[Patch, ...] = (
    Patch(
        "rasa.core.actions.action",
        "DEFAULT_REQUEST_TIMEOUT",
        replacements.action_timeout,
        "Rasa waits up to 300 s for the action server. The channels answer a patient with the "
        "apology after their own deadline, but the turn went on in the background and held "
        "the conversation's lock for five minutes, so the patient's next message waited too. "
        "Here the wait is `ACTION_SERVER_TIMEOUT_S` (5 s); then Rasa logs the failed action "
        "and the turn ends.",
        used_by="rasa.core.actions.action:RemoteAction",
        also_off="`ACTION_SERVER_TIMEOUT_S` sets the wait (up to 300)",
    ),
    Patch(
        "rasa.utils.endpoints:EndpointConfig",
        "session",
        replacements.shared_connection_session,
        "Rasa opens a new HTTP session, and so a new TCP connection, for every action call. "
        "Here the sessions of one event loop share a connection pool (the same headers, basic "
        "auth and timeout); an idle connection is closed after 2 s (`CLIENT_KEEPALIVE_S`), "
        "well before the action server closes it (15 s).",
    ),
    Patch(
        "rasa.core.actions.action:RemoteAction",
        "_validate_action_result",
        replacements.action_response_check,
        "Rasa checks every action-server response with `jsonschema.validate`, which re-checks "
        "the schema itself, then tries each event against all 23 alternatives of a `oneOf`: "
        "about 8 ms per message. `ActionResponseValidator` checks each event against the one "
        "alternative its name selects: the same verdict and error text, about a tenth of the "
        "CPU.",
    ),
    Patch(
        "rasa.shared.core.events:Event",
        "resolve_by_type",
        replacements.event_classes_by_name,
        "Rasa walks every `Event` subclass, with an `inspect.isabstract` check each, for every "
        "event it reads back (about 5 % of the CPU). A found class is remembered by its name; "
        "unknown and old names go to Rasa's own method.",
    ),
    Patch(
        "rasa.core.processor",
        "DaskGraphRunner",
        replacements.planned_graph_runner,
        "Rasa's `DaskGraphRunner` prunes the predict graph and hands it to dask's scheduler on "
        "every run, twice per message: about a tenth of the CPU. The processor loads the model "
        "with `PlannedGraphRunner` instead: the same nodes with the same inputs, in an order "
        "worked out once per list of targets.",
        used_by="rasa.core.processor:MessageProcessor",
    ),
    Patch(
        "rasa.core.policies.rule_policy:RulePolicy",
        "_get_possible_keys",
        replacements.remembered_rule_matches,
        "Rasa checks each of the model's rules against the recent states twice per message: "
        "about a seventh of the CPU. The answers are remembered per dialogue shape "
        "(`RuleMatches`): the same rules for the same states, as far as the rules can see them.",
    ),
    Patch(
        "rasa.shared.core.trackers:DialogueStateTracker",
        "past_states",
        replacements.remembered_past_states,
        "RulePolicy (twice) and MemoizationPolicy ask for the past states on every prediction, "
        "and each call replays the whole session on a fresh tracker: about a tenth of the CPU. "
        "They are worked out once per history and domain (`past_states.remembering`); each "
        "caller gets its own copy.",
    ),
    Patch(
        "rasa.shared.core.domain:Domain",
        "is_empty",
        replacements.remembered_emptiness,
        "Rasa builds an empty domain and compares both as dicts on every message "
        "(`_check_for_unseen_features`). The answer is kept on the domain, which does not "
        "change once loaded.",
    ),
    Patch(
        "rasa.core.processor:MessageProcessor",
        "_has_session_expired",
        replacements.session_length_cap,
        "Rasa loads, replays and sends to the action server every event of the current "
        "session on every message, so a reply's cost grows with the session (5,000 messages "
        "in one web session: from 10 ms to over a second per reply). A session with more "
        "than `MAX_SESSION_EVENTS` events (600, about 130 patient messages) also counts as "
        "expired: `action_session_start` opens a new one and the old one stays in the tracker "
        "store. Counting stops at the session start or the limit.",
        active=caps_sessions,
        also_off="`MAX_SESSION_EVENTS=0`",
    ),
    *(
        Patch(module, "copy", replacements.debug_log_copies, _COPY_WHY, used_by=module)
        for module in DEBUG_COPY_MODULES
    ),
    Patch(
        "rasa.core.run",
        "load_agent_on_start",
        replacements.freeze_after_loading,
        "Once the model is loaded, the objects alive then (Rasa, TensorFlow, spaCy, the "
        "model: millions) are moved out of the garbage collector's reach (`gc.freeze`). Full "
        "collections scanned them all, up to 470 ms each, and those pauses were the slowest "
        "replies under load.",
        used_by="rasa.core.run:serve_application",
    ),
)
