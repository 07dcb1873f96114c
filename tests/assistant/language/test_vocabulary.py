"""The words the assistant knows per language: function words and the knowledge's words."""

from __future__ import annotations

from assistant.knowledge.base import KnowledgeBase
from assistant.language.vocabulary import Vocabulary, vocabulary_of, words_of


def test_words_are_folded_and_lower_cased() -> None:
    assert words_of("¿Qué INFORMACIÓN hay? 24h x") == {"que", "informacion", "hay"}


def test_function_words_and_knowledge_words_are_known(vocabulary: Vocabulary) -> None:
    assert vocabulary.knows("es", {"de"}) and vocabulary.knows("en", {"the"})
    assert vocabulary.knows("es", {"inmunoterapia"}) and vocabulary.knows("en", {"infusion"})
    assert not vocabulary.knows("es", {"hello"})
    assert not vocabulary.knows("en", {"zxqv"}) and not vocabulary.knows("es", {"zxqv"})


def test_each_language_takes_words_from_its_own_texts(vocabulary: Vocabulary) -> None:
    # "fiebre" and "escalofrios" appear only in Spanish texts, "chills" only in English ones.
    assert vocabulary.knows("es", {"fiebre"}) and not vocabulary.knows("en", {"fiebre"})
    assert vocabulary.knows("es", {"escalofrios"})
    assert vocabulary.knows("en", {"chills"}) and not vocabulary.knows("es", {"chills"})


def test_the_vocabulary_is_built_once_per_loaded_knowledge(knowledge: KnowledgeBase) -> None:
    assert vocabulary_of(knowledge) is vocabulary_of(knowledge)


def test_words_agree_with_a_language_only_with_more_words_of_its_own() -> None:
    small = Vocabulary(
        {
            "en": frozenset({"me", "the", "human", "shot"}),
            "es": frozenset({"me", "de", "un", "es", "shot"}),
        }
    )
    assert small.agrees("en", {"transfer", "me", "to", "human"})
    assert not small.agrees("es", {"transfer", "me", "to", "human"})  # "me" is both languages'
    assert not small.agrees("en", {"me", "shot"})  # only shared words: neither
    assert not small.agrees("es", {"me", "shot"})
    assert not small.agrees("en", {"es", "un", "the", "human"})  # two each: a tie is undecided
    assert not small.agrees("es", {"es", "un", "the", "human"})
    assert small.agrees("es", {"es", "un", "de", "the"})


def test_a_function_word_in_the_other_languages_texts_stays_its_own(
    vocabulary: Vocabulary,
) -> None:
    # The Spanish answers name "The Angeles Clinic and Research Institute".
    assert vocabulary.knows("en", {"the"}) and not vocabulary.knows("es", {"the"})
    assert vocabulary.knows("en", {"and"}) and not vocabulary.knows("es", {"and"})
    assert vocabulary.knows("es", {"de"}) and not vocabulary.knows("en", {"de"})
