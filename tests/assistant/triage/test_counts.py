"""Numeric red flags: a temperature at the fever line, diarrhea four or more times a day."""

from __future__ import annotations

from typing import Optional

import pytest

from assistant.triage.counts import (
    DIARRHEA,
    FEVER,
    diarrhea_count,
    has_fever_temperature,
    numeric_red_flag,
)


@pytest.mark.parametrize(
    "text",
    [
        "my temp is 100.4",  # the line itself, °F
        "100.4F",
        "101 F",
        "100.8 °F",
        "102 degrees",
        "fever of 102",
        "temperature is 38.6",
        "38 C",  # the line itself, °C
        "temp of 38",
        "39º",
        "38,5 grados",
        "fiebre de 39",
        "tengo calentura de 38.2",
        "temperatura 40",
        "110 F",  # highest °F
        "43 C",  # highest °C
    ],
)
def test_fever_temperatures(text: str) -> None:
    assert has_fever_temperature(text)
    assert numeric_red_flag(text) == FEVER


@pytest.mark.parametrize(
    "text",
    [
        "temp 100.3",  # just under the line, °F
        "37.9 C",  # just under the line, °C
        "temp 98.6",
        "my fever was 99",
        "fever 100",
        "temp 111",  # above any body temperature
        "44 C",
        "101.5",  # a bare number
        "I am in room 102",
        "call me at 310-423-1234",
        "I am 101 years old",
        "I am 38",
        "38 years old with a fever",
        "my infusion is at 10, for 3 hours",
        "fever for 3 days",
        "my temperature is one hundred and two",
    ],
)
def test_not_fever_temperatures(text: str) -> None:
    assert not has_fever_temperature(text)


@pytest.mark.parametrize(
    "text", ["no fever, I'm 39", "temp ok, room 101", "fiebre no, tengo 40 años"]
)
def test_ages_and_rooms_after_the_word_are_not_temperatures(text: str) -> None:
    assert not has_fever_temperature(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("diarrhea 5 times today", 5),
        ("diarrhea 3 times", 3),
        ("diarrhea 4x", 4),
        ("diarrhea four times", 4),
        ("diarhea ten times", 10),
        ("diarrhea eleven times", 11),
        ("6 loose stools", 6),
        ("I went to the bathroom 4 times", 4),
        ("diarrhea 12 bowel movements", 12),
        ("diarrhea for 2 days, 6 times a day", 6),  # the largest count
        ("diarrea 4 veces", 4),
        ("diarrea cinco veces hoy", 5),
        ("fui al baño siete veces", 7),
        ("4 times", None),  # no diarrhea word
        ("diarrhea since 4 days", None),
        ("I've had diarrhea for 5 hours", None),
        ("diarrhea, room 12", None),
        ("diarrhea, call me at 310-423-1234", None),
        ("diarrhea", None),
    ],
)
def test_diarrhea_count(text: str, expected: Optional[int]) -> None:
    assert diarrhea_count(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("diarrhea 4 times today", DIARRHEA),  # the line itself
        ("diarrhea 3 times today", None),
        ("diarrea seis veces", DIARRHEA),
        ("temp 101 F and diarrhea 6 times", FEVER),  # fever is checked first
        ("I have a rash", None),
        ("I'm 72 and in room 301", None),
    ],
)
def test_numeric_red_flag(text: str, expected: Optional[str]) -> None:
    assert numeric_red_flag(text) == expected
