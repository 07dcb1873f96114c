"""Two signals, either one enough: the red-flag matcher and the classifier's own intents.

The matcher reads phrases (with negation, typos and gaps) and numbers; the classifier reads
phrasings no list has. Each can raise a message's tier; neither can lower what the other
found. Two exceptions, where the matcher has read the message more closely than the classifier can:
- negation: when every phrase of a tier in the message is negated ("no chest pain, just a
  question about parking"), the classifier cannot raise that tier on its own;
- a different tier: when the matcher found red flags of another tier ("so dizzy I might
  faint" is an urgent symptom), the classifier must be surer to raise a tier the matcher did
  not see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from assistant.dialogue_names import (
    AFFIRM,
    CANCEL,
    DENY,
    GOODBYE,
    MEDICAL_ADVICE,
    NLU_FALLBACK,
    SIDE_EFFECT_ENTITY,
    THANK,
    TRIAGE_LANGUAGE,
    TRIAGE_MIXED,
    TRIAGE_RED_FLAGS,
    TRIAGE_SIDE_EFFECTS,
    TRIAGE_TIERS,
)
from assistant.nlu.terms import TermMatch
from assistant.triage.counts import OVERDOSE, numeric_red_flag
from assistant.triage.language import ES, guess_language, is_mixed
from assistant.triage.tiers import RED_FLAG_ENTITY, Tier, first_tier, tier_of, top_tiers

# An overdose already taken is 911 now and 988.
OVERDOSE_TIERS = frozenset({Tier.EMERGENCY, Tier.SELF_HARM})

# How sure the classifier must be of a tier's intent to raise the tier on its own.
DEFAULT_CLASSIFIER_FLOORS: Mapping[Tier, float] = {
    Tier.EMERGENCY: 0.5,
    Tier.SELF_HARM: 0.4,
    Tier.URGENT_SYMPTOM: 0.5,
    Tier.SYMPTOM_REPORT: 0.5,
}
DEFAULT_NEGATED_FLOOR = 1.01  # never: the matcher saw the phrase and its negation
DEFAULT_DISAGREEING_FLOOR = 0.7
# Personal medical advice (doses, stopping a drug) about an ordinary side effect stays advice.
ADVICE_INTENT = MEDICAL_ADVICE
DEFAULT_ADVICE_FLOOR = 0.5
# Replies and commands the rules answer in a fixed way; a 911/988 intent ranked right behind
# one of them with this confidence raises the tier.
REPLY_INTENTS = frozenset({AFFIRM, DENY, CANCEL, GOODBYE, THANK})
DEFAULT_BEHIND_REPLY_FLOOR = 0.2

# Someone has the side effect (rather than asks about it): "I have", "my wife's been", "since
# my infusion", "tengo", "desde la infusión".
_EXPERIENCE = re.compile(
    r"\b(?:i\s*(?:'?m|'?ve|am|have|had|got|get|keep|feel|felt|started|noticed|broke)"
    r"|i'?ve|ive|im|(?:he|she|they|we)\s*(?:'s|'re|is|are|has|have|had|got|keeps?|feels?)"
    r"|(?:my|his|her|our)\s+\w+|since\s+(?:my|his|her|the|last|yesterday|monday|tuesday"
    r"|wednesday|thursday|friday|saturday|sunday)|after\s+(?:my|his|her)"
    r"|is\s+(?:that|this|it)\s+normal|should\s+i\s+(?:be\s+)?worr"
    r"|tengo|tiene|me\s+(?:sali[oó]|dio|duele|siento)|desde|despu[eé]s\s+de)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TriageSettings:
    classifier_floors: Mapping[Tier, float] = field(
        default_factory=lambda: dict(DEFAULT_CLASSIFIER_FLOORS)
    )
    negated_floor: float = DEFAULT_NEGATED_FLOOR
    disagreeing_floor: float = DEFAULT_DISAGREEING_FLOOR
    advice_floor: float = DEFAULT_ADVICE_FLOOR
    behind_reply_floor: float = DEFAULT_BEHIND_REPLY_FLOOR


@dataclass(frozen=True)
class TriageResult:
    """What a message is, for triage: its tiers (highest only), why, and in which language."""

    tiers: FrozenSet[Tier]
    red_flags: Tuple[str, ...] = ()
    side_effects: Tuple[str, ...] = ()
    language: Optional[str] = None
    matcher_tiers: FrozenSet[Tier] = frozenset()
    classifier_tier: Optional[Tier] = None
    negated: Tuple[str, ...] = ()
    mixed: bool = False  # clear words of both languages: safety answers in both

    @property
    def intent(self) -> Optional[str]:
        """The intent the dialogue should see: emergency over self-harm over urgent over a
        symptom report (both 911 and 988 travel in ``tiers``)."""
        tier = first_tier(self.tiers)
        return tier.value if tier else None

    def as_dict(self) -> Dict[str, Any]:
        return {
            TRIAGE_TIERS: sorted(tier.value for tier in self.tiers),
            TRIAGE_RED_FLAGS: list(self.red_flags),
            TRIAGE_SIDE_EFFECTS: list(self.side_effects),
            TRIAGE_LANGUAGE: self.language,
            "signals": {
                "matcher": sorted(tier.value for tier in self.matcher_tiers),
                "classifier": self.classifier_tier.value if self.classifier_tier else None,
            },
            "negated": list(self.negated),
            TRIAGE_MIXED: self.mixed,
        }


def reports_an_experience(text: str) -> bool:
    """Whether the message tells of something someone has, rather than asks in general."""
    return bool(_EXPERIENCE.search(text))


def _ranked(ranking: Sequence[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    """The classifier's ranking without the fallback pseudo-intent."""
    return [item for item in ranking if item.get("name") != NLU_FALLBACK]


