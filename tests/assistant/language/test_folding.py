"""One accent folding for every accent-blind comparison."""

from __future__ import annotations

import pytest

from assistant.language.folding import fold_accents


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("¿Qué es la INMUNOTERAPÍA?", "¿que es la inmunoterapia?"),
        ("Mamá, el año pasado", "mama, el ano pasado"),
        ("pingüino", "pinguino"),
        ("already plain", "already plain"),
        ("", ""),
    ],
)
def test_accents_and_case_are_folded(text: str, folded: str) -> None:
    assert fold_accents(text) == folded


def test_folding_is_idempotent() -> None:
    once = fold_accents("Información ÚTIL")
    assert fold_accents(once) == once


def test_the_ascii_shortcut_gives_what_decomposing_gives() -> None:
    import unicodedata

    ascii_text = "".join(chr(code) for code in range(128))
    decomposed = unicodedata.normalize("NFD", ascii_text.lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    assert fold_accents(ascii_text) == unicodedata.normalize("NFC", bare)
    assert fold_accents("Ünïcode ÀND ascii") == "unicode and ascii"
