"""action_answer: the knowledge entry for the latest intent and entities, per channel."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, BotUttered, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswer
from assistant.knowledge import SMS, WEB, KnowledgeStore
from tests.conftest import build_tracker, user_event

SUPPORT_LINK = "[1-800-CEDARS-1](tel:+18002332771) (1-800-233-2771)"
SUPPORT_PHONE = "1-800-CEDARS-1 (1-800-233-2771)"
TOPIC_PAYLOADS = [
    "/ask_immunotherapy",
    "/ask_side_effects",
    "/ask_infusion_center",
    "/request_human",
]

# The general entry of every intent action_answer handles (data/rules/answers.yml), plus the
# NLU fallback intent, which has an entry too.
GENERAL_ENTRIES = {
    "ask_immunotherapy": "immunotherapy.overview",
    "ask_immunotherapy_types": "immunotherapy.types",
    "ask_treatment_forms": "treatment.forms",
    "ask_dosing": "treatment.dosing",
    "ask_side_effects": "side_effects.overview",
    "ask_allergic_reaction": "side_effects.allergic_reaction",
    "ask_cancer_origin": "cancer_origin.overview",
    "ask_infusion_center": "infusion.overview",
    "ask_infusion_hours": "infusion.hours",
    "ask_infusion_rooms": "infusion.rooms",
    "ask_nurse_line": "support.nurse_line",
    "ask_locations": "other.locations",
    "ask_clinical_trials": "other.clinical_trials",
    "ask_find_physician": "other.find_physician",
    "ask_virtual_care": "other.virtual_care",
    "medical_advice": "safety.medical_advice",
    "greet": "conversation.greet",
    "thank": "conversation.thank",
    "goodbye": "conversation.goodbye",
    "bot_challenge": "conversation.bot_challenge",
    "ask_capabilities": "conversation.capabilities",
    "affirm": "conversation.affirm",
    "deny": "conversation.deny",
    "cancel": "conversation.cancel",
    "inform": "conversation.inform",
    "nlu_fallback": "conversation.fallback",
}


async def answer(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: Dict[str, Any],
) -> List[Dict[str, Any]]:
    return await ActionAnswer(store=store).run(dispatcher, tracker, domain)


def only_message(dispatcher: CollectingDispatcher) -> Dict[str, Any]:
    assert len(dispatcher.messages) == 1, dispatcher.messages
    return dispatcher.messages[0]


def test_name_is_in_the_domain(domain: Dict[str, Any]) -> None:
    assert ActionAnswer().name() == "action_answer"
    assert "action_answer" in domain["actions"]


def test_every_answered_intent_is_a_domain_intent(domain: Dict[str, Any]) -> None:
    assert set(GENERAL_ENTRIES) - {"nlu_fallback"} <= set(domain["intents"])


@pytest.mark.parametrize(("intent", "entry_id"), sorted(GENERAL_ENTRIES.items()))
async def test_general_entry_per_intent(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    intent: str,
    entry_id: str,
) -> None:
    events = await answer(store, dispatcher, make_tracker(intent, "some question"), domain)
    # Answers to a topic question become the topic that follow-ups resolve against
    # ("what can you do" is not a topic).
    is_topic = intent.startswith("ask_") and intent != "ask_capabilities"
    assert events == ([SlotSet("topic", entry_id)] if is_topic else [])
    message = only_message(dispatcher)
    assert message["kb_entry"] == entry_id
    entry = store.current().get(entry_id)
    assert message["text"] == store.current().render(entry_id, WEB).text
    assert [b["payload"] for b in message["buttons"]] == [b.payload for b in entry.buttons]


@pytest.mark.parametrize(
    ("intent", "entity", "value", "entry_id", "phrase"),
    [
        ("ask_side_effects", "side_effect", "rash", "side_effects.rash", "**Rash** is one of"),
        ("ask_allergic_reaction", "side_effect", "rash", "side_effects.rash", "**Rash**"),
        ("ask_treatment_forms", "treatment_form", "pill", "treatment.forms.pill", "as a **pill**"),
        ("ask_dosing", "treatment_form", "pill", "treatment.forms.pill", "as a **pill**"),
        (
            "ask_infusion_rooms",
            "amenity",
            "recliner",
            "infusion.rooms.recliner",
            "**16 cozy recliner chairs**",
        ),
        (
            "ask_infusion_center",
            "amenity",
            "recliner",
            "infusion.rooms.recliner",
            "**16 cozy recliner chairs**",
        ),
        (
            "ask_cancer_origin",
            "cancer_site",
            "breast",
            "cancer_origin.breast",
            "started in the **breast**",
        ),
        (
            "ask_immunotherapy_types",
            "immunotherapy_type",
            "cancer_vaccines",
            "immunotherapy.types.cancer_vaccines",
            "**Cancer vaccines** strengthen",
        ),
        (
            "ask_immunotherapy",
            "immunotherapy_type",
            "cancer_vaccines",
            "immunotherapy.types.cancer_vaccines",
            "**Cancer vaccines** strengthen",
        ),
    ],
)
async def test_entity_specific_entry(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    intent: str,
    entity: str,
    value: str,
    entry_id: str,
    phrase: str,
) -> None:
    tracker = make_tracker(
        intent, f"tell me about {value}", [{"entity": entity, "value": value, "start": 14}]
    )
    await answer(store, dispatcher, tracker, domain)
    message = only_message(dispatcher)
    assert message["kb_entry"] == entry_id
    assert phrase in message["text"]


async def test_entity_of_another_topic_keeps_the_general_entry(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker(
        "ask_infusion_hours", "hours", [{"entity": "side_effect", "value": "rash", "start": 0}]
    )
    await answer(store, dispatcher, tracker, domain)
    assert only_message(dispatcher)["kb_entry"] == "infusion.hours"


async def test_unknown_entity_value_keeps_the_general_entry(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker(
        "ask_side_effects",
        "hair loss?",
        [{"entity": "side_effect", "value": "hair_loss", "start": 0}],
    )
    await answer(store, dispatcher, tracker, domain)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "side_effects.overview"
    assert "Side effects of immunotherapy may include" in message["text"]


async def test_first_mentioned_entity_wins(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    # Listed out of order on purpose: "fatigue" comes first in the text.
    tracker = make_tracker(
        "ask_side_effects",
        "fatigue and rash",
        [
            {"entity": "side_effect", "value": "rash", "start": 12, "end": 16},
            {"entity": "side_effect", "value": "fatigue", "start": 0, "end": 7},
        ],
    )
    await answer(store, dispatcher, tracker, domain)
    assert only_message(dispatcher)["kb_entry"] == "side_effects.fatigue"


async def test_sms_gets_the_plain_sms_text(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker("ask_infusion_hours", "when are you open", channel="sms")
    await answer(store, dispatcher, tracker, domain)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "infusion.hours"
    text = message["text"]
    assert text == store.current().render("infusion.hours", SMS).text
    assert text.startswith("The infusion center is open 24 hours a day, 7 days a week.")
    assert SUPPORT_PHONE in text
    assert "tel:" not in text
    assert "**" not in text and "](" not in text
    assert len(text) <= 300


async def test_web_gets_markdown_with_the_tel_link(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker("ask_infusion_hours", "when are you open", channel="rest")
    await answer(store, dispatcher, tracker, domain)
    text = only_message(dispatcher)["text"]
    assert "**24 hours a day, seven days a week**" in text
    assert SUPPORT_LINK in text


@pytest.mark.parametrize(
    ("intent", "entity", "value"),
    [
        ("ask_side_effects", "side_effect", "rash"),
        ("ask_treatment_forms", "treatment_form", "pill"),
        ("ask_infusion_rooms", "amenity", "recliner"),
        ("ask_cancer_origin", "cancer_site", "breast"),
        ("ask_immunotherapy_types", "immunotherapy_type", "cancer_vaccines"),
        ("ask_nurse_line", None, None),
        ("bot_challenge", None, None),
    ],
)
async def test_sms_never_carries_markdown(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    intent: str,
    entity: Any,
    value: Any,
) -> None:
    entities = [{"entity": entity, "value": value, "start": 0}] if entity else []
    await answer(store, dispatcher, make_tracker(intent, "q", entities, channel="sms"), domain)
    message = only_message(dispatcher)
    text = message["text"]
    assert text == store.current().render(message["kb_entry"], SMS).text
    assert "**" not in text and "](" not in text and "tel:" not in text


@pytest.mark.parametrize("intent", ["ask_weather", "request_human", "emergency_typo"])
async def test_unknown_intent_falls_back(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    intent: str,
) -> None:
    events = await answer(store, dispatcher, make_tracker(intent, "what"), domain)
    assert events == []
    message = only_message(dispatcher)
    assert message["kb_entry"] == "conversation.fallback"
    assert message["text"].startswith("Sorry, I didn't understand that.")
    assert SUPPORT_LINK in message["text"]
    assert [b["payload"] for b in message["buttons"]] == TOPIC_PAYLOADS


async def test_message_without_intent_falls_back(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, domain: Dict[str, Any]
) -> None:
    tracker = Tracker(
        sender_id="test-conversation",
        slots={},
        latest_message={"text": "?", "entities": []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    await answer(store, dispatcher, tracker, domain)
    assert only_message(dispatcher)["kb_entry"] == "conversation.fallback"


async def test_edited_knowledge_changes_the_answer_without_restart(
    store: KnowledgeStore,
    knowledge_copy: Path,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    action = ActionAnswer(store=store)
    tracker = make_tracker(
        "ask_infusion_rooms", "recliners?", [{"entity": "amenity", "value": "recliner", "start": 0}]
    )
    await action.run(dispatcher, tracker, domain)
    assert "**16 cozy recliner chairs**" in dispatcher.messages[0]["text"]

    path = knowledge_copy / "infusion_center.yml"
    text = path.read_text(encoding="utf-8")
    old = "For shorter sessions there are **16 cozy recliner chairs**."
    assert old in text
    path.write_text(
        text.replace(old, "For shorter sessions there are **20 new recliner chairs**."),
        encoding="utf-8",
    )
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))

    await action.run(dispatcher, tracker, domain)
    assert len(dispatcher.messages) == 2
    edited = dispatcher.messages[1]
    assert edited["kb_entry"] == "infusion.rooms.recliner"
    assert "**20 new recliner chairs**" in edited["text"]
    assert "16 cozy recliner chairs" not in edited["text"]


# --- follow-ups against the topic -------------------------------------------------------------


def slot_events(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


@pytest.mark.parametrize(
    ("topic", "entity", "value", "entry_id"),
    [
        ("side_effects.overview", "side_effect", "diarrhea", "side_effects.diarrhea"),
        ("side_effects.rash", "side_effect", "diarrhea", "side_effects.diarrhea"),
        ("treatment.forms", "treatment_form", "pill", "treatment.forms.pill"),
        ("treatment.forms.iv", "treatment_form", "pill", "treatment.forms.pill"),
        ("infusion.rooms", "amenity", "recliner", "infusion.rooms.recliner"),
        # A term the topic does not cover is looked up in every topic.
        ("infusion.hours", "side_effect", "diarrhea", "side_effects.diarrhea"),
        (None, "side_effect", "diarrhea", "side_effects.diarrhea"),
    ],
)
async def test_follow_up_naming_a_term(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    topic: Any,
    entity: str,
    value: str,
    entry_id: str,
) -> None:
    tracker = make_tracker(
        "follow_up",
        f"what about {value}",
        [{"entity": entity, "value": value, "start": 11}],
        slots={"topic": topic},
    )
    events = await answer(store, dispatcher, tracker, domain)
    message = only_message(dispatcher)
    assert message["kb_entry"] == entry_id
    assert "fallback" not in message
    assert slot_events(events) == {"topic": entry_id}


async def test_follow_up_without_a_term_answers_the_topic_again(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker("follow_up", "how many?", slots={"topic": "infusion.rooms.private_room"})
    events = await answer(store, dispatcher, tracker, domain)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "infusion.rooms.private_room"
    assert message["text"] == store.current().render("infusion.rooms.private_room", WEB).text
    assert slot_events(events) == {"topic": "infusion.rooms.private_room"}


@pytest.mark.parametrize("topic", [None, "no.such_entry"])
async def test_follow_up_without_topic_or_term_falls_back(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    topic: Any,
) -> None:
    tracker = make_tracker("follow_up", "and?", slots={"topic": topic})
    events = await answer(store, dispatcher, tracker, domain)
    assert events == []
    message = only_message(dispatcher)
    assert message["kb_entry"] == "conversation.fallback"
    assert message["fallback"] is True


async def test_topic_is_set_after_a_topic_answer(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    tracker = make_tracker(
        "ask_side_effects", "rash?", [{"entity": "side_effect", "value": "rash", "start": 0}]
    )
    events = await answer(store, dispatcher, tracker, domain)
    assert events == [SlotSet("topic", "side_effects.rash")]


@pytest.mark.parametrize("intent", ["greet", "thank", "goodbye", "deny", "bot_challenge"])
async def test_small_talk_keeps_the_topic(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    intent: str,
) -> None:
    tracker = make_tracker(intent, "hi", slots={"topic": "side_effects.overview"})
    events = await answer(store, dispatcher, tracker, domain)
    assert events == []


# --- "no"/"stop" statements -------------------------------------------------------------------


def statement_tracker(
    intent: str,
    text: str,
    ranking: List[Dict[str, Any]],
    statement: bool = True,
    history: List[Dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    extras: Dict[str, Any] = {"intent_ranking": ranking}
    if statement:
        extras["statement"] = True
    return build_tracker(
        intent, text, active_loop=active_loop, history=history, parse_extras=extras
    )


HOURS_RANKING = [
    {"name": "deny", "confidence": 0.6},
    {"name": "ask_infusion_hours", "confidence": 0.35},
]


def bot_offer(payloads: List[str]) -> List[Dict[str, Any]]:
    buttons = [{"title": payload, "payload": payload} for payload in payloads]
    return [
        user_event("request_human", "a person please"),
        ActionExecuted("action_handoff"),
        BotUttered("Would you like a callback?", data={"buttons": buttons}),
        ActionExecuted("action_listen"),
    ]


async def test_statement_deny_is_answered_as_its_best_alternative(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, domain: Dict[str, Any]
) -> None:
    tracker = statement_tracker("deny", "no one told me when you are open", HOURS_RANKING)
    events = await answer(store, dispatcher, tracker, domain)
    assert only_message(dispatcher)["kb_entry"] == "infusion.hours"
    assert events == [SlotSet("topic", "infusion.hours")]


@pytest.mark.parametrize("intent", ["deny", "cancel"])
@pytest.mark.parametrize(
    "ranking",
    [
        [{"name": "deny", "confidence": 0.9}, {"name": "cancel", "confidence": 0.05}],
        # Below the fallback threshold: not sure enough.
        [{"name": "deny", "confidence": 0.75}, {"name": "ask_infusion_hours", "confidence": 0.2}],
        [],
    ],
)
async def test_statement_without_an_alternative_falls_back(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    domain: Dict[str, Any],
    intent: str,
    ranking: List[Dict[str, Any]],
) -> None:
    tracker = statement_tracker(intent, "I can't stop thinking about it", ranking)
    events = await answer(store, dispatcher, tracker, domain)
    assert events == []
    message = only_message(dispatcher)
    assert message["kb_entry"] == "conversation.fallback"
    assert message["fallback"] is True


async def test_statement_deny_answering_a_deny_button_stays_a_deny(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, domain: Dict[str, Any]
) -> None:
    history = bot_offer(["/request_callback", "/deny"])
    tracker = statement_tracker("deny", "no I don't need that now", HOURS_RANKING, history=history)
    events = await answer(store, dispatcher, tracker, domain)
    assert only_message(dispatcher)["kb_entry"] == "conversation.deny"
    assert events == []


async def test_statement_deny_after_an_offer_without_a_deny_button_is_a_statement(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, domain: Dict[str, Any]
) -> None:
    history = bot_offer(["/ask_infusion_hours"])
    tracker = statement_tracker("deny", "no one said the hours", HOURS_RANKING, history=history)
    await answer(store, dispatcher, tracker, domain)
    assert only_message(dispatcher)["kb_entry"] == "infusion.hours"


async def test_statement_deny_inside_a_form_stays_a_deny(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, domain: Dict[str, Any]
) -> None:
    tracker = statement_tracker(
        "deny", "no I don't want that", HOURS_RANKING, active_loop="callback_form"
    )
    await answer(store, dispatcher, tracker, domain)
    assert only_message(dispatcher)["kb_entry"] == "conversation.deny"


async def test_plain_deny_is_a_deny(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, domain: Dict[str, Any]
) -> None:
    tracker = statement_tracker("deny", "no", HOURS_RANKING, statement=False)
    events = await answer(store, dispatcher, tracker, domain)
    assert only_message(dispatcher)["kb_entry"] == "conversation.deny"
    assert events == []


async def test_spanish_fallback_from_action_answer(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, domain: Dict[str, Any]
) -> None:
    tracker = statement_tracker("cancel", "no puedo dormir por la noche", [])
    tracker.latest_message["language"] = "es"
    await answer(store, dispatcher, tracker, domain)
    message = only_message(dispatcher)
    assert message["kb_entry"] == "conversation.fallback"
    assert message["language"] == "es"
    assert "988" in message["text"] and "AYUDA" in message["text"]
