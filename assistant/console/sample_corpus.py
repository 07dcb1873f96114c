"""Synthetic conversations in Rasa's ``events`` format, for trying the console and for the
100,000-conversation tests and benchmark. Every name and number in it is made up (phone
numbers are fictional 555-01xx numbers); nothing comes from real patients or the test set.
"""

from __future__ import annotations

import json
import random
import sys
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assistant import dialogue_names as names
from assistant.console import schema

# (intent, a few invented phrasings, knowledge entry of the answer)
TOPICS: List[Tuple[str, Tuple[str, ...], str]] = [
    (
        names.ASK_IMMUNOTHERAPY,
        ("what does immunotherapy do", "explain immunotherapy pls"),
        names.ENTRY_IMMUNOTHERAPY_OVERVIEW,
    ),
    (
        names.ASK_SIDE_EFFECTS,
        ("will i feel sick after", "side effects of my treatment?"),
        names.ENTRY_SIDE_EFFECTS_OVERVIEW,
    ),
    (
        names.ASK_ALLERGIC_REACTION,
        ("can i be allergic to it", "what if i get hives"),
        names.ENTRY_SIDE_EFFECTS_ALLERGIC_REACTION,
    ),
    (
        names.ASK_TREATMENT_FORMS,
        ("is it a pill or a drip", "do i get a shot"),
        names.ENTRY_TREATMENT_FORMS,
    ),
    (
        names.ASK_INFUSION_HOURS,
        ("when is the infusion center open", "hours on weekends?"),
        names.ENTRY_INFUSION_HOURS,
    ),
    (
        names.ASK_INFUSION_ROOMS,
        ("do the rooms have tvs", "can my husband stay with me"),
        names.ENTRY_INFUSION_ROOMS,
    ),
    (
        names.ASK_NURSE_LINE,
        ("number for the nurses", "nurse phone line"),
        names.ENTRY_SUPPORT_NURSE_LINE,
    ),
    (
        names.ASK_DOSING,
        ("how often do i go", "how long is each session"),
        names.ENTRY_TREATMENT_DOSING,
    ),
    (names.GREET, ("hi", "hello there"), names.ENTRY_CONVERSATION_GREET),
    (names.THANK, ("thanks!", "thank you so much"), names.ENTRY_CONVERSATION_THANK),
]
MISSED = ("can i eat sushi before", "parking validation?", "asdfgh", "wifi password")
NAMES = ("Alex Rivera", "Sam Lee", "Jordan Park", "Casey Morgan", "Taylor Brooks")
CHANNELS = ((names.WEB_CHANNEL, 0.55), (names.SMS_CHANNEL, 0.35), (names.REST_CHANNEL, 0.10))


class _Events:
    """Builds event rows for one sender, with increasing timestamps."""

    def __init__(self, sender: str, start: float, rng: random.Random) -> None:
        self.rng = rng
        self.sender = sender
        self.at = start
        self.rows: List[Dict[str, Any]] = []

    def add(
        self,
        type_name: str,
        data: Dict[str, Any],
        intent: Optional[str] = None,
        action: Optional[str] = None,
        gap: float = 0.05,
    ) -> None:
        self.at += gap
        self.rows.append(
            {
                "sender_id": self.sender,
                "type_name": type_name,
                "timestamp": self.at,
                "intent_name": intent,
                "action_name": action,
                "data": json.dumps({"event": type_name, "timestamp": self.at, **data}),
            }
        )

    def user(
        self,
        text: str,
        intent: str,
        confidence: float,
        channel: str,
        entities: Optional[List[Dict[str, Any]]] = None,
    ) -> None:
        self.add(
            "user",
            {
                "text": text,
                "parse_data": {
                    "intent": {"name": intent, "confidence": confidence},
                    "entities": entities or [],
                    "text": text,
                },
                "input_channel": channel,
                "metadata": {names.META_CHANNEL: channel},
            },
            intent=intent,
            gap=self.rng.uniform(5, 60),
        )

    def bot(self, text: str, kb_entry: str, *flags: str) -> None:
        """A bot message from ``kb_entry`` with these flags (``names.META_*``) set."""
        metadata = {names.META_KB_ENTRY: kb_entry, **dict.fromkeys(flags, True)}
        self.add("bot", {"text": text, "metadata": metadata})

    def action(self, name: str) -> None:
        self.add("action", {"name": name}, action=name)


