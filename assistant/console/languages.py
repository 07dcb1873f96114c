"""The languages the console reads out of Rasa's events.

A conversation's language is the last value of the ``conversation_language`` slot
(``LANGUAGE_SLOT``, set by the actions); without one, the language of the last bot message
(``META_LANGUAGE`` in its metadata); without either, English. A patient message's language
is what the NLU detected (``PARSE_LANGUAGE``, None when undecided, e.g. a one-word "sí") with
its confidence (``PARSE_LANGUAGE_CONFIDENCE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from assistant.dialogue_names import (
    LANGUAGE_EN,
    META_LANGUAGE,
    PARSE_LANGUAGE,
    PARSE_LANGUAGE_CONFIDENCE,
)
from assistant.language.choice import known_language

DEFAULT_LANGUAGE = LANGUAGE_EN


def bot_language(metadata: Mapping[str, Any]) -> Optional[str]:
    """The language a bot message was sent in, from its metadata (None when not recorded)."""
    return known_language(metadata.get(META_LANGUAGE))


@dataclass(frozen=True)
class DetectedLanguage:
    """What the NLU said of a patient message's language. ``reported`` is False for events
    written before the NLU detected languages (nothing to show)."""

    language: Optional[str] = None
    confidence: Optional[float] = None
    reported: bool = False


def detected_language(parse_data: Mapping[str, Any]) -> DetectedLanguage:
    """The detected language and confidence in a user event's ``parse_data``."""
    reported = PARSE_LANGUAGE in parse_data or PARSE_LANGUAGE_CONFIDENCE in parse_data
    confidence = parse_data.get(PARSE_LANGUAGE_CONFIDENCE)
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        confidence = None
    return DetectedLanguage(
        known_language(parse_data.get(PARSE_LANGUAGE)),
        float(confidence) if confidence is not None else None,
        reported,
    )


@dataclass
class LanguageTracker:
    """A conversation's language as its events are read in order: the slot's last value
    wins over bot messages' languages, whatever their order."""

    language: str = DEFAULT_LANGUAGE
    from_slot: bool = False  # ``language`` is the slot's value (else a bot message's or default)

    def on_slot(self, value: Any) -> None:
        """The language slot was set; a reset (None) or an unknown value changes nothing."""
        found = known_language(value)
        if found:
            self.language, self.from_slot = found, True

    def on_bot(self, metadata: Mapping[str, Any]) -> None:
        found = bot_language(metadata)
        if found and not self.from_slot:
            self.language = found
