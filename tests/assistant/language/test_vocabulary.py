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
