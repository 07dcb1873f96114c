"""Negation over lemma keys: a cue within the window, in the same clause, negates a phrase."""

from __future__ import annotations

import pytest

from assistant.nlu.terms import blank_pipeline, token_keys
from assistant.triage.negation import WINDOW, is_negated


def negated(keys: str, phrase: str, language: str = "en") -> bool:
    """Whether the phrase starting at the first key ``phrase`` of the space-separated keys is."""
    tokens = keys.split()
    return is_negated(tokens, tokens.index(phrase), language)


@pytest.mark.parametrize(
    ("keys", "phrase"),
    [
        ("no chest pain", "chest"),
        ("i do not have a fever", "fever"),
        ("never have chest pain", "chest"),
        ("without any fever", "fever"),
        ("i deny chest pain", "chest"),
        ("how to prevent a rash", "rash"),
        ("not really any chest pain", "chest"),
    ],
)
def test_english_cues_negate(keys: str, phrase: str) -> None:
    assert negated(keys, phrase)


@pytest.mark.parametrize(
    ("keys", "phrase"),
    [
        ("sin fiebre", "fiebre"),
        ("no tener fiebre", "fiebre"),
        ("nunca tener dolor de pecho", "dolor"),
        ("ni fiebre", "fiebre"),
    ],
)
def test_spanish_cues_negate(keys: str, phrase: str) -> None:
    assert negated(keys, phrase, "es")


@pytest.mark.parametrize(
    ("keys", "phrase", "language"),
    [
        ("i have chest pain", "chest", "en"),
        ("chest pain", "chest", "en"),
        ("no fever but my chest hurt", "chest", "en"),
        ("no fever , chest pain", "chest", "en"),
        ("no fever and chest pain", "chest", "en"),
        ("no idea why i have chest pain", "chest", "en"),  # cue 5 tokens back
        ("i can not stop cough", "cough", "en"),
        ("i be not sure it be chest pain", "chest", "en"),
        ("no fiebre pero dolor de pecho", "dolor", "es"),
        ("no poder parar de toser", "toser", "es"),
        ("tener fiebre", "fiebre", "es"),
    ],
)
def test_not_negated(keys: str, phrase: str, language: str) -> None:
    assert not negated(keys, phrase, language)


def test_window_edge() -> None:
    filler = ["x"] * (WINDOW - 1)
    assert is_negated(["no", *filler, "fever"], WINDOW, "en")
    assert not is_negated(["no", *filler, "x", "fever"], WINDOW + 1, "en")


def test_phrase_at_start_is_not_negated() -> None:
    assert not is_negated(["fever", "no"], 0, "en")


def test_spanish_cue_does_not_negate_in_english() -> None:
    assert not negated("sin fever", "fever", "en")
    assert negated("without fiebre", "fiebre", "en")


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        ("I don't have a fever", "fever", True),
        ("I can't stop coughing", "cough", False),
        ("I'm not sure it's chest pain", "chest", False),
    ],
)
def test_with_real_lemma_keys(text: str, phrase: str, expected: bool) -> None:
    keys = token_keys(blank_pipeline("en").make_doc(text.lower()))
    assert is_negated(keys, keys.index(phrase), "en") is expected
