"""The language-model comparison: routing follows the detector (guess when undecided, English
without one), each message is scored by its language's model, and per-language models win only
when they beat the joint model clearly on both sets."""

from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np
import pytest

from assistant.language.detect import Detection
from assistant.ops.compare_language_models import (
    DETECTOR_ROUTED,
    GOLD_ROUTED,
    JOINT,
    Examples,
    ModelStats,
    Result,
    joined,
    models_table,
    predict,
    predict_routed,
    results_table,
    route,
    routing,
    verdict,
)
from assistant.ops.cross_validate import FALLBACK


class FakeModel:
    """Answers from a table of text -> probabilities; unknown text is unreadable (coverage 0)."""

    def __init__(self, classes: List[str], table: Dict[str, List[float]]) -> None:
        self.classes = classes
        self.table = table
        self.seen: List[str] = []

    def predict_proba(self, texts: Sequence[str], lemmas: Sequence[str]) -> np.ndarray:
        self.seen += list(texts)
        rows = [self.table.get(t, [1.0 / len(self.classes)] * len(self.classes)) for t in texts]
        return np.array(rows)

    def char_coverage(self, text: str) -> float:
        return 1.0 if text in self.table else 0.0


def settings() -> Dict[str, float]:
    return {"min_char_coverage": 0.5, "threshold": 0.3, "ambiguity_threshold": 0.05}


def test_route_takes_the_decision_then_the_guess_then_english() -> None:
    assert route(Detection("es", "es", 0.93)) == "es"  # "necesito ayuda con mi cita porfa"
    assert route(Detection(None, "es", 0.61)) == "es"  # "sí" alone: undecided, guessed es
    assert route(Detection(None, "en", 0.55)) == "en"
    assert route(Detection(None, None, 0.0)) == "en"  # "1", emoji: no letters at all


def test_predict_applies_the_coverage_rule_and_the_fallback_thresholds() -> None:
    model = FakeModel(
        ["greet", "thank"],
        {"hiii": [0.9, 0.1], "thx hi": [0.51, 0.49], "ok": [0.25, 0.2]},
    )
    texts = ["hiii", "thx hi", "ok", "🙏🙏"]
    final = predict(model, texts, texts, settings())
    assert final == ["greet", FALLBACK, FALLBACK, FALLBACK]
    assert predict(model, [], [], settings()) == []


def test_predict_routed_sends_each_message_to_its_language_model_in_order() -> None:
    english = FakeModel(["greet", "thank"], {"thx a lot": [0.1, 0.9], "hola": [0.2, 0.8]})
    spanish = FakeModel(["greet", "thank"], {"hola q tal": [0.95, 0.05], "hola": [0.9, 0.1]})
    texts = ["thx a lot", "hola q tal", "hola"]
    final = predict_routed(
        {"en": english, "es": spanish}, ["en", "es", "en"], texts, texts, settings()
    )
    # "hola" routed to English goes to the English model, which gets it wrong.
    assert final == ["thank", "greet", "thank"]
    assert english.seen == ["thx a lot", "hola"]
    assert spanish.seen == ["hola q tal"]


def test_predict_routed_refuses_a_language_without_a_model() -> None:
    english = FakeModel(["greet"], {"hi": [1.0]})
    with pytest.raises(KeyError):
        predict_routed({"en": english}, ["fr"], ["bonjour"], ["bonjour"], settings())


def test_routing_counts_misrouted_messages_and_how_they_fared() -> None:
    data = Examples(
        texts=["oye tu eres chatgpt o q", "me duele mucho la cabeza", "ok gracias"],
        lemmas=["", "", ""],
        labels=["bot_challenge", "side_effects", "thank"],
    )
    detections = [
        Detection(None, "en", 0.52),  # Spanglish, guessed English
        Detection("es", "es", 0.97),
        Detection(None, "es", 0.66),
    ]
    per_language = ["out_of_scope", "side_effects", "thank"]
    joint = ["bot_challenge", "side_effects", "thank"]
    found = routing("es", data, detections, per_language, joint)
    assert (found.to_en, found.to_es, found.undecided) == (1, 2, 2)
    assert found.misrouted == ("oye tu eres chatgpt o q",)
    assert found.misrouted_right_per_language == 0
    assert found.misrouted_right_joint == 1


def results(en_gain: float, es_gain: float, f1_gain: float = 0.0) -> List[Result]:
    rows = []
    for lang, gain in (("en", en_gain), ("es", es_gain)):
        rows.append(Result(JOINT, lang, 300, 0.90, 0.90, 0.03, 1.0))
        rows.append(Result(GOLD_ROUTED, lang, 300, 0.95, 0.95, 0.03, 1.0))
        rows.append(Result(DETECTOR_ROUTED, lang, 300, 0.90 + gain, 0.90 + f1_gain, 0.03, 1.0))
    return rows


def test_verdict_needs_a_clear_win_on_both_sets_once_routed_by_the_detector() -> None:
    assert verdict(results(0.03, 0.03))[0] == "one per language"
    assert verdict(results(0.03, 0.01))[0] == "one model"  # Spanish gain too small
    assert verdict(results(-0.01, 0.05))[0] == "one model"  # English loses
    assert verdict(results(0.03, 0.03, f1_gain=-0.01))[0] == "one model"  # macro-F1 drops
    # Gold routing looks better (0.95) but does not count: only detector routing is realistic.
    choice, why = verdict(results(0.0, 0.0))
    assert choice == "one model"
    assert "+0.0% strict accuracy" in why


def test_tables_show_one_row_each_with_percentages_and_units() -> None:
    table = results_table(results(0.012, -0.004)).splitlines()
    assert len(table) == 2 + 6
    assert "| per language, detector routing | en | 300 | 91.2% | 0.900 | 3.0% | 100.0% |" in table
    stats = [ModelStats("es", 1060, 34, 2.04, 3.9, 3_512_000, 0.71, 0.7)]
    row = models_table(stats).splitlines()[-1]
    assert row == "| es | 1060 | 34 | 2.0 s (3.9 s) | 3.5 MB | 0.71 ms (0.70 ms) |"


def test_joined_keeps_texts_lemmas_and_labels_aligned() -> None:
    en = Examples(["thx"], ["thx"], ["thank"])
    es = Examples(["grax"], ["grax"], ["thank"])
    both = joined([en, es])
    assert both == Examples(["thx", "grax"], ["thx", "grax"], ["thank", "thank"])
