"""Which knowledge entries answer a triaged message, in which language.

Pure: it reads the parse data Rasa stored for the message (the ``triage`` block the NLU set,
or only the intent and entities for a button payload) and the knowledge, and names entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, FrozenSet, List, Mapping, Optional, Tuple

from assistant.dialogue_names import (
    PARSE_LANGUAGE,
    PARSE_TRIAGE,
    RED_FLAG_ENTITY,
    SIDE_EFFECT_ENTITY,
    TRIAGE_LANGUAGE,
    TRIAGE_MIXED,
    TRIAGE_RED_FLAGS,
    TRIAGE_SIDE_EFFECTS,
    TRIAGE_TIERS,
)
from assistant.knowledge import EN, ES, EntityMention, KnowledgeBase
from assistant.triage.tiers import Tier, first_tier, tier_of

OVERDOSE = "overdose"
# Tiers whose answer is marked ``emergency`` for the channels (shown first) and the console.
EMERGENCY_TIERS = frozenset({Tier.EMERGENCY, Tier.SELF_HARM})


@dataclass(frozen=True)
class TriageReading:
    """The triage of the latest message as the actions see it."""

    tiers: FrozenSet[Tier]
    red_flags: Tuple[str, ...] = ()
    side_effects: Tuple[str, ...] = ()
    language: str = EN
    mixed: bool = False

    @property
    def languages(self) -> Tuple[str, ...]:
        """The languages to answer in: both for a message that mixes them."""
        return (EN, ES) if self.mixed else (self.language,)

    @property
    def top(self) -> Optional[Tier]:
        return first_tier(self.tiers)


def _entity_values(parse_data: Mapping[str, Any], name: str) -> List[str]:
    return [
        str(entity["value"])
        for entity in parse_data.get("entities") or []
        if entity.get("entity") == name and entity.get("value") is not None
    ]


def read_triage(parse_data: Mapping[str, Any], default_language: str = EN) -> TriageReading:
    """The tiers, red flags, side effects and language of a message's parse data: Spanish when
    the triage's own reading (a Spanish red-flag phrase) or the detector says so, else what
    either says, else ``default_language`` (the conversation's)."""
    triage = parse_data.get(PARSE_TRIAGE) or {}
    tiers = {tier for tier in map(tier_of, triage.get(TRIAGE_TIERS) or []) if tier is not None}
    intent = tier_of((parse_data.get("intent") or {}).get("name"))
    if intent is not None:
        tiers.add(intent)
    red_flags = list(triage.get(TRIAGE_RED_FLAGS) or [])
    red_flags += [v for v in _entity_values(parse_data, RED_FLAG_ENTITY) if v not in red_flags]
    side_effects = list(triage.get(TRIAGE_SIDE_EFFECTS) or [])
    side_effects += [
        v for v in _entity_values(parse_data, SIDE_EFFECT_ENTITY) if v not in side_effects
    ]
    readings = (triage.get(TRIAGE_LANGUAGE), parse_data.get(PARSE_LANGUAGE))
    language = ES if ES in readings else next((r for r in readings if r), default_language)
    return TriageReading(
        tiers=frozenset(tiers),
        red_flags=tuple(red_flags),
        side_effects=tuple(side_effects),
        language=ES if language == ES else EN,
        mixed=bool(triage.get(TRIAGE_MIXED)),
    )


def _select(knowledge: KnowledgeBase, tier: Tier, entity: str, values: Tuple[str, ...]) -> str:
    entry = knowledge.select(tier.value, [EntityMention(entity, value) for value in values])
    if entry is None:
        raise LookupError(f"no knowledge entry answers the {tier.value} tier")
    return entry.id


def triage_entries(knowledge: KnowledgeBase, reading: TriageReading) -> List[str]:
    """The entries to send, most urgent first: an overdose is 911 and 988 in one answer; 911
    and 988 together are both answers; otherwise the top tier's answer for the red flag or
    side effect named, else that tier's general answer."""
    flags = reading.red_flags
    if OVERDOSE in flags and reading.tiers & EMERGENCY_TIERS:
        return [_select(knowledge, Tier.EMERGENCY, RED_FLAG_ENTITY, (OVERDOSE,))]
    if {Tier.EMERGENCY, Tier.SELF_HARM} <= reading.tiers:
        return [
            _select(knowledge, Tier.EMERGENCY, RED_FLAG_ENTITY, ()),
            _select(knowledge, Tier.SELF_HARM, RED_FLAG_ENTITY, ()),
        ]
    top = reading.top
    if top is None:
        return []
    if top is Tier.SYMPTOM_REPORT:
        return [_select(knowledge, top, SIDE_EFFECT_ENTITY, reading.side_effects)]
    return [_select(knowledge, top, RED_FLAG_ENTITY, flags)]
