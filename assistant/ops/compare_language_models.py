"""``python -m assistant.ops.compare_language_models``: one intent model for English and
Spanish, or one per language?

Trains three intent models with ``config.yml``'s settings (``C``, the character-coverage rule,
the fallback thresholds): **joint** on every file under ``data/nlu``, **English** on the
top-level ``data/nlu/*.yml`` and **Spanish** on ``data/nlu/es/*.yml``. The language split is by
file, not by line: the few Spanish lines in the English files ("hola", "gracias") stay in the
English model. Each model is timed, saved to a temporary directory to measure its size, and
scored on the held-out sets (``tests/nlu/heldout.yml``, ``tests/nlu/heldout_es.yml``; scoring
only) in three setups:

- joint: the one model on both sets;
- per language, gold routing: each set to its own language's model;
- per language, detector routing: each message to the model of the language
  ``assistant.language.detect`` finds (its language, else its guess, else English), which is
  what a two-model deployment would do.

Strict accuracy (``nlu_fallback`` counts as wrong) and macro-F1 come from
``evaluate_nlu.score``, the fallback rule from ``cross_validate.decide``. Prints the tables and
writes ``reports/language_models.md`` and ``reports/language_models.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Protocol, Sequence, Tuple, TypeVar

import numpy as np

from assistant.dialogue_names import LANGUAGE_EN, LANGUAGE_ES, LANGUAGES
from assistant.language.detect import Detection
from assistant.ops.cross_validate import decide, pipeline_settings, training_examples
from assistant.ops.evaluate_nlu import score

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
JOINT = "joint"
GOLD_ROUTED = "per language, gold routing"
DETECTOR_ROUTED = "per language, detector routing"
# Per-language models are chosen only if, detector-routed, they beat the joint model by at
# least this much strict accuracy on both held-out sets (and lose no macro-F1 on either).
CLEAR_MARGIN = 0.02


class IntentModel(Protocol):
    """What scoring needs of ``LinearIntentModel``."""

    classes: List[str]

    def predict_proba(self, texts: Sequence[str], lemmas: Sequence[str]) -> np.ndarray: ...

    def char_coverage(self, text: str) -> float: ...


@dataclass(frozen=True)
class Examples:
    texts: List[str]  # normalised as in training
    lemmas: List[str]  # space-joined lemmas
    labels: List[str]  # intents


@dataclass(frozen=True)
class ModelStats:
    name: str
    examples: int
    intents: int
    train_seconds: float  # wall clock
    train_cpu_seconds: float  # this process's CPU time (all threads)
    size_bytes: int
    ms_per_message: float  # wall clock
    cpu_ms_per_message: float


@dataclass(frozen=True)
class Result:
    setup: str
    heldout: str  # "en" | "es"
    examples: int
    accuracy: float
    macro_f1: float
    fallback_rate: float
    emergency_recall: float


@dataclass(frozen=True)
class Routing:
    """Where the detector sends one held-out set's messages."""

    heldout: str
    examples: int
    to_en: int
    to_es: int
    undecided: int  # no decision: routed by the guess (or English without one)
    misrouted: Tuple[str, ...]  # messages routed to the other language's model
    misrouted_right_per_language: int  # of those, right with the wrong language's model
    misrouted_right_joint: int  # of those, right with the joint model


def route(detection: Detection) -> str:
    """The model a message goes to: the detected language, else the guess, else English."""
    return detection.language or detection.guess or LANGUAGE_EN


def load_examples(paths: Sequence[Path]) -> Examples:
    texts: List[str] = []
    lemmas: List[str] = []
    labels: List[str] = []
    for path in paths:
        more_texts, more_lemmas, more_labels = training_examples(path)
        texts += more_texts
        lemmas += more_lemmas
        labels += more_labels
    return Examples(texts, lemmas, labels)


def joined(parts: Sequence[Examples]) -> Examples:
    return Examples(
        [t for p in parts for t in p.texts],
        [m for p in parts for m in p.lemmas],
        [g for p in parts for g in p.labels],
    )


