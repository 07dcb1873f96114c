"""The patient messages ``bench.load`` sends, in English and Spanish, and how a conversation's
language is drawn.

A conversation is greet, a topic question, a side-effects question, thanks, all in one
language. The English phrases are those of every run before the Spanish work; the Spanish ones
were written for the load (none is a Spanish held-out example, and each of two words or more is
detected as Spanish: ``tests/bench/test_load_messages.py``).
"""

from __future__ import annotations

import random
from typing import Dict, List, NamedTuple, Tuple

from assistant.dialogue_names import LANGUAGE_EN, LANGUAGE_ES


class Phrases(NamedTuple):
    """One language's phrases for each turn of a conversation."""

    greetings: Tuple[str, ...]
    topics: Tuple[str, ...]
    side_effects: Tuple[str, ...]
    thanks: Tuple[str, ...]


GREETINGS = ("hi", "hello there", "good morning", "hey", "hi, I have a question")
TOPICS = (
    "what is immunotherapy",
    "how does immunotherapy work",
    "where is the infusion center",
    "when is the infusion center open",
    "how is immunotherapy given",
    "are there clinical trials I could join",
    "what types of immunotherapy are there",
    "how often will I get my treatment",
)
SIDE_EFFECTS = (
    "what side effects can immunotherapy cause",
    "will it give me a rash",
    "is it normal to feel tired after treatment",
    "can it cause diarrhea",
    "what side effects should i expect",
)
THANKS = ("thanks", "thank you so much", "thx, that helps", "great, thank you")

GREETINGS_ES = ("hola", "buenas tardes", "buenos dias", "hola, tengo una pregunta", "hola buenas")
TOPICS_ES = (
    "que es la inmunoterapia",
    "cómo funciona la inmunoterapia",
    "donde queda el centro de infusion",
    "a que hora abren el centro de infusión",
    "como me van a poner la inmunoterapia",
    "hay estudios clinicos en los que pueda participar",
    "que tipos de inmunoterapia existen",
    "cada cuanto me toca el tratamiento",
)
SIDE_EFFECTS_ES = (
    "que efectos secundarios puede causar la inmunoterapia",
    "me va a salir un sarpullido?",
    "es normal sentirse cansada despues del tratamiento",
    "puede darme diarrea",
    "qué efectos secundarios debo esperar",
)
THANKS_ES = ("gracias", "muchas gracias", "mil gracias, me sirvio mucho", "perfecto, gracias")

PHRASES: Dict[str, Phrases] = {
    LANGUAGE_EN: Phrases(GREETINGS, TOPICS, SIDE_EFFECTS, THANKS),
    LANGUAGE_ES: Phrases(GREETINGS_ES, TOPICS_ES, SIDE_EFFECTS_ES, THANKS_ES),
}


def pick_language(rng: random.Random, spanish_share: float) -> str:
    """Spanish with probability ``spanish_share`` (0..1), else English."""
    return LANGUAGE_ES if rng.random() < spanish_share else LANGUAGE_EN


def conversation(rng: random.Random, language: str = LANGUAGE_EN) -> List[str]:
    """One conversation's four messages in ``language``."""
    phrases = PHRASES[language]
    return [
        rng.choice(phrases.greetings),
        rng.choice(phrases.topics),
        rng.choice(phrases.side_effects),
        rng.choice(phrases.thanks),
    ]


def user_rng(seed: str, user: int) -> random.Random:
    """The phrase and language draws of one virtual user: the same ``seed`` gives every
    configuration the same sequence of conversations."""
    return random.Random(f"{seed}-{user}")  # noqa: S311 - picks test phrases, not secrets
