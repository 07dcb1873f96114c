"""Deterministic matching of knowledge terms and red-flag phrases with spaCy, per language.

A blank spaCy pipeline (English or Spanish) with the ``spacy-lookups-data`` lemma table turns
every token into a key (its lower-cased lemma, with English contraction pieces spelled out).
An unknown word, one that is not a real word of the language, that is one or two edits away
from a word of some pattern is read as that word, so "chest pian" or "seizre" still match; a
real word is never rewritten into another ("never" stays "never"). Triage phrases (the entries
of the ``emergency``, ``self_harm`` and ``urgent_symptom`` tiers) may have a few words in between
("my throat is really swelling"), and a phrase after a negation in the same clause ("no chest
pain") is marked ``negated``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List, Sequence

import spacy
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from spacy.language import Language
from spacy.lookups import Table, load_lookups
from spacy.matcher import Matcher
from spacy.tokens import Doc

from assistant.knowledge.base import EN, ES, KnowledgeBase
from assistant.knowledge.models import Entry
from assistant.triage.lemmas import lemmas_for
from assistant.triage.negation import (
    CLAUSE_BREAKS,
    NEGATION_CUES,
    NOT_NEGATING_NEXT,
    is_negated,
    is_past,
)
from assistant.triage.tiers import Tier, tier_of
from assistant.triage.vocabulary import known_words

# The label of a general triage phrase (no entity of its own): it raises the tier only.
TRIAGE_LABEL = "triage"
LANGUAGES = (EN, ES)
# Words allowed between two words of a triage phrase; knowledge terms must be contiguous.
# Spanish puts more small words in between ("dolor muy fuerte en el pecho").
TRIAGE_GAP = {EN: 3, ES: 4}

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
# Left out of triage phrases, so "i dont wanna be alive" matches "don't want to be alive"
# (the gap allowance lets these words, or others, stand in between).
_FUNCTION_WORDS: Dict[str, FrozenSet[str]] = {
    EN: frozenset(
        {"to", "be", "a", "an", "the", "my", "i", "me", "it", "of", "in", "on", "up", "that",
         "this"}
    ),
    ES: frozenset(
        {"el", "la", "los", "las", "un", "una", "de", "del", "a", "al", "mi", "me", "se", "le",
         "lo", "en", "que", "y", "su", "muy", "mucho"}
    ),
}  # fmt: skip


_NOT_AFTER_NEGATION = frozenset(
    {"have", "any", "get", "feel", "experience", "see", "notice", "show", "seem", "tener"}
)


@dataclass(frozen=True)
class TermMatch:
    """A knowledge term or red-flag phrase found in a text."""

    entity: str
    value: str
    entry_id: str
    start: int
    end: int
    text: str
    tiers: FrozenSet[Tier]
    negated: bool = False
    language: str = EN

    @property
    def emergency(self) -> bool:
        """A 911 or 988 phrase, not negated."""
        return not self.negated and bool(self.tiers & {Tier.EMERGENCY, Tier.SELF_HARM})


@dataclass(frozen=True)
class _Label:
    entity: str
    value: str
    entry_id: str
    tiers: FrozenSet[Tier]
    keys: FrozenSet[str] = frozenset()  # every word of its phrases


@lru_cache(maxsize=2)
def blank_pipeline(language: str) -> Language:
    """The shared blank tokenizer of a language (no vectors, no trained model)."""
    return spacy.blank(language)


def blank_english() -> Language:
    return blank_pipeline(EN)


@lru_cache(maxsize=1)
def _english_lemmas() -> Table:
    """spacy-lookups-data's English lemma table (keys are hashed; look up by string). The
    classifier's tokenizer needs all of it; Spanish keeps only what its phrases need
    (``assistant.triage.lemmas``)."""
    return load_lookups(EN, ["lemma_lookup"]).get_table("lemma_lookup")


def lemma_key(word: str) -> str:
    """English matching key of one token: its lower-cased lemma, contraction pieces spelled
    out."""
    lower = word.lower()
    if lower in _CONTRACTION_PIECES:
        return _CONTRACTION_PIECES[lower]
    return str(_english_lemmas().get(lower, lower)).lower()


def token_keys(doc: Doc) -> List[str]:
    """One English matching key per token of ``doc``."""
    return [lemma_key(token.text) for token in doc]


MAX_REMEMBERED_CORRECTIONS = 20_000


@lru_cache(maxsize=1)
def _all_known_words() -> FrozenSet[str]:
    return frozenset().union(*(known_words(language) for language in LANGUAGES))


def typo_limit(word: str) -> int:
    """How many edits a word of this length may be away from a pattern word."""
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


def entry_tiers(entry: Entry) -> FrozenSet[Tier]:
    """The triage tiers an entry's intents stand for (none for an ordinary entry)."""
    return frozenset(tier for tier in map(tier_of, entry.intents) if tier is not None)


