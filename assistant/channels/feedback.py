"""Patients' ratings of answers, shared by the web and SMS channels.

Which bot messages may be rated (``is_rateable``), and how a rating is recorded: as a
``SlotSet`` of ``answer_feedback`` appended to the conversation's tracker under Rasa's lock for
that conversation, so it stays with the answer it rates and nothing is kept on the patient's
side. The rated answer is looked up in the current session of the tracker, and the rating
carries that bot event's own timestamp (``answer_at``) and knowledge entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from rasa.core.lock_store import LockError
from rasa.shared.core.events import SlotSet

from assistant.channels.session_events import current_session
from assistant.dialogue_names import (
    ANSWER_FEEDBACK_SLOT,
    ENTRY_CONVERSATION_DISCLAIMER,
    ENTRY_CONVERSATION_TECHNICAL_ERROR,
    META_EMERGENCY,
    META_KB_ENTRY,
    META_TRIAGE,
)
from assistant.feedback import AnswerFeedback

logger = logging.getLogger(__name__)

# A live widget reply carries the channel's clock, read after Rasa logged the bot event; the
# history gives the event's own timestamp. Either is at or after the event; this much slack
# covers a timestamp rounded on its way through JSON.
TIMESTAMP_SLACK_S = 0.001

# Knowledge texts that answer no question: the opening disclaimer, the "something went wrong"
# apology.
NOT_ANSWERS = frozenset({ENTRY_CONVERSATION_DISCLAIMER, ENTRY_CONVERSATION_TECHNICAL_ERROR})

Event = Dict[str, Any]
Pick = Callable[[Sequence[Event]], Optional[Event]]


class FeedbackNotRecorded(Exception):
    """The rating could not be recorded; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def is_safety(message: Mapping[str, Any]) -> bool:
    """An emergency (911/988) or triage answer."""
    return bool(message.get(META_EMERGENCY) or message.get(META_TRIAGE))


def is_rateable(message: Mapping[str, Any]) -> bool:
    """Whether a patient may rate this bot message: it comes from a knowledge entry, answers
    something (``NOT_ANSWERS``) and is not an emergency or triage answer. ``message`` is the
    bot message's metadata (the annotations a channel got, or a tracker event's ``metadata``)."""
    entry = message.get(META_KB_ENTRY)
    return bool(entry) and entry not in NOT_ANSWERS and not is_safety(message)


def rateable_in_reply(messages: Sequence[Mapping[str, Any]]) -> Optional[Mapping[str, Any]]:
    """The answer a whole reply (one turn's bot messages, with their annotations) invites a
    rating of: its last rateable message, unless the reply is about safety (an emergency or
    triage message in it), which is never followed by a rating question."""
    if any(is_safety(message) for message in messages):
        return None
    rateable = [m for m in messages if m.get("text") and is_rateable(m)]
    return rateable[-1] if rateable else None


def is_rateable_event(event: Mapping[str, Any]) -> bool:
    """A tracker event (as a dict) that is a rateable bot message."""
    return (
        event.get("event") == "bot"
        and bool(event.get("text"))
        and is_rateable(event.get("metadata") or {})
    )


def answer_at_or_before(kb_entry: str, at: float) -> Pick:
    """Picks the latest bot message from ``kb_entry`` sent at or before ``at`` (whether it
    may be rated is checked when it is recorded)."""

    def pick(events: Sequence[Event]) -> Optional[Event]:
        found = None
        for event in events:
            if event.get("event") != "bot" or not event.get("text"):
                continue
            if (event.get("metadata") or {}).get(META_KB_ENTRY) != kb_entry:
                continue
            stamp = event.get("timestamp")
            if isinstance(stamp, (int, float)) and stamp <= at + TIMESTAMP_SLACK_S:
                found = event
        return found

    return pick


def last_turn_answer(events: Sequence[Event]) -> Optional[Event]:
    """The answer the bot's latest turn (its messages after the patient's latest message)
    invited a rating of (``rateable_in_reply``), or None."""
    turn: List[Event] = []
    for event in reversed(events):
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            turn.insert(0, event)
    messages = [
        (event, {**(event.get("metadata") or {}), "text": event.get("text")}) for event in turn
    ]
    chosen = rateable_in_reply([message for _, message in messages])
    return next((event for event, message in messages if message is chosen), None)


def feedback_for(events: Sequence[Event]) -> Dict[float, AnswerFeedback]:
    """The latest rating of each answer in ``events``, by the answer's timestamp."""
    ratings: Dict[float, AnswerFeedback] = {}
    for event in events:
        if event.get("event") != "slot" or event.get("name") != ANSWER_FEEDBACK_SLOT:
            continue
        rating = AnswerFeedback.from_slot_value(event.get("value"))
        if rating is not None and rating.answer_at is not None:
            ratings[rating.answer_at] = rating
    return ratings


@dataclass(frozen=True)
class Rating:
    """What the patient said about an answer, before the answer is found."""

    rating: str
    comment: str = ""


@dataclass(frozen=True)
class RecordedFeedback:
    feedback: AnswerFeedback  # what went into the tracker
    answer: Event  # the rated bot event


async def record_feedback(
    agent: Any, sender_id: str, pick: Pick, rating: Rating, channel: str
) -> RecordedFeedback:
    """Append the rating of the answer ``pick`` finds in the current session to the
    conversation, under Rasa's lock for it. Raises ``FeedbackNotRecorded`` (404 no such
    answer, 422 a message that may not be rated, 503 no tracker store or the lock timed out)
    and ``InvalidFeedback``."""
    tracker_store = getattr(agent, "tracker_store", None)
    lock_store = getattr(agent, "lock_store", None)
    if tracker_store is None or lock_store is None:
        raise FeedbackNotRecorded(503, "conversations are not available")
    try:
        async with lock_store.lock(sender_id):
            full = await tracker_store.retrieve_full_tracker(sender_id)
            events: List[Event] = [event.as_dict() for event in full.events] if full else []
            answer = pick(current_session(events))
            if answer is None:
                raise FeedbackNotRecorded(404, "no such answer in this conversation")
            if not is_rateable_event(answer):
                raise FeedbackNotRecorded(422, "this message cannot be rated")
            feedback = AnswerFeedback(
                rating=rating.rating,
                kb_entry=str((answer.get("metadata") or {}).get(META_KB_ENTRY)),
                answer_at=float(answer["timestamp"]),
                comment=rating.comment,
                channel=channel,
            )
            tracker = await tracker_store.retrieve(sender_id)
            if tracker is None:
                raise FeedbackNotRecorded(404, "no such answer in this conversation")
            tracker.update(SlotSet(ANSWER_FEEDBACK_SLOT, feedback.as_slot_value()))
            await tracker_store.save(tracker)
    except LockError:
        logger.warning("Could not take the conversation lock to record a rating")
        raise FeedbackNotRecorded(503, "the conversation is busy") from None
    return RecordedFeedback(feedback, answer)
