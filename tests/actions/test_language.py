"""The conversation's language across the actions: a confident Spanish message switches the
answers to Spanish and records it in the slot; an explicit request or the widget's toggle
switches either way; a one-word reply ("sí", "1") never does; a stale translation answers in
English after a one-line Spanish note."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswer
from actions.runtime import conversation_language
from actions.session_start import ActionSessionStart
from assistant.dialogue_names import (
    CALLBACK_NAME_SLOT,
    CALLBACK_PHONE_SLOT,
    LANGUAGE_SLOT,
    META_LANGUAGE,
    META_LANGUAGE_CHOICE,
    META_PAGE_LANGUAGE,
    PARSE_LANGUAGE,
    PARSE_LANGUAGE_CONFIDENCE,
    PARSE_LANGUAGE_GUESS,
    PARSE_LANGUAGE_REQUEST,
    REQUESTED_SLOT,
    SESSION_STARTED_METADATA_SLOT,
)
from assistant.knowledge import ES, WEB, KnowledgeStore
from tests.conftest import MakeTracker, user_event


def reading(
    language: Optional[str],
    confidence: float,
    guess: Optional[str] = None,
    request: Optional[str] = None,
) -> Dict[str, Any]:
    """The language keys the NLU adds to a message's parse data."""
    return {
        PARSE_LANGUAGE: language,
        PARSE_LANGUAGE_CONFIDENCE: confidence,
        PARSE_LANGUAGE_GUESS: guess or language,
        PARSE_LANGUAGE_REQUEST: request,
    }


async def answer(store: KnowledgeStore, tracker: Tracker) -> tuple[Dict[str, Any], List[Any]]:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswer(store=store).run(dispatcher, tracker, {})
    assert len(dispatcher.messages) == 1, dispatcher.messages
    return dispatcher.messages[0], events


async def test_a_spanish_question_is_answered_in_spanish(
    store: KnowledgeStore, make_tracker: MakeTracker
) -> None:
    tracker = make_tracker(
        "ask_immunotherapy", "q es la inmunoterapia??", parse_extras=reading("es", 0.96)
    )
    message, events = await answer(store, tracker)
    assert message[META_LANGUAGE] == ES
    assert message["text"] == store.current().render("immunotherapy.overview", WEB, None, ES).text
    spanish_titles = store.current().get("immunotherapy.overview").es
    assert spanish_titles is not None
    assert [b["title"] for b in message["buttons"]] == spanish_titles.buttons
    assert SlotSet(LANGUAGE_SLOT, ES) in events


async def test_an_english_conversation_sets_no_slot(
    store: KnowledgeStore, make_tracker: MakeTracker
) -> None:
    tracker = make_tracker(
        "ask_immunotherapy", "whats immunotherapy", parse_extras=reading("en", 0.99)
    )
    message, events = await answer(store, tracker)
    assert message[META_LANGUAGE] == "en"
    assert not any(e.get("name") == LANGUAGE_SLOT for e in events)


async def test_a_one_word_reply_never_flips_the_language(
    store: KnowledgeStore, make_tracker: MakeTracker
) -> None:
    history = [user_event("ask_side_effects", "what are the side effects")]
    for text, guess in (("sí", "es"), ("1", None), ("gracias", "es")):
        tracker = make_tracker(
            "affirm",
            text,
            slots={LANGUAGE_SLOT: "en"},
            history=history,
            parse_extras=reading(None, 1.0, guess=guess),
        )
        message, events = await answer(store, tracker)
        assert message[META_LANGUAGE] == "en", text
        assert not any(e.get("name") == LANGUAGE_SLOT for e in events), text
    spanish = make_tracker(
        "affirm",
        "ok",
        slots={LANGUAGE_SLOT: ES},
        history=history,
        parse_extras=reading(None, 0.89, guess="en"),
    )
    message, events = await answer(store, spanish)
    assert message[META_LANGUAGE] == ES and events == []


async def test_a_confident_english_message_switches_back(
    store: KnowledgeStore, make_tracker: MakeTracker
) -> None:
    tracker = make_tracker(
        "ask_infusion_hours",
        "what time do u open on saturday",
        slots={LANGUAGE_SLOT: ES},
        parse_extras=reading("en", 0.97),
    )
    message, events = await answer(store, tracker)
    assert message[META_LANGUAGE] == "en"
    assert SlotSet(LANGUAGE_SLOT, "en") in events


async def test_the_widget_toggle_wins_over_detection(
    store: KnowledgeStore, make_tracker: MakeTracker
) -> None:
    tracker = make_tracker(
        "ask_side_effects",
        "side effects?",
        parse_extras=reading("en", 0.95),
        metadata={META_LANGUAGE_CHOICE: ES, META_PAGE_LANGUAGE: ES},
    )
    message, events = await answer(store, tracker)
    assert message[META_LANGUAGE] == ES
    assert SlotSet(LANGUAGE_SLOT, ES) in events


