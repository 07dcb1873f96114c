"""Rasa tokenizer over spaCy's blank English tokenizer, with lemmas from spacy-lookups-data.

No pretrained spaCy model is needed. The lemmas let the count-vector featurizers treat
"rashes"/"rash" and "swelling"/"swell" alike.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from assistant.nlu.terms import blank_english, lemma_key


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class LemmaTokenizer(Tokenizer):
    """Splits text with spaCy's English rules and sets each token's lookup lemma."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy", "spacy_lookups_data"]

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        if not text:
            return []
        tokens = [
            Token(token.text, token.idx, lemma=lemma_key(token.text))
            for token in blank_english().make_doc(text)
            if token.text.strip()
        ]
        return self._apply_token_pattern(tokens)
