"""The Translations page: every knowledge entry's Spanish translation state, as
``assistant.knowledge.translations.translation_report`` gives it, stale and missing first.

A stale translation (the English changed since it was written) is not used: the assistant
answers Spanish speakers in English with a one-line Spanish note until it is updated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Tuple

from assistant.knowledge.translations import CURRENT, MISSING, STALE, TranslationStatus

# Stale first (the Spanish says something the English no longer says), then missing.
_ORDER = {STALE: 0, MISSING: 1, CURRENT: 2}


@dataclass(frozen=True)
class TranslationsView:
    statuses: Tuple[TranslationStatus, ...]  # stale, then missing, then current

    def count(self, state: str) -> int:
        return sum(1 for status in self.statuses if status.state == state)

    @property
    def stale(self) -> int:
        return self.count(STALE)

    @property
    def missing(self) -> int:
        return self.count(MISSING)

    @property
    def current(self) -> int:
        return self.count(CURRENT)

    @property
    def to_do(self) -> int:
        """The translations to write or update (stale or missing)."""
        return self.stale + self.missing


def translations_view(statuses: Iterable[TranslationStatus]) -> TranslationsView:
    """The statuses with stale ones first, then missing, then current, each group in the
    report's order (an unknown state last)."""
    ordered = sorted(statuses, key=lambda status: _ORDER.get(status.state, len(_ORDER)))
    return TranslationsView(tuple(ordered))
