"""The language of the SMS channel's own texts: a Spanish keyword gets Spanish, anything else
follows the conversation's latest bot message (Rasa's in-memory stores and a scripted bot that
logs its turns like Rasa); every body goes out folded to GSM-7."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Optional

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, SlotSet
from sanic import Sanic

from assistant.channels.sms.language import (
    conversation_language,
    known_language,
    reply_language,
    tracker_language,
)
from assistant.channels.sms.segments import fold_for_sms, is_gsm7, segment_count
from assistant.channels.sms.state import SmsState, sqlite_url
from assistant.dialogue_names import (
    ENTRY_IMMUNOTHERAPY_OVERVIEW,
    ENTRY_INFUSION_HOURS,
    ENTRY_SMS_HELP,
    ENTRY_SMS_MENU_CHOICE,
    ENTRY_SMS_SLOW_REPLY,
    ENTRY_SMS_START_CONFIRMED,
    ENTRY_SMS_STOP_CONFIRMED,
    ENTRY_SUPPORT_HANDOFF_OPEN,
    LANGUAGE_SLOT,
)
from assistant.knowledge import EN, ES, SMS, KnowledgeBase, load_knowledge
from tests.assistant.channels.fake_rasa import BUTTONS, FakeAgent, Said, ScriptedBot
from tests.assistant.channels.sms.test_channel import Phone, make_channel, patient_id
from tests.support.sanic_server import serving

_ids = itertools.count()

ES_Q = "hola q es la inmunoterapia?? es para mi mama"
ES_A = (
    "La inmunoterapia ayuda a su sistema inmunitario a combatir el cáncer. ¿Qué más quiere saber?"
)
EN_Q = "wat time does the infusion place open tmrw"
EN_A = "The infusion center is open 7 am to 7 pm, 7 days a week."
ES_MENU_Q = "quiero hablar con alguien x favor"
ES_MENU_A = "Puede llamar a nuestro equipo de atención."
SLOW_Q = "y los efectos secundarios?"
TITLES_ES = [
    {"title": "Efectos secundarios", "payload": "/ask_side_effects"},
    {"title": "Horario de infusión", "payload": "/ask_infusion_hours"},
]
SCRIPT: Dict[str, List[Said]] = {
    ES_Q: [(ES_A, {"kb_entry": ENTRY_IMMUNOTHERAPY_OVERVIEW, "language": ES})],
    EN_Q: [(EN_A, {"kb_entry": ENTRY_INFUSION_HOURS, "language": EN})],
    ES_MENU_Q: [
        (
            ES_MENU_A,
            {"kb_entry": ENTRY_SUPPORT_HANDOFF_OPEN, "language": ES, BUTTONS: TITLES_ES},
        )
    ],
}


class SlowBot(ScriptedBot):
    """The scripted bot, but far too slow for ``SLOW_Q``."""

    async def __call__(self, message: UserMessage) -> None:
        if message.text == SLOW_Q:
            await asyncio.sleep(3)
        await super().__call__(message)


@pytest.fixture
def bot(agent: FakeAgent) -> SlowBot:
    return SlowBot(agent, SCRIPT)


@pytest.fixture
def state_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "sms.db")


@pytest.fixture
async def phone(
    knowledge_copy: Path, state_url: str, agent: FakeAgent, bot: SlowBot
) -> AsyncIterator[Phone]:
    channel = make_channel(knowledge_copy, state_url, timeout_s=0.5)
    app = Sanic(f"sms_language_test_{next(_ids)}")
    app.ctx.agent = agent
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/sms")
    async with serving(app) as base:
        yield Phone(f"{base}/webhooks/sms/webhook")
    channel.state.close()


@pytest.fixture
def knowledge_now(knowledge_copy: Path) -> KnowledgeBase:
    return load_knowledge(knowledge_copy)


def own_text(knowledge: KnowledgeBase, entry_id: str, language: str) -> str:
    """The channel's text ``entry_id`` as sent in ``language`` (which the knowledge must have)."""
    rendered = knowledge.render(entry_id, SMS, language=language)
    assert rendered.language == language, f"{entry_id} has no current {language} text"
    return fold_for_sms(rendered.text)


async def texted(phone: Phone, body: str) -> List[str]:
    status, messages = await phone.text(body)
    assert status == 200, messages
    assert all(is_gsm7(message) for message in messages), messages
    return messages


# -- keywords -----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["PARAR", "Parar", "cancelar", "PARAR "])
async def test_a_spanish_opt_out_word_is_confirmed_in_spanish_then_silence(
    phone: Phone, knowledge_now: KnowledgeBase, bot: SlowBot, state_url: str, word: str
) -> None:
    spanish = own_text(knowledge_now, ENTRY_SMS_STOP_CONFIRMED, ES)
    assert spanish != own_text(knowledge_now, ENTRY_SMS_STOP_CONFIRMED, EN)
    assert await texted(phone, word) == [spanish]
    assert await texted(phone, ES_Q) == []
    assert await texted(phone, "AYUDA") == []
    assert bot.heard == []
    assert SmsState(state_url).is_opted_out(patient_id())


