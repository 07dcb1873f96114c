"""Carrier-style opt-out and help keywords (a single word, any case).

The body goes through the NLU's Unicode clean-up first (NFKC, zero-width and control characters,
whitespace), so a fullwidth or zero-width-spaced STOP is STOP; letter runs are kept, so "stoppp"
is not a keyword.
"""

from __future__ import annotations

import enum
import re
from typing import Optional

from assistant.nlu.normalise import normalise


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
    cleaned = normalise(body, shorten_runs=False)
    word = re.sub(r"^[\W_]+|[\W_]+$", "", cleaned).upper()
    return _WORDS.get(word)
