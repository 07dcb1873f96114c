"""Explicit requests for a language, and languages merely named."""

from __future__ import annotations

import pytest

from assistant.language.requests import named_language, requested_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("en español por favor", "es"),
        ("EN ESPANOL", "es"),
        ("¿Habla español?", "es"),
        ("puede contestarme en español", "es"),
        ("can u answer in spanish", "es"),
        ("do you speak Spanish?", "es"),
        ("what is immunotherapy in spanish", "es"),
        ("español", "es"),
        ("English please", "en"),
        ("english pls", "en"),
        ("hablas ingles?", "en"),
        ("puedes responderme en inglés", "en"),
        ("in English", "en"),
    ],
)
def test_a_request_names_the_language_asked_for(text: str, language: str) -> None:
    assert requested_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "my daughter speaks spanish",
        "mi mamá habla español",
        "Is there a Spanish speaking nurse?",
        "the brochure was in english and spanish",
        "what is immunotherapy",
        "sí",
    ],
)
def test_naming_a_language_in_passing_is_no_request(text: str) -> None:
    assert requested_language(text) is None


def test_named_language_finds_the_one_language_named() -> None:
    assert named_language("can you switch to spanish") == "es"
    assert named_language("ingles") == "en"
    assert named_language("spanish or english?") is None
    assert named_language("another language please") is None
