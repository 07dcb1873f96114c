"""A patient's rating of one answer: what the channels put in the ``answer_feedback`` slot and
what the staff console reads back from the tracker's events.

The rating is an event of the conversation (a ``SlotSet`` of ``answer_feedback``, a slot that
does not influence the dialogue), so the tracker store keeps it with the answer it rates and
the browser keeps nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

from assistant.dialogue_names import (
    FEEDBACK_ANSWER_AT,
    FEEDBACK_CHANNEL,
    FEEDBACK_COMMENT,
    FEEDBACK_KB_ENTRY,
    FEEDBACK_RATING,
    FEEDBACK_RATINGS,
    NOT_HELPFUL,
)

COMMENT_MAX_CHARS = 300
ENTRY_MAX_CHARS = 120
CHANNEL_MAX_CHARS = 16


class InvalidFeedback(ValueError):
    """A rating that cannot be recorded (the message says which field and why)."""


@dataclass(frozen=True)
class AnswerFeedback:
    rating: str  # one of ``FEEDBACK_RATINGS``
    kb_entry: Optional[str]  # the knowledge entry of the rated answer
    answer_at: Optional[float]  # the rated bot event's timestamp
    comment: str = ""
    channel: str = "unknown"

    def __post_init__(self) -> None:
        if self.rating not in FEEDBACK_RATINGS:
            raise InvalidFeedback(f"rating must be one of {FEEDBACK_RATINGS}, got {self.rating!r}")
        if self.kb_entry is not None and not 0 < len(self.kb_entry) <= ENTRY_MAX_CHARS:
            raise InvalidFeedback(f"kb_entry must be 1-{ENTRY_MAX_CHARS} characters")
        if self.answer_at is not None and not math.isfinite(self.answer_at):
            raise InvalidFeedback("answer_at must be a finite timestamp")
        if len(self.comment) > COMMENT_MAX_CHARS:
            raise InvalidFeedback(f"comment must be at most {COMMENT_MAX_CHARS} characters")

    @property
    def helpful(self) -> bool:
        return self.rating != NOT_HELPFUL

    def as_slot_value(self) -> Dict[str, Any]:
        return {
            FEEDBACK_RATING: self.rating,
            FEEDBACK_KB_ENTRY: self.kb_entry,
            FEEDBACK_ANSWER_AT: self.answer_at,
            FEEDBACK_COMMENT: self.comment,
            FEEDBACK_CHANNEL: self.channel,
        }

    @classmethod
    def from_slot_value(cls, value: Any) -> Optional[AnswerFeedback]:
        """The rating a slot value holds, or None when it holds none (the slot reset, or a
        value this version does not understand)."""
        if not isinstance(value, Mapping):
            return None
        entry = value.get(FEEDBACK_KB_ENTRY)
        answer_at = value.get(FEEDBACK_ANSWER_AT)
        try:
            return cls(
                rating=str(value.get(FEEDBACK_RATING)),
                kb_entry=str(entry)[:ENTRY_MAX_CHARS] if entry else None,
                answer_at=float(answer_at) if isinstance(answer_at, (int, float)) else None,
                comment=str(value.get(FEEDBACK_COMMENT) or "")[:COMMENT_MAX_CHARS],
                channel=str(value.get(FEEDBACK_CHANNEL) or "unknown")[:CHANNEL_MAX_CHARS],
            )
        except InvalidFeedback:
            return None
