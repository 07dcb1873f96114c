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
