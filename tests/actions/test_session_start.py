"""action_session_start: every conversation opens with the one-line disclaimer."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.session_start import ActionSessionStart
from assistant.knowledge import KnowledgeStore


def new_conversation(metadata: Dict[str, Any] | None = None) -> Tracker:
    """A tracker as Rasa sends it at session start: no user message yet."""
    slots = {"session_started_metadata": metadata} if metadata is not None else {}
    return Tracker(
        sender_id="test-conversation",
        slots=slots,
        latest_message={},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )


async def start(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: Dict[str, Any],
) -> List[Dict[str, Any]]:
    return await ActionSessionStart(store=store).run(dispatcher, tracker, domain)


def test_name_is_in_the_domain(domain: Dict[str, Any]) -> None:
    assert ActionSessionStart().name() == "action_session_start"
    assert "action_session_start" in domain["actions"]


@pytest.mark.parametrize("metadata", [None, {"channel": "rest"}])
async def test_web_conversation_opens_with_the_disclaimer(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    domain: Dict[str, Any],
    metadata: Dict[str, Any] | None,
) -> None:
    events = await start(store, dispatcher, new_conversation(metadata), domain)

    [message] = dispatcher.messages
    assert message["kb_entry"] == "conversation.disclaimer"
    text = message["text"]
    assert text.startswith(
        "I'm the Cedars-Sinai Samuel Oschin Cancer Center's automated assistant."
    )
    assert "**not a substitute for professional medical care**" in text
    assert "call [911](tel:911)" in text
    assert message["buttons"] == []

    assert [event["event"] for event in events] == ["session_started", "action"]
    assert events[1]["name"] == "action_listen"


async def test_sms_conversation_gets_the_sms_disclaimer(
    store: KnowledgeStore, dispatcher: CollectingDispatcher, domain: Dict[str, Any]
) -> None:
    events = await start(store, dispatcher, new_conversation({"channel": "sms"}), domain)
    [message] = dispatcher.messages
    assert message["kb_entry"] == "conversation.disclaimer"
    assert message["text"] == (
        "Cedars-Sinai cancer center automated assistant: general information only, not a "
        "substitute for professional medical care. Emergency: call 911."
    )
    assert "tel:" not in message["text"] and "**" not in message["text"]
    assert [event["event"] for event in events] == ["session_started", "action"]
    assert events[1]["name"] == "action_listen"


async def test_disclaimer_is_the_first_message_of_a_later_session(
    store: KnowledgeStore,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    # An expired session: the tracker still holds the previous session's messages.
    tracker = make_tracker("goodbye", "bye", channel="sms")
    events = await start(store, dispatcher, tracker, domain)
    assert [message["kb_entry"] for message in dispatcher.messages] == ["conversation.disclaimer"]
    assert dispatcher.messages[0]["text"].startswith("Cedars-Sinai cancer center automated")
    assert [event["event"] for event in events] == ["session_started", "action"]
    assert events[1]["name"] == "action_listen"
