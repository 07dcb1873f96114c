"""How long grouping the console's unanswered questions takes at its bound: 5,000 distinct
questions (the worst case: repeated questions are grouped once). The questions are made from
the labelled test sample with greetings, endings and dropped letters added, deterministically.

    .venv/bin/python -m bench.topics_timing [--questions 5000]
"""

from __future__ import annotations

import argparse
import random
import time
from typing import List

import yaml

from assistant.console.topics import (
    MAX_QUESTIONS,
    TopicGrouper,
    TopicVocabulary,
    UnansweredQuestion,
)
from bench.common import ROOT

SAMPLE = ROOT / "tests" / "assistant" / "console" / "data" / "unanswered_topics.yml"
OPENINGS = ("", "hi ", "hello, ", "quick question ", "sorry to bother, ", "my mom asks ", "pls ")
ENDINGS = ("", " thanks", " pls", " today", " for my appointment", " on friday", " thx")


def made_up_questions(count: int, seed: int = 7) -> List[UnansweredQuestion]:
    sample = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    texts = [text.lower() for questions in sample.values() for text in questions]
    rng = random.Random(seed)  # noqa: S311 - made-up questions, not secrets
    made: set[str] = set()
    while len(made) < count:
        text = rng.choice(OPENINGS) + rng.choice(texts) + rng.choice(ENDINGS)
        if rng.random() < 0.5:  # a dropped letter
            cut = rng.randrange(len(text))
            text = text[:cut] + text[cut + 1 :]
        made.add(text)
    return [UnansweredQuestion(n, n // 3, float(n), text) for n, text in enumerate(sorted(made))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=MAX_QUESTIONS)
    args = parser.parse_args()
    questions = made_up_questions(args.questions)
    grouper = TopicGrouper(TopicVocabulary.load())
    grouper.group(questions[:50])  # the lemma table is read once per process
    started = time.perf_counter()
    groups = grouper.group(questions)
    elapsed = time.perf_counter() - started
    print(f"{len(questions)} distinct questions: {len(groups)} groups in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
