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

from assistant.console import schema

# (intent, a few invented phrasings, knowledge entry of the answer)
TOPICS: List[Tuple[str, Tuple[str, ...], str]] = [
    (
        "ask_immunotherapy",
        ("what does immunotherapy do", "explain immunotherapy pls"),
        "immunotherapy.overview",
    ),
    (
        "ask_side_effects",
        ("will i feel sick after", "side effects of my treatment?"),
        "side_effects.overview",
    ),
    (
        "ask_allergic_reaction",
        ("can i be allergic to it", "what if i get hives"),
        "side_effects.allergic",
    ),
    ("ask_treatment_forms", ("is it a pill or a drip", "do i get a shot"), "treatment.forms"),
    (
        "ask_infusion_hours",
        ("when is the infusion center open", "hours on weekends?"),
        "infusion_center.hours",
    ),
    (
        "ask_infusion_rooms",
        ("do the rooms have tvs", "can my husband stay with me"),
        "infusion_center.rooms",
    ),
    ("ask_nurse_line", ("number for the nurses", "nurse phone line"), "support.nurse_line"),
    ("ask_dosing", ("how often do i go", "how long is each session"), "treatment.dosing"),
    ("greet", ("hi", "hello there"), "conversation.greet"),
    ("thank", ("thanks!", "thank you so much"), "conversation.thank"),
]
MISSED = ("can i eat sushi before", "parking validation?", "asdfgh", "wifi password")
NAMES = ("Alex Rivera", "Sam Lee", "Jordan Park", "Casey Morgan", "Taylor Brooks")
CHANNELS = (("web", 0.55), ("sms", 0.35), ("rest", 0.10))


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
                "metadata": {"channel": channel},
            },
            intent=intent,
            gap=self.rng.uniform(5, 60),
        )

    def bot(self, text: str, kb_entry: str, **flags: bool) -> None:
        self.add("bot", {"text": text, "metadata": {"kb_entry": kb_entry, **flags}})

    def action(self, name: str) -> None:
        self.add("action", {"name": name}, action=name)


def _conversation(rng: random.Random, index: int, start: float) -> List[Dict[str, Any]]:
    channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
    ev = _Events(f"sample-{channel}-{index:07d}", start, rng)
    ev.add(
        "slot",
        {"name": "session_started_metadata", "value": {"channel": channel}},
        action="session_started_metadata",
    )
    ev.bot("General information only; in an emergency call 911.", "conversation.disclaimer")
    ev.add("session_started", {})
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
        roll = rng.random()
        if roll < 0.03:
            ev.user(
                "my throat is closing up",
                "emergency",
                0.99,
                channel,
                [{"entity": "emergency", "value": "medical"}],
            )
            ev.bot("If this is an emergency, call 911 now.", "safety.emergency", emergency=True)
            break
        if roll < 0.11:
            ev.user(rng.choice(MISSED), "nlu_fallback", rng.uniform(0.1, 0.29), channel)
            ev.bot("Sorry, I did not understand that.", "conversation.fallback", fallback=True)
            continue
        if roll < 0.16:
            ev.user("can i talk to a person", "request_human", 0.97, channel)
            ev.action("action_handoff")
            ev.bot("Call 1-800-CEDARS-1.", "support.handoff_open", handoff=True)
            continue
        if roll < 0.19:
            name = rng.choice(NAMES)
            phone = f"+1310555{rng.randint(100, 199):04d}"
            ev.user("please call me back", "request_callback", 0.95, channel)
            ev.user(f"my number is {phone[2:5]}-555-{phone[-4:]}", "inform", 0.9, channel)
            ev.add(
                "slot",
                {
                    "name": "callback_request",
                    "value": {
                        "name": name,
                        "phone": phone,
                        "best_time": "weekday mornings",
                        "consent": True,
                        "requested_at": time.strftime(
                            "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ev.at)
                        ),
                        "channel": channel,
                    },
                },
                action="callback_request",
            )
            ev.bot(
                f"Thank you, {name}. Our support team will call you.",
                "callback.confirmed",
                callback=True,
            )
            continue
        intent, phrasings, entry = rng.choice(TOPICS)
        ev.user(rng.choice(phrasings), intent, rng.uniform(0.45, 0.999), channel)
        ev.action("action_answer")
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
