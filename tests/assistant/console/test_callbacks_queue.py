"""The callback queue: open requests oldest first with the number masked; status new ->
called -> closed, each change kept with who and when; revealing a number is audited."""

from __future__ import annotations

import re
from datetime import datetime
from typing import List

import pytest

from assistant.console import schema
from bench.console_harness import Console, ConsoleClient, EventWriter
from tests.assistant.console.builders import (
    PACIFIC,
    callback_requested,
    pacific,
    rows,
)

ROW = re.compile(r"<tr>\s*<td class=\"nowrap\">.*?</tr>", re.S)


pytestmark = pytest.mark.quick_startup


@pytest.fixture
async def reviewer(console: Console, events: EventWriter) -> ConsoleClient:
    """Logged in, with two callback requests: 1 (Pat, newer) and 2 (Sam, older)."""
    events.session("pat", "sms")
    events.user("pat", "please call me", "request_callback", channel="sms")
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
    callback_requested(
        events, "sam", "Sam Roe", "+14245550199", "after 5pm", pacific(2026, 11, 25, 16, 40)
    )
    console.index()
    client = await console.logged_in("rita", "reviewer")
    await client.get("/callbacks")
    return client


def queue_rows(page: str) -> List[str]:
    return ROW.findall(page)


def row_for(page: str, name: str) -> str:
    for row in queue_rows(page):
        if f"<td>{name}</td>" in row:
            return row
    raise AssertionError(f"{name} is not in the queue")


def local(at: float) -> str:
    return datetime.fromtimestamp(at, PACIFIC).strftime("%Y-%m-%d %H:%M")


async def set_status(client: ConsoleClient, callback_id: int, status: str) -> int:
    reply = await client.post(f"/callbacks/{callback_id}/status", {"status": status})
    return reply.status_code


def status_of(console: Console, callback_id: int) -> str:
    (row,) = rows(console.db, schema.callbacks, schema.callbacks.c.id == callback_id)
    return str(row.status)


# -- the queue ----------------------------------------------------------------------------


async def test_queue_lists_open_requests_oldest_first(
    console: Console, reviewer: ConsoleClient
) -> None:
    page = (await reviewer.get("/callbacks")).text

    names = [re.findall(r"<td>(\w+ \w+)</td>", row)[0] for row in queue_rows(page)]
    assert names == ["Sam Roe", "Pat Lee"]
    pat = row_for(page, "Pat Lee")
    assert local(pacific(2026, 11, 26, 9, 15)) == "2026-11-26 09:15"
    assert '<td class="nowrap">2026-11-26 09:15</td>' in pat
    assert "•••-•••-0123" in pat
    assert "<td>weekday mornings</td>" in pat
    assert "<td>sms</td>" in pat
    assert '<span class="status new">new</span>' in pat
    assert "Mark called" in pat
    assert '<a href="/conversations/1">Conversation</a>' in pat
    assert '<a href="/conversations/2">Conversation</a>' in row_for(page, "Sam Roe")


async def test_numbers_are_masked_in_the_queue(reviewer: ConsoleClient) -> None:
    page = (await reviewer.get("/callbacks")).text

    for secret in ("+13105550123", "3105550123", "+14245550199", "tel:"):
        assert secret not in page
    assert "•••-•••-0199" in row_for(page, "Sam Roe")


