"""The Rasa component: the NLU text is normalised, in training and at inference."""

from __future__ import annotations

from typing import Any, Dict

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.nlu.text_normalizer import TextNormalizer


def _component() -> TextNormalizer:
    return TextNormalizer(TextNormalizer.get_default_config())


def _example(text: str, intent: str = "ask_side_effects", **data: Any) -> Message:
    fields: Dict[str, Any] = {"text": text, "intent": intent, **data}
    return Message(data=fields)


def test_process_sets_the_normalised_text() -> None:
    message = Message(data={"text": "\ufeffIs  fever \u201cnormal\u201d????  helppp"})
    result = _component().process([message])
    assert result == [message]
    assert message.get("text") == 'Is fever "normal"? help'
    assert "text" in message.output_properties


def test_process_handles_several_messages() -> None:
    messages = [Message(data={"text": "\uff28\uff29"}), Message(data={"text": "sooo tired"})]
    _component().process(messages)
    assert [m.get("text") for m in messages] == ["HI", "so tired"]


def test_process_training_data_normalises_every_example() -> None:
    examples = [_example("can\u2019t slee\u200bp"), _example("cooool  thanks", intent="thank")]
    training_data = TrainingData(training_examples=examples)
    result = _component().process_training_data(training_data)
    assert result is training_data
    assert [m.get("text") for m in result.training_examples] == ["can't sleep", "cool thanks"]


def test_empty_text_is_untouched() -> None:
    empty = Message(data={"text": ""})
    missing = Message(data={"intent": "greet"})
    _component().process([empty, missing])
    assert empty.get("text") == ""
    assert missing.get("text") is None
    assert "text" not in missing.data


def test_text_already_normal_is_untouched() -> None:
    message = Message(data={"text": "When is the infusion center open?"})
    _component().process([message])
    assert message.get("text") == "When is the infusion center open?"


def test_intent_payloads_from_buttons_are_untouched() -> None:
    payload = '/choose_topic{"topic": "side   effects\u2014rash"}'
    message = Message(data={"text": payload})
    _component().process([message])
    assert message.get("text") == payload


def test_examples_with_entity_offsets_are_untouched() -> None:
    text = "my  rash is baaad"
    entity = {"start": 4, "end": 8, "value": "rash", "entity": "side_effect"}
    example = _example(text, entities=[entity])
    _component().process_training_data(TrainingData(training_examples=[example]))
    assert example.get("text") == text


def test_registered_before_the_tokenizer_without_being_one() -> None:
    registered = DefaultV1Recipe._from_registry("assistant.nlu.text_normalizer.TextNormalizer")
    assert registered.clazz is TextNormalizer
    assert DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER in registered.types
    assert not registered.is_trainable
    # Rasa allows one Tokenizer subclass per pipeline; this one must not count.
    assert not issubclass(TextNormalizer, Tokenizer)


def test_rule_changes_change_the_training_cache_fingerprint() -> None:
    addon = TextNormalizer.fingerprint_addon({})
    assert addon is not None
    assert addon == TextNormalizer.fingerprint_addon({})
