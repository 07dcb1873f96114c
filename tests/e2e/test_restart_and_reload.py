"""Conversations survive a restart (SQLite tracker store); knowledge edits apply live."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import texts
from tests.support.assistant_servers import start_assistant

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_conversation_survives_a_restart(trained_model: Path, tmp_path: Path) -> None:
    sender = "restart-check"
    first = start_assistant(tmp_path, trained_model)
    try:
        first.say(sender, "could someone call me back")
        assert "What phone number" in texts(first.say(sender, "Maya Cohen"))
    finally:
        first.stop()
    second = start_assistant(tmp_path, trained_model)
    try:
        # Same tracker database: the form resumes where it was.
        assert "best time" in texts(second.say(sender, "424-555-0133"))
    finally:
        second.stop()


def test_edited_answer_is_served_without_retraining_or_restart(
    trained_model: Path, tmp_path: Path
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "data" / "knowledge", knowledge)
    running = start_assistant(tmp_path / "run", trained_model, knowledge_dir=knowledge)
    try:
        before = texts(running.say("reload-1", "what are the infusion center hours"))
        assert "24 hours a day" in before
        path = knowledge / "infusion_center.yml"
        path.write_text(
            path.read_text().replace(
                "The infusion center is open **24 hours a day, seven days a week**.",
                "The infusion center is open **24 hours a day, seven days a week** (edited).",
            )
        )
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        time.sleep(1.2)  # the store looks at the files at most once a second
        after = texts(running.say("reload-2", "what are the infusion center hours"))
        assert "(edited)" in after
    finally:
        running.stop()