async def test_english_please_switches_to_english_and_says_so(
    store: KnowledgeStore, make_tracker: MakeTracker
) -> None:
    tracker = make_tracker(
        "change_language",
        "English please",
        slots={LANGUAGE_SLOT: ES},
        parse_extras=reading("en", 0.98, request="en"),
    )
    message, events = await answer(store, tracker)
    assert message["kb_entry"] == "conversation.language_changed"
    assert message[META_LANGUAGE] == "en"
    assert SlotSet(LANGUAGE_SLOT, "en") in events


async def test_asking_for_another_language_switches_to_the_other_one(
    store: KnowledgeStore, make_tracker: MakeTracker
) -> None:
    tracker = make_tracker(
        "change_language",
        "do you have this in another language",
        parse_extras=reading("en", 0.99),
    )
    message, events = await answer(store, tracker)
    assert message["kb_entry"] == "conversation.language_changed"
    assert message[META_LANGUAGE] == ES
    assert SlotSet(LANGUAGE_SLOT, ES) in events


async def test_a_spanish_page_starts_a_new_conversation_in_spanish(
    store: KnowledgeStore, make_tracker: MakeTracker
) -> None:
    tracker = make_tracker(
        "greet", "hola", parse_extras=reading(None, 0.66, guess="es"), metadata={}
    )
    message, _ = await answer(store, tracker)
    assert message[META_LANGUAGE] == ES, "a first 'hola' starts the conversation in Spanish"
    paged = make_tracker(
        "greet",
        "hi",
        parse_extras=reading(None, 0.5, guess="en"),
        metadata={META_PAGE_LANGUAGE: ES},
    )
    message, _ = await answer(store, paged)
    assert message[META_LANGUAGE] == ES


async def test_the_session_opens_in_the_pages_language(store: KnowledgeStore) -> None:
    tracker = Tracker(
        sender_id="nuevo",
        slots={SESSION_STARTED_METADATA_SLOT: {META_PAGE_LANGUAGE: ES}},
        latest_message={},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart(store=store).run(dispatcher, tracker, {})
    assert dispatcher.messages[0][META_LANGUAGE] == ES
    assert SlotSet(LANGUAGE_SLOT, ES) in events


def _change_english(knowledge_dir: Path, entry_id: str, new_answer: str) -> None:
    for path in knowledge_dir.glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in (data or {}).get("entries") or []:
            if entry.get("id") == entry_id:
                entry["answer"] = new_answer
                path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
                return
    raise AssertionError(f"no entry {entry_id}")


async def test_a_stale_translation_answers_in_english_with_a_spanish_note(
    knowledge_copy: Path, make_tracker: MakeTracker
) -> None:
    _change_english(knowledge_copy, "infusion.hours", "The infusion center has new hours.")
    store = KnowledgeStore(knowledge_copy, check_interval_s=0)
    tracker = make_tracker(
        "ask_infusion_hours", "a q hora abren el sabado", parse_extras=reading("es", 0.9)
    )
    message, _ = await answer(store, tracker)
    note = store.current().render("conversation.translation_pending", WEB, None, ES).text
    assert message["text"] == f"{note}\n\nThe infusion center has new hours."
    assert message[META_LANGUAGE] == "en"


def _asked(slot: str) -> Dict[str, Any]:
    return {"event": "slot", "name": REQUESTED_SLOT, "value": slot}


def test_the_answer_to_the_name_question_never_flips_the_language(
    make_tracker: MakeTracker,
) -> None:
    history = [user_event("request_callback", "can someone call me"), _asked(CALLBACK_NAME_SLOT)]
    tracker = make_tracker(
        "inform",
        "María de la Cruz",
        slots={LANGUAGE_SLOT: "en", REQUESTED_SLOT: CALLBACK_NAME_SLOT},
        history=history,
        parse_extras=reading(ES, 0.95),
    )
    assert conversation_language(tracker) == "en"
    # Asked explicitly, even while giving a name, the language changes.
    asked = make_tracker(
        "inform",
        "María de la Cruz, en español por favor",
        slots={LANGUAGE_SLOT: "en"},
        history=history,
        parse_extras=reading(ES, 0.99, request=ES),
    )
    assert conversation_language(asked) == ES


def test_a_spanish_answer_to_a_later_question_still_counts(make_tracker: MakeTracker) -> None:
    history = [
        user_event("request_callback", "can someone call me"),
        _asked(CALLBACK_NAME_SLOT),
        user_event("inform", "Ana Ruiz"),
        _asked(CALLBACK_PHONE_SLOT),
    ]
    tracker = make_tracker(
        "inform",
        "es el 310 555 0100, prefiero que me hablen en español",
        slots={LANGUAGE_SLOT: "en"},
        history=history,
        parse_extras=reading(ES, 0.97),
    )
    assert conversation_language(tracker) == ES
