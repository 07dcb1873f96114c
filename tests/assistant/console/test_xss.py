"""Patient text and staff input are shown as text on every page: HTML in messages, callback
details, tags and notes comes out escaped; the CSP forbids inline script; CSV cells that a
spreadsheet would run as formulas are defused."""

from __future__ import annotations

import csv
import io
import re
from typing import Dict, List

import pytest

from assistant.console import schema
from assistant.console.indexer import normalise_question
from bench.console_harness import Console, ConsoleClient, EventWriter
from tests.assistant.console.builders import (
    escaped,
    rows,
    support_masker,
)

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "<a href='javascript:alert(1)'>click</a>",
    "javascript:alert(document.cookie)",
]
CALLBACK_NAME = '<script>alert("cb")</script>'
CALLBACK_TIME = "<img src=x onerror=alert(2)>"
NOTE = "<script>alert('note')</script> & <b>bold</b>"
JS_LINK = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)
RAW_TAG = re.compile(r"<\s*/?\s*(script|img|iframe|b|i)\b", re.I)
OWN_SCRIPT = '<script src="/static/idle.js" defer></script>'
HANDLER = re.compile(r"<[^>]*\son\w+\s*=", re.I)


pytestmark = pytest.mark.quick_startup


@pytest.fixture
async def admin(console: Console, events: EventWriter) -> ConsoleClient:
    """Logged in as an admin; conversation n (1-5) opens with PAYLOADS[n-1], not understood;
    conversation 6 has a callback request with HTML in it and an HTML bot reply."""
    for n, payload in enumerate(PAYLOADS, start=1):
        events.session(f"p{n}")
        events.user(f"p{n}", payload, "nlu_fallback", confidence=0.2)
    events.session("cb")
    events.bot("cb", "<b>Bold</b> <script>alert('bot')</script>", "kb.<i>entry</i>")
    events.callback("cb", CALLBACK_NAME, "+13105550123", CALLBACK_TIME)
    console.index()
    return await console.logged_in("ada", "admin")


def assert_shown_as_text(page: str, text: str) -> None:
    assert text not in page
    assert escaped(text) in page


def assert_no_injected_markup(page: str) -> None:
    """No tag, event handler or javascript: link from the payloads made it into the markup
    (the console's own templates use none of these, except the one idle-logout script, which
    is a file; the dashboard's charts are SVG)."""
    page = page.replace(OWN_SCRIPT, "")
    assert RAW_TAG.findall(page) == []
    assert HANDLER.findall(page) == []
    assert JS_LINK.findall(page) == []


def patient_event(console: Console, sender: str) -> int:
    table = schema.events
    (row,) = rows(console.db, table, table.c.sender_id == sender, table.c.type_name == "user")
    return int(row.id)


async def test_inbox_shows_first_messages_as_text(admin: ConsoleClient) -> None:
    page = (await admin.get("/inbox")).text

    for payload in PAYLOADS[:4]:
        assert_shown_as_text(page, payload)
    assert ">javascript:alert(document.cookie)</a>" in page  # text of the transcript link
    assert_no_injected_markup(page)


async def test_transcripts_show_messages_as_text(admin: ConsoleClient) -> None:
    for n, payload in enumerate(PAYLOADS, start=1):
        page = (await admin.get(f"/conversations/{n}")).text
        if "<" in payload or '"' in payload:
            assert_shown_as_text(page, payload)
        else:
            assert f'<p class="text">{payload}</p>' in page  # plain text, not a link
        assert_no_injected_markup(page)


async def test_bot_text_and_callback_details_are_escaped(admin: ConsoleClient) -> None:
    page = (await admin.get("/conversations/6")).text

    assert_shown_as_text(page, "<b>Bold</b> <script>alert('bot')</script>")
    assert_shown_as_text(page, "kb.<i>entry</i>")
    assert f"<dt>Name</dt><dd>{escaped(CALLBACK_NAME)}</dd>" in page
    assert f"<dt>Best time</dt><dd>{escaped(CALLBACK_TIME)}</dd>" in page
    assert_no_injected_markup(page)


async def test_dashboard_shows_unanswered_questions_as_text(admin: ConsoleClient) -> None:
    """The grouped questions (labels and examples) on the dashboard and the Topics page."""
    masker = support_masker()
    questions = {escaped(normalise_question(payload, masker)) for payload in PAYLOADS}
    for path in ("/dashboard", "/topics"):
        page = (await admin.get(path)).text

        shown = re.findall(r'class="topic-label">([^<]*)<', page) + [
            example
            for examples in re.findall(r'<ul class="topic-examples">(.*?)</ul>', page, re.S)
            for example in re.findall(r"<li>([^<]*)</li>", examples)
        ]
        assert shown and set(shown) <= questions, path
        assert_no_injected_markup(page)


