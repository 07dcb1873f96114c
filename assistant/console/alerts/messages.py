"""What an alert says: the kind, when, the channel and a console link. Nothing else.

An alert carries no patient data: it is made from an outbox row's columns only (kind,
times, channel, ids), never from events or callback rows, so it cannot quote a message, a
name or a number. Staff open the link, log in, and see the rest in the console.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from assistant.console.alerts.kinds import (
    CALLBACK_ALERT,
    EMERGENCY_ALERT,
    SELF_HARM_ALERT,
    URGENT_ALERT,
)
from assistant.console.alerts.outbox import OutboxRow

DIGEST = "callback_digest"
TEST = "test"
_CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")
CHANNEL_LABELS = {"web": "web chat", "sms": "SMS", "rest": "REST"}
TITLES = {
    EMERGENCY_ALERT: "Emergency (911)",
    SELF_HARM_ALERT: "Self-harm (988)",
    URGENT_ALERT: "Urgent symptom",
    CALLBACK_ALERT: "New callback request",
}
WHAT = {
    EMERGENCY_ALERT: "A patient was told to call 911",
    SELF_HARM_ALERT: "A patient was given the 988 crisis line",
    URGENT_ALERT: "A patient was told to call their care team now",
    CALLBACK_ALERT: "A patient asked for a call back",
}
FOOTER = "No patient details are sent in alerts: open the console to see them."


@dataclass(frozen=True)
class AlertMessage:
    alert_id: str  # the same for every try of the same alert: receivers drop duplicates by it
    kind: str  # an alert kind, "callback_digest" or "test"
    title: str
    text: str  # plain text, with the link
    link: str
    at: datetime  # when it happened (the latest, for a digest)
    channel: str
    count: int = 1


def channel_label(channel: str) -> str:
    if not _CHANNEL.match(channel or ""):
        return "unknown"
    return CHANNEL_LABELS.get(channel, channel)


def delivery_id(rows: Sequence[OutboxRow]) -> str:
    """Stable for the same rows (every retry), distinct across rows and databases."""
    if len(rows) == 1:
        return f"alert-{rows[0].id}-{int(rows[0].created_at)}"
    keys = ",".join(f"{r.id}:{int(r.created_at)}" for r in sorted(rows, key=lambda r: r.id))
    return f"digest-{hashlib.sha256(keys.encode()).hexdigest()[:24]}"


class Composer:
    """Makes alert messages in the console's time zone, with links under ``public_url``."""

    def __init__(self, public_url: str, timezone: ZoneInfo) -> None:
        self.public_url = public_url.rstrip("/")
        self.timezone = timezone

    def when(self, at: float) -> str:
        local = datetime.fromtimestamp(at, self.timezone)
        hour = local.strftime("%I").lstrip("0")
        return f"{hour}:{local:%M %p %Z} on {local:%a %b} {local.day}"

    def compose(self, rows: Sequence[OutboxRow]) -> AlertMessage:
        """One message for ``rows``: a single alert, or a digest of callback requests."""
        if not rows:
            raise ValueError("an alert needs at least one outbox row")
        if len(rows) > 1 or rows[0].digest:
            return self._digest(rows)
        row = rows[0]
        if row.callback_id is not None:
            link = f"{self.public_url}/callbacks#callback-{row.callback_id}"
            where = f"Callback queue: {link}"
        else:
            link = f"{self.public_url}/conversations/{row.conversation_id}"
            where = f"Open the conversation: {link}"
        channel = channel_label(row.channel)
        title = f"{TITLES.get(row.kind, 'Alert')} - {channel}"
        text = (
            f"{title}. {WHAT.get(row.kind, 'Something needs attention')} at "
            f"{self.when(row.happened_at)}. {where}\n{FOOTER}"
        )
        at = datetime.fromtimestamp(row.happened_at, self.timezone)
        return AlertMessage(delivery_id(rows), row.kind, title, text, link, at, row.channel)

    def _digest(self, rows: Sequence[OutboxRow]) -> AlertMessage:
        count = len(rows)
        first = min(r.happened_at for r in rows)
        last = max(r.happened_at for r in rows)
        link = f"{self.public_url}/callbacks"
        requests = "callback request came" if count == 1 else "callback requests came"
        title = f"{count} {requests} in while the line was closed"
        span = self.when(first) if count == 1 else f"{self.when(first)} to {self.when(last)}"
        text = f"{title} ({span}). Callback queue: {link}\n{FOOTER}"
        at = datetime.fromtimestamp(last, self.timezone)
        channels = sorted({channel_label(r.channel) for r in rows})
        channel = channels[0] if len(channels) == 1 else "mixed"
        return AlertMessage(delivery_id(rows), DIGEST, title, text, link, at, channel, count)

    def test_message(self, now: float, nonce: str) -> AlertMessage:
        """The Alerts page's "Send a test alert"."""
        link = f"{self.public_url}/alerts"
        title = "Test alert from the staff console"
        text = (
            f"{title} at {self.when(now)}: alerts reach this destination. "
            f"Alerts page: {link}\n{FOOTER}"
        )
        at = datetime.fromtimestamp(now, self.timezone)
        return AlertMessage(f"test-{nonce}", TEST, title, text, link, at, "none")
