"""Collecting output channel that keeps each bot message whole and keeps its annotations.

Rasa's ``CollectingOutputChannel`` splits a text at blank lines (a markdown answer becomes
several messages) and drops the metadata the actions attach. This one keeps one message per
bot utterance and passes on the annotations clients need: the knowledge entry id and whether
the message is an emergency, a handoff, a fallback or a recorded callback.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from assistant.dialogue_names import BOT_METADATA, META_EMERGENCY, META_TRIAGE, URGENT_SYMPTOM
from assistant.stores import outage

logger = logging.getLogger(__name__)

# What the actions attach to a bot message (``assistant.dialogue_names``), passed on whole.
ANNOTATIONS = BOT_METADATA
URGENT_TIER = URGENT_SYMPTOM


def _urgency(message: Dict[str, Any]) -> int:
    if message.get(META_EMERGENCY):
        return 0
    return 1 if message.get(META_TRIAGE) == URGENT_TIER else 2


def emergency_first(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The same messages with 911/988 answers moved to the front, then "call your care team
    now" (order otherwise kept), so that is what a patient reads first, even before the
    opening disclaimer."""
    return sorted(messages, key=_urgency)


class AnnotatedOutputChannel(CollectingOutputChannel):
    @classmethod
    def name(cls) -> Text:
        return "annotated_collector"

    def _annotated(
        self, recipient_id: Text, text: Optional[Text], kwargs: Dict[str, Any], **fields: Any
    ) -> Dict[str, Any]:
        message = self._message(recipient_id, text=text, **fields)
        message.update({key: kwargs[key] for key in ANNOTATIONS if kwargs.get(key)})
        return message

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._persist_message(self._annotated(recipient_id, text.strip(), kwargs))

    async def send_text_with_buttons(
        self,
        recipient_id: Text,
        text: Text,
        buttons: List[Dict[Text, Any]],
        **kwargs: Any,
    ) -> None:
        await self._persist_message(
            self._annotated(recipient_id, text.strip(), kwargs, buttons=buttons)
        )


async def collect_replies(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    timeout_s: float,
) -> Optional[List[Dict[str, Any]]]:
    """Let Rasa handle ``message`` and return what it said, emergencies first.

    None when the bot failed or took longer than ``timeout_s``: the channel then answers with
    an apology and the phone number instead of leaving the patient waiting. A slow turn is
    not cancelled; it finishes in the background so the conversation stays consistent.
    """
    collector = message.output_channel
    if not isinstance(collector, AnnotatedOutputChannel):
        raise TypeError("collect_replies needs an AnnotatedOutputChannel")
    flag = outage.watch()  # before the task starts, so the task's context shares it
    task = asyncio.ensure_future(on_new_message(message))
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=timeout_s)
    except asyncio.TimeoutError:
        logger.warning(
            "Reply took over %.1f s on %s; sent the apology", timeout_s, message.input_channel
        )
        return None
    except Exception:  # the patient gets the apology whatever failed
        logger.exception("Handling a %s message failed (text not logged)", message.input_channel)
        return None
    if flag.tripped:
        # Without its conversation the bot would answer out of context; say so instead.
        logger.error("%s on %s; sent the apology", flag.what, message.input_channel)
        return None
    if not collector.messages:
        # Rasa swallows a failed action (e.g. the action server is down or refuses the call)
        # and sends nothing; every patient message deserves an answer.
        logger.warning("No reply was produced on %s; sent the apology", message.input_channel)
        return None
    return emergency_first(list(collector.messages))
