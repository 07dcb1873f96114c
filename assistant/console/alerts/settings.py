"""Where alerts go: the ``ALERT_*`` environment variables, read when the console is made.

Nothing is configured by default: the console then says on its dashboard and its Alerts page
that alerts are off, and how to turn them on (docs/alerts.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from assistant.console.alerts.kinds import ALWAYS_ALERTED, EMAIL, KINDS, WEBHOOK
from assistant.console.settings import env_int

DEFAULT_SMTP_PORT = 587
DEFAULT_MAX_ATTEMPTS = 8
# An event older than this when it is indexed (a console pointed at months of old
# conversations) is not alerted: nobody can act on it any more.
DEFAULT_MAX_AGE_HOURS = 72
MIN_SECRET_CHARS = 16
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _text(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _text(env, name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{name} must be on or off, got {raw!r}")


def _kinds(env: Mapping[str, str], name: str) -> FrozenSet[str]:
    """A comma list of alert kinds; empty means all of them."""
    raw = _text(env, name)
    if not raw:
        return frozenset(KINDS)
    chosen = frozenset(part.strip().lower() for part in raw.split(",") if part.strip())
    unknown = sorted(chosen - set(KINDS))
    if unknown:
        raise ValueError(f"{name}: unknown alert kinds {unknown}; the kinds are {list(KINDS)}")
    return chosen


def _addresses(env: Mapping[str, str], name: str) -> Tuple[str, ...]:
    found = tuple(part.strip() for part in _text(env, name).split(",") if part.strip())
    for address in found:
        if "@" not in address or any(c.isspace() or c in "<>\r\n" for c in address):
            raise ValueError(f"{name}: {address!r} is not an e-mail address")
    return found


def check_webhook_url(url: str, name: str = "ALERT_WEBHOOK_URL") -> str:
    """``url`` if it is https (or http to this machine, for tests and development)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"{name} must be a full URL (https://...), got no host")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return url
    raise ValueError(f"{name} must use https (http only to 127.0.0.1 or localhost)")


def default_public_url(host: str, port: int) -> str:
    """The console's address for links when CONSOLE_PUBLIC_URL is not set."""
    shown = "localhost" if host in ("", "0.0.0.0", "::", "127.0.0.1") else host  # noqa: S104
    return f"http://{shown}:{port}"


