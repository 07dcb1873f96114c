"""The Rasa server's tuning settings, read from the environment (``Tuning.from_env``).

- ``ASSISTANT_RASA_TUNING``: ``on`` (the default) or ``off``. Off serves stock Rasa 3.6: none
  of the patches in ``patches.PATCHES`` is installed.
- ``ACTION_SERVER_TIMEOUT_S``: how long Rasa waits for the action server (5 s; Rasa's is 300).
- ``MAX_SESSION_EVENTS``: a session with more events starts a new one (600; ``0``: never).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional

SWITCH = "ASSISTANT_RASA_TUNING"
DEFAULT_ACTION_TIMEOUT_S = 5.0
DEFAULT_MAX_SESSION_EVENTS = 600


@dataclass(frozen=True)
class Tuning:
    action_timeout_s: float = DEFAULT_ACTION_TIMEOUT_S
    max_session_events: int = DEFAULT_MAX_SESSION_EVENTS  # 0: sessions end by time only
    enabled: bool = True  # False: ASSISTANT_RASA_TUNING=off, stock Rasa

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> Tuning:
        env = os.environ if env is None else env
        return cls(
            action_timeout_s=_action_timeout(env.get("ACTION_SERVER_TIMEOUT_S", "").strip()),
            max_session_events=_max_session_events(env.get("MAX_SESSION_EVENTS", "").strip()),
            enabled=_enabled(env.get(SWITCH, "").strip()),
        )


def _enabled(raw: str) -> bool:
    value = raw.lower() or "on"
    if value not in ("on", "off"):
        raise ValueError(f"{SWITCH} must be 'on' or 'off', not {raw!r}")
    return value == "on"


def _action_timeout(raw: str) -> float:
    if not raw:
        return DEFAULT_ACTION_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"ACTION_SERVER_TIMEOUT_S must be a number of seconds, not {raw!r}"
        ) from None
    if not 0 < value <= 300:
        raise ValueError(f"ACTION_SERVER_TIMEOUT_S must be in (0, 300], not {raw!r}")
    return value


def _max_session_events(raw: str) -> int:
    if not raw:
        return DEFAULT_MAX_SESSION_EVENTS
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(f"MAX_SESSION_EVENTS must be a whole number (0 = no limit), not {raw!r}")
    value = int(raw)
    if 0 < value < 50:
        raise ValueError(f"MAX_SESSION_EVENTS must be 0 or at least 50, not {raw!r}")
    return value
