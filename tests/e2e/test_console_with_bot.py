"""The staff console over the real bot's tracker store: what a patient said and what the bot
did appear in the console as recorded by Rasa (intents, knowledge entries, flags, callbacks)."""

from __future__ import annotations

import time
from typing import Callable

import pytest
import sqlalchemy as sa

from assistant.console import schema
from bench.console_harness import ManualClock, running_console
from tests.e2e.conftest import texts
from tests.support.assistant_servers import RunningAssistant

pytestmark = pytest.mark.slow


def _conversation_id(db_engine: sa.engine.Engine, sender: str) -> int:
    with db_engine.begin() as connection:
        value = connection.execute(
            sa.select(sa.func.max(schema.conversations.c.id)).where(
                schema.conversations.c.sender_id == sender
            )
        ).scalar()
    assert value is not None, f"{sender} was not indexed"
    return int(value)


async def test_a_bot_conversation_reads_correctly_in_the_console(
    assistant: RunningAssistant, new_sender: Callable[[], str]
) -> None:
    sender = new_sender()
    assistant.say(sender, "what side effects can immunotherapy cause?")
    assistant.say(sender, "can someone call me back please")
    assistant.say(sender, "Rosa Delgado")
    assistant.say(sender, "(310) 555-0188")
    assistant.say(sender, "tomorrow morning")
    assert "recorded" in texts(assistant.say(sender, "/affirm"))
    assert "911" in texts(assistant.say(sender, "my throat is swelling and I can't breathe"))

    async with running_console(
        f"sqlite:///{assistant.tracker_db}", ManualClock(time.time())
    ) as console:
        console.index()
        conversation = _conversation_id(console.db.engine, sender)
        admin = await console.logged_in("lead-nurse", "admin")

        page = (await admin.get(f"/conversations/{conversation}")).text
        assert "ask_side_effects" in page  # the predicted intent...
        assert "side_effects." in page  # ...and the knowledge entry the answer came from
        assert "request_callback" in page
        assert "safety.emergency" in page and 'class="badge emergency"' in page
        assert "Rosa Delgado" in page
        assert "555-0188" not in page and "•••-•••-0188" in page  # masked by default

        queue = (await admin.get("/callbacks")).text
        assert "Rosa Delgado" in queue and "tomorrow morning" in queue
        assert "+13105550188" not in queue

        emergencies = (await admin.get("/inbox?flag=emergency&flag=emergency")).text
        assert f'href="/conversations/{conversation}"' in emergencies
        callbacks = (await admin.get("/inbox?flag=callback")).text
        assert f'href="/conversations/{conversation}"' in callbacks
