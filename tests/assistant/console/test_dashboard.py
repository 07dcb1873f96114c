"""The dashboard's figures for a known set of conversations (on the page and from
``dashboard()``), its date range handling, and the SVG chart geometry."""

from __future__ import annotations

import re
from datetime import date

import pytest

from assistant.console.charts import _nice_max, bar_chart, column_chart
from assistant.console.dashboard import dashboard
from bench.console_harness import Console, ConsoleClient, EventWriter
from tests.assistant.console.builders import PACIFIC, one_transaction, pacific

NOTICE = re.compile(r'<p class="notice" role="status">(.*?)</p>', re.S)


def per_day_svg(page: str) -> str:
    """The first chart on the page: conversations per day."""
    return page[page.index('<svg class="chart"') : page.index("</svg>")]


pytestmark = pytest.mark.quick_startup


@pytest.fixture
async def reviewer(console: Console) -> ConsoleClient:
    return await console.logged_in("rita", "reviewer")


def seed(console: Console, events: EventWriter) -> None:
    """Four conversations in the last 30 days (to Nov 26) and one long before:

    Nov 24 web   greet, ask_dosing
    Nov 25 sms   emergency (23:30 Pacific, already Nov 26 in UTC), handed off
    Nov 26 web   'Where do I park?' (nlu_fallback), greet
    Nov 26 web   'where do I PARK' (out_of_scope), 'Call me on 310-555-0123' (0.3), thank;
                 a callback request
    Oct 1  web   emergency (outside the default range)

    8 patient messages in range, 3 missed: fallback rate 37.5 %; 1 handoff in 4: 25.0 %.
    """
    with one_transaction(events) as w:
        w.at = pacific(2026, 10, 1, 9, 0)
        w.session("old")
        w.user("old", "chest pain", "emergency")
        w.at = pacific(2026, 11, 24, 10, 0)
        w.session("a")
        w.user("a", "hi", "greet")
        w.user("a", "how much do I take", "ask_dosing")
        w.at = pacific(2026, 11, 25, 23, 30)
        w.session("b", "sms")
        w.user("b", "I can't breathe", "emergency", channel="sms")
        w.bot("b", "Call 911.", "safety.emergency", emergency=True)
        w.action("b", "action_handoff")
        w.at = pacific(2026, 11, 26, 8, 0)
        w.session("c")
        w.user("c", "Where do I park?", "nlu_fallback", 0.9)
        w.user("c", "hello", "greet")
        w.at = pacific(2026, 11, 26, 9, 0)
        w.session("d")
        w.user("d", "where do I PARK", "out_of_scope", 0.8)
        w.user("d", "Call me on 310-555-0123", "request_callback", 0.3)
        w.user("d", "thanks", "thank")
        w.callback("d", "Dee", "+13105550123", "noon")
    console.index()


EXPECTED_INTENTS = [
    ("greet", 2),
    ("ask_dosing", 1),
    ("emergency", 1),
    ("nlu_fallback", 1),
    ("out_of_scope", 1),
    ("request_callback", 1),
    ("thank", 1),
]
# The unanswered questions grouped by topic: (count, label), largest group first.
EXPECTED_UNANSWERED = [(2, "where do i park"), (1, "call me on •••-•••-0123")]


def test_dashboard_figures(console: Console, events: EventWriter) -> None:
    seed(console, events)

    figures = console.db.call(dashboard, date(2026, 10, 28), date(2026, 11, 26), PACIFIC)

    assert figures.conversations == 4
    assert (figures.messages, figures.missed_messages) == (8, 3)
    assert figures.fallback_rate == pytest.approx(3 / 8)
    assert (figures.handoffs, figures.handoff_rate) == (1, pytest.approx(0.25))
    assert (figures.emergencies, figures.callbacks) == (1, 1)
    assert len(figures.per_day) == 30
    assert figures.per_day[0] == ("2026-10-28", 0, 0)
    assert figures.per_day[-3:] == [
        ("2026-11-24", 1, 0),
        ("2026-11-25", 1, 1),
        ("2026-11-26", 2, 0),
    ]
    assert sum(n for _, n, _ in figures.per_day) == 4
    assert figures.top_intents == EXPECTED_INTENTS


