"""The held-out NLU scores (scikit-learn's metrics) against a small example worked out by
hand, and the reports they write: JSON, the Markdown confusion matrix and the PNG heatmap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.ops.evaluate_nlu import FALLBACK, confusion, score, write_reports

TEXTS = ["hi", "hello", "hey there", "thanks", "cheers", "chest pain", "cant breathe", "pizza?"]
GOLD = ["greet", "greet", "greet", "thank", "thank", "emergency", "emergency", "out_of_scope"]
FINAL = ["greet", "greet", "thank", "thank", FALLBACK, "emergency", "greet", "out_of_scope"]
TOP1 = ["greet", "greet", "thank", "thank", "thank", "emergency", "greet", "out_of_scope"]

# By hand, per true intent: (true positives, false positives, false negatives).
#   greet:        2, 1 (the emergency), 1 (-> thank)      P 2/3  R 2/3  F1 2/3
#   thank:        1, 1 (the greeting),  1 (-> fallback)   P 1/2  R 1/2  F1 1/2
#   emergency:    1, 0,                 1 (-> greet)      P 1    R 1/2  F1 2/3
#   out_of_scope: 1, 0,                 0                 P 1    R 1    F1 1
MACRO_F1 = (2 / 3 + 1 / 2 + 2 / 3 + 1) / 4


def test_scores_match_the_hand_computed_example() -> None:
    scores, report = score(GOLD, FINAL, TOP1, TEXTS)
    assert scores.examples == 8
    assert scores.accuracy == 5 / 8
    assert scores.top1_accuracy == 6 / 8
    assert scores.fallback_rate == 1 / 8
    assert scores.macro_f1 == pytest.approx(MACRO_F1)
    assert scores.emergency_recall == 1 / 2
    assert scores.emergency_missed == ("cant breathe",)
    assert report == {
        "emergency": {
            "precision": 1.0,
            "recall": 0.5,
            "f1": 0.667,
            "support": 2,
            "confused_with": {"greet": 1},
        },
        "greet": {
            "precision": 0.667,
            "recall": 0.667,
            "f1": 0.667,
            "support": 3,
            "confused_with": {"thank": 1},
        },
        "out_of_scope": {
            "precision": 1.0,
            "recall": 1.0,
            "f1": 1.0,
            "support": 1,
            "confused_with": {},
        },
        "thank": {
            "precision": 0.5,
            "recall": 0.5,
            "f1": 0.5,
            "support": 2,
            "confused_with": {FALLBACK: 1},
        },
    }


def test_confusion_matrix_rows_are_true_columns_predicted() -> None:
    labels, matrix = confusion(GOLD, FINAL)
    assert labels == ["emergency", "greet", FALLBACK, "out_of_scope", "thank"]
    assert matrix.tolist() == [
        [1, 1, 0, 0, 0],
        [0, 2, 0, 0, 1],
        [0, 0, 0, 0, 0],
        [0, 0, 0, 1, 0],
        [0, 0, 1, 0, 1],
    ]


def test_reports_json_markdown_and_heatmap(tmp_path: Path) -> None:
    scores, report = score(GOLD, FINAL, TOP1, TEXTS)
    write_reports(tmp_path, scores, report, GOLD, FINAL, TEXTS)

    written = json.loads((tmp_path / "nlu_heldout_report.json").read_text())
    assert set(written) == {"summary", "per_intent"}
    assert written["summary"]["accuracy"] == 5 / 8
    assert written["per_intent"]["thank"]["confused_with"] == {FALLBACK: 1}

    table = (tmp_path / "nlu_heldout_confusion.md").read_text()
    assert "confusion matrix" in table  # tests/model/test_nlu_heldout.py reads this
    header = f"| true \\ predicted | emergency | greet | {FALLBACK} | out_of_scope | thank |"
    assert header in table
    assert "| greet |  | 2 |  |  | 1 |" in table
    assert f"\n| {FALLBACK} |" not in table  # a row per true intent only
    assert f"- `cheers`: thank -> {FALLBACK}" in table
    assert "- `hi`" not in table  # right answers are not errors

    png = tmp_path / "nlu_heldout_confusion.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 5_000
