"""Real words per language, so the typo corrector never rewrites one ("never" is not "fever").

The words are the more frequent entries of spacy-lookups-data's lexeme probability table (a
list of about a million word forms with their log probability, sorted from the most frequent).
Reading stops at the frequency floor, so only the first few percent of the file is parsed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import FrozenSet

from assistant.triage.lookups import entries

# Log probability floor: above it a word form counts as real. Misspellings patients make
# ("diarhea" -17.5, "vomitting" -16.4, "pian" -17.9) fall below it; real words they use
# ("never" -7.1, "weakness" -11.7, "nauseous" -13.3) are above it.
LOG_PROB_FLOOR = {"en": -16.0, "es": -15.0}

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@lru_cache(maxsize=2)
def known_words(language: str) -> FrozenSet[str]:
    """Lower-cased word forms of ``language`` ("en" or "es") at or above the frequency floor."""
    floor = LOG_PROB_FLOOR[language]
    words: set[str] = set()
    for word, probability in entries(language, "lexeme_prob"):
        if float(probability) < floor:  # the table is sorted: the rest is rarer
            break
        if _WORD.fullmatch(word.lower()):
            words.add(word.lower())
    return frozenset(words)


def is_known_word(word: str, language: str) -> bool:
    return word.lower() in known_words(language)
