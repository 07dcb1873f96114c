"""Reading spacy-lookups-data's tables line by line, without loading them whole.

The tables are gzipped JSON objects with one ``"key": value,`` entry per line. Loaded whole,
the Spanish lemma table alone costs about 150 MB; read line by line, a caller keeps only what
it needs, and can stop early (the lexeme probability tables are sorted, most frequent first).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Iterator, Tuple

import spacy_lookups_data

_LINE = re.compile(r'\s*"((?:[^"\\]|\\.)*)":\s*(.*)')


def table_path(language: str, table: str) -> Path:
    """The file of one table, e.g. ``("es", "lemma_lookup")``."""
    data = Path(spacy_lookups_data.__file__).parent / "data"
    return data / f"{language}_{table}.json.gz"


def _unescape(text: str) -> str:
    return json.loads(f'"{text}"') if "\\" in text else text


def string_value(raw: str) -> str:
    """A JSON string value as it stands on its line (quotes included), decoded."""
    return _unescape(raw[1:-1])


def entries(language: str, table: str) -> Iterator[Tuple[str, str]]:
    """(key, raw JSON value) of every entry, in the file's order."""
    with gzip.open(table_path(language, table), "rt", encoding="utf-8") as lines:
        for line in lines:
            match = _LINE.match(line)
            if match:
                yield _unescape(match.group(1)), match.group(2).rstrip().rstrip(",")
