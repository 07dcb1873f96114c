"""The delivery loop: claim due outbox rows, send each alert (or one digest per destination),
and record the outcome.

Each round leases the rows it claims to a token of its own, so two consoles (or a console
restarted while its old process still runs) never send the same row. The outcome is written
right after the send. A crash between the two leaves the row leased; once the lease runs out
it is sent again, with the same alert id, so the receiver can drop the repeat. That is the
one duplicate this design cannot rule out (docs/alerts.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Sequence

from assistant.console.alerts import outbox
from assistant.console.alerts.delivery import Sender, error_code
from assistant.console.alerts.messages import Composer
from assistant.console.alerts.outbox import OutboxRow
from assistant.console.database import Database

logger = logging.getLogger(__name__)
# Longer than the slowest send (every SMTP step may take its full timeout).
DEFAULT_LEASE_S = 300.0


@dataclass(frozen=True)
class RoundResult:
    delivered: int = 0  # rows
    failed: int = 0  # rows whose try failed (retried later, or failed for good)
    messages: int = 0  # messages sent


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}"


def groups(rows: Sequence[OutboxRow]) -> List[List[OutboxRow]]:
    """One message per alert, except digest rows: one message per destination."""
    single = [[row] for row in rows if not row.digest]
    digests: Dict[str, List[OutboxRow]] = {}
    for row in rows:
        if row.digest:
            digests.setdefault(row.destination, []).append(row)
    return single + list(digests.values())


class AlertWorker:
    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        composer: Composer,
        max_attempts: int,
        clock: Callable[[], float] = time.time,
        name: str = "",
        lease_s: float = DEFAULT_LEASE_S,
        batch: int = 100,
    ) -> None:
        self.db = db
        self.senders = dict(senders)
        self.composer = composer
        self.max_attempts = max_attempts
        self.clock = clock
        self.name = (name or worker_name())[:40]
        self.lease_s = lease_s
        self.batch = batch

    def _token(self) -> str:
        return f"{self.name}:{uuid.uuid4().hex[:16]}"

    async def run_once(self) -> RoundResult:
        """One round: every due row is tried once."""
        if not self.senders:
            return RoundResult()
        owner = self._token()
        rows = await self.db.run(
            outbox.claim, owner, self.clock(), self.lease_s, list(self.senders), self.batch
        )
        delivered = failed = messages = 0
        pending = [group for group in groups(rows)]
        try:
            while pending:
                group = pending[0]
                if await self._deliver(owner, group):
                    delivered += len(group)
                    messages += 1
                else:
                    failed += len(group)
                pending.pop(0)
        finally:
            if pending:  # cancelled (the console is stopping): give the rest back unsent
                left = [row.id for group in pending for row in group]
                await asyncio.shield(self.db.run(outbox.release, left, owner))
        return RoundResult(delivered, failed, messages)

    async def _deliver(self, owner: str, rows: List[OutboxRow]) -> bool:
        destination = rows[0].destination
        message = self.composer.compose(rows)
        try:
            await self.senders[destination].send(message)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - only its type (and status) is kept
            code = error_code(error)
            await self.db.run(
                outbox.mark_failed, rows, owner, code, self.clock(), self.max_attempts
            )
            final = rows[0].attempts + 1 >= self.max_attempts
            logger.warning(
                "alert %s to %s failed (%s)%s",
                message.alert_id,
                destination,
                code,
                "; no more tries" if final else "; will retry",
            )
            return False
        ids = [row.id for row in rows]
        marked = await self.db.run(
            outbox.mark_delivered, ids, owner, message.alert_id, self.clock()
        )
        if marked != len(ids):
            logger.warning("alert %s sent, but its lease had run out", message.alert_id)
        return True

    async def run_forever(self, interval_s: float) -> None:
        """Rounds every ``interval_s`` until cancelled; a failed round is logged by type."""
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - logged by type only; retried
                logger.warning(
                    "alert delivery round failed (%s); retrying in %s s",
                    type(error).__name__,
                    interval_s,
                )
            await asyncio.sleep(interval_s)
