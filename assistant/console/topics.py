"""Unanswered questions grouped into topics, for the dashboard and the Topics page.

The indexer keeps every patient message the bot did not understand in ``console_unanswered``
(normalised, masked). Counting exact strings splits "where do I park", "parking?" and "is
there valet" into three rows; this module groups them.

How two questions are compared: each one becomes three parts, compared by cosine similarity
and mixed by ``GroupingSettings`` weights:

- its content words (English stop words, Spanish function words and SMS shorthand dropped,
  English lemmas from spacy-lookups-data's table, read directly from the package so the
  console does not import spaCy; a word that is no English word is read as a word of the other
  questions one or two edits away), TF-IDF weighted over the questions being grouped;
- the character 3-5-grams of those words (TF-IDF, ``char_wb``): typos and word forms
  ("parkng", "parking?", "park") still share most of their pieces;
- the topics of the grouping vocabulary (``data/console/unanswered_topics.yml``) its words
  name. Spelling cannot tell that "valet" and "park" are about the same thing, so a small
  list of related words per subject does. It is a reviewable data file rather than the
  knowledge folder's ``synonyms``: those describe what the bot already answers, and an
  unanswered question is by definition about something it does not.

Grouping: average-linkage agglomerative clustering over the distinct questions, cut where
the average similarity between two groups falls below ``threshold``. Average linkage keeps a
question naming two subjects ("parking and food?") from joining two groups into one, which a
single-link or star grouping would do. Everything is deterministic: the questions are put in a
fixed order first (most asked, then text), groups are listed largest first, then by label.

Only the most recent ``MAX_QUESTIONS`` questions of a range are grouped: 5,000 distinct
questions take 3-4.5 s on a 2-CPU machine (``python -m bench.topics_timing``; repeated
questions are grouped once), and the square distance matrix is the largest thing held
(about 100 MB at 5,000).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import sqlalchemy as sa
import yaml
from pydantic import BaseModel, Extra, ValidationError, validator
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import csr_matrix, hstack
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize
from sqlalchemy.engine import Connection

from assistant.console import schema
from assistant.language.folding import fold_accents
from assistant.nlu.normalise import normalise

VOCABULARY_FILE = Path(__file__).resolve().parents[2] / "data" / "console" / "unanswered_topics.yml"
MAX_QUESTIONS = 5000  # the most recent unanswered questions of a range that are grouped
EXAMPLES = 3

_TOPIC_NAME = re.compile(r"^[a-z][a-z_]{0,39}$")
_WORD = re.compile(r"^[^\W\d_]+(?:'[^\W\d_]+)*$")
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_HYPHEN_IN_WORD = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")


class VocabularyError(ValueError):
    """The grouping vocabulary file is missing or wrong (the message names file and entry)."""


class _Topic(BaseModel, extra=Extra.forbid):
    words: List[str]

    @validator("words")
    def _one_lower_case_word_each(cls, words: List[str]) -> List[str]:
        if not words:
            raise ValueError("lists no words")
        for word in words:
            if not isinstance(word, str) or word != word.lower() or not _WORD.match(word):
                raise ValueError(f"{word!r} is not one lower-case word")
        return words


class _VocabularyFile(BaseModel, extra=Extra.forbid):
    topics: Dict[str, _Topic]


@dataclass(frozen=True)
class TopicVocabulary:
    """Related words for grouping: each (folded) word belongs to one topic."""

    topic_of: Mapping[str, str]
    topics: Tuple[str, ...]

    @classmethod
    def load(cls, path: Path = VOCABULARY_FILE) -> TopicVocabulary:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise VocabularyError(f"{path}: cannot be read ({type(error).__name__})") from error
        try:
            parsed = _VocabularyFile.parse_obj(raw)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            raise VocabularyError(f"{path}: {problems}") from error
        topic_of: Dict[str, str] = {}
        for topic, entry in parsed.topics.items():
            if not _TOPIC_NAME.match(topic):
                raise VocabularyError(f"{path}: topics.{topic}: not a lower-case topic name")
            for word in entry.words:
                key = fold_accents(word)
                if key in topic_of:
                    raise VocabularyError(
                        f"{path}: topics.{topic}: {word!r} is already a word of "
                        f"topic {topic_of[key]!r}"
                    )
                topic_of[key] = topic
        return cls(topic_of=topic_of, topics=tuple(parsed.topics))


@dataclass(frozen=True)
class UnansweredQuestion:
    event_id: int
    conversation_id: int
    at: float
    question: str  # normalised and masked, as the indexer stored it


@dataclass(frozen=True)
class TopicGroup:
    label: str  # the group's most asked question
    label_event_id: int  # the newest message asking it
    count: int
    topics: Tuple[str, ...]  # vocabulary topics named by most of its questions
    examples: Tuple[str, ...]  # up to EXAMPLES distinct questions, most asked first
    event_ids: Tuple[int, ...]  # newest first
    conversation_ids: Tuple[int, ...]  # distinct, newest first


@dataclass(frozen=True)
class GroupingSettings:
    # The average cosine similarity two groups need to be joined. On the labelled sample
    # (tests/assistant/console/data/unanswered_topics.yml) the score is flat from 0.15 to 0.35
    # and falls from 0.4; the top of that range is taken because a reviewer acts on a whole
    # group, so a group mixing two subjects costs more than a subject split in two.
    threshold: float = 0.3
    word_weight: float = 0.3
    char_weight: float = 0.3
    topic_weight: float = 0.4


# Words that say nothing about a subject: Spanish function words, SMS shorthand and the
# small talk around a question. English stop words come from scikit-learn.
_FILLER_WORDS: FrozenSet[str] = frozenset(
    """
    a al como con cual cuando de del donde el en es esta estan este hay la las le lo los me
    mi mis no para pero por puedo puede que quien se si su sus te tengo tienen un una y yo
    hola gracias favor necesito quiero saber pregunta usted ustedes hay alguien algun alguna
    u ur r pls plz thx ty wat wut whr wher whats wheres hw k ok okay lol im ive id dont cant
    wont doesnt isnt theres hi hey hello thanks thank please question know need want ask
    tell like just got get does did really anyone somebody someone way today tomorrow
    """.split()
)


@lru_cache(maxsize=1)
def _english_lemmas() -> Mapping[str, str]:
    """spacy-lookups-data's English lemma table (read from the package's data file)."""
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        table: Dict[str, str] = json.load(handle)
    return table


@lru_cache(maxsize=1)
def _known_english_words() -> FrozenSet[str]:
    lemmas = _english_lemmas()
    return frozenset(lemmas) | frozenset(lemmas.values())


def _lemma(word: str) -> str:
    return fold_accents(_english_lemmas().get(word, word))


def _typo_limit(word: str) -> int:
    """How many edits a misspelt word of this length may be away from the word meant."""
    return 1 if len(word) <= 7 else 2


def _as_is(tokens: List[str]) -> List[str]:
    return tokens


@dataclass
class _Reading:
    """One distinct question as the grouping sees it."""

    words: List[str] = field(default_factory=list)  # content words' lemmas
    spelled: List[str] = field(default_factory=list)  # content words as written (folded)
    topics: List[str] = field(default_factory=list)


class TopicGrouper:
    """Groups unanswered questions by topic (see the module docstring)."""

    def __init__(
        self, vocabulary: TopicVocabulary, settings: GroupingSettings = GroupingSettings()
    ) -> None:
        self.vocabulary = vocabulary
        self.settings = settings
        self._words = sorted(vocabulary.topic_of)
        self._stop = (frozenset(ENGLISH_STOP_WORDS) | _FILLER_WORDS) - frozenset(self._words)

    def topic_of(self, word: str, typos: Dict[str, Optional[str]]) -> Optional[str]:
        """The vocabulary topic a (folded) word names: as written, its lemma, without a
        plural ending, or (a word that is no English word) one or two edits away."""
        topic_of = self.vocabulary.topic_of
        for form in (word, _lemma(word), word[:-1] if word.endswith("s") else ""):
            if form in topic_of:
                return topic_of[form]
        if word.endswith("es") and word[:-2] in topic_of:
            return topic_of[word[:-2]]
        if len(word) < 5 or word in _known_english_words():
            return None
        if word not in typos:
            found = process.extractOne(
                word,
                self._words,
                scorer=DamerauLevenshtein.distance,
                score_cutoff=_typo_limit(word),
            )
            typos[word] = topic_of[found[0]] if found and len(found[0]) >= 5 else None
        return typos[word]

    def read(self, question: str, typos: Dict[str, Optional[str]]) -> _Reading:
        text = _HYPHEN_IN_WORD.sub("", fold_accents(normalise(question)))
        reading = _Reading()
        for token in _TOKEN.findall(text):
            word = token.replace("'", "")
            topic = self.topic_of(word, typos)
            if topic is None and (word in self._stop or token in self._stop or len(word) < 2):
                continue
            reading.words.append(_lemma(word))
            reading.spelled.append(word)
            if topic is not None and topic not in reading.topics:
                reading.topics.append(topic)
        return reading

    def respell(self, readings: Sequence[_Reading]) -> None:
        """Read a word that is no English word as a word of the other questions that is one
        or two edits away ("pharmcy" as "pharmacy"), so the word part sees typos too."""
        known = _known_english_words()
        real = sorted({w for r in readings for w in r.words if w in known})
        nearest: Dict[str, str] = {}
        for reading in readings:
            for i, word in enumerate(reading.words):
                if len(word) < 5 or word in known or word in self.vocabulary.topic_of:
                    continue
                if word not in nearest:
                    found = process.extractOne(
                        word,
                        real,
                        scorer=DamerauLevenshtein.distance,
                        score_cutoff=_typo_limit(word),
                    )
                    nearest[word] = found[0] if found else word
                reading.words[i] = nearest[word]

    def features(self, readings: Sequence[_Reading]) -> csr_matrix:
        """One row per reading, unit length: the three weighted parts side by side."""
        s = self.settings
        parts = []
        for weight, matrix in (
            (s.word_weight, self._tfidf(_as_is, [r.words for r in readings])),
            (s.char_weight, self._tfidf("char_wb", [" ".join(r.spelled) for r in readings])),
            (s.topic_weight, self._topic_matrix(readings)),
        ):
            parts.append(normalize(matrix) * np.sqrt(weight))
        return csr_matrix(normalize(hstack(parts).tocsr()))

    @staticmethod
    def _tfidf(analyzer: object, documents: Sequence[object]) -> csr_matrix:
        if not any(documents):
            return csr_matrix((len(documents), 1))
        ngrams = (3, 5) if analyzer == "char_wb" else (1, 1)
        vectorizer = TfidfVectorizer(
            analyzer=analyzer,
            ngram_range=ngrams,
            sublinear_tf=True,
            lowercase=False,
        )
        return csr_matrix(vectorizer.fit_transform(documents))

    def _topic_matrix(self, readings: Sequence[_Reading]) -> csr_matrix:
        column = {topic: i for i, topic in enumerate(self.vocabulary.topics)}
        rows, cols = [], []
        for row, reading in enumerate(readings):
            for topic in reading.topics:
                rows.append(row)
                cols.append(column[topic])
        values = np.ones(len(rows))
        return csr_matrix((values, (rows, cols)), shape=(len(readings), max(len(column), 1)))

    def clusters(
        self, readings: Sequence[_Reading], weights: Sequence[int]
    ) -> Tuple[List[int], Dict[int, int]]:
        """A cluster number for each reading (arbitrary but deterministic numbers), and each
        cluster's centre: the reading nearest to the others, weighted by how often each was
        asked (the first in order on a tie)."""
        if len(readings) < 2:
            return [1] * len(readings), {1: 0} if readings else {}
        matrix = self.features(readings).astype(np.float32)
        # Distances in place: the square matrix is the largest thing held (n² floats).
        distance = (matrix @ matrix.T).toarray()
        np.subtract(1.0, distance, out=distance)
        np.clip(distance, 0.0, 2.0, out=distance)
        np.fill_diagonal(distance, 0.0)
        condensed = squareform(distance, checks=False).astype(np.float64)
        tree = linkage(condensed, method="average")
        del condensed
        labels = fcluster(tree, t=1.0 - self.settings.threshold, criterion="distance")
        weight = np.asarray(weights, dtype=np.float32)
        centres: Dict[int, int] = {}
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            spread = distance[np.ix_(members, members)] @ weight[members]
            centres[int(label)] = int(members[int(np.argmin(spread))])
        return [int(label) for label in labels], centres

    def group(self, questions: Iterable[UnansweredQuestion]) -> List[TopicGroup]:
        """The questions' topic groups, largest first (ties: by label)."""
        by_text: Dict[str, List[UnansweredQuestion]] = defaultdict(list)
        for question in questions:
            by_text[question.question].append(question)
        texts = sorted(by_text, key=lambda text: (-len(by_text[text]), text))
        typos: Dict[str, Optional[str]] = {}
        readings = {text: self.read(text, typos) for text in texts}
        self.respell(list(readings.values()))
        labels, centres = self.clusters(
            [readings[t] for t in texts], [len(by_text[t]) for t in texts]
        )
        members: Dict[int, List[str]] = defaultdict(list)
        for text, cluster in zip(texts, labels, strict=True):
            members[cluster].append(text)
        groups = [
            describe(
                [q for text in group for q in by_text[text]],
                texts[centres[cluster]],
                {text: readings[text].topics for text in group},
            )
            for cluster, group in members.items()
        ]
        return sorted(groups, key=lambda g: (-g.count, g.label))


