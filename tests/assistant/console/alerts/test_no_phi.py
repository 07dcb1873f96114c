"""A day of alerts carries no patient data: a day of realistic conversations (names, numbers,
symptoms in the patient's words, callbacks day and night) is indexed with alerts on, every
alert is rendered as the webhook body and the e-mail, digests included, and none of them
holds a name, any digit run of a phone number, or the patient's words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

import pytest

from assistant.console.alerts.kinds import EMAIL, WEBHOOK
from assistant.console.alerts.mail import email_message
from assistant.console.alerts.messages import AlertMessage
from assistant.console.alerts.webhook import signed_request
from assistant.console.alerts.worker import AlertWorker
from assistant.console.database import Database
from assistant.dialogue_names import EMERGENCY, SELF_HARM, URGENT_SYMPTOM
from bench.console_harness import EventWriter, ManualClock
from tests.assistant.console.alerts.alert_builders import (
    SECRET,
    RecordingSender,
    alerting_indexer,
    composer,
    iso,
    outbox_rows,
)
from tests.assistant.console.builders import pacific


@dataclass(frozen=True)
class Visit:
    hour: int
    minute: int
    sender: str
    channel: str
    messages: Tuple[Tuple[str, str], ...]  # (text, intent)
    tier: Optional[str] = None  # the triage answer's tier
    callback: Optional[Tuple[str, str, str]] = None  # name, phone, best time


DAY = (
    Visit(
        0, 40, "+17475550162", "sms",
        (("cant sleep, fever 102.4 n chills since dinner", URGENT_SYMPTOM),),
        URGENT_SYMPTOM,
    ),
    Visit(
        2, 15, "w-8f3a", "web",
        (("Hi this is Graciela Ortiz-Baum, I’d like someone to call me about my port appt",  # noqa: RUF001
          "request_callback"),),
        callback=("Graciela Ortiz-Baum", "(818) 555-0147", "after 10 am please"),
    ),
    Visit(
        7, 5, "w-1b77", "web",
        (("my dad Tomasz Wieczorek is on pembro and hes confused and breathing fast", EMERGENCY),),
        EMERGENCY,
    ),
    Visit(8, 30, "+13105550139", "sms", (("where do i park for the infusion center", "parking"),)),
    Visit(
        9, 50, "w-22c0", "web",
        (("Caller: Bettina Okonkwo-Lind. pls call back re: my mom’s rash from nivolumab",  # noqa: RUF001
          "request_callback"),),
        callback=("Bettina Okonkwo-Lind", "+1 626 555 0193", "anytime before 5"),
    ),
    Visit(
        11, 20, "+12135550128", "sms",
        (("honestly i dont see the point of any of this anymore", SELF_HARM),),
        SELF_HARM,
    ),
    Visit(
        13, 45, "w-9d1e", "web",
        (("diarrhea 8 times today after my yervoy, is that bad", URGENT_SYMPTOM),),
        URGENT_SYMPTOM,
    ),
    Visit(
        16, 10, "+19495550174", "sms",
        (("Its Reginald Fairweather, can u have the nurse ring me", "request_callback"),),
        callback=("Reginald Fairweather", "949-555-0174", "evenings"),
    ),
    Visit(
        21, 35, "w-4c4c", "web",
        (("my wife Anneliese Dworkin needs a call about her next infusion date",
          "request_callback"),),
        callback=("Anneliese Dworkin", "+1 (562) 555-0116", "tomorrow morning"),
    ),
    Visit(
        22, 50, "+17145550185", "sms",
        (("swollen tongue n throat feels tight after todays dose", EMERGENCY),),
        EMERGENCY,
    ),
    Visit(
        23, 30, "w-7e01", "web",
        (("can someone call me back tmrw, this is Priyamvada Seshadri", "request_callback"),),
        callback=("Priyamvada Seshadri", "+1 805 555 0109", "lunchtime"),
    ),
)  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.connect(f"sqlite:///{tmp_path / 'tracker.db'}")
    yield database
    database.close()


def write_day(db: Database) -> None:
    for visit in DAY:
        at = pacific(2026, 11, 25, visit.hour, visit.minute)
        writer = EventWriter(db, at)
        writer.session(visit.sender, channel=visit.channel)
        for text, intent in visit.messages:
            writer.user(visit.sender, text, intent, channel=visit.channel)
        if visit.tier:
            writer.bot(
                visit.sender, "(the triage answer)", f"safety.{visit.tier}", triage=visit.tier
            )
        if visit.callback:
            name, phone, best = visit.callback
            writer.callback(visit.sender, name, phone, best, visit.channel, iso(at + 30))


def rendered(messages: Sequence[AlertMessage]) -> List[str]:
    """Each alert as the webhook receiver and the mailbox get it."""
    out = []
    for message in messages:
        body, _headers = signed_request(message, SECRET, 1795680000.0)
        out.append(body.decode())
        mail = email_message(message, "alerts@hospital.example", ("leads@hospital.example",))
        out.append(mail.as_string())
        out.append(mail.get_content())  # decoded, whatever the transfer encoding
    return out


def phone_runs() -> set[str]:
    """Every digit run of the patients' numbers (and SMS sender ids), and each one whole."""
    numbers = [v.callback[1] for v in DAY if v.callback] + [
        v.sender for v in DAY if v.sender.startswith("+")
    ]
    runs = set()
    for number in numbers:
        runs.update(re.findall(r"\d+", number))
        digits = re.sub(r"\D", "", number)
        runs.update({digits, digits[-10:], digits[-7:], digits[-4:]})
    runs.discard("1")  # the country code alone is no one's number
    return runs


