"""The language of the SMS channel's own texts (keyword replies, menus, the feedback line, the
slow-reply apology): the language of the conversation's latest bot message.

The actions decide a conversation's language (the ``conversation_language`` slot) and mark
every bot message with it (``META_LANGUAGE``); the channel follows the latest one, so it never
guesses from a patient's text on its own. Before any bot message, the slot decides, else
English.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Mapping, Optional, Sequence

from assistant.dialogue_names import LANGUAGE_EN, LANGUAGE_SLOT, META_LANGUAGE
from assistant.language.choice import known_language

logger = logging.getLogger(__name__)

# How long a keyword reply or the apology waits for the tracker store before using English.
LOOKUP_TIMEOUT_S = 0.5


def reply_language(messages: Sequence[Mapping[str, Any]]) -> Optional[str]:
    """The language of the latest message of a reply (the annotations the channel collected)
    that says which; None when none does."""
    for message in reversed(messages):
        language = known_language(message.get(META_LANGUAGE))
        if language:
            return language
    return None


def tracker_language(tracker: Any) -> Optional[str]:
    """The language of a Rasa tracker's latest bot message that says which, else of its
    ``conversation_language`` slot; None when neither says."""
    for event in reversed(list(getattr(tracker, "events", []))):
        if getattr(event, "type_name", None) != "bot":
            continue
        language = known_language((getattr(event, "metadata", None) or {}).get(META_LANGUAGE))
        if language:
            return language
    get_slot = getattr(tracker, "get_slot", None)
    return known_language(get_slot(LANGUAGE_SLOT)) if get_slot else None


async def conversation_language(
    agent: Any, sender_id: str, timeout_s: float = LOOKUP_TIMEOUT_S
) -> str:
    """The language of the conversation ``sender_id`` as stored in the agent's tracker store;
    English when there is no store, no conversation, or the store does not answer in time."""
    tracker_store = getattr(agent, "tracker_store", None)
    if tracker_store is None:
        return LANGUAGE_EN
    try:
        tracker = await asyncio.wait_for(tracker_store.retrieve(sender_id), timeout_s)
    except asyncio.TimeoutError:
        logger.warning("The tracker store was slow; the SMS channel's own reply is in English")
        return LANGUAGE_EN
    except Exception:  # the reply must go out whatever the store did
        logger.exception("Reading the conversation's language failed; replying in English")
        return LANGUAGE_EN
    return (tracker_language(tracker) if tracker is not None else None) or LANGUAGE_EN
