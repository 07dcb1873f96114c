"""The current conversation as the widget shows it, read from the tracker's events."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from assistant.dialogue_names import META_EMERGENCY, META_KB_ENTRY

# A widget message carries the bot message's ``emergency`` and ``kb_entry`` under the same
# names (widget/widget.js reads ``message.emergency``).


def _user_message(event: Dict[str, Any]) -> Dict[str, Any]:
    metadata = event.get("metadata") or {}
    return {
        "role": "user",
        "text": metadata.get("title") or event.get("text"),
        "buttons": [],
        "timestamp": event.get("timestamp"),
        META_EMERGENCY: False,
        META_KB_ENTRY: None,
        "client_id": metadata.get("client_id"),
    }


def bot_message(event: Dict[str, Any]) -> Dict[str, Any]:
    data = event.get("data") or {}
    metadata = event.get("metadata") or {}
    return {
        "role": "bot",
        "text": event.get("text"),
        "buttons": list(data.get("buttons") or []),
        "timestamp": event.get("timestamp"),
        META_EMERGENCY: bool(metadata.get(META_EMERGENCY)),
        META_KB_ENTRY: metadata.get(META_KB_ENTRY),
        "client_id": None,
    }


def current_session(events: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The events since the latest session start, with the messages the session-start action
    sent (Rasa records them just before the ``session_started`` event)."""
    start = 0
    for index, event in enumerate(events):
        if event.get("event") == "session_started":
            start = index
    while start > 0 and events[start - 1].get("event") == "bot":
        start -= 1
    return list(events[start:])


def conversation(events: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """User and bot messages of the current session, oldest first."""
    messages = []
    for event in current_session(events):
        if event.get("event") == "user":
            messages.append(_user_message(event))
        elif event.get("event") == "bot" and event.get("text"):
            messages.append(bot_message(event))
    return messages
