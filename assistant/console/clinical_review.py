"""Clinical sign-off of the safety texts: the knowledge entries still awaiting the cancer
center's clinical team (``clinical_review: pending``), as the Clinical review page shows them.

``pending_review()`` is pure: knowledge in, small dataclasses out. ``ReviewKnowledge`` is how
the console reaches the knowledge: a hot-reloading ``KnowledgeStore`` made on first use (the
console starts without reading the knowledge), where a folder that does not load becomes an
error message to show, retried on later requests, never an exception. It also gives the
Translations page its report (``translation_review``).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Tuple

from assistant.console.translation_review import TranslationsView, translations_view
from assistant.knowledge import EN, ES, SMS, WEB, KnowledgeBase, KnowledgeStore
from assistant.knowledge.models import REVIEW_APPROVED, REVIEW_PENDING, Entry
from assistant.knowledge.translations import TranslationStatus, translation_report
from assistant.triage.tiers import tier_of

# "- id: safety.emergency" or "id: safety.emergency" at the start of a line of a YAML file.
_ID_LINE = re.compile(r"""^\s*(?:-\s+)?id:\s*["']?([a-z][a-z0-9_.]*)["']?\s*$""", re.MULTILINE)


@dataclass(frozen=True)
class PendingText:
    """One entry awaiting sign-off, its texts as the patient reads them (contact details
    filled in; run-time values such as ``{name}`` left as placeholders)."""

    entry_id: str
    file: str  # the YAML file to edit, "" when not found
    tiers: Tuple[str, ...]  # triage tiers among its intents, highest first
    intents: Tuple[str, ...]
    answer: str  # the web text (markdown source, shown as text)
    sms: str
    es_answer: Optional[str]
    es_sms: Optional[str]
    red_flags_section: Optional[str]
    red_flags_quotes: Tuple[str, ...]
    last_reviewed: dt.date

    @property
    def has_spanish(self) -> bool:
        return self.es_answer is not None


@dataclass(frozen=True)
class ReviewSummary:
    pending: Tuple[PendingText, ...]
    approved: int


@dataclass(frozen=True)
class ReviewState:
    """What the page shows: the summary, or why there is none."""

    directory: str
    summary: Optional[ReviewSummary]
    error: Optional[str] = None  # the knowledge did not load at all (summary is None)
    reload_error: Optional[str] = None  # the latest edit did not load; summary is the last good
    translations: Optional[TranslationsView] = None  # None when the knowledge did not load

    @property
    def pending_count(self) -> int:
        return len(self.summary.pending) if self.summary else 0


def _tier_rank(entry: Entry) -> int:
    return max((tier.rank for tier in map(tier_of, entry.intents) if tier), default=0)


def _text(knowledge: KnowledgeBase, entry: Entry, kind: str, language: str = EN) -> str:
    params = {name: "{" + name + "}" for name in entry.params}
    return knowledge.render(entry.id, kind, params, language).text


def pending_text(knowledge: KnowledgeBase, entry: Entry, file: str = "") -> PendingText:
    tiers = sorted(
        {tier for tier in map(tier_of, entry.intents) if tier},
        key=lambda tier: (-tier.rank, tier.value),
    )
    citation = entry.source.red_flags
    return PendingText(
        entry_id=entry.id,
        file=file,
        tiers=tuple(tier.value for tier in tiers),
        intents=tuple(entry.intents),
        answer=_text(knowledge, entry, WEB),
        sms=_text(knowledge, entry, SMS),
        es_answer=_text(knowledge, entry, WEB, ES) if entry.es else None,
        es_sms=_text(knowledge, entry, SMS, ES) if entry.es else None,
        red_flags_section=citation.section if citation else None,
        red_flags_quotes=tuple(citation.quotes) if citation else (),
        last_reviewed=entry.last_reviewed,
    )


def pending_review(
    knowledge: KnowledgeBase, files: Optional[Mapping[str, str]] = None
) -> ReviewSummary:
    """The entries awaiting sign-off (highest triage tier first, then by id) and how many are
    approved. ``files`` maps entry ids to the file that holds them."""
    entries = knowledge.entries
    pending = sorted(
        (entry for entry in entries if entry.clinical_review == REVIEW_PENDING),
        key=lambda entry: (-_tier_rank(entry), entry.id),
    )
    return ReviewSummary(
        pending=tuple(
            pending_text(knowledge, entry, (files or {}).get(entry.id, "")) for entry in pending
        ),
        approved=sum(1 for entry in entries if entry.clinical_review == REVIEW_APPROVED),
    )


def entry_files(directory: Path) -> Dict[str, str]:
    """Which ``*.yml`` file in ``directory`` holds each entry id (by a look at the text)."""
    found: Dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yml")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for entry_id in _ID_LINE.findall(text):
            found.setdefault(entry_id, path.name)
    return found


class ReviewKnowledge:
    """The console's view of the knowledge folder for the Clinical review page and the
    dashboard. Thread-safe; call ``state()`` off the event loop (a load reads every file)."""

    def __init__(
        self,
        directory: Path,
        check_interval_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        report: Callable[[KnowledgeBase], List[TranslationStatus]] = translation_report,
    ) -> None:
        self.directory = Path(directory)
        self._report = report
        self._interval = check_interval_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._store: Optional[KnowledgeStore] = None
        self._error: Optional[str] = None
        self._tried_at: Optional[float] = None
        self._summary_of: Optional[KnowledgeBase] = None
        self._summary: Optional[ReviewSummary] = None
        self._translations: Optional[TranslationsView] = None

    def _open_store(self) -> Optional[KnowledgeStore]:
        if self._store is not None:
            return self._store
        now = self._monotonic()
        if self._tried_at is not None and now - self._tried_at < self._interval:
            return None
        self._tried_at = now
        try:
            self._store = KnowledgeStore(
                self.directory, check_interval_s=self._interval, monotonic=self._monotonic
            )
            self._error = None
        except (OSError, ValueError) as error:  # KnowledgeError is a ValueError
            self._error = str(error) or type(error).__name__
        return self._store

    def state(self) -> ReviewState:
        with self._lock:
            store = self._open_store()
            if store is None:
                return ReviewState(str(self.directory), None, error=self._error)
            knowledge = store.current()
            if self._summary is None or knowledge is not self._summary_of:
                self._summary = pending_review(knowledge, entry_files(self.directory))
                self._translations = translations_view(self._report(knowledge))
                self._summary_of = knowledge
            return ReviewState(
                str(self.directory),
                self._summary,
                reload_error=store.last_error,
                translations=self._translations,
            )

    def translations_to_do(self) -> Optional[int]:
        """How many translations are stale or missing, as of the last ``state()``; None
        before the knowledge was first read. Never reads files: safe on the event loop."""
        with self._lock:
            return self._translations.to_do if self._translations is not None else None
