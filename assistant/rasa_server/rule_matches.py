"""``RuleMatches``: RulePolicy's rule matching, remembered per dialogue shape.

For every prediction, Rasa 3.6's ``RulePolicy._get_possible_keys`` checks each of the model's
rules (142 here) against the conversation's recent states, and it does so twice per user
message (once for the message's text, once for its intent). That was about a seventh of the
Rasa server's CPU per message.

The answer depends only on the rules and on what they can see of the states:
- only the last *depth* states, where depth is the longest rule's number of states
  (``_is_rule_applicable`` accepts any rule once it is further back than the rule is long);
- in those, only the values at the keys some rule mentions (``_does_rule_match_state`` reads
  nothing else), and whether a state has a previous action at all (``_is_rule_applicable``).

So the answer is remembered under a *signature* of the states that keeps exactly that: for
each of the last depth states and each sub-state, whether the sub-state is empty, and its
values at the keys the rules mention. The message's own text is not among them unless a rule
was written with a user text, so different wordings of one intent, at the same point of a
dialogue, share one entry, whatever came before that point.

The rules are fixed once the model is loaded (the serving process never trains). A lookup
whose size changes is read again. At most ``MAX_REMEMBERED`` signatures are kept per lookup,
then the memory starts over.
"""

from __future__ import annotations

import json
from operator import itemgetter
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Hashable,
    Iterable,
    List,
    Mapping,
    Set,
    Tuple,
)

MAX_REMEMBERED = 10_000

State = Mapping[str, Mapping[str, Any]]
Signature = Hashable
_by_key = itemgetter(0)
_NOTHING: FrozenSet[str] = frozenset()


def what_rules_see(rule_keys: Iterable[str]) -> Tuple[Dict[str, FrozenSet[str]], int]:
    """For each sub-state type (``user``, ``prev_action``, ``slots``, ...), the keys any rule
    reads; and the longest rule's number of states. A rule key is Rasa's JSON text of the
    rule's states."""
    mentioned: Dict[str, Set[str]] = {}
    depth = 0
    for rule_key in rule_keys:
        states = json.loads(rule_key)
        depth = max(depth, len(states))
        for state in states:
            for state_type, sub_state in state.items():
                mentioned.setdefault(state_type, set()).update(sub_state)
    return {state_type: frozenset(keys) for state_type, keys in mentioned.items()}, depth


class RuleMatches:
    """The remembered ``_get_possible_keys`` answers for one lookup (rule key -> action)."""

    def __init__(self, lookup: Mapping[str, str], limit: int = MAX_REMEMBERED) -> None:
        self.lookup = lookup
        self.size = len(lookup)
        self.limit = limit
        self._mentioned, self.depth = what_rules_see(lookup)
        self._answers: Dict[Signature, FrozenSet[str]] = {}
        self.hits = 0
        self.misses = 0

    def fits(self, lookup: Mapping[str, str]) -> bool:
        return lookup is self.lookup and len(lookup) == self.size

    def signature(self, states: List[State]) -> Signature:
        """What of ``states`` the rules can see."""
        seen = states[-self.depth :] if self.depth else []
        return tuple(_state_signature(state, self._mentioned) for state in seen)

    def possible_keys(self, states: List[State], compute: Callable[[], Set[str]]) -> Set[str]:
        """``compute()``'s answer for ``states``, from memory when the signature was seen.
        States with a value that cannot be hashed are not remembered."""
        signature = self.signature(states)
        try:
            known = self._answers.get(signature)
        except TypeError:
            return compute()
        if known is not None:
            self.hits += 1
            return set(known)
        self.misses += 1
        answer = compute()
        if len(self._answers) >= self.limit:
            self._answers.clear()
        self._answers[signature] = frozenset(answer)
        return answer


def _state_signature(
    state: State, mentioned: Mapping[str, FrozenSet[str]]
) -> Tuple[Tuple[str, bool, Tuple[Tuple[str, Any], ...]], ...]:
    """Per sub-state: its type, whether it is empty, and its values at the mentioned keys."""
    parts = []
    for state_type, sub_state in state.items():
        seen = mentioned.get(state_type, _NOTHING)
        values = tuple(sorted(((k, v) for k, v in sub_state.items() if k in seen), key=_by_key))
        parts.append((state_type, bool(sub_state), values))
    parts.sort(key=_by_key)
    return tuple(parts)
