"""The indexer: Rasa's ``events`` rows become one ``console_conversations`` row per session,
with flags, intents, callbacks and unanswered questions, read incrementally and only once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterator

import pytest

from assistant.console import schema
from assistant.console.database import Database
from assistant.console.indexer import Indexer, normalise_question
from bench.console_harness import EventWriter, ManualClock
from tests.assistant.console.builders import (
    PACIFIC,
    chat,
    conversation,
    conversations,
    intent_counts,
    last_event_id,
    pacific,
    raw_event,
    rows,
    support_masker,
    unanswered_questions,
    user_data,
)

FLAGS = ("emergency", "handoff", "callback", "fallback")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.connect(f"sqlite:///{tmp_path / 'tracker.db'}")
    yield database
    database.close()


@pytest.fixture
def indexer(clock: ManualClock) -> Indexer:
    return Indexer(PACIFIC, support_masker(), gap_grace_s=10.0, clock=clock)


@pytest.fixture
def writer(db: Database, clock: ManualClock) -> EventWriter:
    return EventWriter(db, clock.now - 3600)


def flags_of(row: object) -> set[str]:
    return {f for f in FLAGS if getattr(row, f)}


# -- sessions -----------------------------------------------------------------------------


def test_one_conversation_per_rasa_session(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    chat(writer, "alice", [("hello", "greet")])
    second_start = last_event_id(db) + 1
    chat(writer, "alice", [("when is the infusion center open", "ask_infusion_hours")], "sms")

    indexer.catch_up(db.engine)

    first, second = conversations(db)
    assert (first.id, second.id) == (1, 2)
    assert first.sender_id == second.sender_id == "alice"
    assert first.first_message == "hello" and first.turns == 1
    assert second.first_message == "when is the infusion center open" and second.turns == 1
    assert second.first_event_id == second_start
    assert first.last_event_id == second_start - 1
    assert (first.channel, second.channel) == ("web", "sms")
    assert intent_counts(db, 1) == {"greet": 1}
    assert intent_counts(db, 2) == {"ask_infusion_hours": 1}


def test_second_session_indexed_in_a_later_run_is_a_new_conversation(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    chat(writer, "alice", [("hello", "greet")])
    indexer.catch_up(db.engine)
    chat(writer, "alice", [("bye", "goodbye")])
    indexer.catch_up(db.engine)

    assert [(r.id, r.first_message) for r in conversations(db)] == [(1, "hello"), (2, "bye")]


def test_session_start_action_alone_starts_a_new_conversation(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    chat(writer, "alice", [("hello", "greet")])
    writer.action("alice", "action_session_start")  # no metadata slot (e.g. the REST channel)
    writer.user("alice", "bye", "goodbye")

    indexer.catch_up(db.engine)

    assert [r.first_message for r in conversations(db)] == ["hello", "bye"]


def test_metadata_slot_and_session_start_action_open_one_conversation(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    chat(writer, "alice", [("hi", "greet")])  # slot, action_session_start, ..., session_started

    indexer.catch_up(db.engine)

    (only,) = conversations(db)
    assert only.first_event_id == 1 and only.turns == 1


def test_session_start_before_any_session_began_does_not_split(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    writer.action("alice", "action_listen")
    writer.user("alice", "hi", "greet")
    writer.action("alice", "action_session_start")  # no session_started seen yet
    writer.user("alice", "bye", "goodbye")

    indexer.catch_up(db.engine)

    (only,) = conversations(db)
    assert only.turns == 2


def test_senders_get_their_own_conversations_numbered_by_first_event(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    writer.session("bob")
    writer.session("alice")
    writer.user("alice", "alice here", "greet")
    writer.user("bob", "bob here", "greet")

    indexer.catch_up(db.engine)

    assert [(r.id, r.sender_id, r.first_message) for r in conversations(db)] == [
        (1, "bob", "bob here"),
        (2, "alice", "alice here"),
    ]


def test_channel_comes_from_the_session_metadata(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    writer.session("s", "sms")
    writer.user("s", "hello", "greet", channel="web")  # the session's channel wins
    writer.user("r", "hello", "greet", channel="rest")  # no session: the message's channel
    writer.action("u", "action_listen")  # nothing says where it came from

    indexer.catch_up(db.engine)

    assert [(r.sender_id, r.channel) for r in conversations(db)] == [
        ("s", "sms"),
        ("r", "rest"),
        ("u", "unknown"),
    ]


def test_turns_times_first_message_and_search_text(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    writer.at = pacific(2026, 11, 25, 23, 59) - 3  # the session starts late in the evening
    writer.session("alice")
    writer.user("alice", "/greet", "greet")  # a button payload, not typed text
    writer.user("alice", "What is IMMUNOTHERAPY?", "ask_immunotherapy")
    writer.user("alice", "And side effects", "ask_side_effects")

    indexer.catch_up(db.engine)

    row = conversation(db, 1)
    assert row.turns == 3
    assert row.started_day == "2026-11-25"  # a Pacific day, though already the 26th in UTC
    assert row.last_at == writer.at and row.last_event_id == last_event_id(db)
    assert row.first_message == "What is IMMUNOTHERAPY?"
    assert row.search_text == "what is immunotherapy?\nand side effects"
    assert row.session_open is True


# -- flags --------------------------------------------------------------------------------


def _emergency_intent(w: EventWriter) -> None:
    w.user("p", "I can't breathe", "emergency")


def _emergency_reply(w: EventWriter) -> None:
    w.bot("p", "Call 911 now.", "safety.emergency", emergency=True)


def _handoff_reply(w: EventWriter) -> None:
    w.bot("p", "Call 1-800-233-2771.", "contacts.support_line", handoff=True)


def _handoff_action(w: EventWriter) -> None:
    w.action("p", "action_handoff")


def _fallback_reply(w: EventWriter) -> None:
    w.bot("p", "Sorry, I did not get that.", "conversation.fallback", fallback=True)


def _callback_slot(w: EventWriter) -> None:
    w.callback("p", "Pat", "+13105550123", "mornings")


@pytest.mark.parametrize(
    ("write", "flag"),
    [
        (_emergency_intent, "emergency"),
        (_emergency_reply, "emergency"),
        (_handoff_reply, "handoff"),
        (_handoff_action, "handoff"),
        (_fallback_reply, "fallback"),
        (_callback_slot, "callback"),
    ],
)
def test_flags(
    db: Database,
    writer: EventWriter,
    indexer: Indexer,
    write: Callable[[EventWriter], None],
    flag: str,
) -> None:
    writer.session("p")
    writer.user("p", "hello", "greet")
    indexer.catch_up(db.engine)
    assert flags_of(conversation(db, 1)) == set()

    write(writer)
    indexer.catch_up(db.engine)

    assert flags_of(conversation(db, 1)) == {flag}


def test_flag_metadata_must_be_true_not_just_present(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    writer.session("p")
    writer.bot("p", "Hello.", "kb.greet", emergency=False, handoff=False, fallback=False)
    writer.callback("p", "Pat", "", "mornings")  # a callback slot without a number (reset)

    indexer.catch_up(db.engine)

    assert flags_of(conversation(db, 1)) == set()
    assert rows(db, schema.callbacks) == []


def test_callback_request_is_recorded(db: Database, writer: EventWriter, indexer: Indexer) -> None:
    writer.session("p", "sms")
    writer.callback("p", "Pat Lee", "+13105550123", "weekday mornings", channel="sms")

    indexer.catch_up(db.engine)

    (request,) = rows(db, schema.callbacks)
    assert request.conversation_id == 1
    assert request.event_id == last_event_id(db)
    assert (request.name, request.phone, request.best_time) == (
        "Pat Lee",
        "+13105550123",
        "weekday mornings",
    )
    assert request.channel == "sms" and request.status == "new"
    assert request.requested_at == pacific(2026, 11, 20, 10, 0)  # from the slot's ISO time


# -- missed messages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intent", "confidence"),
    [("nlu_fallback", 0.95), ("out_of_scope", 0.9), ("ask_dosing", 0.3)],
)
def test_fallback_out_of_scope_and_low_confidence_are_missed(
    db: Database, writer: EventWriter, indexer: Indexer, intent: str, confidence: float
) -> None:
    writer.session("p")
    writer.user("p", "hello", "greet")
    writer.user("p", "Can my dog   come to the INFUSION?", intent, confidence)

    indexer.catch_up(db.engine)

    row = conversation(db, 1)
    assert row.missed == 1 and row.turns == 2
    assert row.fallback is True
    assert unanswered_questions(db) == ["can my dog come to the infusion"]


def test_confidence_of_exactly_half_is_understood(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    writer.session("p")
    writer.user("p", "maybe dosing", "ask_dosing", 0.5)

    indexer.catch_up(db.engine)

    assert conversation(db, 1).missed == 0
    assert conversation(db, 1).fallback is False
    assert unanswered_questions(db) == []


def test_unanswered_questions_are_masked(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    writer.session("p")
    writer.user("p", "Text me at (310) 555-0123 or pat@example.com?", "nlu_fallback", 0.2)

    indexer.catch_up(db.engine)

    (question,) = unanswered_questions(db)
    assert question == "text me at •••-•••-0123 or p•••@example.com"
    (stored,) = rows(db, schema.unanswered)
    assert stored.conversation_id == 1 and stored.event_id == last_event_id(db)


def test_normalise_question_groups_spelling_variants() -> None:
    masker = support_masker()
    variants = ["Where do I PARK?", "  where do i park ", "where  do\ti park!!", "Where do I park."]
    assert {normalise_question(v, masker) for v in variants} == {"where do i park"}
    assert len(normalise_question("x" * 1000, masker)) == 300


# -- intents ------------------------------------------------------------------------------


def test_intents_are_counted(db: Database, writer: EventWriter, indexer: Indexer) -> None:
    writer.session("p")
    writer.user("p", "hi", "greet")
    writer.user("p", "hello again", "greet")
    writer.user("p", "how much do I take", "ask_dosing")

    indexer.catch_up(db.engine)

    assert intent_counts(db, 1) == {"greet": 2, "ask_dosing": 1}


# -- incremental indexing -----------------------------------------------------------------


def test_more_events_later_update_the_same_conversation(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    writer.session("p")
    writer.user("p", "hi", "greet")
    writer.user("p", "garbled", "nlu_fallback")
    assert indexer.catch_up(db.engine) == last_event_id(db)

    writer.user("p", "hi again", "greet")
    writer.user("p", "more garble", "nlu_fallback")
    writer.user("p", "I can't breathe", "emergency")
    assert indexer.catch_up(db.engine) == 3

    (row,) = conversations(db)
    assert row.turns == 5 and row.missed == 2
    assert row.first_message == "hi"
    assert row.last_event_id == last_event_id(db)
    assert flags_of(row) == {"fallback", "emergency"}
    assert intent_counts(db, 1) == {"greet": 2, "nlu_fallback": 2, "emergency": 1}
    assert unanswered_questions(db) == ["garbled", "more garble"]


def test_running_twice_adds_nothing(db: Database, writer: EventWriter, indexer: Indexer) -> None:
    chat(writer, "p", [("hi", "greet"), ("huh", "nlu_fallback")])
    writer.callback("p", "Pat", "+13105550123", "mornings")
    indexer.catch_up(db.engine)
    before = [
        rows(db, table)
        for table in (
            schema.conversations,
            schema.conversation_intents,
            schema.unanswered,
            schema.callbacks,
        )
    ]

    assert indexer.catch_up(db.engine) == 0
    # A second indexer (another console process) finds nothing left either.
    assert Indexer(PACIFIC, support_masker(), clock=indexer.clock).catch_up(db.engine) == 0

    after = [
        rows(db, table)
        for table in (
            schema.conversations,
            schema.conversation_intents,
            schema.unanswered,
            schema.callbacks,
        )
    ]
    assert after == before
    assert len(before[0]) == 1 and len(before[3]) == 1


def test_small_batches_give_the_same_index_as_one_big_batch(
    db: Database, writer: EventWriter, clock: ManualClock, tmp_path: Path
) -> None:
    chat(writer, "a", [("hi", "greet"), ("dose?", "ask_dosing"), ("??", "nlu_fallback")])
    chat(writer, "b", [("help", "emergency")], "sms")
    chat(writer, "a", [("again", "greet")])
    writer.action("b", "action_handoff")
    writer.user("a", "again and again", "greet")

    small = Indexer(PACIFIC, support_masker(), batch_size=3, clock=clock)
    assert small.catch_up(db.engine) == last_event_id(db)

    def summary() -> list[tuple]:
        return [
            (r.id, r.sender_id, r.channel, r.turns, r.missed, *sorted(flags_of(r)))
            for r in conversations(db)
        ] + [tuple(intent_counts(db, r.id).items()) for r in conversations(db)]

    in_small_batches = summary()
    with db.engine.begin() as connection:
        for table in (schema.conversations, schema.conversation_intents, schema.unanswered):
            connection.execute(table.delete())
        connection.execute(schema.index_state.delete())
    Indexer(PACIFIC, support_masker(), clock=clock).catch_up(db.engine)

    assert summary() == in_small_batches
    assert [r[:5] for r in in_small_batches[:3]] == [
        (1, "a", "web", 3, 1),
        (2, "b", "sms", 1, 0),
        (3, "a", "web", 2, 0),
    ]


# -- gaps in event ids --------------------------------------------------------------------


def test_recent_gap_waits_until_it_is_filled(
    db: Database, writer: EventWriter, indexer: Indexer, clock: ManualClock
) -> None:
    writer.session("p")
    writer.user("p", "hi", "greet")
    before_gap = last_event_id(db)
    raw_event(db, "p", "user", user_data("third", "greet"), clock.now - 1, before_gap + 2)

    assert indexer.catch_up(db.engine) == before_gap
    assert conversation(db, 1).last_event_id == before_gap
    assert conversation(db, 1).turns == 1

    # The transaction holding the missing id commits: both are read, in order.
    raw_event(db, "p", "user", user_data("second", "greet"), clock.now - 2, before_gap + 1)
    assert indexer.catch_up(db.engine) == 2
    row = conversation(db, 1)
    assert row.turns == 3 and row.last_event_id == before_gap + 2
    assert row.search_text == "hi\nsecond\nthird"


def test_gap_is_skipped_once_it_is_older_than_the_grace_period(
    db: Database, writer: EventWriter, indexer: Indexer, clock: ManualClock
) -> None:
    writer.session("p")
    before_gap = last_event_id(db)
    raw_event(db, "p", "user", user_data("after the gap", "greet"), clock.now, before_gap + 2)

    assert indexer.catch_up(db.engine) == before_gap
    clock.advance(indexer.gap_grace_s - 1)
    assert indexer.catch_up(db.engine) == 0

    clock.advance(2)
    assert indexer.catch_up(db.engine) == 1
    assert conversation(db, 1).first_message == "after the gap"
    assert indexer.catch_up(db.engine) == 0


def test_old_gap_does_not_hold_up_indexing(
    db: Database, writer: EventWriter, indexer: Indexer
) -> None:
    writer.session("p")
    writer.user("p", "hi", "greet")
    before_gap = last_event_id(db)
    gap_at = before_gap + 5  # ids lost to rolled-back transactions long ago
    raw_event(db, "p", "user", user_data("later", "greet"), writer.at + 1, gap_at)

    assert indexer.catch_up(db.engine) == before_gap + 1
    assert conversation(db, 1).last_event_id == gap_at
    assert conversation(db, 1).turns == 2


# -- damaged data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "{not json",
        "",
        "[1, 2, 3]",
        json.dumps({"event": "user", "text": "odd", "parse_data": "not a dict"}),
        json.dumps({"event": "user", "text": "odd", "parse_data": {"intent": "greet"}}),
        json.dumps({"event": "user", "text": "odd", "parse_data": {"intent": None}}),
    ],
)
def test_malformed_data_does_not_stop_indexing(
    db: Database, writer: EventWriter, indexer: Indexer, data: str
) -> None:
    writer.session("p")
    writer.user("p", "before", "greet")
    raw_event(db, "p", "user", data, writer.at + 0.5, intent="greet")
    writer.user("p", "after", "ask_dosing")
    writer.bot("p", "Broken metadata.", "kb.x")
    raw_event(db, "p", "bot", json.dumps({"event": "bot", "metadata": "oops"}), writer.at + 0.5)
    raw_event(db, "p", "slot", "{{{", writer.at + 0.6, action="callback_request")

    assert indexer.catch_up(db.engine) == last_event_id(db)

    row = conversation(db, 1)
    assert row.last_event_id == last_event_id(db)
    assert "before" in row.search_text and "after" in row.search_text
    assert intent_counts(db, 1)["ask_dosing"] == 1
    assert indexer.catch_up(db.engine) == 0
