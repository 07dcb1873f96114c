"""GSM-7 / UCS-2 segment arithmetic, GSM-7 conversion and folding, and sentence-aware
splitting."""

from __future__ import annotations

import itertools
import re

import pytest

from assistant.channels.sms.segments import (
    MAX_BODY_CHARS,
    fold_for_sms,
    is_gsm7,
    segment_count,
    split_message,
    to_gsm7,
)

SENTENCES = [
    f"Sentence number {i} says something about the infusion center and its hours."
    for i in range(1, 16)
]


# --- segment_count -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_segment_boundaries(length: int, segments: int) -> None:
    text = "a" * length
    assert is_gsm7(text)
    assert segment_count(text) == segments


@pytest.mark.parametrize("char", ["€", "{", "[", "]", "}", "~", "^", "|", "\\"])
def test_gsm7_extension_characters_cost_two_septets(char: str) -> None:
    assert is_gsm7(char * 81)
    assert segment_count(char * 80) == 1
    assert segment_count(char * 81) == 2


def test_extension_characters_mixed_with_plain_text() -> None:
    assert segment_count("a" * 158 + "€") == 1  # 160 septets
    assert segment_count("a" * 159 + "€") == 2  # 161 septets


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs2_segment_boundaries(length: int, segments: int) -> None:
    text = "中" * length
    assert not is_gsm7(text)
    assert segment_count(text) == segments


def test_a_single_non_gsm_character_switches_the_whole_text_to_ucs2() -> None:
    assert segment_count("a" * 70) == 1
    assert segment_count("a" * 69 + "ó") == 1
    assert segment_count("a" * 70 + "ó") == 2  # 71 UCS-2 units, though only 71 characters


def test_an_emoji_counts_as_two_utf16_units() -> None:
    assert segment_count("😀" * 35) == 1  # 70 units
    assert segment_count("😀" * 36) == 2  # 72 units
    assert segment_count("a" * 69 + "😀") == 2  # 71 units


def test_empty_text_takes_no_segment() -> None:
    assert segment_count("") == 0


# --- is_gsm7 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Call 911 now. Support: 1-800-233-2771 (6 am - 9 pm)!",
        "café",
        "señor",
        "über",
        "Ça va? ¿Qué? ¡Sí!".replace("é", "e").replace("í", "i"),
        "@£$¥§",
        "line one\nline two",
        "",
    ],
)
def test_gsm7_texts(text: str) -> None:
    assert is_gsm7(text)


@pytest.mark.parametrize("char", ["é", "ñ", "ü", "à", "Ä", "Ö", "Ñ", "Ü", "ß", "€"])
def test_accented_gsm_letters_are_gsm7(char: str) -> None:
    assert is_gsm7(f"a{char}b")


@pytest.mark.parametrize(
    "text",
    [
        "Información",  # ó is not in GSM-7
        "don\u2019t",  # right single quotation mark
        "\u201cquoted\u201d",
        "wait\u2026",
        "A \u2014 B",
        "a\u00a0b",
        "thanks 😀",
        "你好",
        "tab\there",
    ],
)
def test_non_gsm7_texts(text: str) -> None:
    assert not is_gsm7(text)


# --- to_gsm7 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("don\u2019t", "don't"),
        ("\u2018single\u2019", "'single'"),
        ("\u201cdouble\u201d", '"double"'),
        ("\u201elow\u201d", '"low"'),
        ("6 am \u2013 9 pm", "6 am - 9 pm"),
        ("yes \u2014 now", "yes - now"),
        ("wait\u2026", "wait..."),
        ("1-800\u00a0CEDARS", "1-800 CEDARS"),
        ("\u2022 item", "- item"),
        ("zero\u200bwidth", "zerowidth"),
    ],
)
def test_typographic_characters_get_gsm7_stand_ins(text: str, expected: str) -> None:
    converted = to_gsm7(text)
    assert converted == expected
    assert is_gsm7(converted)


def test_emoji_are_dropped_without_leaving_double_spaces() -> None:
    converted = to_gsm7("Great news 😀 see you soon 👍")
    assert converted == "Great news see you soon"
    assert is_gsm7(converted)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Información", "Informacion"),
        ("á í ó ú", "a i o u"),
        ("Ångström ô", "Ångström o"),  # Å and ö are GSM-7 and stay
        ("garçon", "garcon"),
        ("Lódź", "Lodz"),
    ],
)
def test_non_gsm_accented_letters_lose_their_accent(text: str, expected: str) -> None:
    converted = to_gsm7(text)
    assert converted == expected
    assert is_gsm7(converted)


def test_gsm_accented_letters_are_kept() -> None:
    assert to_gsm7("café señor über") == "café señor über"


def test_to_gsm7_of_a_mixed_text_is_gsm7() -> None:
    text = "\u201cDon\u2019t wait\u201d \u2014 call 911\u2026 😀 Información 你好 \u00a0ok"
    converted = to_gsm7(text)
    assert is_gsm7(converted)
    assert converted.startswith('"Don\'t wait" - call 911... Informacion')
    assert converted.endswith("ok")
    assert "  " not in converted


def test_to_gsm7_leaves_gsm7_text_alone() -> None:
    text = "Call 1-800-CEDARS-1 (1-800-233-2771), 7 days a week. Emergency: 911!"
    assert to_gsm7(text) == text


# --- split_message -------------------------------------------------------------------------


def test_short_text_is_one_unchanged_part() -> None:
    text = "Your infusion takes about an hour. Bring a snack!"
    assert split_message(text) == [text]


def test_text_of_exactly_two_segments_is_one_part() -> None:
    text = "a" * 306
    assert split_message(text) == [text]


