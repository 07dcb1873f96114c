"""Alerts by e-mail, to a real SMTP server (aiosmtpd) on 127.0.0.1 that requires STARTTLS,
with a certificate made here and trusted through ALERT_SMTP_CA_FILE."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from assistant.console.alerts.kinds import EMAIL
from assistant.console.alerts.mail import EmailSender, SmtpServer
from assistant.console.alerts.settings import AlertSettings
from assistant.console.alerts.worker import AlertWorker
from assistant.console.database import Database
from assistant.dialogue_names import SELF_HARM
from assistant.ops.processes import free_port
from bench.console_harness import EventWriter, ManualClock
from tests.assistant.console.alerts.alert_builders import (
    BOTH,
    alerting_indexer,
    composer,
    iso,
    outbox_rows,
)

USER, PASSWORD = "alerts@cedars-test.org", "smtp-password-for-tests"
FROM = "Patient assistant <alerts@cedars-test.org>"
TO = ("nurse-line@cedars-test.org", "support-leads@cedars-test.org")


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp.pem", directory / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class Mailbox:
    messages: List[EmailMessage] = field(default_factory=list)
    raw: List[bytes] = field(default_factory=list)
    logins: List[str] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.raw.append(envelope.content)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def authenticate(
        self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok)


@dataclass
class SmtpFixture:
    mailbox: Mailbox
    port: int
    cert: Path


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpFixture]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=mailbox.authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield SmtpFixture(mailbox, port, cert)
    finally:
        controller.stop()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.connect(f"sqlite:///{tmp_path / 'tracker.db'}")
    yield database
    database.close()


def server(smtp: SmtpFixture, **changes: Any) -> SmtpServer:
    base = {
        "host": "127.0.0.1",
        "port": smtp.port,
        "user": USER,
        "password": PASSWORD,
        "ca_file": smtp.cert,
        "timeout_s": 5.0,
    }
    return SmtpServer(**{**base, **changes})


async def test_the_alert_arrives_over_starttls_with_its_headers_and_no_phi(
    db: Database, clock: ManualClock, smtp: SmtpFixture
) -> None:
    writer = EventWriter(db, clock.now - 300)
    writer.session("+13235550177", channel="sms")
    writer.user("+13235550177", "this is Marisol Quintero, i want to end it tonight", SELF_HARM)
    writer.bot("+13235550177", "Call or text 988.", "safety.self_harm", triage=SELF_HARM)
    writer.callback(
        "+13235550177", "Marisol Quintero", "+13235550177", "tonight", "sms", iso(clock.now)
    )
    alerting_indexer(clock, routes={EMAIL: BOTH[EMAIL]}).catch_up(db.engine)
    sender = EmailSender(server(smtp), FROM, TO)
    result = await AlertWorker(db, {EMAIL: sender}, composer(), 8, clock).run_once()
    assert (result.messages, result.delivered) == (2, 2)

    assert smtp.mailbox.logins == [USER, USER]  # logged in, after STARTTLS (required)
    by_kind = {m["X-Alert-Kind"]: m for m in smtp.mailbox.messages}
    assert set(by_kind) == {"self_harm", "callback"}
    mail = by_kind["self_harm"]
    assert mail["From"] == FROM
    assert mail["To"] == ", ".join(TO)
    assert mail["Subject"] == "[Patient assistant] Self-harm (988) - SMS"
    # When it happened: the patient's message, in Pacific time.
    assert mail["Date"] == "Thu, 26 Nov 2026 11:55:06 -0800"
    rows = {r.kind: r for r in outbox_rows(db)}
    assert mail["Message-ID"] == f"<{rows['self_harm'].delivery_id}@cedars-test.org>"
    body = mail.get_content()
    assert "https://console.example-hospital.org/conversations/1" in body
    callback_body = by_kind["callback"].get_content()
    assert "https://console.example-hospital.org/callbacks#callback-1" in callback_body
    for raw in smtp.mailbox.raw:
        text = raw.decode()
        for secret in ("Marisol", "Quintero", "end it", "tonight", "3235550177", "0177", "323"):
            assert secret not in text


def test_a_certificate_the_system_does_not_trust_is_refused(smtp: SmtpFixture) -> None:
    sender = EmailSender(server(smtp, ca_file=None), FROM, TO)
    mail = EmailMessage()
    mail.set_content("x")
    with pytest.raises(ssl.SSLCertVerificationError):
        sender.send_now(mail)
    assert smtp.mailbox.messages == []


def test_no_password_without_tls(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ALERT_SMTP_STARTTLS"):
        AlertSettings.from_env(
            {
                "ALERT_SMTP_HOST": "smtp.hospital.org",
                "ALERT_SMTP_USER": USER,
                "ALERT_SMTP_PASSWORD": PASSWORD,
                "ALERT_SMTP_STARTTLS": "off",
                "ALERT_EMAIL_FROM": "alerts@hospital.org",
                "ALERT_EMAIL_TO": "nurses@hospital.org",
            },
            "127.0.0.1",
            5010,
        )


def test_a_server_without_starttls_is_not_sent_to_in_plain_text(smtp: SmtpFixture) -> None:
    """With STARTTLS required, a server (or a man in the middle) that does not offer it
    gets nothing; aiosmtpd without a TLS context stands in for one."""
    plain = Mailbox()
    port = free_port()
    controller = Controller(plain, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sender = EmailSender(server(smtp, port=port), FROM, TO)
        mail = EmailMessage()
        mail.set_content("x")
        with pytest.raises(Exception, match="STARTTLS"):
            sender.send_now(mail)
    finally:
        controller.stop()
    assert plain.messages == []
