"""Patients' ratings of answers in the console: the indexer stores them with the comment
masked, the inbox filters on "not helpful" and marks those rows, the transcript shows each
rating with the answer it rates, the dashboard rates each knowledge entry, exports carry the
ratings, retention purges them, and a rating this version cannot read is skipped."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import List

import pytest
import sqlalchemy as sa

from assistant.console import schema
from assistant.console.feedback_stats import ENOUGH_RATINGS, feedback_stats
from assistant.console.inbox import InboxFilters, conditions
from assistant.console.retention import purge_older_than
from assistant.dialogue_names import HELPFUL, NOT_HELPFUL
from assistant.feedback import AnswerFeedback
from bench.console_harness import Console, ConsoleClient, EventWriter
from tests.assistant.console.builders import (
    PACIFIC,
    escaped,
    last_event_id,
    one_transaction,
    pacific,
    raw_event,
    rows,
    support_masker,
)

ROW = re.compile(r"<tr[^>]*>\s*<td class=\"nowrap\">.*?</tr>", re.S)
LINK = re.compile(r'href="/conversations/(\d+)"')
ARTICLE = re.compile(r'<article class="msg [^"]*" id="m(\d+)">(.*?)</article>', re.S)
RATING = re.compile(r'<div class="feedback" data-rating="([a-z_]+)"[^>]*>(.*?)</div>', re.S)
ENTRY_ROW = re.compile(r"<tr[^>]*>\s*<td><code>([^<]+)</code></td>(.*?)</tr>", re.S)

PARKING_COMMENT = "didn\u2019t say where 2 park. txt me 310-555-0187 or jo.r@example.com"
SPANISH_COMMENT = "my mom needs the hours in spanish"

pytestmark = pytest.mark.quick_startup


@pytest.fixture
async def reviewer(console: Console) -> ConsoleClient:
    return await console.logged_in("rita", "reviewer")


@pytest.fixture
async def admin(console: Console) -> ConsoleClient:
    return await console.logged_in("ada", "admin")


def answered(events: EventWriter, sender: str, text: str, entry: str, channel: str = "web") -> int:
    """A patient question and the bot's answer from ``entry``; returns the answer's event id
    (its timestamp is ``events.at`` right after)."""
    events.user(sender, text, entry.split(".")[-1], channel=channel)
    events.bot(sender, f"The answer from {entry}.", entry)
    return last_event_id(events.db)


def rate(
    events: EventWriter,
    sender: str,
    rating: str,
    entry: str,
    answer_at: float | None,
    comment: str = "",
    channel: str = "web",
) -> int:
    events.feedback(sender, AnswerFeedback(rating, entry, answer_at, comment, channel))
    return last_event_id(events.db)


def articles(page: str) -> dict[int, str]:
    return {int(i): body for i, body in ARTICLE.findall(page)}


def ratings_in(html: str) -> List[tuple[str, str]]:
    """The ratings shown in ``html``: each one's kind and its text (without markup)."""
    return [
        (kind, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body)).strip())
        for kind, body in RATING.findall(html)
    ]


async def inbox_ids(client: ConsoleClient, query: str) -> List[int]:
    reply = await client.get(f"/inbox?{query}")
    assert reply.status_code == 200, reply.text
    return [int(i) for i in LINK.findall(reply.text)]


# -- the indexer --------------------------------------------------------------------------


