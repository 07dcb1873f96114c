"""A repeated MessageSid whose first attempt died with its replica: the repeat answers, from
the tracker when the dead replica had stored the turn, and the bot hears each message once."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import AsyncIterator, Dict, List, Optional, Tuple

import pytest
import sqlalchemy as sa
from sanic import Sanic

from assistant.channels.sms.channel import SmsInput
from assistant.channels.sms.state import sqlite_url
from assistant.stores.replica_tables import sms_messages
from tests.assistant.channels.fake_rasa import FakeAgent, Said, ScriptedBot
from tests.assistant.channels.sms.test_channel import Phone, make_channel, new_sid, webhook_form
from tests.support.sanic_server import serving

_ids = itertools.count()
HOURS_Q = "wen does the infusion place open tmrw?? it\u2019s 4 my mom"
HOURS_A = "The infusion center is open 7 am to 7 pm."
SCRIPT: Dict[str, List[Said]] = {HOURS_Q: [(HOURS_A, {"kb_entry": "center.hours"})]}
DEAD_OWNER = 7  # no live process has this id


@pytest.fixture
def bot(agent: FakeAgent) -> ScriptedBot:
    return ScriptedBot(agent, SCRIPT)


@pytest.fixture
async def served(
    knowledge_copy: Path, tmp_path: Path, agent: FakeAgent, bot: ScriptedBot
) -> AsyncIterator[Tuple[Phone, SmsInput]]:
    channel = make_channel(knowledge_copy, sqlite_url(tmp_path / "sms.db"), timeout_s=0.5)
    app = Sanic(f"sms_repeats_test_{next(_ids)}")
    app.ctx.agent = agent
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/sms")
    async with serving(app) as base:
        yield Phone(f"{base}/webhooks/sms/webhook"), channel
    channel.state.close()


def _in_progress(channel: SmsInput, sid: str, owner: int) -> None:
    """The row as a replica leaves it when it dies mid-request: claimed, no reply."""
    values = {"message_sid": sid, "received_at": 1e12, "replies": None, "owner": owner}
    with channel.state.engine.begin() as connection:
        connection.execute(sms_messages.delete().where(sms_messages.c.message_sid == sid))
        connection.execute(sms_messages.insert().values(values))


def _stored_reply(channel: SmsInput, sid: str) -> Optional[str]:
    query = sa.select(sms_messages.c.replies).where(sms_messages.c.message_sid == sid)
    with channel.state.engine.connect() as connection:
        return connection.execute(query).scalar()


async def test_a_turn_the_dead_replica_stored_is_answered_from_the_tracker(
    served: Tuple[Phone, SmsInput], bot: ScriptedBot, agent: FakeAgent
) -> None:
    phone, channel = served
    form = webhook_form(HOURS_Q)
    first = await phone.post(form)
    assert first[0] == 200 and HOURS_A in first[1]
    # The replica died after Rasa saved the turn, before the reply was recorded.
    _in_progress(channel, dict(form)["MessageSid"], DEAD_OWNER)
    assert await phone.post(form) == first
    assert bot.heard == [HOURS_Q]  # one turn
    users = [e for e in await agent.events(_sender(agent)) if e["event"] == "user"]
    assert len(users) == 1
    assert _stored_reply(channel, dict(form)["MessageSid"]) is not None


async def test_a_turn_the_dead_replica_never_stored_is_answered_now(
    served: Tuple[Phone, SmsInput], bot: ScriptedBot
) -> None:
    phone, channel = served
    sid = new_sid()
    _in_progress(channel, sid, DEAD_OWNER)  # died before Rasa saved anything
    status, text = await phone.post(webhook_form(HOURS_Q, sid=sid))
    assert status == 200 and HOURS_A in text
    assert bot.heard == [HOURS_Q]


async def test_a_live_first_attempt_is_waited_for_never_repeated(
    served: Tuple[Phone, SmsInput], bot: ScriptedBot
) -> None:
    phone, channel = served
    sid = new_sid()
    requests = await channel.requests()
    live_owner = requests.backend.liveness.me  # type: ignore[attr-defined]
    _in_progress(channel, sid, live_owner)  # this very process is still answering it
    status, text = await phone.post(webhook_form(HOURS_Q, sid=sid))
    assert status == 200 and "1-800-CEDARS-1" in text  # the slow-reply apology...
    assert bot.heard == []  # ...and no second turn


def _sender(agent: FakeAgent) -> str:
    (sender,) = list(agent.tracker_store.store)
    return str(sender)
