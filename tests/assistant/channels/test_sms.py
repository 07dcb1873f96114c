"""The SMS webhook: signatures, keywords, menus, timing and privacy, with a stand-in bot."""

from __future__ import annotations

import asyncio
import itertools
import logging
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, List, Optional

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from twilio.request_validator import RequestValidator

from assistant.channels.sms import SmsInput
from assistant.knowledge import KnowledgeStore
from assistant.sms.state import SmsState
from tests.support.sanic_server import serving

TOKEN = "test-auth-token-0123456789"
SECRET = b"test-id-secret-0123456789abcdef"
PATIENT = "+13105550142"
_ids = itertools.count()

Reply = Callable[[UserMessage], Any]


class FakeBot:
    """Stands in for Rasa: records messages and answers with ``script(message)``."""

    def __init__(self) -> None:
        self.messages: List[UserMessage] = []
        self.delay_s = 0.0
        self.replies: List[Dict[str, Any]] = [{"text": "Hello from the bot."}]

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        for reply in self.replies:
            if reply.get("buttons"):
                await message.output_channel.send_text_with_buttons(
                    message.sender_id, reply["text"], reply["buttons"]
                )
            else:
                await message.output_channel.send_text_message(message.sender_id, reply["text"])


class Phone:
    """Posts signed (or not) Messaging webhook forms, like the provider."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def text(
        self,
        body: str,
        sender: str = PATIENT,
        sign_as: Optional[str] = None,
        token: str = TOKEN,
        signed: bool = True,
    ) -> tuple[int, List[str]]:
        form = {"MessageSid": "SM" + "1" * 32, "From": sender, "To": "+18002332771", "Body": body}
        headers = {}
        if signed:
            signature = RequestValidator(token).compute_signature(sign_as or self.url, form)
            headers["X-Twilio-Signature"] = signature
        async with aiohttp.ClientSession() as session:
            async with session.post(self.url, data=form, headers=headers) as reply:
                text = await reply.text()
                if reply.status != 200:
                    return reply.status, [text]
                root = ElementTree.fromstring(text)  # noqa: S314 - our own server's reply
                return 200, [m.text or "" for m in root.iter("Message")]


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "sms.db"


def make_channel(knowledge_copy: Path, state_path: Path, timeout_s: float = 2.0) -> SmsInput:
    return SmsInput(
        auth_token=TOKEN,
        id_secret=SECRET,
        state=SmsState(state_path),
        store=KnowledgeStore(knowledge_copy),
        reply_timeout_s=timeout_s,
    )


@pytest.fixture
async def phone(knowledge_copy: Path, state_path: Path, bot: FakeBot) -> AsyncIterator[Phone]:
    channel = make_channel(knowledge_copy, state_path)
    app = Sanic(f"sms_test_{next(_ids)}")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/sms")
    async with serving(app) as base:
        yield Phone(f"{base}/webhooks/sms/webhook")


async def test_signed_message_reaches_the_bot(phone: Phone, bot: FakeBot) -> None:
    status, messages = await phone.text("what is immunotherapy")
    assert status == 200 and messages == ["Hello from the bot."]
    message = bot.messages[0]
    assert message.text == "what is immunotherapy"
    assert message.input_channel == "sms"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"signed": False},
        {"token": "a-forged-token-9876543210"},
        {"sign_as": "https://elsewhere.example/webhooks/sms/webhook"},
    ],
    ids=["unsigned", "forged", "signed-for-another-url"],
)
async def test_bad_signatures_get_403_and_nothing_is_stored(
    phone: Phone, bot: FakeBot, state_path: Path, kwargs: Dict[str, Any]
) -> None:
    status, _ = await phone.text("STOP", **kwargs)
    assert status == 403
    assert bot.messages == []
    assert not SmsState(state_path).is_opted_out_any()


async def test_stop_confirms_once_then_silence_until_start(phone: Phone, bot: FakeBot) -> None:
    status, messages = await phone.text("stop")
    assert status == 200 and len(messages) == 1 and "unsubscribed" in messages[0]
    assert (await phone.text("what are the side effects"))[1] == []
    assert (await phone.text("HELP"))[1] == []
    assert bot.messages == []
    resumed = (await phone.text("Start"))[1]
    assert len(resumed) == 1 and "subscribed again" in resumed[0]
    assert (await phone.text("hello"))[1] == ["Hello from the bot."]


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "Cancel", "END", "quit"])
async def test_every_opt_out_word_works(phone: Phone, bot: FakeBot, word: str) -> None:
    assert "unsubscribed" in (await phone.text(word))[1][0]
    assert (await phone.text("hi"))[1] == []


async def test_yes_resumes_only_when_opted_out(phone: Phone, bot: FakeBot) -> None:
    assert (await phone.text("YES"))[1] == ["Hello from the bot."]  # e.g. consent in a form
    await phone.text("STOP")
    assert "subscribed again" in (await phone.text("yes"))[1][0]


async def test_opt_out_survives_a_restart(
    knowledge_copy: Path, state_path: Path, bot: FakeBot
) -> None:
    for attempt in range(2):
        channel = make_channel(knowledge_copy, state_path)
        app = Sanic(f"sms_restart_{next(_ids)}")
        app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/sms")
        async with serving(app) as base:
            phone = Phone(f"{base}/webhooks/sms/webhook")
            if attempt == 0:
                await phone.text("STOP")
            else:
                assert (await phone.text("hello again"))[1] == []
    assert bot.messages == []


async def test_help_names_the_organisation_line_number_and_stop(phone: Phone, bot: FakeBot):
    (message,) = (await phone.text("info"))[1]
    for part in ("Cedars-Sinai", "immunotherapy", "1-800-CEDARS-1", "Reply STOP to opt out"):
        assert part in message
    assert bot.messages == []


async def test_buttons_become_a_numbered_menu_and_numbers_map_back(
    phone: Phone, bot: FakeBot
) -> None:
    bot.replies = [
        {
            "text": "Side effects may include rash.",
            "buttons": [
                {"title": "Rash", "payload": '/ask_side_effects{"side_effect": "rash"}'},
                {"title": "Talk to a person", "payload": "/request_human"},
            ],
        }
    ]
    messages = (await phone.text("side effects?"))[1]
    assert "Reply 1 for Rash, 2 for Talk to a person." in "\n".join(messages)
    bot.replies = [{"text": "ok"}]
    await phone.text("2")
    assert bot.messages[-1].text == "/request_human"
    await phone.text("2")  # the new reply had no menu: "2" is just text now
    assert bot.messages[-1].text == "2"


async def test_typed_intent_is_plain_text(phone: Phone, bot: FakeBot) -> None:
    await phone.text('/request_human{"callback_phone": "+13105550100"}')
    assert bot.messages[0].text == 'request_human{"callback_phone": "+13105550100"}'


async def test_slow_bot_gets_an_apology_within_the_limit(
    knowledge_copy: Path, state_path: Path, bot: FakeBot
) -> None:
    bot.delay_s = 30
    channel = make_channel(knowledge_copy, state_path, timeout_s=0.5)
    app = Sanic(f"sms_slow_{next(_ids)}")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/sms")
    async with serving(app) as base:
        loop = asyncio.get_running_loop()
        started = loop.time()
        status, messages = await Phone(f"{base}/webhooks/sms/webhook").text("hello")
        elapsed = loop.time() - started
    assert status == 200 and elapsed < 3
    assert "slow to answer" in messages[0] and "1-800-CEDARS-1" in messages[0]


async def test_long_answers_are_split_at_sentences_within_limits(
    phone: Phone, bot: FakeBot
) -> None:
    sentence = "Immunotherapy affects people in different ways and side effects vary."
    bot.replies = [{"text": " ".join([sentence] * 30)}]
    messages = (await phone.text("tell me everything"))[1]
    assert len(messages) > 1
    assert sum(len(m) for m in messages) <= 1600
    assert all(m.endswith(".") for m in messages)


async def test_replies_stay_gsm7_unless_the_patient_wrote_in_another_script(
    phone: Phone, bot: FakeBot
) -> None:
    bot.replies = [{"text": "It\u2019s \u201cfine\u201d \U0001f600"}]
    assert (await phone.text("hello"))[1] == ['It\'s "fine"']
    assert (await phone.text("\u4f60\u597d"))[1] == ["It\u2019s \u201cfine\u201d \U0001f600"]


async def test_phone_number_never_reaches_the_bot_or_logs(
    phone: Phone, bot: FakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await phone.text("my question about rash")
    message = bot.messages[0]
    assert message.sender_id.startswith("sms-")
    digits = PATIENT.lstrip("+")
    assert digits not in message.sender_id and digits[1:] not in message.sender_id
    assert message.metadata == {"channel": "sms"}
    assert digits[1:] not in caplog.text and "my question about rash" not in caplog.text


async def test_same_number_is_the_same_conversation(phone: Phone, bot: FakeBot) -> None:
    await phone.text("one", sender="+1 (310) 555-0142")
    await phone.text("two", sender="3105550142")
    await phone.text("three", sender="+13105550199")
    ids = [m.sender_id for m in bot.messages]
    assert ids[0] == ids[1] != ids[2]


def test_missing_secrets_fail_loudly() -> None:
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        SmsInput.from_settings({}, {"SMS_ID_SECRET": "x" * 32})
    with pytest.raises(ValueError, match="SMS_ID_SECRET"):
        SmsInput.from_settings({}, {"TWILIO_AUTH_TOKEN": "t"})
    with pytest.raises(ValueError, match="unknown keys"):
        SmsInput.from_settings({"auth_token": "x"}, {})
