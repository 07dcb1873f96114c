"""The inbox search's folding (one fold for every accent-blind comparison): lower case,
accents removed, other characters kept."""

from __future__ import annotations

import pytest

from assistant.language.folding import fold_accents


@pytest.mark.parametrize(
    "text",
    ["inmunoterapía", "INMUNOTERAPIA", "inmunoterapia", "InmunoTerapía", "inmunoterapi\u0301a"],
)
def test_spellings_of_one_word_fold_alike(text: str) -> None:
    assert fold_accents(text) == "inmunoterapia"


def test_spanish_marks_go_and_punctuation_stays() -> None:
    assert (
        fold_accents("¿Qué pasa si me da FIEBRE después?") == "¿que pasa si me da fiebre despues?"
    )
    assert fold_accents("Año, niño, pingüino") == "ano, nino, pinguino"


def test_masked_contact_details_and_curly_apostrophes_are_kept() -> None:
    curly = "\u2019"  # a phone keyboard's apostrophe
    assert fold_accents(f"My mom{curly}s # is •••-•••-0123") == f"my mom{curly}s # is •••-•••-0123"
