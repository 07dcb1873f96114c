"""`make run`'s line about the console's first account: printed only while the default SQLite
database has no account, and never when the console uses another database."""

from __future__ import annotations

from pathlib import Path

from assistant.console.accounts import add_user
from assistant.console.database import Database
from assistant.ops.run import FIRST_ACCOUNT_LINE, first_account_line

PASSWORD = "a long enough password 123"


def test_no_database_yet_gets_the_line_and_no_file(tmp_path: Path) -> None:
    assert first_account_line(tmp_path, {}) == FIRST_ACCOUNT_LINE
    assert "make console-user NAME=alice ROLE=admin" in FIRST_ACCOUNT_LINE
    assert not (tmp_path / "tracker.db").exists()  # looking does not create it


def test_the_line_until_the_first_account_exists(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'tracker.db'}")
    try:
        assert first_account_line(tmp_path, {}) == FIRST_ACCOUNT_LINE
        db.call(add_user, "alice", "admin", PASSWORD)
        assert first_account_line(tmp_path, {}) == ""
    finally:
        db.close()


def test_a_tracker_database_without_console_tables_gets_the_line(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "tracker.db") as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY)")
    connection.close()
    assert first_account_line(tmp_path, {}) == FIRST_ACCOUNT_LINE


def test_another_console_database_is_not_looked_at(tmp_path: Path) -> None:
    env = {"CONSOLE_DB_URL": "postgresql://console@db.internal/assistant"}
    assert first_account_line(tmp_path, env) == ""
