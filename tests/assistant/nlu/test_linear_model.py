"""The intent model trains, predicts, survives a save/load round trip, and spots gibberish."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.nlu.linear_model import LinearIntentModel

TEXTS = {
    "greet": ["hello", "hi there", "good morning", "hey", "hiya friend", "good evening"],
    "ask_side_effects": [
        "what are the side effects",
        "does it cause rash",
        "will i be tired",
        "side effects of immunotherapy",
        "can it give me diarrhea",
        "any rash",
    ],
    "ask_infusion_hours": [
        "when is the infusion center open",
        "infusion hours",
        "is it open on weekends",
        "what time does it open",
        "open at night",
        "hours of the infusion center",
    ],
}


@pytest.fixture
def model() -> LinearIntentModel:
    texts = [t for examples in TEXTS.values() for t in examples]
    labels = [label for label, examples in TEXTS.items() for _ in examples]
    return LinearIntentModel.fit(texts, texts, labels, c=10)


def test_predicts_the_right_intent(model: LinearIntentModel) -> None:
    probabilities = model.predict_proba(
        ["hello again", "rash side effects"], ["hello again", "rash side effects"]
    )
    assert [model.classes[i] for i in probabilities.argmax(axis=1)] == ["greet", "ask_side_effects"]
    assert np.allclose(probabilities.sum(axis=1), 1.0)


def test_save_and_load_give_identical_predictions(model: LinearIntentModel, tmp_path: Path) -> None:
    model.save(tmp_path / "m")
    assert not any(p.suffix == ".pkl" for p in (tmp_path / "m").iterdir())
    loaded = LinearIntentModel.load(tmp_path / "m")
    texts = ["infusion open sunday?", "hey", "tired"]
    assert np.allclose(model.predict_proba(texts, texts), loaded.predict_proba(texts, texts))
    assert loaded.classes == model.classes


def test_char_coverage_separates_words_from_gibberish(model: LinearIntentModel) -> None:
    assert model.char_coverage("side efects") > 0.5
    assert model.char_coverage("qxzvbk wqzp") < 0.5
    assert model.char_coverage("\U0001f622") == 0.0


def test_refuses_empty_training_data() -> None:
    with pytest.raises(ValueError):
        LinearIntentModel.fit([], [], [])


def test_predictions_equal_sklearns_sparse_features(model: LinearIntentModel) -> None:
    """The per-message TF-IDF path gives sklearn's numbers (``features`` is sklearn's own)."""
    texts = [
        "hello hello hello",
        "rash rash side effects side",
        "infusion hours on the weekend?",
        "",
        "qxzvbk",
        "Ünïcödé \U0001f622 open",
        "WHEN IS IT OPEN",
    ]
    lemmas = [text.lower() for text in texts]
    scores = np.asarray(model.features(texts, lemmas) @ model.coef.T + model.intercept)
    expected = np.exp(scores - scores.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(model.predict_proba(texts, lemmas), expected, atol=1e-12)
    assert model.predict_proba([], []).shape == (0, len(model.classes))