def describe(
    questions: Sequence[UnansweredQuestion],
    centre: str,
    topics: Optional[Mapping[str, Sequence[str]]] = None,
) -> TopicGroup:
    """A group's summary. Its label is its most asked question, or on a tie ``centre`` (the
    most central one) when that is among the most asked; examples follow in the same order."""
    asked = Counter(q.question for q in questions)
    ranked = sorted(asked, key=lambda text: (-asked[text], text != centre, text))
    named: Counter[str] = Counter()
    for text in ranked:
        named.update({topic: asked[text] for topic in (topics or {}).get(text, ())})
    newest = sorted(questions, key=lambda q: (-q.at, -q.event_id))
    return TopicGroup(
        label=ranked[0],
        label_event_id=next(q.event_id for q in newest if q.question == ranked[0]),
        count=len(questions),
        topics=tuple(t for t, n in named.most_common() if 2 * n >= len(questions)),
        examples=tuple(ranked[:EXAMPLES]),
        event_ids=tuple(q.event_id for q in newest),
        conversation_ids=tuple(dict.fromkeys(q.conversation_id for q in newest)),
    )


def load_unanswered(
    connection: Connection, start: float, end: float, limit: int = MAX_QUESTIONS
) -> List[UnansweredQuestion]:
    """The most recent ``limit`` unanswered questions asked in [start, end)."""
    u = schema.unanswered.c
    rows = connection.execute(
        sa.select(u.event_id, u.conversation_id, u.at, u.question)
        .where(u.at >= start, u.at < end)
        .order_by(u.at.desc(), u.event_id.desc())
        .limit(limit)
    )
    return [
        UnansweredQuestion(int(r.event_id), int(r.conversation_id), float(r.at), str(r.question))
        for r in rows
    ]


def count_unanswered(connection: Connection, start: float, end: float) -> int:
    u = schema.unanswered.c
    query = sa.select(sa.func.count()).where(u.at >= start, u.at < end)
    return int(connection.execute(query).scalar() or 0)


def unanswered_by_ids(connection: Connection, event_ids: Sequence[int]) -> List[UnansweredQuestion]:
    """The unanswered questions with these event ids (ids that are none are left out)."""
    u = schema.unanswered.c
    found: List[UnansweredQuestion] = []
    for start in range(0, len(event_ids), 500):
        chunk = list(event_ids[start : start + 500])
        rows = connection.execute(
            sa.select(u.event_id, u.conversation_id, u.at, u.question).where(u.event_id.in_(chunk))
        )
        found.extend(
            UnansweredQuestion(
                int(r.event_id), int(r.conversation_id), float(r.at), str(r.question)
            )
            for r in rows
        )
    return found
