"""The part of spacy-lookups-data's Spanish lemma table that the Spanish phrases need.

The whole table (about 490,000 word forms) costs about 150 MB once loaded. The matcher only
needs the lemma of each word of its phrases and every other form of those lemmas ("duele",
"dolía" -> "doler"), so the table's file is read line by line and only those are kept; any
other word stands for itself, which cannot make or break a match.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Dict, FrozenSet, Iterator, Tuple

from assistant.triage.lookups import entries, string_value


def _lemmas(language: str) -> Iterator[Tuple[str, str]]:
    for form, raw in entries(language, "lemma_lookup"):
        yield form.lower(), string_value(raw).lower()


@lru_cache(maxsize=4)
def lemmas_for(language: str, words: FrozenSet[str]) -> Dict[str, str]:
    """Form -> lemma for ``words`` and for every form of their lemmas (two passes)."""
    own = {form: lemma for form, lemma in _lemmas(language) if form in words}
    needed = set(own.values()) | set(words)
    table = {form: lemma for form, lemma in _lemmas(language) if lemma in needed}
    table.update(own)
    return table