def test_empty_text_gives_no_parts() -> None:
    assert split_message("") == []
    assert split_message("   \n ") == []


def _sentences_of(parts: list[str]) -> list[str]:
    return [s for part in parts for s in re.split(r"(?<=[.!?])\s+", part) if s]


def test_long_text_is_split_at_sentence_ends() -> None:
    text = " ".join(SENTENCES)
    assert segment_count(text) > 2
    parts = split_message(text)
    assert len(parts) > 1
    for part in parts:
        assert 1 <= segment_count(part) <= 2
        assert part[-1] == "."  # every part ends at a sentence end
    assert _sentences_of(parts) == SENTENCES  # nothing lost, nothing reordered
    assert " ".join(parts) == text


def test_parts_are_filled_greedily() -> None:
    parts = split_message(" ".join(SENTENCES))
    # each part could not have taken the next part's first sentence
    for part, following in itertools.pairwise(parts):
        first_sentence = _sentences_of([following])[0]
        assert segment_count(f"{part} {first_sentence}") > 2


def test_split_with_ucs2_text_respects_ucs2_segments() -> None:
    sentences = [f"Información número {i} sobre la infusión." for i in range(12)]
    parts = split_message(" ".join(sentences))
    assert len(parts) > 1
    for part in parts:
        assert not is_gsm7(part)
        assert segment_count(part) <= 2
    assert _sentences_of(parts) == sentences


def test_a_single_very_long_sentence_is_cut_between_words() -> None:
    words = [f"word{i}" for i in range(200)]
    sentence = " ".join(words) + "."
    parts = split_message(sentence)
    assert len(parts) > 1
    for part in parts:
        assert segment_count(part) <= 2
        assert not part.startswith(" ")
        assert not part.endswith(" ")
    # cut only between words: the words come back whole and in order
    assert " ".join(parts).split() == sentence.split()


def test_max_segments_one() -> None:
    text = " ".join(SENTENCES)
    parts = split_message(text, max_segments=1)
    assert len(parts) > len(split_message(text))
    for part in parts:
        assert segment_count(part) == 1
    assert _sentences_of(parts) == SENTENCES


def test_total_never_exceeds_the_provider_limit() -> None:
    text = ("The infusion center is open every day. " * 200)[:5000]
    assert len(text) == 5000
    parts = split_message(text)
    assert parts
    assert sum(len(part) for part in parts) <= MAX_BODY_CHARS
    assert sum(len(part) for part in parts) > MAX_BODY_CHARS - 320  # not cut needlessly short
    for part in parts:
        assert 1 <= segment_count(part) <= 2


def test_total_cap_for_one_long_sentence_without_sentence_ends() -> None:
    parts = split_message("lorem ipsum " * 420)  # 5040 characters, no sentence end
    assert sum(len(part) for part in parts) <= MAX_BODY_CHARS
    assert parts[-1].endswith("...")  # the cut is marked, between words
    assert parts[-1][:-3].split()[-1] in ("lorem", "ipsum")
    assert all(segment_count(part) <= 2 for part in parts)


def test_a_custom_max_chars_is_respected() -> None:
    parts = split_message(" ".join(SENTENCES), max_chars=500)
    assert parts
    assert sum(len(part) for part in parts) <= 500


def test_an_overlong_word_never_gives_an_empty_or_oversized_part() -> None:
    # e.g. a long link: no space to cut at. No part may be empty (an empty SMS) or over the
    # segment budget.
    token = "https://example.org/" + "x" * 380
    parts = split_message(f"{token} See the page.")
    assert parts
    assert all(part.strip() for part in parts)
    assert all(segment_count(part) <= 2 for part in parts)


# --- folding to GSM-7 (Spanish) --------------------------------------------------------------

SPANISH = (
    "Hola, soy el asistente automático del centro. Puedo responder preguntas sobre la "
    "inmunoterapia y el área de infusión, solo información general. Para hablar con una "
    "persona, llame al número de atención. En una emergencia, llame al 911. ¿Qué quiere saber?"
)


def test_folding_a_spanish_text_halves_its_segments() -> None:
    assert len(SPANISH) == 253
    assert not is_gsm7(SPANISH)
    assert segment_count(SPANISH) == 4  # UCS-2: 253 / 67
    folded = fold_for_sms(SPANISH)
    assert is_gsm7(folded) and len(folded) == len(SPANISH)
    assert segment_count(folded) == 2  # GSM-7: 253 / 153
    assert "automatico" in folded and "area de infusion" in folded and "¿Qué quiere" in folded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("á í ó ú", "a i o u"),
        ("Á Í Ó Ú", "A I O U"),
        ("ï Ï ç ô ê", "i I c o e"),
        ("ÁREA", "AREA"),
        ("acción", "accion"),
    ],
)
def test_letters_outside_gsm7_lose_their_accent(text: str, expected: str) -> None:
    assert fold_for_sms(text) == expected


@pytest.mark.parametrize(
    "text", ["é É ñ Ñ ü Ü ¿ ¡", "¿Qué? ¡Mañana! Pingüino.", "Ä Ö ä ö à ò ù ì è"]
)
def test_gsm7_letters_and_marks_are_kept(text: str) -> None:
    assert fold_for_sms(text) == text


def test_folding_replaces_typography_keeps_other_scripts_and_is_idempotent() -> None:
    text = "\u201cInformación\u201d \u2014 李明 😀"
    folded = fold_for_sms(text)
    assert folded == '"Informacion" - 李明 😀'
    assert fold_for_sms(folded) == folded


def test_english_text_is_unchanged_by_folding() -> None:
    text = "Call 1-800-CEDARS-1 (1-800-233-2771), 6 am - 9 pm. Emergency: 911! Prices in €."
    assert fold_for_sms(text) == text
