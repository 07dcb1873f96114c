"""action_handoff: the support number, whether the line is open now (Pacific time, DST-safe),
the nurse line and a callback offer."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff
from assistant.knowledge import KnowledgeStore
from tests.conftest import FakeClock

SUPPORT_LINK = "[1-800-CEDARS-1](tel:+18002332771) (1-800-233-2771)"
SUPPORT_PHONE = "1-800-CEDARS-1 (1-800-233-2771)"
UTC = dt.timezone.utc


async def handoff(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    channel: str = "rest",
    active_loop: str | None = None,
) -> List[Dict[str, Any]]:
    tracker = make_tracker(
        "request_human", "talk to a person", channel=channel, active_loop=active_loop
    )
    return await ActionHandoff(store=store, clock=clock).run(dispatcher, tracker, domain)


def entry_ids(dispatcher: CollectingDispatcher) -> List[str]:
    return [message["kb_entry"] for message in dispatcher.messages]


def test_name_is_in_the_domain(domain: Dict[str, Any]) -> None:
    assert ActionHandoff().name() == "action_handoff"
    assert "action_handoff" in domain["actions"]


OPEN_TIMES: List[Tuple[int, int, int, int, int]] = [
    (2026, 6, 15, 6, 0),
    (2026, 6, 15, 20, 59),
    (2026, 6, 15, 12, 0),
    # 8 March 2026: clocks spring forward from 2:00 PST to 3:00 PDT.
    (2026, 3, 8, 6, 0),
    (2026, 3, 8, 20, 59),
    # 1 November 2026: clocks fall back from 2:00 PDT to 1:00 PST.
    (2026, 11, 1, 6, 0),
    (2026, 11, 1, 20, 59),
]


@pytest.mark.parametrize("when", OPEN_TIMES)
async def test_open_line(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    when: Tuple[int, int, int, int, int],
) -> None:
    clock.set_pacific(*when)
    events = await handoff(store, clock, dispatcher, make_tracker, domain)
    assert events == []
    first = dispatcher.messages[0]
    assert first["kb_entry"] == "support.handoff_open"
    assert first["handoff"] is True
    assert first["text"].startswith("You can talk to a person now: call " + SUPPORT_LINK)
    assert "closed" not in first["text"]


CLOSED_TIMES: List[Tuple[Tuple[int, int, int, int, int], str]] = [
    ((2026, 6, 15, 5, 59), "6:00 AM on Monday, June 15"),
    ((2026, 6, 15, 21, 0), "6:00 AM on Tuesday, June 16"),
    ((2026, 6, 15, 0, 0), "6:00 AM on Monday, June 15"),
    ((2026, 6, 15, 23, 59), "6:00 AM on Tuesday, June 16"),
    ((2026, 3, 8, 5, 59), "6:00 AM on Sunday, March 8"),
    ((2026, 3, 8, 21, 0), "6:00 AM on Monday, March 9"),
    ((2026, 3, 7, 21, 0), "6:00 AM on Sunday, March 8"),
    ((2026, 11, 1, 5, 59), "6:00 AM on Sunday, November 1"),
    ((2026, 11, 1, 21, 0), "6:00 AM on Monday, November 2"),
    ((2026, 10, 31, 21, 0), "6:00 AM on Sunday, November 1"),
    ((2026, 12, 31, 21, 0), "6:00 AM on Friday, January 1"),
]


@pytest.mark.parametrize(("when", "next_open"), CLOSED_TIMES)
async def test_closed_line_says_when_it_opens(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    when: Tuple[int, int, int, int, int],
    next_open: str,
) -> None:
    clock.set_pacific(*when)
    await handoff(store, clock, dispatcher, make_tracker, domain)
    first = dispatcher.messages[0]
    assert first["kb_entry"] == "support.handoff_closed"
    assert first["handoff"] is True
    assert f"It opens again **{next_open}** Pacific time." in first["text"]
    assert SUPPORT_LINK in first["text"]
    # Not only "closed": the closed-line message itself says the nurses answer at any hour.
    assert "oncology nurses are always reachable by phone, at any hour" in first["text"]


@pytest.mark.parametrize(
    ("utc", "entry_id", "next_open"),
    [
        # Spring forward: 06:00 PDT is 13:00 UTC (it was 14:00 UTC the day before).
        (
            dt.datetime(2026, 3, 8, 12, 59, tzinfo=UTC),
            "support.handoff_closed",
            "6:00 AM on Sunday, March 8",
        ),
        (dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC), "support.handoff_open", None),
        (dt.datetime(2026, 3, 9, 3, 59, tzinfo=UTC), "support.handoff_open", None),  # 20:59 PDT
        (
            dt.datetime(2026, 3, 9, 4, 0, tzinfo=UTC),
            "support.handoff_closed",
            "6:00 AM on Monday, March 9",
        ),
        # Fall back: 06:00 PST is 14:00 UTC (it was 13:00 UTC the day before).
        (
            dt.datetime(2026, 11, 1, 13, 59, tzinfo=UTC),
            "support.handoff_closed",
            "6:00 AM on Sunday, November 1",
        ),
        (dt.datetime(2026, 11, 1, 14, 0, tzinfo=UTC), "support.handoff_open", None),
        (dt.datetime(2026, 11, 2, 4, 59, tzinfo=UTC), "support.handoff_open", None),  # 20:59 PST
        (
            dt.datetime(2026, 11, 2, 5, 0, tzinfo=UTC),
            "support.handoff_closed",
            "6:00 AM on Monday, November 2",
        ),
    ],
)
async def test_system_clock_in_utc_is_read_in_pacific_time_on_dst_days(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    utc: dt.datetime,
    entry_id: str,
    next_open: str | None,
) -> None:
    clock.now = utc
    await handoff(store, clock, dispatcher, make_tracker, domain)
    first = dispatcher.messages[0]
    assert first["kb_entry"] == entry_id
    if next_open is not None:
        assert f"**{next_open}**" in first["text"]


async def test_sms_gets_the_plain_number(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    clock.set_pacific(2026, 6, 15, 12, 0)
    await handoff(store, clock, dispatcher, make_tracker, domain, channel="sms")
    first = dispatcher.messages[0]
    assert first["kb_entry"] == "support.handoff_open"
    assert first["text"].startswith(f"To talk to a person, call {SUPPORT_PHONE} now.")
    assert all("tel:" not in message["text"] for message in dispatcher.messages)
    assert all("**" not in message["text"] for message in dispatcher.messages)


async def test_sms_closed_line_names_the_next_opening(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
) -> None:
    clock.set_pacific(2026, 11, 1, 21, 0)
    await handoff(store, clock, dispatcher, make_tracker, domain, channel="sms")
    first = dispatcher.messages[0]
    assert first["kb_entry"] == "support.handoff_closed"
    assert "opens 6:00 AM on Monday, November 2 Pacific" in first["text"]
    assert SUPPORT_PHONE in first["text"] and "tel:" not in first["text"]


@pytest.mark.parametrize(
    ("hour", "line_entry"), [(12, "support.handoff_open"), (22, "support.handoff_closed")]
)
async def test_nurse_reminder_and_callback_offer_without_a_form(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    hour: int,
    line_entry: str,
) -> None:
    clock.set_pacific(2026, 6, 15, hour, 0)
    await handoff(store, clock, dispatcher, make_tracker, domain)
    assert entry_ids(dispatcher) == [line_entry, "support.nurse_reminder", "support.callback_offer"]
    reminder, offer = dispatcher.messages[1], dispatcher.messages[2]
    assert "oncology nurses are always reachable by phone" in reminder["text"]
    assert offer["text"] == "Would you like someone from our team to call you back?"
    assert [b["payload"] for b in offer["buttons"]] == ["/request_callback", "/deny"]


@pytest.mark.parametrize(
    ("hour", "line_entry"), [(12, "support.handoff_open"), (22, "support.handoff_closed")]
)
async def test_no_callback_offer_while_the_callback_form_is_active(
    store: KnowledgeStore,
    clock: FakeClock,
    dispatcher: CollectingDispatcher,
    make_tracker: Any,
    domain: Dict[str, Any],
    hour: int,
    line_entry: str,
) -> None:
    clock.set_pacific(2026, 6, 15, hour, 0)
    events = await handoff(
        store, clock, dispatcher, make_tracker, domain, active_loop="callback_form"
    )
    assert entry_ids(dispatcher) == [line_entry, "support.nurse_reminder"]
    # The form goes on: the handoff does not end it.
    assert events == []
