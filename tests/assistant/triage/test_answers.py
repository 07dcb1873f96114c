"""read_triage() from parse data, and triage_entries() against the real knowledge."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

import pytest

from assistant.knowledge import KnowledgeBase
from assistant.triage.answers import TriageReading, read_triage, triage_entries
from assistant.triage.tiers import Tier

E, S, U, R = Tier.EMERGENCY, Tier.SELF_HARM, Tier.URGENT_SYMPTOM, Tier.SYMPTOM_REPORT


def entity(name: str, value: Any) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 1}


def test_button_payload_without_triage_block() -> None:
    parse_data = {
        "intent": {"name": "urgent_symptom", "confidence": 1.0},
        "entities": [entity("red_flag", "fever")],
    }
    assert read_triage(parse_data) == TriageReading(frozenset({U}), ("fever",), (), "en")


def test_triage_block_merged_with_intent_and_entities() -> None:
    parse_data = {
        "intent": {"name": "nlu_fallback"},
        "entities": [
            entity("red_flag", "overdose"),
            entity("red_flag", "chest_pain"),
            entity("side_effect", "rash"),
            entity("red_flag", None),
            entity("body_part", "chest"),
        ],
        "triage": {
            "tiers": ["emergency", "self_harm", "bogus"],
            "red_flags": ["overdose"],
            "side_effects": [],
            "language": "es",
        },
    }
    reading = read_triage(parse_data)
    assert reading.tiers == {E, S}
    assert reading.red_flags == ("overdose", "chest_pain")
    assert reading.side_effects == ("rash",)
    assert reading.language == "es"
    assert reading.top is E


@pytest.mark.parametrize(
    "parse_data",
    [{}, {"intent": None}, {"intent": {"name": "greet"}, "entities": [], "text": "hi"}],
)
def test_ordinary_message_has_no_tier(parse_data: Dict[str, Any]) -> None:
    reading = read_triage(parse_data)
    assert reading.tiers == frozenset()
    assert reading.top is None
    assert reading.language == "en"


@pytest.mark.parametrize(
    ("parse_data", "expected"),
    [
        ({"language": "es"}, "es"),
        ({"language": "es", "triage": {"language": "en"}}, "es"),  # the message's own first
        ({"triage": {"language": "es"}}, "es"),
        ({"language": "fr"}, "en"),
        ({"triage": {"language": None}}, "en"),
    ],
)
def test_language(parse_data: Dict[str, Any], expected: str) -> None:
    assert read_triage(parse_data).language == expected


def test_entries_exist(knowledge: KnowledgeBase) -> None:
    for entry_id in (
        "safety.overdose",
        "safety.emergency",
        "safety.self_harm",
        "urgent.fever",
        "urgent.general",
        "symptom_report.rash",
        "symptom_report.general",
    ):
        assert knowledge.get(entry_id).id == entry_id


@pytest.mark.parametrize(
    ("tiers", "red_flags", "side_effects", "expected"),
    [
        ({E}, ("overdose",), (), ["safety.overdose"]),
        ({S}, ("overdose",), (), ["safety.overdose"]),
        ({E, S}, ("overdose", "chest_pain"), (), ["safety.overdose"]),
        ({E, S}, (), (), ["safety.emergency", "safety.self_harm"]),
        ({E}, (), (), ["safety.emergency"]),
        ({S}, (), (), ["safety.self_harm"]),
        ({U}, ("fever",), (), ["urgent.fever"]),
        ({U}, (), (), ["urgent.general"]),
        ({U}, ("overdose",), (), ["urgent.general"]),  # overdose needs a 911/988 tier
        ({U, R}, ("fever",), ("rash",), ["urgent.fever"]),
        ({R}, (), ("rash",), ["symptom_report.rash"]),
        ({R}, (), (), ["symptom_report.general"]),
        ({R}, ("fever",), (), ["symptom_report.general"]),
        (set(), ("fever",), ("rash",), []),
    ],
)
def test_triage_entries(
    knowledge: KnowledgeBase,
    tiers: set,
    red_flags: Sequence[str],
    side_effects: Sequence[str],
    expected: List[str],
) -> None:
    reading = TriageReading(frozenset(tiers), tuple(red_flags), tuple(side_effects))
    assert triage_entries(knowledge, reading) == expected


def test_entries_from_a_button_payload(knowledge: KnowledgeBase) -> None:
    parse_data = {"intent": {"name": "symptom_report"}, "entities": [entity("side_effect", "rash")]}
    assert triage_entries(knowledge, read_triage(parse_data)) == ["symptom_report.rash"]
