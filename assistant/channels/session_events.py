"""The events of a conversation's current session, as the channels show and rate them."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence


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
