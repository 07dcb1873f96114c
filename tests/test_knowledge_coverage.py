"""Every intent the bot can predict has an answer, and every knowledge entry can be reached."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Set

import yaml

from assistant.knowledge import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]
# Intents answered by actions that compose several entries rather than by action_answer.
# Intents an action answers without a general entry of their own: a follow-up is answered
# from the current topic.
ACTION_HANDLED = {
    "request_human": "action_handoff",
    "request_callback": "callback_form",
    "follow_up": "action_answer",
}


def _rule_and_story_intents() -> Dict[str, Set[str]]:
    """For each intent, the actions that directly follow it in rules and stories."""
    following: Dict[str, Set[str]] = {}
    for path in [*ROOT.glob("data/rules/*.yml"), *ROOT.glob("data/stories/*.yml")]:
        data = yaml.safe_load(path.read_text())
        for block in data.get("rules", []) + data.get("stories", []):
            steps = block["steps"]
            for step, nxt in zip(steps, [*steps[1:], {}], strict=True):
                intents = [s["intent"] for s in step.get("or", []) if "intent" in s]
                if "intent" in step:
                    intents.append(step["intent"])
                for intent in intents:
                    following.setdefault(intent, set()).add(nxt.get("action", ""))
    return following


def test_every_domain_intent_has_an_answer(knowledge: KnowledgeBase, domain: Dict[str, Any]):
    unanswered = [
        intent
        for intent in domain["intents"]
        if knowledge.default_for(intent) is None and intent not in ACTION_HANDLED
    ]
    assert unanswered == []


def test_low_confidence_fallback_has_an_answer(knowledge: KnowledgeBase) -> None:
    assert knowledge.default_for("nlu_fallback") is not None


def test_every_domain_intent_is_handled_by_a_rule(domain: Dict[str, Any]) -> None:
    following = _rule_and_story_intents()
    assert [i for i in domain["intents"] if not following.get(i)] == []
    for intent, action in ACTION_HANDLED.items():
        assert action in following[intent]


def test_every_knowledge_intent_is_a_domain_intent(
    knowledge: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    assert set(knowledge.intents) - set(domain["intents"]) == {"nlu_fallback"}


def test_every_entry_is_reachable(knowledge: KnowledgeBase, domain: Dict[str, Any]) -> None:
    """Reachable: the general answer of an intent, the answer for an entity the term matcher
    can find (by this entry's phrases or another's: a reported rash is found by the rash
    phrases), or an entry an action sends by id."""
    found_pairs = {
        e.entity_pair
        for e in knowledge.entries
        if e.entity_pair and (e.synonyms or (e.es and e.es.synonyms))
    }
    action_source = "\n".join(
        p.read_text()
        for pattern in ("actions/*.py", "assistant/channels/**/*.py", "assistant/dialogue_names.py")
        for p in ROOT.glob(pattern)
    )
    sent_by_id = set(re.findall(r'"([a-z_]+\.[a-z_.]+)"', action_source))
    domain_entities = {next(iter(e)) if isinstance(e, dict) else e for e in domain["entities"]}
    unreachable = []
    for entry in knowledge.entries:
        general = any(knowledge.default_for(i) is entry for i in entry.intents)
        specific = (
            entry.entity_pair is not None
            and entry.entity_pair[0] in domain_entities
            and entry.entity_pair in found_pairs
            and any(i in domain["intents"] for i in entry.intents)
        )
        if not (general or specific or entry.id in sent_by_id):
            unreachable.append(entry.id)
    assert unreachable == []


def test_entries_sent_by_id_exist(knowledge: KnowledgeBase) -> None:
    # The ids the code sends are written in assistant/dialogue_names.py.
    sources = [*ROOT.glob("actions/*.py"), ROOT / "assistant" / "dialogue_names.py"]
    action_source = "\n".join(p.read_text() for p in sources)
    referenced = set(
        re.findall(r'"((?:support|callback|conversation|safety)\.[a-z_]+)"', action_source)
    )
    assert referenced
    assert [entry_id for entry_id in referenced if not knowledge.has(entry_id)] == []


def test_every_button_payload_names_a_domain_intent(
    knowledge: KnowledgeBase, domain: Dict[str, Any]
) -> None:
    bad = []
    for payload in knowledge.button_payloads():
        if payload.startswith("/"):
            intent = re.match(r"/([a-z_]+)", payload)
            if not intent or intent.group(1) not in domain["intents"]:
                bad.append(payload)
    assert bad == []
