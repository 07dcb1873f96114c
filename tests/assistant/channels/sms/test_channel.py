"""The SMS webhook: signatures, keywords, menus, repeats, timing and privacy, with a
stand-in bot."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import urllib.parse
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Sequence, Set, Tuple

import aiohttp
import pytest
from multidict import MultiDict
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from twilio.request_validator import RequestValidator

from assistant.channels.sms.channel import SmsInput
from assistant.channels.sms.identity import conversation_id, normalize_number
from assistant.channels.sms.state import SmsState, sqlite_url
from assistant.knowledge import KnowledgeStore
from assistant.ops.run import prepare_channels
from assistant.ops.sms_try import signed_form
from tests.support.sanic_server import serving

TOKEN = "test-auth-token-0123456789"
SECRET = b"test-id-secret-0123456789abcdef"
PATIENT = "+13105550142"
FORM_TYPE = "application/x-www-form-urlencoded"
_ids = itertools.count()
_sids = itertools.count(1)

Reply = Callable[[UserMessage], Any]
Pairs = List[Tuple[str, str]]


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


def patient_id(number: str = PATIENT) -> str:
    normalized = normalize_number(number)
    assert normalized is not None
    return conversation_id(normalized, SECRET)


def webhook_form(
    body: str,
    sender: str = PATIENT,
    sid: Optional[str] = None,
    extra: Sequence[Tuple[str, str]] = (),
) -> Pairs:
    """The fields of a Messaging webhook, as the provider posts them (empty ones included)."""
    return [
        ("MessageSid", sid or new_sid()),
        ("AccountSid", "AC" + "0" * 32),
        ("From", sender),
        ("FromCity", ""),
        ("FromState", "CA"),
        ("To", "+18002332771"),
        ("Body", body),
        ("NumMedia", "0"),
        *extra,
    ]


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

    async def post(
        self,
        pairs: Pairs,
        signed_pairs: Optional[Pairs] = None,
        sign_as: Optional[str] = None,
        token: str = TOKEN,
        signed: bool = True,
        content_type: str = FORM_TYPE,
        raw: Optional[bytes] = None,
    ) -> Tuple[int, str]:
        """Post ``pairs`` (or ``raw``) with a signature over ``signed_pairs`` (default: the
        pairs themselves), computed the way the provider's own validator does."""
        headers = {"Content-Type": content_type}
        if signed:
            fields = MultiDict(signed_pairs if signed_pairs is not None else pairs)
            validator = RequestValidator(token)
            headers["X-Twilio-Signature"] = validator.compute_signature(sign_as or self.url, fields)
        data = raw if raw is not None else urllib.parse.urlencode(pairs).encode()
        async with aiohttp.ClientSession() as session:
            async with session.post(self.url, data=data, headers=headers) as reply:
                return reply.status, await reply.text()

    async def text(
        self,
        body: str,
        sender: str = PATIENT,
        sid: Optional[str] = None,
        extra: Sequence[Tuple[str, str]] = (),
        **post_kwargs: Any,
    ) -> tuple[int, List[str]]:
        status, text = await self.post(webhook_form(body, sender, sid, extra), **post_kwargs)
        if status != 200:
            return status, [text]
        root = ElementTree.fromstring(text)  # noqa: S314 - our own server's reply
        return 200, [m.text or "" for m in root.iter("Message")]


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def state_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "sms.db")


def make_channel(knowledge_copy: Path, state: str | SmsState, timeout_s: float = 2.0) -> SmsInput:
    return SmsInput(
        auth_token=TOKEN,
        id_secret=SECRET,
        state=SmsState(state) if isinstance(state, str) else state,
        store=KnowledgeStore(knowledge_copy),
        reply_timeout_s=timeout_s,
    )


@pytest.fixture
async def phone(knowledge_copy: Path, state_url: str, bot: FakeBot) -> AsyncIterator[Phone]:
    channel = make_channel(knowledge_copy, state_url)
    app = Sanic(f"sms_test_{next(_ids)}")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/sms")
    async with serving(app) as base:
        yield Phone(f"{base}/webhooks/sms/webhook")
    channel.state.close()


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
    phone: Phone, bot: FakeBot, state_url: str, kwargs: Dict[str, Any]
) -> None:
    status, _ = await phone.text("STOP", **kwargs)
    assert status == 403
    assert bot.messages == []
    assert not SmsState(state_url).is_opted_out_any()


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
    knowledge_copy: Path, state_url: str, bot: FakeBot
) -> None:
    for attempt in range(2):
        channel = make_channel(knowledge_copy, state_url)
        app = Sanic(f"sms_restart_{next(_ids)}")
        app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/sms")
        async with serving(app) as base:
            phone = Phone(f"{base}/webhooks/sms/webhook")
            if attempt == 0:
                await phone.text("STOP")
            else:
                assert (await phone.text("hello again"))[1] == []
    assert bot.messages == []


