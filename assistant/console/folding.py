"""How the inbox search compares text: lower case, accents removed.

Both the stored search text and the staff member's query are folded the same way, so
"inmunoterapía", "INMUNOTERAPIA" and "inmunoterapia" find each other, and "Qué" finds "que".
"""

from __future__ import annotations

from assistant.language.folding import fold_accents


def fold(text: str) -> str:
    """``text`` in lower case without accents (``assistant.language.folding``)."""
    return fold_accents(text)
