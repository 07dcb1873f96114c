"""Reviewers and admins: what each role may see and do."""

from __future__ import annotations

from typing import Dict, List, Optional

import pytest
import sqlalchemy as sa

from assistant.console import schema
from bench.console_harness import PASSWORD, Console, ConsoleClient, EventWriter

DAY_S = 86400
PHONE = "+13105550123"
ADMIN_PAGES = ("/admin/users", "/admin/audit", "/admin/retention", "/export.csv", "/export.json")
NEW_PASSWORD = "another long password"


# -- helpers ------------------------------------------------------------------------------


def write_conversation(events: EventWriter, sender: str = "patient-1") -> None:
    """A conversation with a phone number in a message and a callback request."""
    events.session(sender)
    events.user(sender, "What is immunotherapy?", "ask_immunotherapy")
    events.bot(sender, "Immunotherapy helps your immune system.", "immunotherapy.what")
    events.user(sender, "please call me on 310 555 0199", "inform", confidence=0.4)
    events.callback(sender, "Pat Example", PHONE, "mornings")
    events.bot(sender, "We will call you back.", "callback.confirm", callback=True)


def write_old_conversation(console: Console, days_old: int = 120) -> None:
    old = EventWriter(console.db, console.clock.now - days_old * DAY_S)
    old.session("old-patient")
    old.user("old-patient", "Hello", "greet")


def user(console: Console, username: str) -> Optional[sa.engine.Row]:
    query = sa.select(schema.users).where(schema.users.c.username == username)
    return console.db.call(lambda connection: connection.execute(query).first())


def rows(console: Console, table: sa.Table) -> List[sa.engine.Row]:
    return console.db.call(lambda connection: list(connection.execute(sa.select(table))))


def conversation(console: Console, conversation_id: int = 1) -> sa.engine.Row:
    table = schema.conversations
    query = sa.select(table).where(table.c.id == conversation_id)
    return console.db.call(lambda connection: connection.execute(query).one())


def patient_event_ids(console: Console, sender: str = "patient-1") -> List[int]:
    events = schema.events
    query = (
        sa.select(events.c.id)
        .where(events.c.sender_id == sender, events.c.type_name == "user")
        .order_by(events.c.id)
    )
    return console.db.call(lambda connection: list(connection.execute(query).scalars()))


def account(console: Console, username: str) -> sa.engine.Row:
    found = user(console, username)
    assert found is not None, username
    return found


async def change(client: ConsoleClient, username: str, what: str) -> int:
    """Post the admin page's change form for ``username``; the status code."""
    reply = await client.post(f"/admin/users/{username}", {"change": what})
    return reply.status_code


# -- reviewers and admin pages ------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_reviewer_gets_403_on_admin_pages(
    console: Console, events: EventWriter, path: str
) -> None:
    write_conversation(events)
    console.index()
    reviewer = await console.logged_in("rita")
    reply = await reviewer.get(path)
    assert reply.status_code == 403
    assert "for console administrators" in reply.text
    assert PHONE not in reply.text
    assert console.audit_rows("export") == []


async def test_reviewer_cannot_add_a_user(console: Console) -> None:
    reviewer = await console.logged_in("rita")
    form = {"username": "mallory", "role": "admin", "password": PASSWORD}
    reply = await reviewer.post("/admin/users", form)
    assert reply.status_code == 403
    assert user(console, "mallory") is None
    assert console.audit_rows("user_add") == []


@pytest.mark.parametrize("what", ["admin", "reviewer", "disable", "enable"])
async def test_reviewer_cannot_change_a_user(console: Console, what: str) -> None:
    console.add_user("boss", "admin")
    console.add_user("sam", "reviewer")
    reviewer = await console.logged_in("rita")
    for target in ("rita", "boss", "sam"):
        assert await change(reviewer, target, what) == 403
    assert [(r.username, r.role, bool(r.active)) for r in rows(console, schema.users)] == [
        ("boss", "admin", True),
        ("sam", "reviewer", True),
        ("rita", "reviewer", True),
    ]
    assert console.audit_rows("user_change") == []