async def test_corrections_page_shows_messages_as_text(
    console: Console, admin: ConsoleClient
) -> None:
    for n in range(1, len(PAYLOADS) + 1):
        event_id = patient_event(console, f"p{n}")
        reply = await admin.post(
            f"/conversations/{n}/correct", {"event_id": str(event_id), "intent": "inform"}
        )
        assert reply.status_code == 302

    page = (await admin.get("/corrections")).text

    for payload in PAYLOADS[:4]:
        assert_shown_as_text(page, payload)
    assert_no_injected_markup(page)


async def test_callback_queue_shows_details_as_text(admin: ConsoleClient) -> None:
    page = (await admin.get("/callbacks")).text

    assert f"<td>{escaped(CALLBACK_NAME)}</td>" in page
    assert f"<td>{escaped(CALLBACK_TIME)}</td>" in page
    assert CALLBACK_NAME not in page and CALLBACK_TIME not in page
    assert_no_injected_markup(page)
    assert (await admin.post("/callbacks/1/claim", {})).status_code == 302
    revealed = (await admin.post("/callbacks/1/reveal", {})).text
    assert f"<td>{escaped(CALLBACK_TIME)}</td>" in revealed
    assert_no_injected_markup(revealed)


async def test_notes_are_shown_as_text(console: Console, admin: ConsoleClient) -> None:
    assert (await admin.post("/conversations/1/notes", {"body": NOTE})).status_code == 302

    page = (await admin.get("/conversations/1")).text

    assert f'<p class="text">{escaped(NOTE)}</p>' in page
    assert "<b>bold</b>" not in page
    assert_no_injected_markup(page)


async def test_tags_with_html_are_refused_and_never_echoed(
    console: Console, admin: ConsoleClient
) -> None:
    for tag in ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'):
        reply = await admin.post("/conversations/1/tags", {"tag": tag})
        assert reply.status_code == 400
        assert tag not in reply.text
        assert_no_injected_markup(reply.text)
    assert rows(console.db, schema.tags) == []


async def test_staff_input_echoed_in_forms_is_escaped(admin: ConsoleClient) -> None:
    payload = '"><script>alert(1)</script>'
    query = "q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E"

    inbox = (await admin.get(f"/inbox?{query}&tag={query[2:]}&intent={query[2:]}")).text
    assert f'value="{escaped(payload)}"' in inbox
    assert_no_injected_markup(inbox)
    audit = (await admin.get(f"/admin/audit?actor={query[2:]}")).text
    assert f'value="{escaped(payload)}"' in audit
    assert_no_injected_markup(audit)


async def test_audit_log_shows_staff_input_as_text(console: Console, admin: ConsoleClient) -> None:
    tag = "<script>alert('t')</script>"
    await admin.post("/conversations/1/tags/remove", {"tag": tag})

    page = (await admin.get("/admin/audit")).text

    assert f"<td>{escaped(tag)}</td>" in page
    assert_no_injected_markup(page)


async def test_content_security_policy_forbids_inline_script(admin: ConsoleClient) -> None:
    for path in ("/inbox", "/conversations/1", "/dashboard", "/callbacks", "/corrections"):
        reply = await admin.get(path)
        policy = reply.headers["content-security-policy"]
        directives: Dict[str, List[str]] = {
            d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()
        }
        assert directives["script-src"] == ["'self'"], path
        assert directives["default-src"] == ["'self'"], path
        assert directives["frame-ancestors"] == ["'none'"], path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
        assert reply.headers["x-content-type-options"] == "nosniff"
        # Only the idle-logout script file; nothing inline.
        assert re.findall(r"<script[^>]*>", reply.text.lower()) == [OWN_SCRIPT.split("</")[0]]


async def test_login_and_error_pages_carry_the_policy_too(console: Console) -> None:
    client = console.client()
    for path in ("/login", "/conversations/999"):
        reply = await client.get(path)
        assert "script-src 'self'" in reply.headers["content-security-policy"], path


# -- CSV formula injection ----------------------------------------------------------------


FORMULAS = {
    '=HYPERLINK("http://evil.example","click")': '\'=HYPERLINK("http://evil.example","click")',
    "+1+1": "'+1+1",
    "-2+3": "'-2+3",
    "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "\t=1+1": "'\t=1+1",
    "fine = not a formula": "fine = not a formula",
}


async def test_csv_export_defuses_formulas(console: Console, events: EventWriter) -> None:
    for n, text in enumerate(FORMULAS, start=1):
        events.session(f"f{n}")
        events.user(f"f{n}", text, "inform")
    console.index()
    admin = await console.logged_in("ada", "admin")

    reply = await admin.get("/export.csv")

    cells = [row[5] for row in csv.reader(io.StringIO(reply.text)) if row[4] == "patient"]
    assert sorted(cells) == sorted(FORMULAS.values())
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []
