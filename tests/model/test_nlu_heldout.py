"""Quality gates on the held-out NLU set (never trained on): accuracy and emergencies.

Reports (per-intent scores, confusion matrix, errors) go to reports/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ops.evaluate_nlu import NluScores, evaluate

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ACCURACY_GATE = 0.95
SPANISH_ACCURACY_GATE = 0.93


@pytest.fixture(scope="module")
def scores(trained_model: Path) -> NluScores:
    return evaluate(trained_model, ROOT / "tests" / "nlu" / "heldout.yml", ROOT / "reports")


@pytest.fixture(scope="module")
def spanish_scores(trained_model: Path) -> NluScores:
    return evaluate(
        trained_model,
        ROOT / "tests" / "nlu" / "heldout_es.yml",
        ROOT / "reports",
        name="nlu_heldout_es",
    )


def test_intent_accuracy_meets_the_gate(scores: NluScores) -> None:
    # Strict: a message that falls back for low confidence counts as wrong.
    assert scores.accuracy >= ACCURACY_GATE, (
        f"accuracy {scores.accuracy:.3f}; see reports/nlu_heldout_confusion.md"
    )


def test_every_emergency_phrasing_is_caught(scores: NluScores) -> None:
    assert scores.emergency_missed == ()
    assert scores.emergency_recall == 1.0


def test_reports_are_written(scores: NluScores) -> None:
    assert (ROOT / "reports" / "nlu_heldout_report.json").is_file()
    assert "confusion matrix" in (ROOT / "reports" / "nlu_heldout_confusion.md").read_text()


def test_spanish_intent_accuracy_meets_the_gate(spanish_scores: NluScores) -> None:
    # Strict, as in English: a fallback counts as wrong.
    assert spanish_scores.accuracy >= SPANISH_ACCURACY_GATE, (
        f"accuracy {spanish_scores.accuracy:.3f}; see reports/nlu_heldout_es_confusion.md"
    )


def test_every_spanish_emergency_phrasing_is_caught(spanish_scores: NluScores) -> None:
    assert spanish_scores.emergency_missed == ()
    assert spanish_scores.emergency_recall == 1.0