async def test_reviewer_cannot_purge(console: Console) -> None:
    write_old_conversation(console)
    console.index()
    reviewer = await console.logged_in("rita")
    reply = await reviewer.post("/admin/retention", {"confirm": "purge"})
    assert reply.status_code == 403
    assert len(rows(console, schema.conversations)) == 1
    assert len(rows(console, schema.events)) > 0
    assert console.audit_rows("purge") == []


async def test_reviewer_sees_no_admin_links(console: Console) -> None:
    reviewer = await console.logged_in("rita")
    page = await reviewer.get("/inbox")
    assert page.status_code == 200
    assert 'href="/admin/users"' not in page.text
    admin = await console.logged_in("boss", "admin")
    assert 'href="/admin/users"' in (await admin.get("/inbox")).text


# -- what reviewers can do ----------------------------------------------------------------


async def test_reviewer_reads_a_transcript_with_contact_details_masked(
    console: Console, events: EventWriter
) -> None:
    write_conversation(events)
    console.index()
    reviewer = await console.logged_in("rita")
    inbox = await reviewer.get("/inbox")
    assert inbox.status_code == 200
    assert "/conversations/1" in inbox.text
    page = await reviewer.get("/conversations/1")
    assert page.status_code == 200
    assert "What is immunotherapy?" in page.text
    assert "310 555 0199" not in page.text
    assert PHONE not in page.text


async def test_reviewer_reveals_one_message(console: Console, events: EventWriter) -> None:
    write_conversation(events)
    console.index()
    reviewer = await console.logged_in("rita")
    await reviewer.get("/conversations/1")
    event_id = patient_event_ids(console)[1]
    reply = await reviewer.post("/conversations/1/reveal", {"event_id": str(event_id)})
    assert reply.status_code == 200
    assert "310 555 0199" in reply.text


async def test_reviewer_tags_and_untags(console: Console, events: EventWriter) -> None:
    write_conversation(events)
    console.index()
    reviewer = await console.logged_in("rita")
    reply = await reviewer.post("/conversations/1/tags", {"tag": "Knowledge Gap"})
    assert reply.status_code == 302
    assert reply.headers["location"] == "/conversations/1#review"
    assert [(r.tag, r.created_by) for r in rows(console, schema.tags)] == [
        ("knowledge gap", "rita")
    ]
    removed = await reviewer.post("/conversations/1/tags/remove", {"tag": "knowledge gap"})
    assert removed.status_code == 302
    assert rows(console, schema.tags) == []


async def test_reviewer_writes_a_note(console: Console, events: EventWriter) -> None:
    write_conversation(events)
    console.index()
    reviewer = await console.logged_in("rita")
    reply = await reviewer.post("/conversations/1/notes", {"body": "Follow up on dosing."})
    assert reply.status_code == 302
    assert [(r.author, r.body) for r in rows(console, schema.notes)] == [
        ("rita", "Follow up on dosing.")
    ]
    assert "Follow up on dosing." in (await reviewer.get("/conversations/1")).text


async def test_reviewer_marks_reviewed(console: Console, events: EventWriter) -> None:
    write_conversation(events)
    console.index()
    reviewer = await console.logged_in("rita")
    reply = await reviewer.post("/conversations/1/reviewed", {"reviewed": "yes"})
    assert reply.status_code == 302
    marked = conversation(console)
    assert marked.reviewed and marked.reviewed_by == "rita"
    await reviewer.post("/conversations/1/reviewed", {"reviewed": "no"})
    assert not conversation(console).reviewed


