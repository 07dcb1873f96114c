"""The triage tiers, their intents and their fixed precedence.

``emergency`` and ``self_harm`` outrank everything (both can hold at once: an overdose already
taken is 911 now and 988), then ``urgent_symptom``, then ``symptom_report``; an ordinary message
has no tier. Each tier is also an intent of the classifier, so either signal can raise it.
"""

from __future__ import annotations

import enum
from typing import FrozenSet, Iterable, Optional

from assistant import dialogue_names as names


class Tier(str, enum.Enum):
    EMERGENCY = names.EMERGENCY
    SELF_HARM = names.SELF_HARM
    URGENT_SYMPTOM = names.URGENT_SYMPTOM
    SYMPTOM_REPORT = names.SYMPTOM_REPORT

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    Tier.EMERGENCY: 3,
    Tier.SELF_HARM: 3,
    Tier.URGENT_SYMPTOM: 2,
    Tier.SYMPTOM_REPORT: 1,
}

TIER_INTENTS: FrozenSet[str] = frozenset(tier.value for tier in Tier)
# Tiers whose answers must exist in Spanish (the Spanish safety floor).
SPANISH_FLOOR_INTENTS: FrozenSet[str] = frozenset(
    {Tier.EMERGENCY.value, Tier.SELF_HARM.value, Tier.URGENT_SYMPTOM.value}
)
# The entity a red-flag entry names, e.g. ``{red_flag: fever}``.
RED_FLAG_ENTITY = names.RED_FLAG_ENTITY


def tier_of(intent: Optional[str]) -> Optional[Tier]:
    """The tier an intent stands for, or None for an ordinary intent."""
    try:
        return Tier(intent) if intent else None
    except ValueError:
        return None


# The order the dialogue answers in: emergency over self-harm (both kept where both hold) over
# an urgent symptom over a symptom report.
PRECEDENCE = (Tier.EMERGENCY, Tier.SELF_HARM, Tier.URGENT_SYMPTOM, Tier.SYMPTOM_REPORT)


def first_tier(tiers: Iterable[Tier]) -> Optional[Tier]:
    """The tier of ``tiers`` that comes first in ``PRECEDENCE``, if any."""
    found = set(tiers)
    return next((tier for tier in PRECEDENCE if tier in found), None)


def top_tiers(tiers: Iterable[Tier]) -> FrozenSet[Tier]:
    """The tiers of highest rank among ``tiers`` (emergency and self-harm may both stay)."""
    found = set(tiers)
    if not found:
        return frozenset()
    best = max(tier.rank for tier in found)
    return frozenset(tier for tier in found if tier.rank == best)