def test_dashboard_for_one_day_and_for_a_wider_range(console: Console, events: EventWriter) -> None:
    seed(console, events)

    one_day = console.db.call(dashboard, date(2026, 11, 25), date(2026, 11, 25), PACIFIC)
    wider = console.db.call(dashboard, date(2026, 10, 1), date(2026, 11, 26), PACIFIC)

    assert (one_day.conversations, one_day.emergencies, one_day.handoffs) == (1, 1, 1)
    assert one_day.per_day == [("2026-11-25", 1, 1)]
    assert one_day.top_intents == [("emergency", 1)]
    assert one_day.fallback_rate == 0.0
    assert (wider.conversations, wider.emergencies) == (5, 2)
    assert wider.per_day[0] == ("2026-10-01", 1, 1)


def test_empty_dashboard(console: Console) -> None:
    figures = console.db.call(dashboard, date(2026, 11, 1), date(2026, 11, 26), PACIFIC)

    assert (figures.conversations, figures.messages, figures.emergencies) == (0, 0, 0)
    assert (figures.fallback_rate, figures.handoff_rate) == (0.0, 0.0)
    assert figures.top_intents == []
    assert len(figures.per_day) == 26


async def test_dashboard_page(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)

    reply = await reviewer.get("/dashboard")

    assert reply.status_code == 200
    page = reply.text
    kpis = page[page.index('<section class="kpis"') : page.index("</section>")]
    values = re.findall(r'<span class="value">([^<]+)</span><span class="label">([^<]+)', kpis)
    assert [v for v, _ in values] == ["4", "37.5 %", "25.0 %", "1", "1"]
    assert 'value="2026-10-28"' in page and 'value="2026-11-26"' in page
    for day, n, e in [("2026-11-24", 1, 0), ("2026-11-25", 1, 1), ("2026-11-26", 2, 0)]:
        assert f'<tr><td>{day}</td><td class="num">{n}</td><td class="num">{e}</td></tr>' in page
    assert "<title>2026-11-25: 1 conversations, 1 with an emergency</title>" in page
    labels = re.findall(r'class="label" text-anchor="end">([^<]+)</text>', page)
    assert labels == [intent for intent, _ in EXPECTED_INTENTS]
    unanswered = re.findall(
        r'<span class="topic-count">(\d+)</span> <strong class="topic-label">([^<]+)</strong>', page
    )
    assert [(int(n), q) for n, q in unanswered] == EXPECTED_UNANSWERED
    assert "310-555-0123" not in page
    assert 'href="/inbox?flag=fallback&amp;from=2026-10-28&amp;to=2026-11-26"' in page


async def test_dashboard_page_has_svg_charts(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)

    page = (await reviewer.get("/dashboard")).text

    assert page.count('<svg class="chart"') == 2
    per_day = per_day_svg(page)
    assert per_day.count('class="bar"/>') == 30  # one bar per day, empty days too
    assert per_day.count('class="bar alert"/>') == 1  # the emergency on the 25th
    assert 'role="img" aria-labelledby="per-day"' in per_day


async def test_dashboard_date_range_from_the_query(
    console: Console, events: EventWriter, reviewer: ConsoleClient
) -> None:
    seed(console, events)

    page = (await reviewer.get("/dashboard?from=2026-11-26&to=2026-11-26")).text

    assert '<span class="value">2</span><span class="label">conversations' in page
    assert per_day_svg(page).count('class="bar"/>') == 1
    swapped = (await reviewer.get("/dashboard?from=2026-11-26&to=2026-11-24")).text
    assert 'value="2026-11-24"' in swapped and 'value="2026-11-26"' in swapped
    assert '<span class="value">4</span><span class="label">conversations' in swapped


