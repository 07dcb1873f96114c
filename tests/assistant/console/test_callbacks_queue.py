"""The callback queue: open requests oldest first with their age and an Overdue badge counted
in support-line hours; one staff member claims a request before calling (a second one is
refused, until the claim lapses or is released); outcomes move the status, each change kept
with who and when and audited; the full number is shown only to the claim's holder."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import AsyncIterator, List, Optional

import pytest
import sqlalchemy as sa

from assistant.console import schema
from assistant.console.settings import ConsoleSettings
from bench.console_harness import Console, ConsoleClient, EventWriter, ManualClock, running_console
from tests.assistant.console.builders import PACIFIC, callback_requested, pacific, rows

ROW = re.compile(r"<tr id=\"callback-\d+\".*?</tr>", re.S)
MINUTE = 60.0
CLAIM_S = 15 * MINUTE  # the default CALLBACK_CLAIM_MINUTES


pytestmark = pytest.mark.quick_startup


@pytest.fixture
async def reviewer(console: Console, events: EventWriter) -> ConsoleClient:
    """Logged in at 12:00 on Nov 26, with two requests: 1 (Pat, 9:15 that morning) and 2 (Sam,
    4:40 pm the day before)."""
    events.session("pat", "sms")
    events.user("pat", "pls call me back abt my infusion tmrw", "request_callback", channel="sms")
    callback_requested(
        events,
        "pat",
        "Pat Lee",
        "+13105550123",
        "weekday mornings",
        pacific(2026, 11, 26, 9, 15),
        "sms",
    )
    events.session("sam", "web")
    events.user(
        "sam", "can some1 call my mom\u2019s phone? she\u2019s the patient", "request_callback"
    )
    callback_requested(
        events, "sam", "Sam Roe", "+14245550199", "after 5pm", pacific(2026, 11, 25, 16, 40)
    )
    console.index()
    client = await console.logged_in("rita", "reviewer")
    await client.get("/callbacks")
    return client


@pytest.fixture
async def colleague(console: Console, reviewer: ConsoleClient) -> ConsoleClient:
    """A second staff member, logged in in another browser."""
    client = await console.logged_in("omar", "reviewer")
    await client.get("/callbacks")
    return client


def queue_rows(page: str) -> List[str]:
    return ROW.findall(page)


def row_for(page: str, name: str) -> str:
    for row in queue_rows(page):
        if f"<td>{name}</td>" in row:
            return row
    raise AssertionError(f"{name} is not in the queue")


def names_in(page: str) -> List[str]:
    return [re.findall(r"<td>(\w+ \w+)</td>", row)[0] for row in queue_rows(page)]


def local(at: float, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(at, PACIFIC).strftime(fmt)


def callback(console: Console, callback_id: int) -> sa.engine.Row:
    (row,) = rows(console.db, schema.callbacks, schema.callbacks.c.id == callback_id)
    return row


async def claim(client: ConsoleClient, callback_id: int) -> int:
    return (await client.post(f"/callbacks/{callback_id}/claim", {"view": "open"})).status_code


async def outcome(client: ConsoleClient, callback_id: int, status: str) -> int:
    reply = await client.post(f"/callbacks/{callback_id}/status", {"status": status})
    return reply.status_code


async def pass_time(console: Console, seconds: float, *clients: ConsoleClient) -> None:
    """Move the clock on, with the staff using the queue every few minutes (so their
    sessions do not end for being idle)."""
    end = console.clock.now + seconds
    while console.clock.now < end:
        console.clock.now = min(end, console.clock.now + 10 * MINUTE)
        for client in clients:
            assert (await client.get("/callbacks")).status_code == 200


def add_request(
    console: Console, events: EventWriter, sender: str, name: str, requested_at: float
) -> None:
    events.session(sender, "sms")
    events.user(sender, "hi can u have a nurse call me", "request_callback", channel="sms")
    callback_requested(events, sender, name, "+13105550142", "any time", requested_at, "sms")
    console.index()


# -- the queue ----------------------------------------------------------------------------


async def test_queue_lists_open_requests_oldest_first(reviewer: ConsoleClient) -> None:
    page = (await reviewer.get("/callbacks")).text

    assert names_in(page) == ["Sam Roe", "Pat Lee"]
    pat = row_for(page, "Pat Lee")
    assert local(pacific(2026, 11, 26, 9, 15)) == "2026-11-26 09:15"
    assert '<td class="nowrap">2026-11-26 09:15</td>' in pat
    assert "•••-•••-0123" in pat
    assert "<td>weekday mornings</td>" in pat
    assert "<td>sms</td>" in pat
    assert '<span class="status new">New</span>' in pat
    assert ">Claim</button>" in pat
    assert "Reveal" not in pat  # the number is for the claim's holder
    assert '<a href="/conversations/1">Conversation</a>' in pat
    assert '<a href="/conversations/2">Conversation</a>' in row_for(page, "Sam Roe")


async def test_each_request_shows_its_age(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    add_request(console, events, "kim", "Kim Poe", pacific(2026, 11, 26, 11, 18))

    page = (await reviewer.get("/callbacks")).text

    assert '<span class="age">42 min</span>' in row_for(page, "Kim Poe")
    assert '<span class="age">2 h 45 min</span>' in row_for(page, "Pat Lee")
    sam = row_for(page, "Sam Roe")  # 19 h 20 min ago, of which 10 h 20 min in open hours
    assert '<span class="age">19 h 20 min</span>' in sam
    assert "<small>10 h 20 min in support hours</small>" in sam


async def test_requests_waiting_past_the_target_are_overdue(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    add_request(console, events, "kim", "Kim Poe", pacific(2026, 11, 26, 11, 18))

    page = (await reviewer.get("/callbacks")).text
    overdue = (await reviewer.get("/callbacks?view=overdue")).text

    assert "Overdue</span>" in row_for(page, "Pat Lee")
    assert "Overdue</span>" in row_for(page, "Sam Roe")
    assert "Overdue" not in row_for(page, "Kim Poe")
    assert names_in(overdue) == ["Sam Roe", "Pat Lee"]


@pytest.mark.parametrize(
    ("requested", "not_yet", "overdue"),
    [
        # An ordinary night: 5 open minutes before 9 pm, 10 after 6 am.
        ((2026, 11, 25, 20, 55), (2026, 11, 26, 6, 10), (2026, 11, 26, 7, 0)),
        # The night the clocks go back (10 h long): 55 open minutes at 6:50 am.
        ((2026, 10, 31, 20, 55), (2026, 11, 1, 6, 50), (2026, 11, 1, 7, 0)),
        # The night the clocks go forward (8 h long).
        ((2026, 3, 7, 20, 55), (2026, 3, 8, 6, 50), (2026, 3, 8, 7, 0)),
    ],
)
async def test_overdue_counts_only_support_hours(
    console: Console,
    events: EventWriter,
    clock: ManualClock,
    requested: tuple,
    not_yet: tuple,
    overdue: tuple,
) -> None:
    add_request(console, events, "lou", "Lou Park", pacific(*requested))
    clock.now = pacific(*not_yet)
    client = await console.logged_in("rita")

    early = (await client.get("/callbacks")).text
    await pass_time(console, pacific(*overdue) - clock.now, client)
    late = (await client.get("/callbacks")).text

    assert "Overdue" not in row_for(early, "Lou Park")
    assert "Overdue</span>" in row_for(late, "Lou Park")
    assert "<small>1 h 5 min in support hours</small>" in row_for(late, "Lou Park")


async def test_without_support_hours_every_hour_counts(
    db_url: str, clock: ManualClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_console(db_url, clock, knowledge_dir=tmp_path / "missing") as console:
        events = EventWriter(console.db, clock.now - 3600)
        add_request(console, events, "lou", "Lou Park", pacific(2026, 11, 25, 20, 55))
        clock.now = pacific(2026, 11, 26, 6, 10)
        client = await console.logged_in("rita")

        page = (await client.get("/callbacks")).text

    assert "hours could not be read, so waits count every hour" in page
    assert "Overdue</span>" in row_for(page, "Lou Park")
    assert "support hours not loaded" in caplog.text


async def test_empty_queue(console: Console) -> None:
    client = await console.logged_in("rita", "reviewer")
    page = (await client.get("/callbacks")).text
    assert "No open callback requests." in page


# -- claims -------------------------------------------------------------------------------


async def test_a_claimed_request_cannot_be_claimed_by_a_second_user(
    console: Console, reviewer: ConsoleClient, colleague: ConsoleClient
) -> None:
    assert await claim(reviewer, 1) == 302

    refused = await colleague.post("/callbacks/1/claim", {"view": "open"})

    until = local(console.clock.now + CLAIM_S, "%H:%M")
    assert until == "12:15"
    assert refused.status_code == 409
    assert f"This request is claimed by rita until {until}" in refused.text
    assert callback(console, 1).claimed_by == "rita"
    assert callback(console, 1).claimed_until == console.clock.now + CLAIM_S
    theirs = row_for((await colleague.get("/callbacks")).text, "Pat Lee")
    assert f"Claimed by rita until {until}" in theirs
    assert ">Claim</button>" not in theirs and "Reached" not in theirs
    mine = row_for((await reviewer.get("/callbacks")).text, "Pat Lee")
    assert f"Claimed by you until {until}" in mine
    assert ">Reached</button>" in mine and ">Release</button>" in mine
    assert [(a.actor, a.target, a.detail) for a in console.audit_rows("callback_claim")] == [
        ("rita", "callback 1", "claim")
    ]


async def test_two_claims_at_once_give_the_request_to_one(
    console: Console, reviewer: ConsoleClient, colleague: ConsoleClient
) -> None:
    replies = await asyncio.gather(claim(reviewer, 2), claim(colleague, 2))

    assert sorted(replies) == [302, 409]
    winner = "rita" if replies[0] == 302 else "omar"
    assert callback(console, 2).claimed_by == winner


async def test_an_expired_claim_can_be_taken(
    console: Console, reviewer: ConsoleClient, colleague: ConsoleClient
) -> None:
    assert await claim(reviewer, 1) == 302
    await pass_time(console, CLAIM_S - MINUTE, reviewer, colleague)
    assert await claim(colleague, 1) == 409

    await pass_time(console, MINUTE, reviewer, colleague)

    assert await claim(colleague, 1) == 302
    assert callback(console, 1).claimed_by == "omar"
    assert callback(console, 1).claimed_until == console.clock.now + CLAIM_S
    page = (await reviewer.get("/callbacks")).text
    assert "Claimed by omar until 12:30" in row_for(page, "Pat Lee")
    assert await outcome(reviewer, 1, "reached") == 409  # rita's claim lapsed; omar's is live


async def test_claiming_again_renews_ones_own_claim(
    console: Console, reviewer: ConsoleClient
) -> None:
    assert await claim(reviewer, 1) == 302
    console.clock.advance(10 * MINUTE)

    assert await claim(reviewer, 1) == 302

    assert callback(console, 1).claimed_until == console.clock.now + CLAIM_S


async def test_the_holder_releases_a_claim(
    console: Console, reviewer: ConsoleClient, colleague: ConsoleClient
) -> None:
    assert await claim(reviewer, 1) == 302
    assert (await colleague.post("/callbacks/1/release", {})).status_code == 400
    assert callback(console, 1).claimed_by == "rita"

    released = await reviewer.post("/callbacks/1/release", {"view": "open"})

    assert released.status_code == 302
    assert released.headers["location"] == "/callbacks?view=open#callback-1"
    assert (callback(console, 1).claimed_by, callback(console, 1).claimed_until) == (None, None)
    assert await claim(colleague, 1) == 302
    assert [a.detail for a in console.audit_rows("callback_claim")] == [
        "claim",
        "release",
        "claim",
    ]


async def test_a_closed_request_cannot_be_claimed(
    console: Console, reviewer: ConsoleClient
) -> None:
    assert await outcome(reviewer, 1, "closed") == 302

    reply = await reviewer.post("/callbacks/1/claim", {})

    assert reply.status_code == 400
    assert "already closed" in reply.text
    assert callback(console, 1).claimed_by is None


async def test_the_claims_view_lists_mine(
    console: Console, reviewer: ConsoleClient, colleague: ConsoleClient
) -> None:
    assert await claim(reviewer, 1) == 302
    assert await claim(colleague, 2) == 302

    assert names_in((await reviewer.get("/callbacks?view=mine")).text) == ["Pat Lee"]
    assert names_in((await colleague.get("/callbacks?view=mine")).text) == ["Sam Roe"]
    await pass_time(console, CLAIM_S, reviewer)
    assert "You hold no claims." in (await reviewer.get("/callbacks?view=mine")).text


# -- outcomes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "label", "closed", "attempts"),
    [
        ("reached", "Reached", True, 1),
        ("voicemail", "Left voicemail", True, 1),
        ("wrong_number", "Wrong number", True, 1),
        ("no_answer", "No answer", False, 1),
        ("closed", "Closed", True, 0),  # closed without a call (a duplicate, say)
    ],
)
async def test_outcomes_move_the_status_and_are_audited(
    console: Console,
    reviewer: ConsoleClient,
    status: str,
    label: str,
    closed: bool,
    attempts: int,
) -> None:
    assert await claim(reviewer, 1) == 302
    now = console.clock.now

    reply = await reviewer.post("/callbacks/1/status", {"status": status, "view": "open"})

    assert reply.status_code == 302
    assert reply.headers["location"] == "/callbacks?view=open#callback-1"
    row = callback(console, 1)
    assert (row.status, row.attempts, row.updated_by, row.updated_at) == (
        status,
        attempts,
        "rita",
        now,
    )
    assert row.first_call_at == (now if attempts else None)
    assert row.closed_at == (now if closed else None)
    assert (row.claimed_by, row.claimed_until) == (None, None)
    (change,) = rows(console.db, schema.callback_changes)
    assert (change.callback_id, change.from_status, change.to_status) == (1, "new", status)
    assert (change.changed_by, change.changed_at) == ("rita", now)
    (audit,) = console.audit_rows("callback_status")
    assert (audit.actor, audit.target, audit.detail) == ("rita", "callback 1", f"new -> {status}")
    page = (await reviewer.get("/callbacks?view=closed" if closed else "/callbacks")).text
    pat = row_for(page, "Pat Lee")
    assert f'<span class="status {status}">{label}</span>' in pat
    assert f"New → {label} by rita, {local(now)}" in pat
    open_page = (await reviewer.get("/callbacks")).text
    assert ("Pat Lee" in open_page) is not closed


async def test_no_answer_twice_returns_the_request_with_two_attempts(
    console: Console, reviewer: ConsoleClient, colleague: ConsoleClient
) -> None:
    assert await claim(reviewer, 1) == 302
    assert await outcome(reviewer, 1, "no_answer") == 302
    first_call = console.clock.now
    back = row_for((await colleague.get("/callbacks")).text, "Pat Lee")
    assert ">Claim</button>" in back and "1 attempt<" in back
    await pass_time(console, 2 * 60 * MINUTE, reviewer, colleague)

    assert await claim(colleague, 1) == 302
    assert await outcome(colleague, 1, "no_answer") == 302

    row = callback(console, 1)
    assert (row.status, row.attempts, row.first_call_at, row.closed_at) == (
        "no_answer",
        2,
        first_call,
        None,
    )
    assert row.claimed_by is None
    pat = row_for((await reviewer.get("/callbacks")).text, "Pat Lee")
    assert "2 attempts" in pat and ">Claim</button>" in pat
    assert "New → No answer by rita" in pat and "No answer → No answer by omar" in pat
    assert [a.actor for a in console.audit_rows("callback_status")] == ["rita", "omar"]


async def test_a_called_request_is_not_overdue(console: Console, reviewer: ConsoleClient) -> None:
    assert await claim(reviewer, 1) == 302
    assert await outcome(reviewer, 1, "no_answer") == 302

    page = (await reviewer.get("/callbacks")).text

    assert "Overdue" not in row_for(page, "Pat Lee")
    assert names_in((await reviewer.get("/callbacks?view=overdue")).text) == ["Sam Roe"]


async def test_an_outcome_is_refused_while_someone_else_holds_the_claim(
    console: Console, reviewer: ConsoleClient, colleague: ConsoleClient
) -> None:
    assert await claim(reviewer, 1) == 302

    reply = await colleague.post("/callbacks/1/status", {"status": "reached"})

    assert reply.status_code == 409
    assert "claimed by rita until 12:15" in reply.text
    assert callback(console, 1).status == "new"
    assert rows(console.db, schema.callback_changes) == []
    assert console.audit_rows("callback_status") == []


async def test_an_unclaimed_request_takes_an_outcome(
    console: Console, reviewer: ConsoleClient
) -> None:
    """A call made before claiming, or a claim that lapsed during a long call, can still be
    recorded while nobody else holds the request."""
    assert await outcome(reviewer, 2, "reached") == 302
    assert await claim(reviewer, 1) == 302
    await pass_time(console, CLAIM_S + MINUTE, reviewer)

    assert await outcome(reviewer, 1, "voicemail") == 302

    assert (callback(console, 1).status, callback(console, 2).status) == ("voicemail", "reached")


async def test_a_closed_request_can_be_reopened(console: Console, reviewer: ConsoleClient) -> None:
    assert await claim(reviewer, 1) == 302
    assert await outcome(reviewer, 1, "reached") == 302
    closed_page = (await reviewer.get("/callbacks?view=closed")).text
    assert ">Reopen</button>" in row_for(closed_page, "Pat Lee")
    await pass_time(console, 30 * MINUTE, reviewer)

    assert await outcome(reviewer, 1, "new") == 302

    row = callback(console, 1)
    assert (row.status, row.closed_at, row.attempts) == ("new", None, 1)
    assert row.first_call_at == console.clock.now - 30 * MINUTE  # the first call stays
    assert [(c.from_status, c.to_status) for c in rows(console.db, schema.callback_changes)] == [
        ("new", "reached"),
        ("reached", "new"),
    ]
    assert [a.detail for a in console.audit_rows("callback_status")] == [
        "new -> reached",
        "reached -> new",
    ]
    assert "Pat Lee" in (await reviewer.get("/callbacks")).text


async def test_views_by_state(console: Console, reviewer: ConsoleClient) -> None:
    assert await outcome(reviewer, 1, "wrong_number") == 302

    open_page = (await reviewer.get("/callbacks")).text
    closed_page = (await reviewer.get("/callbacks?view=closed")).text
    all_page = (await reviewer.get("/callbacks?view=all")).text
    odd = await reviewer.get("/callbacks?view=" + "<script>")

    assert names_in(open_page) == ["Sam Roe"]
    assert names_in(closed_page) == ["Pat Lee"]
    assert "closed 2026-11-26 12:00" in row_for(closed_page, "Pat Lee")
    assert names_in(all_page) == ["Sam Roe", "Pat Lee"]
    assert odd.status_code == 200 and names_in(odd.text) == ["Sam Roe"]
    assert "<script>" not in odd.text


@pytest.mark.parametrize(
    ("moves", "refused"),
    [
        ([], "new"),  # reopening an open request
        (["no_answer"], "new"),
        (["reached"], "reached"),
        (["reached"], "no_answer"),
        (["closed"], "voicemail"),
        ([], "called"),  # the old status
        ([], "bogus"),
        ([], ""),
        ([], "REACHED"),
    ],
)
async def test_invalid_transitions_are_refused(
    console: Console, reviewer: ConsoleClient, moves: List[str], refused: str
) -> None:
    for status in moves:
        assert await outcome(reviewer, 1, status) == 302
    before = callback(console, 1)

    reply = await reviewer.post("/callbacks/1/status", {"status": refused})

    assert reply.status_code == 400
    assert "cannot become" in reply.text
    assert callback(console, 1) == before
    assert len(rows(console.db, schema.callback_changes)) == len(moves)
    assert len(console.audit_rows("callback_status")) == len(moves)


@pytest.mark.parametrize("callback_id", ["999", "0", "-1", "99999999999999999999"])
async def test_unknown_requests(
    console: Console, reviewer: ConsoleClient, callback_id: str
) -> None:
    for action, form in (
        ("status", {"status": "reached"}),
        ("claim", {}),
        ("release", {}),
        ("reveal", {}),
    ):
        reply = await reviewer.post(f"/callbacks/{callback_id}/{action}", form)
        assert reply.status_code == 404, action
    assert rows(console.db, schema.callback_changes) == []
    assert console.audit_rows("callback_status") == [] and console.audit_rows("reveal") == []
    assert console.audit_rows("callback_claim") == []


async def test_a_path_that_is_not_an_id_changes_nothing(
    console: Console, reviewer: ConsoleClient
) -> None:
    reply = await reviewer.post("/callbacks/abc/claim", {})

    assert reply.status_code in (403, 404)  # no such route: refused before the form is read
    assert callback(console, 1).claimed_by is None


@pytest.mark.parametrize("action", ["claim", "release", "status", "reveal"])
async def test_every_change_needs_the_csrf_token(
    console: Console, reviewer: ConsoleClient, action: str
) -> None:
    assert await claim(reviewer, 1) == 302

    reply = await reviewer.post(f"/callbacks/1/{action}", {"status": "reached"}, csrf=False)

    assert reply.status_code == 403
    assert "+13105550123" not in reply.text
    row = callback(console, 1)
    assert (row.status, row.claimed_by) == ("new", "rita")


# -- the number ---------------------------------------------------------------------------


async def test_the_claim_holder_reveals_the_number(
    console: Console, reviewer: ConsoleClient
) -> None:
    assert await claim(reviewer, 1) == 302
    pat = row_for((await reviewer.get("/callbacks")).text, "Pat Lee")
    assert "Reveal</button>" in pat

    reply = await reviewer.post("/callbacks/1/reveal", {"view": "open"})

    assert reply.status_code == 200
    pat = row_for(reply.text, "Pat Lee")
    assert '<a href="tel:+13105550123">+13105550123</a>' in pat
    assert "<td>weekday mornings</td>" in pat
    assert "+14245550199" not in reply.text and "•••-•••-0199" in row_for(reply.text, "Sam Roe")
    assert "recorded in the audit log" in reply.text
    (audit,) = console.audit_rows("reveal")
    assert (audit.actor, audit.target, audit.detail) == ("rita", "callback 1", "phone number")


@pytest.mark.parametrize("holder", [None, "omar"])
async def test_only_the_claim_holder_sees_the_number(
    console: Console, reviewer: ConsoleClient, colleague: ConsoleClient, holder: Optional[str]
) -> None:
    if holder:
        assert await claim(colleague, 1) == 302

    reply = await reviewer.post("/callbacks/1/reveal", {})

    assert reply.status_code == 409
    assert "Claim this request before showing its number" in reply.text
    assert "+13105550123" not in reply.text and "tel:" not in reply.text
    assert console.audit_rows("reveal") == []


async def test_numbers_and_contact_details_are_masked_in_the_queue(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    events.session("kim")
    callback_requested(
        events, "kim", "Kim Poe", "+13105550111", "or 424-555-0177, kim@example.com", events.at
    )
    console.index()
    assert await claim(reviewer, 3) == 302

    page = (await reviewer.get("/callbacks")).text

    for secret in ("+13105550123", "3105550123", "+14245550199", "tel:", "424-555-0177"):
        assert secret not in page
    assert "kim@example.com" not in page
    assert "or •••-•••-0177, k•••@example.com" in row_for(page, "Kim Poe")


@pytest.fixture
async def short_claims(db_url: str, clock: ManualClock) -> AsyncIterator[Console]:
    async with running_console(db_url, clock, callback_claim_minutes=5) as started:
        yield started


async def test_the_claim_lasts_the_configured_time(
    short_claims: Console, clock: ManualClock
) -> None:
    events = EventWriter(short_claims.db, clock.now - 3600)
    add_request(short_claims, events, "lou", "Lou Park", clock.now - 600)
    client = await short_claims.logged_in("rita")
    await client.get("/callbacks")

    assert await claim(client, 1) == 302

    assert callback(short_claims, 1).claimed_until == clock.now + 5 * MINUTE
    assert "nobody else can claim it for 5 min" in (await client.get("/callbacks")).text


# -- settings -----------------------------------------------------------------------------


def test_queue_settings_come_from_the_environment() -> None:
    defaults = ConsoleSettings.from_env({})
    chosen = ConsoleSettings.from_env(
        {"CALLBACK_TARGET_MINUTES": "30", "CALLBACK_CLAIM_MINUTES": "10"}
    )

    assert (defaults.callback_target_minutes, defaults.callback_claim_minutes) == (60, 15)
    assert (chosen.callback_target_minutes, chosen.callback_claim_minutes) == (30, 10)


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("CALLBACK_TARGET_MINUTES", "0", "at least 1"),
        ("CALLBACK_CLAIM_MINUTES", "-5", "at least 1"),
        ("CALLBACK_TARGET_MINUTES", "an hour", "whole number"),
    ],
)
def test_bad_queue_settings_fail_naming_the_variable(name: str, value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must be .*{problem}"):
        ConsoleSettings.from_env({name: value})
