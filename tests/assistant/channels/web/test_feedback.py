"""Rating an answer in the widget: ``POST /webhooks/web/feedback`` records a ``SlotSet`` of
``answer_feedback`` in the session's own conversation (Rasa's in-memory tracker store and lock
store, a scripted bot that logs its turns like Rasa), and the history brings it back."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, List, Optional

import pytest
from sanic import Sanic

from assistant.channels.feedback import (
    answer_at_or_before,
    is_rateable,
    last_turn_answer,
)
from assistant.channels.web.channel import WebChatInput
from assistant.channels.web.rate_limits import WebRateLimits
from assistant.dialogue_names import (
    ENTRY_CONVERSATION_DISCLAIMER,
    ENTRY_CONVERSATION_TECHNICAL_ERROR,
    ENTRY_IMMUNOTHERAPY_OVERVIEW,
    ENTRY_INFUSION_HOURS,
    ENTRY_SAFETY_EMERGENCY,
    ENTRY_SIDE_EFFECTS_ALLERGIC_REACTION,
    URGENT_SYMPTOM,
)
from tests.assistant.channels.fake_rasa import FakeAgent, Said, ScriptedBot, new_agent
from tests.assistant.channels.web.test_channel import SECRET, Clock, Reply, Visitor
from tests.support.sanic_server import serving

_app_ids = itertools.count()

ASKS_OVERVIEW = "wat is immunotherapy exactly?? my mom starts it next wk"
ASKS_HOURS = "when r u guys open, i\u2019ve got a 7am chair"
ASKS_HOURS_AGAIN = "sorry what were the hours again"
THROAT = "her throat feels tight since the infusion"
RASH = "i\u2019ve got a rash and itchy skin after treatment"
OVERVIEW = ("Immunotherapy helps your immune system fight cancer.", ENTRY_IMMUNOTHERAPY_OVERVIEW)
SCRIPT: Dict[str, List[Said]] = {
    ASKS_OVERVIEW: [(OVERVIEW[0], {"kb_entry": OVERVIEW[1]})],
    ASKS_HOURS: [("The infusion center is open 7 am to 7 pm.", {"kb_entry": ENTRY_INFUSION_HOURS})],
    ASKS_HOURS_AGAIN: [("Open 7 am to 7 pm, every day.", {"kb_entry": ENTRY_INFUSION_HOURS})],
    THROAT: [("Call 911 now.", {"kb_entry": ENTRY_SAFETY_EMERGENCY, "emergency": True})],
    RASH: [
        (
            "Call your care team now.",
            {"kb_entry": ENTRY_SIDE_EFFECTS_ALLERGIC_REACTION, "triage": URGENT_SYMPTOM},
        )
    ],
}


@pytest.fixture
def agent() -> FakeAgent:
    return new_agent()


@pytest.fixture
async def serve(knowledge_copy: Path, agent: FakeAgent) -> AsyncIterator[Callable[..., Any]]:
    """``await serve(env)``: the channel over the fake agent, serving; returns its base URL."""
    servers: List[Any] = []

    async def start(env: Optional[Dict[str, str]] = None) -> str:
        settings = {"WEB_SESSION_SECRET": SECRET, **(env or {})}
        channel = WebChatInput.from_settings({"knowledge_dir": str(knowledge_copy)}, settings)
        channel.limits = WebRateLimits.from_env(settings, clock=Clock())
        app = Sanic(f"web_feedback_test_{next(_app_ids)}")
        app.ctx.agent = agent
        app.blueprint(channel.blueprint(ScriptedBot(agent, SCRIPT)), url_prefix="/webhooks/web")
        server = serving(app)
        servers.append(server)
        base = await server.__aenter__()
        return f"{base}/webhooks/web"

    yield start
    for server in reversed(servers):
        await server.__aexit__(None, None, None)


Serve = Callable[..., Any]


async def patient(base: str) -> Visitor:
    visitor = Visitor(base)
    assert (await visitor.start()).status == 200
    return visitor


def sender_of(agent: FakeAgent) -> str:
    (sender,) = agent.tracker_store.store.keys()
    return str(sender)


async def ask(visitor: Visitor, text: str) -> Dict[str, Any]:
    """The last bot message of the answer, as the widget got it."""
    reply = await visitor.say(text, f"c-{abs(hash(text))}")
    assert reply.status == 200, reply.body
    return dict(reply.body["messages"][-1])


async def rate(
    visitor: Visitor, message: Dict[str, Any], rating: str, comment: Optional[str] = None
) -> Reply:
    body: Dict[str, Any] = {
        "kb_entry": message["kb_entry"],
        "timestamp": message["timestamp"],
        "rating": rating,
    }
    if comment is not None:
        body["comment"] = comment
    return await visitor.call("POST", "/feedback", body)


async def bot_event(agent: FakeAgent, sender: str, text: str) -> Dict[str, Any]:
    (event,) = [e for e in await agent.events(sender) if e["event"] == "bot" and e["text"] == text]
    return event


# -- recorded in the tracker ------------------------------------------------------------------


async def test_a_thumbs_down_with_a_comment_is_a_slot_set_in_the_conversation(
    serve: Serve, agent: FakeAgent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    visitor = await patient(await serve())
    answer = await ask(visitor, ASKS_OVERVIEW)
    assert answer["rateable"] is True
    comment = "  didn\u2019t say if it\u2019s like chemo, mom\u2019s worried about hair loss  "
    reply = await rate(visitor, answer, "not_helpful", comment)
    sender = sender_of(agent)
    answered = await bot_event(agent, sender, OVERVIEW[0])
    assert reply.status == 200
    # The rating names the bot event's own timestamp, not the clock the live reply carried.
    assert answered["timestamp"] < answer["timestamp"]
    assert reply.body == {
        "rating": "not_helpful",
        "kb_entry": OVERVIEW[1],
        "timestamp": answered["timestamp"],
    }
    last = (await agent.events(sender))[-1]
    assert last["event"] == "slot" and last["name"] == "answer_feedback"
    assert last["value"] == {
        "rating": "not_helpful",
        "kb_entry": OVERVIEW[1],
        "answer_at": answered["timestamp"],
        "comment": comment.strip(),
        "channel": "web",
    }
    assert "hair loss" not in caplog.text


async def test_a_rating_can_be_changed_and_the_history_shows_the_latest(
    serve: Serve, agent: FakeAgent
) -> None:
    base = await serve()
    visitor = await patient(base)
    overview = await ask(visitor, ASKS_OVERVIEW)
    hours = await ask(visitor, ASKS_HOURS)
    emergency = await ask(visitor, THROAT)
    assert emergency["rateable"] is False
    assert (await rate(visitor, overview, "helpful")).status == 200
    assert (await rate(visitor, overview, "not_helpful", "too vague")).status == 200
    assert [r["rating"] for r in await agent.ratings(sender_of(agent))] == [
        "helpful",
        "not_helpful",
    ]

    history = await visitor.call("GET", "/history", content_type=None)  # a reload
    bots = {m["text"]: m for m in history.body["messages"] if m["role"] == "bot"}
    assert bots[OVERVIEW[0]]["feedback"] == "not_helpful"
    assert bots[OVERVIEW[0]]["rateable"] is True
    assert "feedback" not in bots[hours["text"]] and bots[hours["text"]]["rateable"] is True
    assert bots["Call 911 now."]["rateable"] is False

    # Rated again from the reloaded widget, with the timestamp the history gave.
    again = await rate(visitor, bots[OVERVIEW[0]], "helpful")
    assert again.status == 200 and again.body["timestamp"] == bots[OVERVIEW[0]]["timestamp"]
    history = await visitor.call("GET", "/history", content_type=None)
    assert [m.get("feedback") for m in history.body["messages"] if m["role"] == "bot"] == [
        "helpful",
        None,
        None,
    ]


async def test_of_two_answers_from_one_entry_the_one_the_patient_rated_is_recorded(
    serve: Serve, agent: FakeAgent
) -> None:
    visitor = await patient(await serve())
    first = await ask(visitor, ASKS_HOURS)
    second = await ask(visitor, ASKS_HOURS_AGAIN)
    sender = sender_of(agent)
    assert (await rate(visitor, first, "not_helpful")).status == 200
    assert (await rate(visitor, second, "helpful")).status == 200
    first_at = (await bot_event(agent, sender, first["text"]))["timestamp"]
    second_at = (await bot_event(agent, sender, second["text"]))["timestamp"]
    assert [(r["rating"], r["answer_at"]) for r in await agent.ratings(sender)] == [
        ("not_helpful", first_at),
        ("helpful", second_at),
    ]


# -- whose answer, which answer ----------------------------------------------------------------


async def test_only_the_sessions_own_answers_can_be_rated(serve: Serve, agent: FakeAgent) -> None:
    base = await serve()
    owner = await patient(base)
    answer = await ask(owner, ASKS_OVERVIEW)
    sender = sender_of(agent)
    before = await agent.events(sender)

    stranger = await patient(base)  # another browser, its own cookie
    refused = await rate(stranger, answer, "not_helpful", "this bot is useless")
    assert refused.status == 404
    no_cookie = await rate(Visitor(base), answer, "not_helpful")
    assert no_cookie.status == 401
    assert await agent.events(sender) == before
    assert await agent.ratings(sender) == []


@pytest.mark.parametrize(
    "change",
    [
        {"kb_entry": ENTRY_INFUSION_HOURS},  # not an answer of this conversation
        {"timestamp": 1_000.0},  # before the answer was given
    ],
)
async def test_an_answer_not_in_the_conversation_is_404(
    serve: Serve, agent: FakeAgent, change: Dict[str, Any]
) -> None:
    visitor = await patient(await serve())
    answer = await ask(visitor, ASKS_OVERVIEW)
    reply = await rate(visitor, {**answer, **change}, "not_helpful")
    assert reply.status == 404
    assert await agent.ratings(sender_of(agent)) == []


@pytest.mark.parametrize("question", [THROAT, RASH])
async def test_emergency_and_triage_answers_cannot_be_rated(
    serve: Serve, agent: FakeAgent, question: str
) -> None:
    visitor = await patient(await serve())
    answer = await ask(visitor, question)
    assert answer["rateable"] is False
    reply = await rate(visitor, answer, "not_helpful")
    assert reply.status == 422
    assert await agent.ratings(sender_of(agent)) == []


# -- what the request must look like -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"rating": "meh"},
        {"rating": None},
        {"timestamp": "yesterday"},
        {"timestamp": True},
        {"kb_entry": ""},
        {"kb_entry": "x" * 121},
        {"comment": 42},
    ],
)
async def test_an_invalid_rating_is_400(
    serve: Serve, agent: FakeAgent, body: Dict[str, Any]
) -> None:
    visitor = await patient(await serve())
    answer = await ask(visitor, ASKS_OVERVIEW)
    sent = {"kb_entry": answer["kb_entry"], "timestamp": answer["timestamp"], "rating": "helpful"}
    reply = await visitor.call("POST", "/feedback", {**sent, **body})
    assert reply.status == 400
    assert await agent.ratings(sender_of(agent)) == []


async def test_a_body_that_is_not_json_is_400_and_a_non_json_post_is_415(
    serve: Serve, agent: FakeAgent
) -> None:
    visitor = await patient(await serve())
    answer = await ask(visitor, ASKS_OVERVIEW)
    sent = {"kb_entry": answer["kb_entry"], "timestamp": answer["timestamp"], "rating": "helpful"}
    assert (await visitor.call("POST", "/feedback", sent, content_type="text/plain")).status == 415
    form = await visitor.call(
        "POST", "/feedback", sent, content_type="application/x-www-form-urlencoded"
    )
    assert form.status == 415
    assert (await visitor.call("POST", "/feedback", ["helpful"])).status == 400
    assert await agent.ratings(sender_of(agent)) == []


async def test_the_comment_is_cleaned_and_capped(serve: Serve, agent: FakeAgent) -> None:
    visitor = await patient(await serve())
    answer = await ask(visitor, ASKS_OVERVIEW)
    too_long = await rate(visitor, answer, "not_helpful", "it didnt answer my question " * 11)
    assert too_long.status == 413
    blank = await rate(visitor, answer, "not_helpful", " \u200b ")
    assert blank.status == 200
    spaced = await rate(visitor, answer, "not_helpful", "wrong\u0000 info\u0007")
    assert spaced.status == 200
    comments = [r["comment"] for r in await agent.ratings(sender_of(agent))]
    assert comments == ["", "wrong info"]


async def test_ratings_count_against_the_message_rate_limit(serve: Serve, agent: FakeAgent) -> None:
    visitor = await patient(await serve({"WEB_RATE_MESSAGES_PER_MIN": "2"}))
    answer = await ask(visitor, ASKS_OVERVIEW)
    assert (await rate(visitor, answer, "helpful")).status == 200
    refused = await rate(visitor, answer, "not_helpful")
    assert refused.status == 429 and "Retry-After" in refused.headers
    assert [r["rating"] for r in await agent.ratings(sender_of(agent))] == ["helpful"]


# -- the rule and the lookups ------------------------------------------------------------------


def test_only_knowledge_answers_that_are_not_emergency_or_triage_are_rateable() -> None:
    assert is_rateable({"kb_entry": ENTRY_INFUSION_HOURS})
    assert not is_rateable({})
    assert not is_rateable({"kb_entry": ENTRY_SAFETY_EMERGENCY, "emergency": True})
    assert not is_rateable({"kb_entry": ENTRY_SIDE_EFFECTS_ALLERGIC_REACTION, "triage": "x"})
    assert not is_rateable({"kb_entry": ENTRY_CONVERSATION_DISCLAIMER})  # answers nothing
    assert not is_rateable({"kb_entry": ENTRY_CONVERSATION_TECHNICAL_ERROR})


EVENTS: List[Dict[str, Any]] = [
    {"event": "user", "text": "hours?", "timestamp": 10.0},
    {
        "event": "bot",
        "text": "7 to 7",
        "timestamp": 11.0,
        "metadata": {"kb_entry": "infusion.hours"},
    },
    {"event": "user", "text": "and again?", "timestamp": 20.0},
    {
        "event": "bot",
        "text": "7 to 7!",
        "timestamp": 21.0,
        "metadata": {"kb_entry": "infusion.hours"},
    },
    {"event": "bot", "text": "Call 911", "timestamp": 21.5, "metadata": {"emergency": True}},
]


def test_the_latest_answer_at_or_before_the_time_is_picked() -> None:
    assert answer_at_or_before("infusion.hours", 11.0)(EVENTS) == EVENTS[1]
    assert answer_at_or_before("infusion.hours", 19.9)(EVENTS) == EVENTS[1]  # a live reply
    assert answer_at_or_before("infusion.hours", 21.2)(EVENTS) == EVENTS[3]
    assert answer_at_or_before("infusion.hours", 10.9)(EVENTS) is None
    assert answer_at_or_before("infusion.rooms", 30.0)(EVENTS) is None


def test_the_last_turn_answer_is_the_rateable_one_after_the_last_patient_message() -> None:
    assert last_turn_answer(EVENTS[:4]) == EVENTS[3]
    assert last_turn_answer(EVENTS[:3]) is None  # the patient spoke last
    assert last_turn_answer(EVENTS) is None  # a turn with an emergency answer invites no rating
