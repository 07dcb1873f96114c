"""What every action shares: the knowledge store, the channel kind and sending an entry."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Iterable, List, Mapping, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.knowledge import (
    EN,
    ES,
    SMS,
    WEB,
    EntityMention,
    KnowledgeBase,
    KnowledgeStore,
    knowledge_dir_from_env,
)

SMS_CHANNEL = "sms"
# The slot holding the knowledge entry last answered on a topic (follow-ups resolve against it).
TOPIC = "topic"


@lru_cache(maxsize=1)
def default_store() -> KnowledgeStore:
    """The process-wide store, created on first use (reads ``$KNOWLEDGE_DIR`` then)."""
    return KnowledgeStore(knowledge_dir_from_env())


def current_knowledge(store: Optional[KnowledgeStore]) -> KnowledgeBase:
    """The knowledge from ``store`` (tests pass one) or from the process-wide store."""
    return (store if store is not None else default_store()).current()


def channel_kind(tracker: Tracker) -> str:
    """``sms`` for the SMS channel (plain, short texts), ``web`` for everything else.

    At session start there is no user message yet; the channels put their name in the
    message metadata, which Rasa hands over as ``session_started_metadata``.
    """
    channel = tracker.get_latest_input_channel()
    if channel is None:
        metadata = tracker.get_slot("session_started_metadata") or {}
        channel = metadata.get("channel") if isinstance(metadata, dict) else None
    return SMS if channel == SMS_CHANNEL else WEB


def latest_intent(tracker: Tracker) -> Optional[str]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None


def latest_entities(tracker: Tracker) -> List[EntityMention]:
    """The entities of the latest message, in the order the message mentions them."""
    entities: Iterable[Dict[str, Any]] = (tracker.latest_message or {}).get("entities") or []
    ordered = sorted(entities, key=lambda entity: entity.get("start", 0))
    return [
        EntityMention(str(entity["entity"]), str(entity["value"]))
        for entity in ordered
        if entity.get("entity") and entity.get("value") is not None
    ]


def message_language(tracker: Tracker) -> str:
    """``es`` when the NLU read the latest message as Spanish, else ``en``."""
    language = (tracker.latest_message or {}).get("language")
    return ES if language == ES else EN


def send_entry(
    dispatcher: CollectingDispatcher,
    knowledge: KnowledgeBase,
    entry_id: str,
    kind: str,
    params: Optional[Mapping[str, str]] = None,
    with_buttons: bool = True,
    language: str = EN,
    **metadata: Any,
) -> None:
    """Utter one knowledge entry (in Spanish where asked for and written); its id travels in
    the message metadata for the console."""
    rendered = knowledge.render(entry_id, kind, params, language)
    buttons = (
        [{"title": button.title, "payload": button.payload} for button in rendered.buttons]
        if with_buttons
        else []
    )
    if rendered.language != EN:
        metadata["language"] = rendered.language
    dispatcher.utter_message(text=rendered.text, buttons=buttons, kb_entry=entry_id, **metadata)
