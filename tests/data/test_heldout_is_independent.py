"""The held-out sets are never trained on: no training example (English or Spanish, in
``data/nlu/`` and ``data/nlu/es/``) equals or nearly equals one of the held-out NLU sets
(English and Spanish) or of the safety corpus's held-out part. Accents and case are folded
before comparing, so "qué es" and "que es" are the same text."""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from pathlib import Path
from typing import Sequence

import pytest

from assistant.ops.evaluate_nlu import read_examples
from assistant.ops.evaluate_safety import read_corpus

ROOT = Path(__file__).resolve().parents[2]
SIMILARITY_LIMIT = 0.9


HELDOUT_EN = ROOT / "tests" / "nlu" / "heldout.yml"
HELDOUT_ES = ROOT / "tests" / "nlu" / "heldout_es.yml"


def _normalize(text: str) -> str:
    folded = "".join(
        ch for ch in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(ch) != "Mn"
    )
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", "", folded)).strip()


@functools.cache
def _training() -> tuple[str, ...]:
    return tuple(
        _normalize(t)
        for path in sorted((ROOT / "data" / "nlu").rglob("*.yml"))
        for t, _ in read_examples(path)
    )


def _close_pairs(training: Sequence[str], heldout: Sequence[str]) -> list[tuple[str, str]]:
    """The pairs whose ``difflib`` ratio reaches the limit. The same three checks as
    ``real_quick_ratio``, ``quick_ratio``, ``ratio``, cheapest first; the held-out text is the
    matcher's second sequence, whose index difflib builds once per text, not once per pair."""
    close = []
    matcher = difflib.SequenceMatcher(None)
    for held in heldout:
        matcher.set_seq2(held)
        for text in training:
            total = len(text) + len(held)
            if total and 2.0 * min(len(text), len(held)) / total < SIMILARITY_LIMIT:
                continue  # real_quick_ratio, from the lengths alone
            matcher.set_seq1(text)
            if matcher.quick_ratio() >= SIMILARITY_LIMIT and matcher.ratio() >= SIMILARITY_LIMIT:
                close.append((text, held))
    return close


def test_close_pairs_finds_near_copies_and_only_them() -> None:
    """The check itself can fail: a one-letter edit is a near copy, a different sentence is
    not (the same verdicts as difflib's own ratio)."""
    training = ["what are the side effects of immunotherapy", "where do i park"]
    heldout = ["what are the side efects of immunotherapy", "is there wifi in the center"]
    assert _close_pairs(training, heldout) == [(training[0], heldout[0])]
    for text in training:
        for held in heldout:
            found = (text, held) in _close_pairs([text], [held])
            assert found == (difflib.SequenceMatcher(None, text, held).ratio() >= 0.9)


@pytest.mark.parametrize(("path", "least"), [(HELDOUT_EN, 5 * 29), (HELDOUT_ES, 8 * 34)])
def test_no_training_example_is_a_copy_of_a_heldout_one(path: Path, least: int) -> None:
    heldout = [_normalize(t) for t, _ in read_examples(path)]
    training = _training()
    assert len(heldout) >= least and len(training) > 1500
    assert _close_pairs(training, heldout) == []


@pytest.mark.parametrize(("name", "least"), [("heldout.yml", 200), ("fresh.yml", 100)])
def test_no_training_example_is_a_copy_of_a_safety_corpus_one(name: str, least: int) -> None:
    """Both safety sets: the held-out part that the gates score, and the fresh set written
    after the matcher was built (docs/triage.md)."""
    corpus = read_corpus(ROOT / "tests" / "safety" / name)
    heldout = [_normalize(message.text) for message in corpus]
    assert len(heldout) >= least
    assert _close_pairs(_training(), heldout) == []


def test_the_safety_corpus_has_at_least_400_messages_split_train_and_heldout() -> None:
    """The training part is the triage intents' phrasings in data/nlu; the held-out part is
    tests/safety/heldout.yml."""
    tiers = {"emergency", "self_harm", "urgent_symptom", "symptom_report"}
    train = [
        t
        for path in sorted((ROOT / "data" / "nlu").rglob("*.yml"))
        for t, intent in read_examples(path)
        if intent in tiers
    ]
    heldout = read_corpus(ROOT / "tests" / "safety" / "heldout.yml")
    assert len(train) + len(heldout) >= 400
    assert {m.tier for m in heldout} >= tiers | {"overdose", "none"}
    assert {m.lang for m in heldout} == {"en", "es"}


def test_heldout_covers_every_intent_with_five_phrasings() -> None:
    import yaml

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    counts: dict = {}
    for _, intent in read_examples(HELDOUT_EN):
        counts[intent] = counts.get(intent, 0) + 1
    assert {i: counts.get(i, 0) for i in domain["intents"] if counts.get(i, 0) < 5} == {}


def test_spanish_heldout_covers_every_intent_with_eight_phrasings() -> None:
    import yaml

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    counts: dict = {}
    for _, intent in read_examples(HELDOUT_ES):
        counts[intent] = counts.get(intent, 0) + 1
    assert {i: counts.get(i, 0) for i in domain["intents"] if counts.get(i, 0) < 8} == {}


def test_every_intent_has_fifteen_spanish_training_examples() -> None:
    """Counted in the Spanish training files, ``data/nlu/es/``."""
    import yaml

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    counts: dict = {}
    for path in sorted((ROOT / "data" / "nlu" / "es").glob("*.yml")):
        for _, intent in read_examples(path):
            counts[intent] = counts.get(intent, 0) + 1
    assert {i: counts.get(i, 0) for i in domain["intents"] if counts.get(i, 0) < 15} == {}