async def test_a_rating_is_stored_with_its_comment_masked(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    events.session("p1", "sms")
    events.user("p1", "where do i park 4 infusion", "ask_locations", channel="sms")
    events.bot("p1", "Our locations…", "other.locations")
    answer_at = events.at
    rated = rate(events, "p1", NOT_HELPFUL, "other.locations", answer_at, PARKING_COMMENT, "sms")
    console.index()

    (row,) = rows(console.db, schema.feedback)
    assert (row.event_id, row.conversation_id, row.rating) == (rated, 1, NOT_HELPFUL)
    assert (row.entry_id, row.answer_at, row.at, row.channel) == (
        "other.locations",
        answer_at,
        events.at,
        "sms",
    )
    assert row.comment == support_masker().mask(PARKING_COMMENT)
    assert row.comment.startswith("didn\u2019t say where 2 park. txt me ")
    transcript = (await reviewer.get("/conversations/1")).text
    inbox = (await reviewer.get("/inbox?feedback=not_helpful")).text
    for shown in (row.comment, transcript, inbox):
        assert "310-555-0187" not in shown and "jo.r@example.com" not in shown
    assert escaped(row.comment) in transcript


async def test_a_rating_without_its_channel_takes_the_conversation_s(
    console: Console, events: EventWriter
) -> None:
    events.session("p1", "sms")
    answered(events, "p1", "wat time do u open", "infusion.hours", channel="sms")
    rate(events, "p1", HELPFUL, "infusion.hours", events.at, channel="unknown")
    console.index()

    (row,) = rows(console.db, schema.feedback)
    assert (row.channel, row.comment, row.answer_at) == ("sms", "", events.at - 1)


async def test_ratings_this_version_cannot_read_are_skipped(
    console: Console, events: EventWriter
) -> None:
    events.session("p1")
    answered(events, "p1", "hours?", "infusion.hours")
    bad_values = [
        {"rating": "meh", "kb_entry": "infusion.hours", "answer_at": events.at},
        "thumbs down",
        {"rating": NOT_HELPFUL, "kb_entry": "infusion.hours", "answer_at": float("nan")},
        ["not_helpful", "infusion.hours"],
        None,  # the slot reset: no rating
    ]
    for value in bad_values:
        events.at += 1.0
        data = {"event": "slot", "timestamp": events.at, "name": "answer_feedback", "value": value}
        raw_event(console.db, "p1", "slot", json.dumps(data), events.at, action="answer_feedback")
    events.at += 1.0
    raw_event(console.db, "p1", "slot", "{not json", events.at, action="answer_feedback")
    answered(events, "p1", "ok n parking?", "other.locations")
    good = rate(events, "p1", NOT_HELPFUL, "other.locations", events.at, "still lost")

    assert console.index() == last_event_id(console.db)

    assert [(r.event_id, r.comment) for r in rows(console.db, schema.feedback)] == [
        (good, "still lost")
    ]
    (conversation,) = rows(console.db, schema.conversations)
    assert (conversation.turns, conversation.last_event_id) == (2, good)


# -- the inbox ----------------------------------------------------------------------------


def seed_rated_conversations(events: EventWriter) -> None:
    """Five conversations:

    1 not helpful (infusion.hours)
    2 helpful only (infusion.hours)
    3 not rated
    4 helpful (infusion.overview), then not helpful (other.locations)
    5 helpful (other.locations), a "not helpful" reset to nothing
    """
    events.session("p1")
    answered(events, "p1", "what r ur hours", "infusion.hours")
    rate(events, "p1", NOT_HELPFUL, "infusion.hours", events.at, SPANISH_COMMENT)
    events.session("p2", "sms")
    answered(events, "p2", "open saturday?", "infusion.hours", channel="sms")
    rate(events, "p2", HELPFUL, "infusion.hours", events.at, channel="sms")
    events.session("p3")
    answered(events, "p3", "what is immunotherapy", "immunotherapy.overview")
    events.session("p4")
    answered(events, "p4", "what happens at the infusion center", "infusion.overview")
    rate(events, "p4", HELPFUL, "infusion.overview", events.at)
    answered(events, "p4", "where do i park", "other.locations")
    rate(events, "p4", NOT_HELPFUL, "other.locations", events.at, "didn\u2019t say where 2 park")
    events.session("p5")
    answered(events, "p5", "parking pls", "other.locations")
    rate(events, "p5", HELPFUL, "other.locations", events.at)
    events.at += 1.0
    data = {"event": "slot", "timestamp": events.at, "name": "answer_feedback", "value": None}
    raw_event(events.db, "p5", "slot", json.dumps(data), events.at, action="answer_feedback")


async def test_the_not_helpful_filter_lists_exactly_those_conversations(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed_rated_conversations(events)
    console.index()

    assert await inbox_ids(reviewer, "") == [5, 4, 3, 2, 1]
    assert await inbox_ids(reviewer, "feedback=not_helpful") == [4, 1]
    assert await inbox_ids(reviewer, "feedback=helpful") == [5, 4, 2]
    assert await inbox_ids(reviewer, "feedback=any") == [5, 4, 2, 1]
    assert await inbox_ids(reviewer, "feedback=not_helpful&entry=infusion.hours") == [1]
    assert await inbox_ids(reviewer, "feedback=not_helpful&entry=infusion.overview") == []
    assert await inbox_ids(reviewer, "entry=other.locations") == [5, 4]
    assert await inbox_ids(reviewer, "feedback=not_helpful&channel=sms") == []


async def test_the_inbox_offers_the_filter_and_marks_not_helpful_rows(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed_rated_conversations(events)
    console.index()

    page = (await reviewer.get("/inbox")).text
    filtered = (await reviewer.get("/inbox?feedback=not_helpful")).text

    checkbox = re.search(
        r'<input id="f-feedback" type="checkbox"[^>]*>\s*Not helpful</label>', page
    )
    assert checkbox and 'name="feedback" value="not_helpful"' in checkbox.group(0)
    assert "checked" not in checkbox.group(0)
    assert re.search(r'id="f-feedback"[^>]*checked', filtered)
    marked = {int(LINK.findall(row)[0]) for row in ROW.findall(page) if "badge not-helpful" in row}
    assert marked == {1, 4}


async def test_a_bad_feedback_value_is_ignored_with_a_notice(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed_rated_conversations(events)
    console.index()

    reply = await reviewer.get("/inbox?feedback=thumbsdown")

    assert "ignored feedback=&#39;thumbsdown&#39;" in reply.text
    assert [int(i) for i in LINK.findall(reply.text)] == [5, 4, 3, 2, 1]


def test_the_filter_params_round_trip() -> None:
    filters = InboxFilters.parse({"feedback": ["not_helpful"], "entry": ["infusion.hours"]})

    assert (filters.feedback, filters.entry) == (NOT_HELPFUL, "infusion.hours")
    assert filters.query_string(page=2) == "feedback=not_helpful&entry=infusion.hours&page=2"


@pytest.mark.parametrize("entry", ["", "infusion.hours"])
def test_the_feedback_filter_is_answered_from_an_index(console: Console, entry: str) -> None:
    """The EXISTS probes console_feedback through an index, never a scan of it."""
    where = conditions(InboxFilters(feedback=NOT_HELPFUL, entry=entry), PACIFIC)
    query = sa.select(sa.func.count()).select_from(schema.conversations).where(*where)
    with console.db.engine.begin() as connection:
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        plan = [str(r[-1]) for r in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]

    on_feedback = [line for line in plan if "console_feedback" in line]
    assert on_feedback, plan
    assert all("USING" in line and "INDEX" in line for line in on_feedback), plan


# -- the transcript -----------------------------------------------------------------------


async def test_each_rating_shows_with_the_answer_it_rates(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    """The same entry answers twice; the patient rates the first answer, then the second."""
    events.session("p1")
    first = answered(events, "p1", "what r the infusion hours", "infusion.hours")
    first_at = events.at
    second = answered(events, "p1", "hours on sat?? for my mom", "infusion.hours")
    second_at = events.at
    rate(events, "p1", NOT_HELPFUL, "infusion.hours", first_at, SPANISH_COMMENT)
    rate(events, "p1", HELPFUL, "infusion.hours", second_at)
    console.index()

    shown = articles((await reviewer.get("/conversations/1")).text)

    ((kind, text),) = ratings_in(shown[first])
    assert kind == "not_helpful"
    assert text.startswith("Not helpful") and text.endswith(SPANISH_COMMENT)
    ((kind, text),) = ratings_in(shown[second])
    assert kind == "helpful" and text.startswith("Helpful")
    assert SPANISH_COMMENT not in shown[second]


async def test_the_latest_rating_of_an_answer_counts(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    """The widget records a thumbs-down at once, then again with the comment typed after it;
    a patient may also change their mind. One rating per answer: the latest, also when the
    ratings are indexed in separate rounds."""
    events.session("p1")
    answer = answered(events, "p1", "wat side effects shud i watch 4", "side_effects.overview")
    answer_at = events.at
    rate(events, "p1", HELPFUL, "side_effects.overview", answer_at)
    rate(events, "p1", NOT_HELPFUL, "side_effects.overview", answer_at)
    console.index()
    latest = rate(events, "p1", NOT_HELPFUL, "side_effects.overview", answer_at, SPANISH_COMMENT)
    console.index()

    (row,) = rows(console.db, schema.feedback)
    assert (row.event_id, row.rating, row.comment) == (latest, NOT_HELPFUL, SPANISH_COMMENT)
    shown = articles((await reviewer.get("/conversations/1")).text)
    ((kind, text),) = ratings_in(shown[answer])
    assert kind == "not_helpful" and text.endswith(SPANISH_COMMENT)
    with console.db.engine.begin() as connection:
        stats = feedback_stats(connection, date(2026, 11, 26), date(2026, 11, 26), PACIFIC)
    assert (stats.ratings, stats.helpful, stats.not_helpful) == (1, 0, 1)


async def test_a_rating_without_a_matching_time_goes_to_the_latest_answer_of_its_entry(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    events.session("p1")
    first = answered(events, "p1", "hours?", "infusion.hours")
    second = answered(events, "p1", "and on holidays", "infusion.hours")
    third = answered(events, "p1", "where do i park", "other.locations")
    rate(events, "p1", NOT_HELPFUL, "infusion.hours", None, "still dont know if open xmas")
    rate(events, "p1", NOT_HELPFUL, "infusion.hours", 12.5, "wrong")  # no answer at that time
    console.index()

    shown = articles((await reviewer.get("/conversations/1")).text)

    assert ratings_in(shown[first]) == [] and ratings_in(shown[third]) == []
    # Both rate the second answer; the latest counts.
    ((kind, text),) = ratings_in(shown[second])
    assert kind == "not_helpful" and text.startswith("Not helpful") and text.endswith("wrong")
    assert "still dont know if open xmas" not in shown[second]


async def test_a_rating_of_an_answer_not_in_the_conversation_shows_on_its_own(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    events.session("p1")
    answered(events, "p1", "hours?", "infusion.hours")
    rated = rate(events, "p1", NOT_HELPFUL, "treatment.overview", None, "that was b4 the restart")
    console.index()

    shown = articles((await reviewer.get("/conversations/1")).text)

    assert rated in shown
    assert "treatment.overview" in shown[rated]
    assert [kind for kind, _ in ratings_in(shown[rated])] == ["not_helpful"]


async def test_a_comment_is_shown_as_text(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    comment = "<img src=x onerror=alert(1)> hrs???"
    events.session("p1")
    answered(events, "p1", "hours", "infusion.hours")
    rate(events, "p1", NOT_HELPFUL, "infusion.hours<b>", None, comment)
    console.index()

    page = (await reviewer.get("/conversations/1")).text

    assert comment not in page and "infusion.hours<b>" not in page
    assert escaped(comment) in page and escaped("infusion.hours<b>") in page


# -- the dashboard ------------------------------------------------------------------------


def seed_dashboard(events: EventWriter) -> None:
    """Ratings from Nov 20 to 26 (and one in October, outside the default range):

    infusion.hours      4 ratings, 1 helpful   25 %
    infusion.overview   3 ratings, 3 helpful  100 %
    other.locations     1 rating,  not helpful (too few to judge)
    (no entry)          1 helpful rating
    """
    plan = [
        ("old", pacific(2026, 10, 2, 9), [("infusion.overview", NOT_HELPFUL)]),
        ("a", pacific(2026, 11, 20, 9), [("infusion.hours", NOT_HELPFUL)]),
        ("b", pacific(2026, 11, 21, 9), [("infusion.hours", NOT_HELPFUL)]),
        ("c", pacific(2026, 11, 22, 9), [("infusion.hours", HELPFUL)]),
        ("d", pacific(2026, 11, 23, 9), [("infusion.hours", NOT_HELPFUL)]),
        ("e", pacific(2026, 11, 24, 9), [("infusion.overview", HELPFUL)]),
        ("f", pacific(2026, 11, 25, 9), [("infusion.overview", HELPFUL)]),
        (
            "g",
            pacific(2026, 11, 26, 9),
            [("infusion.overview", HELPFUL), ("other.locations", NOT_HELPFUL), ("", HELPFUL)],
        ),
    ]
    with one_transaction(events) as w:
        for sender, at, ratings in plan:
            w.at = at
            w.session(sender)
            for entry, rating in ratings:
                if entry:
                    answered(w, sender, "question", entry)
                w.feedback(sender, AnswerFeedback(rating, entry or None, w.at))


async def test_the_dashboard_rates_each_entry_worst_first(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed_dashboard(events)
    console.index()

    with console.db.engine.begin() as connection:
        stats = feedback_stats(connection, date(2026, 10, 28), date(2026, 11, 26), PACIFIC)
    page = (await reviewer.get("/dashboard")).text

    assert ENOUGH_RATINGS == 3
    assert [(e.entry_id, e.ratings, e.helpful, e.not_helpful) for e in stats.entries] == [
        ("infusion.hours", 4, 1, 3),
        ("infusion.overview", 3, 3, 0),
        ("other.locations", 1, 0, 1),
    ]
    assert [e.helpful_rate for e in stats.entries] == [0.25, 1.0, 0.0]
    assert [e.enough for e in stats.entries] == [True, True, False]
    assert (stats.ratings, stats.helpful, stats.not_helpful) == (9, 5, 4)
    assert stats.helpful_rate == pytest.approx(5 / 9)
    panel = page[page.index('id="answer-feedback"') :]
    assert "<strong>55.6 %</strong> of 9 ratings" in panel
    shown = [
        (entry, re.findall(r'<td class="num">(?:<a [^>]*>)?([\d.]+(?: %)?)', cells))
        for entry, cells in ENTRY_ROW.findall(panel)
    ]
    assert shown == [
        ("infusion.hours", ["4", "1", "3", "25.0 %"]),
        ("infusion.overview", ["3", "3", "0", "100.0 %"]),
        ("other.locations", ["1", "0", "1", "0.0 %"]),
    ]


async def test_the_dashboard_links_an_entry_to_its_not_helpful_conversations(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed_dashboard(events)
    console.index()
    page = (await reviewer.get("/dashboard?from=2026-11-20&to=2026-11-26")).text
    link = re.search(r'href="(/inbox\?feedback=not_helpful&amp;entry=infusion\.hours[^"]*)"', page)
    assert link, page[page.index('id="answer-feedback"') :]

    listed = await inbox_ids(reviewer, link.group(1).replace("&amp;", "&")[len("/inbox?") :])

    senders = {r.id: r.sender_id for r in rows(console.db, schema.conversations)}
    assert sorted(senders[i] for i in listed) == ["a", "b", "d"]


async def test_a_range_without_ratings_says_so(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed_dashboard(events)
    console.index()

    page = (await reviewer.get("/dashboard?from=2026-09-01&to=2026-09-30")).text

    assert "No patient rated an answer in this range." in page


# -- exports and retention ----------------------------------------------------------------


async def test_exports_carry_the_ratings_masked(
    console: Console, events: EventWriter, admin: ConsoleClient
) -> None:
    events.session("p1")
    answered(events, "p1", "where do i park", "other.locations")
    rate(events, "p1", NOT_HELPFUL, "other.locations", events.at, PARKING_COMMENT)
    console.index()
    masked = support_masker().mask(PARKING_COMMENT)

    exported = json.loads((await admin.get("/export.json")).text)["conversations"][0]
    table = list(csv.DictReader(io.StringIO((await admin.get("/export.csv")).text)))

    (bot,) = [m for m in exported["messages"] if m["kb_entry"] == "other.locations"]
    assert [(f["rating"], f["comment"]) for f in bot["feedback"]] == [(NOT_HELPFUL, masked)]
    (row,) = [r for r in table if r["kb_entry"] == "other.locations"]
    assert row["feedback"] == f"not_helpful: {masked}"
    assert "310-555-0187" not in json.dumps(exported) and "jo.r@example.com" not in str(table)


def test_retention_purges_ratings_with_their_conversations(
    console: Console, events: EventWriter
) -> None:
    with one_transaction(events) as w:
        w.at = pacific(2026, 7, 1, 9)
        w.session("old")
        answered(w, "old", "hours?", "infusion.hours")
        w.feedback("old", AnswerFeedback(NOT_HELPFUL, "infusion.hours", w.at, "2 late now"))
        w.at = pacific(2026, 11, 25, 9)
        w.session("new")
        answered(w, "new", "hours?", "infusion.hours")
        w.feedback("new", AnswerFeedback(HELPFUL, "infusion.hours", w.at))
    console.index()
    assert len(rows(console.db, schema.feedback)) == 2

    result = purge_older_than(console.db.engine, 90, console.clock.now)

    assert result.conversations == 1
    (kept,) = rows(console.db, schema.feedback)
    (conversation,) = rows(console.db, schema.conversations)
    assert (kept.rating, kept.conversation_id) == (HELPFUL, conversation.id)
    assert conversation.sender_id == "new"
