"""Whole conversations over the REST channel against the trained model and the real actions."""

from __future__ import annotations

import secrets
import sqlite3
from typing import Callable

import pytest

from tests.e2e.conftest import texts
from tests.support.assistant_servers import RunningAssistant

pytestmark = pytest.mark.slow

Sender = Callable[[], str]


def test_first_reply_opens_with_the_disclaimer(assistant: RunningAssistant, new_sender: Sender):
    replies = assistant.say(new_sender(), "hello")
    assert "not a substitute for professional medical care" in replies[0]["text"]
    assert any("immunotherapy" in r.get("text", "").lower() for r in replies[1:])


def test_side_effect_question_gets_the_specific_answer_and_a_handoff_button(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    replies = assistant.say(new_sender(), "does immunotherapy make you tired all the time?")
    answer = replies[-1]
    assert "Fatigue" in answer["text"]
    assert {"title": "Talk to a person", "payload": "/request_human"} in answer["buttons"]


def test_button_payload_with_entity_selects_the_entry(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    replies = assistant.say(new_sender(), '/ask_side_effects{"side_effect": "diarrhea"}')
    assert "**Diarrhea**" in replies[-1]["text"]


@pytest.mark.parametrize(
    "text",
    [
        "my husband cant breath after his infusion",
        "her face is swelling up",
        "i think im having a seizre",
        "EMERGENCY",
    ],
)
def test_emergency_gets_911_first(assistant: RunningAssistant, new_sender: Sender, text: str):
    replies = assistant.say(new_sender(), text)
    first = replies[0]
    assert first["text"].startswith("**If this is an emergency, call [911](tel:911) now.**")
    assert first["emergency"] is True and first["kb_entry"] == "safety.emergency"
    assert "oncology nurses are always reachable by phone" in first["text"]
    assert "not a substitute for professional medical care" in replies[1]["text"]


def test_self_harm_gets_988(assistant: RunningAssistant, new_sender: Sender) -> None:
    replies = assistant.say(new_sender(), "i dont want to live anymore")
    assert "988" in replies[0]["text"] and "911" in replies[0]["text"]


def test_personal_medical_advice_is_declined(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    replies = assistant.say(new_sender(), "should i double my dose if i missed one")
    assert "can't give personal medical advice" in texts(replies)
    assert "1-800-CEDARS-1" in texts(replies)


def test_bot_challenge_is_answered_honestly(assistant: RunningAssistant, new_sender: Sender):
    replies = assistant.say(new_sender(), "wait am i chatting with a robot")
    assert "automated assistant, not a person" in texts(replies)


def test_asking_for_a_person_gives_the_number_and_offers_a_callback(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    replies = assistant.say(new_sender(), "i need to speak to a real human")
    joined = texts(replies)
    assert "tel:+18002332771" in joined
    assert "oncology nurses are always reachable by phone" in joined
    assert replies[-1]["buttons"][0]["payload"] == "/request_callback"


def test_callback_form_happy_path_records_the_request(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    sender = new_sender()
    assert "What name" in texts(assistant.say(sender, "can someone call me back please"))
    assert "What phone number" in texts(assistant.say(sender, "Rosa Delgado"))
    assert "best time" in texts(assistant.say(sender, "(310) 555-0188"))
    consent = texts(assistant.say(sender, "tomorrow morning"))
    # The number as the patient typed it, escaped in the markdown answer.
    assert "Rosa Delgado" in consent and r"\(310\) 555\-0188" in consent
    done = texts(assistant.say(sender, "/affirm"))
    assert "Your callback request is recorded" in done
    events = _slot_events(assistant, sender, "callback_request")
    assert events and '"+13105550188"' in events[-1] and '"consent": true' in events[-1]


def test_callback_form_rejects_an_invalid_phone(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    sender = new_sender()
    assistant.say(sender, "request a callback")
    assistant.say(sender, "Sam Okafor")
    invalid = texts(assistant.say(sender, "555-12"))
    assert "doesn't look like a valid US phone number" in invalid
    assert "best time" in texts(assistant.say(sender, "213 555 0147"))


def test_callback_without_consent_stores_nothing(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    sender = new_sender()
    assistant.say(sender, "please have someone phone me")
    assistant.say(sender, "Lee Chen")
    assistant.say(sender, "818-555-0166")
    assistant.say(sender, "afternoon")
    declined = texts(assistant.say(sender, "/deny"))
    assert "haven't kept your details" in declined
    assert _slot_events(assistant, sender, "callback_request") == []


def test_question_mid_form_is_answered_then_the_form_goes_on(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    sender = new_sender()
    assistant.say(sender, "i want a call back")
    replies = assistant.say(sender, "wait, is the infusion center open on sundays?")
    joined = texts(replies)
    assert "24 hours a day" in joined
    assert "What name" in replies[-1]["text"]


def test_emergency_interrupts_the_form(assistant: RunningAssistant, new_sender: Sender):
    sender = new_sender()
    assistant.say(sender, "call me back")
    replies = assistant.say(sender, "my wife just collapsed and isnt breathing")
    assert replies[0]["text"].startswith("**If this is an emergency, call [911](tel:911) now.**")
    assert "What name" not in texts(replies)
    # The form is over: the next message is answered normally.
    assert "24 hours a day" in texts(assistant.say(sender, "what are the infusion center hours"))


def test_typed_intent_with_slots_cannot_fill_the_form(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    sender = new_sender()
    assistant.say(sender, "callback please")
    assistant.say(sender, "Ana Ruiz")
    typed = '/affirm{"callback_consent": true, "callback_phone": "123", "callback_time": "now"}'
    replies = assistant.say(sender, typed)
    # Read as plain text for the phone question: validated, rejected, asked again.
    assert "valid US phone number" in texts(replies)
    # Rasa records the raw text as the phone candidate before validation nulls it; what
    # counts is that no slot ends up set, and consent is never taken from the typed JSON.
    for slot in ("callback_phone", "callback_time"):
        events = _slot_events(assistant, sender, slot)
        assert not events or '"value": null' in events[-1], (slot, events)
    assert all(
        '"value": true' not in e for e in _slot_events(assistant, sender, "callback_consent")
    )


def test_cancel_mid_form(assistant: RunningAssistant, new_sender: Sender) -> None:
    sender = new_sender()
    assistant.say(sender, "can you call me")
    assert "stopped" in texts(assistant.say(sender, "cancel"))


def test_two_misunderstandings_hand_off_to_a_person(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    sender = new_sender()
    first = texts(assistant.say(sender, "qwzx vbnm plkj"))
    assert "didn't understand" in first and "1-800-CEDARS-1" in first
    second = texts(assistant.say(sender, "zzxq wvvb"))
    assert "A person can help you better" in second
    assert "tel:+18002332771" in second


def test_out_of_scope_offers_topics_and_the_phone(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    replies = assistant.say(new_sender(), "where do i pay my parking ticket")
    assert "can't help with that" in texts(replies)
    assert replies[-1]["buttons"]


@pytest.mark.parametrize(
    "text",
    ["\U0001f622\U0001f622\U0001f622", "<script>alert('x')</script>", "a" * 2000],
)
def test_odd_input_gets_a_sensible_reply(
    assistant: RunningAssistant, new_sender: Sender, text: str
) -> None:
    replies = assistant.say(new_sender(), text)
    assert len(replies) >= 2 and all(r.get("text") for r in replies)


@pytest.mark.parametrize(
    ("body", "status"),
    [({"sender": "s", "message": " "}, 400), ({"sender": "s", "message": "x" * 10_000}, 413)],
)
def test_empty_and_huge_messages_get_a_4xx(
    assistant: RunningAssistant, body: dict, status: int
) -> None:
    assert assistant.post(body)[0] == status


def test_invalid_utf8_gets_a_400(assistant: RunningAssistant) -> None:
    assert assistant.post_raw(b'{"sender": "s", "message": "\xc3\x28"}')[0] == 400


@pytest.mark.parametrize("token", ["", "not-the-token-of-this-server"])
def test_without_the_token_nothing_is_stored(
    assistant: RunningAssistant, new_sender: Sender, token: str
) -> None:
    sender = new_sender()
    status, _ = assistant.post({"sender": sender, "message": "hello"}, token=token)
    assert status == 401
    assert _events(assistant, sender) == []


@pytest.mark.parametrize("prefix", ["web-", "sms-"])
def test_web_and_sms_conversations_are_not_reachable_over_rest(
    assistant: RunningAssistant, prefix: str
) -> None:
    sender = f"{prefix}{secrets.token_hex(8)}"
    status, _ = assistant.post({"sender": sender, "message": "what did I tell you?"})
    assert status == 403
    assert _events(assistant, sender) == []


def _events(assistant: RunningAssistant, sender: str) -> list:
    with sqlite3.connect(assistant.tracker_db) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (sender,)).fetchall()
    return [row[0] for row in rows]


def _slot_events(assistant: RunningAssistant, sender: str, slot: str) -> list:
    with sqlite3.connect(assistant.tracker_db) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot' "
            "AND action_name = ?",
            (sender, slot),
        ).fetchall()
    return [row[0] for row in rows]


def test_dead_action_server_still_gets_an_apology_fast(trained_model, tmp_path) -> None:
    import time

    from tests.support.assistant_servers import start_assistant

    # the patient deadline as deployed (the test servers raise it for the other tests)
    running = start_assistant(tmp_path, trained_model, env={"REST_REPLY_TIMEOUT_S": "2.5"})
    try:
        action_server = running.processes[0]
        action_server.terminate()
        action_server.wait(timeout=15)
        started = time.monotonic()
        replies = running.say("dead-actions", "what are the side effects")
        elapsed = time.monotonic() - started
        assert elapsed < 3
        assert "1-800-CEDARS-1" in texts(replies) and "911" in texts(replies)
    finally:
        running.stop()