WORD = re.compile(r"[\w'\u2019]+")


def word_windows(text: str, size: int = 4) -> set[str]:
    words = WORD.findall(text.lower())
    return {" ".join(words[i : i + size]) for i in range(max(len(words) - size + 1, 1))}


async def test_a_day_of_alerts_carries_no_names_numbers_or_words(
    db: Database, clock: ManualClock
) -> None:
    write_day(db)
    clock.now = pacific(2026, 11, 25, 23, 59)
    alerting_indexer(clock).catch_up(db.engine)
    hook, mail = RecordingSender(), RecordingSender()
    worker = AlertWorker(db, {WEBHOOK: hook, EMAIL: mail}, composer(), 8, clock)
    await worker.run_once()  # the day's alerts (and the digest of the night before)
    clock.now = pacific(2026, 11, 26, 6, 0)
    await worker.run_once()  # this morning's digest
    messages = hook.received + mail.received
    assert all(r.status == "delivered" for r in outbox_rows(db))
    kinds = sorted(m.kind for m in hook.received)
    assert kinds == sorted(
        [
            *("urgent", "emergency", "callback", "self_harm", "urgent", "callback"),
            *("emergency", "callback_digest", "callback_digest"),
        ]
    )
    assert sorted(m.count for m in hook.received if m.kind == "callback_digest") == [1, 2]
    assert len(mail.received) == len(hook.received)

    names = {part.lower() for v in DAY if v.callback for part in re.split(r"[\s-]+", v.callback[0])}
    names |= {"tomasz", "wieczorek"}  # named in a message, not in a form
    patient_words = set()
    for visit in DAY:
        for text, _intent in visit.messages:
            patient_words |= word_windows(text)
        if visit.callback:
            patient_words |= word_windows(visit.callback[2], size=2)
    numbers = phone_runs()
    senders = {v.sender for v in DAY}
    for text in rendered(messages):
        lowered = text.lower()
        assert not [n for n in names if n in lowered]
        assert not [s for s in senders if s.lower() in lowered]
        digit_runs = re.findall(r"\d+", text)
        assert not [
            r for r in digit_runs if r in numbers or any(len(n) >= 4 and n in r for n in numbers)
        ]
        assert not [w for w in patient_words if w in " ".join(WORD.findall(lowered))]
