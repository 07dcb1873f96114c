"""The conversation's language over the real servers (REST channel, trained model, actions):
a Spanish question switches to Spanish, a one-word reply does not switch back, "English
please" does, and a confident Spanish sentence switches again."""

from __future__ import annotations

from typing import Any, Callable, Dict, List

import pytest

from tests.support.assistant_servers import RunningAssistant

pytestmark = pytest.mark.slow

Sender = Callable[[], str]


def languages(replies: List[Dict[str, Any]]) -> List[str]:
    return [str(reply.get("language")) for reply in replies if reply.get("text")]


def test_a_conversation_switches_language_only_when_it_should(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    sender = new_sender()
    replies = assistant.say(sender, "hola buenas, q es la inmunoterapia??")
    assert languages(replies)[-1] == "es"
    assert "sistema inmun" in replies[-1]["text"]

    for one_word in ("sí", "1", "ok"):
        replies = assistant.say(sender, one_word)
        assert set(languages(replies)) == {"es"}, (one_word, replies)

    replies = assistant.say(sender, "English please")
    assert replies[-1]["kb_entry"] == "conversation.language_changed"
    assert languages(replies) == ["en"]

    replies = assistant.say(sender, "gracias")
    assert set(languages(replies)) == {"en"}, "a one-word 'gracias' does not flip it back"

    replies = assistant.say(
        sender, "mi esposo tiene mucho cansancio despues del tratamiento, es normal?"
    )
    assert languages(replies)[-1] == "es"


def test_a_spanish_emergency_gets_911_first_in_spanish(
    assistant: RunningAssistant, new_sender: Sender
) -> None:
    replies = assistant.say(new_sender(), "mi mamá no puede respirar y tiene los labios morados")
    assert replies[0]["emergency"] is True
    assert replies[0]["language"] == "es" and "911" in replies[0]["text"]
