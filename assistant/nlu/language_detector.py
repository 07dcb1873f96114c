"""Rasa graph component: the language of each message, and whether it asks for one.

Adds to the parse data (``assistant.dialogue_names``): ``language`` ("en"/"es" when detected
with confidence, else None), ``language_confidence`` and ``language_guess`` (the detector's top
guess), and ``language_request`` ("en"/"es" when the text asks for a language: "en español",
"English please"). The actions decide the conversation's language from them
(``assistant.language.choice``). Button payloads (``/intent``) carry no language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from assistant.dialogue_names import (
    PARSE_LANGUAGE,
    PARSE_LANGUAGE_CONFIDENCE,
    PARSE_LANGUAGE_GUESS,
    PARSE_LANGUAGE_REQUEST,
)
from assistant.knowledge.store import KnowledgeStore, knowledge_dir_from_env
from assistant.language.detect import detect, warm_up
from assistant.language.requests import requested_language
from assistant.language.vocabulary import vocabulary_of
from assistant.nlu.term_matcher import KNOWLEDGE_DIR_KEY


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Sets the language keys of the parse data (see the module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # None: $KNOWLEDGE_DIR, else data/knowledge under the working directory (the words
        # the assistant knows in each language come from it: assistant.language.vocabulary).
        return {KNOWLEDGE_DIR_KEY: None}

    def __init__(self, config: Dict[Text, Any], store: KnowledgeStore) -> None:
        self.component_config = config
        self._store = store

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        directory = config.get(KNOWLEDGE_DIR_KEY)
        detector = cls(
            config, KnowledgeStore(Path(directory) if directory else knowledge_dir_from_env())
        )
        warm_up()  # load the language models with the Rasa model, not on the first message
        vocabulary_of(detector._store.current())
        return detector

    def process(self, messages: List[Message]) -> List[Message]:
        vocabulary = vocabulary_of(self._store.current())
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or text.lstrip().startswith(INTENT_MESSAGE_PREFIX):
                continue
            detection = detect(text, vocabulary)
            message.set(PARSE_LANGUAGE, detection.language, add_to_output=True)
            message.set(PARSE_LANGUAGE_CONFIDENCE, detection.confidence, add_to_output=True)
            message.set(PARSE_LANGUAGE_GUESS, detection.guess, add_to_output=True)
            message.set(PARSE_LANGUAGE_REQUEST, requested_language(text), add_to_output=True)
        return messages
