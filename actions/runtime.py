"""What every action shares: the knowledge store, the channel kind and sending an entry."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Iterable, List, Mapping, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue_names import (
    CALLBACK_NAME_SLOT,
    CHANGE_LANGUAGE,
    LANGUAGE_SLOT,
    META_CHANNEL,
    META_KB_ENTRY,
    META_LANGUAGE,
    META_LANGUAGE_CHOICE,
    META_PAGE_LANGUAGE,
    PARSE_LANGUAGE,
    PARSE_LANGUAGE_CONFIDENCE,
    PARSE_LANGUAGE_GUESS,
    PARSE_LANGUAGE_REQUEST,
    REQUESTED_SLOT,
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
from assistant.language.choice import LanguageSignals, choose_language
from assistant.language.requests import named_language

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


def _user_metadata(tracker: Tracker) -> Mapping[str, Any]:
    """The channel's metadata of the latest patient message, or of the session's start."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata")
            return metadata if isinstance(metadata, dict) else {}
    started = tracker.get_slot(SESSION_STARTED_METADATA_SLOT)
    return started if isinstance(started, dict) else {}


def _is_first_message(tracker: Tracker) -> bool:
    """The latest patient message is the first of the session."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            break
        count += event.get("event") == "user"
    return count <= 1


def _answers_the_name_question(tracker: Tracker) -> bool:
    """The latest patient message answered the callback form's "What name ...?": the form was
    asking for the name when it arrived (a name is no sign of the patient's language, even
    one with a word of the language in it, "María de la Cruz")."""
    events = list(tracker.events)
    latest_user = max(
        (i for i, event in enumerate(events) if event.get("event") == "user"), default=None
    )
    if latest_user is None:
        return False
    for event in reversed(events[:latest_user]):
        if event.get("event") == "slot" and event.get("name") == REQUESTED_SLOT:
            return bool(event.get("value") == CALLBACK_NAME_SLOT)
        if event.get("event") in ("session_started", "active_loop") and not event.get("name"):
            return False
    return False


def _other(language: Optional[str]) -> str:
    return EN if language == ES else ES


def language_signals(tracker: Tracker) -> LanguageSignals:
    """What the latest patient message says about the language: the channel's metadata (the
    widget's toggle and page language) and the NLU's reading (``assistant.nlu.language_detector``).
    A ``change_language`` message that names no language ("another language?") asks for the
    other one. The page's language and the detector's unsure guess count only on a session's
    first message (or at its start); the detection does not count for the answer to the
    callback form's name question."""
    latest = tracker.latest_message or {}
    metadata = _user_metadata(tracker)
    request = latest.get(PARSE_LANGUAGE_REQUEST)
    if latest_intent(tracker) == CHANGE_LANGUAGE and request is None:
        named = named_language(str(latest.get("text") or ""))
        request = named or _other(tracker.get_slot(LANGUAGE_SLOT))
    confidence = latest.get(PARSE_LANGUAGE_CONFIDENCE)
    first = _is_first_message(tracker)
    return LanguageSignals(
        choice=metadata.get(META_LANGUAGE_CHOICE),
        request=request,
        detected=None if _answers_the_name_question(tracker) else latest.get(PARSE_LANGUAGE),
        guess=latest.get(PARSE_LANGUAGE_GUESS) if first else None,
        guess_confidence=float(confidence) if isinstance(confidence, (int, float)) else 0.0,
        page=metadata.get(META_PAGE_LANGUAGE) if first else None,
    )


def conversation_language(tracker: Tracker) -> str:
    """The language to answer in: the conversation's, updated by the latest message
    (``assistant.language.choice``)."""
    return choose_language(tracker.get_slot(LANGUAGE_SLOT), language_signals(tracker))


def language_events(tracker: Tracker, language: Optional[str] = None) -> List[EventType]:
    """The slot event that records a new conversation language (``language``, when the
    caller has already chosen it); none when unchanged (an unset slot is English, the
    default)."""
    language = language or conversation_language(tracker)
    unchanged = (tracker.get_slot(LANGUAGE_SLOT) or EN) == language
    return [] if unchanged else [SlotSet(LANGUAGE_SLOT, language)]


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
    metadata: Dict[str, Any] = {
        META_KB_ENTRY: entry_id,
        **(flags or {}),
        META_LANGUAGE: rendered.language,
    }
    text = rendered.text if rendered.note is None else f"{rendered.note}\n\n{rendered.text}"
    dispatcher.utter_message(text=text, buttons=buttons, **metadata)