@dataclass(frozen=True)
class AlertSettings:
    webhook_url: str = ""
    webhook_secret: str = field(default="", repr=False)
    webhook_kinds: FrozenSet[str] = frozenset(KINDS)
    webhook_timeout_s: float = 10.0
    smtp_host: str = ""
    smtp_port: int = DEFAULT_SMTP_PORT
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = True
    smtp_ca_file: Optional[Path] = None
    smtp_timeout_s: float = 20.0
    email_from: str = ""
    email_to: Tuple[str, ...] = ()
    email_kinds: FrozenSet[str] = frozenset(KINDS)
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_age_s: float = DEFAULT_MAX_AGE_HOURS * 3600.0
    public_url: str = "http://localhost:5010"

    def __post_init__(self) -> None:
        if self.webhook_url:
            check_webhook_url(self.webhook_url)
            if not self.webhook_secret:
                raise ValueError(
                    "ALERT_WEBHOOK_SECRET is required when ALERT_WEBHOOK_URL is set "
                    "(the webhook's requests are signed with it)"
                )
            if len(self.webhook_secret) < MIN_SECRET_CHARS:
                raise ValueError(
                    f"ALERT_WEBHOOK_SECRET must have at least {MIN_SECRET_CHARS} characters"
                )
        elif self.webhook_secret:
            raise ValueError("ALERT_WEBHOOK_SECRET is set but ALERT_WEBHOOK_URL is not")
        if self.smtp_host:
            if not self.email_from or "@" not in self.email_from:
                raise ValueError(
                    "ALERT_EMAIL_FROM (an e-mail address) is required with ALERT_SMTP_HOST"
                )
            if not self.email_to:
                raise ValueError(
                    "ALERT_EMAIL_TO (a comma list of addresses) is required with ALERT_SMTP_HOST"
                )
            if self.smtp_user and not self.smtp_starttls:
                raise ValueError(
                    "ALERT_SMTP_USER needs ALERT_SMTP_STARTTLS on: the password is never sent "
                    "without TLS"
                )
            if self.smtp_user and not self.smtp_password:
                raise ValueError("ALERT_SMTP_PASSWORD is required with ALERT_SMTP_USER")
            if self.smtp_ca_file is not None and not self.smtp_ca_file.is_file():
                raise ValueError(f"ALERT_SMTP_CA_FILE: no such file {str(self.smtp_ca_file)!r}")
        elif self.email_to:
            raise ValueError("ALERT_EMAIL_TO is set but ALERT_SMTP_HOST is not")
        if not self.public_url.startswith(("https://", "http://")):
            raise ValueError("CONSOLE_PUBLIC_URL must start with https:// or http://")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], console_host: str, console_port: int
    ) -> AlertSettings:
        ca_file = _text(env, "ALERT_SMTP_CA_FILE")
        public_url = _text(env, "CONSOLE_PUBLIC_URL") or default_public_url(
            console_host, console_port
        )
        return cls(
            webhook_url=_text(env, "ALERT_WEBHOOK_URL"),
            webhook_secret=_text(env, "ALERT_WEBHOOK_SECRET"),
            webhook_kinds=_kinds(env, "ALERT_WEBHOOK_KINDS"),
            smtp_host=_text(env, "ALERT_SMTP_HOST"),
            smtp_port=env_int(env, "ALERT_SMTP_PORT", DEFAULT_SMTP_PORT, minimum=1),
            smtp_user=_text(env, "ALERT_SMTP_USER"),
            smtp_password=env.get("ALERT_SMTP_PASSWORD", ""),
            smtp_starttls=_flag(env, "ALERT_SMTP_STARTTLS", True),
            smtp_ca_file=Path(ca_file) if ca_file else None,
            email_from=_text(env, "ALERT_EMAIL_FROM"),
            email_to=_addresses(env, "ALERT_EMAIL_TO"),
            email_kinds=_kinds(env, "ALERT_EMAIL_KINDS"),
            max_attempts=env_int(env, "ALERT_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, minimum=1),
            max_age_s=3600.0
            * env_int(env, "ALERT_MAX_AGE_HOURS", DEFAULT_MAX_AGE_HOURS, minimum=1),
            public_url=public_url.rstrip("/"),
        )

    @property
    def enabled(self) -> bool:
        return bool(self.routes())

    def routes(self) -> Dict[str, FrozenSet[str]]:
        """Each configured destination and the kinds it gets (emergencies always)."""
        found: Dict[str, FrozenSet[str]] = {}
        if self.webhook_url:
            found[WEBHOOK] = self.webhook_kinds | ALWAYS_ALERTED
        if self.smtp_host:
            found[EMAIL] = self.email_kinds | ALWAYS_ALERTED
        return found

    def overridden(self) -> List[str]:
        """Warnings for kinds settings that leave an always-alerted kind out."""
        chosen = {WEBHOOK: self.webhook_kinds, EMAIL: self.email_kinds}
        variable = {WEBHOOK: "ALERT_WEBHOOK_KINDS", EMAIL: "ALERT_EMAIL_KINDS"}
        warnings = []
        for destination in self.routes():
            left_out = ", ".join(sorted(ALWAYS_ALERTED - chosen[destination]))
            if left_out:
                warnings.append(
                    f"{variable[destination]} leaves out {left_out}: emergencies always "
                    "alert, so they are sent there anyway"
                )
        return warnings

    def described(self) -> List[Tuple[str, str, str]]:
        """(destination, where, kinds) for the Alerts page: no secret, no password."""
        rows = []
        routes = self.routes()
        if WEBHOOK in routes:
            parts = urlsplit(self.webhook_url)
            # The path of a Slack or Teams webhook URL is its credential: show the host only.
            rows.append((WEBHOOK, f"{parts.scheme}://{parts.hostname}/…", _listed(routes[WEBHOOK])))
        if EMAIL in routes:
            tls = "STARTTLS" if self.smtp_starttls else "no TLS"
            where = f"{', '.join(self.email_to)} via {self.smtp_host}:{self.smtp_port} ({tls})"
            rows.append((EMAIL, where, _listed(routes[EMAIL])))
        return rows


def _listed(kinds: FrozenSet[str]) -> str:
    return ", ".join(kind for kind in KINDS if kind in kinds)