def predict(
    model: IntentModel, texts: Sequence[str], lemmas: Sequence[str], settings: Mapping[str, float]
) -> List[str]:
    """The intents the pipeline would let through (or ``nlu_fallback``), as the
    LinearIntentClassifier (coverage rule) and FallbackClassifier decide them."""
    if not texts:
        return []
    final = []
    for row, text in zip(model.predict_proba(texts, lemmas), texts, strict=True):
        if model.char_coverage(text) < settings["min_char_coverage"]:
            row = row * 0.0
        final.append(
            decide(row, model.classes, settings["threshold"], settings["ambiguity_threshold"])
        )
    return final


def predict_routed(
    models: Mapping[str, IntentModel],
    languages: Sequence[str],
    texts: Sequence[str],
    lemmas: Sequence[str],
    settings: Mapping[str, float],
) -> List[str]:
    """Each message predicted by the model of its language, in the messages' order."""
    unknown = set(languages) - set(models)
    if unknown:
        raise KeyError(f"no model for {sorted(unknown)}")
    final = [""] * len(texts)
    for language, model in models.items():
        indices = [i for i, lang in enumerate(languages) if lang == language]
        chosen = predict(model, [texts[i] for i in indices], [lemmas[i] for i in indices], settings)
        for index, intent in zip(indices, chosen, strict=True):
            final[index] = intent
    return final


def result(setup: str, heldout: str, data: Examples, final: Sequence[str]) -> Result:
    scores, _ = score(data.labels, final, final, data.texts)
    return Result(
        setup=setup,
        heldout=heldout,
        examples=scores.examples,
        accuracy=scores.accuracy,
        macro_f1=scores.macro_f1,
        fallback_rate=scores.fallback_rate,
        emergency_recall=scores.emergency_recall,
    )


def routing(
    heldout: str,
    data: Examples,
    detections: Sequence[Detection],
    per_language: Sequence[str],
    joint: Sequence[str],
) -> Routing:
    """The detector's routing of one set, with how the misrouted messages fared."""
    routes = [route(d) for d in detections]
    wrong = [i for i, lang in enumerate(routes) if lang != heldout]
    return Routing(
        heldout=heldout,
        examples=len(routes),
        to_en=routes.count(LANGUAGE_EN),
        to_es=routes.count(LANGUAGE_ES),
        undecided=sum(d.language is None for d in detections),
        misrouted=tuple(data.texts[i] for i in wrong),
        misrouted_right_per_language=sum(per_language[i] == data.labels[i] for i in wrong),
        misrouted_right_joint=sum(joint[i] == data.labels[i] for i in wrong),
    )


def verdict(results: Sequence[Result], margin: float = CLEAR_MARGIN) -> Tuple[str, str]:
    """("one model" | "one per language", why): per-language models only if, routed by the
    detector, they beat the joint model clearly on both held-out sets."""
    by_key = {(r.setup, r.heldout): r for r in results}
    reasons = []
    wins = True
    for language in LANGUAGES:
        joint, routed = by_key[(JOINT, language)], by_key[(DETECTOR_ROUTED, language)]
        gain = routed.accuracy - joint.accuracy
        f1_gain = routed.macro_f1 - joint.macro_f1
        reasons.append(
            f"{language}: per-language (detector-routed) minus joint = {gain:+.1%} strict "
            f"accuracy, {f1_gain:+.3f} macro-F1"
        )
        wins = wins and gain >= margin and f1_gain >= 0
    rule = f"per-language models need +{margin:.0%} accuracy and no macro-F1 loss on both sets"
    return ("one per language" if wins else "one model"), "; ".join(reasons) + f" ({rule})"


def results_table(results: Sequence[Result]) -> str:
    lines = [
        "| setup | held-out | messages | strict accuracy | macro-F1 | fallback rate "
        "| emergency recall |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.setup} | {r.heldout} | {r.examples} | {r.accuracy:.1%} | {r.macro_f1:.3f} "
            f"| {r.fallback_rate:.1%} | {r.emergency_recall:.1%} |"
        )
    return "\n".join(lines)


