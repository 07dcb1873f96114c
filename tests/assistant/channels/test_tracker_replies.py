"""Replaying a stored turn's bot messages gives exactly what the channel collected live."""

from __future__ import annotations

from rasa.core.channels.channel import UserMessage

from assistant.channels.output import AnnotatedOutputChannel, emergency_first
from assistant.channels.tracker_replies import replies_in_tracker
from assistant.dialogue_names import META_EMERGENCY, META_KB_ENTRY
from tests.assistant.channels.fake_rasa import BUTTONS, ScriptedBot, new_agent

SCRIPT = {
    "what are the hours": [
        ("The infusion center is open ...", {META_KB_ENTRY: "center.hours"}),
        ("Anything else?", {BUTTONS: [{"title": "Call us", "payload": "/handoff"}]}),
    ],
    "i cant breathe": [
        ("Please read this first.", {META_KB_ENTRY: "disclaimer"}),
        ("Call 911 now.", {META_EMERGENCY: True, META_KB_ENTRY: "safety.emergency"}),
    ],
}


async def _say(bot: ScriptedBot, sender: str, text: str, message_id: str) -> list:
    collector = AnnotatedOutputChannel()
    await bot(UserMessage(text, collector, sender, message_id=message_id))
    return emergency_first(list(collector.messages))


async def test_the_replay_equals_what_was_collected_for_each_turn() -> None:
    agent = new_agent()
    bot = ScriptedBot(agent, SCRIPT)
    hours = await _say(bot, "web-1", "what are the hours", "c1")
    emergency = await _say(bot, "web-1", "i cant breathe", "c2")
    assert await replies_in_tracker(agent, "web-1", "c1") == hours
    assert await replies_in_tracker(agent, "web-1", "c2") == emergency
    assert emergency[0]["text"] == "Call 911 now."  # emergencies first, as live
    assert hours[1]["buttons"] == [{"title": "Call us", "payload": "/handoff"}]


async def test_a_message_not_in_the_tracker_gives_none() -> None:
    agent = new_agent()
    await _say(ScriptedBot(agent, SCRIPT), "web-1", "what are the hours", "c1")
    assert await replies_in_tracker(agent, "web-1", "c9") is None
    assert await replies_in_tracker(agent, "web-2", "c1") is None  # another conversation
    assert await replies_in_tracker(None, "web-1", "c1") is None  # no agent yet


class _DownStore:
    async def retrieve(self, sender_id: str) -> None:
        raise RuntimeError("database down")


class _Agent:
    tracker_store = _DownStore()


async def test_an_unreadable_tracker_gives_none() -> None:
    assert await replies_in_tracker(_Agent(), "web-1", "c1") is None
