"""Nothing a patient wrote reaches the logs: not when indexing fails on a database error
(which can quote the values it was writing), and not with every logger at DEBUG."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.future import Connection

from assistant.console import schema
from assistant.console.app import background_round
from assistant.console.indexer import IndexingFailed
from bench.console_harness import Console, EventWriter
from tests.assistant.console.builders import callback_requested, rows

pytestmark = pytest.mark.quick_startup

NAME = "Philippa Quenby"
PHONE = "+13105550123"
# The patient's details in every form they might take in a message, a row or an error.
SECRETS = (
    "philippa",
    "quenby",
    "310-555-0123",
    "(310) 555-0123",
    "310.555.0123",
    "3105550123",
    "555-0123",
    "after 5pm",
)
# What PostgreSQL says about a duplicate key: the values themselves.
QUOTING_ERROR = (
    'duplicate key value violates unique constraint "console_callbacks_event_id_key"\n'
    f"DETAIL:  Key (name, phone)=({NAME}, {PHONE}) already exists."
)


def seed(events: EventWriter) -> None:
    events.session("p1")
    events.user("p1", f"This is {NAME}, please call (310) 555-0123 after 5pm", "request_callback")
    callback_requested(events, "p1", NAME, PHONE, "after 5pm", events.at)


def assert_no_patient_data(text: str) -> None:
    lowered = text.lower()
    for secret in SECRETS:
        assert secret not in lowered, f"{secret!r} was logged"


def everything_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")


def full_report(error: BaseException) -> str:
    """What ``logger.exception`` would write about ``error``: message and traceback."""
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def fail_callback_inserts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inserting callbacks fails the way PostgreSQL reports a duplicate: quoting values."""
    execute = Connection.execute

    def failing(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(statement, "table", None) is schema.callbacks and statement.is_insert:
            raise sa.exc.IntegrityError(
                "INSERT INTO console_callbacks ...",
                {"name": NAME, "phone": PHONE},
                Exception(QUOTING_ERROR),
            )
        return execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "execute", failing)


async def test_an_error_quoting_patient_values_is_reported_by_type_and_rows(
    console: Console,
    events: EventWriter,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(events)
    everything_at_debug(caplog)
    fail_callback_inserts(monkeypatch)

    with pytest.raises(IndexingFailed) as failed:
        console.index()

    last_id = events_count(console)
    assert str(failed.value) == f"IntegrityError in the batch of events rows 1-{last_id}"
    assert_no_patient_data(full_report(failed.value))
    assert_no_patient_data(repr(failed.value))
    assert_no_patient_data(caplog.text)
    assert f"IntegrityError in the batch of events rows 1-{last_id}" in caplog.text

    monkeypatch.undo()  # the fault clears: the batch was rolled back and is indexed again
    assert console.index() == last_id
    assert [row.name for row in rows(console.db, schema.callbacks)] == [NAME]


async def test_a_missing_table_is_reported_by_type_and_rows(
    console: Console, events: EventWriter, caplog: pytest.LogCaptureFixture
) -> None:
    seed(events)
    with console.db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE console_callbacks")
    everything_at_debug(caplog)

    with pytest.raises(IndexingFailed, match=r"^OperationalError in the batch of events rows"):
        console.index()

    assert_no_patient_data(full_report(excinfo_of(console)))
    assert_no_patient_data(caplog.text)
    assert "OperationalError" in caplog.text


async def test_the_background_round_logs_no_patient_data(
    console: Console,
    events: EventWriter,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(events)
    everything_at_debug(caplog)
    fail_callback_inserts(monkeypatch)

    await background_round(console.app)  # logs and carries on

    assert_no_patient_data(caplog.text)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("IntegrityError" in message for message in warnings)
    assert any("retried" in message for message in warnings)


async def test_indexing_with_every_logger_at_debug_logs_no_patient_rows(
    console: Console, events: EventWriter, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLAlchemy logs every row it reads when its logger is on; the console keeps it off."""
    seed(events)
    everything_at_debug(caplog)

    console.index()
    reviewer = await console.logged_in("rita")
    assert (await reviewer.get("/conversations/1")).status_code == 200

    assert_no_patient_data(caplog.text)


def events_count(console: Console) -> int:
    query = sa.select(sa.func.max(schema.events.c.id))
    return int(console.db.call(lambda connection: connection.execute(query).scalar()))


def excinfo_of(console: Console) -> BaseException:
    """The error indexing raises now (it is expected to fail)."""
    try:
        console.index()
    except IndexingFailed as error:
        return error
    raise AssertionError("indexing did not fail")
