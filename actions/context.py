"""Pure helpers for answers in context: follow-ups against the current topic, and "no"/"stop"
statements that are not commands.

The topic is the knowledge entry last answered on a topic (the ``topic`` slot). A follow-up
("what about diarrhea", "and the pill?", "how many?") names a knowledge term, or nothing, and
is answered from the topic's intent; a term the topic does not cover is looked up in every
topic.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Optional, Sequence

from assistant.dialogue_names import (
    AFFIRM,
    ASK_CAPABILITIES,
    BOT_CHALLENGE,
    CANCEL,
    DENY,
    FOLLOW_UP,
    GOODBYE,
    GREET,
    INFORM,
    NLU_FALLBACK,
    OUT_OF_SCOPE,
    REQUEST_CALLBACK,
    THANK,
)
from assistant.knowledge import EntityMention, KnowledgeBase
from assistant.knowledge.models import Entry
from assistant.triage.tiers import TIER_INTENTS

# Intents that are replies, small talk or commands, never the topic a statement is about.
NOT_A_TOPIC = frozenset(
    {
        GREET, GOODBYE, THANK, BOT_CHALLENGE, ASK_CAPABILITIES, AFFIRM, DENY,
        CANCEL, INFORM, OUT_OF_SCOPE, REQUEST_CALLBACK, FOLLOW_UP, NLU_FALLBACK,
    }
)  # fmt: skip
ALTERNATIVE_FLOOR = 0.3  # the FallbackClassifier's threshold (config.yml)
DENY_PAYLOAD = "/deny"


def is_topic_entry(entry: Entry) -> bool:
    """An answer about a topic (not small talk, a handoff or a form step)."""
    return any(i.startswith("ask_") and i not in NOT_A_TOPIC for i in entry.intents)


def resolve_follow_up(
    knowledge: KnowledgeBase, mentions: Sequence[EntityMention], topic: Optional[str]
) -> Optional[Entry]:
    """The entry a follow-up asks for: the topic intent's entry for a named term, else any
    topic's entry for it; with no term, the topic's entry again (its details answer "how
    many?", "how long?")."""
    topic_entry = knowledge.get(topic) if topic and knowledge.has(topic) else None
    topic_intents: List[str] = list(topic_entry.intents) if topic_entry else []
    for mention in mentions:
        for intent in topic_intents:
            entry = knowledge.select(intent, [mention])
            if entry is not None and entry.entity_pair == (mention.name, mention.value):
                return entry
        found = entry_for_term(knowledge, mention)
        if found is not None:
            return found
    return topic_entry


def entry_for_term(knowledge: KnowledgeBase, mention: EntityMention) -> Optional[Entry]:
    """The topic entry that answers one knowledge term, whatever the intent."""
    for entry in knowledge.entries:
        if entry.entity_pair == (mention.name, mention.value) and is_topic_entry(entry):
            return entry
    return None


def best_alternative(
    knowledge: KnowledgeBase, ranking: Iterable[Mapping[str, Any]]
) -> Optional[str]:
    """The most likely intent that a statement is about, if the classifier is sure enough
    (never a triage tier: the NLU decided the message does not raise one)."""
    for item in ranking:
        name = str(item.get("name"))
        if name in NOT_A_TOPIC or name in TIER_INTENTS or knowledge.default_for(name) is None:
            continue
        if float(item.get("confidence") or 0.0) >= ALTERNATIVE_FLOOR:
            return name
        return None
    return None


def answers_an_offer(events: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the bot's last message offered a "no" button, so a "no" answers it."""
    for event in reversed(events):
        if event.get("event") == "user":
            continue
        if event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            return any(button.get("payload") == DENY_PAYLOAD for button in buttons)
    return False
