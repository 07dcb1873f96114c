"""The strict tracker store: an unreachable database trips the per-message outage flag, and
what it raises and logs names only the error type (never a statement's parameters)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import List, Optional

import pytest
import sqlalchemy as sa
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import OperationalError

from assistant.channels.output import AnnotatedOutputChannel, collect_replies
from assistant.stores import outage
from assistant.stores.tracker_store import (
    EVENT_INDEXES,
    StrictSQLTrackerStore,
    TrackerStoreUnavailable,
)

SECRET_TEXT = "my number is 310-555-0199"


def _store(tmp_path: Path) -> StrictSQLTrackerStore:
    return StrictSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.db"))


def test_a_sqlite_file_in_a_missing_folder_is_created(tmp_path: Path) -> None:
    database = tmp_path / "fresh-clone" / ".state" / "tracker.db"
    store = StrictSQLTrackerStore(dialect="sqlite", db=str(database))
    with store.engine.begin() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert database.parent.is_dir()


def _broken(store: StrictSQLTrackerStore) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("INSERT INTO events", {"data": SECRET_TEXT}, Exception("down"))

    store.session_scope = fail  # type: ignore[method-assign]
    store.engine.connect = fail  # type: ignore[method-assign]
    store.engine.begin = fail  # type: ignore[method-assign]


async def test_it_stores_and_reads_back_like_rasas_sql_store(tmp_path: Path) -> None:
    store = _store(tmp_path)
    tracker = DialogueStateTracker.from_events("p1", [UserUttered("hello")])
    await store.save(tracker)
    again = await store.retrieve("p1")
    assert again is not None and again.latest_message.text == "hello"
    store.ping()  # the database answers


def _rows(db: Path) -> List[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data"
            " FROM events ORDER BY id"
        ).fetchall()


def _dicts(tracker: Optional[DialogueStateTracker]) -> List[dict]:
    assert tracker is not None
    return [event.as_dict() for event in tracker.events]


async def test_rows_and_reads_match_rasas_own_sql_store(tmp_path: Path) -> None:
    """Same conversation, saved turn by turn to both stores: the same rows, the same reads
    (latest session and all sessions), including after a second session starts."""
    ours = _store(tmp_path)
    (tmp_path / "rasa").mkdir()
    rasas = SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "rasa" / "tracker.db"))
    turns: List[List[Event]] = [
        [ActionExecuted("action_session_start", timestamp=100.0), SessionStarted(timestamp=100.5)],
        [
            ActionExecuted("action_listen", timestamp=101.0),
            UserUttered("hello", {"name": "greet", "confidence": 0.9}, timestamp=102.0),
            SlotSet("topic", "rash", timestamp=102.5),
        ],
        [BotUttered("Hi!", timestamp=103.0), ActionExecuted("action_listen", timestamp=104.0)],
        [ActionExecuted("action_session_start", timestamp=200.0), SessionStarted(timestamp=200.5)],
        [UserUttered("bye", {"name": "goodbye", "confidence": 0.8}, timestamp=201.0)],
        [],  # a save with nothing new writes nothing
    ]
    for store in (ours, rasas):
        tracker = DialogueStateTracker.from_events("p1", [])
        for turn in turns:
            for event in turn:
                tracker.update(event)
            await store.save(tracker)
            latest = await store.retrieve("p1")
            assert latest is not None
            tracker = latest
    assert _rows(tmp_path / "tracker.db") == _rows(tmp_path / "rasa" / "tracker.db")
    assert len(_rows(tmp_path / "tracker.db")) == sum(len(turn) for turn in turns)
    assert _dicts(await ours.retrieve("p1")) == _dicts(await rasas.retrieve("p1"))
    assert [e["event"] for e in _dicts(await ours.retrieve("p1"))] == ["session_started", "user"]
    assert _dicts(await ours.retrieve_full_tracker("p1")) == _dicts(
        await rasas.retrieve_full_tracker("p1")
    )
    assert await ours.retrieve("nobody") is None


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


async def test_a_failed_write_trips_the_flag_and_hides_the_parameters(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _broken(store)
    flag = outage.watch()
    with pytest.raises(TrackerStoreUnavailable) as raised:
        await store.save(DialogueStateTracker.from_events("p1", [UserUttered(SECRET_TEXT)]))
    assert flag.tripped and "write" in flag.what
    assert SECRET_TEXT not in str(raised.value) and "OperationalError" in str(raised.value)


async def test_rasas_fail_safe_wrapper_logs_no_patient_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = _store(tmp_path)
    _broken(store)
    wrapped = FailSafeTrackerStore(store)
    flag = outage.watch()
    with caplog.at_level(logging.DEBUG):
        assert await wrapped.retrieve("p1") is None  # Rasa would carry on with a blank tracker
        await wrapped.save(DialogueStateTracker.from_events("p1", [UserUttered(SECRET_TEXT)]))
    assert flag.tripped
    assert "310-555-0199" not in caplog.text


class _BotThatLosesItsStore:
    """Rasa handling a message while the tracker store is down: it answers anyway."""

    def __init__(self, store: StrictSQLTrackerStore) -> None:
        self.store = FailSafeTrackerStore(store)

    async def __call__(self, message: UserMessage) -> None:
        await self.store.retrieve(message.sender_id)
        await message.output_channel.send_text_message(
            message.sender_id, "an answer out of context"
        )


async def test_the_channel_sends_the_apology_instead_of_an_answer_out_of_context(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    _broken(store)
    message = UserMessage("what are the side effects?", AnnotatedOutputChannel(), "p1")
    assert await collect_replies(_BotThatLosesItsStore(store), message, 2.0) is None


async def test_flags_of_concurrent_messages_are_separate(tmp_path: Path) -> None:
    healthy = _store(tmp_path)
    (tmp_path / "other").mkdir()
    broken = _store(tmp_path / "other")
    _broken(broken)
    results: List[bool] = []

    async def handle(store: StrictSQLTrackerStore) -> None:
        flag = outage.watch()
        await asyncio.sleep(0)
        try:
            await store.retrieve("p1")
        except TrackerStoreUnavailable:
            pass
        await asyncio.sleep(0)
        results.append(flag.tripped)

    await asyncio.gather(asyncio.create_task(handle(healthy)), asyncio.create_task(handle(broken)))
    assert sorted(results) == [False, True]


async def test_sqlite_connections_are_reused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    opened: List[object] = []
    sa.event.listen(store.engine, "connect", lambda connection, _record: opened.append(connection))
    for turn in range(3):
        tracker = DialogueStateTracker.from_events("p1", [UserUttered(f"message {turn}")])
        await store.save(tracker)
        await store.retrieve("p1")
    assert len(opened) <= 1  # the start-up (index check) may have opened the one already


async def test_the_latest_session_is_read_by_index_not_by_scanning_the_conversation(
    tmp_path: Path,
) -> None:
    """Rasa's OR filter made every read scan all of a conversation's events, so replies got
    slower as a conversation grew; the rewritten filter is an index range scan."""
    store = _store(tmp_path)
    with store.engine.connect() as connection:
        indexes = {
            row[1] for row in connection.exec_driver_sql("PRAGMA index_list('events')").all()
        }
        assert {name for name, _ in EVENT_INDEXES} <= indexes
        for statement in (store._select_latest_session, store._count_latest_session):
            compiled = statement.compile(store.engine)
            values = compiled.construct_params({"sender_id": "web-x"})
            args = tuple(values[name] for name in compiled.positiontup or ())
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", args).all()
            details = " | ".join(str(row[-1]) for row in plan)
            assert "SCAN events" not in details, details
            assert "ix_events_sender_time (sender_id=? AND timestamp>?)" in details, details
