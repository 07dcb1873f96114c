"""Review tools on a transcript: tags, notes, the reviewed mark and intent corrections, and
the corrections exported as a Rasa NLU training file (contact details masked)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import List, Tuple

import pytest
import yaml

from assistant.console import schema
from assistant.console.review import MAX_NOTE_CHARS, clean_tag, corrections_nlu_yaml
from bench.console_harness import Console, ConsoleClient, EventWriter
from tests.assistant.console.builders import (
    PACIFIC,
    conversation,
    rows,
    support_masker,
)

pytestmark = pytest.mark.quick_startup


@pytest.fixture
async def reviewer(console: Console, events: EventWriter) -> ConsoleClient:
    """Logged in, with conversation 1 (two patient messages) and conversation 2 indexed."""
    events.session("p")
    events.user("p", "how much of the drug do I get", "nlu_fallback", 0.4)
    events.bot("p", "Sorry, I did not get that.", "conversation.fallback", fallback=True)
    events.user("p", "call me on 310-555-0123 about the dose", "request_callback")
    events.session("q")
    events.user("q", "hello", "greet")
    console.index()
    client = await console.logged_in("rita", "reviewer")
    await client.get("/conversations/1")
    return client


def patient_event_ids(console: Console, sender: str = "p") -> List[int]:
    table = schema.events
    found = rows(console.db, table, table.c.sender_id == sender, table.c.type_name == "user")
    return [r.id for r in found]


def tags_of(console: Console, conversation_id: int) -> List[Tuple[str, str]]:
    table = schema.tags
    found = rows(console.db, table, table.c.conversation_id == conversation_id)
    return sorted((r.tag, r.created_by) for r in found)


# -- tags ---------------------------------------------------------------------------------


async def test_adding_a_tag(console: Console, reviewer: ConsoleClient) -> None:
    reply = await reviewer.post("/conversations/1/tags", {"tag": "  Knowledge   GAP "})

    assert reply.status_code == 302
    assert reply.headers["location"] == "/conversations/1#review"
    assert tags_of(console, 1) == [("knowledge gap", "rita")]
    assert tags_of(console, 2) == []
    page = (await reviewer.get("/conversations/1")).text
    assert '<span class="tag">knowledge gap</span>' in page
    assert 'aria-label="Remove tag knowledge gap"' in page
    (audit,) = console.audit_rows("tag")
    assert (audit.actor, audit.target, audit.detail) == ("rita", "conversation 1", "knowledge gap")


async def test_a_duplicate_tag_is_ignored(console: Console, reviewer: ConsoleClient) -> None:
    for tag in ("dosing", "DOSING", " dosing "):
        assert (await reviewer.post("/conversations/1/tags", {"tag": tag})).status_code == 302
    await reviewer.post("/conversations/1/tags", {"tag": "follow-up_2"})

    assert tags_of(console, 1) == [("dosing", "rita"), ("follow-up_2", "rita")]


@pytest.mark.parametrize(
    "tag",
    ["", "   ", "<b>bold</b>", "x" * 41, "-leading-dash", "semi;colon", "naïve", "tab\tstop!"],
)
async def test_an_invalid_tag_is_rejected(
    console: Console, reviewer: ConsoleClient, tag: str
) -> None:
    reply = await reviewer.post("/conversations/1/tags", {"tag": tag})

    assert reply.status_code == 400
    assert "a tag is 1-40 characters" in reply.text
    assert "<b>bold</b>" not in reply.text
    assert tags_of(console, 1) == []
    assert console.audit_rows("tag") == []


async def test_removing_a_tag(console: Console, reviewer: ConsoleClient) -> None:
    await reviewer.post("/conversations/1/tags", {"tag": "dosing"})
    await reviewer.post("/conversations/1/tags", {"tag": "parking"})

    reply = await reviewer.post("/conversations/1/tags/remove", {"tag": "dosing"})

    assert reply.status_code == 302
    assert tags_of(console, 1) == [("parking", "rita")]
    page = (await reviewer.get("/conversations/1")).text
    assert '<span class="tag">dosing</span>' not in page
    (audit,) = console.audit_rows("untag")
    assert (audit.target, audit.detail) == ("conversation 1", "dosing")


async def test_removing_a_tag_only_affects_that_conversation(
    console: Console, reviewer: ConsoleClient
) -> None:
    await reviewer.post("/conversations/1/tags", {"tag": "dosing"})
    await reviewer.post("/conversations/2/tags", {"tag": "dosing"})

    await reviewer.post("/conversations/2/tags/remove", {"tag": "dosing"})

    assert tags_of(console, 1) == [("dosing", "rita")]
    assert tags_of(console, 2) == []


def test_clean_tag() -> None:
    assert clean_tag("  Side   Effects ") == "side effects"
    assert clean_tag("a") == "a"
    assert clean_tag("x" * 40) == "x" * 40


# -- notes --------------------------------------------------------------------------------


async def test_adding_a_note(console: Console, reviewer: ConsoleClient) -> None:
    reply = await reviewer.post("/conversations/1/notes", {"body": "  Call the patient back.  "})

    assert reply.status_code == 302
    assert reply.headers["location"] == "/conversations/1#notes"
    (note,) = rows(console.db, schema.notes)
    assert (note.conversation_id, note.author, note.body) == (1, "rita", "Call the patient back.")
    page = (await reviewer.get("/conversations/1")).text
    assert '<p class="text">Call the patient back.</p>' in page
    assert '<p class="meta">rita · ' in page
    assert len(console.audit_rows("note")) == 1


async def test_notes_are_listed_in_order(console: Console, reviewer: ConsoleClient) -> None:
    await reviewer.post("/conversations/1/notes", {"body": "first note"})
    await reviewer.post("/conversations/1/notes", {"body": "second note"})

    page = (await reviewer.get("/conversations/1")).text

    assert page.index("first note") < page.index("second note")
    assert "first note" not in (await reviewer.get("/conversations/2")).text


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "the note is empty"),
        ("   \n\t  ", "the note is empty"),
        ("x" * (MAX_NOTE_CHARS + 1), f"a note is at most {MAX_NOTE_CHARS} characters"),
        ("y" * 50_000, f"a note is at most {MAX_NOTE_CHARS} characters"),
    ],
)
async def test_an_empty_or_too_long_note_is_rejected(
    console: Console, reviewer: ConsoleClient, body: str, error: str
) -> None:
    reply = await reviewer.post("/conversations/1/notes", {"body": body})

    assert reply.status_code == 400
    assert error in reply.text
    assert rows(console.db, schema.notes) == []
    assert console.audit_rows("note") == []


async def test_a_note_of_exactly_the_limit_is_kept(
    console: Console, reviewer: ConsoleClient
) -> None:
    body = "z" * MAX_NOTE_CHARS

    assert (await reviewer.post("/conversations/1/notes", {"body": body})).status_code == 302

    (note,) = rows(console.db, schema.notes)
    assert note.body == body


# -- reviewed -----------------------------------------------------------------------------


async def test_marking_reviewed_and_not_reviewed(console: Console, reviewer: ConsoleClient) -> None:
    reply = await reviewer.post("/conversations/1/reviewed", {"reviewed": "yes"})

    assert reply.status_code == 302
    row = conversation(console.db, 1)
    assert (row.reviewed, row.reviewed_by) == (True, "rita")
    assert row.reviewed_at is not None
    when = datetime.fromtimestamp(row.reviewed_at, PACIFIC).strftime("%Y-%m-%d %H:%M")
    page = (await reviewer.get("/conversations/1")).text
    assert f"Reviewed by rita on {when}." in page
    assert "Mark as not reviewed" in page
    assert conversation(console.db, 2).reviewed is False

    await reviewer.post("/conversations/1/reviewed", {"reviewed": "no"})

    row = conversation(console.db, 1)
    assert (row.reviewed, row.reviewed_by, row.reviewed_at) == (False, None, None)
    page = (await reviewer.get("/conversations/1")).text
    assert "Reviewed by" not in page and "Mark as reviewed" in page
    assert [r.detail for r in console.audit_rows("reviewed")] == ["yes", "no"]


async def test_reviewed_shows_who_reviewed_last(console: Console, reviewer: ConsoleClient) -> None:
    await reviewer.post("/conversations/1/reviewed", {"reviewed": "yes"})
    other = await console.logged_in("omar", "reviewer")

    await other.post("/conversations/1/reviewed", {"reviewed": "yes"})

    assert conversation(console.db, 1).reviewed_by == "omar"
    assert "Reviewed by omar on" in (await reviewer.get("/conversations/1")).text


async def test_reindexing_keeps_the_review(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    await reviewer.post("/conversations/1/reviewed", {"reviewed": "yes"})
    events.user("p", "one more question", "ask_dosing")

    console.index()

    row = conversation(console.db, 1)
    assert row.turns == 3 and row.reviewed is True and row.reviewed_by == "rita"


# -- intent corrections -------------------------------------------------------------------


async def test_correcting_an_intent(console: Console, reviewer: ConsoleClient) -> None:
    first, _second = patient_event_ids(console)

    reply = await reviewer.post(
        "/conversations/1/correct", {"event_id": str(first), "intent": "ask_dosing"}
    )

    assert reply.status_code == 302
    assert reply.headers["location"] == f"/conversations/1#m{first}"
    (stored,) = rows(console.db, schema.corrections)
    assert (stored.event_id, stored.conversation_id, stored.author) == (first, 1, "rita")
    assert (stored.predicted_intent, stored.corrected_intent) == ("nlu_fallback", "ask_dosing")
    assert stored.text == "how much of the drug do I get"
    page = (await reviewer.get("/conversations/1")).text
    assert "corrected to <code>ask_dosing</code>" in page
    assert f'<select id="intent-{first}" name="intent">' in page
    selected = page[page.index(f'<select id="intent-{first}"') :]
    assert '<option value="ask_dosing" selected>' in selected[: selected.index("</select>")]
    (audit,) = console.audit_rows("correct_intent")
    assert audit.detail == f"event {first}: nlu_fallback -> ask_dosing"


async def test_correcting_again_replaces_the_correction(
    console: Console, reviewer: ConsoleClient
) -> None:
    first, _second = patient_event_ids(console)
    for intent in ("ask_dosing", "ask_side_effects"):
        await reviewer.post("/conversations/1/correct", {"event_id": str(first), "intent": intent})

    (stored,) = rows(console.db, schema.corrections)
    assert stored.corrected_intent == "ask_side_effects"


@pytest.mark.parametrize("intent", ["", "not_an_intent", "<script>", "nlu_fallback"])
async def test_correcting_to_an_unknown_intent_is_rejected(
    console: Console, reviewer: ConsoleClient, intent: str
) -> None:
    first, _second = patient_event_ids(console)

    reply = await reviewer.post(
        "/conversations/1/correct", {"event_id": str(first), "intent": intent}
    )

    assert reply.status_code == 400
    assert "Choose a message and a known intent." in reply.text
    assert rows(console.db, schema.corrections) == []


async def test_corrections_page_lists_corrections_masked(
    console: Console, reviewer: ConsoleClient
) -> None:
    _first, second = patient_event_ids(console)
    await reviewer.post(
        "/conversations/1/correct", {"event_id": str(second), "intent": "ask_dosing"}
    )

    page = (await reviewer.get("/corrections")).text

    assert f'href="/conversations/1#m{second}"' in page
    assert "call me on •••-•••-0123 about the dose" in page
    assert "310-555-0123" not in page
    assert "<code>request_callback</code>" in page and "<code>ask_dosing</code>" in page
    assert "<td>rita</td>" in page


# -- the NLU training file ----------------------------------------------------------------


async def correct_both(console: Console, reviewer: ConsoleClient) -> Tuple[int, int]:
    first, second = patient_event_ids(console)
    for event_id in (first, second):
        reply = await reviewer.post(
            "/conversations/1/correct", {"event_id": str(event_id), "intent": "ask_dosing"}
        )
        assert reply.status_code == 302
    (other,) = patient_event_ids(console, "q")
    await reviewer.post("/conversations/2/correct", {"event_id": str(other), "intent": "affirm"})
    return first, second


async def test_nlu_yaml_download(console: Console, reviewer: ConsoleClient) -> None:
    await correct_both(console, reviewer)

    reply = await reviewer.get("/corrections/nlu.yml")

    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/x-yaml")
    assert "attachment" in reply.headers["content-disposition"]
    assert "310-555-0123" not in reply.text
    document = yaml.safe_load(reply.text)
    assert document == {
        "version": "3.1",
        "nlu": [
            {"intent": "affirm", "examples": "- hello\n"},
            {
                "intent": "ask_dosing",
                "examples": (
                    "- how much of the drug do I get\n- call me on •••-•••-0123 about the dose\n"
                ),
            },
        ],
    }
    (audit,) = console.audit_rows("export_corrections")
    assert audit.actor == "rita"


async def test_nlu_yaml_is_accepted_by_rasa(
    console: Console, reviewer: ConsoleClient, tmp_path: Path
) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    await correct_both(console, reviewer)
    path = tmp_path / "nlu_corrections.yml"
    path.write_bytes((await reviewer.get("/corrections/nlu.yml")).content)

    training = load_data(str(path))

    examples = sorted((m.get("text"), m.get("intent")) for m in training.training_examples)
    assert examples == [
        ("call me on •••-•••-0123 about the dose", "ask_dosing"),
        ("hello", "affirm"),
        ("how much of the drug do I get", "ask_dosing"),
    ]


async def test_nlu_yaml_with_no_corrections(reviewer: ConsoleClient) -> None:
    reply = await reviewer.get("/corrections/nlu.yml")
    assert yaml.safe_load(reply.text) == {"version": "3.1", "nlu": None}


def test_nlu_yaml_survives_awkward_text(tmp_path: Path) -> None:
    from assistant.console.database import Database

    db = Database.connect(f"sqlite:///{tmp_path / 'awkward.db'}")
    awkward = [
        "key: value # not a comment",
        "\"quoted\" and 'single' - dash",
        "multi\nline\r\ntext\twith tabs",
        "- starts like a list item",
        "|> block indicators & anchors *x !tag %directive @at `tick`",
        "emoji 🤒 and ünïcode",
        "control\x07bell\x1bescape\x00nul",
        "/greet",  # a button payload is not an example
        "   ",
    ]
    with db.engine.begin() as connection:
        for n, text in enumerate(awkward, start=1):
            connection.execute(
                schema.corrections.insert().values(
                    event_id=n,
                    conversation_id=1,
                    text=text,
                    predicted_intent="nlu_fallback",
                    corrected_intent="inform",
                    author="rita",
                    created_at=0.0,
                )
            )
        text = corrections_nlu_yaml(connection, support_masker())
    db.close()

    (entry,) = yaml.safe_load(text)["nlu"]
    examples = [line[2:] for line in entry["examples"].splitlines()]
    assert examples[:6] == [
        "key: value # not a comment",
        "\"quoted\" and 'single' - dash",
        "multi line text with tabs",
        "- starts like a list item",
        "|> block indicators & anchors *x !tag %directive @at `tick`",
        "emoji 🤒 and ünïcode",
    ]
    assert examples[6:] == ["controlbellescapenul"]  # YAML allows no control characters


async def test_brackets_in_a_correction_do_not_become_rasa_entity_annotations(
    console: Console, events: EventWriter
) -> None:
    events.session("web-brackets")
    events.user("web-brackets", "is [pembrolizumab](drug) given by drip", "ask_dosing", 0.4)
    console.index()
    reviewer = await console.logged_in("rev-brackets")
    page = (await reviewer.get("/conversations/1")).text
    event_id = re.search(r'name="event_id" value="(\d+)"', page)
    assert event_id
    reply = await reviewer.post(
        "/conversations/1/correct", {"event_id": event_id.group(1), "intent": "ask_treatment_forms"}
    )
    assert reply.status_code == 302
    exported = (await reviewer.get("/corrections/nlu.yml")).text
    assert "- is (pembrolizumab)(drug) given by drip" in exported
    assert "[" not in exported.split("nlu:")[1]