async def test_reviewer_corrects_an_intent(console: Console, events: EventWriter) -> None:
    write_conversation(events)
    console.index()
    reviewer = await console.logged_in("rita")
    event_id = patient_event_ids(console)[0]
    form = {"event_id": str(event_id), "intent": "ask_immunotherapy_types"}
    reply = await reviewer.post("/conversations/1/correct", form)
    assert reply.status_code == 302
    assert [
        (r.event_id, r.predicted_intent, r.corrected_intent, r.author)
        for r in rows(console, schema.corrections)
    ] == [(event_id, "ask_immunotherapy", "ask_immunotherapy_types", "rita")]
    listing = await reviewer.get("/corrections")
    assert listing.status_code == 200
    assert "ask_immunotherapy_types" in listing.text
    nlu = await reviewer.get("/corrections/nlu.yml")
    assert nlu.status_code == 200
    assert "- intent: ask_immunotherapy_types" in nlu.text


async def test_reviewer_uses_the_callback_queue(console: Console, events: EventWriter) -> None:
    write_conversation(events)
    console.index()
    reviewer = await console.logged_in("rita")
    queue = await reviewer.get("/callbacks")
    assert queue.status_code == 200
    assert "Pat Example" in queue.text
    assert PHONE not in queue.text
    claimed = await reviewer.post("/callbacks/1/claim", {"view": "open"})
    assert claimed.status_code == 302
    revealed = await reviewer.post("/callbacks/1/reveal", {"view": "open"})
    assert revealed.status_code == 200
    assert PHONE in revealed.text
    moved = await reviewer.post("/callbacks/1/status", {"status": "reached", "view": "open"})
    assert moved.status_code == 302
    assert [(r.status, r.updated_by) for r in rows(console, schema.callbacks)] == [
        ("reached", "rita")
    ]


async def test_reviewer_sees_the_dashboard(console: Console, events: EventWriter) -> None:
    write_conversation(events)
    console.index()
    reviewer = await console.logged_in("rita")
    reply = await reviewer.get("/dashboard")
    assert reply.status_code == 200
    assert '<span class="value">1</span><span class="label">conversations</span>' in reply.text
    assert '<span class="value">1</span><span class="label">callback requests</span>' in reply.text


# -- what admins can do -------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_admin_opens_admin_pages(console: Console, events: EventWriter, path: str) -> None:
    write_conversation(events)
    console.index()
    admin = await console.logged_in("boss", "admin")
    assert (await admin.get(path)).status_code == 200


async def test_admin_adds_a_user_who_can_then_log_in(console: Console) -> None:
    admin = await console.logged_in("boss", "admin")
    form = {"username": "Sam", "role": "reviewer", "password": NEW_PASSWORD}
    reply = await admin.post("/admin/users", form)
    assert reply.status_code == 302
    assert reply.headers["location"] == "/admin/users"
    added = user(console, "sam")
    assert added is not None and added.role == "reviewer" and added.active
    assert "sam" in (await admin.get("/admin/users")).text
    assert (await console.client().login("sam", NEW_PASSWORD)).status_code == 302


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"username": "boss", "role": "reviewer"}, "already exists"),
        ({"username": "x", "role": "reviewer"}, "2-64 characters"),
        ({"username": "sam", "role": "root"}, "the role must be one of"),
        ({"username": "sam", "role": "reviewer", "password": "too short"}, "at least 12"),
    ],
)
async def test_admin_add_user_refuses_bad_input(
    console: Console, form: Dict[str, str], message: str
) -> None:
    admin = await console.logged_in("boss", "admin")
    reply = await admin.post("/admin/users", {"password": NEW_PASSWORD, **form})
    assert reply.status_code == 400
    assert message in reply.text
    assert [r.username for r in rows(console, schema.users)] == ["boss"]
    assert console.audit_rows("user_add") == []


async def test_admin_changes_a_role_and_it_applies_at_once(console: Console) -> None:
    admin = await console.logged_in("boss", "admin")
    rita = await console.logged_in("rita")
    assert (await rita.get("/admin/users")).status_code == 403
    assert await change(admin, "rita", "admin") == 302
    assert account(console, "rita").role == "admin"
    assert (await rita.get("/admin/users")).status_code == 200
    assert await change(admin, "rita", "reviewer") == 302
    assert account(console, "rita").role == "reviewer"
    assert (await rita.get("/admin/users")).status_code == 403


