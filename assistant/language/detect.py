"""Per-message language detection with ``lingua`` (built for short texts), limited to English
and Spanish.

A message counts as one language only when the detector is confident (``CONFIDENCE_FLOOR``),
the message has at least ``MIN_WORDS`` words, and its words agree with the guess
(``Vocabulary.agrees``: a word known in the guessed language alone, and fewer words known in
the other language alone; a tie is undecided). A one-word reply ("sí", "ok", "1"), a name
("Rosa Delgado") or gibberish is undecided, so it never changes a conversation's language.
The top guess and its confidence are kept when the words agree with it (a new conversation may
start from the guess, and the console shows it); a guess resting on letters alone ("hello" is
guessed Spanish) is dropped.

lingua runs in its low-accuracy mode (trigram models only): 9 MB kept instead of 63 MB, and
with the word check above it reads no held-out message as the wrong language (0 of 596; 546
decided against 551 for the full models with the earlier check: docs/languages.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Optional, Tuple

from assistant.dialogue_names import LANGUAGE_EN, LANGUAGE_ES
from assistant.language.vocabulary import WORD, Vocabulary, words_of

if TYPE_CHECKING:
    from lingua import LanguageDetector

CONFIDENCE_FLOOR = 0.7
MIN_WORDS = 2


@dataclass(frozen=True)
class Detection:
    """``language``: "en"/"es" when decided, else None; ``guess``: the detector's top language
    (None without letters); ``confidence``: the guess's confidence, 0..1."""

    language: Optional[str]
    guess: Optional[str]
    confidence: float


UNDECIDED = Detection(None, None, 0.0)


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    return (
        LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


def warm_up() -> None:
    """Load the language models now (at server start) rather than on the first message."""
    _detector()


@lru_cache(maxsize=256)
def _top_language(words: str) -> Optional[Tuple[str, float]]:
    """lingua's top language and its confidence for ``words``. Cached: the channel reads a
    message's language for the session start (``opening_language``) and the NLU step reads it
    again, in the same process, moments later."""
    values = _detector().compute_language_confidence_values(words)
    if not values:
        return None
    top = values[0]
    guess = LANGUAGE_ES if top.language.iso_code_639_1.name == "ES" else LANGUAGE_EN
    return guess, float(top.value)


def detect(text: str, vocabulary: Vocabulary) -> Detection:
    """The language of one message (see the module docstring)."""
    words = WORD.findall(text)
    if not words:
        return UNDECIDED
    top = _top_language(" ".join(words))
    if top is None:
        return UNDECIDED
    guess, confidence = top
    if not vocabulary.agrees(guess, words_of(text)):
        return UNDECIDED
    decided = guess if confidence >= CONFIDENCE_FLOOR and len(words) >= MIN_WORDS else None
    return Detection(decided, guess, round(confidence, 3))
