"""A Spanish conversation over SMS against the trained model and the real actions: a Spanish
answer folded to GSM-7 within the segment budget, a Spanish menu answered by number, AYUDA and
PARAR answered in Spanish, then silence."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from assistant.channels.sms.segments import fold_for_sms, is_gsm7, segment_count
from assistant.dialogue_names import (
    ENTRY_CONVERSATION_DISCLAIMER,
    ENTRY_IMMUNOTHERAPY_OVERVIEW,
    ENTRY_SMS_HELP,
    ENTRY_SMS_STOP_CONFIRMED,
    ENTRY_TREATMENT_FORMS,
)
from assistant.knowledge import ES, SMS, KnowledgeBase, load_knowledge
from tests.e2e.conftest import sms_post
from tests.support.assistant_servers import RunningAssistant

pytestmark = pytest.mark.slow
PHONE = "+13105550190"
ROOT = Path(__file__).resolve().parents[2]
SEGMENTS_PER_MESSAGE = 2  # the channel's budget for each SMS it sends


@pytest.fixture
def knowledge() -> KnowledgeBase:
    return load_knowledge(ROOT / "data" / "knowledge")


def text(assistant: RunningAssistant, body: str, sender: str = PHONE) -> List[str]:
    status, messages = sms_post(assistant, body, sender)
    assert status == 200
    for message in messages:
        assert is_gsm7(message), f"not GSM-7: {message!r}"
        assert segment_count(message) <= SEGMENTS_PER_MESSAGE, message
    return messages


def words(text: str) -> str:
    return " ".join(text.split())


def spanish_sms(knowledge: KnowledgeBase, entry_id: str) -> str:
    """The entry's Spanish SMS text as the channel sends it (folded to GSM-7)."""
    rendered = knowledge.render(entry_id, SMS, language=ES)
    assert rendered.language == ES, f"{entry_id}: the Spanish translation is missing or stale"
    return words(fold_for_sms(rendered.text))


def test_a_spanish_conversation_over_sms(
    sms_assistant: RunningAssistant, knowledge: KnowledgeBase
) -> None:
    first = words("\n".join(text(sms_assistant, "hola, q es la inmunoterapia?")))
    answer = spanish_sms(knowledge, ENTRY_IMMUNOTHERAPY_OVERVIEW)
    assert answer in first
    # The disclaimer that opens the conversation is Spanish too (the first message's language).
    assert first.startswith(spanish_sms(knowledge, ENTRY_CONVERSATION_DISCLAIMER))
    assert segment_count(answer) <= SEGMENTS_PER_MESSAGE
    assert "cancer" in first and "cáncer" not in first  # folded, not UCS-2
    assert "Responda 1 para" in first and "Reply 1 for" not in first
    assert "Como se administra" in first  # the Spanish button title, folded

    forms = words("\n".join(text(sms_assistant, "2")))  # "Cómo se administra"
    assert spanish_sms(knowledge, ENTRY_TREATMENT_FORMS) in forms

    assert words("\n".join(text(sms_assistant, "AYUDA"))) == spanish_sms(knowledge, ENTRY_SMS_HELP)
    assert words("\n".join(text(sms_assistant, "parar"))) == spanish_sms(
        knowledge, ENTRY_SMS_STOP_CONFIRMED
    )
    assert text(sms_assistant, "y los efectos secundarios?") == []
    assert text(sms_assistant, "AYUDA") == []


def test_stop_after_a_spanish_answer_is_confirmed_in_spanish(
    sms_assistant: RunningAssistant, knowledge: KnowledgeBase
) -> None:
    sender = "+13105550191"
    reply = words(
        "\n".join(text(sms_assistant, "mi mama tiene cancer, q es la inmunoterapia", sender))
    )
    assert spanish_sms(knowledge, ENTRY_IMMUNOTHERAPY_OVERVIEW) in reply
    assert words("\n".join(text(sms_assistant, "STOP", sender))) == spanish_sms(
        knowledge, ENTRY_SMS_STOP_CONFIRMED
    )
    assert text(sms_assistant, "hola?", sender) == []
