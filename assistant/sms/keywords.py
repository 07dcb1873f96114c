"""Carrier-style opt-out and help keywords (a single word, any case)."""

from __future__ import annotations

import enum
import re
from typing import Optional


class Keyword(enum.Enum):
    STOP = "stop"
    START = "start"
    HELP = "help"


_WORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), Keyword.STOP),
    **dict.fromkeys(("START", "UNSTOP", "YES"), Keyword.START),
    **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
}


def keyword_of(body: str) -> Optional[Keyword]:
    """The keyword a message is, if it is exactly one keyword (punctuation around is ignored)."""
    word = re.sub(r"^[\W_]+|[\W_]+$", "", body.strip()).upper()
    return _WORDS.get(word)
