"""Rasa graph component around ``LinearIntentModel`` (an intent classifier)."""

from __future__ import annotations

import hashlib
import inspect
import logging
from typing import Any, Dict, List, Optional, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.nlu import linear_model
from assistant.nlu.linear_model import LinearIntentModel

logger = logging.getLogger(__name__)


def lemma_text(message: Message) -> str:
    """The message's tokens as space-joined lemmas (set by the tokenizer before us)."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return " ".join((token.lemma or token.text).lower() for token in tokens)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """TF-IDF + logistic regression intent classifier; trains in seconds."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # Rasa's training cache fingerprints this class's source only; the features live in
        # linear_model.py, so a change there must retrain rather than restore from the cache.
        source = inspect.getsource(linear_model)
        return hashlib.sha256(source.encode("utf-8")).hexdigest()

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # min_char_coverage: below this share of known character trigrams the message is
        # treated as unreadable (confidence 0), so the fallback answers instead of a guess.
        return {"C": 10.0, "max_iter": 3000, "ranking_length": 10, "min_char_coverage": 0.5}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[LinearIntentModel] = None,
    ) -> None:
        self.component_config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and m.get(TEXT)]
        if not examples:
            logger.warning("No intent examples; %s is left untrained", type(self).__name__)
            return self._resource
        self.model = LinearIntentModel.fit(
            texts=[m.get(TEXT) for m in examples],
            lemmas=[lemma_text(m) for m in examples],
            labels=[m.get(INTENT) for m in examples],
            c=float(self.component_config["C"]),
            max_iter=int(self.component_config["max_iter"]),
        )
        with self._model_storage.write_to(self._resource) as directory:
            self.model.save(directory)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = LinearIntentModel.load(directory)
        except ValueError:
            logger.warning("No trained %s found; it predicts nothing", cls.__name__)
            model = None
        return cls(config, model_storage, resource, model)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None or not messages:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        probabilities = self.model.predict_proba(texts, [lemma_text(m) for m in messages])
        limit = int(self.component_config["ranking_length"])
        min_coverage = float(self.component_config["min_char_coverage"])
        for message, row, text in zip(messages, probabilities, texts, strict=True):
            if self.model.char_coverage(text) < min_coverage:
                row = row * 0.0
            scored = sorted(
                zip(self.model.classes, (float(p) for p in row), strict=True),
                key=lambda pair: -pair[1],
            )
            ranking = [
                {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
                for name, confidence in scored
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(
                INTENT_RANKING_KEY, ranking[:limit] if limit > 0 else ranking, add_to_output=True
            )
        return messages
