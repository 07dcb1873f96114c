"""Per-message detection: confident on a sentence in either language, undecided on a one-word
reply, a number, an emoji, a name or gibberish, whatever lingua's guess."""

from __future__ import annotations

import pytest

from assistant.language.detect import CONFIDENCE_FLOOR, detect
from assistant.language.vocabulary import Vocabulary


@pytest.mark.parametrize(
    "text",
    [
        "q es la inmunoterapia?",
        "mi esposo tiene fiebre desde ayer y no se le quita",
        "a q hora abren el centro de infusion el sabado",
        "Me podría decir cuáles son los efectos secundarios",
        "necesito hablar con alguien x favor",
    ],
)
def test_spanish_sentences_are_spanish(text: str, vocabulary: Vocabulary) -> None:
    detection = detect(text, vocabulary)
    assert detection.language == "es", detection
    assert detection.confidence >= CONFIDENCE_FLOOR


@pytest.mark.parametrize(
    "text",
    [
        "what is immunotherapy",
        "my wife has had a fever since yesterday",
        "wat time does the infusion center open on saturday",
        "can i talk to a real person pls",
        "I\u2019m worried about the side effects",
    ],
)
def test_english_sentences_are_english(text: str, vocabulary: Vocabulary) -> None:
    detection = detect(text, vocabulary)
    assert detection.language == "en", detection


@pytest.mark.parametrize("text", ["sí", "si", "1", "ok", "Maria", "gracias", "👍", "  ", "9"])
def test_a_one_word_reply_is_undecided(text: str, vocabulary: Vocabulary) -> None:
    assert detect(text, vocabulary).language is None


def test_the_guess_is_kept_when_undecided(vocabulary: Vocabulary) -> None:
    detection = detect("gracias", vocabulary)
    assert detection.language is None
    assert detection.guess == "es" and detection.confidence > 0.5


def test_no_letters_no_guess(vocabulary: Vocabulary) -> None:
    assert detect("1 2 3 !!", vocabulary).guess is None


@pytest.mark.parametrize(
    "text",
    [
        "Guadalupe Hernandez",  # names: lingua reads some of these as Spanish with confidence
        "Marisol Ortega Vega",
        "Kevin Nguyen",
        "Ignacio Salazar",
        "zxqv plmk wrtz",  # gibberish, and keyboard mashing
        "asdfgh jkl",
    ],
)
def test_names_and_gibberish_are_neither_language(text: str, vocabulary: Vocabulary) -> None:
    detection = detect(text, vocabulary)
    assert detection.language is None, detection
    assert detection.guess is None, detection


def test_a_guess_resting_on_letters_alone_is_dropped(vocabulary: Vocabulary) -> None:
    # lingua guesses Spanish for "hello"; no Spanish word the assistant knows is in it.
    assert detect("hello", vocabulary).guess != "es"


@pytest.mark.parametrize(
    "text",
    [
        "my dad is shaking and convulsing and it wont stop",  # lingua's trigrams lean Spanish
        "transfer me to a human",
        "chemo nurse phone",
    ],
)
def test_english_with_words_spanish_shares_is_never_spanish(
    text: str, vocabulary: Vocabulary
) -> None:
    assert detect(text, vocabulary).language != "es"
