"""The grouped unanswered questions in the console: the dashboard panel, the Topics page, the
two group actions (intent corrections, knowledge requests), the knowledge request list and
its CSV, and what a tampered or unauthorised post gets."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import List, Tuple

import pytest

from assistant.console import schema
from bench.console_harness import Console, ConsoleClient, EventWriter
from tests.assistant.console.builders import chat, rows

pytestmark = pytest.mark.quick_startup

CONTACT = "310-555-0148"


@pytest.fixture
async def reviewer(console: Console) -> ConsoleClient:
    return await console.logged_in("rita", "reviewer")


def seed(console: Console, events: EventWriter) -> None:
    """Unanswered questions about parking (four, in two conversations) and the wifi (two),
    among understood messages."""
    chat(
        events,
        "p1",
        [
            ("Where do I park?", "nlu_fallback", 0.9),
            ("is there valet", "out_of_scope", 0.8),
            ("how much do I take", "ask_dosing"),
        ],
    )
    chat(
        events,
        "p2",
        [
            ("hi", "greet"),
            ("where do I park", "nlu_fallback", 0.5),
            (f"parking?? my daughter\u2019s cell is {CONTACT}", "nlu_fallback", 0.4),
        ],
    )
    chat(
        events,
        "p3",
        [("whats the wifi password", "nlu_fallback", 0.3), ("is there wi-fi", "out_of_scope", 0.7)],
        channel="sms",
    )
    console.index()


def unanswered(console: Console) -> List[Tuple[str, int]]:
    return [(r.question, r.event_id) for r in rows(console.db, schema.unanswered)]


def parking_ids(console: Console) -> List[str]:
    return [str(i) for q, i in unanswered(console) if "park" in q or "valet" in q]


def understood_id(console: Console) -> int:
    """The event id of a patient message the bot did understand ("how much do I take")."""
    missed = {event_id for _, event_id in unanswered(console)}
    (answered, *_) = [
        r.id
        for r in rows(console.db, schema.events, schema.events.c.type_name == "user")
        if r.id not in missed and "how much" in (r.data or "")
    ]
    return int(answered)


def groups_on(page: str) -> List[Tuple[int, str]]:
    return [
        (int(n), label)
        for n, label in re.findall(
            r'<span class="topic-count">(\d+)</span> <(?:strong|span) class="topic-label">([^<]+)<',
            page,
        )
    ]


async def test_dashboard_shows_groups_with_examples_and_conversation_links(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)

    page = (await reviewer.get("/dashboard")).text

    panel = page[page.index('class="card topics-panel"') :]
    panel = panel[: panel.index("</section>")]
    assert groups_on(panel) == [(4, "where do i park"), (2, "is there wi-fi")]
    assert "is there valet" in panel and "whats the wifi password" in panel
    assert CONTACT not in page and "0148" in panel  # masked, as the indexer stored it
    assert '<a href="/conversations/1">#1</a>' in panel
    assert '<a href="/conversations/2">#2</a>' in panel
    assert '<a href="/conversations/3">#3</a>' in panel
    assert 'href="/topics?from=2026-10-28&amp;to=2026-11-26"' in panel


async def test_topics_page_lists_every_group_with_both_actions(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)

    page = (await reviewer.get("/topics?from=2026-11-20&to=2026-11-26")).text

    assert groups_on(page) == [(4, "where do i park"), (2, "is there wi-fi")]
    assert page.count('action="/topics/correct"') == 2
    assert page.count('action="/topics/knowledge-requests"') == 2
    for event_id in parking_ids(console):
        assert f'<input type="hidden" name="event_id" value="{event_id}">' in page
    assert '<option value="ask_infusion_center">' in page
    assert '<a href="/topics" aria-current="page">Unanswered</a>' in page


async def test_a_group_goes_to_the_corrections_as_one_intent(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    await reviewer.get("/topics")
    ids = parking_ids(console)

    reply = await reviewer.post(
        "/topics/correct",
        {"event_id": ids, "intent": "ask_locations", "from": "2026-11-20", "to": "2026-11-26"},
    )

    assert reply.status_code == 302
    assert reply.headers["location"] == (
        "/topics?from=2026-11-20&to=2026-11-26&saved=corrections&n=4"
    )
    stored = rows(console.db, schema.corrections)
    assert sorted(str(r.event_id) for r in stored) == sorted(ids)
    assert {r.corrected_intent for r in stored} == {"ask_locations"}
    assert {r.author for r in stored} == {"rita"}
    by_text = {r.text: (r.conversation_id, r.predicted_intent) for r in stored}
    assert by_text == {
        "Where do I park?": (1, "nlu_fallback"),
        "where do I park": (2, "nlu_fallback"),
        "is there valet": (1, "out_of_scope"),
        f"parking?? my daughter\u2019s cell is {CONTACT}": (2, "nlu_fallback"),
    }
    nlu = (await reviewer.get("/corrections/nlu.yml")).text
    assert "- intent: ask_locations" in nlu and CONTACT not in nlu
    (audit,) = console.audit_rows("correct_topic_group")
    assert audit.target == "4 questions" and audit.detail.startswith("-> ask_locations; events ")
    notice = (await reviewer.get(reply.headers["location"])).text
    assert "4 messages were added to the" in notice


async def test_a_group_becomes_a_knowledge_request_snapshot(
    console: Console, events: EventWriter, reviewer: ConsoleClient, clock: object
) -> None:
    seed(console, events)
    await reviewer.get("/topics")
    ids = parking_ids(console)

    reply = await reviewer.post("/topics/knowledge-requests", {"event_id": ids})

    assert reply.status_code == 302
    (stored,) = rows(console.db, schema.knowledge_requests)
    assert (stored.label, stored.questions, stored.status) == ("where do i park", 4, "open")
    assert stored.created_by == "rita" and stored.created_at == console.clock()
    examples = json.loads(stored.examples)
    assert len(examples) == 3 and examples[0] == "where do i park"
    assert "is there valet" in examples
    assert any(e.startswith("parking?? my daughter\u2019s cell is ") for e in examples)
    assert not any(CONTACT in e or "555" in e for e in examples)  # masked
    assert sorted(json.loads(stored.event_ids)) == sorted(int(i) for i in ids)
    (audit,) = console.audit_rows("request_knowledge_entry")
    assert audit.target == f"knowledge request {stored.id}"


async def test_the_label_is_one_of_the_most_asked_questions_of_the_group(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    await reviewer.get("/topics")

    ids = parking_ids(console)
    valet = next(str(i) for q, i in unanswered(console) if q == "is there valet")
    for label_event in (str(understood_id(console)), valet, "x"):
        await reviewer.post(
            "/topics/knowledge-requests", {"event_id": ids, "label_event": label_event}
        )

    # "where do i park" was asked twice, "is there valet" once: the reviewer's choice of
    # label stands only among equally asked questions, and only from the group.
    assert [r.label for r in rows(console.db, schema.knowledge_requests)] == ["where do i park"] * 3


async def test_knowledge_requests_are_listed_exported_and_closed(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    chat(events, "p4", [("=cmd|' /C calc'!A0 wifi", "nlu_fallback", 0.2)])
    console.index()
    await reviewer.get("/topics")
    wifi = [str(i) for q, i in unanswered(console) if "wi" in q]
    await reviewer.post("/topics/knowledge-requests", {"event_id": parking_ids(console)})
    wifi_label = next(str(i) for q, i in unanswered(console) if q == "is there wi-fi")
    await reviewer.post("/topics/knowledge-requests", {"event_id": wifi, "label_event": wifi_label})

    page = (await reviewer.get("/topics/knowledge-requests")).text
    download = await reviewer.get("/topics/knowledge-requests.csv")

    assert '<td class="num">4</td>' in page and '<td class="num">3</td>' in page
    assert "where do i park" in page and CONTACT not in page
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["questions"], r["requested_by"], r["status"]) for r in table] == [
        ("4", "rita", "open"),
        ("3", "rita", "open"),
    ]
    assert {r["label"] for r in table} == {"where do i park", "is there wi-fi"}
    cells = [cell for r in table for cell in r.values()]
    assert "'=cmd|' /c calc'!a0 wifi" in cells  # a formula is defused, not dropped
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert CONTACT not in download.text
    (export,) = console.audit_rows("export_knowledge_requests")
    assert export.target == "2 requests"

    first = rows(console.db, schema.knowledge_requests)[0]
    await reviewer.get("/topics/knowledge-requests")
    done = await reviewer.post(f"/topics/knowledge-requests/{first.id}/done")

    assert done.status_code == 302
    assert [r.status for r in rows(console.db, schema.knowledge_requests)] == ["done", "open"]
    table = list(
        csv.DictReader(io.StringIO((await reviewer.get("/topics/knowledge-requests.csv")).text))
    )
    assert len(table) == 1
    again = await reviewer.post(f"/topics/knowledge-requests/{first.id}/done")
    assert again.status_code == 400
    assert len(console.audit_rows("knowledge_request_done")) == 1


@pytest.mark.parametrize("action", ["/topics/correct", "/topics/knowledge-requests"])
async def test_ids_that_are_not_unanswered_questions_are_refused(
    console: Console, events: EventWriter, reviewer: ConsoleClient, action: str
) -> None:
    seed(console, events)
    await reviewer.get("/topics")
    parking = parking_ids(console)
    tampered = [
        [*parking, str(understood_id(console))],  # a message the bot understood
        [*parking, "99999"],  # no such message
        [*parking, "1e3"],
        [],
        [str(i) for i in range(1, 502)],  # more than a group action takes
    ]

    for event_ids in tampered:
        reply = await reviewer.post(action, {"event_id": event_ids, "intent": "ask_locations"})
        assert reply.status_code == 400, event_ids

    assert rows(console.db, schema.corrections) == []
    assert rows(console.db, schema.knowledge_requests) == []
    assert console.audit_rows("correct_topic_group") == []
    assert console.audit_rows("request_knowledge_entry") == []


async def test_an_unknown_intent_is_refused(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    await reviewer.get("/topics")

    reply = await reviewer.post(
        "/topics/correct", {"event_id": parking_ids(console), "intent": "ask_parking"}
    )

    assert reply.status_code == 400
    assert rows(console.db, schema.corrections) == []


async def test_the_actions_need_a_session_and_the_form_token(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    stranger = console.client()
    ids = parking_ids(console)
    form = {"event_id": ids, "intent": "ask_locations"}

    for path in ("/topics/correct", "/topics/knowledge-requests"):
        anonymous = await stranger.post(path, form, csrf=False)
        forged = await reviewer.post(path, form, csrf=False)
        assert anonymous.status_code == 302 and anonymous.headers["location"].startswith("/login")
        assert forged.status_code == 403
    for path in ("/topics", "/topics/knowledge-requests", "/topics/knowledge-requests.csv"):
        reply = await stranger.get(path)
        assert reply.status_code == 302 and reply.headers["location"].startswith("/login")

    assert rows(console.db, schema.corrections) == []
    assert rows(console.db, schema.knowledge_requests) == []


async def test_an_admin_may_act_on_groups_too(console: Console, events: EventWriter) -> None:
    seed(console, events)
    admin = await console.logged_in("ada", "admin")
    await admin.get("/topics")

    reply = await admin.post("/topics/knowledge-requests", {"event_id": parking_ids(console)})

    assert reply.status_code == 302
    assert [r.created_by for r in rows(console.db, schema.knowledge_requests)] == ["ada"]
