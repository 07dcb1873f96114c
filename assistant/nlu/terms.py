"""Deterministic matching of knowledge terms and emergency phrases with spaCy.

A blank English pipeline with the ``spacy-lookups-data`` lemma table turns every token into a
key (its lower-cased lemma, with contraction pieces spelled out). An unknown word that is one or
two edits away from a word of some pattern is read as that word, so "chest pian" or "seizre"
still match. Emergency phrases may have a few words in between ("my throat is really swelling").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

import spacy
from spacy.language import Language
from spacy.lookups import Table, load_lookups
from spacy.matcher import Matcher
from spacy.tokens import Doc

from assistant.knowledge.base import KnowledgeBase

EMERGENCY_INTENT = "emergency"
EMERGENCY_ENTITY = "emergency"
MEDICAL_EMERGENCY = "medical"
# Words allowed between two words of an emergency phrase; knowledge terms must be contiguous.
EMERGENCY_GAP = 3

_CONTRACTION_PIECES: Dict[str, str] = {
    "ca": "can",
    "wo": "will",
    "n't": "not",
    "nt": "not",
    "'m": "be",
    "'re": "be",
    "'s": "be",
    "gon": "going",
    "na": "to",
    "ta": "to",
    "wanna": "want",
}
# Left out of emergency phrases, so "i dont wanna be alive" matches "don't want to be alive"
# (the gap allowance lets these words, or others, stand in between).
_FUNCTION_WORDS = frozenset(
    {"to", "be", "a", "an", "the", "my", "i", "me", "it", "of", "in", "on", "up", "that", "this"}
)


@dataclass(frozen=True)
class TermMatch:
    """A knowledge term found in a text."""

    entity: str
    value: str
    entry_id: str
    start: int
    end: int
    text: str
    emergency: bool


@dataclass(frozen=True)
class _Label:
    entity: str
    value: str
    entry_id: str
    emergency: bool


@lru_cache(maxsize=1)
def blank_english() -> Language:
    """The shared blank English tokenizer (no vectors, no trained model)."""
    return spacy.blank("en")


@lru_cache(maxsize=1)
def _lemma_table() -> Table:
    """spacy-lookups-data's English lemma table (keys are hashed; look up by string)."""
    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


@lru_cache(maxsize=1)
def _lemmas() -> FrozenSet[str]:
    return frozenset(str(value) for value in _lemma_table().values())


def is_known_english_word(word: str) -> bool:
    """Whether ``word`` is an English word form or lemma the lookup table knows."""
    return word in _lemma_table() or word in _lemmas()


def lemma_key(word: str) -> str:
    """Matching key of one token: its lower-cased lemma, contraction pieces spelled out."""
    lower = word.lower()
    if lower in _CONTRACTION_PIECES:
        return _CONTRACTION_PIECES[lower]
    return str(_lemma_table().get(lower, lower))


def token_keys(doc: Doc) -> List[str]:
    """One matching key per token of ``doc``."""
    return [lemma_key(token.text) for token in doc]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count 1), cut off above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous_previous: List[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous_previous, previous = previous, current
    return previous[-1]


MAX_REMEMBERED_CORRECTIONS = 20_000


def _typo_limit(word: str) -> int:
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


class TermIndex:
    """All match patterns built from one version of the knowledge."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self._nlp = blank_english()
        self._matcher = Matcher(self._nlp.vocab)
        self._labels: Dict[str, _Label] = {}
        vocabulary: set[str] = set()
        for entry in knowledge.entries:
            if not entry.synonyms:
                continue
            emergency = EMERGENCY_INTENT in entry.intents
            entity, value = entry.entity_pair or (EMERGENCY_ENTITY, MEDICAL_EMERGENCY)
            label_key = f"{entry.id}"
            self._labels[label_key] = _Label(entity, value, entry.id, emergency)
            patterns = []
            for phrase in entry.synonyms:
                keys = [key for key in token_keys(self._nlp.make_doc(phrase)) if key.strip()]
                if emergency:
                    keys = [key for key in keys if key not in _FUNCTION_WORDS] or keys
                if not keys:
                    continue
                vocabulary.update(keys)
                patterns.append(self._pattern(keys, gap=EMERGENCY_GAP if emergency else 0))
            self._matcher.add(label_key, patterns)
        self._vocabulary = frozenset(vocabulary)
        self._corrections: Dict[str, str] = {}  # _correct's answers (the index is fixed)
        self._by_length: Dict[int, List[str]] = {}
        for word in self._vocabulary:
            if len(word) >= 4:
                self._by_length.setdefault(len(word), []).append(word)

    @staticmethod
    def _pattern(keys: Sequence[str], gap: int) -> List[Dict[str, object]]:
        pattern: List[Dict[str, object]] = []
        for position, key in enumerate(keys):
            if position:
                pattern.extend({"OP": "?"} for _ in range(gap))
            pattern.append({"NORM": key})
        return pattern

    def _correct(self, key: str) -> str:
        """The pattern word an unknown, misspelt word most likely stands for (remembered:
        the edit-distance search was a tenth of the NLU time)."""
        corrected = self._corrections.get(key)
        if corrected is None:
            if len(self._corrections) >= MAX_REMEMBERED_CORRECTIONS:
                self._corrections.clear()
            corrected = self._corrections[key] = self._closest(key)
        return corrected

    def _closest(self, key: str) -> str:
        limit = _typo_limit(key)
        if not limit or key in self._vocabulary or is_known_english_word(key):
            return key
        best: Optional[Tuple[int, str]] = None
        for length in range(len(key) - limit, len(key) + limit + 1):
            for word in self._by_length.get(length, ()):
                if _typo_limit(word) == 0:
                    continue
                distance = edit_distance(key, word, limit)
                if distance <= limit and (best is None or (distance, word) < best):
                    best = (distance, word)
        return best[1] if best else key

    def find(self, text: str) -> List[TermMatch]:
        """Every knowledge term in ``text``: longest first where matches overlap."""
        # Lower-case so "CANT" splits like "cant"; keep offsets valid for the original text.
        lowered = text.lower()
        doc = self._nlp.make_doc(lowered if len(lowered) == len(text) else text)
        for token, key in zip(doc, token_keys(doc), strict=True):
            token.norm_ = self._correct(key)
        spans = self._matcher(doc, as_spans=True)
        chosen: List[TermMatch] = []
        taken: set[int] = set()
        for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
            if taken.intersection(range(span.start, span.end)):
                continue
            taken.update(range(span.start, span.end))
            label = self._labels[span.label_]
            chosen.append(
                TermMatch(
                    entity=label.entity,
                    value=label.value,
                    entry_id=label.entry_id,
                    start=span.start_char,
                    end=span.end_char,
                    text=text[span.start_char : span.end_char],
                    emergency=label.emergency,
                )
            )
        return sorted(chosen, key=lambda match: match.start)


def emergency_matches(matches: Iterable[TermMatch]) -> List[TermMatch]:
    return [match for match in matches if match.emergency]
