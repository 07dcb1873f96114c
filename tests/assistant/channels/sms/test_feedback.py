"""SMS feedback: "Reply 9 if this did not help." after a rateable answer, and a "9" right
after it records not_helpful in the tracker (Rasa's in-memory stores, a scripted bot that logs
its turns like Rasa) and is thanked; any other "9" is an ordinary message. Menus stop at 8."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List

import pytest
from sanic import Sanic

from assistant.channels.sms.menu import (
    FEEDBACK_NUMBER,
    MAX_CHOICES,
    chosen_payload,
    is_feedback_reply,
    offered,
)
from assistant.channels.sms.reply import shape_reply
from assistant.channels.sms.segments import MAX_BODY_CHARS
from assistant.channels.sms.state import sqlite_url
from assistant.dialogue_names import (
    ENTRY_CONVERSATION_DISCLAIMER,
    ENTRY_INFUSION_HOURS,
    ENTRY_SAFETY_EMERGENCY,
    ENTRY_SIDE_EFFECTS_ALLERGIC_REACTION,
    ENTRY_SUPPORT_HANDOFF_OPEN,
    ENTRY_TREATMENT_FORMS,
    URGENT_SYMPTOM,
)
from assistant.knowledge import KnowledgeBase
from tests.assistant.channels.fake_rasa import BUTTONS, FakeAgent, Said, ScriptedBot
from tests.assistant.channels.sms.test_channel import Phone, make_channel, patient_id
from tests.support.sanic_server import serving

_ids = itertools.count()

PROMPT = "Reply 9 if this did not help."
PROMPT_ES = "Responda 9 si esto no le ayudo."
HOURS_Q = "wat time does the infusion place open tmrw"
HOURS_A = "The infusion center is open 7 am to 7 pm, 7 days a week."
FORMS_Q = "is it a pill or iv? asking 4 my dad"
FORMS_ES_Q = "la inmunoterapia es por vena o pastilla?"
THROAT_Q = "my wife says her throat is closing up"
RASH_Q = "got a rash n fever after yesterdays infusion"
PERSON_Q = "can i talk to a real person"
TOPICS = [{"title": "Side effects", "payload": "/ask_side_effects"}]
SCRIPT: Dict[str, List[Said]] = {
    HOURS_Q: [(HOURS_A, {"kb_entry": ENTRY_INFUSION_HOURS})],
    FORMS_Q: [("Immunotherapy is given by IV or as pills.", {"kb_entry": ENTRY_TREATMENT_FORMS})],
    FORMS_ES_Q: [
        (
            "La inmunoterapia se da por vena o en pastillas.",
            {"kb_entry": ENTRY_TREATMENT_FORMS, "language": "es"},
        )
    ],
    THROAT_Q: [("Call 911 now.", {"kb_entry": ENTRY_SAFETY_EMERGENCY, "emergency": True})],
    RASH_Q: [
        (
            "Call your care team now.",
            {"kb_entry": ENTRY_SIDE_EFFECTS_ALLERGIC_REACTION, "triage": URGENT_SYMPTOM},
        )
    ],
    PERSON_Q: [
        (
            "Call 1-800-CEDARS-1 to talk to a person.",
            {"kb_entry": ENTRY_SUPPORT_HANDOFF_OPEN, BUTTONS: TOPICS},
        )
    ],
}


@pytest.fixture
def bot(agent: FakeAgent) -> ScriptedBot:
    return ScriptedBot(agent, SCRIPT)


@pytest.fixture
async def phone(
    knowledge_copy: Path, tmp_path: Path, agent: FakeAgent, bot: ScriptedBot
) -> AsyncIterator[Phone]:
    channel = make_channel(knowledge_copy, sqlite_url(tmp_path / "sms.db"))
    app = Sanic(f"sms_feedback_test_{next(_ids)}")
    app.ctx.agent = agent
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/sms")
    async with serving(app) as base:
        yield Phone(f"{base}/webhooks/sms/webhook")
    channel.state.close()


async def texted(phone: Phone, body: str) -> str:
    status, messages = await phone.text(body)
    assert status == 200, messages
    return "\n".join(messages)


# -- the prompt -------------------------------------------------------------------------------


async def test_an_answer_ends_with_the_prompt(phone: Phone) -> None:
    reply = await texted(phone, HOURS_Q)
    assert reply.startswith(HOURS_A) and reply.endswith(PROMPT)


@pytest.mark.parametrize("question", [THROAT_Q, RASH_Q, "asdfgh"])
async def test_emergency_triage_and_fallback_replies_have_no_prompt(
    phone: Phone, question: str
) -> None:
    assert "Reply 9" not in await texted(phone, question)


async def test_a_spanish_answer_gets_the_spanish_prompt(phone: Phone) -> None:
    reply = await texted(phone, FORMS_ES_Q)
    assert reply.endswith(PROMPT_ES) and PROMPT not in reply


# -- "9" after an answer is a rating ----------------------------------------------------------


async def test_nine_after_an_answer_records_not_helpful_and_thanks(
    phone: Phone, agent: FakeAgent, bot: ScriptedBot
) -> None:
    await texted(phone, FORMS_Q)
    await texted(phone, HOURS_Q)
    thanks = await texted(phone, "9")
    assert thanks.startswith("Thank you") and "1-800-CEDARS-1" in thanks
    assert "Reply 9" not in thanks
    assert bot.heard == [FORMS_Q, HOURS_Q]  # the "9" never reached the bot
    sender = patient_id()
    (answered,) = [e for e in await agent.events(sender) if e.get("text") == HOURS_A]
    (rating,) = await agent.ratings(sender)
    assert rating == {
        "rating": "not_helpful",
        "kb_entry": ENTRY_INFUSION_HOURS,
        "answer_at": answered["timestamp"],
        "comment": "",
        "channel": "sms",
    }


async def test_a_spanish_nine_is_thanked_in_spanish(phone: Phone, agent: FakeAgent) -> None:
    await texted(phone, FORMS_ES_Q)
    assert (await texted(phone, "9.")).startswith("Gracias")
    assert [r["rating"] for r in await agent.ratings(patient_id())] == ["not_helpful"]


# -- any other "9" is a message ---------------------------------------------------------------


async def test_nine_at_the_start_is_an_ordinary_message(
    phone: Phone, agent: FakeAgent, bot: ScriptedBot
) -> None:
    await texted(phone, "9")
    assert bot.heard == ["9"]
    assert await agent.ratings(patient_id()) == []


@pytest.mark.parametrize("before", [THROAT_Q, RASH_Q, "asdfgh"])
async def test_nine_after_a_reply_without_a_rateable_answer_is_a_message(
    phone: Phone, agent: FakeAgent, bot: ScriptedBot, before: str
) -> None:
    await texted(phone, HOURS_Q)
    await texted(phone, before)  # the latest turn had no rateable answer
    await texted(phone, "9")
    assert bot.heard == [HOURS_Q, before, "9"]
    assert await agent.ratings(patient_id()) == []


async def test_nine_after_a_menu_is_not_a_menu_choice(
    phone: Phone, agent: FakeAgent, bot: ScriptedBot
) -> None:
    reply = await texted(phone, PERSON_Q)
    assert "1 for Side effects" in reply and reply.endswith(PROMPT)
    assert await texted(phone, "1") != ""  # the menu works
    assert bot.heard[-1] == "/ask_side_effects"
    await texted(phone, PERSON_Q)
    await texted(phone, "9")  # the handoff answer had the prompt: a rating, not choice 9
    assert bot.heard == [PERSON_Q, "/ask_side_effects", PERSON_Q]
    assert [r["kb_entry"] for r in await agent.ratings(patient_id())] == [
        ENTRY_SUPPORT_HANDOFF_OPEN
    ]


async def test_without_a_tracker_store_nine_is_a_message(
    knowledge_copy: Path, tmp_path: Path, agent: FakeAgent
) -> None:
    bot = ScriptedBot(agent, SCRIPT)
    channel = make_channel(knowledge_copy, sqlite_url(tmp_path / "sms.db"))
    app = Sanic(f"sms_feedback_no_agent_{next(_ids)}")  # no app.ctx.agent
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/sms")
    async with serving(app) as base:
        phone = Phone(f"{base}/webhooks/sms/webhook")
        await texted(phone, HOURS_Q)
        await texted(phone, "9")
    channel.state.close()
    assert bot.heard == [HOURS_Q, "9"]


# -- menus never offer 9 ----------------------------------------------------------------------


def test_a_menu_never_offers_the_feedback_number(knowledge: KnowledgeBase) -> None:
    assert MAX_CHOICES < FEEDBACK_NUMBER
    buttons = [{"title": f"Topic {n}", "payload": f"/topic_{n}"} for n in range(1, 12)]
    reply = shape_reply([{"text": "Pick one.", "buttons": buttons}], knowledge, False)
    assert reply.menu == [f"/topic_{n}" for n in range(1, MAX_CHOICES + 1)]
    assert f"{MAX_CHOICES} for Topic {MAX_CHOICES}" in reply.parts[-1]
    assert "9 for" not in " ".join(reply.parts)
    assert len(offered(list(range(20)))) == MAX_CHOICES
    long_menu = [f"/topic_{n}" for n in range(1, 12)]
    assert chosen_payload("8", long_menu) == "/topic_8"
    assert chosen_payload("9", long_menu) is None
    assert is_feedback_reply("9") and is_feedback_reply(" 9. ") and is_feedback_reply("٩")
    assert not is_feedback_reply("99") and not is_feedback_reply("9 am?")


# -- the prompt counts in the length budget ---------------------------------------------------


def _answer(text: str, **metadata: Any) -> Dict[str, Any]:
    return {"text": text, "kb_entry": ENTRY_INFUSION_HOURS, **metadata}


def test_the_prompt_joins_the_last_part_when_it_fits(knowledge: KnowledgeBase) -> None:
    reply = shape_reply([_answer(HOURS_A)], knowledge, False)
    assert reply.parts == [f"{HOURS_A}\n{PROMPT}"] and reply.feedback_prompt


def test_the_prompt_is_never_cut_by_the_length_cap(knowledge: KnowledgeBase) -> None:
    sentence = "The infusion center has private rooms and shared bays for longer visits. "
    long_answer = sentence * 40  # far over the provider's 1600 characters
    reply = shape_reply([_answer(long_answer)], knowledge, False)
    assert reply.parts[-1].endswith(PROMPT)
    assert sum(len(part) for part in reply.parts) <= MAX_BODY_CHARS


DISCLAIMER = {"text": "General information only.", "kb_entry": ENTRY_CONVERSATION_DISCLAIMER}
EMERGENCY = {"text": "Call 911 now.", "kb_entry": ENTRY_SAFETY_EMERGENCY, "emergency": True}
TRIAGE = {
    "text": "Call your care team now.",
    "kb_entry": ENTRY_SIDE_EFFECTS_ALLERGIC_REACTION,
    "triage": URGENT_SYMPTOM,
}


@pytest.mark.parametrize(
    "messages",
    [
        [DISCLAIMER],
        [{"text": "Sorry, I didn't understand."}],
        [DISCLAIMER, EMERGENCY],
        [_answer(HOURS_A), TRIAGE],  # a safety reply never ends with a rating question
    ],
    ids=["disclaimer", "no-entry", "first-text-emergency", "answer-and-triage"],
)
def test_only_a_reply_with_a_rateable_answer_and_no_safety_text_brings_the_prompt(
    knowledge: KnowledgeBase, messages: List[Dict[str, Any]]
) -> None:
    reply = shape_reply(messages, knowledge, False)
    assert not reply.feedback_prompt and "Reply 9" not in " ".join(reply.parts)
    with_answer = shape_reply([DISCLAIMER, _answer(HOURS_A)], knowledge, False)
    assert with_answer.feedback_prompt and with_answer.parts[-1].endswith(PROMPT)
