"""What the indexer writes to the outbox: one row per alert and destination, in the index's
transaction; emergencies always; out-of-hours callbacks as the next morning's digest."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from assistant.console import schema
from assistant.console.alerts.kinds import EMAIL, WEBHOOK
from assistant.console.alerts.settings import AlertSettings
from assistant.console.database import Database
from assistant.console.indexer import Indexer
from assistant.dialogue_names import EMERGENCY, SELF_HARM, URGENT_SYMPTOM
from bench.console_harness import EventWriter, ManualClock
from tests.assistant.console.alerts.alert_builders import (
    BOTH,
    SECRET,
    alerting_indexer,
    iso,
    outbox_rows,
)
from tests.assistant.console.builders import PACIFIC, pacific, support_masker


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.connect(f"sqlite:///{tmp_path / 'tracker.db'}")
    yield database
    database.close()


def test_each_kind_alerts_once_per_conversation_and_destination(
    db: Database, clock: ManualClock
) -> None:
    writer = EventWriter(db, clock.now - 600)
    writer.session("caller-1", channel="sms")
    writer.user("caller-1", "my husband took all his pills at once", EMERGENCY)
    writer.bot("caller-1", "Call 911 now.", "safety.emergency", triage=EMERGENCY, emergency=True)
    writer.user("caller-1", "he took them all!! what do i do", EMERGENCY)
    writer.bot("caller-1", "Call 911 now.", "safety.emergency", triage=EMERGENCY, emergency=True)
    writer.session("caller-2")
    writer.user("caller-2", "fever 101.5 since last night after my keytruda", URGENT_SYMPTOM)
    writer.bot("caller-2", "Call your care team now.", "triage.urgent", triage=URGENT_SYMPTOM)
    indexer = alerting_indexer(clock)
    indexer.catch_up(db.engine)
    # More of the same conversation later, in another batch: no second alert.
    writer.user("caller-1", "ambulance is here now", EMERGENCY)
    indexer.catch_up(db.engine)

    found = {(r.destination, r.kind, r.subject, r.channel) for r in outbox_rows(db)}
    assert found == {
        (WEBHOOK, "emergency", "conversation:1", "sms"),
        (EMAIL, "emergency", "conversation:1", "sms"),
        (WEBHOOK, "urgent", "conversation:2", "web"),
        (EMAIL, "urgent", "conversation:2", "web"),
    }
    assert all(r.status == "pending" and r.due_at == r.next_attempt_at for r in outbox_rows(db))


def test_self_harm_from_the_intent_and_from_the_triage_answer(
    db: Database, clock: ManualClock
) -> None:
    writer = EventWriter(db, clock.now - 600)
    writer.session("teen-caregiver")
    writer.user("teen-caregiver", "i don’t want to be here anymore honestly", SELF_HARM)  # noqa: RUF001
    writer.session("quiet-one")
    # The classifier missed it; the triage answer (988) did not.
    writer.user("quiet-one", "whats the point of the next cycle", "nlu_fallback", 0.3)
    writer.bot("quiet-one", "Call or text 988.", "safety.self_harm", triage=SELF_HARM)
    alerting_indexer(clock, routes={WEBHOOK: BOTH[WEBHOOK]}).catch_up(db.engine)
    assert [(r.kind, r.subject) for r in outbox_rows(db)] == [
        ("self_harm", "conversation:1"),
        ("self_harm", "conversation:2"),
    ]


def test_emergencies_alert_even_where_the_kinds_setting_leaves_them_out(
    db: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = AlertSettings.from_env(
        {
            "ALERT_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/XXXX",
            "ALERT_WEBHOOK_SECRET": SECRET,
            "ALERT_WEBHOOK_KINDS": "callback",
        },
        "127.0.0.1",
        5010,
    )
    assert settings.routes()[WEBHOOK] == {"callback", "emergency", "self_harm"}
    assert settings.overridden() == [
        "ALERT_WEBHOOK_KINDS leaves out emergency, self_harm: emergencies always alert, "
        "so they are sent there anyway"
    ]
    writer = EventWriter(db, clock.now - 600)
    writer.session("mom-on-tablet")
    writer.user("mom-on-tablet", "she’s not breathing right, lips r blue", EMERGENCY)  # noqa: RUF001
    writer.session("rash-guy")
    writer.user("rash-guy", "rash all over + fever of 102", URGENT_SYMPTOM)
    writer.bot("rash-guy", "Call your care team now.", "triage.urgent", triage=URGENT_SYMPTOM)
    alerting_indexer(clock, routes=settings.routes()).catch_up(db.engine)
    assert [(r.kind, r.destination) for r in outbox_rows(db)] == [("emergency", WEBHOOK)]


def test_a_callback_at_night_waits_for_the_morning_digest(db: Database, clock: ManualClock) -> None:
    night = pacific(2026, 11, 25, 22, 30)  # the line is open 6 am to 9 pm Pacific
    clock.now = night + 120
    writer = EventWriter(db, night)
    writer.session("night-owl", channel="sms")
    writer.callback("night-owl", "Dolores Reyes", "+13105550143", "after 9am", "sms", iso(night))
    alerting_indexer(clock).catch_up(db.engine)
    rows = outbox_rows(db)
    assert {r.destination for r in rows} == {WEBHOOK, EMAIL}
    for row in rows:
        assert (row.kind, row.subject, row.digest) == ("callback", "callback:1", True)
        assert row.due_at == pacific(2026, 11, 26, 6, 0) == row.next_attempt_at


def test_a_callback_in_open_hours_is_due_at_once(db: Database, clock: ManualClock) -> None:
    afternoon = pacific(2026, 11, 26, 11, 40)
    writer = EventWriter(db, afternoon)
    writer.session("daughter")
    writer.callback("daughter", "Ken Oyelaran", "(213) 555-0188", "anytime", "web", iso(afternoon))
    alerting_indexer(clock).catch_up(db.engine)
    rows = outbox_rows(db)
    assert len(rows) == 2
    assert all(not r.digest and r.due_at == afternoon for r in rows)


def test_callback_ids_are_read_back_for_requests_made_in_one_batch(
    db: Database, clock: ManualClock
) -> None:
    writer = EventWriter(db, clock.now - 900)
    for n, sender in enumerate(("a", "b", "c")):
        writer.session(sender)
        writer.callback(sender, f"Pat {sender}", f"+1310555010{n}", "am", "web", iso(clock.now))
    alerting_indexer(clock, routes={EMAIL: BOTH[EMAIL]}).catch_up(db.engine)
    with db.engine.begin() as connection:
        query = sa.select(schema.callbacks.c.id, schema.callbacks.c.conversation_id)
        callbacks = {i: c for i, c in connection.execute(query)}
    found = {(r.callback_id, r.conversation_id, r.subject) for r in outbox_rows(db)}
    assert found == {(i, c, f"callback:{i}") for i, c in callbacks.items()}
    assert len(found) == 3


def test_old_events_indexed_for_the_first_time_do_not_alert(
    db: Database, clock: ManualClock
) -> None:
    writer = EventWriter(db, clock.now - 10 * 86400)  # a console pointed at old conversations
    writer.session("last-month")
    writer.user("last-month", "chest pain n cant breathe", EMERGENCY)
    writer.at = clock.now - 60
    writer.session("just-now")
    writer.user("just-now", "chest hurts really bad", EMERGENCY)
    alerting_indexer(clock, routes={WEBHOOK: BOTH[WEBHOOK]}).catch_up(db.engine)
    assert [r.subject for r in outbox_rows(db)] == ["conversation:2"]


def test_the_default_indexer_writes_no_alerts(db: Database, clock: ManualClock) -> None:
    writer = EventWriter(db, clock.now - 600)
    writer.session("x")
    writer.user("x", "i think im having a heart attack", EMERGENCY)
    writer.callback("x", "Lou Chen", "+13105550199", "now", "web", iso(clock.now))
    Indexer(PACIFIC, support_masker(), clock=clock).catch_up(db.engine)
    assert outbox_rows(db) == []


def test_alerts_roll_back_with_the_index(db: Database, clock: ManualClock) -> None:
    """The outbox is written in the index's transaction: a batch that fails leaves neither."""
    writer = EventWriter(db, clock.now - 600)
    writer.session("x")
    writer.user("x", "my dad collapsed", EMERGENCY)
    indexer = alerting_indexer(clock)

    def broken_cursor(*_args: object) -> None:
        raise RuntimeError("disk full")

    indexer._set_cursor = broken_cursor  # type: ignore[method-assign,assignment]
    with pytest.raises(Exception, match="RuntimeError"):
        indexer.catch_up(db.engine)
    assert outbox_rows(db) == []
    alerting_indexer(clock).catch_up(db.engine)
    assert len(outbox_rows(db)) == 2
