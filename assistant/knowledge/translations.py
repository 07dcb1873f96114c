"""The Spanish translations' state, and a tool for translators.

Each entry's ``es`` block records the fingerprint of the English it translates. When the
English changes, the fingerprint no longer matches and the translation is *stale*: the
assistant then answers Spanish speakers in English with a one-line Spanish note, the console
lists the entry, and ``tests/assistant/knowledge/test_translations.py`` fails.

``python -m assistant.knowledge.translations list`` prints every stale or missing translation;
``python -m assistant.knowledge.translations stamp`` writes the current fingerprint wherever a
translator has written ``translates: new`` (after translating, or after checking that a stale
translation still says what the new English says).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Literal, Optional, Sequence

import yaml

from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.loader import CONTACTS_FILE, load_knowledge
from assistant.knowledge.models import english_fingerprint
from assistant.knowledge.store import knowledge_dir_from_env

TranslationState = Literal["current", "stale", "missing"]
CURRENT: TranslationState = "current"
STALE: TranslationState = "stale"
MISSING: TranslationState = "missing"
NEW_MARK = "new"
_NEW_LINE = re.compile(rf"^(\s*translates:\s*){NEW_MARK}\s*$", flags=re.MULTILINE)


@dataclass(frozen=True)
class TranslationStatus:
    """One entry's Spanish: current, stale (the English changed since) or missing, and the
    translation's review state (None when missing)."""

    entry_id: str
    state: TranslationState
    review: Optional[str]


def translation_report(knowledge: KnowledgeBase) -> List[TranslationStatus]:
    """Every entry's translation state: stale first, then missing, then current; by id."""
    order = {STALE: 0, MISSING: 1, CURRENT: 2}
    statuses = []
    for entry in knowledge.entries:
        if entry.es is None:
            statuses.append(TranslationStatus(entry.id, MISSING, None))
            continue
        state = CURRENT if entry.spanish_is_current else STALE
        statuses.append(TranslationStatus(entry.id, state, entry.es.review))
    return sorted(statuses, key=lambda status: (order[status.state], status.entry_id))


def not_current(knowledge: KnowledgeBase) -> List[TranslationStatus]:
    """The stale and missing translations."""
    return [status for status in translation_report(knowledge) if status.state != CURRENT]


def _entries_to_stamp(raw: Any) -> Iterator[str]:
    """The English fingerprint of each entry whose ``es.translates`` is ``new``, in file order."""
    for item in (raw or {}).get("entries") or []:
        spanish = item.get("es") if isinstance(item, dict) else None
        if isinstance(spanish, dict) and spanish.get("translates") == NEW_MARK:
            titles = [str(button["title"]) for button in item.get("buttons") or []]
            yield english_fingerprint(str(item["answer"]), str(item["sms"]), titles)


def stamp_file(path: Path) -> int:
    """Replace each ``translates: new`` in one knowledge file with its entry's fingerprint;
    returns how many were stamped."""
    text = path.read_text(encoding="utf-8")
    fingerprints = list(_entries_to_stamp(yaml.safe_load(text)))
    marks = _NEW_LINE.findall(text)
    if len(marks) != len(fingerprints):
        raise ValueError(
            f"{path}: {len(marks)} 'translates: new' lines but {len(fingerprints)} es blocks "
            "marked new; put the mark only on es.translates"
        )
    remaining = iter(fingerprints)
    stamped = _NEW_LINE.sub(lambda match: match.group(1) + next(remaining), text)
    if stamped != text:
        path.write_text(stamped, encoding="utf-8")
    return len(fingerprints)


def _stamp(directory: Path) -> int:
    total = 0
    for path in sorted(directory.glob("*.yml")):
        if path.name == CONTACTS_FILE:
            continue
        count = stamp_file(path)
        if count:
            print(f"{path}: stamped {count}")
        total += count
    load_knowledge(directory)  # what was stamped must load
    print(f"{total} translation(s) stamped")
    return 0


def _list(directory: Path) -> int:
    knowledge = load_knowledge(directory)
    report = translation_report(knowledge)
    counts: Dict[str, int] = {}
    for status in report:
        counts[status.state] = counts.get(status.state, 0) + 1
        if status.state != CURRENT:
            print(f"{status.state:8} {status.entry_id}")
    pending = sum(1 for status in report if status.review == "pending")
    print(
        f"{counts.get(CURRENT, 0)} current, {counts.get(STALE, 0)} stale, "
        f"{counts.get(MISSING, 0)} missing; {pending} awaiting review"
    )
    return 1 if counts.get(STALE) or counts.get(MISSING) else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.knowledge.translations")
    parser.add_argument("command", choices=("list", "stamp"))
    parser.add_argument("--dir", type=Path, default=None, help="default: $KNOWLEDGE_DIR")
    args = parser.parse_args(argv)
    directory = args.dir or knowledge_dir_from_env()
    return _stamp(directory) if args.command == "stamp" else _list(directory)


if __name__ == "__main__":
    sys.exit(main())
