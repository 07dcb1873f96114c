"""Real words per language, so the typo corrector never rewrites one ("never" is not "fever").

The words are the more frequent entries of spacy-lookups-data's lexeme probability table (a
list of about a million word forms with their log probability, sorted from the most frequent).
Reading stops at the frequency floor, so only the first few percent of the file is parsed.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet

import spacy_lookups_data

# Log probability floor: above it a word form counts as real. Misspellings patients make
# ("diarhea" -17.5, "vomitting" -16.4, "pian" -17.9) fall below it; real words they use
# ("never" -7.1, "weakness" -11.7, "nauseous" -13.3) are above it.
LOG_PROB_FLOOR = {"en": -16.0, "es": -15.0}

_ENTRY = re.compile(r'"((?:[^"\\]|\\.)*)":\s*(-?[0-9.eE+-]+)')
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_CHUNK_CHARS = 1 << 20


def _table_path(language: str) -> Path:
    return Path(spacy_lookups_data.__file__).parent / "data" / f"{language}_lexeme_prob.json.gz"


@lru_cache(maxsize=2)
def known_words(language: str) -> FrozenSet[str]:
    """Lower-cased word forms of ``language`` ("en" or "es") at or above the frequency floor."""
    floor = LOG_PROB_FLOOR[language]
    words: set[str] = set()
    carry = ""
    with gzip.open(_table_path(language), "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8")
        while chunk := text.read(_CHUNK_CHARS):
            buffer = carry + chunk
            cut = buffer.rfind(', "')  # entries before it are whole
            buffer, carry = buffer[:cut], buffer[cut:]
            for match in _ENTRY.finditer(buffer):
                if float(match.group(2)) < floor:  # the table is sorted: the rest is rarer
                    return frozenset(words)
                word = json.loads(f'"{match.group(1)}"').lower()
                if _WORD.fullmatch(word):
                    words.add(word)
    return frozenset(words)


def is_known_word(word: str, language: str) -> bool:
    return word.lower() in known_words(language)
