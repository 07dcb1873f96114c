"""Alerts by e-mail: SMTP with STARTTLS (``smtplib``, in a worker thread).

The certificate is checked against the system's CAs, or ``ALERT_SMTP_CA_FILE`` for a
hospital's internal CA. A login is only ever sent after STARTTLS (settings refuse a user
without it), and a server that does not offer STARTTLS when it is on fails the delivery
rather than falling back to plain text. The Message-ID is the alert's id, the same for every
try, so a mail system can drop a repeat.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Optional, Tuple

from assistant.console.alerts.messages import AlertMessage


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    starttls: bool = True
    user: str = ""
    password: str = ""
    ca_file: Optional[Path] = None
    timeout_s: float = 20.0


def email_message(message: AlertMessage, sender: str, to: Tuple[str, ...]) -> EmailMessage:
    domain = sender.rpartition("@")[2] or "localhost"
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Subject"] = f"[Patient assistant] {message.title}"
    mail["Date"] = format_datetime(message.at)
    mail["Message-ID"] = f"<{message.alert_id}@{domain}>"
    mail["X-Alert-Id"] = message.alert_id
    mail["X-Alert-Kind"] = message.kind
    mail.set_content(message.text)
    return mail


class EmailSender:
    def __init__(self, server: SmtpServer, sender: str, to: Tuple[str, ...]) -> None:
        self.server = server
        self.sender = sender
        self.to = to

    def tls_context(self) -> ssl.SSLContext:
        ca_file = str(self.server.ca_file) if self.server.ca_file else None
        return ssl.create_default_context(cafile=ca_file)

    async def send(self, message: AlertMessage) -> None:
        await asyncio.to_thread(self.send_now, email_message(message, self.sender, self.to))

    def send_now(self, mail: EmailMessage) -> None:
        server = self.server
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout_s) as smtp:
            smtp.ehlo()
            if server.starttls:
                smtp.starttls(context=self.tls_context())
                smtp.ehlo()
                if server.user:
                    smtp.login(server.user, server.password)
            smtp.send_message(mail)
