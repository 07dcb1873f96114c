"""What every action shares: the knowledge store, the channel kind and sending an entry."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Iterable, List, Mapping, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue_names import (
    META_CHANNEL,
    META_KB_ENTRY,
    META_LANGUAGE,
    PARSE_LANGUAGE,
    SESSION_STARTED_METADATA_SLOT,
    SMS_CHANNEL,
    TOPIC_SLOT,
)
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

# The slot holding the knowledge entry last answered on a topic (follow-ups resolve against it).
TOPIC = TOPIC_SLOT


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
        metadata = tracker.get_slot(SESSION_STARTED_METADATA_SLOT) or {}
        channel = metadata.get(META_CHANNEL) if isinstance(metadata, dict) else None
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
    language = (tracker.latest_message or {}).get(PARSE_LANGUAGE)
    return ES if language == ES else EN


def send_entry(
    dispatcher: CollectingDispatcher,
    knowledge: KnowledgeBase,
    entry_id: str,
    kind: str,
    params: Optional[Mapping[str, str]] = None,
    with_buttons: bool = True,
    language: str = EN,
    flags: Optional[Mapping[str, Any]] = None,
) -> None:
    """Utter one knowledge entry (in Spanish where asked for and written). Its id and
    ``flags`` (keys from ``assistant.dialogue_names``, e.g. ``{META_HANDOFF: True}``) travel in
    the message metadata for the channels and the console."""
    rendered = knowledge.render(entry_id, kind, params, language)
    buttons = (
        [{"title": button.title, "payload": button.payload} for button in rendered.buttons]
        if with_buttons
        else []
    )
    metadata: Dict[str, Any] = {META_KB_ENTRY: entry_id, **(flags or {})}
    if rendered.language != EN:
        metadata[META_LANGUAGE] = rendered.language
    dispatcher.utter_message(text=rendered.text, buttons=buttons, **metadata)
