"""The inbox: filters read from the query string, and the page of conversations they select.

Every filter is checked; a value that does not parse is dropped and reported, never an error
page. Sorting uses indexed columns and the page number is clamped to the last page, so a
huge page number shows the last page.

The search (``q``) looks in each conversation's ``search_text``: the patient's messages
masked as the transcript shows them, and folded (lower case, no accents).
``InboxFilters.masked`` masks the query the same way, so a whole phone number finds the
conversations showing its masked form, and part of one finds nothing; the query is folded
too, so "inmunoterapía" finds "inmunoterapia" and "Qué" finds "que".

``lang`` selects the conversations in one language (``console_conversations.language``).

``feedback`` selects the conversations where a patient rated an answer (``not_helpful``,
``helpful`` or ``any``), optionally only ratings of one knowledge entry (``entry``); an
``entry`` alone means any rating of that entry. Rows with a "not helpful" rating are marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Dict, FrozenSet, List, Mapping, Optional, Tuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.console.masking import Masker
from assistant.console.numbers import is_ascii_number, parse_small_int
from assistant.dialogue_names import CHANNELS, HELPFUL, LANGUAGES, NOT_HELPFUL
from assistant.feedback import ENTRY_MAX_CHARS
from assistant.language.folding import fold_accents

# The conversation flags (console_conversations columns) the inbox filters on.
FLAGS = ("emergency", "handoff", "callback", "fallback")
SORTS = ("newest", "oldest", "turns", "active")
# Patient ratings of answers (console_feedback) the inbox filters on; "any" is any rating.
FEEDBACK_FILTERS = (NOT_HELPFUL, HELPFUL, "any")
MAX_QUERY_CHARS = 100
MAX_PAGE = 10**6
c = schema.conversations.c
_ORDER = {
    "newest": (c.started_at.desc(), c.id.desc()),
    "oldest": (c.started_at.asc(), c.id.asc()),
    "turns": (c.turns.desc(), c.started_at.desc()),
    "active": (c.last_at.desc(), c.id.desc()),
}


def _first(args: Mapping[str, object], name: str) -> str:
    """One query parameter as text ('' when absent); Sanic gives lists."""
    value = args.get(name)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return str(value or "").strip()


def _date(text: str) -> Optional[date]:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    # Not near date.min/max: a day is widened by a day (inbox) or a year (dashboard).
    return day if 1970 <= day.year < 9999 else None


@dataclass(frozen=True)
class InboxFilters:
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    channel: str = ""
    lang: str = ""  # "", or one of LANGUAGES
    flag: str = ""
    intent: str = ""
    tag: str = ""
    reviewed: str = ""  # "", "yes", "no"
    q: str = ""
    feedback: str = ""  # "", or one of FEEDBACK_FILTERS
    entry: str = ""  # only ratings of this knowledge entry
    sort: str = "newest"
    page: int = 1
    problems: Tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, args: Mapping[str, object]) -> InboxFilters:
        problems: List[str] = []

        def pick(name: str, allowed: Tuple[str, ...], default: str = "") -> str:
            value = _first(args, name).lower()
            if value and value not in allowed:
                problems.append(f"ignored {name}={value[:40]!r}")
                return default
            return value or default

        dates: Dict[str, Optional[date]] = {}
        for name in ("from", "to"):
            text = _first(args, name)
            dates[name] = _date(text) if text else None
            if text and dates[name] is None:
                problems.append(f"ignored {name}: dates are written YYYY-MM-DD")
        page_text = _first(args, "page") or "1"
        is_number = is_ascii_number(page_text)
        parsed = parse_small_int(page_text, 7)
        page = (MAX_PAGE if parsed is None else parsed) if is_number else 1  # huge: last page
        if not is_number:
            problems.append("ignored page: not a page number")
        return cls(
            date_from=dates["from"],
            date_to=dates["to"],
            channel=pick("channel", CHANNELS),
            lang=pick("lang", LANGUAGES),
            flag=pick("flag", FLAGS),
            intent=_first(args, "intent")[:255],
            tag=_first(args, "tag").lower()[:40],
            reviewed=pick("reviewed", ("yes", "no")),
            q=_first(args, "q")[:MAX_QUERY_CHARS],
            feedback=pick("feedback", FEEDBACK_FILTERS),
            entry=_first(args, "entry")[:ENTRY_MAX_CHARS],
            sort=pick("sort", SORTS, "newest"),
            page=max(1, min(page, MAX_PAGE)),
            problems=tuple(problems),
        )

    def masked(self, masker: Masker) -> InboxFilters:
        """These filters with the search masked like the search text (and the transcript)."""
        return replace(self, q=masker.mask(self.q)) if self.q else self

    def params(self, **changes: object) -> Dict[str, str]:
        """The filters as query parameters (empty ones left out), with ``changes`` applied."""
        current = replace(self, **changes)  # type: ignore[arg-type]
        values = {
            "from": current.date_from.isoformat() if current.date_from else "",
            "to": current.date_to.isoformat() if current.date_to else "",
            "channel": current.channel,
            "lang": current.lang,
            "flag": current.flag,
            "intent": current.intent,
            "tag": current.tag,
            "reviewed": current.reviewed,
            "q": current.q,
            "feedback": current.feedback,
            "entry": current.entry,
            "sort": "" if current.sort == "newest" else current.sort,
            "page": "" if current.page == 1 else str(current.page),
        }
        return {k: v for k, v in values.items() if v}

    def query_string(self, **changes: object) -> str:
        return urlencode(self.params(**changes))


def _like_pattern(text: str) -> str:
    """A LIKE pattern finding ``text``, folded like the search text, anywhere."""
    escaped = fold_accents(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def local_midnight(day: date, tz: ZoneInfo) -> float:
    return datetime.combine(day, time.min, tzinfo=tz).timestamp()


def conditions(filters: InboxFilters, tz: ZoneInfo) -> List[sa.sql.ColumnElement]:
    where: List[sa.sql.ColumnElement] = []
    if filters.date_from:
        where.append(c.started_at >= local_midnight(filters.date_from, tz))
    if filters.date_to:
        where.append(c.started_at < local_midnight(filters.date_to + timedelta(days=1), tz))
    if filters.channel:
        where.append(c.channel == filters.channel)
    if filters.lang:
        where.append(c.language == filters.lang)
    if filters.flag:
        where.append(getattr(c, filters.flag).is_(True))
    if filters.reviewed:
        where.append(c.reviewed.is_(filters.reviewed == "yes"))
    if filters.intent:
        intents = schema.conversation_intents
        where.append(
            c.id.in_(sa.select(intents.c.conversation_id).where(intents.c.intent == filters.intent))
        )
    if filters.tag:
        tags = schema.tags
        where.append(c.id.in_(sa.select(tags.c.conversation_id).where(tags.c.tag == filters.tag)))
    if filters.q:
        where.append(c.search_text.like(_like_pattern(filters.q), escape="\\"))
    if filters.feedback or filters.entry:
        where.append(_rated(filters.feedback, filters.entry))
    return where


def _rated(feedback: str, entry: str) -> sa.sql.ColumnElement:
    """The conversation has a rating of that kind (of that entry): an EXISTS answered from
    console_feedback's conversation index, so the inbox's ordering index still drives."""
    ratings = schema.feedback
    matching = [ratings.c.conversation_id == c.id]
    if feedback in (HELPFUL, NOT_HELPFUL):
        matching.append(ratings.c.rating == feedback)
    if entry:
        matching.append(ratings.c.entry_id == entry)
    return sa.exists().where(*matching)


@dataclass(frozen=True)
class InboxPage:
    rows: List[sa.engine.Row]
    tags: Dict[int, List[str]]
    page: int
    pages: int
    total: int
    not_helpful: FrozenSet[int] = frozenset()  # the rows with a "not helpful" rating


def inbox_page(
    connection: Connection, filters: InboxFilters, tz: ZoneInfo, page_size: int
) -> InboxPage:
    where = conditions(filters, tz)
    total = int(
        connection.execute(
            sa.select(sa.func.count()).select_from(schema.conversations).where(*where)
        ).scalar()
        or 0
    )
    pages = max(1, -(-total // page_size))
    page = min(filters.page, pages)
    columns = [
        c.id,
        c.channel,
        c.language,
        c.started_at,
        c.last_at,
        c.turns,
        c.emergency,
        c.handoff,
        c.callback,
        c.fallback,
        c.reviewed,
        c.first_message,
    ]
    rows = list(
        connection.execute(
            sa.select(*columns)
            .where(*where)
            .order_by(*_ORDER[filters.sort])
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    )
    ids = [r.id for r in rows]
    return InboxPage(
        rows, tags_for(connection, ids), page, pages, total, rated_not_helpful(connection, ids)
    )


def rated_not_helpful(connection: Connection, ids: List[int]) -> FrozenSet[int]:
    """Which of these conversations have an answer a patient rated not helpful."""
    if not ids:
        return frozenset()
    table = schema.feedback
    query = (
        sa.select(table.c.conversation_id)
        .where(table.c.conversation_id.in_(ids), table.c.rating == NOT_HELPFUL)
        .distinct()
    )
    return frozenset(connection.execute(query).scalars())


def tags_for(connection: Connection, ids: List[int]) -> Dict[int, List[str]]:
    found: Dict[int, List[str]] = {i: [] for i in ids}
    if ids:
        table = schema.tags
        query = (
            sa.select(table.c.conversation_id, table.c.tag)
            .where(table.c.conversation_id.in_(ids))
            .order_by(table.c.tag)
        )
        for conversation_id, tag in connection.execute(query):
            found[conversation_id].append(tag)
    return found


def known_intents(connection: Connection) -> List[str]:
    table = schema.conversation_intents
    return [r[0] for r in connection.execute(sa.select(table.c.intent).distinct())]


def known_tags(connection: Connection) -> List[str]:
    table = schema.tags
    query = sa.select(table.c.tag).distinct().order_by(table.c.tag).limit(200)
    return [r[0] for r in connection.execute(query)]


# The dashboard's and the Unanswered page's date range: the last 30 days by default, at most a year.
RANGE_DEFAULT_DAYS = 30
RANGE_MAX_DAYS = 366


def date_range(filters: InboxFilters, today: date) -> Tuple[date, date]:
    """The range ``filters`` ask for, in order, ending today by default and at most
    ``RANGE_MAX_DAYS`` long."""
    last: date = filters.date_to or today
    first: date = filters.date_from or last - timedelta(days=RANGE_DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
    return max(first, last - timedelta(days=RANGE_MAX_DAYS - 1)), last
