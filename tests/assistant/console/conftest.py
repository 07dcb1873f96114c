"""Fixtures for the console: a fresh database and app per test, a clock set by hand."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from bench.console_harness import Console, EventWriter, ManualClock, running_console
from tests.assistant.console.builders import quick_startup

# 2026-11-26 12:00 Pacific: the conversations in these tests happen around then.
NOW = 1795723200.0


@pytest.fixture(autouse=True)
def _quick_startup_when_marked(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Modules marked ``quick_startup`` get ``builders.quick_startup`` for every test."""
    if request.node.get_closest_marker("quick_startup"):
        quick_startup(monkeypatch)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture
async def console(db_url: str, clock: ManualClock) -> AsyncIterator[Console]:
    async with running_console(db_url, clock) as started:
        yield started


@pytest.fixture
def events(console: Console, clock: ManualClock) -> EventWriter:
    return EventWriter(console.db, clock.now - 3600)
