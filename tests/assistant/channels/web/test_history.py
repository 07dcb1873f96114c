"""The widget's view of the tracker: current session, titles for buttons."""

from __future__ import annotations

from typing import Any, Dict, List

from assistant.channels.web.history import conversation
from assistant.dialogue_names import META_LANGUAGE, META_PAGE_LANGUAGE

EVENTS: List[Dict[str, Any]] = [
    {"event": "session_started"},
    {"event": "user", "text": "old", "metadata": {"client_id": "c0"}},
    {"event": "bot", "text": "old reply"},
    {"event": "action", "name": "action_session_start"},
    {"event": "bot", "text": "Disclaimer", "metadata": {"kb_entry": "conversation.disclaimer"}},
    {"event": "session_started"},
    {"event": "action", "name": "action_listen"},
    {
        "event": "user",
        "text": "/request_human",
        "timestamp": 1.0,
        "metadata": {"client_id": "c1", "title": "Talk to a person"},
    },
    {
        "event": "bot",
        "text": "Call us",
        "timestamp": 2.0,
        "data": {"buttons": [{"title": "Callback", "payload": "/request_callback"}]},
        "metadata": {"kb_entry": "support.handoff_open"},
    },
    {"event": "bot", "text": "", "timestamp": 2.5},
    {"event": "user", "text": "my throat is closing", "metadata": {"client_id": "c2"}},
    {"event": "bot", "text": "Call 911 now", "metadata": {"emergency": True}},
]


def test_conversation_is_the_current_session_only() -> None:
    messages = conversation(EVENTS)
    assert [(m["role"], m["text"]) for m in messages] == [
        ("bot", "Disclaimer"),
        ("user", "Talk to a person"),
        ("bot", "Call us"),
        ("user", "my throat is closing"),
        ("bot", "Call 911 now"),
    ]
    assert messages[2]["buttons"] == [{"title": "Callback", "payload": "/request_callback"}]
    assert messages[4]["emergency"] is True
    assert messages[1]["client_id"] == "c1"


def test_each_message_carries_its_language() -> None:
    events: List[Dict[str, Any]] = [
        {"event": "session_started"},
        {
            "event": "user",
            "text": "hola, mi papa tiene fiebre",
            "metadata": {"page_language": "es"},
        },
        {"event": "bot", "text": "Llame a su equipo", "metadata": {"language": "es"}},
        {"event": "user", "text": "English please", "metadata": {"page_language": "en"}},
        {"event": "bot", "text": "Call your care team", "metadata": {"language": "en"}},
        {"event": "user", "text": "ok", "metadata": {"page_language": "fr"}},
        {"event": "bot", "text": "Anything else?", "metadata": {"language": "klingon"}},
        {"event": "user", "text": "thx"},
        {"event": "bot", "text": "You're welcome."},
    ]
    languages = [m[META_LANGUAGE] for m in conversation(events)]
    assert languages == ["es", "es", "en", "en", None, None, None, None]
    assert META_PAGE_LANGUAGE not in conversation(events)[0]