async def test_contact_details_in_the_best_time_are_masked(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    events.session("kim")
    callback_requested(
        events, "kim", "Kim Poe", "+13105550111", "or 424-555-0177, kim@example.com", events.at
    )
    console.index()

    page = (await reviewer.get("/callbacks")).text

    assert "424-555-0177" not in page and "kim@example.com" not in page
    assert "or •••-•••-0177, k•••@example.com" in row_for(page, "Kim Poe")


async def test_empty_queue(console: Console) -> None:
    client = await console.logged_in("rita", "reviewer")
    page = (await client.get("/callbacks")).text
    assert "No open callback requests." in page


# -- status -------------------------------------------------------------------------------


async def test_new_called_closed_with_history(console: Console, reviewer: ConsoleClient) -> None:
    reply = await reviewer.post("/callbacks/1/status", {"status": "called", "view": "open"})

    assert reply.status_code == 302
    assert reply.headers["location"] == "/callbacks?view=open"
    assert status_of(console, 1) == "called"
    assert status_of(console, 2) == "new"
    (change,) = rows(console.db, schema.callback_changes)
    assert (change.callback_id, change.from_status, change.to_status, change.changed_by) == (
        1,
        "new",
        "called",
        "rita",
    )
    page = (await reviewer.get("/callbacks")).text
    pat = row_for(page, "Pat Lee")
    assert '<span class="status called">called</span>' in pat
    assert f"new → called by rita, {local(change.changed_at)}" in pat
    assert ">Close</button>" in pat

    assert await set_status(reviewer, 1, "closed") == 302

    assert status_of(console, 1) == "closed"
    (callback,) = rows(console.db, schema.callbacks, schema.callbacks.c.id == 1)
    assert callback.updated_by == "rita" and callback.updated_at is not None
    changes = rows(console.db, schema.callback_changes)
    assert [(c.from_status, c.to_status) for c in changes] == [
        ("new", "called"),
        ("called", "closed"),
    ]
    assert [a.detail for a in console.audit_rows("callback_status")] == [
        "new -> called",
        "called -> closed",
    ]
    assert {a.target for a in console.audit_rows("callback_status")} == {"callback 1"}


async def test_closed_requests_leave_the_open_view(
    console: Console, reviewer: ConsoleClient
) -> None:
    await set_status(reviewer, 1, "called")
    await set_status(reviewer, 1, "closed")

    open_page = (await reviewer.get("/callbacks")).text
    closed_page = (await reviewer.get("/callbacks?view=closed")).text
    all_page = (await reviewer.get("/callbacks?view=all")).text

    assert "Pat Lee" not in open_page and "Sam Roe" in open_page
    assert "Pat Lee" in closed_page and "Sam Roe" not in closed_page
    pat = row_for(closed_page, "Pat Lee")
    assert "new → called by rita" in pat and "called → closed by rita" in pat
    assert ">Reopen</button>" in pat
    assert "Pat Lee" in all_page and "Sam Roe" in all_page


async def test_views_by_status(reviewer: ConsoleClient) -> None:
    await set_status(reviewer, 1, "called")

    assert "Pat Lee" in (await reviewer.get("/callbacks?view=called")).text
    assert "Pat Lee" not in (await reviewer.get("/callbacks?view=new")).text
    assert "Sam Roe" in (await reviewer.get("/callbacks?view=new")).text
    odd = await reviewer.get("/callbacks?view=" + "<script>")
    assert odd.status_code == 200 and "Pat Lee" in odd.text and "<script>" not in odd.text


async def test_a_closed_request_can_be_reopened(console: Console, reviewer: ConsoleClient) -> None:
    await set_status(reviewer, 1, "called")
    await set_status(reviewer, 1, "closed")

    assert await set_status(reviewer, 1, "new") == 302

    assert status_of(console, 1) == "new"
    assert "Pat Lee" in (await reviewer.get("/callbacks")).text


@pytest.mark.parametrize(
    ("moves", "refused"),
    [
        ([], "closed"),  # new -> closed skips the call
        ([], "new"),
        (["called"], "new"),
        (["called"], "called"),
        (["called", "closed"], "called"),
        (["called", "closed"], "closed"),
        ([], "bogus"),
        ([], ""),
        ([], "CALLED"),
    ],
)
async def test_invalid_transitions_are_refused(
    console: Console, reviewer: ConsoleClient, moves: List[str], refused: str
) -> None:
    for status in moves:
        assert await set_status(reviewer, 1, status) == 302
    before = status_of(console, 1)

    reply = await reviewer.post("/callbacks/1/status", {"status": refused})

    assert reply.status_code == 400
    assert "cannot become" in reply.text
    assert status_of(console, 1) == before
    assert len(rows(console.db, schema.callback_changes)) == len(moves)
    assert len(console.audit_rows("callback_status")) == len(moves)


@pytest.mark.parametrize(
    ("callback_id", "status"),
    [("999", 400), ("0", 400), ("-1", 400), ("99999999999999999999", 404)],
)
async def test_unknown_requests(
    console: Console, reviewer: ConsoleClient, callback_id: str, status: int
) -> None:
    changed = await reviewer.post(f"/callbacks/{callback_id}/status", {"status": "called"})
    revealed = await reviewer.post(f"/callbacks/{callback_id}/reveal", {})

    assert changed.status_code == status
    assert revealed.status_code == 404
    assert rows(console.db, schema.callback_changes) == []
    assert console.audit_rows("callback_status") == [] and console.audit_rows("reveal") == []


async def test_a_path_that_is_not_an_id_changes_nothing(
    console: Console, reviewer: ConsoleClient
) -> None:
    reply = await reviewer.post("/callbacks/abc/status", {"status": "called"})

    assert reply.status_code in (403, 404)  # no such route: refused before the form is read
    assert rows(console.db, schema.callback_changes) == []


async def test_status_change_needs_the_csrf_token(
    console: Console, reviewer: ConsoleClient
) -> None:
    reply = await reviewer.post("/callbacks/1/status", {"status": "called"}, csrf=False)

    assert reply.status_code == 403
    assert status_of(console, 1) == "new"


# -- revealing a number -------------------------------------------------------------------


async def test_reveal_shows_a_tel_link_for_that_request_only(
    console: Console, reviewer: ConsoleClient
) -> None:
    reply = await reviewer.post("/callbacks/1/reveal", {"view": "open"})

    assert reply.status_code == 200
    pat = row_for(reply.text, "Pat Lee")
    assert '<a href="tel:+13105550123">+13105550123</a>' in pat
    assert "Reveal</button>" not in pat
    sam = row_for(reply.text, "Sam Roe")
    assert "+14245550199" not in reply.text and "•••-•••-0199" in sam
    assert "recorded in the audit log" in reply.text
    (audit,) = console.audit_rows("reveal")
    assert (audit.actor, audit.target, audit.detail) == ("rita", "callback 1", "phone number")


async def test_reveal_shows_the_best_time_unmasked(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    events.session("kim")
    callback_requested(events, "kim", "Kim Poe", "+13105550111", "or 424-555-0177", events.at)
    console.index()

    page = (await reviewer.post("/callbacks/3/reveal", {})).text

    assert "<td>or 424-555-0177</td>" in row_for(page, "Kim Poe")


async def test_reveal_needs_the_csrf_token(console: Console, reviewer: ConsoleClient) -> None:
    reply = await reviewer.post("/callbacks/1/reveal", {}, csrf=False)

    assert reply.status_code == 403
    assert "+13105550123" not in reply.text
    assert console.audit_rows("reveal") == []
