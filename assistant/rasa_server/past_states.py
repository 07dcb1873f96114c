"""A tracker's past states, worked out once per history instead of once per policy.

Rasa 3.6's policies ask ``DialogueStateTracker.past_states`` for the dialogue's states on
every prediction: RulePolicy twice (for the message's text and for its intent) and
MemoizationPolicy once. Each call replays the whole session's events on a fresh tracker, which
was about a tenth of the Rasa server's CPU per message.

``remembering(rasas)`` wraps Rasa's method: its answer is kept on the tracker, with the
domain (held weakly) and the arguments it was asked for, and given again while the tracker's
history is the same. The history counts as the same while it has as many events and the same
last event object: a tracker's events are only appended, or all replaced (a restart or a
rewind appends an event too). The states are pure functions of the events; slot values set
any other way are not read (Rasa replays from the slots' initial values).

Callers change the states they get (``_choose_last_user_input`` drops the text or the
intent of the last one), so each caller gets its own copy of the states and their
sub-states. The values inside are tuples and strings.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Dict, Hashable, List, Optional, Tuple

State = Dict[str, Dict[str, Any]]
PastStates = Callable[..., List[State]]
MEMORY_ATTRIBUTE = "_past_states_remembered"


def history_mark(tracker: Any) -> Tuple[int, int]:
    """How many events the tracker has, and which object is the last."""
    events = tracker.events
    return len(events), (id(events[-1]) if events else 0)


def copy_states(states: List[State]) -> List[State]:
    return [
        {state_type: dict(sub_state) for state_type, sub_state in state.items()} for state in states
    ]


def _freeze(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((key, _freeze(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(item) for item in value)
    return value


def remembering(rasas: PastStates) -> PastStates:
    """Rasa's ``past_states``, remembered on the tracker while its history is unchanged."""

    def past_states(
        self: Any,
        domain: Any,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: Optional[Dict[str, Any]] = None,
    ) -> List[State]:
        key = (id(domain), omit_unset_slots, ignore_rule_only_turns, _freeze(rule_only_data))
        mark = history_mark(self)
        memory = self.__dict__.get(MEMORY_ATTRIBUTE)
        if memory is None or memory[0] != mark:
            memory = (mark, {})
            self.__dict__[MEMORY_ATTRIBUTE] = memory
        known = memory[1].get(key)
        if known is None or known[0]() is not domain:
            states = rasas(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
            memory[1][key] = (weakref.ref(domain), copy_states(states))
            return states
        return copy_states(known[1])

    return past_states