async def test_help_names_the_organisation_line_number_and_stop(phone: Phone, bot: FakeBot) -> None:
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
    knowledge_copy: Path, state_url: str, bot: FakeBot
) -> None:
    bot.delay_s = 30
    channel = make_channel(knowledge_copy, state_url, timeout_s=0.5)
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
    # Unicode is allowed then, but typography and accents are still folded: only what has no
    # GSM-7 form (the emoji here) is kept.
    assert (await phone.text("\u4f60\u597d"))[1] == ['It\'s "fine" \U0001f600']


async def test_a_patient_typing_accents_still_gets_gsm7(phone: Phone, bot: FakeBot) -> None:
    bot.replies = [{"text": "La información está en la página."}]
    assert (await phone.text("más información?"))[1] == ["La informacion esta en la pagina."]


async def test_phone_number_never_reaches_the_bot_or_logs(
    phone: Phone, bot: FakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await phone.text("my question about rash")
    message = bot.messages[0]
    assert message.sender_id.startswith("sms-")
    digits = PATIENT.lstrip("+")
    assert digits not in message.sender_id and digits[1:] not in message.sender_id
    # The channel name and the opening language guess: nothing about the number.
    assert message.metadata == {"channel": "sms", "page_language": "en"}
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


# --- The signature covers the raw form, empty fields included --------------------------------


async def test_picture_message_with_empty_fields_is_accepted(phone: Phone, bot: FakeBot) -> None:
    media = [
        ("MediaUrl0", "https://api.twilio.example/2010-04-01/Media/ME0"),
        ("MediaContentType0", "image/jpeg"),
    ]
    pairs = [(k, "1") if k == "NumMedia" else (k, v) for k, v in webhook_form("")] + media
    assert ("Body", "") in pairs and ("FromCity", "") in pairs
    status, twiml = await phone.post(pairs)
    assert status == 200, twiml
    assert "<Message>" in twiml  # the fallback answer: there is no text to understand
    assert bot.messages == []


async def test_stop_with_an_empty_from_city_is_recorded(
    phone: Phone, bot: FakeBot, state_url: str
) -> None:
    status, messages = await phone.text("STOP")  # the form carries FromCity=
    assert status == 200 and "unsubscribed" in messages[0]
    assert SmsState(state_url).is_opted_out(patient_id()) is True
    assert (await phone.text("hello"))[1] == []
    assert bot.messages == []


async def test_tampered_body_gets_403(phone: Phone, bot: FakeBot, state_url: str) -> None:
    signed = webhook_form("what is immunotherapy")
    tampered = [(k, "STOP") if k == "Body" else (k, v) for k, v in signed]
    assert (await phone.post(tampered, signed_pairs=signed))[0] == 403
    # An empty field is signed too: dropping or adding one breaks the signature.
    without_city = [(k, v) for k, v in signed if k != "FromCity"]
    assert (await phone.post(without_city, signed_pairs=signed))[0] == 403
    assert (await phone.post([*signed, ("FromZip", "")], signed_pairs=signed))[0] == 403
    assert bot.messages == []
    assert not SmsState(state_url).is_opted_out_any()


async def test_repeated_fields_are_signed_like_the_provider_validator(
    phone: Phone, bot: FakeBot
) -> None:
    pairs = webhook_form("hello", extra=[("Tag", "b"), ("Tag", "a"), ("Tag", "")])
    assert (await phone.post(pairs))[0] == 200
    assert bot.messages[0].text == "hello"


@pytest.mark.parametrize("field", ["From", "Body", "MessageSid"])
async def test_a_repeated_field_the_channel_reads_is_refused(
    phone: Phone, bot: FakeBot, field: str
) -> None:
    pairs = webhook_form("hello")
    value = "+13105550199" if field == "From" else new_sid() if field == "MessageSid" else "STOP"
    status, text = await phone.post([*pairs, (field, value)])
    assert status == 400 and field in text
    assert bot.messages == []


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data; boundary=x", "text/plain"]
)
async def test_other_content_types_get_415(phone: Phone, bot: FakeBot, content_type: str) -> None:
    status, text = await phone.post(webhook_form("hello"), content_type=content_type)
    assert status == 415 and FORM_TYPE in json.loads(text)["error"]
    assert bot.messages == []


