"""A per-message flag the tracker store raises when it could not read or write.

Rasa wraps every tracker store in ``FailSafeTrackerStore``: when the database is down it
returns no tracker (the bot carries on with a blank conversation) and saves into memory (the
turn is lost when the database returns). The channel sets a fresh flag before handing Rasa a
message; the store trips it; the channel then sends the apology with the support number
instead of a context-free answer.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Optional


@dataclass
class OutageFlag:
    tripped: bool = False
    what: str = ""


_current: ContextVar[Optional[OutageFlag]] = ContextVar("tracker_store_outage", default=None)


def watch() -> OutageFlag:
    """A fresh flag for the message being handled (tasks it starts share the same flag)."""
    flag = OutageFlag()
    _current.set(flag)
    return flag


def trip(what: str) -> None:
    flag = _current.get()
    if flag is not None:
        flag.tripped = True
        flag.what = what
