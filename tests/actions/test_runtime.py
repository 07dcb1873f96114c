"""actions/runtime.py: channel kind, latest intent and entities, sending an entry."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import channel_kind, latest_entities, latest_intent, send_entry
from assistant.dialogue_names import META_HANDOFF
from assistant.knowledge import SMS, WEB, EntityMention, KnowledgeStore
from tests.conftest import user_event

SUPPORT_LINK = "[1-800-CEDARS-1](tel:+18002332771) (1-800-233-2771)"


def bare_tracker(
    slots: Dict[str, Any] | None = None,
    events: List[Dict[str, Any]] | None = None,
    latest_message: Dict[str, Any] | None = None,
) -> Tracker:
    """A tracker with no user message unless ``events`` has one (as at session start)."""
    return Tracker(
        sender_id="test-conversation",
        slots=dict(slots or {}),
        latest_message=latest_message if latest_message is not None else {},
        events=list(events or []),
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )


# --- channel_kind -----------------------------------------------------------------------------


def test_sms_channel_is_sms(make_tracker: Any) -> None:
    assert channel_kind(make_tracker(channel="sms")) == SMS


@pytest.mark.parametrize("channel", ["rest", "socketio", "cmdline"])
def test_every_other_channel_is_web(make_tracker: Any, channel: str) -> None:
    assert channel_kind(make_tracker(channel=channel)) == WEB


def test_latest_user_message_decides_the_channel(make_tracker: Any) -> None:
    earlier_sms = user_event("greet", "hi", channel="sms")
    assert channel_kind(make_tracker(channel="rest", history=[earlier_sms])) == WEB
    earlier_web = user_event("greet", "hi", channel="rest")
    assert channel_kind(make_tracker(channel="sms", history=[earlier_web])) == SMS


def test_session_start_metadata_names_the_channel_when_there_is_no_user_message() -> None:
    tracker = bare_tracker(slots={"session_started_metadata": {"channel": "sms"}})
    assert channel_kind(tracker) == SMS
    tracker = bare_tracker(slots={"session_started_metadata": {"channel": "rest"}})
    assert channel_kind(tracker) == WEB


@pytest.mark.parametrize("metadata", [None, {}, "sms", ["sms"], {"other": "sms"}])
def test_missing_or_odd_session_metadata_means_web(metadata: Any) -> None:
    assert channel_kind(bare_tracker(slots={"session_started_metadata": metadata})) == WEB


def test_no_slots_at_all_means_web() -> None:
    assert channel_kind(bare_tracker()) == WEB


# --- latest_entities --------------------------------------------------------------------------


def test_entities_come_in_the_order_the_message_mentions_them(make_tracker: Any) -> None:
    tracker = make_tracker(
        "ask_side_effects",
        "is rash or fatigue or diarrhea normal",
        entities=[
            {"entity": "side_effect", "value": "diarrhea", "start": 22, "end": 30},
            {"entity": "side_effect", "value": "rash", "start": 3, "end": 7},
            {"entity": "side_effect", "value": "fatigue", "start": 11, "end": 18},
        ],
    )
    assert latest_entities(tracker) == [
        EntityMention("side_effect", "rash"),
        EntityMention("side_effect", "fatigue"),
        EntityMention("side_effect", "diarrhea"),
    ]


def test_entity_without_offset_counts_as_the_start_of_the_message(make_tracker: Any) -> None:
    tracker = make_tracker(
        entities=[
            {"entity": "side_effect", "value": "rash", "start": 5, "end": 9},
            {"entity": "amenity", "value": "recliner"},
        ]
    )
    assert latest_entities(tracker) == [
        EntityMention("amenity", "recliner"),
        EntityMention("side_effect", "rash"),
    ]


def test_entities_without_name_or_value_are_skipped(make_tracker: Any) -> None:
    tracker = make_tracker(
        entities=[
            {"entity": "side_effect", "value": None, "start": 0},
            {"entity": "", "value": "rash", "start": 1},
            {"value": "rash", "start": 2},
            {"entity": "cancer_site", "value": "breast", "start": 3},
        ]
    )
    assert latest_entities(tracker) == [EntityMention("cancer_site", "breast")]


def test_entity_values_are_strings(make_tracker: Any) -> None:
    tracker = make_tracker(entities=[{"entity": "cancer_site", "value": 7, "start": 0}])
    assert latest_entities(tracker) == [EntityMention("cancer_site", "7")]


def test_no_entities(make_tracker: Any) -> None:
    assert latest_entities(make_tracker()) == []
    assert latest_entities(bare_tracker()) == []


# --- latest_intent ----------------------------------------------------------------------------


def test_latest_intent_is_the_intent_name(make_tracker: Any) -> None:
    assert latest_intent(make_tracker("ask_dosing", "how much")) == "ask_dosing"


@pytest.mark.parametrize(
    "latest_message", [{}, {"intent": None}, {"intent": {}}, {"intent": {"name": ""}}]
)
def test_latest_intent_is_none_without_a_named_intent(latest_message: Dict[str, Any]) -> None:
    assert latest_intent(bare_tracker(latest_message=latest_message)) is None


# --- send_entry -------------------------------------------------------------------------------


def test_send_entry_sends_text_buttons_and_the_entry_id(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    send_entry(dispatcher, store.current(), "conversation.greet", WEB)
    [message] = dispatcher.messages
    assert message["kb_entry"] == "conversation.greet"
    assert message["text"].startswith("Hello!")
    assert [button["payload"] for button in message["buttons"]] == [
        "/ask_immunotherapy",
        "/ask_side_effects",
        "/ask_infusion_center",
        "/request_human",
    ]
    assert message["buttons"][0] == {
        "title": "What is immunotherapy?",
        "payload": "/ask_immunotherapy",
    }


def test_send_entry_fills_params_and_contacts_per_channel(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    knowledge = store.current()
    send_entry(dispatcher, knowledge, "support.handoff_closed", WEB, {"next_open": "6:00 AM on X"})
    send_entry(dispatcher, knowledge, "support.handoff_closed", SMS, {"next_open": "6:00 AM on X"})
    web, sms = dispatcher.messages
    assert "**6:00 AM on X**" in web["text"] and SUPPORT_LINK in web["text"]
    assert "opens 6:00 AM on X Pacific" in sms["text"]
    assert "tel:" not in sms["text"] and "1-800-CEDARS-1 (1-800-233-2771)" in sms["text"]


def test_send_entry_passes_extra_metadata_and_can_drop_buttons(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    send_entry(
        dispatcher,
        store.current(),
        "conversation.greet",
        WEB,
        with_buttons=False,
        flags={META_HANDOFF: True},
    )
    [message] = dispatcher.messages
    assert message["buttons"] == []
    assert message["handoff"] is True
    assert message["kb_entry"] == "conversation.greet"


def test_send_entry_refuses_an_entry_whose_params_are_missing(
    store: KnowledgeStore, dispatcher: CollectingDispatcher
) -> None:
    with pytest.raises(ValueError, match="next_open"):
        send_entry(dispatcher, store.current(), "support.handoff_closed", WEB)
    assert dispatcher.messages == []
