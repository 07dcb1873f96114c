"""``python -m assistant.ops.evaluate_nlu``: score a trained model on the held-out NLU set.

Writes a per-intent report and a confusion matrix to ``reports/`` and prints the summary.
Accuracy is strict: a low-confidence message that falls back (``nlu_fallback``) counts as wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import yaml

FALLBACK = "nlu_fallback"
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


def _macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> Tuple[float, Dict[str, Dict]]:
    report: Dict[str, Dict] = {}
    for label in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        confused = Counter(
            p for g, p in zip(gold, predicted, strict=True) if g == label and p != label
        )
        report[label] = {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "support": tp + fn,
            "confused_with": dict(confused.most_common()),
        }
    macro = sum(item["f1"] for item in report.values()) / max(1, len(report))
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


def write_reports(
    out: Path,
    scores: NluScores,
    report: Dict[str, Dict],
    gold: Sequence[str],
    final: Sequence[str],
    texts: Sequence[str],
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "nlu_heldout_report.json").write_text(
        json.dumps({"summary": asdict(scores), "per_intent": report}, indent=2)
    )
    labels = sorted(set(gold) | set(final))
    matrix: Dict[str, Counter] = defaultdict(Counter)
    for g, p in zip(gold, final, strict=True):
        matrix[g][p] += 1
    lines = [
        "# Held-out NLU confusion matrix (rows: true intent, columns: predicted)",
        "",
        "| true \\ predicted | " + " | ".join(labels) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    for g in sorted(set(gold)):
        lines.append(f"| {g} | " + " | ".join(str(matrix[g][p] or "") for p in labels) + " |")
    lines += ["", "## Errors", ""]
    lines += [f"- `{t}`: {g} -> {p}" for t, g, p in zip(texts, gold, final, strict=True) if g != p]
    (out / "nlu_heldout_confusion.md").write_text("\n".join(lines) + "\n")


def evaluate(model: Path, heldout: Path, out: Path) -> NluScores:
    pairs = read_examples(heldout)
    texts = [t for t, _ in pairs]
    gold = [g for _, g in pairs]
    final, top1 = _run_in_own_loop(_predict(model, texts))
    scores, report = score(gold, final, top1, texts)
    write_reports(out, scores, report, gold, final, texts)
    return scores


def main() -> None:
    from assistant.ops.train import ensure_model

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--heldout", default="tests/nlu/heldout.yml")
    parser.add_argument("--out", default="reports")
    args = parser.parse_args()
    scores = evaluate(ensure_model(Path.cwd()), Path(args.heldout), Path(args.out))
    print(json.dumps(asdict(scores), indent=2))


if __name__ == "__main__":
    main()