async def test_form_content_type_with_a_charset_is_accepted(phone: Phone, bot: FakeBot) -> None:
    status, _ = await phone.post(webhook_form("hello"), content_type=f"{FORM_TYPE}; charset=utf-8")
    assert status == 200 and len(bot.messages) == 1


async def test_a_body_that_is_not_utf8_gets_400(phone: Phone, bot: FakeBot) -> None:
    status, text = await phone.post(webhook_form("x"), raw=b"Body=%FF%FE&From=%2B13105550142")
    assert status == 400 and "UTF-8" in text
    assert bot.messages == []


# --- MessageSid: required, and a repeat is answered once ---------------------------------


async def test_a_form_without_message_sid_gets_400(phone: Phone, bot: FakeBot) -> None:
    pairs = [(k, v) for k, v in webhook_form("hello") if k != "MessageSid"]
    status, text = await phone.post(pairs)
    assert status == 400 and "MessageSid" in text
    assert bot.messages == []


@pytest.mark.parametrize("sid", ["", "SM 123", "SM" + "a" * 70, "SM\n123"])
async def test_a_malformed_message_sid_gets_400(phone: Phone, bot: FakeBot, sid: str) -> None:
    pairs = [("MessageSid", sid) if k == "MessageSid" else (k, v) for k, v in webhook_form("hi")]
    status, text = await phone.post(pairs)
    assert status == 400 and "MessageSid" in text
    assert bot.messages == []


