"""Rasa graph component: knowledge terms become entities, emergency phrases force ``emergency``.

Place it last in the NLU pipeline, after the intent classifier and ``FallbackClassifier``, so a
deterministic emergency match overrides both a wrong and a low-confidence prediction.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.store import KnowledgeStore, knowledge_dir_from_env
from assistant.nlu.terms import EMERGENCY_INTENT, TermIndex, TermMatch

logger = logging.getLogger(__name__)

KNOWLEDGE_DIR_KEY = "knowledge_dir"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class KnowledgeTermMatcher(GraphComponent, EntityExtractorMixin):
    """Adds knowledge-term entities and overrides the intent on an emergency phrase."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # None: $KNOWLEDGE_DIR, else data/knowledge under the working directory.
        return {KNOWLEDGE_DIR_KEY: None}

    def __init__(self, config: Dict[Text, Any], store: KnowledgeStore) -> None:
        self.component_config = config
        self._store = store
        self._index_for: Optional[KnowledgeBase] = None
        self._index: Optional[TermIndex] = None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeTermMatcher:
        directory = config.get(KNOWLEDGE_DIR_KEY)
        path = Path(directory) if directory else knowledge_dir_from_env()
        return cls(config, KnowledgeStore(path))

    def _current_index(self) -> TermIndex:
        knowledge = self._store.current()
        if self._index is None or knowledge is not self._index_for:
            self._index = TermIndex(knowledge)
            self._index_for = knowledge
        return self._index

    def process(self, messages: List[Message]) -> List[Message]:
        index = self._current_index()
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            matches = index.find(text)
            if not matches:
                continue
            entities = message.get(ENTITIES, []) + [self._as_entity(m) for m in matches]
            message.set(ENTITIES, self.add_extractor_name(entities), add_to_output=True)
            if any(match.emergency for match in matches):
                self._force_emergency(message)
        return messages

    @staticmethod
    def _as_entity(match: TermMatch) -> Dict[Text, Any]:
        return {
            ENTITY_ATTRIBUTE_TYPE: match.entity,
            ENTITY_ATTRIBUTE_VALUE: match.value,
            ENTITY_ATTRIBUTE_START: match.start,
            ENTITY_ATTRIBUTE_END: match.end,
            ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
        }

    @staticmethod
    def _force_emergency(message: Message) -> None:
        previous = message.get(INTENT) or {}
        if previous.get(INTENT_NAME_KEY) == EMERGENCY_INTENT:
            return
        forced = {INTENT_NAME_KEY: EMERGENCY_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [
            item
            for item in message.get(INTENT_RANKING_KEY) or []
            if item.get(INTENT_NAME_KEY) != EMERGENCY_INTENT
        ]
        message.set(INTENT, forced, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
        logger.debug("Emergency phrase matched; intent forced to %s", EMERGENCY_INTENT)
