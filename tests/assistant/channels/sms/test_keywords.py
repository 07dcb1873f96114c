"""Carrier keywords: one word, any case, punctuation around ignored; anything else is chat.
The Spanish PARAR, CANCELAR and AYUDA also ask for a Spanish reply."""

from __future__ import annotations

import pytest

from assistant.channels.sms.keywords import Keyword, KeywordMatch, keyword_match, keyword_of


@pytest.mark.parametrize(
    "body", ["STOP", "stop", "StopAll", "stopall", "Unsubscribe", "cancel", "END", "quit", "Quit"]
)
def test_opt_out_words(body: str) -> None:
    assert keyword_of(body) is Keyword.STOP


@pytest.mark.parametrize("body", ["START", "start", "UNSTOP", "unstop", "YES", "Yes", "yes"])
def test_opt_in_words(body: str) -> None:
    assert keyword_of(body) is Keyword.START


@pytest.mark.parametrize("body", ["HELP", "help", "Info", "INFO"])
def test_help_words(body: str) -> None:
    assert keyword_of(body) is Keyword.HELP


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("stop!", Keyword.STOP),
        ("STOP.", Keyword.STOP),
        ('"stop"', Keyword.STOP),
        ("  Stop  ", Keyword.STOP),
        ("\nstop\n", Keyword.STOP),
        (" Help? ", Keyword.HELP),
        ("help!!!", Keyword.HELP),
        ("...info...", Keyword.HELP),
        ("Yes!", Keyword.START),
        ("(start)", Keyword.START),
        ("_quit_", Keyword.STOP),
    ],
)
def test_punctuation_and_spaces_around_are_ignored(body: str, keyword: Keyword) -> None:
    assert keyword_of(body) is keyword


@pytest.mark.parametrize(
    "body",
    [
        "stop the callback",
        "please stop",
        "yes please",
        "help me",
        "need info",
        "can you help?",
        "st op",
        "stopping",
        "helpful",
        "yesterday",
        "cancellation",
        "hello",
        "1",
    ],
)
def test_other_messages_are_not_keywords(body: str) -> None:
    assert keyword_of(body) is None


@pytest.mark.parametrize("body", ["", "   ", "!!!", "?"])
def test_empty_or_punctuation_only_is_not_a_keyword(body: str) -> None:
    assert keyword_of(body) is None


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("\uff33\uff34\uff2f\uff30", Keyword.STOP),  # fullwidth
        ("\uff53\uff54\uff4f\uff50\uff01", Keyword.STOP),
        ("STOP\u200b", Keyword.STOP),  # zero-width space
        ("S\u200bTOP", Keyword.STOP),
        ("st\u200dop", Keyword.STOP),  # zero-width joiner
        ("\ufeffstop", Keyword.STOP),  # byte order mark
        ("sto\u00adp", Keyword.STOP),  # soft hyphen
        ("\u200estop\u200f", Keyword.STOP),  # bidi marks
        ("stop\u00a0", Keyword.STOP),  # no-break space
        ("\u3000Stop\r\n", Keyword.STOP),
        ("\u201cstop\u201d", Keyword.STOP),
        ("\uff28\uff25\uff2c\uff30", Keyword.HELP),
        ("Y\u2060es", Keyword.START),  # word joiner
    ],
)
def test_unicode_variants_of_a_keyword_are_the_keyword(body: str, keyword: Keyword) -> None:
    assert keyword_of(body) is keyword


@pytest.mark.parametrize(
    "body",
    ["stopp", "stoppp", "STOPPP", "yesss", "helppp", "st\u00a0op", "stop\u2028now", "st\nop"],
)
def test_letter_runs_and_inner_spaces_are_not_keywords(body: str) -> None:
    assert keyword_of(body) is None


# --- Spanish --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("PARAR", Keyword.STOP),
        ("Parar", Keyword.STOP),
        ("parar", Keyword.STOP),
        ("PARAR ", Keyword.STOP),
        ("  parar.\n", Keyword.STOP),
        ("¡PARAR!", Keyword.STOP),
        ("cancelar", Keyword.STOP),
        ("CANCELAR", Keyword.STOP),
        ("Cancelar!!", Keyword.STOP),
        ("AYUDA", Keyword.HELP),
        ("ayuda", Keyword.HELP),
        ("¿Ayuda?", Keyword.HELP),
        ("\uff21\uff39\uff35\uff24\uff21", Keyword.HELP),  # fullwidth
        ("ayu\u200bda", Keyword.HELP),  # zero-width space
    ],
)
def test_spanish_keywords_are_keywords_in_spanish(body: str, keyword: Keyword) -> None:
    match = keyword_match(body)
    assert match == KeywordMatch(keyword, "es")
    assert keyword_of(body) is keyword


@pytest.mark.parametrize("body", ["STOP", "cancel", "Help", "info", "START", "yes"])
def test_the_providers_english_words_say_no_language(body: str) -> None:
    match = keyword_match(body)
    assert match is not None and match.language is None


def test_cancel_and_cancelar_both_opt_out() -> None:
    assert keyword_of("CANCEL") is keyword_of("CANCELAR") is Keyword.STOP


@pytest.mark.parametrize(
    "body",
    [
        "cancelar la cita",
        "quiero cancelar",
        "parar el tratamiento?",
        "necesito ayuda",
        "ayudame",
        "ayúdame",
        "ayudaaa",
        "pararr",
        "cancelacion",
        "para",
        "paro",
    ],
)
def test_other_spanish_messages_are_not_keywords(body: str) -> None:
    assert keyword_match(body) is None
