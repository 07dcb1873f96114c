"""What the bot said to one patient message, read back from the tracker.

A replica can die after Rasa stored a turn and before the channel recorded the turn's
replies under the request's idempotency key. The repeat that takes the request over
(``assistant.channels.replies_store``) must then not ask the bot again (that would store
the patient's message twice): the channels put the key in the message's ``message_id``, and
this module finds that message in the tracker and replays the bot messages that followed it
through the collecting output channel, which gives exactly what the channel collected the
first time (Rasa sends each ``BotUttered`` as ``send_response(sender, event.message())``).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered, UserUttered

from assistant.channels.output import AnnotatedOutputChannel, emergency_first

logger = logging.getLogger(__name__)


async def replies_in_tracker(
    agent: Any, sender_id: str, message_id: str
) -> Optional[List[Dict[str, Any]]]:
    """The bot messages (emergencies first) that answered the user message ``message_id``;
    None if the tracker has no such message, or cannot be read."""
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return None
    try:
        tracker = await store.retrieve(sender_id)
    except Exception as error:  # noqa: BLE001 - the caller then asks the bot
        logger.warning("tracker read for a taken-over request failed: %s", type(error).__name__)
        return None
    if tracker is None:
        return None
    events = list(tracker.events)
    found = next(
        (
            index
            for index in range(len(events) - 1, -1, -1)
            if isinstance(events[index], UserUttered) and events[index].message_id == message_id
        ),
        None,
    )
    if found is None:
        return None
    collector = AnnotatedOutputChannel()
    for event in events[found + 1 :]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            await collector.send_response(sender_id, event.message())
    return emergency_first(list(collector.messages))
