"""Rasa graph component: rewrites each message's ``text`` with :func:`normalise` before tokenizing.

Place it first in the NLU pipeline. It is registered as a ``MESSAGE_TOKENIZER`` so the default
recipe gives it a ``process_training_data`` node in training and a ``process`` node at inference,
in pipeline order, ahead of the real tokenizer. It does not subclass Rasa's ``Tokenizer``, so
the recipe validator's "only one tokenizer" check does not count it.

Only the NLU copy of the text changes: Rasa stores the channel's text (as typed) in the
tracker's ``UserUttered`` event, while ``parse_data["text"]`` is this normalised text.
Messages starting with ``/`` (button payloads such as ``/intent{"slot": "value"}``) are left
alone, and so are training examples with entity annotations, whose offsets refer to the text as
written.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.nlu import normalise as normalise_module
from assistant.nlu.normalise import normalise

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class TextNormalizer(GraphComponent):
    """Sets each message's ``text`` to its normalised form (see ``assistant.nlu.normalise``)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.component_config = config

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormalizer:
        return cls(config)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # Rasa's training cache fingerprints this class's source only; the rules live in
        # normalise.py, so a change there must invalidate the cached training data too.
        source = inspect.getsource(normalise_module)
        return hashlib.sha256(source.encode("utf-8")).hexdigest()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalise(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalise(message)
        return training_data

    @staticmethod
    def _normalise(message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text:
            return
        if text.lstrip().startswith(INTENT_MESSAGE_PREFIX):
            return
        normalised = normalise(text)
        if normalised == text:
            return
        if message.get(ENTITIES):
            logger.debug("Not normalising an example with entity offsets: %r", text)
            return
        message.set(TEXT, normalised)
