"""The opening language a channel without a page language passes for a new conversation."""

from __future__ import annotations

import pytest

from assistant.channels.opening_language import opening_language
from assistant.dialogue_names import META_PAGE_LANGUAGE
from assistant.knowledge.base import KnowledgeBase


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hola, q es la inmunoterapia?", "es"),
        ("hola", "es"),  # one word, but a fairly sure guess: a new conversation may open in it
        ("buenas tardes necesito ayuda", "es"),
        ("hi what is immunotherapy", "en"),
        ("my mom has a rash after her infusion", "en"),
    ],
)
def test_a_fairly_sure_guess_is_passed_on(
    text: str, language: str, knowledge: KnowledgeBase
) -> None:
    assert opening_language(text, knowledge) == {META_PAGE_LANGUAGE: language}


@pytest.mark.parametrize("text", ["1", "👍", "?!", "9 9"])
def test_nothing_is_passed_without_letters(text: str, knowledge: KnowledgeBase) -> None:
    assert opening_language(text, knowledge) == {}


@pytest.mark.parametrize("text", ["hello", "hello hello", "Esperanza Cardenas", "qzwx vbnm"])
def test_a_greeting_a_name_or_gibberish_does_not_open_in_spanish(
    text: str, knowledge: KnowledgeBase
) -> None:
    assert opening_language(text, knowledge).get(META_PAGE_LANGUAGE) != "es"
