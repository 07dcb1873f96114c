"""``python -m assistant.ops.evaluate_nlu``: score a trained model on the held-out NLU set.

Writes a per-intent report (``nlu_heldout_report.json``), the confusion matrix as a table with
the errors (``nlu_heldout_confusion.md``) and as a heatmap (``nlu_heldout_confusion.png``) to
``reports/`` and prints the summary. Per-intent precision, recall and F1 and the confusion
matrix come from scikit-learn. Accuracy is strict: a low-confidence message that falls back
(``nlu_fallback``) counts as wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
import yaml

from assistant.dialogue_names import NLU_FALLBACK as FALLBACK

# The tiers that must never be missed: 911 (emergency) and 988 (self-harm).
NEVER_MISSED = ("emergency", "self_harm")


@dataclass(frozen=True)
class NluScores:
    examples: int
    accuracy: float  # strict: nlu_fallback counts as wrong
    top1_accuracy: float  # the classifier's best guess, before the fallback threshold
    macro_f1: float
    fallback_rate: float
    emergency_recall: float
    emergency_missed: Tuple[str, ...]


def read_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs from a Rasa NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = []
    for block in data.get("nlu", []):
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((line[2:].strip(), str(block["intent"])))
    return pairs


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> Tuple[List[str], np.ndarray]:
    """The labels (every true and predicted intent, sorted) and the confusion matrix over
    them: ``matrix[i, j]`` messages of intent ``labels[i]`` were predicted ``labels[j]``."""
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold) | set(predicted))
    return labels, confusion_matrix(list(gold), list(predicted), labels=labels)


def _macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> Tuple[float, Dict[str, Dict]]:
    """Macro F1 over the true intents, and per intent its precision, recall, F1, support and
    what it was mistaken for (most often first)."""
    from sklearn.metrics import precision_recall_fscore_support

    intents = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        list(gold), list(predicted), labels=intents, zero_division=0
    )
    labels, matrix = confusion(gold, predicted)
    report: Dict[str, Dict] = {}
    for i, label in enumerate(intents):
        row = matrix[labels.index(label)]
        confused = [(labels[j], int(n)) for j, n in enumerate(row) if n and labels[j] != label]
        confused.sort(key=lambda item: -item[1])
        report[label] = {
            "precision": round(float(precision[i]), 3),
            "recall": round(float(recall[i]), 3),
            "f1": round(float(f1[i]), 3),
            "support": int(support[i]),
            "confused_with": dict(confused),
        }
    macro = float(np.mean(f1)) if intents else 0.0
    return macro, report


def score(
    gold: Sequence[str], final: Sequence[str], top1: Sequence[str], texts: Sequence[str]
) -> Tuple[NluScores, Dict[str, Dict]]:
    n = len(gold)
    macro, report = _macro_f1(gold, final)
    emergencies = [
        (t, g, p) for t, g, p in zip(texts, gold, final, strict=True) if g in NEVER_MISSED
    ]
    missed = tuple(t for t, g, p in emergencies if p != g)
    scores = NluScores(
        examples=n,
        accuracy=sum(g == p for g, p in zip(gold, final, strict=True)) / n,
        top1_accuracy=sum(g == p for g, p in zip(gold, top1, strict=True)) / n,
        macro_f1=macro,
        fallback_rate=sum(p == FALLBACK for p in final) / n,
        emergency_recall=(1 - len(missed) / len(emergencies)) if emergencies else 1.0,
        emergency_missed=missed,
    )
    return scores, report


async def _predict(model: Path, texts: Sequence[str]) -> Tuple[List[str], List[str]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    final, top1 = [], []
    for text in texts:
        parsed = await agent.parse_message(text)
        intent = parsed["intent"]["name"]
        final.append(intent)
        ranking = [r["name"] for r in parsed.get("intent_ranking", []) if r["name"] != FALLBACK]
        top1.append(intent if intent != FALLBACK else (ranking[0] if ranking else FALLBACK))
    return final, top1


def _run_in_own_loop(coroutine: Any) -> Any:
    """Run a coroutine to completion on a fresh event loop in a helper thread, so this also
    works where the calling thread already runs a loop (e.g. beside Playwright in tests)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def confusion_heatmap(
    gold: Sequence[str], predicted: Sequence[str], path: Path, title: str
) -> None:
    """The confusion matrix as a PNG heatmap: rows the true intent, columns the prediction,
    each cell's colour its share of the row (so small intents show too), its count written
    in it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels, matrix = confusion(gold, predicted)
    totals = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    size = 3.0 + 0.32 * len(labels)
    figure = Figure(figsize=(size + 1.5, size))
    FigureCanvasAgg(figure)
    axis = figure.add_subplot()
    image = axis.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    axis.set_xticks(range(len(labels)))
    axis.set_xticklabels(labels, rotation=90, fontsize=7)
    axis.set_yticks(range(len(labels)))
    axis.set_yticklabels(labels, fontsize=7)
    axis.set_xlabel("predicted intent")
    axis.set_ylabel("true intent")
    axis.set_title(title, fontsize=10)
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            colour = "white" if shares[row, column] > 0.5 else "black"
            axis.text(column, row, str(count), ha="center", va="center", fontsize=6, color=colour)
    figure.colorbar(image, ax=axis, fraction=0.04, label="share of the true intent's messages")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def write_reports(
    out: Path,
    scores: NluScores,
    report: Dict[str, Dict],
    gold: Sequence[str],
    final: Sequence[str],
    texts: Sequence[str],
    name: str = "nlu_heldout",
) -> None:
    """``<name>_report.json``, ``<name>_confusion.md`` and ``<name>_confusion.png`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}_report.json").write_text(
        json.dumps({"summary": asdict(scores), "per_intent": report}, indent=2)
    )
    labels, matrix = confusion(gold, final)
    lines = [
        "# Held-out NLU confusion matrix (rows: true intent, columns: predicted)",
        "",
        f"Heatmap: {name}_confusion.png",
        "",
        "| true \\ predicted | " + " | ".join(labels) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    for i, g in enumerate(labels):
        if g in report:  # a true intent (not only ever predicted)
            lines.append(f"| {g} | " + " | ".join(str(n or "") for n in matrix[i]) + " |")
    lines += ["", "## Errors", ""]
    lines += [f"- `{t}`: {g} -> {p}" for t, g, p in zip(texts, gold, final, strict=True) if g != p]
    (out / f"{name}_confusion.md").write_text("\n".join(lines) + "\n")
    confusion_heatmap(
        gold,
        final,
        out / f"{name}_confusion.png",
        f"Held-out NLU: {scores.examples} messages, strict accuracy {scores.accuracy:.3f}",
    )


def evaluate(model: Path, heldout: Path, out: Path, name: str = "nlu_heldout") -> NluScores:
    """Score ``model`` on one held-out file; the reports are named after ``name``."""
    pairs = read_examples(heldout)
    texts = [t for t, _ in pairs]
    gold = [g for _, g in pairs]
    final, top1 = _run_in_own_loop(_predict(model, texts))
    scores, report = score(gold, final, top1, texts)
    write_reports(out, scores, report, gold, final, texts, name)
    return scores


def main() -> None:
    from assistant.ops.train import ensure_model

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--heldout", default="tests/nlu/heldout.yml")
    parser.add_argument("--out", default="reports")
    parser.add_argument("--name", default="nlu_heldout", help="the reports' file name stem")
    args = parser.parse_args()
    scores = evaluate(ensure_model(Path.cwd()), Path(args.heldout), Path(args.out), args.name)
    print(json.dumps(asdict(scores), indent=2))


if __name__ == "__main__":
    main()
