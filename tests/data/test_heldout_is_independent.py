"""The held-out NLU set is never trained on: no training example equals or nearly equals one."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from assistant.ops.evaluate_nlu import read_examples

ROOT = Path(__file__).resolve().parents[2]
SIMILARITY_LIMIT = 0.9


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", "", text.lower())).strip()


def test_no_training_example_is_a_copy_of_a_heldout_one() -> None:
    heldout = [_normalize(t) for t, _ in read_examples(ROOT / "tests" / "nlu" / "heldout.yml")]
    training = [
        _normalize(t)
        for path in sorted((ROOT / "data" / "nlu").glob("*.yml"))
        for t, _ in read_examples(path)
    ]
    assert len(heldout) >= 5 * 29 and len(training) > 1000
    close = []
    for text in training:
        for held in heldout:
            matcher = difflib.SequenceMatcher(None, text, held)
            if (
                matcher.real_quick_ratio() >= SIMILARITY_LIMIT
                and matcher.quick_ratio() >= SIMILARITY_LIMIT
                and matcher.ratio() >= SIMILARITY_LIMIT
            ):
                close.append((text, held))
    assert close == []


def test_heldout_covers_every_intent_with_five_phrasings() -> None:
    import yaml

    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    counts: dict = {}
    for _, intent in read_examples(ROOT / "tests" / "nlu" / "heldout.yml"):
        counts[intent] = counts.get(intent, 0) + 1
    assert {i: counts.get(i, 0) for i in domain["intents"] if counts.get(i, 0) < 5} == {}
