"""Negation in front of a matched phrase: "no chest pain", "I don't have a fever", "sin fiebre";
and a phrase told as past history ("he had a seizure years ago"), which is not happening now.

A phrase is negated when a negation word stands at most ``WINDOW`` tokens before it, in the
same clause ("no fever but my chest hurts": the chest pain is not negated). Some negation words
only hedge or intensify, and do not negate what follows: "I can't stop coughing", "I'm not sure
it's chest pain" still report the symptom. When in doubt, a phrase counts as not negated.
"""

from __future__ import annotations

import itertools
from typing import Mapping, Sequence

WINDOW = 4

NEGATION_CUES: Mapping[str, frozenset[str]] = {
    # "avoid"/"prevent": a question about preventing something is not a report of it.
    "en": frozenset(
        {"no", "not", "never", "without", "none", "nor", "neither", "deny", "avoid", "prevent"}
    ),
    "es": frozenset(
        {"no", "sin", "nunca", "ni", "tampoco", "nada", "ningún", "ninguno", "evitar", "prevenir"}
    ),
}
# A negation word followed by one of these does not negate the symptom after it.
NOT_NEGATING_NEXT: Mapping[str, frozenset[str]] = {
    "en": frozenset(
        {"stop", "sure", "know", "think", "only", "just", "certain", "tell", "help", "seem"}
    ),
    "es": frozenset({"parar", "dejar", "saber", "sé", "estar", "solo", "sólo", "poder"}),
}
CLAUSE_BREAKS: Mapping[str, frozenset[str]] = {
    "en": frozenset(
        {
            "but", "and", "though", "although", "however", "except", "yet", "because",
            "so", "then", "now", "still", "also", "plus", "while",
            ".", ",", ";", ":", "!", "?", "-", "(", ")",
        }
    ),
    "es": frozenset(
        {
            "pero", "y", "e", "aunque", "sino", "porque", "ahora", "todavía", "también",
            "mientras", ".", ",", ";", ":", "!", "?", "¡", "¿", "-", "(", ")",
        }
    ),
}  # fmt: skip


def is_negated(keys: Sequence[str], start: int, language: str) -> bool:
    """Whether the phrase starting at token ``start`` of ``keys`` (lemma keys) is negated."""
    cues = NEGATION_CUES[language]
    breaks = CLAUSE_BREAKS[language]
    not_negating = NOT_NEGATING_NEXT[language]
    for position in range(start - 1, max(-1, start - 1 - WINDOW), -1):
        key = keys[position]
        if key in breaks:
            return False
        if key in cues:
            following = keys[position + 1] if position + 1 < len(keys) else ""
            if following in not_negating:
                continue
            return True
    return False


# Words after a phrase, in the same clause, that put it in the past: "a seizure years ago",
# "chest pain last year", "una convulsión hace años".
PAST_AFTER: Mapping[str, frozenset[str]] = {
    "en": frozenset({"ago", "history"}),
    "es": frozenset({"hace", "antes"}),
}
PAST_PAIRS: Mapping[str, frozenset[tuple[str, str]]] = {
    "en": frozenset({("last", "year"), ("last", "month"), ("in", "past"), ("as", "kid")}),
    "es": frozenset({("el", "año"), ("año", "pasado")}),
}
PAST_WINDOW = 4


def is_past(keys: Sequence[str], end: int, language: str) -> bool:
    """Whether the words right after a phrase (ending before token ``end``) tell it as past
    history rather than something happening now."""
    breaks = CLAUSE_BREAKS[language]
    following = []
    for key in keys[end : end + PAST_WINDOW]:
        if key in breaks:
            break
        following.append(key)
    if any(key in PAST_AFTER[language] for key in following):
        return True
    return any(pair in PAST_PAIRS[language] for pair in itertools.pairwise(following))
