"""Rasa graph component: the language of each message, and whether it asks for one.

Adds to the parse data (``assistant.dialogue_names``): ``language`` ("en"/"es" when detected
with confidence, else None), ``language_confidence`` and ``language_guess`` (the detector's top
guess), and ``language_request`` ("en"/"es" when the text asks for a language: "en español",
"English please"). The actions decide the conversation's language from them
(``assistant.language.choice``). Button payloads (``/intent``) carry no language.
"""

from __future__ import annotations

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
from assistant.language.detect import detect, warm_up
from assistant.language.requests import requested_language


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Sets the language keys of the parse data (see the module docstring)."""

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
    ) -> LanguageDetector:
        warm_up()  # load the language models with the Rasa model, not on the first message
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or text.lstrip().startswith(INTENT_MESSAGE_PREFIX):
                continue
            detection = detect(text)
            message.set(PARSE_LANGUAGE, detection.language, add_to_output=True)
            message.set(PARSE_LANGUAGE_CONFIDENCE, detection.confidence, add_to_output=True)
            message.set(PARSE_LANGUAGE_GUESS, detection.guess, add_to_output=True)
            message.set(PARSE_LANGUAGE_REQUEST, requested_language(text), add_to_output=True)
        return messages
