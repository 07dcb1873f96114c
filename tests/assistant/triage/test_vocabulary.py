"""Known words: real words are never typo-corrected, misspellings are not known."""

from __future__ import annotations

import re

import pytest

from assistant.triage.vocabulary import is_known_word, known_words


@pytest.mark.parametrize(
    ("word", "language"),
    [
        ("never", "en"),
        ("weakness", "en"),
        ("nauseous", "en"),
        ("fever", "en"),
        ("Never", "en"),
        ("nunca", "es"),
        ("fiebre", "es"),
        ("dolor", "es"),
    ],
)
def test_real_words_are_known(word: str, language: str) -> None:
    assert is_known_word(word, language)


@pytest.mark.parametrize(
    ("word", "language"),
    [
        ("diarhea", "en"),
        ("pian", "en"),
        ("vomitting", "en"),
        ("seizre", "en"),
        ("fiebree", "es"),
    ],
)
def test_misspellings_are_not_known(word: str, language: str) -> None:
    assert not is_known_word(word, language)


@pytest.mark.parametrize("language", ["en", "es"])
def test_known_words_are_lower_case_words_only(language: str) -> None:
    words = known_words(language)
    assert len(words) > 10_000
    assert all(word == word.lower() for word in words)
    assert not any(re.search(r"[\d\s_]", word) for word in words)


def test_known_words_is_cached() -> None:
    assert known_words("en") is known_words("en")


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(KeyError):
        known_words("fr")
