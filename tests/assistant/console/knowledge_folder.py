"""Small knowledge folders for the console's tests: the contacts file, an entry's Spanish block
that translates its English as it is (current) or as it was (stale), and the console started
over such a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncContextManager, Dict, List, Optional

import yaml

from assistant.knowledge.models import english_fingerprint
from bench.console_harness import Console, ManualClock, running_console

REAL_CONTACTS = Path(__file__).resolve().parents[3] / "data" / "knowledge" / "contacts.yml"


def contacts() -> Dict[str, Any]:
    """The real contacts file (so its schema is always today's), as a test organisation."""
    found = yaml.safe_load(REAL_CONTACTS.read_text(encoding="utf-8"))
    return {**found, "organisation": "Test Cancer Center", "source": "test"}


def spanish(
    entry: Dict[str, Any],
    answer: str,
    sms: str,
    review: str = "pending",
    translates: Optional[str] = None,
) -> Dict[str, Any]:
    """``entry`` with an ``es`` block translating its English as it is now, unless
    ``translates`` names other English (a stale translation)."""
    titles: List[str] = [str(b["title"]) for b in entry.get("buttons") or []]
    fingerprint = translates or english_fingerprint(entry["answer"], entry["sms"], titles)
    es = {"translates": fingerprint, "review": review, "answer": answer, "sms": sms}
    return {**entry, "es": es}


def write_folder(directory: Path, files: Dict[str, List[Dict[str, Any]]]) -> Path:
    """``contacts.yml`` and one ``<name>.yml`` per item of ``files`` (its entries)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "contacts.yml").write_text(yaml.safe_dump(contacts(), allow_unicode=True))
    for name, entries in files.items():
        text = yaml.safe_dump({"entries": entries}, sort_keys=False, allow_unicode=True)
        (directory / f"{name}.yml").write_text(text)
    return directory


def console_over(knowledge_dir: Path, tmp_path: Path) -> AsyncContextManager[Console]:
    """The console started by the bench's harness over ``knowledge_dir``."""
    db_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    return running_console(db_url, ManualClock(1795723200.0), knowledge_dir=knowledge_dir)
