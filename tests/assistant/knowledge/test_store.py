"""An edited answer takes effect without a restart; a broken edit keeps the last good one."""

from __future__ import annotations

import os
from pathlib import Path

from assistant.knowledge import WEB, KnowledgeStore


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    # Make sure the change is visible even on file systems with coarse timestamps.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_edited_answer_is_served_without_restart(
    store: KnowledgeStore, knowledge_copy: Path
) -> None:
    before = store.current().render("infusion.hours", WEB).text
    assert "24 hours a day" in before
    _replace(
        knowledge_copy / "infusion_center.yml",
        "The infusion center is open **24 hours a day",
        "EDITED: The infusion center is open **24 hours a day",
    )
    after = store.current().render("infusion.hours", WEB).text
    assert after.startswith("EDITED:")


def test_broken_edit_keeps_last_good_knowledge(store: KnowledgeStore, knowledge_copy: Path) -> None:
    _replace(knowledge_copy / "infusion_center.yml", "id: infusion.hours", "id: Not A Valid Id")
    knowledge = store.current()
    assert knowledge.has("infusion.hours")
    assert store.last_error is not None and "infusion_center.yml" in store.last_error


def test_checks_files_at_most_once_per_interval(knowledge_copy: Path) -> None:
    ticks = [0.0]
    store = KnowledgeStore(knowledge_copy, check_interval_s=5, monotonic=lambda: ticks[0])
    _replace(knowledge_copy / "infusion_center.yml", "**24 hours a day", "**ALL DAY")
    ticks[0] = 1.0
    assert "**24 hours a day" in store.current().get("infusion.hours").answer
    ticks[0] = 6.0
    assert "**ALL DAY" in store.current().get("infusion.hours").answer
