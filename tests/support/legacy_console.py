"""The console's schema as the code before migrations made it, saved as SQL
(``tests/assistant/console/data``): the tests that upgrade an older database build it from
these statements, not from today's ``schema.py``, which later revisions extend."""

from __future__ import annotations

from pathlib import Path
from typing import List

DATA = Path(__file__).resolve().parents[1] / "assistant" / "console" / "data"
LEGACY = {
    "sqlite": DATA / "console_schema_before_migrations.sqlite.sql",
    "postgresql": DATA / "console_schema_before_migrations.postgresql.sql",
}


def legacy_statements(dialect: str) -> List[str]:
    """The statements of the saved schema (each ends with a line holding only ';')."""
    statements, lines = [], []
    for line in LEGACY[dialect].read_text().splitlines():
        if line == ";":
            statements.append("\n".join(lines).strip())
            lines = []
        elif not line.startswith("--"):
            lines.append(line)
    assert not "".join(lines).strip(), "the last statement lacks its ';' line"
    return statements
