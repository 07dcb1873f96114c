"""The audit trail: one row per audited action, append-only, and the admin page that reads it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import List, Optional, Tuple

import pytest
import sqlalchemy as sa

from assistant.console import schema
from bench.console_harness import (
    PASSWORD,
    ROOT,
    Console,
    ConsoleClient,
    EventWriter,
)

DAY_S = 86400
PHONE = "+13105550123"
WRONG = "not the right password at all"
AUDIT_ROW = re.compile(
    r'<tr><td class="nowrap">[^<]*</td><td>([^<]*)</td><td><code>([^<]*)</code></td>'
)


# -- helpers ------------------------------------------------------------------------------


def mark(console: Console) -> int:
    """The id of the newest audit row (0 when there is none)."""
    rows = console.audit_rows()
    return rows[-1].id if rows else 0


def audited_since(console: Console, since: int) -> List[sa.engine.Row]:
    return [row for row in console.audit_rows() if row.id > since]


def only_audit_row(
    console: Console,
    since: int,
    actor: str,
    action: str,
    target: str,
    detail: Optional[str] = None,
) -> sa.engine.Row:
    """The one audit row written after ``since``, checked: who, what and to what."""
    rows = audited_since(console, since)
    assert [(r.actor, r.action, r.target) for r in rows] == [(actor, action, target)]
    if detail is not None:
        assert rows[0].detail == detail
    return rows[0]


def write_conversation(
    events: EventWriter, sender: str = "patient-1", channel: str = "web"
) -> None:
    events.session(sender, channel)
    events.user(sender, "What is immunotherapy?", "ask_immunotherapy", channel=channel)
    events.bot(sender, "Immunotherapy helps your immune system.", "immunotherapy.what")
    events.user(sender, "call me on 310 555 0199", "inform", channel=channel)
    events.callback(sender, "Pat Example", PHONE, "mornings", channel=channel)


def write_dated_conversation(console: Console, sender: str, start: float) -> None:
    """A conversation of 6 events (5 for the session start, one patient message)."""
    writer = EventWriter(console.db, start)
    writer.session(sender)
    writer.user(sender, "Hello", "greet")


def patient_event_ids(console: Console, sender: str = "patient-1") -> List[int]:
    events = schema.events
    query = (
        sa.select(events.c.id)
        .where(events.c.sender_id == sender, events.c.type_name == "user")
        .order_by(events.c.id)
    )
    return console.db.call(lambda connection: list(connection.execute(query).scalars()))


def senders(console: Console) -> List[str]:
    query = sa.select(schema.conversations.c.sender_id).order_by(schema.conversations.c.id)
    return console.db.call(lambda connection: list(connection.execute(query).scalars()))


def audit_page_rows(html: str) -> List[Tuple[str, str]]:
    """(actor, action) for each row of the admin audit page."""
    return AUDIT_ROW.findall(html)


async def reviewer_on_conversation(console: Console, events: EventWriter) -> ConsoleClient:
    write_conversation(events)
    console.index()
    return await console.logged_in("rita")


# -- logging in and out -------------------------------------------------------------------


async def test_login_is_audited(console: Console) -> None:
    console.add_user("rita")
    since = mark(console)
    assert (await console.client().login("rita")).status_code == 302
    row = only_audit_row(console, since, "rita", "login", "", "role=reviewer")
    assert row.ip == "127.0.0.1"
    assert row.at > 0


async def test_failed_login_is_audited(console: Console) -> None:
    console.add_user("rita")
    since = mark(console)
    assert (await console.client().login("rita", WRONG)).status_code == 401
    only_audit_row(console, since, "rita", "login_failed", "")
    since = mark(console)
    assert (await console.client().login("Nobody", PASSWORD)).status_code == 401
    only_audit_row(console, since, "nobody", "login_failed", "")


async def test_throttled_login_is_audited(console: Console) -> None:
    console.add_user("rita")
    client = console.client()
    for _ in range(console.app.ctx.settings.login_max_failures):
        await client.login("rita", WRONG)
    assert len(console.audit_rows("login_failed")) == 5
    since = mark(console)
    assert (await client.login("rita")).status_code == 429
    only_audit_row(console, since, "rita", "login_throttled", "", "name")  # the name's limit


async def test_logout_is_audited(console: Console) -> None:
    client = await console.logged_in("rita")
    since = mark(console)
    assert (await client.post("/logout")).status_code == 302
    only_audit_row(console, since, "rita", "logout", "")


async def test_refused_form_posts_are_not_audited(console: Console, events: EventWriter) -> None:
    client = await reviewer_on_conversation(console, events)
    since = mark(console)
    await client.post("/conversations/1/tags", {"tag": "x"}, csrf=False)
    await client.post("/logout", csrf=False)
    await client.post("/admin/users/rita", {"change": "admin"})
    assert audited_since(console, since) == []


# -- reading patient data -----------------------------------------------------------------


async def test_viewing_a_transcript_is_audited(console: Console, events: EventWriter) -> None:
    client = await reviewer_on_conversation(console, events)
    since = mark(console)
    assert (await client.get("/conversations/1")).status_code == 200
    only_audit_row(console, since, "rita", "view_transcript", "conversation 1")
    since = mark(console)
    assert (await client.get("/conversations/99")).status_code == 404
    assert audited_since(console, since) == []


async def test_revealing_a_message_is_audited(console: Console, events: EventWriter) -> None:
    client = await reviewer_on_conversation(console, events)
    await client.get("/conversations/1")
    event_id = patient_event_ids(console)[1]
    since = mark(console)
    reply = await client.post("/conversations/1/reveal", {"event_id": str(event_id)})
    assert reply.status_code == 200
    assert "310 555 0199" in reply.text
    only_audit_row(console, since, "rita", "reveal", "conversation 1", f"event {event_id}")


async def test_revealing_nothing_is_not_audited(console: Console, events: EventWriter) -> None:
    client = await reviewer_on_conversation(console, events)
    await client.get("/conversations/1")
    since = mark(console)
    reply = await client.post("/conversations/1/reveal", {"event_id": "abc"})
    assert reply.status_code == 400
    assert audited_since(console, since) == []


async def test_revealing_a_callback_number_is_audited(
    console: Console, events: EventWriter
) -> None:
    client = await reviewer_on_conversation(console, events)
    await client.get("/callbacks")
    assert (await client.post("/callbacks/1/claim", {"view": "open"})).status_code == 302
    since = mark(console)
    reply = await client.post("/callbacks/1/reveal", {"view": "open"})
    assert reply.status_code == 200
    assert PHONE in reply.text
    only_audit_row(console, since, "rita", "reveal", "callback 1", "phone number")


async def test_exports_are_audited_with_their_count(console: Console, events: EventWriter) -> None:
    write_conversation(events, "patient-1", "web")
    write_conversation(events, "patient-2", "sms")
    console.index()
    admin = await console.logged_in("boss", "admin")
    since = mark(console)
    as_csv = await admin.get("/export.csv")
    assert as_csv.status_code == 200
    only_audit_row(console, since, "boss", "export", "2 conversations", "csv all")
    since = mark(console)
    as_json = await admin.get("/export.json?channel=sms")
    assert as_json.status_code == 200
    assert len(as_json.json()["conversations"]) == 1
    only_audit_row(console, since, "boss", "export", "1 conversations", "json channel=sms")


async def test_exporting_corrections_is_audited(console: Console, events: EventWriter) -> None:
    client = await reviewer_on_conversation(console, events)
    since = mark(console)
    assert (await client.get("/corrections/nlu.yml")).status_code == 200
    only_audit_row(console, since, "rita", "export_corrections", "corrections", "nlu.yml")


# -- changing data ------------------------------------------------------------------------


async def test_tagging_and_untagging_are_audited(console: Console, events: EventWriter) -> None:
    client = await reviewer_on_conversation(console, events)
    since = mark(console)
    assert (await client.post("/conversations/1/tags", {"tag": "Gap"})).status_code == 302
    only_audit_row(console, since, "rita", "tag", "conversation 1", "gap")
    since = mark(console)
    assert (await client.post("/conversations/1/tags/remove", {"tag": "gap"})).status_code == 302
    only_audit_row(console, since, "rita", "untag", "conversation 1", "gap")


async def test_a_bad_tag_is_not_audited(console: Console, events: EventWriter) -> None:
    client = await reviewer_on_conversation(console, events)
    since = mark(console)
    assert (await client.post("/conversations/1/tags", {"tag": "<b>"})).status_code == 400
    assert audited_since(console, since) == []


async def test_a_note_is_audited_without_its_text(console: Console, events: EventWriter) -> None:
    client = await reviewer_on_conversation(console, events)
    since = mark(console)
    reply = await client.post("/conversations/1/notes", {"body": "Patient sounded worried."})
    assert reply.status_code == 302
    only_audit_row(console, since, "rita", "note", "conversation 1", "")


async def test_marking_reviewed_is_audited(console: Console, events: EventWriter) -> None:
    client = await reviewer_on_conversation(console, events)
    since = mark(console)
    assert (await client.post("/conversations/1/reviewed", {"reviewed": "yes"})).status_code == 302
    only_audit_row(console, since, "rita", "reviewed", "conversation 1", "yes")
    since = mark(console)
    assert (await client.post("/conversations/1/reviewed", {"reviewed": "no"})).status_code == 302
    only_audit_row(console, since, "rita", "reviewed", "conversation 1", "no")


async def test_correcting_an_intent_is_audited(console: Console, events: EventWriter) -> None:
    client = await reviewer_on_conversation(console, events)
    event_id = patient_event_ids(console)[0]
    since = mark(console)
    form = {"event_id": str(event_id), "intent": "ask_immunotherapy_types"}
    assert (await client.post("/conversations/1/correct", form)).status_code == 302
    detail = f"event {event_id}: ask_immunotherapy -> ask_immunotherapy_types"
    only_audit_row(console, since, "rita", "correct_intent", "conversation 1", detail)


async def test_callback_status_changes_are_audited(console: Console, events: EventWriter) -> None:
    client = await reviewer_on_conversation(console, events)
    since = mark(console)
    reply = await client.post("/callbacks/1/status", {"status": "no_answer", "view": "open"})
    assert reply.status_code == 302
    only_audit_row(console, since, "rita", "callback_status", "callback 1", "new -> no_answer")
    since = mark(console)
    refused = await client.post("/callbacks/1/status", {"status": "new", "view": "open"})
    assert refused.status_code == 400
    assert audited_since(console, since) == []


async def test_admin_purge_is_audited(console: Console, events: EventWriter) -> None:
    write_dated_conversation(console, "old-patient", console.clock.now - 120 * DAY_S)
    write_conversation(events)
    console.index()
    admin = await console.logged_in("boss", "admin")
    since = mark(console)
    reply = await admin.post("/admin/retention", {"confirm": "purge"})
    assert reply.status_code == 200
    only_audit_row(
        console, since, "boss", "purge", "older than 90 days", "1 conversations, 6 events"
    )
    assert senders(console) == ["patient-1"]


async def test_command_line_purge_is_audited(console: Console, db_url: str) -> None:
    # The command line purges by the real clock, not the test's.
    write_dated_conversation(console, "old-patient", time.time() - 60 * DAY_S)
    write_dated_conversation(console, "new-patient", time.time() - DAY_S)
    console.index()
    since = mark(console)
    env = {**os.environ, "CONSOLE_DB_URL": db_url, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "assistant.console", "purge", "--days", "30"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Purged 1 conversations (6 events)" in done.stdout
    rows = audited_since(console, since)
    assert [(r.action, r.target, r.detail) for r in rows] == [
        ("purge", "older than 30 days", "1 conversations, 6 events")
    ]
    assert rows[0].actor.startswith("cli")
    assert senders(console) == ["new-patient"]


# -- accounts -----------------------------------------------------------------------------


async def test_adding_a_user_is_audited(console: Console) -> None:
    admin = await console.logged_in("boss", "admin")
    since = mark(console)
    form = {"username": "sam", "role": "reviewer", "password": "a long new password"}
    assert (await admin.post("/admin/users", form)).status_code == 302
    row = only_audit_row(console, since, "boss", "user_add", "sam", "role=reviewer")
    assert "a long new password" not in row.detail


@pytest.mark.parametrize("what", ["admin", "disable"])
async def test_changing_a_user_is_audited(console: Console, what: str) -> None:
    admin = await console.logged_in("boss", "admin")
    console.add_user("rita")
    since = mark(console)
    assert (await admin.post("/admin/users/rita", {"change": what})).status_code == 302
    only_audit_row(console, since, "boss", "user_change", "rita", what)


async def test_a_refused_user_change_is_not_audited(console: Console) -> None:
    admin = await console.logged_in("boss", "admin")
    since = mark(console)
    assert (await admin.post("/admin/users/boss", {"change": "disable"})).status_code == 400
    assert audited_since(console, since) == []


# -- append-only --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        schema.audit.update().values(actor="someone else"),
        schema.audit.update().where(schema.audit.c.action == "login").values(detail=""),
        schema.audit.delete(),
        schema.audit.delete().where(schema.audit.c.action == "login"),
    ],
    ids=["update all", "update one", "delete all", "delete one"],
)
async def test_audit_rows_cannot_be_changed_or_deleted(
    console: Console, statement: sa.sql.Executable
) -> None:
    await console.logged_in("rita")
    before = [tuple(row) for row in console.audit_rows()]
    assert before
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        console.db.call(lambda connection: connection.execute(statement))
    assert [tuple(row) for row in console.audit_rows()] == before


async def test_audit_rows_can_still_be_added(console: Console) -> None:
    await console.logged_in("rita")
    await console.logged_in("sam")
    assert [row.actor for row in console.audit_rows("login")] == ["rita", "sam"]


# -- the admin audit page -----------------------------------------------------------------


async def audit_activity(console: Console, events: EventWriter) -> ConsoleClient:
    """rita logs in, reads conversation 1 and tags it; sam fails to log in; boss logs in."""
    rita = await reviewer_on_conversation(console, events)
    await rita.get("/conversations/1")
    await rita.post("/conversations/1/tags", {"tag": "gap"})
    console.add_user("sam")
    await console.client().login("sam", WRONG)
    return await console.logged_in("boss", "admin")


async def test_audit_page_lists_rows_newest_first(console: Console, events: EventWriter) -> None:
    admin = await audit_activity(console, events)
    page = await admin.get("/admin/audit")
    assert page.status_code == 200
    assert audit_page_rows(page.text) == [
        ("boss", "login"),
        ("sam", "login_failed"),
        ("rita", "tag"),
        ("rita", "view_transcript"),
        ("rita", "login"),
    ]
    assert "5 entries" in page.text
    assert "conversation 1" in page.text


async def test_audit_page_filters_by_action(console: Console, events: EventWriter) -> None:
    admin = await audit_activity(console, events)
    page = await admin.get("/admin/audit?action=login")
    assert page.status_code == 200
    assert audit_page_rows(page.text) == [("boss", "login"), ("rita", "login")]
    assert '<option value="login" selected>' in page.text


async def test_audit_page_filters_by_user(console: Console, events: EventWriter) -> None:
    admin = await audit_activity(console, events)
    page = await admin.get("/admin/audit?actor=rita")
    assert audit_page_rows(page.text) == [
        ("rita", "tag"),
        ("rita", "view_transcript"),
        ("rita", "login"),
    ]
    both = await admin.get("/admin/audit?actor=rita&action=tag")
    assert audit_page_rows(both.text) == [("rita", "tag")]
    nobody = await admin.get("/admin/audit?actor=nobody")
    assert audit_page_rows(nobody.text) == []


async def test_audit_page_ignores_an_unknown_action(console: Console, events: EventWriter) -> None:
    admin = await audit_activity(console, events)
    page = await admin.get("/admin/audit?action=drop+table")
    assert page.status_code == 200
    assert len(audit_page_rows(page.text)) == 5


async def test_reviewer_cannot_read_the_audit_log(console: Console, events: EventWriter) -> None:
    await audit_activity(console, events)
    reviewer = await console.logged_in("val")
    page = await reviewer.get("/admin/audit")
    assert page.status_code == 403
    assert audit_page_rows(page.text) == []
    assert "login_failed" not in page.text