async def test_admin_disables_and_enables_a_user(console: Console) -> None:
    admin = await console.logged_in("boss", "admin")
    console.add_user("rita")
    assert await change(admin, "rita", "disable") == 302
    assert not account(console, "rita").active
    assert (await console.client().login("rita")).status_code == 401
    assert await change(admin, "rita", "enable") == 302
    assert account(console, "rita").active
    assert (await console.client().login("rita")).status_code == 302


async def test_admin_change_refuses_unknown_users_and_changes(console: Console) -> None:
    admin = await console.logged_in("boss", "admin")
    console.add_user("rita")
    reply = await admin.post("/admin/users/nobody", {"change": "disable"})
    assert reply.status_code == 400
    assert "no user" in reply.text
    reply = await admin.post("/admin/users/rita", {"change": "root"})
    assert reply.status_code == 400
    assert "unknown change" in reply.text
    assert account(console, "rita").role == "reviewer"
    assert console.audit_rows("user_change") == []


@pytest.mark.parametrize("what", ["reviewer", "disable"])
async def test_last_active_admin_cannot_be_demoted_or_disabled(console: Console, what: str) -> None:
    admin = await console.logged_in("boss", "admin")
    reply = await admin.post("/admin/users/boss", {"change": what})
    assert reply.status_code == 400
    assert "at least one active admin must remain" in reply.text
    boss = user(console, "boss")
    assert boss is not None and boss.role == "admin" and boss.active
    assert (await admin.get("/admin/users")).status_code == 200
    assert console.audit_rows("user_change") == []


async def test_a_disabled_admin_does_not_count_as_the_remaining_admin(console: Console) -> None:
    admin = await console.logged_in("boss", "admin")
    console.add_user("ada", "admin")
    assert await change(admin, "ada", "disable") == 302
    reply = await admin.post("/admin/users/boss", {"change": "reviewer"})
    assert reply.status_code == 400
    assert "at least one active admin must remain" in reply.text
    assert account(console, "boss").role == "admin"


async def test_an_admin_can_be_demoted_while_another_remains(console: Console) -> None:
    admin = await console.logged_in("boss", "admin")
    console.add_user("ada", "admin")
    assert await change(admin, "boss", "reviewer") == 302
    assert account(console, "boss").role == "reviewer"
    assert (await admin.get("/admin/users")).status_code == 403  # applies to the own session
    # now ada is the last admin
    ada = console.client()
    assert (await ada.login("ada")).status_code == 302
    assert await change(ada, "ada", "disable") == 400
    assert account(console, "ada").active


async def test_admin_purges_old_conversations(console: Console, events: EventWriter) -> None:
    write_conversation(events)
    write_old_conversation(console)
    console.index()
    assert len(rows(console, schema.conversations)) == 2
    admin = await console.logged_in("boss", "admin")
    refused = await admin.post("/admin/retention", {"confirm": "yes"})
    assert refused.status_code == 400
    assert len(rows(console, schema.conversations)) == 2
    reply = await admin.post("/admin/retention", {"confirm": "purge"})
    assert reply.status_code == 200
    assert "Purged 1 conversation " in reply.text
    assert [r.sender_id for r in rows(console, schema.conversations)] == ["patient-1"]
    assert {r.sender_id for r in rows(console, schema.events)} == {"patient-1"}


async def test_admin_exports(console: Console, events: EventWriter) -> None:
    write_conversation(events)
    console.index()
    admin = await console.logged_in("boss", "admin")
    as_json = await admin.get("/export.json")
    assert as_json.status_code == 200
    assert [c["id"] for c in as_json.json()["conversations"]] == [1]
    as_csv = await admin.get("/export.csv")
    assert as_csv.status_code == 200
    assert as_csv.text.startswith("conversation_id,")
    assert PHONE not in as_csv.text and PHONE not in as_json.text
