"""action_fallback: no guessing; the second misunderstanding in a row hands off to a person."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk.events import ActionExecuted, BotUttered, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionFallback, misunderstandings_in_a_row
from assistant.knowledge import SMS, WEB, KnowledgeStore
from tests.conftest import FakeClock, user_event

SUPPORT_LINK = "[1-800-CEDARS-1](tel:+18002332771) (1-800-233-2771)"
SUPPORT_PHONE = "1-800-CEDARS-1 (1-800-233-2771)"
TOPIC_PAYLOADS = [
    "/ask_immunotherapy",
    "/ask_side_effects",
    "/ask_infusion_center",
    "/request_human",
]


def bot_turn(name: str = "action_fallback") -> List[Dict[str, Any]]:
    """What follows a user message in the tracker: the action, its message, the listen."""
    return [ActionExecuted(name), BotUttered("..."), ActionExecuted("action_listen")]


def miss(intent: str = "nlu_fallback") -> List[Dict[str, Any]]:
    return [user_event(intent, "blah"), *bot_turn()]


def understood(intent: str = "ask_dosing") -> List[Dict[str, Any]]:
    return [user_event(intent, "how much"), *bot_turn("action_answer")]


async def fallback(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    intent: str = "nlu_fallback",
    history: List[Dict[str, Any]] | None = None,
    channel: str = "rest",
) -> List[Dict[str, Any]]:
    tracker = make_tracker(intent, "asdf qwer", history=history or [], channel=channel)
    return await ActionFallback(store=store, clock=clock).run(dispatcher, tracker, domain)


def entry_ids(dispatcher: CollectingDispatcher) -> List[str]:
    return [message["kb_entry"] for message in dispatcher.messages]


def test_name_is_in_the_domain(domain: Dict[str, Any]) -> None:
    assert ActionFallback().name() == "action_fallback"
    assert "action_fallback" in domain["actions"]


# --- misunderstandings_in_a_row ---------------------------------------------------------------


def test_no_events_no_misunderstanding() -> None:
    assert misunderstandings_in_a_row([]) == 0


def test_bot_events_alone_are_not_counted() -> None:
    assert misunderstandings_in_a_row([*bot_turn(), SlotSet("x", 1)]) == 0


@pytest.mark.parametrize("intent", ["nlu_fallback", "out_of_scope"])
def test_one_misunderstanding(intent: str) -> None:
    assert misunderstandings_in_a_row([user_event(intent, "huh")]) == 1


def test_misunderstandings_count_back_across_bot_events() -> None:
    events = [*miss("nlu_fallback"), *miss("out_of_scope"), user_event("nlu_fallback", "?")]
    assert misunderstandings_in_a_row(events) == 3


def test_an_understood_message_stops_the_count() -> None:
    events = [*miss(), *miss(), *understood(), *miss(), user_event("nlu_fallback", "?")]
    assert misunderstandings_in_a_row(events) == 2


def test_latest_message_understood_means_zero() -> None:
    assert misunderstandings_in_a_row([*miss(), *miss(), user_event("greet", "hi")]) == 0


def test_user_event_without_parse_data_counts_as_understood() -> None:
    events = [*miss(), {"event": "user", "text": "hi"}, user_event("nlu_fallback", "?")]
    assert misunderstandings_in_a_row(events) == 1


def test_accepts_any_iterable() -> None:
    assert misunderstandings_in_a_row(iter([*miss(), user_event("out_of_scope")])) == 2


# --- the action -------------------------------------------------------------------------------


async def test_first_miss_offers_topics_and_the_phone_number(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    events = await fallback(store, clock, dispatcher, make_tracker, domain)
    assert events == []
    [message] = dispatcher.messages
    assert message["kb_entry"] == "conversation.fallback"
    assert message["fallback"] is True
    assert message["text"].startswith("Sorry, I didn't understand that.")
    assert SUPPORT_LINK in message["text"]
    assert [b["payload"] for b in message["buttons"]] == TOPIC_PAYLOADS


async def test_first_miss_by_sms(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    await fallback(store, clock, dispatcher, make_tracker, domain, channel="sms")
    [message] = dispatcher.messages
    assert message["kb_entry"] == "conversation.fallback"
    assert SUPPORT_PHONE in message["text"] and "tel:" not in message["text"]


async def test_out_of_scope_says_so(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    await fallback(store, clock, dispatcher, make_tracker, domain, intent="out_of_scope")
    [message] = dispatcher.messages
    assert message["kb_entry"] == "conversation.out_of_scope"
    assert message["fallback"] is True
    assert message["text"].startswith("Sorry, I can't help with that here.")
    assert SUPPORT_LINK in message["text"]
    assert [b["payload"] for b in message["buttons"]] == TOPIC_PAYLOADS


async def test_core_fallback_with_an_understood_intent_is_one_miss(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    await fallback(store, clock, dispatcher, make_tracker, domain, intent="ask_dosing")
    assert entry_ids(dispatcher) == ["conversation.fallback"]


@pytest.mark.parametrize(
    ("previous", "latest"),
    [
        ("nlu_fallback", "nlu_fallback"),
        ("out_of_scope", "nlu_fallback"),
        ("nlu_fallback", "out_of_scope"),
        ("out_of_scope", "out_of_scope"),
    ],
)
async def test_second_misunderstanding_in_a_row_hands_off(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    previous: str,
    latest: str,
) -> None:
    clock.set_pacific(2026, 6, 15, 12, 0)
    events = await fallback(
        store, clock, dispatcher, make_tracker, domain, intent=latest, history=miss(previous)
    )
    assert events == []
    assert entry_ids(dispatcher) == [
        "conversation.fallback_handoff",
        "support.handoff_open",
        "support.nurse_reminder",
        "support.callback_offer",
    ]
    apology, line = dispatcher.messages[0], dispatcher.messages[1]
    assert apology["text"].startswith(
        "I'm sorry I'm not understanding. A person can help you better."
    )
    assert line["handoff"] is True
    assert SUPPORT_LINK in line["text"]


async def test_second_misunderstanding_at_night_gives_the_opening_time(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    clock.set_pacific(2026, 11, 1, 23, 15)
    await fallback(store, clock, dispatcher, make_tracker, domain, history=miss())
    assert entry_ids(dispatcher)[:2] == [
        "conversation.fallback_handoff",
        "support.handoff_closed",
    ]
    assert "**6:00 AM on Monday, November 2**" in dispatcher.messages[1]["text"]


async def test_handoff_during_the_callback_form_does_not_offer_another_callback(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    domain: Dict[str, Any],
    make_tracker: Any,
) -> None:
    tracker = make_tracker(
        "out_of_scope", "??", history=miss("out_of_scope"), active_loop="callback_form"
    )
    await ActionFallback(store=store, clock=clock).run(dispatcher, tracker, domain)
    assert entry_ids(dispatcher) == [
        "conversation.fallback_handoff",
        "support.handoff_open",
        "support.nurse_reminder",
    ]


async def test_an_understood_message_in_between_resets_the_count(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    history = [*miss(), *miss(), *understood()]
    await fallback(store, clock, dispatcher, make_tracker, domain, history=history)
    assert entry_ids(dispatcher) == ["conversation.fallback"]
    assert dispatcher.messages[0]["fallback"] is True


async def test_miss_after_a_reset_then_hands_off_again(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    history = [*miss(), *understood(), *miss()]
    await fallback(store, clock, dispatcher, make_tracker, domain, history=history)
    assert entry_ids(dispatcher)[0] == "conversation.fallback_handoff"


def test_misses_of_an_earlier_session_do_not_count() -> None:
    events = [
        user_event("nlu_fallback"),
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
        user_event("nlu_fallback"),
    ]
    assert misunderstandings_in_a_row(events) == 1


# --- Spanish ----------------------------------------------------------------------------------


def spanish(tracker: Any) -> Any:
    tracker.latest_message["language"] = "es"
    return tracker


@pytest.mark.parametrize(
    ("intent", "entry_id"),
    [("nlu_fallback", "conversation.fallback"), ("out_of_scope", "conversation.out_of_scope")],
)
@pytest.mark.parametrize("channel", ["rest", "sms"])
async def test_spanish_fallback_gives_911_and_988_in_spanish(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    intent: str,
    entry_id: str,
    channel: str,
) -> None:
    tracker = spanish(make_tracker(intent, "necesito saber algo", channel=channel))
    events = await ActionFallback(store=store, clock=clock).run(dispatcher, tracker, domain)
    assert events == [SlotSet("conversation_language", "es")]
    [message] = dispatcher.messages
    assert message["kb_entry"] == entry_id
    assert message["fallback"] is True
    assert message["language"] == "es"
    text = message["text"]
    kind = SMS if channel == "sms" else WEB
    assert text == store.current().render(entry_id, kind, None, "es").text
    assert "988" in text and "AYUDA" in text and "911" in text
    assert "Sorry" not in text


async def test_english_fallback_is_marked_english(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    await fallback(store, clock, dispatcher, make_tracker, domain)
    assert dispatcher.messages[0]["language"] == "en"


async def test_spanish_second_miss_apologises_then_hands_off(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = spanish(make_tracker("nlu_fallback", "no entiendo nada", history=miss()))
    await ActionFallback(store=store, clock=clock).run(dispatcher, tracker, domain)
    assert entry_ids(dispatcher)[0] == "conversation.fallback_handoff"
    # The handoff that follows (phone line, nurse reminder, callback offer) is Spanish too.
    assert {message["language"] for message in dispatcher.messages} == {"es"}


# --- a knowledge term in a message not understood ---------------------------------------------


@pytest.mark.parametrize(
    ("topic", "entity", "value", "entry_id"),
    [
        ("side_effects.overview", "side_effect", "diarrhea", "side_effects.diarrhea"),
        ("treatment.forms", "treatment_form", "pill", "treatment.forms.pill"),
        ("infusion.hours", "side_effect", "rash", "side_effects.rash"),
        (None, "amenity", "recliner", "infusion.rooms.recliner"),
    ],
)
async def test_nlu_fallback_naming_a_term_is_answered_from_the_topic(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    topic: Any,
    entity: str,
    value: str,
    entry_id: str,
) -> None:
    tracker = make_tracker(
        "nlu_fallback",
        f"hmm {value} then",
        [{"entity": entity, "value": value, "start": 4}],
        slots={"topic": topic},
        # Even after a miss: the term is understood, so no handoff.
        history=miss(),
    )
    events = await ActionFallback(store=store, clock=clock).run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["kb_entry"] == entry_id
    assert "fallback" not in message
    assert events == [SlotSet("topic", entry_id)]


async def test_nlu_fallback_with_an_unknown_term_and_no_topic_falls_back(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker(
        "nlu_fallback", "hair loss", [{"entity": "side_effect", "value": "hair_loss", "start": 0}]
    )
    events = await ActionFallback(store=store, clock=clock).run(dispatcher, tracker, domain)
    assert events == []
    assert entry_ids(dispatcher) == ["conversation.fallback"]
    assert dispatcher.messages[0]["fallback"] is True


async def test_out_of_scope_naming_a_term_is_still_out_of_scope(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker(
        "out_of_scope",
        "rash cream recipes",
        [{"entity": "side_effect", "value": "rash", "start": 0}],
        slots={"topic": "side_effects.overview"},
    )
    await ActionFallback(store=store, clock=clock).run(dispatcher, tracker, domain)
    assert entry_ids(dispatcher) == ["conversation.out_of_scope"]
