"""User text hygiene shared by every channel."""

from __future__ import annotations

import pytest

from assistant.text_guard import MAX_MESSAGE_CHARS, RejectedMessage, clean_user_text

TRUSTED = {"/request_human", '/ask_side_effects{"side_effect": "rash"}'}


def test_plain_text_passes_trimmed() -> None:
    assert clean_user_text("  what is immunotherapy?  ", TRUSTED) == "what is immunotherapy?"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x01", "\u200b\u200b", "\ufeff "])
def test_empty_text_is_rejected(text: str) -> None:
    with pytest.raises(RejectedMessage) as caught:
        clean_user_text(text, TRUSTED)
    assert caught.value.status == 400


def test_oversized_text_is_rejected() -> None:
    with pytest.raises(RejectedMessage) as caught:
        clean_user_text("a" * (MAX_MESSAGE_CHARS + 1), TRUSTED)
    assert caught.value.status == 413


@pytest.mark.parametrize("value", [None, 42, ["hi"], {"text": "hi"}])
def test_non_text_is_rejected(value: object) -> None:
    with pytest.raises(RejectedMessage):
        clean_user_text(value, TRUSTED)


def test_trusted_button_payload_keeps_its_meaning() -> None:
    payload = '/ask_side_effects{"side_effect": "rash"}'
    assert clean_user_text(payload, TRUSTED) == payload


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ('/affirm{"callback_phone": "+13105550123"}', 'affirm{"callback_phone": "+13105550123"}'),
        ("/emergency", "emergency"),
        ("//greet", "greet"),
        (
            '/ask_side_effects{"side_effect": "fatigue"}',
            'ask_side_effects{"side_effect": "fatigue"}',
        ),
    ],
)
def test_typed_intent_syntax_becomes_plain_text(typed: str, expected: str) -> None:
    assert clean_user_text(typed, TRUSTED) == expected


def test_lone_slash_is_empty() -> None:
    with pytest.raises(RejectedMessage):
        clean_user_text(" / ", TRUSTED)


def test_lone_surrogates_and_controls_are_removed() -> None:
    assert clean_user_text("rash\ud800?\x07", TRUSTED) == "rash??"


def test_emoji_and_other_scripts_are_kept() -> None:
    assert clean_user_text("\U0001f622\U0001f622", TRUSTED) == "\U0001f622\U0001f622"
    assert clean_user_text("\u00bfqu\u00e9 es la inmunoterapia?", TRUSTED).startswith("\u00bf")


@pytest.mark.parametrize(
    "typed",
    [
        '/ /affirm{"callback_phone": "+13105550123"}',
        '/  / /affirm{"callback_phone": "+13105550123"}',
        '\u200b/affirm{"callback_phone": "+13105550123"}',
        '\u00a0/ \u2003/affirm{"callback_phone": "+13105550123"}',
        '\uff0faffirm{"callback_phone": "+13105550123"}',
        '/\u200b/affirm{"callback_phone": "+13105550123"}',
        '/\t/\n/affirm{"callback_phone": "+13105550123"}',
    ],
)
def test_no_disguised_slash_survives(typed: str) -> None:
    """Spaces, invisible characters and lookalike slashes between or before the slashes do not
    smuggle an intent past the guard: neither Rasa's view (strip) nor the NLU normaliser's view
    of the result starts with a slash."""
    from assistant.nlu.normalise import normalise

    cleaned = clean_user_text(typed, TRUSTED)
    assert cleaned.endswith('affirm{"callback_phone": "+13105550123"}')
    assert not cleaned.strip().startswith("/")
    assert not normalise(cleaned).startswith("/")


@pytest.mark.parametrize("typed", ["/ / /", "\uff0f \u200b/", "/\u200b"])
def test_only_slashes_and_spaces_is_empty(typed: str) -> None:
    with pytest.raises(RejectedMessage):
        clean_user_text(typed, TRUSTED)


def test_text_with_slash_inside_is_untouched() -> None:
    assert clean_user_text("rash and/or itching", TRUSTED) == "rash and/or itching"
