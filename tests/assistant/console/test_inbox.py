"""The inbox through HTTP as a reviewer: what each row shows, every filter, sorting, paging,
and hostile or malformed query strings (always a page, never an error)."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Dict, List
from urllib.parse import parse_qs, quote

import pytest

from assistant.console.inbox import InboxFilters
from bench.console_harness import Console, ConsoleClient, EventWriter
from tests.assistant.console.builders import (
    escaped,
    one_transaction,
    pacific,
)

ROW = re.compile(r"<tr[^>]*>\s*<td class=\"nowrap\">.*?</tr>", re.S)
LINK = re.compile(r'href="/conversations/(\d+)"')
NOTICE = re.compile(r'<p class="notice" role="status">(.*?)</p>', re.S)
FIRST, PREVIOUS = "\u00ab First", "\u2039 Previous"
NEXT, LAST = "Next \u203a", "Last \u00bb"


def listed(page: str) -> List[int]:
    """Conversation ids in the order the inbox lists them."""
    return [int(i) for i in LINK.findall(page)]


def row_of(page: str, conversation_id: int) -> str:
    for row in ROW.findall(page):
        if f'href="/conversations/{conversation_id}"' in row:
            return row
    raise AssertionError(f"conversation {conversation_id} is not listed")


def notice(page: str) -> str:
    found = NOTICE.search(page)
    return found.group(1) if found else ""


pytestmark = pytest.mark.quick_startup


@pytest.fixture
async def reviewer(console: Console) -> ConsoleClient:
    return await console.logged_in("rita", "reviewer")


def seed(console: Console, events: EventWriter) -> None:
    """Six conversations, one trait each (ids in order):

    1 web, Nov 24 10:00, greet x2, later active again at 11:50 on the 26th
    2 sms, Nov 25 23:30 (the 26th in UTC), emergency
    3 web, Nov 26 00:30, handoff (action_handoff), request_human
    4 rest, Nov 26 09:00, callback request
    5 web, Nov 26 10:00, fallback, '50% off parking?' and 'my_file'
    6 web, Nov 26 11:00, four messages: '500 off' and 'myxfile'
    """
    with one_transaction(events) as w:
        w.at = pacific(2026, 11, 24, 10, 0)
        w.session("p1", "web")
        w.user("p1", "hello there", "greet")
        w.at = pacific(2026, 11, 25, 23, 30)
        w.session("p2", "sms")
        w.user("p2", "I can't breathe", "emergency", channel="sms")
        w.bot("p2", "Call 911 now.", "safety.emergency", emergency=True)
        w.at = pacific(2026, 11, 26, 0, 30)
        w.session("p3", "web")
        w.user("p3", "I want a person", "request_human")
        w.action("p3", "action_handoff")
        w.at = pacific(2026, 11, 26, 9, 0)
        w.session("p4", "rest")
        w.user("p4", "please call me back", "request_callback", channel="rest")
        w.callback("p4", "Pat", "+13105550123", "mornings", channel="rest")
        w.at = pacific(2026, 11, 26, 10, 0)
        w.session("p5", "web")
        w.user("p5", "50% off parking?", "nlu_fallback", 0.3)
        w.user("p5", "where is my_file", "ask_locations")
        w.at = pacific(2026, 11, 26, 11, 0)
        w.session("p6", "web")
        for text in ("500 off", "myxfile", "third", "fourth"):
            w.user("p6", text, "ask_dosing")
        w.at = pacific(2026, 11, 26, 11, 50)
        w.user("p1", "hello again", "greet")  # conversation 1 is the most recently active
    console.index()


async def ids(client: ConsoleClient, query: str) -> List[int]:
    reply = await client.get(f"/inbox?{query}")
    assert reply.status_code == 200, reply.text
    return listed(reply.text)


# -- rows ---------------------------------------------------------------------------------


async def test_row_shows_channel_start_turns_flags_and_first_message(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)

    page = (await reviewer.get("/inbox")).text

    assert "<strong>6</strong> conversations" in page
    emergency = row_of(page, 2)
    assert "<td>SMS</td>" in emergency
    assert "2026-11-25 23:30" in emergency
    assert '<td class="num">1</td>' in emergency
    assert 'class="badge emergency"' in emergency and 'class="is-emergency"' in emergency
    assert "I can&#39;t breathe" in emergency
    assert 'class="badge handoff"' in row_of(page, 3)
    callback = row_of(page, 4)
    assert "<td>REST</td>" in callback and 'class="badge callback"' in callback
    assert 'class="badge fallback"' in row_of(page, 5)
    busy = row_of(page, 6)
    assert '<td class="num">4</td>' in busy and "badge" not in busy
    assert "2026-11-24 10:00" in row_of(page, 1) and '<td class="num">2</td>' in row_of(page, 1)


async def test_first_message_is_masked_in_the_list(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    events.session("p")
    events.user("p", "call me on 310-555-0123 or pat@example.com", "request_callback")
    console.index()

    page = (await reviewer.get("/inbox")).text

    assert "310-555-0123" not in page and "pat@example.com" not in page
    assert "call me on •••-•••-0123 or p•••@example.com" in row_of(page, 1)


async def test_empty_inbox(reviewer: ConsoleClient) -> None:
    page = (await reviewer.get("/inbox")).text
    assert "No conversations match these filters." in page
    assert "<strong>0</strong> conversations" in page


# -- filters ------------------------------------------------------------------------------


FILTERED = {
    "": [6, 5, 4, 3, 2, 1],
    "from=2026-11-26": [6, 5, 4, 3],
    "to=2026-11-25": [2, 1],
    "from=2026-11-25&to=2026-11-25": [2],  # 23:30 Pacific is the 25th, not the 26th
    "from=2026-11-26&to=2026-11-26": [6, 5, 4, 3],
    "from=2026-11-27": [],
    "from=2026-11-26&to=2026-11-24": [],
    "channel=sms": [2],
    "channel=rest": [4],
    "channel=web": [6, 5, 3, 1],
    "channel=SMS": [2],
    "flag=emergency": [2],
    "flag=handoff": [3],
    "flag=callback": [4],
    "flag=fallback": [5],
    "intent=request_human": [3],
    "intent=greet": [1],
    "intent=ask_dosing": [6],
    "intent=no_such_intent": [],
    "q=breathe": [2],
    "q=BREATHE": [2],
    "q=hello+again": [1],
    "q=" + quote("50%"): [5],
    "q=" + quote("%"): [5],
    "q=my_file": [5],
    "q=_": [5],
    "q=off": [6, 5],
    "q=nothing+like+this": [],
    "channel=web&flag=fallback&from=2026-11-26": [5],
    "channel=web&flag=emergency": [],
}


async def test_filters(console: Console, events: EventWriter, reviewer: ConsoleClient) -> None:
    seed(console, events)

    found = {query: await ids(reviewer, query) for query in FILTERED}

    assert found == FILTERED


async def test_valid_filters_raise_no_notice(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    for query in FILTERED:
        assert notice((await reviewer.get(f"/inbox?{query}")).text) == "", query


async def test_tag_filter(console: Console, events: EventWriter, reviewer: ConsoleClient) -> None:
    seed(console, events)
    assert (
        await reviewer.post("/conversations/3/tags", {"tag": "Knowledge gap"})
    ).status_code == 302
    assert (await reviewer.post("/conversations/5/tags", {"tag": "parking"})).status_code == 302

    assert await ids(reviewer, "tag=knowledge+gap") == [3]
    assert await ids(reviewer, "tag=KNOWLEDGE+GAP") == [3]
    assert await ids(reviewer, "tag=parking") == [5]
    assert await ids(reviewer, "tag=unused") == []
    page = (await reviewer.get("/inbox")).text
    assert '<span class="tag">knowledge gap</span>' in row_of(page, 3)
    assert '<option value="knowledge gap">' in page and '<option value="parking">' in page


async def test_reviewed_filter(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    for conversation_id in (2, 4):
        reply = await reviewer.post(
            f"/conversations/{conversation_id}/reviewed", {"reviewed": "yes"}
        )
        assert reply.status_code == 302

    assert await ids(reviewer, "reviewed=yes") == [4, 2]
    assert await ids(reviewer, "reviewed=no") == [6, 5, 3, 1]
    assert 'class="badge reviewed"' in row_of((await reviewer.get("/inbox")).text, 4)

    await reviewer.post("/conversations/4/reviewed", {"reviewed": "no"})
    assert await ids(reviewer, "reviewed=yes") == [2]


async def test_search_matches_any_patient_message_not_bot_replies(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    assert await ids(reviewer, "q=third") == [6]
    assert await ids(reviewer, "q=call+911") == []  # a bot reply


async def test_search_in_unicode(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    events.session("p")
    events.user("p", "Ich habe ÜBELKEIT nach der Infusion 🤢", "ask_side_effects")
    events.session("q")
    events.user("q", "¿Dónde está la clínica?", "ask_locations")
    console.index()

    assert await ids(reviewer, "q=" + quote("übelkeit")) == [1]
    assert await ids(reviewer, "q=" + quote("🤢")) == [1]
    assert await ids(reviewer, "q=" + quote("CLÍNICA")) == [2]


# -- sorting ------------------------------------------------------------------------------


async def test_sorting(console: Console, events: EventWriter, reviewer: ConsoleClient) -> None:
    seed(console, events)

    found = {
        sort: await ids(reviewer, f"sort={sort}")
        for sort in ("newest", "oldest", "turns", "active")
    }

    assert found == {
        "newest": [6, 5, 4, 3, 2, 1],
        "oldest": [1, 2, 3, 4, 5, 6],
        "turns": [6, 5, 1, 4, 3, 2],  # 4, 2, 2, then one each (newest first among equals)
        "active": [1, 6, 5, 4, 3, 2],  # conversation 1 had the latest message
    }


# -- pages --------------------------------------------------------------------------------


def many(console: Console, events: EventWriter, count: int) -> None:
    with one_transaction(events) as writer:
        for n in range(1, count + 1):
            writer.session(f"patient-{n}")
            writer.user(f"patient-{n}", f"question number {n}", "ask_dosing")
    console.index()


def pager_links(page: str) -> Dict[str, str]:
    nav = page[page.index('<nav class="pager"') :]
    nav = nav[: nav.index("</nav>")]
    found = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)
    return {label: html.unescape(href) for href, label in found}


async def test_pages_of_fifty(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    assert console.app.ctx.settings.page_size == 50
    many(console, events, 120)

    first = (await reviewer.get("/inbox")).text
    assert listed(first) == list(range(120, 70, -1))
    assert "<strong>120</strong> conversations" in first
    assert "Page 1 of 3" in first
    assert pager_links(first) == {NEXT: "/inbox?page=2", LAST: "/inbox?page=3"}

    second = (await reviewer.get("/inbox?page=2")).text
    assert listed(second) == list(range(70, 20, -1))
    assert "Page 2 of 3" in second
    assert pager_links(second) == {
        FIRST: "/inbox?",
        PREVIOUS: "/inbox?",
        NEXT: "/inbox?page=3",
        LAST: "/inbox?page=3",
    }

    third = (await reviewer.get("/inbox?page=3")).text
    assert listed(third) == list(range(20, 0, -1))
    assert "Page 3 of 3" in third
    assert set(pager_links(third)) == {FIRST, PREVIOUS}


async def test_page_links_keep_the_filters(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    many(console, events, 120)

    page = (await reviewer.get("/inbox?sort=oldest&channel=web&q=question")).text

    assert listed(page)[:2] == [1, 2]
    links = pager_links(page)
    assert parse_qs(links[NEXT].split("?", 1)[1]) == {
        "channel": ["web"],
        "q": ["question"],
        "sort": ["oldest"],
        "page": ["2"],
    }


async def test_page_past_the_end_shows_the_last_page(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    many(console, events, 120)
    for page_number in ("3", "4", "99999999", "1000000", "9" * 40):
        reply = await reviewer.get(f"/inbox?page={page_number}")

        assert reply.status_code == 200, page_number
        assert listed(reply.text) == list(range(20, 0, -1)), page_number
        assert "Page 3 of 3" in reply.text, page_number
        assert notice(reply.text) == "", page_number


# -- hostile and malformed input ----------------------------------------------------------


IGNORED = {
    "page=abc": "page",
    "page=-1": "page",
    "page=1.5": "page",
    "page=" + quote("²"): "page",
    "page=" + quote("٣"): "page",
    "from=not-a-date": "from",
    "to=2026-02-30": "to",
    "from=26/11/2026": "from",
    "to=9999-12-31": "to",  # the day after does not exist
    "from=0001-01-01": "from",
    "channel=" + quote("<script>alert(1)</script>"): "channel",
    "channel=email": "channel",
    "sort=" + quote("DROP TABLE console_conversations;--"): "sort",
    "sort=id": "sort",
    "flag=x": "flag",
    "flag=reviewed": "flag",
    "reviewed=maybe": "reviewed",
}


async def test_bad_values_are_ignored_with_a_notice(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    for query, ignored in IGNORED.items():
        reply = await reviewer.get(f"/inbox?{query}")

        assert reply.status_code == 200, query
        assert f"ignored {ignored}" in notice(reply.text), query
        assert listed(reply.text) == [6, 5, 4, 3, 2, 1], query  # as if it had not been given
        assert "<script>" not in reply.text, query


ODD = [
    "channel=sms&channel=web",
    "page=1&page=2",
    "q=" + quote("ünïcødé 🚑 \u202e \x00"),
    "q=" + "x" * 10_000,
    "q=" + quote("' OR 1=1 --"),
    "intent=" + quote("'; DROP TABLE events; --"),
    "tag=" + quote("<b>bold</b>") + "&tag=other",
    "from=" + "9" * 500,
    "page=0",
    "unknown=parameter",
    "q=",
    "q=%25%25%25",
    "q=%5C",
]


async def test_odd_queries_never_crash(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    for query in ODD:
        reply = await reviewer.get(f"/inbox?{query}")

        assert reply.status_code == 200, query
        assert "<h1>Inbox</h1>" in reply.text, query
        assert "<b>bold</b>" not in reply.text, query


async def test_repeated_parameters_use_the_first(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    assert await ids(reviewer, "channel=sms&channel=web") == [2]


async def test_very_long_search_is_cut_to_a_hundred_characters(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    page = (await reviewer.get("/inbox?q=" + "y" * 5000)).text
    assert 'value="' + "y" * 100 + '"' in page
    assert "y" * 101 not in page


async def test_ignored_value_is_shown_escaped(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)
    page = (await reviewer.get("/inbox?channel=" + quote('"><img src=x onerror=alert(1)>'))).text
    assert "<img src=x" not in page
    assert escaped('"><img src=x onerror=alert(1)>') in page


# -- InboxFilters -------------------------------------------------------------------------


def test_parse_defaults() -> None:
    filters = InboxFilters.parse({})
    assert filters == InboxFilters()
    assert (filters.sort, filters.page, filters.problems) == ("newest", 1, ())
    assert filters.query_string() == ""


def test_parse_reads_every_filter() -> None:
    filters = InboxFilters.parse(
        {
            "from": ["2026-11-01"],
            "to": ["2026-11-30"],
            "channel": ["SMS"],
            "flag": [" Emergency "],
            "intent": ["ask_dosing"],
            "tag": ["Knowledge Gap"],
            "reviewed": ["no"],
            "q": ["  side effects  "],
            "sort": ["turns"],
            "page": ["3"],
        }
    )
    assert filters == InboxFilters(
        date_from=date(2026, 11, 1),
        date_to=date(2026, 11, 30),
        channel="sms",
        flag="emergency",
        intent="ask_dosing",
        tag="knowledge gap",
        reviewed="no",
        q="side effects",
        sort="turns",
        page=3,
    )
    assert filters.problems == ()


def test_parse_accepts_plain_strings_and_lists() -> None:
    assert InboxFilters.parse({"channel": "web"}).channel == "web"
    assert InboxFilters.parse({"channel": ["web", "sms"]}).channel == "web"
    assert InboxFilters.parse({"channel": []}).channel == ""


def test_parse_reports_each_problem_and_keeps_the_rest() -> None:
    filters = InboxFilters.parse(
        {
            "from": ["yesterday"],
            "channel": ["fax"],
            "flag": ["x"],
            "sort": ["DROP TABLE"],
            "page": ["abc"],
            "q": ["kept"],
        }
    )
    assert (filters.date_from, filters.channel, filters.flag, filters.sort, filters.page) == (
        None,
        "",
        "",
        "newest",
        1,
    )
    assert filters.q == "kept"
    assert [re.findall(r"^ignored (\w+)", p)[0] for p in filters.problems] == [
        "from",
        "page",
        "channel",
        "flag",
        "sort",
    ]


def test_parse_ignores_dates_at_the_ends_of_the_calendar() -> None:
    filters = InboxFilters.parse({"from": ["0001-01-01"], "to": ["9999-12-31"]})
    assert (filters.date_from, filters.date_to) == (None, None)
    assert len(filters.problems) == 2
    kept = InboxFilters.parse({"from": ["1970-01-01"], "to": ["9998-12-31"]})
    assert (kept.date_from, kept.date_to) == (date(1970, 1, 1), date(9998, 12, 31))


def test_parse_limits_lengths_and_pages() -> None:
    filters = InboxFilters.parse(
        {"q": ["q" * 500], "intent": ["i" * 500], "tag": ["T" * 100], "page": ["12345678901234"]}
    )
    assert filters.q == "q" * 100
    assert filters.intent == "i" * 255
    assert filters.tag == "t" * 40
    assert filters.page == 10**6
    assert filters.problems == ()


def test_query_string_round_trips() -> None:
    filters = InboxFilters(
        date_from=date(2026, 11, 1),
        channel="web",
        flag="fallback",
        intent="ask_dosing",
        tag="knowledge gap",
        reviewed="yes",
        q="50% & more_than = ?",
        sort="oldest",
        page=4,
    )
    assert InboxFilters.parse(parse_qs(filters.query_string())) == filters


def test_query_string_changes_and_leaves_out_defaults() -> None:
    filters = InboxFilters(channel="sms", page=3)
    assert filters.query_string() == "channel=sms&page=3"
    assert filters.query_string(page=1) == "channel=sms"
    assert filters.query_string(page=2, sort="turns") == "channel=sms&sort=turns&page=2"
    assert filters.params(channel="") == {"page": "3"}
    assert filters.page == 3  # the filters themselves are unchanged


async def test_looking_a_patient_up_by_phone_number_is_audited(
    console: Console, events: EventWriter
) -> None:
    events.session("web-lookup")
    events.user("web-lookup", "please call 310-555-0166", "request_callback")
    console.index()
    reviewer = await console.logged_in("rev-lookup")
    page = (await reviewer.get("/inbox?q=310-555-0166")).text
    assert "/conversations/1" in page
    rows = console.audit_rows("search_contact")
    assert len(rows) == 1 and rows[0].actor == "rev-lookup"
    assert "0166" in rows[0].detail and "310-555-0166" not in rows[0].detail
    await reviewer.get("/inbox?q=side+effects")  # an ordinary search is not a lookup
    assert len(console.audit_rows("search_contact")) == 1
