"""What the two ways out (webhook, e-mail) have in common."""

from __future__ import annotations

from typing import Protocol

from assistant.console.alerts.messages import AlertMessage


class DeliveryFailed(RuntimeError):
    """A send that did not go through. The message is the error's type and, for HTTP and
    SMTP, the status code: never the receiver's reply text or the error's own text."""


class Sender(Protocol):
    async def send(self, message: AlertMessage) -> None:
        """Deliver ``message`` or raise (``DeliveryFailed``, or any error: only its type
        is kept)."""


def error_code(error: BaseException) -> str:
    """What is logged and stored of an error: its type, and a status code if it has one."""
    if isinstance(error, DeliveryFailed):
        return str(error)
    code = getattr(error, "smtp_code", None) or getattr(error, "status", None)
    name = type(error).__name__
    return f"{name} {code}" if isinstance(code, int) else name
