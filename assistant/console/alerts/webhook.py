"""Alerts by HTTPS webhook: a JSON POST that Slack and Microsoft Teams incoming webhooks
accept (a plain-text ``text`` with the link in it, plus ``link`` and a few plain fields),
signed with HMAC-SHA256.

The signature covers ``f"{timestamp}.{raw body}"`` with ``ALERT_WEBHOOK_SECRET``:
``X-Alert-Timestamp: <unix seconds>`` and ``X-Alert-Signature: v1=<hex digest>``.
``X-Alert-Id`` is the same for every try of one alert, so a receiver can drop a repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Callable, Dict, Tuple

import aiohttp

from assistant.console.alerts.delivery import DeliveryFailed
from assistant.console.alerts.messages import AlertMessage
from assistant.console.alerts.settings import check_webhook_url

SIGNATURE_VERSION = "v1"


def payload(message: AlertMessage) -> Dict[str, object]:
    return {
        "text": message.text,
        "link": message.link,
        "kind": message.kind,
        "at": message.at.isoformat(),
        "channel": message.channel,
        "count": message.count,
        "alert_id": message.alert_id,
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    signed = timestamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def signed_request(message: AlertMessage, secret: str, now: float) -> Tuple[bytes, Dict[str, str]]:
    """The body and headers of the POST for ``message``."""
    body = json.dumps(payload(message), ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(now))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Alert-Id": message.alert_id,
        "X-Alert-Timestamp": timestamp,
        "X-Alert-Signature": signature(secret, timestamp, body),
    }
    return body, headers


class WebhookSender:
    def __init__(
        self,
        url: str,
        secret: str,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = check_webhook_url(url)
        self.secret = secret
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.clock = clock

    async def send(self, message: AlertMessage) -> None:
        body, headers = signed_request(message, self.secret, self.clock())
        # No redirects: a redirect could lead the signed body off https.
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            async with session.post(
                self.url, data=body, headers=headers, allow_redirects=False
            ) as reply:
                if not 200 <= reply.status < 300:
                    raise DeliveryFailed(f"HTTP {reply.status}")