async def test_dashboard_range_is_at_most_a_year(console: Console, reviewer: ConsoleClient) -> None:
    page = (await reviewer.get("/dashboard?from=2000-01-01&to=2026-11-26")).text

    assert 'value="2025-11-26"' in page  # 366 days, ending on the 26th
    assert per_day_svg(page).count('class="bar"/>') == 366


@pytest.mark.parametrize(
    "query",
    [
        "from=not-a-date",
        "to=2026-13-01",
        "from=2026-02-30&to=yesterday",
        "from=" + "9" * 300,
        "from=0001-01-01",
        "to=9999-12-31",
        "from=9999-12-31",
        "to=0001-01-01&from=0001-01-01",
    ],
)
async def test_malformed_dates_do_not_crash(
    console: Console, events: EventWriter, reviewer: ConsoleClient, query: str
) -> None:
    seed(console, events)

    reply = await reviewer.get(f"/dashboard?{query}")

    assert reply.status_code == 200
    assert "ignored" in NOTICE.search(reply.text).group(1)  # type: ignore[union-attr]
    assert '<span class="value">4</span><span class="label">conversations' in reply.text


# -- charts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "nice"),
    [(0, 1), (-3, 1), (1, 1), (2, 2), (3, 5), (5, 5), (6, 10), (10, 10), (11, 20), (99, 100)],
)
def test_nice_axis_max(value: int, nice: int) -> None:
    assert _nice_max(value) == nice
    assert _nice_max(123_456) == 200_000


def test_column_chart_bars_scale_to_the_axis_max() -> None:
    chart = column_chart([("a", 10, 0), ("b", 5, 2), ("c", 0, 0)], width=340, height=232)

    plot_h = 232 - 24 - 8
    assert chart.max_value == 10
    a, b, c = chart.bars
    assert (a.height, b.height, c.height) == (plot_h, plot_h / 2, 0)
    assert b.highlight_height == pytest.approx(plot_h * 2 / 10)
    for bar in chart.bars:
        assert bar.y + bar.height == pytest.approx(8 + plot_h)  # every bar stands on the axis
    assert [bar.x for bar in chart.bars] == pytest.approx([50.0, 150.0, 250.0])
    assert all(bar.width == pytest.approx(80.0) for bar in chart.bars)
    assert [bar.label for bar in chart.bars] == ["a", "b", "c"]


def test_column_chart_highlight_never_exceeds_the_bar() -> None:
    (bar,) = column_chart([("a", 3, 7)]).bars
    assert bar.highlight_height == pytest.approx(bar.height)


def test_column_chart_ticks_sit_at_their_values() -> None:
    for top in (1, 2, 5, 7, 10, 37):
        chart = column_chart([("a", top, 0)])
        plot_h = chart.height - 24 - 8
        values = [v for _, v in chart.ticks]
        assert values[0] == 0 and values[-1] == chart.max_value, top
        assert values == sorted(set(values)), top
        for y, value in chart.ticks:
            assert y == pytest.approx(8 + plot_h - plot_h * value / chart.max_value), (top, value)


def test_column_chart_of_nothing() -> None:
    empty = column_chart([])
    assert empty.bars == [] and empty.max_value == 1
    zeros = column_chart([("a", 0, 0), ("b", 0, 0)])
    assert zeros.max_value == 1 and all(bar.height == 0 for bar in zeros.bars)


def test_bar_chart_bars_scale_to_the_axis_max() -> None:
    chart = bar_chart([("greet", 20), ("ask_dosing", 5)], width=720, row=26)

    plot_w = 720 - 230 - 60
    assert chart.max_value == 20
    greet, dosing = chart.bars
    assert (greet.width, dosing.width) == (plot_w, plot_w / 4)
    assert (greet.x, greet.y, dosing.y) == (230, 4, 30)
    assert greet.height == dosing.height == 18
    assert chart.height == 2 * 26 + 4
    assert (greet.label, greet.value) == ("greet", 20)


def test_bar_chart_of_nothing() -> None:
    chart = bar_chart([])
    assert chart.bars == [] and chart.max_value == 1 and chart.height == 26 + 4