async def test_ayuda_gets_the_spanish_help_even_in_an_english_conversation(
    phone: Phone, knowledge_now: KnowledgeBase
) -> None:
    await texted(phone, EN_Q)
    assert await texted(phone, "ayuda") == [own_text(knowledge_now, ENTRY_SMS_HELP, ES)]
    assert await texted(phone, "HELP") == [own_text(knowledge_now, ENTRY_SMS_HELP, EN)]


async def test_english_keywords_follow_a_spanish_conversation(
    phone: Phone, knowledge_now: KnowledgeBase
) -> None:
    await texted(phone, ES_Q)
    assert await texted(phone, "help") == [own_text(knowledge_now, ENTRY_SMS_HELP, ES)]
    assert await texted(phone, "STOP") == [own_text(knowledge_now, ENTRY_SMS_STOP_CONFIRMED, ES)]
    assert await texted(phone, "start") == [own_text(knowledge_now, ENTRY_SMS_START_CONFIRMED, ES)]


async def test_keywords_of_a_new_conversation_are_english(
    phone: Phone, knowledge_now: KnowledgeBase
) -> None:
    assert await texted(phone, "Info") == [own_text(knowledge_now, ENTRY_SMS_HELP, EN)]
    assert await texted(phone, "cancel") == [own_text(knowledge_now, ENTRY_SMS_STOP_CONFIRMED, EN)]


# -- answers, menus, the apology ------------------------------------------------------------------


async def test_a_spanish_answer_goes_out_folded_to_gsm7(phone: Phone) -> None:
    reply = "\n".join(await texted(phone, ES_Q))
    assert reply.startswith(fold_for_sms(ES_A))
    assert "cancer" in reply and "cáncer" not in reply and "¿Qué mas quiere" in reply
    assert segment_count(reply) <= 2


async def test_a_spanish_menu_uses_the_spanish_titles_and_line(
    phone: Phone, knowledge_now: KnowledgeBase, bot: SlowBot
) -> None:
    reply = "\n".join(await texted(phone, ES_MENU_Q))
    menu_choice = knowledge_now.render(
        ENTRY_SMS_MENU_CHOICE, SMS, {"number": "2", "title": "Horario de infusión"}, ES
    )
    assert menu_choice.language == ES
    assert fold_for_sms(menu_choice.text) in reply and "Efectos secundarios" in reply
    assert "Reply" not in reply
    await texted(phone, "2")
    assert bot.heard[-1] == "/ask_infusion_hours"


async def test_the_slow_reply_apology_follows_the_conversation(
    phone: Phone, knowledge_now: KnowledgeBase
) -> None:
    await texted(phone, ES_Q)
    assert await texted(phone, SLOW_Q) == [own_text(knowledge_now, ENTRY_SMS_SLOW_REPLY, ES)]


async def test_the_slow_reply_apology_of_a_new_conversation_is_english(
    phone: Phone, knowledge_now: KnowledgeBase
) -> None:
    assert await texted(phone, SLOW_Q) == [own_text(knowledge_now, ENTRY_SMS_SLOW_REPLY, EN)]


# -- the language lookups -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"text": "a", "language": "es"}], "es"),
        ([{"text": "a", "language": "es"}, {"text": "b", "language": "en"}], "en"),
        ([{"text": "a", "language": "es"}, {"text": "b"}], "es"),
        ([{"text": "a", "language": "fr"}], None),
        ([{"text": "a"}], None),
        ([], None),
    ],
)
def test_reply_language_is_the_latest_message_that_says(
    messages: List[Dict[str, Any]], expected: Optional[str]
) -> None:
    assert reply_language(messages) == expected


@pytest.mark.parametrize("value", ["es", "en"])
def test_known_languages(value: str) -> None:
    assert known_language(value) == value


@pytest.mark.parametrize("value", [None, "", "ES", "spanish", 1])
def test_unknown_languages(value: Any) -> None:
    assert known_language(value) is None


async def test_tracker_language_prefers_the_latest_bot_message_then_the_slot(
    agent: FakeAgent,
) -> None:
    tracker = await agent.tracker_store.get_or_create_tracker("sms-lang")
    assert tracker_language(tracker) is None
    tracker.update(SlotSet(LANGUAGE_SLOT, ES))
    assert tracker_language(tracker) == ES
    tracker.update(BotUttered("Hello", metadata={"language": EN}))
    assert tracker_language(tracker) == EN
    tracker.update(BotUttered("¿Algo más?", metadata={"language": ES}))
    tracker.update(BotUttered("(no language)", metadata={}))
    assert tracker_language(tracker) == ES


class SlowStore:
    async def retrieve(self, sender_id: str) -> None:
        await asyncio.sleep(5)


class BrokenStore:
    async def retrieve(self, sender_id: str) -> None:
        raise ConnectionError("the database is gone")


@pytest.mark.parametrize("store", [SlowStore(), BrokenStore(), None])
async def test_a_slow_broken_or_missing_store_means_english(store: Any) -> None:
    class Agent:
        tracker_store = store

    assert await conversation_language(Agent(), "sms-x", timeout_s=0.1) == EN
    assert await conversation_language(None, "sms-x") == EN
