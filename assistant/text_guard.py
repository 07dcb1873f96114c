"""What every input channel does to a patient's text before Rasa sees it.

Rasa treats a message that starts with ``/`` as a ready-made intent with entities, skipping NLU
(``/affirm{"callback_phone": "..."}`` would set a slot without validation). Only the exact
payloads of the knowledge file's own buttons keep that meaning; any other ``/...`` text becomes
plain text for the NLU.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Collection

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


def clean_user_text(
    text: Any, trusted_payloads: Collection[str], max_chars: int = MAX_MESSAGE_CHARS
) -> str:
    """The text to hand to Rasa, or ``RejectedMessage`` for empty, oversized or non-text input."""
    if not isinstance(text, str):
        raise RejectedMessage(400, "message must be a string")
    cleaned = unicodedata.normalize("NFC", _printable(text)).strip()
    if not cleaned:
        raise RejectedMessage(400, "message is empty")
    if len(cleaned) > max_chars:
        raise RejectedMessage(413, f"message is longer than {max_chars} characters")
    if cleaned.startswith(INTENT_PREFIX) and cleaned not in trusted_payloads:
        cleaned = cleaned.lstrip(INTENT_PREFIX).strip()
        if not cleaned:
            raise RejectedMessage(400, "message is empty")
    return cleaned
