"""The console's settings, read from the environment once, when the app is created."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from assistant.proxies import TrustedProxies, parse_trusted_proxies

DEFAULT_DB_URL = "sqlite:///.state/tracker.db"
COOKIE_SECURE_MODES = ("auto", "always", "never")


def _default_knowledge_dir() -> Path:
    """``$KNOWLEDGE_DIR``, else ``data/knowledge`` (read when the settings are made)."""
    from assistant.knowledge import knowledge_dir_from_env

    return knowledge_dir_from_env()


def env_int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    """The whole number ``name`` holds in ``env`` (``default`` when unset); a value that is not
    one, or is below ``minimum``, is an error naming the variable."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _trusted_proxies(env: Mapping[str, str]) -> TrustedProxies:
    """``CONSOLE_TRUSTED_PROXIES``. The old ``CONSOLE_PROXIES_COUNT`` trusted forwarded
    headers from any peer; it is refused rather than ignored, so a console behind a proxy
    is not left seeing every client as the proxy's address."""
    raw = env.get("CONSOLE_TRUSTED_PROXIES", "")
    old = env.get("CONSOLE_PROXIES_COUNT", "").strip()
    if old not in ("", "0") and not raw.strip():
        raise ValueError(
            "CONSOLE_PROXIES_COUNT is no longer supported: set CONSOLE_TRUSTED_PROXIES to the "
            "proxy's address (for example 127.0.0.1)"
        )
    try:
        return parse_trusted_proxies(raw)
    except ValueError as error:
        raise ValueError(f"CONSOLE_TRUSTED_PROXIES: {error}") from None


@dataclass(frozen=True)
class ConsoleSettings:
    db_url: str = DEFAULT_DB_URL
    host: str = "127.0.0.1"
    port: int = 5010
    idle_timeout_s: int = 15 * 60
    retention_days: int = 90
    timezone: str = "America/Los_Angeles"
    # "auto": Secure when the request came over https (directly or through a trusted proxy).
    cookie_secure: str = "auto"
    # Forwarded headers are believed only from these peers (reverse proxies).
    trusted_proxies: TrustedProxies = ()
    index_interval_s: float = 2.0
    # Login throttling, per user name and (with IP_FAILURE_FACTOR times the failures) per
    # address: failures are free up to login_max_failures; each further attempt waits
    # login_delay_s after the last failure, doubling up to login_max_delay_s. A streak of
    # failures is forgotten after login_window_s without one.
    login_max_failures: int = 5
    login_window_s: int = 15 * 60
    login_delay_s: int = 30
    login_max_delay_s: int = 5 * 60
    page_size: int = 50
    export_limit: int = 5000
    # The callback queue: a request not called within this many minutes of the support
    # line's open hours is overdue; a staff member's claim on a request lasts this long.
    callback_target_minutes: int = 60
    callback_claim_minutes: int = 15
    # The knowledge folder, for the Clinical review page (and the support line's numbers).
    knowledge_dir: Path = field(default_factory=_default_knowledge_dir)

    def __post_init__(self) -> None:
        if self.cookie_secure not in COOKIE_SECURE_MODES:
            raise ValueError(
                f"CONSOLE_COOKIE_SECURE must be one of {COOKIE_SECURE_MODES}, "
                f"got {self.cookie_secure!r}"
            )
        if not 0 < self.login_delay_s <= self.login_max_delay_s < self.login_window_s:
            raise ValueError(
                "login delays must satisfy 0 < CONSOLE_LOGIN_DELAY_S <= "
                "CONSOLE_LOGIN_MAX_DELAY_S < CONSOLE_LOGIN_WINDOW_S, got "
                f"{self.login_delay_s}, {self.login_max_delay_s}, {self.login_window_s}"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ConsoleSettings:
        return cls(
            db_url=env.get("CONSOLE_DB_URL") or env.get("TRACKER_DB_URL") or DEFAULT_DB_URL,
            host=env.get("CONSOLE_HOST", "127.0.0.1"),
            port=env_int(env, "CONSOLE_PORT", 5010, minimum=1),
            idle_timeout_s=env_int(env, "CONSOLE_IDLE_TIMEOUT_S", 15 * 60, minimum=60),
            retention_days=env_int(env, "CONSOLE_RETENTION_DAYS", 90, minimum=1),
            timezone=env.get("CONSOLE_TIMEZONE", "America/Los_Angeles"),
            cookie_secure=env.get("CONSOLE_COOKIE_SECURE", "auto"),
            trusted_proxies=_trusted_proxies(env),
            login_max_failures=env_int(env, "CONSOLE_LOGIN_MAX_FAILURES", 5, minimum=1),
            login_window_s=env_int(env, "CONSOLE_LOGIN_WINDOW_S", 15 * 60, minimum=1),
            login_delay_s=env_int(env, "CONSOLE_LOGIN_DELAY_S", 30, minimum=1),
            login_max_delay_s=env_int(env, "CONSOLE_LOGIN_MAX_DELAY_S", 5 * 60, minimum=1),
            callback_target_minutes=env_int(env, "CALLBACK_TARGET_MINUTES", 60, minimum=1),
            callback_claim_minutes=env_int(env, "CALLBACK_CLAIM_MINUTES", 15, minimum=1),
            knowledge_dir=(
                Path(env["KNOWLEDGE_DIR"]) if env.get("KNOWLEDGE_DIR") else _default_knowledge_dir()
            ),
        )
