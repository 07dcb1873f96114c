"""The conversation's language, decided once per patient message.

In order: an explicit choice (the widget's toggle, or a request in the message: "en español",
"English please"); a confident detection of a message of two words or more; the language the
conversation already has; for a new conversation, the page's language, then a confident guess
on a one-word message ("hola"); English. A one-word reply ("sí", "1", a name) therefore never
changes an established language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from assistant.dialogue_names import LANGUAGE_EN, LANGUAGES

# A one-word first message sets a new conversation's language only above this confidence.
# The guess exists only when the message's words back it (assistant.language.vocabulary), and
# with two languages the top guess is at least 0.5: so "hola" or "gracias" alone opens a
# conversation in Spanish, and a name or "hello" (no guess) does not.
FIRST_WORD_FLOOR = 0.5


@dataclass(frozen=True)
class LanguageSignals:
    """What one patient message says about the language (None: says nothing)."""

    choice: Optional[str] = None  # explicit: the widget's toggle
    request: Optional[str] = None  # explicit: asked for in the message
    detected: Optional[str] = None  # confident detection, two words or more
    guess: Optional[str] = None  # the detector's top guess, whatever its confidence
    guess_confidence: float = 0.0
    page: Optional[str] = None  # the embedding page's language


def known_language(value: Any) -> Optional[str]:
    """``value`` when it is one of the assistant's languages (``LANGUAGES``), else None."""
    return value if isinstance(value, str) and value in LANGUAGES else None


def choose_language(previous: Optional[str], signals: LanguageSignals) -> str:
    """The conversation's language after this message (see the module docstring)."""
    for explicit in (signals.choice, signals.request, signals.detected):
        if known_language(explicit):
            return str(explicit)
    if known_language(previous):
        return str(previous)
    if known_language(signals.page):
        return str(signals.page)
    if known_language(signals.guess) and signals.guess_confidence >= FIRST_WORD_FLOOR:
        return str(signals.guess)
    return LANGUAGE_EN