def models_table(stats: Sequence[ModelStats]) -> str:
    lines = [
        "| model | training examples | intents | training: wall (CPU) | size on disk "
        "| prediction per message: wall (CPU) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in stats:
        lines.append(
            f"| {s.name} | {s.examples} | {s.intents} "
            f"| {s.train_seconds:.1f} s ({s.train_cpu_seconds:.1f} s) "
            f"| {s.size_bytes / 1e6:.1f} MB "
            f"| {s.ms_per_message:.2f} ms ({s.cpu_ms_per_message:.2f} ms) |"
        )
    return "\n".join(lines)


def routing_table(routings: Sequence[Routing], detector_ms: float) -> str:
    lines = [
        f"Detector: {detector_ms:.2f} ms per message.",
        "",
        "| held-out | messages | to en model | to es model | undecided (routed by guess) "
        "| misrouted | misrouted, right anyway (per-language) | misrouted, right (joint) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in routings:
        lines.append(
            f"| {r.heldout} | {r.examples} | {r.to_en} | {r.to_es} | {r.undecided} "
            f"| {len(r.misrouted)} | {r.misrouted_right_per_language} "
            f"| {r.misrouted_right_joint} |"
        )
    return "\n".join(lines)


def report(
    stats: Sequence[ModelStats],
    results: Sequence[Result],
    routings: Sequence[Routing],
    detector_ms: float,
    decision: Tuple[str, str],
    machine: Mapping[str, Any],
) -> str:
    lines = [
        "# One intent model or one per language",
        "",
        f"Command: `python -m assistant.ops.compare_language_models` ({machine['date']}, "
        f"{machine['cores']} cores, load average {machine['load_average_1min']} at the end, "
        f"Python {machine['python']}). Training: data/nlu/*.yml "
        "(English, split by file), data/nlu/es/*.yml (Spanish), joint = both. Scoring only: "
        "tests/nlu/heldout.yml (en), tests/nlu/heldout_es.yml (es). Strict accuracy: "
        "nlu_fallback counts as wrong.",
        "",
        "## Models",
        "",
        models_table(stats),
        "",
        "## Held-out scores",
        "",
        results_table(results),
        "",
        "## Detector routing",
        "",
        routing_table(routings, detector_ms),
        "",
        f"## Decision: {decision[0]}",
        "",
        decision[1] + ".",
    ]
    for r in routings:
        if r.misrouted:
            lines += ["", f"### {r.heldout} held-out messages sent to the other model", ""]
            lines += [f"- `{text}`" for text in r.misrouted]
    return "\n".join(lines) + "\n"


def timed(work: Callable[[], T]) -> Tuple[T, float, float]:
    """``work()``'s value, wall-clock seconds and this process's CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = work()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def saved_size(model: Any) -> int:
    """Bytes of ``model.save`` output."""
    with tempfile.TemporaryDirectory() as directory:
        model.save(Path(directory))
        return sum(f.stat().st_size for f in Path(directory).iterdir())


def main(argv: Sequence[str] | None = None) -> int:
    from assistant.knowledge.loader import load_knowledge
    from assistant.language.detect import detect, warm_up
    from assistant.language.vocabulary import vocabulary_of
    from assistant.nlu.linear_model import LinearIntentModel

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "language_models.md")
    args = parser.parse_args(argv)
    settings = pipeline_settings(ROOT / "config.yml")
    nlu = ROOT / "data" / "nlu"

    print("Loading and tokenizing the training data and held-out sets ...", flush=True)
    training = {
        LANGUAGE_EN: load_examples(sorted(nlu.glob("*.yml"))),
        LANGUAGE_ES: load_examples(sorted((nlu / "es").glob("*.yml"))),
    }
    training[JOINT] = joined([training[LANGUAGE_EN], training[LANGUAGE_ES]])
    heldout = {
        LANGUAGE_EN: load_examples([ROOT / "tests" / "nlu" / "heldout.yml"]),
        LANGUAGE_ES: load_examples([ROOT / "tests" / "nlu" / "heldout_es.yml"]),
    }

    models: Dict[str, LinearIntentModel] = {}
    train_seconds: Dict[str, Tuple[float, float]] = {}
    for name in (JOINT, LANGUAGE_EN, LANGUAGE_ES):
        data = training[name]
        print(f"Training the {name} model on {len(data.texts)} examples ...", flush=True)
        models[name], wall, cpu = timed(
            partial(LinearIntentModel.fit, data.texts, data.lemmas, data.labels, c=settings["C"])
        )
        train_seconds[name] = (wall, cpu)
        print(f"  {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)

    print("Detecting the held-out messages' languages ...", flush=True)
    warm_up()
    vocabulary = vocabulary_of(load_knowledge(ROOT / "data" / "knowledge"))
    detections, wall, _ = timed(
        lambda: {lang: [detect(t, vocabulary) for t in heldout[lang].texts] for lang in LANGUAGES}
    )
    detector_ms = 1000 * wall / sum(map(len, detections.values()))
    routes = {lang: [route(d) for d in detections[lang]] for lang in LANGUAGES}

    print("Scoring ...", flush=True)
    per_language = {lang: models[lang] for lang in LANGUAGES}
    results: List[Result] = []
    joint_final: Dict[str, List[str]] = {}
    routed_final: Dict[str, List[str]] = {}
    ms: Dict[str, Tuple[float, float]] = {}
    for lang in LANGUAGES:
        data = heldout[lang]
        joint_final[lang] = predict(models[JOINT], data.texts, data.lemmas, settings)
        gold_final, wall, cpu = timed(
            partial(predict, models[lang], data.texts, data.lemmas, settings)
        )
        ms[lang] = (1000 * wall / len(data.texts), 1000 * cpu / len(data.texts))
        routed_final[lang] = predict_routed(
            per_language, routes[lang], data.texts, data.lemmas, settings
        )
        results += [
            result(JOINT, lang, data, joint_final[lang]),
            result(GOLD_ROUTED, lang, data, gold_final),
            result(DETECTOR_ROUTED, lang, data, routed_final[lang]),
        ]
    both = joined([heldout[lang] for lang in LANGUAGES])
    _, wall, cpu = timed(lambda: predict(models[JOINT], both.texts, both.lemmas, settings))
    ms[JOINT] = (1000 * wall / len(both.texts), 1000 * cpu / len(both.texts))

    print("Measuring model sizes ...", flush=True)
    stats = [
        ModelStats(
            name=name,
            examples=len(training[name].texts),
            intents=len(models[name].classes),
            train_seconds=round(train_seconds[name][0], 2),
            train_cpu_seconds=round(train_seconds[name][1], 2),
            size_bytes=saved_size(models[name]),
            ms_per_message=round(ms[name][0], 3),
            cpu_ms_per_message=round(ms[name][1], 3),
        )
        for name in (JOINT, LANGUAGE_EN, LANGUAGE_ES)
    ]
    routings = [
        routing(lang, heldout[lang], detections[lang], routed_final[lang], joint_final[lang])
        for lang in LANGUAGES
    ]
    decision = verdict(results)
    machine = {
        "date": date.today().isoformat(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1min": round(os.getloadavg()[0], 1),  # other work on the machine
    }
    text = report(stats, results, routings, detector_ms, decision, machine)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    payload = {
        "machine": machine,
        "settings": settings,
        "models": [asdict(s) for s in stats],
        "results": [asdict(r) for r in results],
        "routing": [asdict(r) for r in routings],
        "detector_ms_per_message": round(detector_ms, 3),
        "decision": {"choice": decision[0], "why": decision[1]},
    }
    args.out.with_suffix(".json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(text)
    print(f"Wrote {args.out} and {args.out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
