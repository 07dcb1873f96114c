"""The delivery worker: through restarts, with two workers at once, retries with backoff, and
one morning digest per destination."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Iterator, List

import pytest

from assistant.console.alerts import outbox
from assistant.console.alerts.kinds import EMAIL, WEBHOOK
from assistant.console.alerts.messages import AlertMessage
from assistant.console.alerts.outbox import backoff_s
from assistant.console.alerts.worker import AlertWorker
from assistant.console.database import Database
from assistant.dialogue_names import EMERGENCY, URGENT_SYMPTOM
from bench.console_harness import EventWriter, ManualClock
from tests.assistant.console.alerts.alert_builders import (
    BOTH,
    RecordingSender,
    alerting_indexer,
    composer,
    iso,
    outbox_rows,
)
from tests.assistant.console.builders import pacific

MESSAGES = (
    "my wife is passed out and wont wake up",
    "chest pain, left arm numb",
    "he’s breathing weird and confused",  # noqa: RUF001
    "throat swelling after the infusion!!",
    "can’t stop shaking, temp 104",  # noqa: RUF001
    "sister fell and hit her head, blood everywhere",
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.connect(f"sqlite:///{tmp_path / 'tracker.db'}")
    yield database
    database.close()


def emergencies(db: Database, clock: ManualClock, count: int = len(MESSAGES)) -> None:
    """``count`` emergency conversations, indexed with alerts to the webhook only."""
    writer = EventWriter(db, clock.now - 900)
    for n, text in enumerate(MESSAGES[:count]):
        writer.session(f"patient-{n}")
        writer.user(f"patient-{n}", text, EMERGENCY)
    alerting_indexer(clock, routes={WEBHOOK: BOTH[WEBHOOK]}).catch_up(db.engine)


def worker(
    db: Database, clock: ManualClock, sender: RecordingSender, name: str, lease_s: float = 300.0
) -> AlertWorker:
    return AlertWorker(db, {WEBHOOK: sender}, composer(), 8, clock, name=name, lease_s=lease_s)


def sent_ids(*senders: RecordingSender) -> List[str]:
    return [m.alert_id for s in senders for m in s.received]


class StallingSender(RecordingSender):
    """Delivers ``before_stall`` alerts, then hangs on the next one (a process stopped
    mid-send)."""

    def __init__(self, before_stall: int) -> None:
        super().__init__()
        self.before_stall = before_stall
        self.stalled = asyncio.Event()

    async def send(self, message: AlertMessage) -> None:
        if len(self.received) == self.before_stall:
            self.stalled.set()
            await asyncio.Event().wait()
        await super().send(message)


async def test_a_stopped_worker_leaves_the_rest_to_a_new_one(
    db: Database, clock: ManualClock
) -> None:
    emergencies(db, clock)
    first = StallingSender(before_stall=2)
    old = worker(db, clock, first, "console-a")
    task = asyncio.create_task(old.run_once())
    await asyncio.wait_for(first.stalled.wait(), 5)
    task.cancel()  # the console is stopped mid-round
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [r.status for r in outbox_rows(db)].count("delivered") == 2

    second = RecordingSender()
    result = await worker(db, clock, second, "console-a").run_once()  # the restarted console
    assert result.delivered == 4
    ids = sent_ids(first, second)
    assert len(ids) == len(set(ids)) == 6
    rows = outbox_rows(db)
    assert all(r.status == "delivered" and r.lease_owner is None for r in rows)
    assert sorted(r.delivery_id for r in rows) == sorted(ids)


async def test_a_crashed_worker_s_rows_are_delivered_once_its_lease_runs_out(
    db: Database, clock: ManualClock
) -> None:
    emergencies(db, clock, count=3)
    # A process claimed every row and died before sending any.
    held = db.call(outbox.claim, "crashed:1", clock.now, 300.0, [WEBHOOK], 100)
    assert len(held) == 3
    sender = RecordingSender()
    fresh = worker(db, clock, sender, "console-b", lease_s=300.0)
    assert (await fresh.run_once()).delivered == 0  # still leased: not sent twice
    clock.advance(301)
    assert (await fresh.run_once()).delivered == 3
    assert (await fresh.run_once()).delivered == 0
    assert len(sender.received) == len(set(sent_ids(sender))) == 3


async def test_two_workers_never_send_the_same_row(db: Database, clock: ManualClock) -> None:
    emergencies(db, clock)
    a, b = RecordingSender(), RecordingSender()
    one, two = worker(db, clock, a, "replica-1"), worker(db, clock, b, "replica-2")
    for _ in range(3):
        await asyncio.gather(one.run_once(), two.run_once(), one.run_once(), two.run_once())
    ids = sent_ids(a, b)
    assert len(ids) == len(set(ids)) == 6
    # A row leased by one worker is not claimable by the other.
    emergencies(db, clock, count=1)  # one more conversation (new sender names)
    rows = db.call(outbox.claim, "replica-1:x", clock.now, 300.0, [WEBHOOK], 100)
    assert db.call(outbox.claim, "replica-2:y", clock.now, 300.0, [WEBHOOK], 100) == []
    assert len(rows) == 1


async def test_failed_tries_back_off_then_the_alert_is_marked_failed(
    db: Database, clock: ManualClock
) -> None:
    emergencies(db, clock, count=1)
    down = RecordingSender(failures=99)
    loop = AlertWorker(db, {WEBHOOK: down}, composer(), 3, clock, name="w")
    start = clock.now
    assert (await loop.run_once()).failed == 1
    (row,) = outbox_rows(db)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 503")
    assert row.next_attempt_at == start + backoff_s(1) == start + 30
    clock.advance(29)
    assert (await loop.run_once()).failed == 0  # not due yet
    clock.advance(1)
    await loop.run_once()
    (row,) = outbox_rows(db)
    assert (row.attempts, row.next_attempt_at) == (2, clock.now + 60)
    clock.advance(60)
    await loop.run_once()
    (row,) = outbox_rows(db)
    assert (row.status, row.attempts, row.delivered_at) == ("failed", 3, None)
    clock.advance(3600)
    assert (await loop.run_once()).failed == 0
    assert down.tries == 3
    assert [backoff_s(n) for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 1800, 1800, 1800]


async def test_night_callbacks_go_out_as_one_digest_per_destination_at_opening(
    db: Database, clock: ManualClock
) -> None:
    night = pacific(2026, 11, 25, 21, 5)
    writer = EventWriter(db, night)
    for n, at in enumerate((night, night + 3 * 3600, night + 8 * 3600)):
        writer.at = at
        writer.session(f"late-{n}", channel="sms")
        writer.callback(f"late-{n}", f"Name {n}", f"+1310555012{n}", "morning", "sms", iso(at))
    writer.at = night + 8 * 3600 + 60  # 5:06 am: an urgent symptom is not held for the digest
    writer.session("early")
    writer.user("early", "mouth sores so bad i cant swallow water", URGENT_SYMPTOM)
    writer.bot("early", "Call your care team now.", "triage.urgent", triage=URGENT_SYMPTOM)
    clock.now = night + 8 * 3600 + 120
    alerting_indexer(clock).catch_up(db.engine)

    hook, mail = RecordingSender(), RecordingSender()
    loop = AlertWorker(db, {WEBHOOK: hook, EMAIL: mail}, composer(), 8, clock, name="w")
    await loop.run_once()
    assert [m.kind for m in hook.received] == [m.kind for m in mail.received] == ["urgent"]

    clock.now = pacific(2026, 11, 26, 6, 0)
    result = await loop.run_once()
    assert (result.messages, result.delivered) == (2, 6)
    for sender in (hook, mail):
        digest = sender.received[-1]
        assert (digest.kind, digest.count) == ("callback_digest", 3)
        assert digest.text.startswith("3 callback requests came in while the line was closed")
        assert digest.link == "https://console.example-hospital.org/callbacks"
    rows = [r for r in outbox_rows(db) if r.digest]
    for destination in (WEBHOOK, EMAIL):
        ids = {r.delivery_id for r in rows if r.destination == destination}
        assert len(ids) == 1
    assert hook.received[-1].alert_id != mail.received[-1].alert_id
