"""The Rasa component: entities from the knowledge, and the emergency override."""

from __future__ import annotations

from pathlib import Path

from rasa.shared.nlu.training_data.message import Message

from assistant.knowledge import KnowledgeStore
from assistant.nlu.term_matcher import KnowledgeTermMatcher


def _message(text: str, intent: str, confidence: float) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    return message


def _component(directory: Path) -> KnowledgeTermMatcher:
    return KnowledgeTermMatcher({}, KnowledgeStore(directory, check_interval_s=0))


def test_emergency_phrase_overrides_a_wrong_prediction(knowledge_copy: Path) -> None:
    message = _message("my throat is closing up", "ask_side_effects", 0.91)
    _component(knowledge_copy).process([message])
    assert message.get("intent") == {"name": "emergency", "confidence": 1.0}
    ranking = [item["name"] for item in message.get("intent_ranking")]
    assert ranking[:2] == ["emergency", "ask_side_effects"]


def test_emergency_phrase_overrides_the_low_confidence_fallback(knowledge_copy: Path) -> None:
    message = _message("chest pian!!", "nlu_fallback", 0.3)
    _component(knowledge_copy).process([message])
    assert message.get("intent")["name"] == "emergency"


def test_entities_are_added_with_the_extractor_name(knowledge_copy: Path) -> None:
    message = _message("is fatigue common", "ask_side_effects", 0.95)
    _component(knowledge_copy).process([message])
    assert message.get("intent")["name"] == "ask_side_effects"
    entities = message.get("entities")
    assert [(e["entity"], e["value"], e["extractor"]) for e in entities] == [
        ("side_effect", "fatigue", "KnowledgeTermMatcher")
    ]


def test_message_without_terms_is_untouched(knowledge_copy: Path) -> None:
    message = _message("hello there", "greet", 0.97)
    _component(knowledge_copy).process([message])
    assert message.get("intent") == {"name": "greet", "confidence": 0.97}
    assert message.get("entities") is None


def test_synonym_edits_apply_without_restart(knowledge_copy: Path) -> None:
    component = _component(knowledge_copy)
    before = _message("i feel zonked", "ask_side_effects", 0.9)
    component.process([before])
    assert before.get("entities") is None
    path = knowledge_copy / "side_effects.yml"
    path.write_text(path.read_text().replace("synonyms: [fatigue,", "synonyms: [zonked, fatigue,"))
    after = _message("i feel zonked", "ask_side_effects", 0.9)
    component.process([after])
    assert [(e["entity"], e["value"]) for e in after.get("entities")] == [
        ("side_effect", "fatigue")
    ]
