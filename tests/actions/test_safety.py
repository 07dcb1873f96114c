"""action_emergency: 911 (or 988) first, then the nurse line; ends a callback form."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.safety import ActionEmergency
from assistant.knowledge import SMS, KnowledgeStore

SUPPORT_LINK = "[1-800-CEDARS-1](tel:+18002332771) (1-800-233-2771)"
SUPPORT_PHONE = "1-800-CEDARS-1 (1-800-233-2771)"
CALLBACK_SLOTS = ["callback_name", "callback_phone", "callback_time", "callback_consent"]
MEDICAL = [{"entity": "emergency", "value": "medical", "start": 3, "end": 14}]
SELF_HARM = [{"entity": "emergency", "value": "self_harm", "start": 7, "end": 18}]


async def emergency(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: Dict[str, Any],
) -> List[Dict[str, Any]]:
    return await ActionEmergency(store=store).run(dispatcher, tracker, domain)


def only_message(dispatcher: CollectingDispatcher) -> Dict[str, Any]:
    assert len(dispatcher.messages) == 1, dispatcher.messages
    return dispatcher.messages[0]


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def loop_names(events: List[Dict[str, Any]]) -> List[Any]:
    return [event["name"] for event in events if event["event"] == "active_loop"]


def test_name_is_in_the_domain(domain: Dict[str, Any]) -> None:
    assert ActionEmergency().name() == "action_emergency"
    assert "action_emergency" in domain["actions"]


@pytest.mark.parametrize("entities", [MEDICAL, []])
async def test_medical_emergency_says_911_first_on_web(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    entities: List[Dict[str, Any]],
) -> None:
    tracker = make_tracker("emergency", "I can't breathe", entities)
    await emergency(store, dispatcher, tracker, domain)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "safety.emergency"
    text = message["text"]
    assert text.startswith("**If this is an emergency, call [911](tel:911) now.**")
    # Nothing comes before the 911 instruction; the nurse line and support number follow.
    assert text.index("911") < text.index("nurses") < text.index(SUPPORT_LINK)
    assert message["buttons"] == []


async def test_medical_emergency_says_911_first_by_sms(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker("emergency", "I can't breathe", MEDICAL, channel="sms")
    await emergency(store, dispatcher, tracker, domain)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "safety.emergency"
    text = message["text"]
    assert text.startswith("If this is an emergency, call 911 now.")
    assert SUPPORT_PHONE in text
    assert "tel:" not in text and "**" not in text
    assert message["emergency"] is True


async def test_self_harm_gets_988_first(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker("emergency", "I want to hurt myself", SELF_HARM)
    await emergency(store, dispatcher, tracker, domain)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "safety.self_harm"
    text = message["text"]
    assert text.startswith(
        "**If you are thinking about hurting yourself, call or text [988](tel:988) now**"
    )
    assert "Suicide & Crisis Lifeline" in text
    assert text.index("988") < text.index("911")
    assert SUPPORT_LINK in text


async def test_self_harm_by_sms(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker("emergency", "I want to hurt myself", SELF_HARM, channel="sms")
    await emergency(store, dispatcher, tracker, domain)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "safety.self_harm"
    assert message["text"] == store.current().render("safety.self_harm", SMS).text
    assert message["text"].startswith(
        "If you are thinking about hurting yourself, call or text 988 now"
    )
    assert "tel:" not in message["text"]


async def test_self_harm_wins_over_a_medical_phrase_mentioned_first(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    entities = [
        {"entity": "emergency", "value": "medical", "start": 0, "end": 8},
        {"entity": "emergency", "value": "self_harm", "start": 20, "end": 30},
    ]
    await emergency(store, dispatcher, make_tracker("emergency", "overdose ...", entities), domain)
    assert only_message(dispatcher)["kb_entry"] == "safety.self_harm"


@pytest.mark.parametrize("entities", [MEDICAL, SELF_HARM])
async def test_message_is_flagged_as_emergency(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    entities: List[Dict[str, Any]],
) -> None:
    await emergency(store, dispatcher, make_tracker("emergency", "help", entities), domain)
    assert only_message(dispatcher)["emergency"] is True


async def test_emergency_during_the_callback_form_ends_it_and_forgets_the_details(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    request = {"name": "Earlier Request", "phone": "+13105550123"}
    tracker = make_tracker(
        "emergency",
        "chest pain",
        MEDICAL,
        slots={
            "callback_name": "Maria Lopez",
            "callback_phone": "(310) 555-0123",
            "requested_slot": "callback_time",
            "callback_request": request,
        },
        active_loop="callback_form",
    )
    events = await emergency(store, dispatcher, tracker, domain)

    assert loop_names(events) == [None]
    slots = slot_events(events)
    assert slots == {"requested_slot": None, **{slot: None for slot in CALLBACK_SLOTS}}
    # The recorded request of an earlier callback is not touched.
    assert "callback_request" not in slots
    # The loop ends before anything else happens.
    assert events[0]["event"] == "active_loop"
    assert only_message(dispatcher)["kb_entry"] == "safety.emergency"


async def test_emergency_without_a_form_still_ends_any_loop(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    events = await emergency(store, dispatcher, make_tracker("emergency", "911", MEDICAL), domain)
    assert loop_names(events) == [None]
    assert all(value is None for value in slot_events(events).values())
    assert set(slot_events(events)) == {"requested_slot", *CALLBACK_SLOTS}
    assert dispatcher.messages[0]["text"].startswith("**If this is an emergency, call [911]")
