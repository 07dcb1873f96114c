"""A stand-in for Rasa's agent for the channel tests: a real in-memory tracker store and lock
store (Rasa's own), and a bot that logs each turn to the tracker as Rasa does (the user
message, then each bot message with its metadata) before the channel collects the replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from assistant.dialogue_names import ANSWER_FEEDBACK_SLOT

ROOT = Path(__file__).resolve().parents[3]

Said = Tuple[str, Dict[str, Any]]  # a bot message's text and metadata (kb_entry, emergency...)
BUTTONS = "buttons"  # in a scripted message's metadata: its buttons (title, payload)


@dataclass
class FakeAgent:
    """What the channels use of ``app.ctx.agent``."""

    tracker_store: InMemoryTrackerStore
    lock_store: InMemoryLockStore = field(default_factory=InMemoryLockStore)

    async def events(self, sender_id: str) -> List[Dict[str, Any]]:
        tracker = await self.tracker_store.retrieve_full_tracker(sender_id)
        return [event.as_dict() for event in tracker.events] if tracker else []

    async def ratings(self, sender_id: str) -> List[Dict[str, Any]]:
        """The ``answer_feedback`` values set in the conversation, oldest first."""
        return [
            event["value"]
            for event in await self.events(sender_id)
            if event.get("event") == "slot" and event.get("name") == ANSWER_FEEDBACK_SLOT
        ]


def new_agent() -> FakeAgent:
    domain = Domain.load(str(ROOT / "domain.yml"))
    assert ANSWER_FEEDBACK_SLOT in {slot.name for slot in domain.slots}
    return FakeAgent(InMemoryTrackerStore(domain))


class ScriptedBot:
    """Answers each patient text with the messages ``script`` gives for it (default: a
    fallback without a knowledge entry), logging the turn to the agent's tracker store."""

    def __init__(self, agent: FakeAgent, script: Dict[str, List[Said]]) -> None:
        self.agent = agent
        self.script = script
        self.heard: List[str] = []

    async def __call__(self, message: UserMessage) -> None:
        self.heard.append(message.text or "")
        store = self.agent.tracker_store
        sender = message.sender_id or ""
        tracker = await store.get_or_create_tracker(sender)
        if not tracker.events:
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
            tracker.update(ActionExecuted("action_listen"))
        tracker.update(
            UserUttered(message.text, metadata=message.metadata, message_id=message.message_id)
        )
        said = self.script.get(message.text or "", [("Sorry, I didn't understand.", {})])
        for text, metadata in said:
            tracker.update(BotUttered(text, {"buttons": metadata.get(BUTTONS)}, _without(metadata)))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        out = message.output_channel
        for text, metadata in said:
            if metadata.get(BUTTONS):
                await out.send_text_with_buttons(
                    sender, text, metadata[BUTTONS], **_without(metadata)
                )
            else:
                await out.send_text_message(sender, text, **metadata)


def _without(metadata: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in metadata.items() if key != BUTTONS}
