"""``python -m assistant.ops.cross_validate``: choose the fallback thresholds on training data.

The held-out set (``tests/nlu/heldout.yml``) only measures; it must not choose settings. This
tool scores the intent model by stratified k-fold cross-validation on ``data/nlu`` alone, for a
grid of ``FallbackClassifier`` settings (``threshold``, ``ambiguity_threshold``), with the rest
of the pipeline as in ``config.yml`` (lemma tokenizer, TF-IDF + logistic regression with its
``C``, the character-coverage rule). It prints the table and writes ``reports/nlu_cv.md``, and
the chosen setting's confusion matrix as a heatmap, ``reports/nlu_cv_confusion.png``. The folds
are scikit-learn's ``StratifiedKFold`` (shuffled, seeded), the scores ``sklearn.metrics``.

Strict accuracy alone always favours a low threshold: every fallback counts as wrong, while
the wrong answers it prevents are wrong either way. For patients a wrong answer (the answer to
another question) is worse than "I'm not sure, here are the topics and the phone number", so
the setting chosen is the one with the lowest cost when a wrong answer counts twice and a
fallback once; ties go to the higher threshold, which guesses less. The table also names the
setting with the best strict accuracy. The knowledge-term matcher's emergency override is left
out: it does not depend on these thresholds.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
import yaml

from assistant.dialogue_names import NLU_FALLBACK as FALLBACK
from assistant.ops.evaluate_nlu import confusion_heatmap

ROOT = Path(__file__).resolve().parents[2]
OUT_OF_SCOPE = "out_of_scope"
THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
AMBIGUITIES = (0.0, 0.02, 0.05, 0.1)


@dataclass(frozen=True)
class Outcome:
    threshold: float
    ambiguity: float
    accuracy: float
    fallback_rate: float
    oos_recall: float
    wrong_answers: float  # neither right nor a fallback: the bot answers the wrong question


def pipeline_settings(config_path: Path) -> Dict[str, float]:
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    settings: Dict[str, float] = {"C": 10.0, "min_char_coverage": 0.5}
    for step in config.get("pipeline", []):
        name = str(step.get("name", ""))
        if name.endswith("LinearIntentClassifier"):
            settings["C"] = float(step.get("C", settings["C"]))
            settings["min_char_coverage"] = float(
                step.get("min_char_coverage", settings["min_char_coverage"])
            )
        if name == "FallbackClassifier":
            settings["threshold"] = float(step.get("threshold", 0.3))
            settings["ambiguity_threshold"] = float(step.get("ambiguity_threshold", 0.1))
    return settings


def training_examples(nlu_dir: Path) -> Tuple[List[str], List[str], List[str]]:
    """(texts, lemma texts, intents) of every intent example, normalised and tokenized as in
    training."""
    from rasa.shared.nlu.training_data.loading import load_data

    from assistant.nlu.lemma_tokenizer import LemmaTokenizer
    from assistant.nlu.linear_classifier import lemma_text
    from assistant.nlu.text_normalizer import TextNormalizer

    data = load_data(str(nlu_dir))
    TextNormalizer(TextNormalizer.get_default_config()).process_training_data(data)
    tokenizer = LemmaTokenizer(LemmaTokenizer.get_default_config())
    tokenizer.process_training_data(data)
    examples = [m for m in data.intent_examples if m.get("intent") and m.get("text")]
    return (
        [m.get("text") for m in examples],
        [lemma_text(m) for m in examples],
        [m.get("intent") for m in examples],
    )


def stratified_folds(labels: Sequence[str], k: int, seed: int) -> List[List[int]]:
    """The ``k`` held-out index lists of a shuffled, seeded ``StratifiedKFold``: together
    every example once, each with about ``1/k`` of every intent."""
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    placeholder = np.zeros((len(labels), 1))  # the split depends on the labels only
    return [[int(i) for i in held] for _train, held in splitter.split(placeholder, list(labels))]


def out_of_fold_scores(
    texts: Sequence[str],
    lemmas: Sequence[str],
    labels: Sequence[str],
    settings: Dict[str, float],
    k: int,
    seed: int,
) -> Tuple[np.ndarray, List[str]]:
    """Each example's class probabilities from a model that did not see it."""
    from assistant.nlu.linear_model import LinearIntentModel

    classes = sorted(set(labels))
    probabilities = np.zeros((len(texts), len(classes)))
    for number, fold in enumerate(stratified_folds(labels, k, seed), start=1):
        held = set(fold)
        train = [i for i in range(len(texts)) if i not in held]
        model = LinearIntentModel.fit(
            [texts[i] for i in train],
            [lemmas[i] for i in train],
            [labels[i] for i in train],
            c=settings["C"],
        )
        rows = model.predict_proba([texts[i] for i in fold], [lemmas[i] for i in fold])
        columns = [classes.index(name) for name in model.classes]
        for row, index in zip(rows, fold, strict=True):
            if model.char_coverage(texts[index]) < settings["min_char_coverage"]:
                row = row * 0.0
            probabilities[index, columns] = row
        print(f"  fold {number} of {k}: {len(fold)} examples scored", flush=True)
    return probabilities, classes