def _conversation(rng: random.Random, index: int, start: float) -> List[Dict[str, Any]]:
    channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
    ev = _Events(f"sample-{channel}-{index:07d}", start, rng)
    ev.add(
        "slot",
        {"name": names.SESSION_STARTED_METADATA_SLOT, "value": {names.META_CHANNEL: channel}},
        action=names.SESSION_STARTED_METADATA_SLOT,
    )
    ev.bot(
        "General information only; in an emergency call 911.",
        names.ENTRY_CONVERSATION_DISCLAIMER,
    )
    ev.add("session_started", {})
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
        roll = rng.random()
        if roll < 0.03:
            ev.user(
                "my throat is closing up",
                names.EMERGENCY,
                0.99,
                channel,
                [{"entity": "emergency", "value": "medical"}],
            )
            ev.bot(
                "If this is an emergency, call 911 now.",
                names.ENTRY_SAFETY_EMERGENCY,
                names.META_EMERGENCY,
            )
            break
        if roll < 0.11:
            ev.user(rng.choice(MISSED), names.NLU_FALLBACK, rng.uniform(0.1, 0.29), channel)
            ev.bot(
                "Sorry, I did not understand that.",
                names.ENTRY_CONVERSATION_FALLBACK,
                names.META_FALLBACK,
            )
            continue
        if roll < 0.16:
            ev.user("can i talk to a person", names.REQUEST_HUMAN, 0.97, channel)
            ev.action(names.ACTION_HANDOFF)
            ev.bot("Call 1-800-CEDARS-1.", names.ENTRY_SUPPORT_HANDOFF_OPEN, names.META_HANDOFF)
            continue
        if roll < 0.19:
            name = rng.choice(NAMES)
            phone = f"+1310555{rng.randint(100, 199):04d}"
            ev.user("please call me back", names.REQUEST_CALLBACK, 0.95, channel)
            ev.user(f"my number is {phone[2:5]}-555-{phone[-4:]}", names.INFORM, 0.9, channel)
            ev.add(
                "slot",
                {
                    "name": names.CALLBACK_REQUEST_SLOT,
                    "value": {
                        names.REQUEST_NAME: name,
                        names.REQUEST_PHONE: phone,
                        names.REQUEST_BEST_TIME: "weekday mornings",
                        names.REQUEST_CONSENT: True,
                        names.REQUEST_REQUESTED_AT: time.strftime(
                            "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ev.at)
                        ),
                        names.REQUEST_CHANNEL: channel,
                    },
                },
                action=names.CALLBACK_REQUEST_SLOT,
            )
            ev.bot(
                f"Thank you, {name}. Our support team will call you.",
                names.ENTRY_CALLBACK_CONFIRMED,
                names.META_CALLBACK,
            )
            continue
        intent, phrasings, entry = rng.choice(TOPICS)
        ev.user(rng.choice(phrasings), intent, rng.uniform(0.45, 0.999), channel)
        ev.action(names.ACTION_ANSWER)
        ev.bot(f"(answer from {entry})", entry)
    return ev.rows


def sample_events(
    count: int, days: int, seed: int = 7, now: Optional[float] = None
) -> Iterator[List[Dict[str, Any]]]:
    """Conversations spread over the last ``days`` days, oldest first, one list per conversation."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    end = now if now is not None else time.time()
    starts = sorted(rng.uniform(end - days * 86400, end - 600) for _ in range(count))
    for index, start in enumerate(starts):
        yield _conversation(rng, index, start)


def write_sample_corpus(
    engine: Engine,
    count: int,
    days: int = 30,
    seed: int = 7,
    now: Optional[float] = None,
    progress: bool = False,
) -> int:
    schema.metadata.create_all(engine)
    batch: List[Dict[str, Any]] = []
    written = 0
    for rows in sample_events(count, days, seed, now):
        batch.extend(rows)
        written += 1
        if len(batch) >= 20000 or written == count:
            with engine.begin() as connection:
                connection.execute(schema.events.insert(), batch)
            batch = []
            if progress:
                print(
                    f"\r  {written:,}/{count:,} conversations", end="", file=sys.stderr, flush=True
                )
    if progress:
        print(file=sys.stderr)
    return written


def count_events(engine: Engine) -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(sa.select(sa.func.count()).select_from(schema.events)).scalar() or 0
        )
