"""Collecting output channel that keeps each bot message whole and keeps its annotations.

Rasa's ``CollectingOutputChannel`` splits a text at blank lines (a markdown answer becomes
several messages) and drops the metadata the actions attach. This one keeps one message per
bot utterance and passes on the annotations clients need: the knowledge entry id and whether
the message is an emergency, a handoff, a fallback or a recorded callback.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel

ANNOTATIONS = ("kb_entry", "emergency", "handoff", "fallback", "callback")


def emergency_first(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The same messages with emergency answers moved to the front (order otherwise kept), so
    "call 911 now" is what a patient reads first, even before the opening disclaimer."""
    return sorted(messages, key=lambda message: not message.get("emergency"))


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
