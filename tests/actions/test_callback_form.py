"""The callback request: ask actions, slot validation, submit and cancel."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.callback_form import (
    ActionAskCallbackConsent,
    ActionAskCallbackName,
    ActionAskCallbackPhone,
    ActionAskCallbackTime,
    ActionCancelCallback,
    ActionSubmitCallback,
    ValidateCallbackForm,
)
from assistant.knowledge import KnowledgeStore
from tests.conftest import FakeClock, user_event

SUPPORT_LINK = "[1-800-CEDARS-1](tel:+18002332771) (1-800-233-2771)"
SUPPORT_PHONE = "1-800-CEDARS-1 (1-800-233-2771)"
CALLBACK_SLOTS = ["callback_name", "callback_phone", "callback_time", "callback_consent"]
FILLED = {
    "callback_name": "Maria Lopez",
    "callback_phone": "(310) 555-0123",
    "callback_time": "Morning",
}


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def loop_names(events: List[Dict[str, Any]]) -> List[Any]:
    return [event["name"] for event in events if event["event"] == "active_loop"]


def entry_ids(dispatcher: CollectingDispatcher) -> List[str]:
    return [message["kb_entry"] for message in dispatcher.messages]


def form_tracker(
    make_tracker: Any, intent: str = "inform", text: str = "", **kwargs: Any
) -> Tracker:
    return make_tracker(intent, text, active_loop="callback_form", **kwargs)


@pytest.mark.parametrize(
    ("action", "name"),
    [
        (ActionAskCallbackName(), "action_ask_callback_name"),
        (ActionAskCallbackPhone(), "action_ask_callback_phone"),
        (ActionAskCallbackTime(), "action_ask_callback_time"),
        (ActionAskCallbackConsent(), "action_ask_callback_consent"),
        (ValidateCallbackForm(), "validate_callback_form"),
        (ActionSubmitCallback(), "action_submit_callback"),
        (ActionCancelCallback(), "action_cancel_callback"),
    ],
)
def test_names_are_in_the_domain(domain: Dict[str, Any], action: Any, name: str) -> None:
    assert action.name() == name
    assert name in domain["actions"]


def test_form_asks_for_the_slots_the_validator_checks(domain: Dict[str, Any]) -> None:
    required = domain["forms"]["callback_form"]["required_slots"]
    assert required == CALLBACK_SLOTS
    for slot in required:
        assert hasattr(ValidateCallbackForm, f"validate_{slot}")


# --- validate_callback_name -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Maria Lopez", "Maria Lopez"),
        ("  Maria \t  Lopez \n", "Maria Lopez"),
        ("José O'Brien-Núñez", "José O'Brien-Núñez"),
        ("Maria " + "a" * 74, "Maria " + "a" * 74),  # exactly 80 characters
    ],
)
async def test_name_is_accepted(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    value: str,
    expected: str,
) -> None:
    tracker = form_tracker(make_tracker, "inform", value)
    result = await ValidateCallbackForm(store=store).validate_callback_name(
        value, dispatcher, tracker, domain
    )
    assert result == {"callback_name": expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "value", ["", "   ", "12345", "+1 (310) 555-0123", "a" * 81, "Maria " + "a" * 75, None, 42]
)
async def test_name_is_rejected(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    value: Any,
) -> None:
    tracker = form_tracker(make_tracker, "inform", str(value))
    result = await ValidateCallbackForm(store=store).validate_callback_name(
        value, dispatcher, tracker, domain
    )
    assert result == {"callback_name": None}
    [message] = dispatcher.messages
    assert message["kb_entry"] == "callback.invalid_name"
    assert message["text"] == (
        "Sorry, I didn't catch a name. What name should we ask for when we call?"
    )


@pytest.mark.parametrize(
    ("intent", "text"), [("affirm", "yes"), ("affirm", "Sure thing"), ("deny", "no")]
)
async def test_a_yes_or_no_is_not_a_name(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    intent: str,
    text: str,
) -> None:
    tracker = form_tracker(make_tracker, intent, text)
    result = await ValidateCallbackForm(store=store).validate_callback_name(
        text, dispatcher, tracker, domain
    )
    assert result == {"callback_name": None}
    assert entry_ids(dispatcher) == ["callback.invalid_name"]


async def test_invalid_name_by_sms(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = form_tracker(make_tracker, "inform", "12345", channel="sms")
    await ValidateCallbackForm(store=store).validate_callback_name(
        "12345", dispatcher, tracker, domain
    )
    [message] = dispatcher.messages
    assert message["text"] == "Sorry, I didn't catch a name. What name should we ask for?"


# --- validate_callback_phone ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["(310) 555-0123", "my cell is 310 555 0123", "310.555.0123", "+1 310 555 0123", "3105550123"],
)
async def test_phone_is_accepted_and_shown_in_national_format(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    value: str,
) -> None:
    tracker = form_tracker(make_tracker, "inform", value)
    result = await ValidateCallbackForm(store=store).validate_callback_phone(
        value, dispatcher, tracker, domain
    )
    assert result == {"callback_phone": "(310) 555-0123"}
    assert dispatcher.messages == []


@pytest.mark.parametrize("value", ["555-1234", "call me", "", "+44 20 7946 0958", None])
async def test_phone_is_rejected_with_an_example(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    value: Any,
) -> None:
    tracker = form_tracker(make_tracker, "inform", str(value))
    result = await ValidateCallbackForm(store=store).validate_callback_phone(
        value, dispatcher, tracker, domain
    )
    assert result == {"callback_phone": None}
    [message] = dispatcher.messages
    assert message["kb_entry"] == "callback.invalid_phone"
    assert "doesn't look like a valid US phone number" in message["text"]
    assert "for example (310) 555-0123" in message["text"]


# --- validate_callback_time -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Morning", "Morning"), ("  after   5 pm\n", "after 5 pm"), ("x" * 100, "x" * 100)],
)
async def test_best_time_is_accepted(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    value: str,
    expected: str,
) -> None:
    tracker = form_tracker(make_tracker, "inform", value)
    result = await ValidateCallbackForm(store=store).validate_callback_time(
        value, dispatcher, tracker, domain
    )
    assert result == {"callback_time": expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize("value", ["", "   ", "x" * 101, None, 9])
async def test_best_time_is_rejected(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    value: Any,
) -> None:
    tracker = form_tracker(make_tracker, "inform", str(value))
    result = await ValidateCallbackForm(store=store).validate_callback_time(
        value, dispatcher, tracker, domain
    )
    # Rejected silently: the form asks again with action_ask_callback_time.
    assert result == {"callback_time": None}
    assert dispatcher.messages == []


# --- validate_callback_consent ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("yes", None), ("true", None), (1, None), (None, None)],
)
async def test_consent_must_be_a_yes_or_no(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    value: Any,
    expected: Any,
) -> None:
    tracker = form_tracker(make_tracker, "affirm", "yes")
    result = await ValidateCallbackForm(store=store).validate_callback_consent(
        value, dispatcher, tracker, domain
    )
    assert result == {"callback_consent": expected}
    assert dispatcher.messages == []


# --- the validator as Rasa runs it ------------------------------------------------------------


async def test_run_validates_the_slot_candidates_of_the_latest_message(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, domain: Dict[str, Any]
) -> None:
    tracker = Tracker(
        sender_id="test-conversation",
        slots={"requested_slot": "callback_phone", "callback_name": "Maria Lopez"},
        latest_message=user_event("inform", "my cell is 310 555 0123")["parse_data"],
        events=[
            user_event("inform", "my cell is 310 555 0123"),
            SlotSet("callback_phone", "my cell is 310 555 0123"),
        ],
        paused=False,
        followup_action=None,
        active_loop={"name": "callback_form"},
        latest_action_name="callback_form",
    )
    events = await ValidateCallbackForm(store=store).run(dispatcher, tracker, domain)
    assert slot_events(events) == {"callback_phone": "(310) 555-0123"}
    assert dispatcher.messages == []


# --- ask actions ------------------------------------------------------------------------------


async def test_ask_name(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    events = await ActionAskCallbackName(store=store).run(
        dispatcher, form_tracker(make_tracker, "request_callback"), domain
    )
    assert events == []
    [message] = dispatcher.messages
    assert message["kb_entry"] == "callback.ask_name"
    assert "What name should we ask for?" in message["text"]
    assert 'type "cancel"' in message["text"]


async def test_ask_name_by_sms(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    await ActionAskCallbackName(store=store).run(
        dispatcher, form_tracker(make_tracker, "request_callback", channel="sms"), domain
    )
    [message] = dispatcher.messages
    assert message["kb_entry"] == "callback.ask_name"
    assert 'Reply "never mind" to stop' in message["text"]


async def test_ask_phone_shows_an_example_number(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    await ActionAskCallbackPhone(store=store).run(
        dispatcher, form_tracker(make_tracker, slots={"callback_name": "Maria Lopez"}), domain
    )
    [message] = dispatcher.messages
    assert message["kb_entry"] == "callback.ask_phone"
    assert message["text"] == (
        "What phone number should we call? A US number, for example (310) 555-0123."
    )


async def test_ask_time_offers_times_and_the_hours(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    await ActionAskCallbackTime(store=store).run(dispatcher, form_tracker(make_tracker), domain)
    [message] = dispatcher.messages
    assert message["kb_entry"] == "callback.ask_time"
    assert "When is the best time to reach you?" in message["text"]
    assert "7 days a week, 6 am - 9 pm Pacific time" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == [
        "Morning",
        "Afternoon",
        "Evening",
        "Any time",
    ]


async def test_ask_consent_repeats_the_details(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = form_tracker(make_tracker, "inform", "Morning", slots=dict(FILLED))
    await ActionAskCallbackConsent(store=store).run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["kb_entry"] == "callback.ask_consent"
    text = message["text"]
    assert "your name (**Maria Lopez**)" in text
    # Patient-typed values are escaped in markdown; they render exactly as typed.
    assert r"your number (**\(310\) 555\-0123**)" in text
    assert "best time (**Morning**)" in text
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]


async def test_ask_consent_by_sms(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = form_tracker(make_tracker, "inform", "Morning", slots=dict(FILLED), channel="sms")
    await ActionAskCallbackConsent(store=store).run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"] == (
        "Confirm: we may store your name (Maria Lopez), number ((310) 555-0123) and best time "
        "(Morning) so our team can call you back. Reply YES or NO."
    )


async def test_ask_consent_does_not_interpret_braces_in_the_details(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    slots = {**FILLED, "callback_name": "{support_phone} {0}", "callback_time": "{name}"}
    await ActionAskCallbackConsent(store=store).run(
        dispatcher, form_tracker(make_tracker, slots=slots), domain
    )
    text = dispatcher.messages[0]["text"]
    assert r"(**\{support\_phone\} \{0\}**)" in text
    assert r"(**\{name\}**)" in text


# --- action_submit_callback -------------------------------------------------------------------


async def test_submit_with_consent_records_the_request(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    clock.set_pacific(2026, 6, 15, 14, 30)
    tracker = make_tracker("affirm", "yes", slots={**FILLED, "callback_consent": True})
    events = await ActionSubmitCallback(store=store, clock=clock).run(dispatcher, tracker, domain)

    requests = [
        e["value"] for e in events if e["event"] == "slot" and e["name"] == "callback_request"
    ]
    assert len(requests) == 1
    request = requests[0]
    assert request["name"] == "Maria Lopez"
    assert request["phone"] == "+13105550123"
    assert request["best_time"] == "Morning"
    assert request["consent"] is True
    assert request["requested_at"] == "2026-06-15T14:30:00-07:00"
    assert request["requested_at"] == clock().isoformat()
    assert request["channel"] == "rest"

    slots = slot_events(events)
    assert {slot: slots[slot] for slot in CALLBACK_SLOTS} == dict.fromkeys(CALLBACK_SLOTS)
    # The request is recorded before the form's details are forgotten.
    assert events[0]["name"] == "callback_request"

    [message] = dispatcher.messages
    assert message["kb_entry"] == "callback.confirmed"
    assert message["callback"] is True
    assert message["text"].startswith("Thank you, Maria Lopez. Your callback request is recorded")
    assert "(Morning)" in message["text"]
    assert SUPPORT_LINK in message["text"]


async def test_submit_by_sms_confirms_in_plain_text(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker(
        "affirm", "yes", slots={**FILLED, "callback_consent": True}, channel="sms"
    )
    events = await ActionSubmitCallback(store=store, clock=clock).run(dispatcher, tracker, domain)
    assert slot_events(events)["callback_request"]["channel"] == "sms"
    [message] = dispatcher.messages
    assert message["text"].startswith("Thanks, Maria Lopez.")
    assert SUPPORT_PHONE in message["text"] and "tel:" not in message["text"]


@pytest.mark.parametrize("consent", [False, None, "yes"])
async def test_submit_without_consent_records_nothing(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    consent: Any,
) -> None:
    tracker = make_tracker("deny", "no", slots={**FILLED, "callback_consent": consent})
    events = await ActionSubmitCallback(store=store, clock=clock).run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert "callback_request" not in slots
    assert slots == dict.fromkeys(CALLBACK_SLOTS)
    [message] = dispatcher.messages
    assert message["kb_entry"] == "callback.declined"
    assert message["text"].startswith("OK, I haven't kept your details and no callback is booked.")
    assert SUPPORT_LINK in message["text"]
    assert "callback" not in message


@pytest.mark.parametrize("missing", ["callback_name", "callback_phone", "callback_time"])
async def test_submit_with_a_missing_detail_records_nothing(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    missing: str,
) -> None:
    slots = {**FILLED, "callback_consent": True, missing: None}
    events = await ActionSubmitCallback(store=store, clock=clock).run(
        dispatcher, make_tracker("affirm", "yes", slots=slots), domain
    )
    assert "callback_request" not in slot_events(events)
    assert entry_ids(dispatcher) == ["callback.declined"]


# --- action_cancel_callback -------------------------------------------------------------------


async def test_cancel_stops_the_form_and_forgets_the_details(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = form_tracker(
        make_tracker, "cancel", "stop", slots={**FILLED, "requested_slot": "callback_consent"}
    )
    events = await ActionCancelCallback(store=store).run(dispatcher, tracker, domain)
    assert loop_names(events) == [None]
    assert slot_events(events) == {"requested_slot": None, **dict.fromkeys(CALLBACK_SLOTS)}
    [message] = dispatcher.messages
    assert message["kb_entry"] == "conversation.cancel"
    assert message["text"] == "OK, I've stopped. Is there anything else I can help with?"
    assert "/request_human" in [b["payload"] for b in message["buttons"]]
