"""Per-conversation SMS state in SQLite: opt-out and the last numbered menu, across restarts."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from assistant.sms.state import SmsState

ALICE = "sms-" + "a" * 40
BOB = "sms-" + "b" * 40


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "sms.db"


@pytest.fixture
def state(db_path: Path) -> Iterator[SmsState]:
    opened = SmsState(db_path)
    yield opened
    opened.close()


def test_the_database_file_and_folder_are_created(db_path: Path, state: SmsState) -> None:
    assert db_path.parent.is_dir()
    assert db_path.is_file()


def test_opt_out_defaults_to_false(state: SmsState) -> None:
    assert state.is_opted_out(ALICE) is False


def test_opt_out_round_trip(state: SmsState) -> None:
    state.set_opted_out(ALICE, True)
    assert state.is_opted_out(ALICE) is True
    state.set_opted_out(ALICE, False)
    assert state.is_opted_out(ALICE) is False
    state.set_opted_out(ALICE, True)
    assert state.is_opted_out(ALICE) is True


def test_setting_the_same_opt_out_twice_is_fine(state: SmsState) -> None:
    state.set_opted_out(ALICE, True)
    state.set_opted_out(ALICE, True)
    assert state.is_opted_out(ALICE) is True


def test_menu_defaults_to_empty(state: SmsState) -> None:
    assert state.menu(ALICE) == []


def test_menu_round_trip_keeps_order(state: SmsState) -> None:
    payloads = ["/ask_side_effects", '/ask_cost{"topic": "copay"}', "/handoff"]
    state.set_menu(ALICE, payloads)
    assert state.menu(ALICE) == payloads


def test_a_new_menu_replaces_the_old(state: SmsState) -> None:
    state.set_menu(ALICE, ["/one", "/two", "/three"])
    state.set_menu(ALICE, ["/four"])
    assert state.menu(ALICE) == ["/four"]


def test_empty_menu_clears(state: SmsState) -> None:
    state.set_menu(ALICE, ["/one", "/two"])
    state.set_menu(ALICE, [])
    assert state.menu(ALICE) == []
    state.set_menu(ALICE, [])  # clearing an absent menu is fine too
    assert state.menu(ALICE) == []


def test_menu_is_a_copy(state: SmsState) -> None:
    state.set_menu(ALICE, ["/one"])
    state.menu(ALICE).append("/two")
    assert state.menu(ALICE) == ["/one"]


def test_state_survives_a_restart(db_path: Path) -> None:
    first = SmsState(db_path)
    first.set_opted_out(ALICE, True)
    first.set_menu(BOB, ["/one", "/two"])
    first.close()

    second = SmsState(db_path)
    try:
        assert second.is_opted_out(ALICE) is True
        assert second.is_opted_out(BOB) is False
        assert second.menu(BOB) == ["/one", "/two"]
        assert second.menu(ALICE) == []
        second.set_opted_out(ALICE, False)
    finally:
        second.close()

    third = SmsState(db_path)
    try:
        assert third.is_opted_out(ALICE) is False
    finally:
        third.close()


def test_two_connections_to_one_file_see_each_others_writes(db_path: Path) -> None:
    writer, reader = SmsState(db_path), SmsState(db_path)
    try:
        writer.set_opted_out(ALICE, True)
        assert reader.is_opted_out(ALICE) is True
    finally:
        writer.close()
        reader.close()


def test_conversations_are_independent(state: SmsState) -> None:
    state.set_opted_out(ALICE, True)
    state.set_menu(ALICE, ["/alice"])
    assert state.is_opted_out(BOB) is False
    assert state.menu(BOB) == []

    state.set_menu(BOB, ["/bob1", "/bob2"])
    state.set_menu(ALICE, [])
    state.set_opted_out(BOB, True)
    state.set_opted_out(ALICE, False)
    assert state.menu(BOB) == ["/bob1", "/bob2"]
    assert state.menu(ALICE) == []
    assert state.is_opted_out(BOB) is True
    assert state.is_opted_out(ALICE) is False


def test_a_separate_file_is_a_separate_state(tmp_path: Path) -> None:
    one, two = SmsState(tmp_path / "one.db"), SmsState(tmp_path / "two.db")
    try:
        one.set_opted_out(ALICE, True)
        assert two.is_opted_out(ALICE) is False
    finally:
        one.close()
        two.close()


def test_is_opted_out_any(state: SmsState) -> None:
    assert state.is_opted_out_any() is False
    state.set_opted_out(ALICE, False)
    assert state.is_opted_out_any() is False
    state.set_opted_out(BOB, True)
    assert state.is_opted_out_any() is True
    state.set_opted_out(BOB, False)
    assert state.is_opted_out_any() is False
