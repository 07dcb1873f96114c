"""Unanswered questions grouped by topic: the list for a date range, the two group actions
(send to the intent corrections as one intent; ask for a knowledge entry), and the
knowledge requests for the content owner (a page and a CSV download).

Any staff member may act, like on the intent corrections; every action is audited. The
grouping vocabulary is loaded when the server starts, so a broken file stops the console
with a message naming the file and the entry."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import List, Optional
from urllib.parse import urlencode

from sanic import Blueprint, HTTPResponse, Request, Sanic, response

from assistant.console.inbox import InboxFilters, date_range, local_midnight
from assistant.console.numbers import parse_small_int
from assistant.console.review import ReviewError
from assistant.console.routes.guards import MAX_ID, audit_staff_action, form_value
from assistant.console.routes.render import render
from assistant.console.topic_actions import (
    DONE,
    MAX_GROUP_ACTION,
    OPEN,
    correct_group,
    count_requests,
    knowledge_requests,
    knowledge_requests_csv,
    mark_done,
    request_knowledge_entry,
)
from assistant.console.topic_cache import RecentGroupings
from assistant.console.topics import (
    MAX_QUESTIONS,
    TopicGroup,
    TopicGrouper,
    TopicVocabulary,
    count_unanswered,
    load_unanswered,
)

bp = Blueprint("topics", url_prefix="/topics")
DASHBOARD_GROUPS = 10


@bp.listener("before_server_start")
async def load_vocabulary(app: Sanic, _loop: object) -> None:
    vocabulary = await asyncio.to_thread(TopicVocabulary.load)
    app.ctx.topic_groupings = RecentGroupings(TopicGrouper(vocabulary))


@dataclass(frozen=True)
class TopicsView:
    """The groups of a date range, as the dashboard panel and the Topics page show them."""

    first_day: date
    last_day: date
    groups: List[TopicGroup]
    questions: int  # unanswered questions in the range
    grouped: int  # of which grouped (the most recent MAX_QUESTIONS)
    action_limit: int = MAX_GROUP_ACTION

    @property
    def range_query(self) -> str:
        return urlencode({"from": self.first_day.isoformat(), "to": self.last_day.isoformat()})


async def topics_view(request: Request, first: date, last: date) -> TopicsView:
    """Group the range's unanswered questions (the grouping runs off the event loop and
    after the database connection is given back)."""
    app = request.app
    start = local_midnight(first, app.ctx.tz)
    end = local_midnight(last + timedelta(days=1), app.ctx.tz)
    total = await app.ctx.db.run(count_unanswered, start, end)
    questions = await app.ctx.db.run(load_unanswered, start, end, MAX_QUESTIONS)
    groups = await asyncio.to_thread(app.ctx.topic_groupings.group, questions)
    return TopicsView(first, last, groups, questions=total, grouped=len(questions))


def _event_ids(request: Request) -> Optional[List[int]]:
    """The posted group's event ids; None when one is not an id or there are too many."""
    form = request.form or {}
    values = form.getlist("event_id") if hasattr(form, "getlist") else []
    if not values or len(values) > MAX_GROUP_ACTION:
        return None
    ids = [parse_small_int(str(v), 10) for v in values]
    if any(i is None or i > MAX_ID for i in ids):
        return None
    return [int(i) for i in ids if i is not None]


def _back(request: Request, **extra: str) -> HTTPResponse:
    filters = InboxFilters.parse(
        {"from": form_value(request, "from", 10), "to": form_value(request, "to", 10)}
    )
    query = {"from": str(filters.date_from or ""), "to": str(filters.date_to or ""), **extra}
    return response.redirect("/topics?" + urlencode({k: v for k, v in query.items() if v}))


def _refused(request: Request, message: str) -> HTTPResponse:
    return render(request, "error.html", status=400, title="Not done", message=message)


@bp.get("")
async def topics(request: Request) -> HTTPResponse:
    filters = InboxFilters.parse(request.args)
    today = datetime.fromtimestamp(request.app.ctx.clock(), request.app.ctx.tz).date()
    first, last = date_range(filters, today)
    view = await topics_view(request, first, last)
    saved = request.args.get("saved", "")
    count = parse_small_int(request.args.get("n", ""), 6) or 0
    return render(
        request,
        "topics.html",
        view=view,
        intents=request.app.ctx.intents,
        problems=filters.problems,
        saved=saved if saved in ("corrections", "request") else "",
        saved_count=count,
    )


@bp.post("/correct")
async def correct(request: Request) -> HTTPResponse:
    ids = _event_ids(request)
    intent = form_value(request, "intent", 255)
    if ids is None or intent not in request.app.ctx.intents:
        return _refused(request, "Choose a group and a known intent.")
    user = request.ctx.staff.user.username
    try:
        members = await request.app.ctx.db.run(correct_group, ids, intent, user)
    except ReviewError as error:
        return _refused(request, f"Nothing was corrected: {error}.")
    await audit_staff_action(
        request,
        "correct_topic_group",
        f"{len(members)} questions",
        f"-> {intent}; events {_id_list([q.event_id for q in members])}",
    )
    return _back(request, saved="corrections", n=str(len(members)))


@bp.post("/knowledge-requests")
async def request_entry(request: Request) -> HTTPResponse:
    ids = _event_ids(request)
    if ids is None:
        return _refused(request, "Choose a group of unanswered questions.")
    app = request.app
    user = request.ctx.staff.user.username
    try:
        made = await app.ctx.db.run(
            request_knowledge_entry,
            ids,
            parse_small_int(form_value(request, "label_event", 12), 10),
            app.ctx.masker,
            user,
            app.ctx.clock(),
        )
    except ReviewError as error:
        return _refused(request, f"No request was made: {error}.")
    await audit_staff_action(
        request,
        "request_knowledge_entry",
        f"knowledge request {made.id}",
        f"{made.questions} questions; events {_id_list(list(made.event_ids))}",
    )
    return _back(request, saved="request", n=str(made.questions))


@bp.get("/knowledge-requests")
async def requests_page(request: Request) -> HTTPResponse:
    rows = await request.app.ctx.db.run(knowledge_requests, OPEN)
    done = await request.app.ctx.db.run(count_requests, DONE)
    return render(request, "knowledge_requests.html", rows=rows, done=done)


@bp.post("/knowledge-requests/<request_id:int>/done")
async def request_done(request: Request, request_id: int) -> HTTPResponse:
    if request_id > MAX_ID or not await request.app.ctx.db.run(mark_done, request_id):
        return _refused(request, "That request is not open.")
    await audit_staff_action(request, "knowledge_request_done", f"knowledge request {request_id}")
    return response.redirect("/topics/knowledge-requests")


@bp.get("/knowledge-requests.csv")
async def requests_csv(request: Request) -> HTTPResponse:
    app = request.app
    rows = await app.ctx.db.run(knowledge_requests, OPEN)
    body = knowledge_requests_csv(rows, app.ctx.masker, app.ctx.tz)
    await audit_staff_action(
        request, "export_knowledge_requests", f"{len(rows)} requests", "csv open"
    )
    stamp = datetime.fromtimestamp(app.ctx.clock(), app.ctx.tz).strftime("%Y%m%d-%H%M")
    return response.raw(
        body.encode(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="knowledge-requests-{stamp}.csv"'},
    )


def _id_list(event_ids: List[int], shown: int = 50) -> str:
    """Event ids for the audit detail (the first ``shown``, then how many more)."""
    text = ",".join(str(i) for i in event_ids[:shown])
    more = len(event_ids) - shown
    return text + (f" (+{more} more)" if more > 0 else "")
