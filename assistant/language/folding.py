"""Accent folding, one definition for every comparison that ignores accents and case.

Patients type "que" as often as "qué" and "inmunoterapia" as "inmunoterapía": the intent
model's features, the language-request patterns, the triage's word lists and the console's
search all compare folded text.
"""

from __future__ import annotations

import unicodedata


def fold_accents(text: str) -> str:
    """``text`` in lower case without combining marks (accents, tildes, diaereses): decomposed
    (NFD), the marks dropped, composed again (NFC). "Qué año" becomes "que ano". ASCII text
    has no marks to drop: it is only lower-cased (most messages; this runs several times on
    each one)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text.lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)
