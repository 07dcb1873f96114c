"""Language guess: Spanish, English, or undecided for replies too short to tell."""

from __future__ import annotations

from typing import Optional

import pytest

from assistant.triage.language import EN, ES, guess_language, is_mixed


@pytest.mark.parametrize(
    "text",
    [
        "tengo fiebre",
        "no tengo fiebre",
        "dolor de pecho",
        "quiero hablar con una enfermera",
        "¿dónde está?",
        "Mi esposo tiene mucho dolor",
        "DESDE AYER ME DUELE LA CABEZA",
        "necesito ayuda por favor",
    ],
)
def test_spanish(text: str) -> None:
    assert guess_language(text) == ES


@pytest.mark.parametrize(
    "text",
    [
        "I have a fever",
        "chest pain",
        "where is the infusion center",
        "yes please",
        "my wife has been feeling dizzy since yesterday",
    ],
)
def test_english(text: str) -> None:
    assert guess_language(text) == EN


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "sí",
        "si",
        "1",
        "ok",
        "hola",
        "mañana",
        "Maria",
        "Maria Lopez",
        "1 2 3",
        "",
    ],
)
def test_short_replies_and_names_stay_undecided(text: str) -> None:
    assert guess_language(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no sé", "es"),  # "no" is both languages; the accent decides
        ("no gracias", "es"),
        ("¡ayuda!", None),  # a single word, however Spanish
        ("¿qué pasa?", ES),
        ("help ayuda", None),
    ],
)
def test_ties_and_marks(text: str, expected: Optional[str]) -> None:
    assert guess_language(text) == expected


def test_repeated_no_stays_undecided() -> None:
    assert guess_language("no, no") is None


@pytest.mark.parametrize(
    ("text", "mixed"),
    [
        ("my mom tiene un rash con ampollas all over her arms", True),
        ("can my hija stay with me en el cuarto privado during the infusion", True),
        ("I have a fever of 101F since my infusion yesterday", False),
        ("i have a rash after my infusion is that normal", False),
        ("no, i dont have a fever and no cough", False),
        ("me duele mucho el pecho", False),
    ],
)
def test_mixed_needs_clear_words_of_both_languages(text: str, mixed: bool) -> None:
    """Shared words ("no", "a", "infusion") make no message mixed."""
    assert is_mixed(text) is mixed
