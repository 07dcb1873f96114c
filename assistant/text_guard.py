"""What every input channel does to a patient's text before Rasa sees it.

Rasa treats a message that starts with ``/`` as a ready-made intent with entities, skipping NLU
and the emergency matcher (``/affirm{"callback_phone": "..."}`` would set a slot without
validation). Only the exact payloads of the knowledge file's own buttons keep that meaning; any
other text that Rasa could read as ``/...`` becomes plain text for the NLU. "Could read"
covers what Rasa does (``str.strip`` first) and what the NLU normaliser does before Rasa's
intent handler runs (``assistant.nlu.normalise``: NFKC turns the fullwidth slash U+FF0F into
``/``; invisible characters and odd spaces go). Leading characters are dropped until neither
view starts with a slash, so ``"/ /affirm{...}"``, ``"\u200b/affirm{...}"`` and
``"\uff0faffirm{...}"`` all reach Rasa as ``affirm{...}``, as plain text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Collection

from assistant.nlu.normalise import normalise

MAX_MESSAGE_CHARS = 2000
INTENT_PREFIX = "/"


@dataclass(frozen=True)
class RejectedMessage(Exception):
    """A message no channel should pass on: the HTTP status and a reason for the client."""

    status: int
    reason: str

    def __str__(self) -> str:
        return f"{self.status}: {self.reason}"


def _printable(text: str) -> str:
    # Lone surrogates (from JSON "\\ud800") cannot be stored as UTF-8; control characters
    # other than line breaks and tabs have no place in a chat message.
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    )


def _reads_as_intent(text: str) -> bool:
    """Whether Rasa, directly or after the NLU normaliser, would see a ``/`` first."""
    return text.strip().startswith(INTENT_PREFIX) or normalise(text).startswith(INTENT_PREFIX)


def strip_intent_syntax(text: str) -> str:
    """``text`` without the leading characters that would make Rasa read it as an intent."""
    while text and _reads_as_intent(text):
        text = text[1:]
    return text.strip()


def clean_user_text(
    text: Any, trusted_payloads: Collection[str], max_chars: int = MAX_MESSAGE_CHARS
) -> str:
    """The text to hand to Rasa, or ``RejectedMessage`` for empty, oversized or non-text input."""
    if not isinstance(text, str):
        raise RejectedMessage(400, "message must be a string")
    cleaned = unicodedata.normalize("NFC", _printable(text)).strip()
    nlu_view = normalise(cleaned)  # what the NLU and Rasa's intent handler will see
    if not nlu_view:  # nothing visible (spaces, zero-width characters)
        raise RejectedMessage(400, "message is empty")
    if len(cleaned) > max_chars:
        raise RejectedMessage(413, f"message is longer than {max_chars} characters")
    reads_as_intent = cleaned.startswith(INTENT_PREFIX) or nlu_view.startswith(INTENT_PREFIX)
    if reads_as_intent and cleaned not in trusted_payloads:
        cleaned = strip_intent_syntax(cleaned)
        if not normalise(cleaned):
            raise RejectedMessage(400, "message is empty")
    return cleaned