def decide(row: np.ndarray, classes: Sequence[str], threshold: float, ambiguity: float) -> str:
    """The intent FallbackClassifier lets through, or nlu_fallback."""
    order = np.argsort(-row)
    top = float(row[order[0]])
    second = float(row[order[1]]) if len(order) > 1 else 0.0
    if top < threshold or top - second < ambiguity:
        return FALLBACK
    return classes[int(order[0])]


def decisions(
    probabilities: np.ndarray, classes: Sequence[str], threshold: float, ambiguity: float
) -> List[str]:
    return [decide(row, classes, threshold, ambiguity) for row in probabilities]


def evaluate(
    probabilities: np.ndarray, classes: Sequence[str], labels: Sequence[str]
) -> List[Outcome]:
    from sklearn.metrics import accuracy_score, recall_score

    outcomes = []
    n = len(labels)
    is_oos = [label == OUT_OF_SCOPE for label in labels]
    for threshold in THRESHOLDS:
        for ambiguity in AMBIGUITIES:
            final = decisions(probabilities, classes, threshold, ambiguity)
            right = int(accuracy_score(labels, final, normalize=False))
            fallbacks = sum(p == FALLBACK for p in final)
            # Out of scope is handled when it is recognised or falls back (never answered).
            handled = [p in (OUT_OF_SCOPE, FALLBACK) for p in final]
            outcomes.append(
                Outcome(
                    threshold=threshold,
                    ambiguity=ambiguity,
                    accuracy=right / n,
                    fallback_rate=fallbacks / n,
                    oos_recall=float(recall_score(is_oos, handled)) if any(is_oos) else 1.0,
                    wrong_answers=(n - right - fallbacks) / n,
                )
            )
    return outcomes


WRONG_ANSWER_COST = 2.0  # a fallback costs 1


def cost(outcome: Outcome) -> float:
    return WRONG_ANSWER_COST * outcome.wrong_answers + outcome.fallback_rate


def choose(outcomes: Sequence[Outcome]) -> Outcome:
    return min(outcomes, key=lambda o: (round(cost(o), 6), -o.threshold, -o.ambiguity))


def report(outcomes: Sequence[Outcome], chosen: Outcome, current: Dict[str, Any], k: int) -> str:
    lines = [
        f"# Fallback thresholds by {k}-fold cross-validation on data/nlu",
        "",
        "Command: `python -m assistant.ops.cross_validate`. The held-out set is not used.",
        "",
        f"Cost = {WRONG_ANSWER_COST:g} x wrong answers + fallbacks (per example).",
        "",
        "| threshold | ambiguity | strict accuracy | fallback rate | wrong answers | OOS recall "
        "| cost |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    best_accuracy = max(outcomes, key=lambda o: (round(o.accuracy, 6), o.threshold))
    for o in outcomes:
        mark = " **(chosen: lowest cost)**" if o == chosen else ""
        if o == best_accuracy:
            mark += " (best strict accuracy)"
        if (o.threshold, o.ambiguity) == (
            current.get("threshold"),
            current.get("ambiguity_threshold"),
        ):
            mark += " (config.yml)"
        lines.append(
            f"| {o.threshold:.2f} | {o.ambiguity:.2f} | {o.accuracy:.2%}{mark} | "
            f"{o.fallback_rate:.2%} | {o.wrong_answers:.2%} | {o.oos_recall:.2%} | "
            f"{cost(o):.4f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--c", type=float, help="try this C instead of config.yml's")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu_cv.md")
    args = parser.parse_args(argv)
    settings = pipeline_settings(ROOT / "config.yml")
    if args.c:
        settings["C"] = args.c
    texts, lemmas, labels = training_examples(ROOT / "data" / "nlu")
    print(f"{len(texts)} training examples, {len(set(labels))} intents", flush=True)
    probabilities, classes = out_of_fold_scores(
        texts, lemmas, labels, settings, args.folds, args.seed
    )
    outcomes = evaluate(probabilities, classes, labels)
    chosen = choose(outcomes)
    text = report(outcomes, chosen, settings, args.folds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    confusion_heatmap(
        labels,
        decisions(probabilities, classes, chosen.threshold, chosen.ambiguity),
        args.out.with_name(f"{args.out.stem}_confusion.png"),
        f"{args.folds}-fold cross-validation on data/nlu, threshold {chosen.threshold}, "
        f"ambiguity {chosen.ambiguity}",
    )
    print(text)
    print(
        f"Chosen: threshold {chosen.threshold}, ambiguity_threshold {chosen.ambiguity} "
        f"(config.yml has {settings.get('threshold')}, {settings.get('ambiguity_threshold')})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