def _confidence(item: Mapping[str, Any]) -> float:
    return float(item.get("confidence") or 0.0)


def _classifier_vote(
    ranking: Sequence[Mapping[str, Any]], settings: TriageSettings
) -> Tuple[Optional[Tier], float, float]:
    """The tier of the classifier's best intent, its confidence and the floor it must reach.
    When the best is a reply or a command ("no", "stop", "thanks", "bye"), a 911 or 988 intent
    close behind it votes instead: such a message must never be answered as a reply."""
    ranked = _ranked(ranking)
    if not ranked:
        return None, 0.0, 1.0
    best = ranked[0]
    if best.get("name") in REPLY_INTENTS:
        for item in ranked[1:]:
            tier = tier_of(str(item.get("name")))
            if tier in (Tier.EMERGENCY, Tier.SELF_HARM):
                if _confidence(item) >= settings.behind_reply_floor:
                    return tier, _confidence(item), settings.behind_reply_floor
    tier = tier_of(str(best.get("name")))
    floor = settings.classifier_floors.get(tier, 1.0) if tier else 1.0
    return tier, _confidence(best), floor


def _asks_for_advice(ranking: Sequence[Mapping[str, Any]], settings: TriageSettings) -> bool:
    ranked = _ranked(ranking)
    return (
        bool(ranked)
        and ranked[0].get("name") == ADVICE_INTENT
        and _confidence(ranked[0]) >= settings.advice_floor
    )


def decide(
    text: str,
    matches: Sequence[TermMatch],
    ranking: Sequence[Mapping[str, Any]],
    settings: Optional[TriageSettings] = None,
) -> TriageResult:
    """Combine the matcher's phrases and numbers with the classifier's ranking."""
    settings = settings or TriageSettings()
    positive = [match for match in matches if not match.negated]
    negated = [match for match in matches if match.negated and match.tiers]
    matcher_tiers: set[Tier] = set()
    red_flags: List[str] = []
    for match in positive:
        matcher_tiers.update(match.tiers)
        if match.tiers and match.entity == RED_FLAG_ENTITY and match.value not in red_flags:
            red_flags.append(match.value)
    numeric = numeric_red_flag(text)
    if numeric is not None:
        matcher_tiers.update(OVERDOSE_TIERS if numeric == OVERDOSE else {Tier.URGENT_SYMPTOM})
        if numeric not in red_flags:
            red_flags.append(numeric)
    side_effects = tuple(
        dict.fromkeys(m.value for m in positive if m.entity == SIDE_EFFECT_ENTITY and not m.tiers)
    )
    if side_effects and reports_an_experience(text):
        matcher_tiers.add(Tier.SYMPTOM_REPORT)

    vote, confidence, floor = _classifier_vote(ranking, settings)
    classifier_tier: Optional[Tier] = None
    if vote is not None:
        negated_only = any(vote in m.tiers for m in negated) and not any(
            t.rank >= vote.rank for t in matcher_tiers
        )
        if negated_only:
            floor = max(floor, settings.negated_floor)
        elif matcher_tiers and vote not in matcher_tiers:
            floor = max(floor, settings.disagreeing_floor)
        if confidence >= floor:
            classifier_tier = vote

    if matcher_tiers == {Tier.SYMPTOM_REPORT} and _asks_for_advice(ranking, settings):
        # "Can I cut my dose because I'm so tired?": the decision belongs to the care team,
        # and the medical-advice answer says so (a red flag would still raise the tier).
        matcher_tiers = set()
    tiers = top_tiers([*matcher_tiers, *([classifier_tier] if classifier_tier else [])])
    tier_matches = [m for m in positive if m.tiers]
    spanish_phrase = any(m.language == ES for m in tier_matches)
    language = ES if spanish_phrase else guess_language(text)
    mixed = is_mixed(text) or (spanish_phrase and any(m.language != ES for m in tier_matches))
    return TriageResult(
        tiers=tiers,
        red_flags=tuple(red_flags),
        side_effects=side_effects,
        language=language,
        matcher_tiers=frozenset(matcher_tiers),
        classifier_tier=classifier_tier,
        negated=tuple(m.text for m in negated),
        mixed=mixed,
    )
