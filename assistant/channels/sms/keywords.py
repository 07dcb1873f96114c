"""Carrier-style opt-out and help keywords (a single word, any case), in English and Spanish.

The body goes through the NLU's Unicode clean-up first (NFKC, zero-width and control characters,
whitespace), so a fullwidth or zero-width-spaced STOP is STOP; letter runs are kept, so "stoppp"
is not a keyword. The provider's English words (STOP, CANCEL, HELP...) work in any
conversation; the Spanish ones (PARAR, CANCELAR, AYUDA) also say the reply is wanted in Spanish.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Dict, Optional

from assistant.dialogue_names import LANGUAGE_ES
from assistant.nlu.normalise import normalise


class Keyword(enum.Enum):
    STOP = "stop"
    START = "start"
    HELP = "help"


@dataclass(frozen=True)
class KeywordMatch:
    """A keyword and the language its word belongs to (None: the provider's own English words,
    which patients of either language use, so the conversation's language decides)."""

    keyword: Keyword
    language: Optional[str] = None


_WORDS: Dict[str, KeywordMatch] = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), KeywordMatch(Keyword.STOP)
    ),
    **dict.fromkeys(("START", "UNSTOP", "YES"), KeywordMatch(Keyword.START)),
    **dict.fromkeys(("HELP", "INFO"), KeywordMatch(Keyword.HELP)),
    **dict.fromkeys(("PARAR", "CANCELAR"), KeywordMatch(Keyword.STOP, LANGUAGE_ES)),
    "AYUDA": KeywordMatch(Keyword.HELP, LANGUAGE_ES),
}


def keyword_match(body: str) -> Optional[KeywordMatch]:
    """The keyword a message is, with its word's language, if it is exactly one keyword
    (punctuation around is ignored)."""
    cleaned = normalise(body, shorten_runs=False)
    word = re.sub(r"^[\W_]+|[\W_]+$", "", cleaned).upper()
    return _WORDS.get(word)


def keyword_of(body: str) -> Optional[Keyword]:
    """The keyword a message is, if it is exactly one keyword."""
    match = keyword_match(body)
    return match.keyword if match else None
