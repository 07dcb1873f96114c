"""100,000 conversations (90 days of synthetic traffic): the index is complete, the inbox
pages, filters and sorts them correctly, and its queries are answered from indexes.

The corpus is written and indexed once for the module (about two minutes on two cores).
Nothing here is timed; bench/console_bench.py measures speed.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, List, Mapping, Sequence, Tuple
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assistant.console.app import public_numbers
from assistant.console.database import Database
from assistant.console.inbox import InboxFilters, inbox_page
from assistant.console.indexer import Indexer
from assistant.console.masking import Masker
from assistant.console.sample_corpus import write_sample_corpus
from bench.console_harness import ConsoleClient, ManualClock, running_console

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
COUNT = 100_000
DAYS = 90
PAGE_SIZE = 50
NOW = 1795723200.0  # 2026-11-26 12:00 Pacific, the corpus's "now"
TZ = ZoneInfo("America/Los_Angeles")
TOTAL = re.compile(r"<strong>([\d,]+)</strong> conversations?")
ROW_LINK = re.compile(r'<td><a href="/conversations/(\d+)">')
PAGE_OF = re.compile(r"<span>Page ([\d,]+) of ([\d,]+)</span>")
_users = itertools.count(1)


@dataclass(frozen=True)
class Corpus:
    db_url: str
    engine: Engine


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    path = tmp_path_factory.mktemp("scale") / "tracker.db"
    db = Database.connect(f"sqlite:///{path}")
    assert write_sample_corpus(db.engine, COUNT, days=DAYS, now=NOW) == COUNT
    masker = Masker.allowing(public_numbers(ROOT / "data" / "knowledge"))
    indexer = Indexer(TZ, masker, batch_size=20_000, clock=lambda: NOW + 3600)
    assert indexer.catch_up(db.engine) > COUNT
    try:
        yield Corpus(f"sqlite:///{path}", db.engine)
    finally:
        db.close()


def scalar(engine: Engine, sql: str, **binds: Any) -> Any:
    with engine.begin() as connection:
        return connection.execute(sa.text(sql), binds).scalar()


def ids(engine: Engine, sql: str, **binds: Any) -> List[int]:
    with engine.begin() as connection:
        return [int(r[0]) for r in connection.execute(sa.text(sql), binds)]


def count_where(engine: Engine, where: str, **binds: Any) -> int:
    """Conversations matching a SQL condition written in this module (never user input)."""
    sql = f"SELECT count(*) FROM console_conversations WHERE {where}"  # noqa: S608
    return int(scalar(engine, sql, **binds))


def midnight(day: date) -> float:
    return datetime.combine(day, time.min, tzinfo=TZ).timestamp()


@contextlib.asynccontextmanager
async def reviewer(corpus: Corpus) -> AsyncIterator[ConsoleClient]:
    """A logged-in reviewer on the console over the corpus (its clock at the corpus's now)."""
    async with running_console(corpus.db_url, ManualClock(NOW)) as console:
        yield await console.logged_in(f"scale.reviewer{next(_users)}")


@dataclass(frozen=True)
class InboxView:
    total: int
    page: int
    pages: int
    ids: List[int]
    html: str


async def inbox(client: ConsoleClient, params: Mapping[str, str]) -> InboxView:
    reply = await client.get("/inbox", params=dict(params))
    assert reply.status_code == 200, (params, reply.status_code)
    html = reply.text
    total = TOTAL.search(html)
    assert total, html[-2000:]
    shown = [int(i) for i in ROW_LINK.findall(html)]
    paging = PAGE_OF.search(html)
    page, pages = (
        (int(paging.group(1).replace(",", "")), int(paging.group(2).replace(",", "")))
        if paging
        else (1, 1)
    )
    return InboxView(int(total.group(1).replace(",", "")), page, pages, shown, html)


def test_the_index_holds_every_conversation_once(corpus: Corpus) -> None:
    engine = corpus.engine
    assert scalar(engine, "SELECT count(*) FROM console_conversations") == COUNT
    assert scalar(engine, "SELECT count(DISTINCT sender_id) FROM console_conversations") == COUNT
    assert scalar(engine, "SELECT count(DISTINCT sender_id) FROM events") == COUNT
    # Every event belongs to exactly one indexed conversation's id range.
    covered = scalar(
        engine, "SELECT sum(last_event_id - first_event_id + 1) FROM console_conversations"
    )
    assert covered == scalar(engine, "SELECT count(*) FROM events")
    first, last = (
        scalar(engine, "SELECT min(started_at) FROM console_conversations"),
        scalar(engine, "SELECT max(started_at) FROM console_conversations"),
    )
    assert NOW - DAYS * 86400 <= first < last <= NOW


async def test_paging_through_100k(corpus: Corpus) -> None:
    newest = "SELECT id FROM console_conversations ORDER BY started_at DESC, id DESC"
    async with reviewer(corpus) as client:
        first = await inbox(client, {})
        assert (first.total, first.page, first.pages) == (COUNT, 1, COUNT // PAGE_SIZE)
        assert "100,000</strong> conversations" in first.html
        assert first.ids == ids(corpus.engine, f"{newest} LIMIT {PAGE_SIZE}")

        middle = await inbox(client, {"page": "1000"})
        assert (middle.total, middle.page) == (COUNT, 1000)
        assert middle.ids == ids(corpus.engine, f"{newest} LIMIT {PAGE_SIZE} OFFSET 49950")

        last = await inbox(client, {"page": str(COUNT // PAGE_SIZE)})
        assert last.page == last.pages == 2000
        assert last.ids == ids(corpus.engine, f"{newest} LIMIT {PAGE_SIZE} OFFSET 99950")

        huge = await inbox(client, {"page": "999999"})  # clamped to the last page
        assert (huge.page, huge.pages, huge.ids) == (2000, 2000, last.ids)
        assert 'rel="next"' not in huge.html and 'rel="prev"' in huge.html

        longer = await inbox(client, {"page": "1" + "0" * 12})  # any number: the last page
        assert (longer.page, longer.ids) == (2000, last.ids)

        nonsense = await inbox(client, {"page": "last"})  # not a number: page 1, said so
        assert nonsense.page == 1 and nonsense.ids == first.ids
        assert "ignored page" in nonsense.html

    for view in (first, middle, last, huge):
        assert len(view.ids) == PAGE_SIZE == len(set(view.ids))
    assert not set(first.ids) & set(middle.ids) and not set(middle.ids) & set(last.ids)


DATE_FROM, DATE_TO = date(2026, 10, 1), date(2026, 10, 7)
# (inbox query parameters, the same selection in SQL on console_conversations, its binds)
FILTERS: List[Tuple[Dict[str, str], str, Dict[str, Any]]] = [
    ({"channel": "sms"}, "channel = :v", {"v": "sms"}),
    ({"channel": "rest"}, "channel = :v", {"v": "rest"}),
    ({"flag": "emergency"}, "emergency = 1", {}),
    ({"flag": "fallback"}, "fallback = 1", {}),
    ({"flag": "callback"}, "callback = 1", {}),
    ({"flag": "handoff"}, "handoff = 1", {}),
    (
        {"intent": "ask_dosing"},
        "id IN (SELECT conversation_id FROM console_conversation_intents WHERE intent = :v)",
        {"v": "ask_dosing"},
    ),
    ({"q": "Parking Validation"}, "search_text LIKE :v", {"v": "%parking validation%"}),
    ({"q": "my throat"}, "search_text LIKE :v", {"v": "%my throat%"}),
    (
        {"from": DATE_FROM.isoformat(), "to": DATE_TO.isoformat()},
        "started_at >= :a AND started_at < :b",
        {"a": midnight(DATE_FROM), "b": midnight(DATE_TO + timedelta(days=1))},
    ),
    ({"reviewed": "no"}, "reviewed = 0", {}),
    (
        {"channel": "web", "flag": "fallback", "intent": "greet", "sort": "oldest"},
        "channel = 'web' AND fallback = 1 AND id IN "
        "(SELECT conversation_id FROM console_conversation_intents WHERE intent = 'greet')",
        {},
    ),
]


@pytest.mark.parametrize(("params", "where", "binds"), FILTERS, ids=[str(f[0]) for f in FILTERS])
async def test_filters_count_what_sql_counts(
    corpus: Corpus, params: Dict[str, str], where: str, binds: Dict[str, Any]
) -> None:
    expected = count_where(corpus.engine, where, **binds)
    assert 0 < expected <= COUNT, "the corpus should exercise this filter"
    async with reviewer(corpus) as client:
        view = await inbox(client, params)
        assert "ignored" not in view.html
    assert view.total == expected
    assert view.pages == max(1, -(-expected // PAGE_SIZE))
    assert len(view.ids) == min(PAGE_SIZE, expected)
    listed = ", ".join(str(i) for i in view.ids)
    matching = count_where(corpus.engine, f"({where}) AND id IN ({listed})", **binds)
    assert matching == len(view.ids), "every listed conversation matches the filter"


def test_date_range_agrees_with_the_indexed_local_day(corpus: Corpus) -> None:
    by_day = scalar(
        corpus.engine,
        "SELECT count(*) FROM console_conversations WHERE started_day BETWEEN :a AND :b",
        a=DATE_FROM.isoformat(),
        b=DATE_TO.isoformat(),
    )
    by_time = scalar(
        corpus.engine,
        "SELECT count(*) FROM console_conversations WHERE started_at >= :a AND started_at < :b",
        a=midnight(DATE_FROM),
        b=midnight(DATE_TO + timedelta(days=1)),
    )
    assert by_day == by_time > 0


SORTS: Dict[str, str] = {
    "newest": "started_at DESC, id DESC",
    "oldest": "started_at ASC, id ASC",
    "active": "last_at DESC, id DESC",
    "turns": "turns DESC, started_at DESC",
}


async def test_sorting(corpus: Corpus) -> None:
    async with reviewer(corpus) as client:
        views = {sort: await inbox(client, {"sort": sort}) for sort in SORTS}
        sms_oldest = await inbox(client, {"sort": "oldest", "channel": "sms"})
    for sort, order in SORTS.items():
        expected = ids(
            corpus.engine,
            f"SELECT id FROM console_conversations ORDER BY {order} LIMIT 50",  # noqa: S608
        )
        assert views[sort].ids == expected, sort
    oldest_id = views["oldest"].ids[0]
    started = scalar(
        corpus.engine, "SELECT started_at FROM console_conversations WHERE id = :i", i=oldest_id
    )
    assert started == scalar(corpus.engine, "SELECT min(started_at) FROM console_conversations")
    assert views["newest"].ids[0] != oldest_id
    most = scalar(
        corpus.engine,
        "SELECT turns FROM console_conversations WHERE id = :i",
        i=views["turns"].ids[0],
    )
    assert most == scalar(corpus.engine, "SELECT max(turns) FROM console_conversations")
    assert sms_oldest.ids == ids(
        corpus.engine,
        "SELECT id FROM console_conversations WHERE channel = 'sms' "
        "ORDER BY started_at, id LIMIT 50",
    )


def inbox_statements(engine: Engine, params: Mapping[str, str]) -> List[Tuple[str, Sequence[Any]]]:
    """The SQL (with its parameters) that the inbox handler runs for ``params``."""
    seen: List[Tuple[str, Sequence[Any]]] = []

    def grab(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool
    ) -> None:
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", grab)
    try:
        with engine.begin() as connection:
            inbox_page(connection, InboxFilters.parse(dict(params)), TZ, PAGE_SIZE)
    finally:
        sa.event.remove(engine, "before_cursor_execute", grab)
    return seen


def query_plan(engine: Engine, statement: str, parameters: Sequence[Any]) -> List[str]:
    with engine.begin() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", tuple(parameters))
        return [str(r[-1]) for r in rows]


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({}, "ix_console_conv_started"),
        ({"sort": "oldest"}, "ix_console_conv_started"),
        ({"sort": "active"}, "ix_console_conv_last"),
        ({"sort": "turns"}, "ix_console_conv_turns"),
        ({"channel": "sms"}, "ix_console_conv_channel"),
        ({"channel": "sms", "sort": "oldest"}, "ix_console_conv_channel"),
        ({"page": "1000"}, "ix_console_conv_started"),
        ({"from": "2026-10-01", "to": "2026-10-07"}, "ix_console_conv_started"),
        ({"feedback": "not_helpful"}, "ix_console_conv_started"),
    ],
    ids=str,
)
def test_inbox_query_is_ordered_by_an_index(
    corpus: Corpus, params: Dict[str, str], index: str
) -> None:
    statements = inbox_statements(corpus.engine, params)
    pages = [(s, p) for s, p in statements if "ORDER BY" in s and "LIMIT" in s]
    assert len(pages) == 1, statements
    plan = query_plan(corpus.engine, *pages[0])
    assert not any("TEMP B-TREE" in line for line in plan), plan
    on_table = [line for line in plan if re.search(r"\bconsole_conversations\b", line)]
    assert on_table, plan
    for line in on_table:  # never a plain table scan (one that would need sorting)
        assert re.search(r"USING (COVERING )?INDEX|INTEGER PRIMARY KEY", line), plan
    assert any(index in line for line in on_table), plan
    counts = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT COUNT")]
    assert len(counts) == 1, statements
    count_plan = query_plan(corpus.engine, *counts[0])
    assert not any("TEMP B-TREE" in line for line in count_plan), count_plan
