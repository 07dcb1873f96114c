"""decide(): the red-flag matcher and the classifier, either one enough to raise a tier."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import pytest

from assistant.nlu.terms import TermMatch
from assistant.triage.decide import decide, reports_an_experience
from assistant.triage.tiers import Tier

E, S, U, R = Tier.EMERGENCY, Tier.SELF_HARM, Tier.URGENT_SYMPTOM, Tier.SYMPTOM_REPORT


def match(
    value: str = "chest_pain",
    tiers: Sequence[Tier] = (E,),
    *,
    entity: str = "red_flag",
    negated: bool = False,
    language: str = "en",
    text: str = "chest pain",
) -> TermMatch:
    return TermMatch(
        entity, value, f"x.{value}", 0, len(text), text, frozenset(tiers), negated, language
    )


def rash() -> TermMatch:
    return match("rash", (), entity="side_effect", text="rash")


def ranked(name: str, confidence: float) -> List[Dict[str, Any]]:
    return [{"name": name, "confidence": confidence}, {"name": "greet", "confidence": 0.01}]


def test_matcher_alone_raises() -> None:
    result = decide("I have chest pain", [match()], [])
    assert result.tiers == {E}
    assert result.red_flags == ("chest_pain",)
    assert result.classifier_tier is None
    assert result.intent == "emergency"


@pytest.mark.parametrize(
    ("intent", "confidence", "raised"),
    [
        ("emergency", 0.5, True),
        ("emergency", 0.49, False),
        ("self_harm", 0.4, True),
        ("self_harm", 0.39, False),
        ("urgent_symptom", 0.5, True),
        ("symptom_report", 0.49, False),
        ("greet", 0.99, False),  # only the best intent votes
    ],
)
def test_classifier_alone_raises_at_its_floor(intent: str, confidence: float, raised: bool) -> None:
    result = decide("hello there", [], ranked(intent, confidence))
    assert result.tiers == ({Tier(intent)} if raised else set())


def test_nlu_fallback_is_skipped() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.9},
        {"name": "self_harm", "confidence": 0.45},
    ]
    assert decide("hello there", [], ranking).tiers == {S}


def test_negated_phrase_keeps_the_classifier_from_raising_its_tier() -> None:
    result = decide("no chest pain", [match(negated=True)], ranked("emergency", 0.99))
    assert result.tiers == frozenset()
    assert result.negated == ("chest pain",)


def test_negated_phrase_of_another_tier_does_not_block() -> None:
    result = decide("no chest pain", [match(negated=True)], ranked("self_harm", 0.6))
    assert result.tiers == {S}


@pytest.mark.parametrize(("confidence", "expected"), [(0.69, {U}), (0.7, {E})])
def test_disagreeing_classifier_needs_the_higher_floor(confidence: float, expected: set) -> None:
    dizzy = match("dizziness", (U,), text="dizzy")
    result = decide("so dizzy I might faint", [dizzy], ranked("emergency", confidence))
    assert result.tiers == expected
    assert result.matcher_tiers == {U}


@pytest.mark.parametrize(
    ("matches", "ranking"),
    [
        ([match("overdose", (E, S), text="took all my pills")], []),
        ([match()], ranked("self_harm", 0.9)),
    ],
)
def test_emergency_and_self_harm_both_kept(matches: List[TermMatch], ranking: list) -> None:
    result = decide("took all my pills, chest pain", matches, ranking)
    assert result.tiers == {E, S}
    assert result.intent == "emergency"


@pytest.mark.parametrize(
    ("text", "tiers"),
    [
        ("I have a rash since my infusion", {R}),
        ("my wife's rash is back", {R}),
        ("tengo sarpullido", {R}),
        ("can immunotherapy cause a rash", set()),
        ("what does a rash look like", set()),
    ],
)
def test_symptom_report_needs_an_experience(text: str, tiers: set) -> None:
    result = decide(text, [rash()], [])
    assert result.tiers == tiers
    assert result.side_effects == ("rash",)


def test_experience_without_a_side_effect_is_no_report() -> None:
    assert reports_an_experience("I have a question")
    assert decide("I have a question", [], []).tiers == frozenset()


def test_numeric_fever_raises_urgent() -> None:
    result = decide("my temp is 101 F", [], [])
    assert result.tiers == {U}
    assert result.red_flags == ("fever",)


@pytest.mark.parametrize(
    ("text", "language", "tiers", "expected"),
    [
        ("pecho", "es", (E,), "es"),  # text too short to guess
        ("pecho", "en", (E,), None),
        ("I have a rash", "es", (), "en"),  # a side effect is not a triage phrase
    ],
)
def test_language(text: str, language: str, tiers: Sequence[Tier], expected: Optional[str]) -> None:
    assert decide(text, [match(tiers=tiers, language=language)], []).language == expected


def test_as_dict() -> None:
    matches = [match(), match(negated=True, text="no fever"), rash()]
    result = decide("I have chest pain and a rash", matches, ranked("emergency", 0.9))
    assert result.as_dict() == {
        "tiers": ["emergency"],
        "red_flags": ["chest_pain"],
        "side_effects": ["rash"],
        "language": "en",
        "signals": {"matcher": ["emergency", "symptom_report"], "classifier": "emergency"},
        "negated": ["no fever"],
        "mixed": False,
    }


@pytest.mark.parametrize("reply", ["deny", "cancel", "affirm", "goodbye", "thank"])
def test_a_988_intent_behind_a_reply_raises_the_tier(reply: str) -> None:
    ranking = [{"name": reply, "confidence": 0.55}, {"name": "self_harm", "confidence": 0.25}]
    assert decide("no i just cant anymore", [], ranking).tiers == {Tier.SELF_HARM}


def test_a_988_intent_far_behind_a_reply_does_not() -> None:
    ranking = [{"name": "deny", "confidence": 0.9}, {"name": "self_harm", "confidence": 0.05}]
    assert decide("no thanks", [], ranking).tiers == frozenset()


def test_a_911_intent_behind_a_question_is_not_raised_by_this_rule() -> None:
    ranking = [
        {"name": "ask_infusion_hours", "confidence": 0.6},
        {"name": "emergency", "confidence": 0.3},
    ]
    assert decide("when do you open", [], ranking).tiers == frozenset()
