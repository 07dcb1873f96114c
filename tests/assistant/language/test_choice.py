"""The conversation's language after one message: explicit choices win, a confident
detection switches, a one-word reply never does, a new conversation starts from the page."""

from __future__ import annotations

from assistant.language.choice import FIRST_WORD_FLOOR, LanguageSignals, choose_language


def test_a_new_conversation_is_english_without_signals() -> None:
    assert choose_language(None, LanguageSignals()) == "en"


def test_a_new_conversation_follows_the_page() -> None:
    assert choose_language(None, LanguageSignals(page="es")) == "es"


def test_a_confident_detection_switches_both_ways() -> None:
    assert choose_language("en", LanguageSignals(detected="es")) == "es"
    assert choose_language("es", LanguageSignals(detected="en")) == "en"


def test_a_one_word_reply_keeps_the_language() -> None:
    # "sí" / "1": the detector is undecided even when its guess is sure.
    reply = LanguageSignals(guess="es", guess_confidence=1.0)
    assert choose_language("en", reply) == "en"
    assert choose_language("es", LanguageSignals(guess="en", guess_confidence=0.9)) == "es"


def test_a_one_word_first_message_may_set_a_new_conversation() -> None:
    assert choose_language(None, LanguageSignals(guess="es", guess_confidence=0.66)) == "es"
    unsure = LanguageSignals(guess="es", guess_confidence=FIRST_WORD_FLOOR - 0.01)
    assert choose_language(None, unsure) == "en"


def test_explicit_choices_beat_detection_and_history() -> None:
    toggle = LanguageSignals(choice="es", detected="en")
    assert choose_language("en", toggle) == "es"
    asked = LanguageSignals(request="en", detected="es")
    assert choose_language("es", asked) == "en"


def test_the_page_does_not_override_an_established_language() -> None:
    assert choose_language("en", LanguageSignals(page="es")) == "en"


def test_unknown_values_are_ignored() -> None:
    junk = LanguageSignals(choice="fr", request="de", detected="pt", page="zz")
    assert choose_language("es", junk) == "es"
    assert choose_language(None, junk) == "en"
