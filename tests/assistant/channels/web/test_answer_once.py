"""A widget retry that takes over from a dead first attempt: from the tracker when the turn
was stored, else by asking the bot; either way the bot hears the message once."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.core.channels.channel import UserMessage

from assistant.channels.output import AnnotatedOutputChannel
from assistant.channels.replies_store import AnsweredRequests, ClaimState, MemoryBackend
from assistant.channels.tracker_replies import replies_in_tracker
from assistant.channels.web.answer_once import OnceAnswerer
from tests.assistant.channels.fake_rasa import FakeAgent, ScriptedBot, new_agent

QUESTION = "what are the side effects"
ANSWER = "Side effects can include tiredness."
SENDER = "web-abc"


def _as_reply(message: Dict[str, Any]) -> Dict[str, Any]:
    return {"text": message.get("text"), "kb_entry": message.get("kb_entry")}


def _apology(_: UserMessage) -> Dict[str, Any]:
    return {"text": "apology"}


def _message(client_id: str) -> UserMessage:
    return UserMessage(
        QUESTION,
        AnnotatedOutputChannel(),
        SENDER,
        metadata={"client_id": client_id},
        message_id=client_id,
    )


def _setup() -> tuple[FakeAgent, ScriptedBot, MemoryBackend, AnsweredRequests, OnceAnswerer]:
    agent = new_agent()
    bot = ScriptedBot(agent, {QUESTION: [(ANSWER, {"kb_entry": "side_effects.common"})]})
    backend = MemoryBackend()
    store = AnsweredRequests(backend, stale_after_s=60)
    return agent, bot, backend, store, OnceAnswerer(2.0, _as_reply, _apology)


async def _replay(agent: FakeAgent, message: UserMessage) -> Any:
    return await replies_in_tracker(agent, message.sender_id, message.message_id)


async def test_a_taken_over_retry_of_a_stored_turn_is_answered_from_the_tracker() -> None:
    agent, bot, backend, store, answers = _setup()
    first: List[Dict[str, Any]] = await answers.answer(bot, _message("c1"), store)
    assert first == [{"text": ANSWER, "kb_entry": "side_effects.common"}]
    # The replica died after Rasa stored the turn and before the replies were recorded:
    # an old claim without replies (a memory claim is taken over when stale).
    backend.forget(SENDER)
    assert backend.claim((SENDER, "c1"), 0.0, 0.0).state is ClaimState.CLAIMED

    async def replay(message: UserMessage) -> Any:
        return await _replay(agent, message)

    again = await answers.answer(bot, _message("c1"), store, replay)
    assert again == first
    assert bot.heard == [QUESTION]  # the bot was not asked again


async def test_a_taken_over_retry_of_an_unstored_turn_asks_the_bot() -> None:
    agent, bot, backend, store, answers = _setup()
    assert backend.claim((SENDER, "c2"), 0.0, 0.0).state is ClaimState.CLAIMED  # died early

    async def replay(message: UserMessage) -> Any:
        return await _replay(agent, message)

    answered = await answers.answer(bot, _message("c2"), store, replay)
    assert answered == [{"text": ANSWER, "kb_entry": "side_effects.common"}]
    assert bot.heard == [QUESTION]
    assert (await store.claim(SENDER, "c2")).state is ClaimState.ANSWERED
