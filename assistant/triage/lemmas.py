"""The part of spacy-lookups-data's Spanish lemma table that the Spanish phrases need.

The whole table (about 490,000 word forms) costs about 150 MB once loaded. The matcher only
needs the lemma of each word of its phrases and every other form of those lemmas ("duele",
"dolía" -> "doler"), so the table's file is read line by line and only those are kept; any
other word stands for itself, which cannot make or break a match.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Iterator, Tuple

import spacy_lookups_data

_LINE = re.compile(r'\s*"((?:[^"\\]|\\.)*)":\s*"((?:[^"\\]|\\.)*)"')


def _table_path(language: str) -> Path:
    return Path(spacy_lookups_data.__file__).parent / "data" / f"{language}_lemma_lookup.json.gz"


def _decode(text: str) -> str:
    return json.loads(f'"{text}"') if "\\" in text else text


def _entries(language: str) -> Iterator[Tuple[str, str]]:
    with gzip.open(_table_path(language), "rt", encoding="utf-8") as lines:
        for line in lines:
            match = _LINE.match(line)
            if match:
                yield _decode(match.group(1)).lower(), _decode(match.group(2)).lower()


@lru_cache(maxsize=4)
def lemmas_for(language: str, words: FrozenSet[str]) -> Dict[str, str]:
    """Form -> lemma for ``words`` and for every form of their lemmas (two passes)."""
    own = {form: lemma for form, lemma in _entries(language) if form in words}
    needed = set(own.values()) | set(words)
    table = {form: lemma for form, lemma in _entries(language) if lemma in needed}
    table.update(own)
    return table
