"""The dashboard's callback figures on a small known sample: the median time to the first call
and the share called within the target (both in support-line hours), the requests made in the
range by status, and the requests open now with how many are overdue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

import pytest

from assistant.console import schema
from assistant.console.callback_metrics import CallbackFigures, callback_figures
from assistant.console.database import Database
from assistant.console.open_hours import OpenHours
from bench.console_harness import Console, ConsoleClient, EventWriter
from tests.assistant.console.builders import PACIFIC, callback_requested, pacific

HOURS = OpenHours(opens=dt.time(6), closes=dt.time(21), zone=PACIFIC)
NOW = pacific(2026, 11, 26, 12, 0)
FIRST_DAY, LAST_DAY = dt.date(2026, 11, 20), dt.date(2026, 11, 26)

# (name, requested, first call, status). Open-hours minutes to the first call, and wall-clock:
SAMPLE = [
    ("A", pacific(2026, 11, 24, 10, 0), pacific(2026, 11, 24, 10, 20), "reached"),  # 20, 20
    ("B", pacific(2026, 11, 24, 20, 55), pacific(2026, 11, 25, 6, 10), "voicemail"),  # 15, 555
    ("C", pacific(2026, 11, 25, 9, 0), pacific(2026, 11, 25, 11, 0), "no_answer"),  # 120, 120
    ("D", pacific(2026, 11, 25, 14, 0), pacific(2026, 11, 25, 14, 45), "wrong_number"),  # 45
    ("E", pacific(2026, 11, 26, 9, 0), None, "new"),  # waiting 180 min: overdue
    ("F", pacific(2026, 11, 26, 11, 30), None, "new"),  # waiting 30 min: not yet decided
    ("G", pacific(2026, 11, 23, 10, 0), None, "closed"),  # closed without a call: left out
    ("H", pacific(2026, 11, 10, 10, 0), None, "new"),  # before the range, still open, overdue
]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.connect(f"sqlite:///{tmp_path / 'tracker.db'}")
    with database.engine.begin() as connection:
        connection.execute(
            schema.callbacks.insert(),
            [
                {
                    "event_id": number,
                    "conversation_id": number,
                    "name": name,
                    "phone": "+13105550100",
                    "best_time": "any time",
                    "requested_at": requested,
                    "channel": "sms",
                    "status": status,
                    "attempts": 0 if called is None else 1,
                    "first_call_at": called,
                    "closed_at": called if status not in ("new", "no_answer") else None,
                }
                for number, (name, requested, called, status) in enumerate(SAMPLE, start=1)
            ],
        )
    yield database
    database.close()


def figures(db: Database, hours: Optional[OpenHours] = HOURS, target: int = 60) -> CallbackFigures:
    return db.call(callback_figures, FIRST_DAY, LAST_DAY, PACIFIC, NOW, hours, target)


def test_figures_in_support_hours(db: Database) -> None:
    found = figures(db)

    assert (found.requested, found.called) == (7, 4)
    assert found.median_first_call_s == (20 + 45) / 2 * 60  # of 15, 20, 45 and 120 minutes
    assert found.median_first_call == "32 min"
    assert (found.within_target, found.decided) == (3, 5)  # A, B, D of A, B, C, D and E
    assert found.within_target_share == 0.6
    assert dict(found.statuses) == {
        "new": 2,
        "no_answer": 1,
        "reached": 1,
        "voicemail": 1,
        "wrong_number": 1,
        "closed": 1,
    }
    assert (found.open_now, found.overdue_now) == (4, 2)  # C, E, F, H open; E and H overdue
    assert found.hours_known


def test_a_longer_target_counts_more_as_within_it(db: Database) -> None:
    found = figures(db, target=120)

    # C's 120 minutes is within; E (180 minutes waiting) is still late.
    assert (found.within_target, found.decided) == (4, 5)
    assert found.overdue_now == 2


def test_without_support_hours_every_hour_counts(db: Database) -> None:
    found = figures(db, hours=None)

    assert found.median_first_call_s == (45 + 120) / 2 * 60  # of 20, 45, 120 and 555 minutes
    assert found.median_first_call == "1 h 22 min"
    assert (found.within_target, found.decided) == (2, 5)
    assert not found.hours_known


def test_a_range_without_requests(db: Database) -> None:
    found = db.call(
        callback_figures, dt.date(2026, 1, 1), dt.date(2026, 1, 31), PACIFIC, NOW, HOURS, 60
    )

    assert (found.requested, found.called, found.decided) == (0, 0, 0)
    assert found.median_first_call_s is None and found.median_first_call is None
    assert found.within_target_share is None
    assert (found.open_now, found.overdue_now) == (4, 2)  # open requests of any date


def test_the_range_is_in_the_consoles_days(db: Database) -> None:
    """Nov 24 Pacific holds A and B, whatever the hour in UTC."""
    found = db.call(
        callback_figures,
        dt.date(2026, 11, 24),
        dt.date(2026, 11, 24),
        ZoneInfo("America/Los_Angeles"),
        NOW,
        HOURS,
        60,
    )

    assert (found.requested, found.called, found.within_target) == (2, 2, 2)


@pytest.mark.quick_startup
async def test_the_dashboard_shows_the_callback_panel(
    console: Console, events: EventWriter
) -> None:
    for sender, name, requested in (
        ("ana", "Ana Ruiz", pacific(2026, 11, 26, 9, 0)),
        ("bo", "Bo Chen", pacific(2026, 11, 26, 11, 40)),
    ):
        events.session(sender, "sms")
        events.user(sender, "nurse call back pls, port site is sore", "request_callback")
        callback_requested(events, sender, name, "+13105550142", "asap", requested, "sms")
    console.index()
    client: ConsoleClient = await console.logged_in("rita")
    await client.get("/callbacks")
    assert (await client.post("/callbacks/2/claim", {})).status_code == 302
    console.clock.advance(10 * 60)
    assert (await client.post("/callbacks/2/status", {"status": "reached"})).status_code == 302

    page = (await client.get("/dashboard")).text

    assert '<h2 id="callback-figures">Callback queue</h2>' in page
    assert '<span class="value">1</span><span class="label">requests open now, ' in page
    assert '<a href="/callbacks?view=overdue">1 overdue</a>' in page  # Ana, 3 h 10 min
    assert '<span class="value">30 min</span><span class="label">median time' in page
    assert '<span class="value">50.0 %</span><span class="label">called within 60 min (1 of 2)' in (
        page
    )
