"""Tiers: precedence, intent lookup, and the top tiers of a set."""

from __future__ import annotations

from typing import Optional

import pytest

from assistant.triage.tiers import (
    SPANISH_FLOOR_INTENTS,
    TIER_INTENTS,
    Tier,
    tier_of,
    top_tiers,
)

E, S, U, R = Tier.EMERGENCY, Tier.SELF_HARM, Tier.URGENT_SYMPTOM, Tier.SYMPTOM_REPORT


def test_emergency_and_self_harm_share_the_highest_rank() -> None:
    assert E.rank == S.rank
    assert E.rank > U.rank > R.rank


def test_every_tier_is_an_intent() -> None:
    assert {"emergency", "self_harm", "urgent_symptom", "symptom_report"} == TIER_INTENTS


def test_spanish_floor_leaves_out_symptom_reports() -> None:
    assert {"emergency", "self_harm", "urgent_symptom"} == SPANISH_FLOOR_INTENTS


@pytest.mark.parametrize(
    ("intent", "expected"),
    [
        ("emergency", E),
        ("self_harm", S),
        ("urgent_symptom", U),
        ("symptom_report", R),
        ("greet", None),
        ("nlu_fallback", None),
        ("Emergency", None),
        ("", None),
        (None, None),
    ],
)
def test_tier_of(intent: Optional[str], expected: Optional[Tier]) -> None:
    assert tier_of(intent) is expected


@pytest.mark.parametrize(
    ("tiers", "expected"),
    [
        ([], set()),
        ([R], {R}),
        ([R, U], {U}),
        ([U, E, R], {E}),
        ([S, U], {S}),
        ([E, S, U, R], {E, S}),
        ([U, U], {U}),
    ],
)
def test_top_tiers(tiers: list[Tier], expected: set[Tier]) -> None:
    assert top_tiers(tiers) == frozenset(expected)


def test_top_tiers_takes_any_iterable() -> None:
    assert top_tiers(iter([R, U])) == frozenset({U})


def test_tier_is_its_intent_string() -> None:
    assert Tier.URGENT_SYMPTOM == "urgent_symptom"
    assert Tier("self_harm") is S