async def test_a_repeated_message_sid_gets_the_first_reply_and_changes_nothing(
    phone: Phone, bot: FakeBot, state_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    question = webhook_form("what is immunotherapy")
    first = await phone.post(question)
    assert first[0] == 200 and "Hello from the bot." in first[1]
    bot.replies = [{"text": "A different answer."}]
    assert await phone.post(question) == first  # the same TwiML, byte for byte
    assert len(bot.messages) == 1  # Rasa never saw the repeat

    stop, start = webhook_form("STOP"), webhook_form("START")
    stopped = await phone.post(stop)
    assert stopped[0] == 200
    assert (await phone.post(start))[0] == 200
    assert await phone.post(stop) == stopped  # the STOP's own reply again...
    assert SmsState(state_url).is_opted_out(patient_id()) is False  # ...and no opt-out
    digits = PATIENT.lstrip("+")
    assert digits[1:] not in caplog.text and "what is immunotherapy" not in caplog.text


async def test_the_message_sid_is_the_turns_message_id(phone: Phone, bot: FakeBot) -> None:
    sid = new_sid()
    assert (await phone.text("hello", sid=sid))[0] == 200
    assert bot.messages[0].message_id == sid


async def test_a_repeat_while_the_first_is_answered_waits_for_its_reply(
    phone: Phone, bot: FakeBot
) -> None:
    bot.delay_s = 0.5
    question = webhook_form("what is immunotherapy")
    first, second = await asyncio.gather(phone.post(question), phone.post(question))
    assert first == second and first[0] == 200 and "Hello from the bot." in first[1]
    assert len(bot.messages) == 1


async def test_the_same_sid_from_another_number_never_reaches_the_bot(
    phone: Phone, bot: FakeBot
) -> None:
    sid = new_sid()
    first = await phone.text("hello", sid=sid)
    assert first[0] == 200
    assert await phone.text("hello", sender="+13105550199", sid=sid) == first
    assert len(bot.messages) == 1


async def test_unsigned_requests_do_not_use_up_a_sid(phone: Phone, bot: FakeBot) -> None:
    sid = new_sid()
    assert (await phone.text("hello", sid=sid, signed=False))[0] == 403
    assert (await phone.text("hello", sid=sid))[0] == 200
    assert len(bot.messages) == 1


# --- Menu numbers: only decimal digits, never a 500 -------------------------------------------


async def _with_menu(phone: Phone, bot: FakeBot) -> None:
    bot.replies = [
        {
            "text": "Pick one.",
            "buttons": [
                {"title": "Rash", "payload": "/ask_rash"},
                {"title": "Talk to a person", "payload": "/request_human"},
            ],
        }
    ]
    await phone.text("side effects?")
    bot.replies = [{"text": "ok"}]


@pytest.mark.parametrize(
    "body",
    ["\u00b2", "\u2460", "\u2082", "1" * 40, "2\u00b2", "\u0661\u0662\u0663"],
    ids=["superscript-two", "circled-one", "subscript-two", "40-digits", "two-squared", "three"],
)
async def test_digit_like_replies_are_text_not_a_crash(
    phone: Phone, bot: FakeBot, body: str
) -> None:
    await _with_menu(phone, bot)
    status, messages = await phone.text(body)
    assert status == 200 and messages
    assert bot.messages[-1].text == body


async def test_a_number_too_long_for_int_is_not_a_crash(phone: Phone, bot: FakeBot) -> None:
    await _with_menu(phone, bot)
    status, messages = await phone.text("9" * 5000)  # int() refuses over 4300 digits
    assert status == 200 and messages
    assert bot.messages[-1].text == "side effects?"  # too long for the bot: the fallback


@pytest.mark.parametrize(
    ("body", "payload"),
    [("\u0661", "/ask_rash"), ("\u0662.", "/request_human"), ("\uff12", "/request_human")],
    ids=["arabic-indic-one", "arabic-indic-two-dot", "fullwidth-two"],
)
async def test_decimal_digits_of_any_script_pick_from_the_menu(
    phone: Phone, bot: FakeBot, body: str, payload: str
) -> None:
    await _with_menu(phone, bot)
    assert (await phone.text(body))[0] == 200
    assert bot.messages[-1].text == payload


# --- State calls stay off the event loop -----------------------------------------------------


class ThreadRecordingState(SmsState):
    """Notes the thread each database call runs in."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.threads: Set[int] = set()

    def is_opted_out(self, conversation_id: str) -> bool:
        self.threads.add(threading.get_ident())
        return super().is_opted_out(conversation_id)

    def set_opted_out(self, conversation_id: str, opted_out: bool) -> None:
        self.threads.add(threading.get_ident())
        super().set_opted_out(conversation_id, opted_out)

    def menu(self, conversation_id: str) -> List[str]:
        self.threads.add(threading.get_ident())
        return super().menu(conversation_id)

    def set_menu(self, conversation_id: str, payloads: List[str]) -> None:
        self.threads.add(threading.get_ident())
        super().set_menu(conversation_id, payloads)


async def test_database_calls_run_off_the_event_loop(
    knowledge_copy: Path, state_url: str, bot: FakeBot
) -> None:
    state = ThreadRecordingState(state_url)
    channel = make_channel(knowledge_copy, state)
    app = Sanic(f"sms_threads_{next(_ids)}")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/sms")
    async with serving(app) as base:
        phone = Phone(f"{base}/webhooks/sms/webhook")
        assert (await phone.text("hello"))[0] == 200
        assert (await phone.text("STOP"))[0] == 200
    assert state.threads and threading.get_ident() not in state.threads
    state.close()


def test_state_url_comes_from_the_environment(tmp_path: Path) -> None:
    env = {"TWILIO_AUTH_TOKEN": "t", "SMS_ID_SECRET": "x" * 32}
    url = sqlite_url(tmp_path / "url.db")
    path = tmp_path / "path.db"
    channel = SmsInput.from_settings(
        {}, {**env, "SMS_STATE_DB_URL": url, "SMS_STATE_DB": str(path)}
    )
    channel.state.set_opted_out("sms-x", True)
    assert SmsState(url).is_opted_out("sms-x") and not path.exists()
    channel = SmsInput.from_settings({}, {**env, "SMS_STATE_DB": str(path)})
    channel.state.set_opted_out("sms-y", True)
    assert SmsState(sqlite_url(path)).is_opted_out("sms-y")


# --- The development helpers ----------------------------------------------------------------


async def test_the_make_sms_helper_form_is_accepted_and_can_replay(
    phone: Phone, bot: FakeBot
) -> None:
    data, headers = signed_form(phone.url, TOKEN, PATIENT, "hello")
    assert b"FromCity=&" in data  # empty fields, like the provider's
    replay, replay_headers = signed_form(phone.url, TOKEN, PATIENT, "hello", message_sid="SM42")
    async with aiohttp.ClientSession() as session:
        async with session.post(phone.url, data=data, headers=headers) as reply:
            assert reply.status == 200
        answers = []
        for _ in range(2):
            async with session.post(phone.url, data=replay, headers=replay_headers) as reply:
                assert reply.status == 200
                answers.append(await reply.text())
    assert answers[0] == answers[1]
    assert len(bot.messages) == 2


def test_make_run_sets_a_state_file_only_without_a_state_url(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("assistant.channels.sms.channel.SmsInput:\n")
    base = {"TWILIO_AUTH_TOKEN": "t", "SMS_ID_SECRET": "x" * 32}
    _, extra, _ = prepare_channels(tmp_path / "state", credentials, base)
    assert extra["SMS_STATE_DB"] == str(tmp_path / "state" / "sms.db")
    url_env = {**base, "SMS_STATE_DB_URL": "postgresql://rasa@db/assistant"}
    _, extra, _ = prepare_channels(tmp_path / "state", credentials, url_env)
    assert "SMS_STATE_DB" not in extra
