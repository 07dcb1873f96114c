"""Rasa graph component: knowledge terms become entities, and triage sets the intent's tier.

Place it last in the NLU pipeline, after the intent classifier and ``FallbackClassifier``. The
red-flag matcher and the classifier's own tier intents are combined (``assistant.triage``); a
raised tier replaces whatever was predicted, so a 911 or 988 message can never be read as
"no", "stop", "thanks" or "bye". The triage result travels in the parse data under ``triage``.

An ordinary "no"/"stop" intent on a message that says more than a short reply is marked as a
statement (``statement: true`` in the parse data): outside a form, the dialogue does not treat
it as a command.
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

from assistant.dialogue_names import NLU_FALLBACK, PARSE_STATEMENT, PARSE_TRIAGE
from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.store import KnowledgeStore, knowledge_dir_from_env
from assistant.nlu.terms import TRIAGE_LABEL, BilingualTermIndex, TermMatch
from assistant.triage.decide import TriageResult, TriageSettings, decide
from assistant.triage.statements import is_statement
from assistant.triage.tiers import TIER_INTENTS, Tier

logger = logging.getLogger(__name__)

KNOWLEDGE_DIR_KEY = "knowledge_dir"
FLOORS_KEY = "classifier_floors"
NEGATED_FLOOR_KEY = "negated_floor"
TRIAGE = PARSE_TRIAGE
STATEMENT = PARSE_STATEMENT
FALLBACK_THRESHOLD_KEY = "fallback_threshold"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class KnowledgeTermMatcher(GraphComponent, EntityExtractorMixin):
    """Adds knowledge-term entities and overrides the intent on an emergency phrase."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # None: $KNOWLEDGE_DIR, else data/knowledge under the working directory.
        return {
            KNOWLEDGE_DIR_KEY: None,
            FLOORS_KEY: {},  # per tier, overriding assistant.triage.decide's defaults
            NEGATED_FLOOR_KEY: None,
            # The FallbackClassifier's threshold: a demoted tier intent's replacement needs it.
            FALLBACK_THRESHOLD_KEY: 0.3,
        }

    def __init__(self, config: Dict[Text, Any], store: KnowledgeStore) -> None:
        self.component_config = config
        self._store = store
        self._index_for: Optional[KnowledgeBase] = None
        self._index: Optional[BilingualTermIndex] = None
        defaults = TriageSettings()
        floors = dict(defaults.classifier_floors)
        floors.update({Tier(k): float(v) for k, v in (config.get(FLOORS_KEY) or {}).items()})
        self._threshold = float(config.get(FALLBACK_THRESHOLD_KEY) or 0.3)
        negated_floor = config.get(NEGATED_FLOOR_KEY)
        self._settings = TriageSettings(
            classifier_floors=floors,
            negated_floor=defaults.negated_floor if negated_floor is None else negated_floor,
        )

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
        matcher = cls(config, KnowledgeStore(path))
        # Build the indexes (and read the word lists) now, while the model loads, not on the
        # first patient's message.
        matcher._current_index()
        return matcher

    def _current_index(self) -> BilingualTermIndex:
        knowledge = self._store.current()
        if self._index is None or knowledge is not self._index_for:
            self._index = BilingualTermIndex(knowledge)
            self._index_for = knowledge
        return self._index

    def process(self, messages: List[Message]) -> List[Message]:
        index = self._current_index()
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            matches = index.find(text)
            found = self._entities(matches)
            if found:
                entities = message.get(ENTITIES, []) + found
                message.set(ENTITIES, self.add_extractor_name(entities), add_to_output=True)
            result = decide(text, matches, message.get(INTENT_RANKING_KEY) or [], self._settings)
            message.set(TRIAGE, result.as_dict(), add_to_output=True)
            if result.intent is not None:
                self._force_intent(message, result)
                continue
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if intent in TIER_INTENTS:
                intent = self._demote(message)
            if is_statement(text, intent):
                message.set(STATEMENT, True, add_to_output=True)
        return messages

    def _demote(self, message: Message) -> str:
        """A tier intent the triage did not raise (too unsure, or its phrases negated) gives
        way to the best ordinary intent, or to the fallback below its threshold."""
        ordinary = next(
            (
                item
                for item in message.get(INTENT_RANKING_KEY) or []
                if item.get(INTENT_NAME_KEY) not in TIER_INTENTS
                and item.get(INTENT_NAME_KEY) != NLU_FALLBACK
            ),
            None,
        )
        if ordinary and float(ordinary.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= self._threshold:
            chosen = dict(ordinary)
        else:
            chosen = {INTENT_NAME_KEY: NLU_FALLBACK, PREDICTED_CONFIDENCE_KEY: 1.0}
        message.set(INTENT, chosen, add_to_output=True)
        return str(chosen[INTENT_NAME_KEY])

    @staticmethod
    def _is_entity(match: TermMatch) -> bool:
        """A knowledge term or a named red flag, not negated (general 911/988 phrases only
        raise the tier)."""
        if match.negated:
            return False
        return match.entity != TRIAGE_LABEL

    def _entities(self, matches: List[TermMatch]) -> List[Dict[Text, Any]]:
        """One entity per term and place: the English and the Spanish index may both find a
        term ("fatigue" is a typo away from "fatiga")."""
        seen = set()
        entities = []
        for match in matches:
            key = (match.entity, match.value, match.start, match.end)
            if self._is_entity(match) and key not in seen:
                seen.add(key)
                entities.append(self._as_entity(match))
        return entities

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
    def _force_intent(message: Message, result: TriageResult) -> None:
        intent = result.intent
        previous = message.get(INTENT) or {}
        if previous.get(INTENT_NAME_KEY) == intent:
            return
        forced = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [
            item
            for item in message.get(INTENT_RANKING_KEY) or []
            if item.get(INTENT_NAME_KEY) != intent
        ]
        message.set(INTENT, forced, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [forced, *ranking], add_to_output=True)
        logger.debug("Triage tier raised; intent set to %s", intent)