def _label_for(entry: Entry) -> _Label:
    tiers = entry_tiers(entry)
    if entry.entity_pair is not None:
        entity, value = entry.entity_pair
    else:
        entity, value = TRIAGE_LABEL, entry.id
    return _Label(entity, value, entry.id, tiers)


class TermIndex:
    """All match patterns of one language built from one version of the knowledge."""

    def __init__(self, knowledge: KnowledgeBase, language: str = EN) -> None:
        self.language = language
        self._nlp = blank_pipeline(language)
        # The patterns are built here, not written by hand: spaCy's per-pattern schema check
        # (validate=True, its default) would take most of the build time.
        self._matcher = Matcher(self._nlp.vocab, validate=False)
        self._labels: Dict[str, _Label] = {}
        vocabulary: set[str] = set()
        # Inflected forms of pattern words and their keys ("vomiting" -> "vomit"), so a typo
        # of the form ("vomitting") is corrected too.
        surface: Dict[str, str] = {}
        function_words = _FUNCTION_WORDS[language]
        phrases_of = {
            entry.id: entry.synonyms if language == EN else (entry.es.synonyms if entry.es else [])
            for entry in knowledge.entries
        }
        self._spanish: Dict[str, str] = (
            lemmas_for(language, self._phrase_words(phrases_of.values())) if language == ES else {}
        )
        for entry in knowledge.entries:
            phrases = phrases_of[entry.id]
            if not phrases:
                continue
            label = _label_for(entry)
            patterns = []
            label_keys: set[str] = set()
            for phrase in phrases:
                doc = self._nlp.make_doc(phrase)
                all_keys = self.keys(doc)
                for token, key in zip(doc, all_keys, strict=True):
                    if token.lower_ != key and token.lower_.isalpha():
                        surface[token.lower_] = key
                keys = [k for k in all_keys if k.strip()]
                if label.tiers:
                    keys = [key for key in keys if key not in function_words] or keys
                if not keys:
                    continue
                label_keys.update(keys)
                gap = TRIAGE_GAP[language] if label.tiers else 0
                patterns.append(self._pattern(keys, gap, language))
            vocabulary.update(label_keys)
            self._labels[entry.id] = replace(label, keys=frozenset(label_keys))
            self._matcher.add(entry.id, patterns)
        self._vocabulary = frozenset(vocabulary)
        # A real word of either language is never rewritten: Spanish patterns must not pull
        # English words, nor English patterns Spanish ones.
        self._known = _all_known_words()
        self._corrections: Dict[str, str] = {}  # _correct's answers (the index is fixed)
        self._surface = surface
        self._candidates = sorted(
            word for word in self._vocabulary | set(surface) if typo_limit(word)
        )

    def _phrase_words(self, phrase_lists: Iterable[Sequence[str]]) -> FrozenSet[str]:
        return frozenset(
            token.lower_
            for phrases in phrase_lists
            for phrase in phrases
            for token in self._nlp.make_doc(phrase)
        )

    def keys(self, doc: Doc) -> List[str]:
        """One matching key per token: its lemma in this index's language."""
        if self.language == EN:
            return token_keys(doc)
        return [self._spanish.get(token.lower_, token.lower_) for token in doc]

    @staticmethod
    def _pattern(keys: Sequence[str], gap: int, language: str) -> List[Dict[str, object]]:
        """The words in order; up to ``gap`` other words between two of them, none of which
        ends a clause ("a blood test and a stool sample" is not blood in the stool)."""
        breaks = CLAUSE_BREAKS[language]
        pattern: List[Dict[str, object]] = []
        filler = {"OP": "?", "NORM": {"NOT_IN": sorted(breaks)}}
        # After a negation word of the phrase ("not breathing"), a gap may not hold the verb of
        # another clause: "not having any trouble breathing" is not "not breathing".
        after_negation = {"OP": "?", "NORM": {"NOT_IN": sorted(breaks | _NOT_AFTER_NEGATION)}}
        for position, key in enumerate(keys):
            if position:
                previous = keys[position - 1]
                negating = previous in NEGATION_CUES[language]
                pattern.extend(dict(after_negation if negating else filler) for _ in range(gap))
            pattern.append({"NORM": key})
        return pattern

    def _negated_inside(self, keys: Sequence[str], start: int, end: int, label: _Label) -> bool:
        """A negation word in a phrase's gap that the phrase itself does not have ("my heart
        is not racing"), unless it only hedges ("can't stop")."""
        cues = NEGATION_CUES[self.language]
        for position in range(start, end):
            key = keys[position]
            if key in cues and key not in label.keys:
                following = keys[position + 1] if position + 1 < len(keys) else ""
                if following not in NOT_NEGATING_NEXT[self.language]:
                    return True
        return False

    def _correct(self, key: str) -> str:
        """The pattern word an unknown, misspelt word most likely stands for (remembered:
        the edit-distance search was a tenth of the NLU time)."""
        corrected = self._corrections.get(key)
        if corrected is None:
            if len(self._corrections) >= MAX_REMEMBERED_CORRECTIONS:
                self._corrections.clear()
            corrected = self._corrections[key] = self._closest(key)
        return corrected

    def is_real_word(self, word: str) -> bool:
        return word in self._vocabulary or word in self._surface or word in self._known

    def _closest(self, key: str) -> str:
        limit = typo_limit(key)
        if not limit or not key.isalpha() or self.is_real_word(key):
            return key
        close = [
            (distance, word)
            for word, distance, _ in process.extract(
                key,
                self._candidates,
                scorer=DamerauLevenshtein.distance,
                score_cutoff=limit,
                limit=None,
            )
            if distance <= typo_limit(word)
        ]
        if not close:
            return key
        # Nearest first; among equals the longer word ("seizre" is "seizure", not "seize").
        best = min(close, key=lambda item: (item[0], -len(item[1]), item[1]))[1]
        return self._surface.get(best, best)

    def find(self, text: str) -> List[TermMatch]:
        """Every term in ``text``, longest first where matches overlap, with negation marked."""
        # Lower-case so "CANT" splits like "cant"; keep offsets valid for the original text.
        lowered = text.lower()
        doc = self._nlp.make_doc(lowered if len(lowered) == len(text) else text)
        keys = self.keys(doc)
        for token, key in zip(doc, keys, strict=True):
            token.norm_ = self._correct(key)
        spans = self._matcher(doc, as_spans=True)
        chosen: List[TermMatch] = []
        # Longest first where matches of the same kind overlap; a 911 phrase does not hide an
        # overlapping 988 phrase ("she hopes she doesn't wake up" is both).
        taken: Dict[FrozenSet[Tier], set[int]] = {}
        for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
            label = self._labels[span.label_]
            kind = taken.setdefault(label.tiers, set())
            if kind.intersection(range(span.start, span.end)):
                continue
            kind.update(range(span.start, span.end))
            chosen.append(
                TermMatch(
                    entity=label.entity,
                    value=label.value,
                    entry_id=label.entry_id,
                    start=span.start_char,
                    end=span.end_char,
                    text=text[span.start_char : span.end_char],
                    tiers=label.tiers,
                    negated=is_negated(keys, span.start, self.language)
                    or self._negated_inside(keys, span.start, span.end, label)
                    or is_past(keys, span.end, self.language),
                    language=self.language,
                )
            )
        return sorted(chosen, key=lambda match: match.start)


class BilingualTermIndex:
    """The English and the Spanish index of one version of the knowledge."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self.by_language = {language: TermIndex(knowledge, language) for language in LANGUAGES}

    def find(self, text: str) -> List[TermMatch]:
        found: List[TermMatch] = []
        for index in self.by_language.values():
            found.extend(index.find(text))
        return sorted(found, key=lambda match: (match.start, match.language))
