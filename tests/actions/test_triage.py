"""action_triage (911 / 988 / "call your care team now"; ends a form) and action_symptom_report
(a side effect's facts and the red-flag question; sets the side-effects topic)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.triage import ActionSymptomReport, ActionTriage
from assistant.knowledge import SMS, WEB, KnowledgeStore
from tests.conftest import build_tracker

SUPPORT_LINK = "[1-800-CEDARS-1](tel:+18002332771) (1-800-233-2771)"
SUPPORT_PHONE = "1-800-CEDARS-1 (1-800-233-2771)"
CALLBACK_SLOTS = ["callback_name", "callback_phone", "callback_time", "callback_consent"]
CARE_TEAM_NOW = "call your care team now"
TELL_CARE_TEAM = "Tell your care team about any side effect"


def triage_tracker(
    intent: str,
    text: str = "",
    *,
    tiers: Optional[List[str]] = None,
    red_flags: Optional[List[str]] = None,
    side_effects: Optional[List[str]] = None,
    language: Optional[str] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    channel: str = "rest",
    slots: Optional[Dict[str, Any]] = None,
    active_loop: Optional[str] = None,
    with_triage: bool = True,
) -> Tracker:
    """Like the ``make_tracker`` fixture, plus the parse data the term matcher adds: the
    ``triage`` block and the message ``language``."""
    extras: Dict[str, Any] = {}
    if with_triage:
        extras["triage"] = {
            "tiers": list(tiers if tiers is not None else [intent]),
            "red_flags": list(red_flags or []),
            "side_effects": list(side_effects or []),
            "language": language,
        }
    if language is not None:
        extras["language"] = language
    return build_tracker(intent, text, entities, channel, slots, active_loop, parse_extras=extras)


async def triage(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, tracker: Tracker
) -> List[Dict[str, Any]]:
    return await ActionTriage(store=store).run(dispatcher, tracker, {})


async def symptom_report(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, tracker: Tracker
) -> List[Dict[str, Any]]:
    return await ActionSymptomReport(store=store).run(dispatcher, tracker, {})


def only_message(dispatcher: CollectingDispatcher) -> Dict[str, Any]:
    assert len(dispatcher.messages) == 1, dispatcher.messages
    return dispatcher.messages[0]


def entry_ids(dispatcher: CollectingDispatcher) -> List[str]:
    return [message["kb_entry"] for message in dispatcher.messages]


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def loop_names(events: List[Dict[str, Any]]) -> List[Any]:
    return [event["name"] for event in events if event["event"] == "active_loop"]


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "name"),
    [(ActionTriage, "action_triage"), (ActionSymptomReport, "action_symptom_report")],
)
def test_name_is_in_the_domain(domain: Dict[str, Any], action: Any, name: str) -> None:
    assert action().name() == name
    assert name in domain["actions"]


def test_the_old_emergency_action_is_gone(domain: Dict[str, Any]) -> None:
    assert "action_emergency" not in domain["actions"]


# --- 911 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_triage", [True, False])
async def test_emergency_says_911_first_on_web(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, with_triage: bool
) -> None:
    tracker = triage_tracker("emergency", "I can't breathe", with_triage=with_triage)
    await triage(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "safety.emergency"
    text = message["text"]
    assert text == store.current().render("safety.emergency", WEB).text
    assert text.startswith("**If this is an emergency, call [911](tel:911) now.**")
    assert text.index("911") < text.index(SUPPORT_LINK)
    assert message["buttons"] == []


async def test_emergency_says_911_first_by_sms(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker("emergency", "I can't breathe", channel="sms")
    await triage(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "safety.emergency"
    text = message["text"]
    assert text == store.current().render("safety.emergency", SMS).text
    assert text.startswith("If this is an emergency, call 911 now.")
    assert SUPPORT_PHONE in text
    assert "tel:" not in text and "**" not in text


# --- 988 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["rest", "sms"])
async def test_self_harm_gets_988(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, channel: str
) -> None:
    tracker = triage_tracker("self_harm", "I want to hurt myself", channel=channel)
    await triage(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "safety.self_harm"
    text = message["text"]
    assert "988" in text
    assert text.index("988") < text.index("911")
    if channel == "sms":
        assert "tel:" not in text
    else:
        assert "Suicide & Crisis Lifeline" in text


async def test_overdose_is_911_and_988_in_one_answer(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker(
        "emergency",
        "I took all my pills",
        tiers=["emergency", "self_harm"],
        red_flags=["overdose"],
    )
    await triage(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "safety.overdose"
    text = message["text"]
    assert "911" in text and "988" in text
    assert text.index("911") < text.index("988")
    assert message["emergency"] is True


async def test_overdose_from_the_entity_alone(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker(
        "emergency",
        "overdose",
        entities=[{"entity": "red_flag", "value": "overdose", "start": 0, "end": 8}],
        with_triage=False,
    )
    await triage(store, dispatcher, tracker)
    assert entry_ids(dispatcher) == ["safety.overdose"]


async def test_emergency_and_self_harm_are_two_answers_911_first(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker(
        "emergency", "chest pain and I want to die", tiers=["self_harm", "emergency"]
    )
    await triage(store, dispatcher, tracker)
    assert entry_ids(dispatcher) == ["safety.emergency", "safety.self_harm"]
    # Both are flagged as emergencies, under the top tier.
    assert all(message["emergency"] is True for message in dispatcher.messages)
    assert all(message["triage"] == "emergency" for message in dispatcher.messages)


# --- urgent symptoms ---------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["rest", "sms"])
async def test_urgent_fever_says_call_your_care_team_now(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, channel: str
) -> None:
    tracker = triage_tracker(
        "urgent_symptom", "I have a fever", red_flags=["fever"], channel=channel
    )
    await triage(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "urgent.fever"
    assert CARE_TEAM_NOW in message["text"]
    assert message["triage"] == "urgent_symptom"
    assert "emergency" not in message or message["emergency"] is False


async def test_urgent_red_flag_from_the_entity(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker(
        "urgent_symptom",
        "I have chills",
        entities=[{"entity": "red_flag", "value": "fever", "start": 7, "end": 13}],
        with_triage=False,
    )
    await triage(store, dispatcher, tracker)
    assert entry_ids(dispatcher) == ["urgent.fever"]


async def test_urgent_button_payload_gets_the_general_answer(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    # "/urgent_symptom": only the intent, no triage block, no red flag.
    tracker = triage_tracker("urgent_symptom", "/urgent_symptom", with_triage=False)
    await triage(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "urgent.general"
    assert CARE_TEAM_NOW in message["text"]
    assert message["triage"] == "urgent_symptom"


async def test_triage_without_any_tier_answers_as_an_emergency(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    # The rules chose action_triage, but the message carries no tier (e.g. an odd payload).
    tracker = triage_tracker("inform", "help", with_triage=False)
    await triage(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "safety.emergency"
    assert message["emergency"] is True
    assert message["triage"] == "emergency"


# --- metadata ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intent", "red_flags", "emergency", "tier"),
    [
        ("emergency", [], True, "emergency"),
        ("self_harm", [], True, "self_harm"),
        ("urgent_symptom", ["fever"], False, "urgent_symptom"),
    ],
)
async def test_metadata_flags(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    intent: str,
    red_flags: List[str],
    emergency: bool,
    tier: str,
) -> None:
    await triage(store, dispatcher, triage_tracker(intent, "help", red_flags=red_flags))
    message = only_message(dispatcher)
    assert message["emergency"] is emergency
    assert message["triage"] == tier
    assert message["language"] == "en"


# --- Spanish ----------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["rest", "sms"])
async def test_spanish_self_harm_gets_the_spanish_988_text(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, channel: str
) -> None:
    tracker = triage_tracker("self_harm", "quiero morir", language="es", channel=channel)
    await triage(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "safety.self_harm"
    kind = SMS if channel == "sms" else WEB
    assert message["text"] == store.current().render("safety.self_harm", kind, None, "es").text
    assert "988" in message["text"]
    assert "llame" in message["text"].lower()
    assert "AYUDA" in message["text"]
    assert message["language"] == "es"
    assert message["emergency"] is True


async def test_spanish_emergency_starts_with_911(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker("emergency", "no puedo respirar", language="es")
    await triage(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "safety.emergency"
    assert message["text"].startswith("**Si es una emergencia, llame al [911](tel:911) ahora.**")
    assert message["language"] == "es"


async def test_language_from_the_triage_block_alone(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker("urgent_symptom", "tengo fiebre", red_flags=["fever"])
    tracker.latest_message["triage"]["language"] = "es"
    await triage(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "urgent.fever"
    assert "Llame" in message["text"] or "llame" in message["text"]
    assert message["language"] == "es"


# --- the form ---------------------------------------------------------------------------------


@pytest.mark.parametrize("intent", ["emergency", "self_harm", "urgent_symptom"])
async def test_triage_during_the_callback_form_ends_it(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, intent: str
) -> None:
    request = {"name": "Earlier Request", "phone": "+13105550123"}
    tracker = triage_tracker(
        intent,
        "chest pain",
        slots={
            "callback_name": "Maria Lopez",
            "callback_phone": "(310) 555-0123",
            "requested_slot": "callback_time",
            "callback_request": request,
        },
        active_loop="callback_form",
    )
    events = await triage(store, dispatcher, tracker)
    assert events[0]["event"] == "active_loop"
    assert loop_names(events) == [None]
    slots = slot_events(events)
    assert slots == {"requested_slot": None, **{slot: None for slot in CALLBACK_SLOTS}}
    # The recorded request of an earlier callback is not touched.
    assert "callback_request" not in slots
    assert len(dispatcher.messages) == 1


async def test_triage_without_a_form_still_ends_any_loop(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    events = await triage(store, dispatcher, triage_tracker("emergency", "911"))
    assert loop_names(events) == [None]
    assert set(slot_events(events)) == {"requested_slot", *CALLBACK_SLOTS}
    assert all(value is None for value in slot_events(events).values())


# --- symptom reports --------------------------------------------------------------------------


@pytest.mark.parametrize("with_triage", [True, False])
async def test_symptom_report_rash(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, with_triage: bool
) -> None:
    tracker = triage_tracker(
        "symptom_report",
        "I have a rash",
        entities=[{"entity": "side_effect", "value": "rash", "start": 9, "end": 13}],
        with_triage=with_triage,
    )
    events = await symptom_report(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "symptom_report.rash"
    assert TELL_CARE_TEAM in message["text"]
    assert "**Is the rash blistering or peeling" in message["text"]
    assert message["triage"] == "symptom_report"
    assert message["emergency"] is False
    assert slot_events(events) == {"topic": "side_effects.overview"}
    # A form in progress goes on.
    assert loop_names(events) == []


async def test_symptom_report_from_the_triage_block(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker("symptom_report", "so tired", side_effects=["fatigue"])
    await symptom_report(store, dispatcher, tracker)
    assert entry_ids(dispatcher) == ["symptom_report.fatigue"]


async def test_symptom_report_without_a_side_effect_is_general(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker("symptom_report", "/symptom_report", with_triage=False)
    events = await symptom_report(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "symptom_report.general"
    assert TELL_CARE_TEAM in message["text"]
    assert slot_events(events) == {"topic": "side_effects.overview"}


async def test_symptom_report_by_sms_is_plain(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker(
        "symptom_report", "I have a rash", side_effects=["rash"], channel="sms"
    )
    await symptom_report(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["text"] == store.current().render("symptom_report.rash", SMS).text
    assert "**" not in message["text"] and "tel:" not in message["text"]


async def test_spanish_symptom_report(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker(
        "symptom_report", "tengo sarpullido", side_effects=["rash"], language="es"
    )
    await symptom_report(store, dispatcher, tracker)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "symptom_report.rash"
    assert "Informe a su equipo de atención" in message["text"]
    assert message["language"] == "es"


async def test_symptom_report_during_the_form_keeps_the_form(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    tracker = triage_tracker(
        "symptom_report",
        "I have a rash",
        side_effects=["rash"],
        slots={"callback_name": "Maria Lopez", "requested_slot": "callback_phone"},
        active_loop="callback_form",
    )
    events = await symptom_report(store, dispatcher, tracker)
    assert events == [SlotSet("topic", "side_effects.overview")]
