"""The threshold tool: folds partition the data by intent, the fallback rule matches
FallbackClassifier's, and the chosen setting is the cheapest (a wrong answer costs two)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from assistant.ops.cross_validate import (
    FALLBACK,
    Outcome,
    choose,
    decide,
    evaluate,
    stratified_folds,
)


def test_folds_partition_every_example_and_spread_each_intent() -> None:
    labels = ["a"] * 10 + ["b"] * 5 + ["c"] * 3
    folds = stratified_folds(labels, k=5, seed=1)
    assert sorted(i for fold in folds for i in fold) == list(range(len(labels)))
    for fold in folds:
        assert Counter(labels[i] for i in fold)["a"] == 2
    assert stratified_folds(labels, 5, 1) == folds  # seeded


def test_folds_are_stratified_shuffled_and_seeded() -> None:
    labels = ["a"] * 20 + ["b"] * 10 + ["c"] * 5 + ["d"] * 7  # d: 7 over 5 folds
    folds = stratified_folds(labels, k=5, seed=3)
    assert len(folds) == 5
    assert sorted(i for fold in folds for i in fold) == list(range(len(labels)))
    for label, total in Counter(labels).items():
        per_fold = [Counter(labels[i] for i in fold)[label] for fold in folds]
        assert sum(per_fold) == total
        assert max(per_fold) - min(per_fold) <= 1, (label, per_fold)  # as even as it can be
    assert [sum(1 for i in fold if labels[i] == "a") for fold in folds] == [4] * 5
    # Shuffled: the held-out "a" examples are not simply the first ones, and the seed matters.
    assert sorted(i for fold in folds[:1] for i in fold if labels[i] == "a") != [0, 1, 2, 3]
    assert stratified_folds(labels, 5, 4) != folds


def test_decide_falls_back_when_unsure_or_ambiguous() -> None:
    classes = ["greet", "thank"]
    assert decide(np.array([0.9, 0.1]), classes, 0.3, 0.05) == "greet"
    assert decide(np.array([0.25, 0.2]), classes, 0.3, 0.0) == FALLBACK  # below threshold
    assert decide(np.array([0.52, 0.48]), classes, 0.3, 0.05) == FALLBACK  # too close
    assert decide(np.array([0.52, 0.48]), classes, 0.3, 0.0) == "greet"


def test_evaluate_counts_right_wrong_and_fallbacks() -> None:
    classes = ["greet", "out_of_scope"]
    probabilities = np.array([[0.9, 0.1], [0.2, 0.1], [0.8, 0.2]])
    labels = ["greet", "out_of_scope", "out_of_scope"]
    outcome = next(
        o
        for o in evaluate(probabilities, classes, labels)
        if (o.threshold, o.ambiguity) == (0.3, 0.0)
    )
    assert outcome.accuracy == 1 / 3
    assert outcome.fallback_rate == 1 / 3
    assert outcome.wrong_answers == 1 / 3
    assert outcome.oos_recall == 1 / 2


def test_choose_prefers_fewer_wrong_answers_over_fewer_fallbacks() -> None:
    bold = Outcome(0.1, 0.0, accuracy=0.86, fallback_rate=0.01, oos_recall=0.7, wrong_answers=0.13)
    careful = Outcome(0.3, 0.0, 0.83, fallback_rate=0.09, oos_recall=0.8, wrong_answers=0.08)
    assert choose([bold, careful]) == careful
    even = Outcome(0.4, 0.0, 0.83, fallback_rate=0.09, oos_recall=0.8, wrong_answers=0.08)
    assert choose([careful, even]) == even  # a tie goes to the higher threshold
