"""The console's settings, read from the environment once, when the app is created."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

DEFAULT_DB_URL = "sqlite:///.state/tracker.db"
COOKIE_SECURE_MODES = ("auto", "always", "never")


def _default_knowledge_dir() -> Path:
    """``$KNOWLEDGE_DIR``, else ``data/knowledge`` (read when the settings are made)."""
    from assistant.knowledge import knowledge_dir_from_env

    return knowledge_dir_from_env()


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
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
    proxies_count: int = 0
    index_interval_s: float = 2.0
    login_max_failures: int = 5
    login_window_s: int = 15 * 60
    page_size: int = 50
    export_limit: int = 5000
    # The knowledge folder, for the Clinical review page (and the support line's numbers).
    knowledge_dir: Path = field(default_factory=_default_knowledge_dir)

    def __post_init__(self) -> None:
        if self.cookie_secure not in COOKIE_SECURE_MODES:
            raise ValueError(
                f"CONSOLE_COOKIE_SECURE must be one of {COOKIE_SECURE_MODES}, "
                f"got {self.cookie_secure!r}"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ConsoleSettings:
        return cls(
            db_url=env.get("CONSOLE_DB_URL") or env.get("TRACKER_DB_URL") or DEFAULT_DB_URL,
            host=env.get("CONSOLE_HOST", "127.0.0.1"),
            port=_int(env, "CONSOLE_PORT", 5010, minimum=1),
            idle_timeout_s=_int(env, "CONSOLE_IDLE_TIMEOUT_S", 15 * 60, minimum=60),
            retention_days=_int(env, "CONSOLE_RETENTION_DAYS", 90, minimum=1),
            timezone=env.get("CONSOLE_TIMEZONE", "America/Los_Angeles"),
            cookie_secure=env.get("CONSOLE_COOKIE_SECURE", "auto"),
            proxies_count=_int(env, "CONSOLE_PROXIES_COUNT", 0),
            login_max_failures=_int(env, "CONSOLE_LOGIN_MAX_FAILURES", 5, minimum=1),
            login_window_s=_int(env, "CONSOLE_LOGIN_WINDOW_S", 15 * 60, minimum=1),
            knowledge_dir=(
                Path(env["KNOWLEDGE_DIR"]) if env.get("KNOWLEDGE_DIR") else _default_knowledge_dir()
            ),
        )
