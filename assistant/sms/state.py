"""What the SMS channel remembers per conversation (by hashed id): opt-out and the last menu.

Kept in a small SQLite file so it survives restarts.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import List

SCHEMA = """
CREATE TABLE IF NOT EXISTS opt_out (
    conversation_id TEXT PRIMARY KEY,
    opted_out INTEGER NOT NULL,
    changed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS menu (
    conversation_id TEXT PRIMARY KEY,
    payloads TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""


class SmsState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def is_opted_out(self, conversation_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT opted_out FROM opt_out WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
        return bool(row and row[0])

    def set_opted_out(self, conversation_id: str, opted_out: bool) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO opt_out VALUES (?, ?, ?) ON CONFLICT(conversation_id) "
                "DO UPDATE SET opted_out = excluded.opted_out, changed_at = excluded.changed_at",
                (conversation_id, int(opted_out), time.time()),
            )

    def is_opted_out_any(self) -> bool:
        """Whether any conversation has opted out (for checks and audits)."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM opt_out WHERE opted_out = 1 LIMIT 1").fetchone()
        return row is not None

    def set_menu(self, conversation_id: str, payloads: List[str]) -> None:
        with self._lock:
            if payloads:
                self._db.execute(
                    "INSERT INTO menu VALUES (?, ?, ?) ON CONFLICT(conversation_id) "
                    "DO UPDATE SET payloads = excluded.payloads, created_at = excluded.created_at",
                    (conversation_id, json.dumps(payloads), time.time()),
                )
            else:
                self._db.execute("DELETE FROM menu WHERE conversation_id = ?", (conversation_id,))

    def menu(self, conversation_id: str) -> List[str]:
        with self._lock:
            row = self._db.execute(
                "SELECT payloads FROM menu WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
        return list(json.loads(row[0])) if row else []

    def close(self) -> None:
        with self._lock:
            self._db.close()
