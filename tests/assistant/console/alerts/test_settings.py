"""The ALERT_* settings: defaults, routing, and errors that name the variable."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest

from assistant.console.alerts.kinds import EMAIL, KINDS, WEBHOOK
from assistant.console.alerts.settings import AlertSettings

SLACK = "https://hooks.slack.com/services/T0AAA/B0BBB/abcdefSECRETPATH"
HOOK = {"ALERT_WEBHOOK_URL": SLACK, "ALERT_WEBHOOK_SECRET": "0123456789abcdef-secret"}
MAIL = {
    "ALERT_SMTP_HOST": "smtp.cshs.example",
    "ALERT_EMAIL_FROM": "patient-assistant@cshs.example",
    "ALERT_EMAIL_TO": "nurse-triage@cshs.example, support-leads@cshs.example",
}


def settings(env: Dict[str, str]) -> AlertSettings:
    return AlertSettings.from_env(env, "0.0.0.0", 5010)


def test_nothing_configured_means_alerts_are_off() -> None:
    off = settings({})
    assert not off.enabled and off.routes() == {} and off.described() == []
    assert off.public_url == "http://localhost:5010"


def test_both_destinations_with_their_kinds() -> None:
    both = settings(
        {
            **HOOK,
            **MAIL,
            "ALERT_WEBHOOK_KINDS": "emergency, self_harm, urgent",
            "ALERT_EMAIL_KINDS": "callback",
            "ALERT_SMTP_PORT": "2525",
            "ALERT_MAX_ATTEMPTS": "5",
            "CONSOLE_PUBLIC_URL": "https://staff.cshs.example/console/",
        }
    )
    assert both.routes() == {
        WEBHOOK: {"emergency", "self_harm", "urgent"},
        EMAIL: {"callback", "emergency", "self_harm"},  # emergencies always alert
    }
    assert both.email_to == ("nurse-triage@cshs.example", "support-leads@cshs.example")
    assert (both.smtp_port, both.smtp_starttls, both.max_attempts) == (2525, True, 5)
    assert both.public_url == "https://staff.cshs.example/console"
    assert settings({**HOOK}).webhook_kinds == frozenset(KINDS)


def test_the_page_and_repr_never_show_the_secret_or_the_webhook_path() -> None:
    both = settings({**HOOK, **MAIL, "ALERT_SMTP_USER": "svc", "ALERT_SMTP_PASSWORD": "pw-9"})
    shown = repr(both) + repr(both.described())
    assert "SECRETPATH" not in repr(both.described())
    assert HOOK["ALERT_WEBHOOK_SECRET"] not in shown and "pw-9" not in shown
    assert both.described()[0] == (
        WEBHOOK,
        "https://hooks.slack.com/…",
        "emergency, self_harm, urgent, callback",
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"ALERT_WEBHOOK_URL": SLACK}, "ALERT_WEBHOOK_SECRET"),
        ({**HOOK, "ALERT_WEBHOOK_SECRET": "short"}, "ALERT_WEBHOOK_SECRET"),
        ({"ALERT_WEBHOOK_SECRET": "0123456789abcdef-secret"}, "ALERT_WEBHOOK_URL"),
        ({**HOOK, "ALERT_WEBHOOK_URL": "http://hooks.example.org/x"}, "ALERT_WEBHOOK_URL"),
        ({**HOOK, "ALERT_WEBHOOK_KINDS": "emergency,callbacks"}, "ALERT_WEBHOOK_KINDS"),
        ({**MAIL, "ALERT_EMAIL_KINDS": "everything"}, "ALERT_EMAIL_KINDS"),
        ({**MAIL, "ALERT_SMTP_PORT": "smtp"}, "ALERT_SMTP_PORT"),
        ({**MAIL, "ALERT_SMTP_STARTTLS": "maybe"}, "ALERT_SMTP_STARTTLS"),
        ({**MAIL, "ALERT_EMAIL_FROM": ""}, "ALERT_EMAIL_FROM"),
        ({**MAIL, "ALERT_EMAIL_TO": ""}, "ALERT_EMAIL_TO"),
        ({**MAIL, "ALERT_EMAIL_TO": "nurses at cshs"}, "ALERT_EMAIL_TO"),
        ({"ALERT_EMAIL_TO": "a@b.example"}, "ALERT_SMTP_HOST"),
        ({**MAIL, "ALERT_SMTP_USER": "svc"}, "ALERT_SMTP_PASSWORD"),
        ({**MAIL, "ALERT_SMTP_CA_FILE": "/nonexistent/ca.pem"}, "ALERT_SMTP_CA_FILE"),
        ({**MAIL, "ALERT_MAX_ATTEMPTS": "0"}, "ALERT_MAX_ATTEMPTS"),
        ({**HOOK, "CONSOLE_PUBLIC_URL": "staff.cshs.example"}, "CONSOLE_PUBLIC_URL"),
    ],
)
def test_a_bad_setting_fails_naming_the_variable(env: Dict[str, str], variable: str) -> None:
    with pytest.raises(ValueError, match=variable):
        settings(env)


def test_an_internal_ca_file(tmp_path: Path) -> None:
    ca = tmp_path / "hospital-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    assert settings({**MAIL, "ALERT_SMTP_CA_FILE": str(ca)}).smtp_ca_file == ca
