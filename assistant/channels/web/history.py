"""The current conversation as the widget shows it, read from the tracker's events, with the
rating the patient gave each answer (so a reloaded widget shows it without browser storage)."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from assistant.channels.feedback import feedback_for, is_rateable
from assistant.channels.session_events import current_session
from assistant.dialogue_names import (
    META_EMERGENCY,
    META_KB_ENTRY,
    META_LANGUAGE,
    META_PAGE_LANGUAGE,
)
from assistant.language.choice import known_language

__all__ = ["bot_message", "conversation", "current_session"]

# A widget message carries the bot message's ``emergency`` and ``kb_entry`` under the same
# names (widget/widget.js reads ``message.emergency``), ``rateable`` (the widget offers the
# helpful / not helpful buttons) and, once rated, ``feedback`` (the latest rating). Every
# message has a ``language`` ("en", "es" or None when unknown): a bot message's is its
# metadata's, a patient message's the widget's UI language when it was sent (``page_language``).
RATEABLE = "rateable"
FEEDBACK = "feedback"


def _user_message(event: Dict[str, Any]) -> Dict[str, Any]:
    metadata = event.get("metadata") or {}
    return {
        "role": "user",
        "text": metadata.get("title") or event.get("text"),
        "buttons": [],
        "timestamp": event.get("timestamp"),
        META_EMERGENCY: False,
        META_KB_ENTRY: None,
        META_LANGUAGE: known_language(metadata.get(META_PAGE_LANGUAGE)),
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
        META_LANGUAGE: known_language(metadata.get(META_LANGUAGE)),
        RATEABLE: is_rateable(metadata),
        "client_id": None,
    }


def conversation(events: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """User and bot messages of the current session, oldest first; a rated answer carries
    its latest rating."""
    session = current_session(events)
    ratings = feedback_for(session)
    messages = []
    for event in session:
        if event.get("event") == "user":
            messages.append(_user_message(event))
        elif event.get("event") == "bot" and event.get("text"):
            message = bot_message(event)
            stamp = event.get("timestamp")
            rated = ratings.get(float(stamp)) if isinstance(stamp, (int, float)) else None
            if message[RATEABLE] and rated is not None and rated.kb_entry == message[META_KB_ENTRY]:
                message[FEEDBACK] = rated.rating
            messages.append(message)
    return messages
