"""The words the assistant knows in each language, so a detection rests on words, not letters.

lingua, limited to English and Spanish, always answers one of the two, and on text that is
neither it can be confident: "Rosa Delgado", "Carlos Ramirez" or "qwzx vbnm plkj" come out
Spanish above the confidence floor, and "hello" is guessed Spanish. So a language counts only
when the message's words agree with it (``Vocabulary.agrees``): a word the assistant knows in
that language alone, and fewer known words of the other language alone. Known words are
function words (spaCy's stop words for the language) and the words of the knowledge's texts in
that language (answers, SMS texts, buttons and synonyms; the Spanish ones from each entry's
``es`` block). Names and gibberish are in neither, so they never set or change a
conversation's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import FrozenSet, Iterable, Mapping, Set

from assistant.dialogue_names import LANGUAGE_EN, LANGUAGE_ES
from assistant.knowledge.base import KnowledgeBase
from assistant.language.folding import fold_accents

WORD = re.compile(r"[^\W\d_]{2,}")


def words_of(text: str) -> FrozenSet[str]:
    """The message's words, lower-cased and folded ("Información" -> "informacion")."""
    return frozenset(fold_accents(word) for word in WORD.findall(text))


@dataclass(frozen=True)
class Vocabulary:
    """Known words per language (folded, lower-case)."""

    words: Mapping[str, FrozenSet[str]]

    def knows(self, language: str, words: Iterable[str]) -> bool:
        """Whether any of ``words`` is a known word of ``language``."""
        known = self.words.get(language, frozenset())
        return any(word in known for word in words)

    def only_in(self, language: str, words: Iterable[str]) -> int:
        """How many of ``words`` are known in ``language`` and in no other language."""
        known = self.words.get(language, frozenset())
        others = [self.words[other] for other in self.words if other != language]
        return sum(word in known and not any(word in other for other in others) for word in words)

    def agrees(self, language: str, words: Iterable[str]) -> bool:
        """Whether the words back ``language``: at least one of them is known in it alone, and
        every other language has fewer words of its own among them, so a tie is undecided
        ("transfer me to a human" has
        Spanish "me" and "a", but they are English too; "chemo nurse phone" has only words
        both languages' texts use)."""
        unique = frozenset(words)
        own = self.only_in(language, unique)
        return own > 0 and all(
            self.only_in(other, unique) < own for other in self.words if other != language
        )


def _stop_words(language: str) -> Set[str]:
    if language == LANGUAGE_ES:
        from spacy.lang.es.stop_words import STOP_WORDS as spanish

        return set(spanish)
    from spacy.lang.en.stop_words import STOP_WORDS as english

    return set(english)


def _text_words(texts: Iterable[str]) -> Set[str]:
    found: Set[str] = set()
    for text in texts:
        found |= words_of(text)
    return found


@lru_cache(maxsize=2)
def vocabulary_of(knowledge: KnowledgeBase) -> Vocabulary:
    """The vocabulary of one loaded knowledge (kept for the two most recent loads).

    A function word of one language found in the other's texts (the Spanish answers name "The
    Angeles Clinic and Research Institute") stays that language's alone."""
    english_stop = {fold_accents(word) for word in _stop_words(LANGUAGE_EN)}
    spanish_stop = {fold_accents(word) for word in _stop_words(LANGUAGE_ES)}
    english_text: Set[str] = set()
    spanish_text: Set[str] = set()
    for entry in knowledge.entries:
        english_text |= _text_words(
            [entry.answer, entry.sms, *entry.synonyms, *(button.title for button in entry.buttons)]
        )
        if entry.es is not None:
            spanish_text |= _text_words(
                [entry.es.answer, entry.es.sms, *entry.es.synonyms, *entry.es.buttons]
            )
    english = english_stop | (english_text - (spanish_stop - english_stop))
    spanish = spanish_stop | (spanish_text - (english_stop - spanish_stop))
    return Vocabulary({LANGUAGE_EN: frozenset(english), LANGUAGE_ES: frozenset(spanish)})
