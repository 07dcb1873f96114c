"""The loaded knowledge: lookup of entries by id, intent and entity, and rendering per channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from assistant.dialogue_names import (
    ENTRY_CONVERSATION_TRANSLATION_PENDING,
    LANGUAGE_EN,
    LANGUAGE_ES,
)
from assistant.knowledge.markdown import escape_markdown
from assistant.knowledge.models import Button, Contacts, Entry

WEB = "web"
SMS = "sms"
EN = LANGUAGE_EN
ES = LANGUAGE_ES


@dataclass(frozen=True)
class EntityMention:
    """An entity the NLU found in a message: its name and canonical value."""

    name: str
    value: str


@dataclass(frozen=True)
class RenderedAnswer:
    """An entry's text for one channel kind, with placeholders filled in."""

    entry_id: str
    text: str
    buttons: Tuple[Button, ...]
    language: str = EN
    # Spanish asked for but the translation is out of date or missing: the English text comes
    # with this one-line Spanish note, sent before it.
    note: Optional[str] = None


def _spanish_buttons(entry: Entry) -> Tuple[Button, ...]:
    """The entry's buttons with their Spanish titles. A button that sends its own title back
    as text (a reply such as "Morning", not a ``/intent``) sends the Spanish title instead."""
    if entry.es is None:
        return ()
    return tuple(
        Button(
            title=title,
            payload=title if button.payload == button.title else button.payload,
        )
        for title, button in zip(entry.es.buttons, entry.buttons, strict=True)
    )


class KnowledgeBase:
    """Immutable view over all validated entries plus the contacts."""

    def __init__(self, entries: Sequence[Entry], contacts: Contacts) -> None:
        self._entries: Dict[str, Entry] = {entry.id: entry for entry in entries}
        self.contacts = contacts
        self._by_intent: Dict[str, List[Entry]] = {}
        for entry in entries:
            for intent in entry.intents:
                self._by_intent.setdefault(intent, []).append(entry)
        self._button_payloads = sorted(
            {button.payload for entry in entries for button in entry.buttons}
            | {button.payload for entry in entries for button in _spanish_buttons(entry)}
        )

    @property
    def entries(self) -> List[Entry]:
        return list(self._entries.values())

    @property
    def intents(self) -> List[str]:
        """Every intent some entry answers."""
        return sorted(self._by_intent)

    def get(self, entry_id: str) -> Entry:
        try:
            return self._entries[entry_id]
        except KeyError:
            raise KeyError(f"no knowledge entry with id {entry_id!r}") from None

    def has(self, entry_id: str) -> bool:
        return entry_id in self._entries

    def default_for(self, intent: str) -> Optional[Entry]:
        """The general entry for an intent (the one that names no entity)."""
        for entry in self._by_intent.get(intent, []):
            if entry.entity is None:
                return entry
        return None

    def select(self, intent: str, entities: Iterable[EntityMention] = ()) -> Optional[Entry]:
        """The most specific entry for an intent: one whose entity the message names, else the
        intent's general entry. Entities are tried in the order the message mentions them."""
        candidates = self._by_intent.get(intent, [])
        for mention in entities:
            for entry in candidates:
                if entry.entity_pair == (mention.name, mention.value):
                    return entry
        return self.default_for(intent)

    def button_payloads(self) -> List[str]:
        """Every payload a button in the knowledge can send back (channels check each message
        against it, so it is worked out once per knowledge version)."""
        return list(self._button_payloads)

    def render(
        self,
        entry_id: str,
        channel_kind: str,
        params: Optional[Mapping[str, str]] = None,
        language: str = EN,
    ) -> RenderedAnswer:
        """Fill the entry's web (markdown) or SMS text with contact details and ``params``.

        ``language="es"`` takes the entry's Spanish texts and button titles when its translation
        is current. When the translation is stale (the English changed since) or missing, the
        English comes back with a one-line Spanish ``note`` saying so, never an out-of-date
        Spanish fact. ``params`` are run-time values (some typed by the patient): in the
        markdown (web) form they are escaped, so they show as typed and never as links,
        emphasis or HTML."""
        entry = self.get(entry_id)
        missing = set(entry.params) - set(params or {})
        if missing:
            raise ValueError(f"entry {entry_id!r} needs params {sorted(missing)}")
        spanish = language == ES and entry.es is not None and entry.spanish_is_current
        values = dict(self.contacts.placeholder_values(channel_kind, ES if spanish else EN))
        literal = (lambda text: text) if channel_kind == SMS else escape_markdown
        values.update({key: literal(str(value)) for key, value in (params or {}).items()})
        if spanish and entry.es is not None:
            template = entry.es.sms if channel_kind == SMS else entry.es.answer
            buttons = _spanish_buttons(entry)
        else:
            template = entry.sms if channel_kind == SMS else entry.answer
            buttons = tuple(entry.buttons)
        note = None
        pending = ENTRY_CONVERSATION_TRANSLATION_PENDING
        if language == ES and not spanish and entry_id != pending and self.has(pending):
            note = self.render(pending, channel_kind, None, ES).text
        return RenderedAnswer(
            entry_id=entry.id,
            text=template.format_map(values),
            buttons=buttons,
            language=ES if spanish else EN,
            note=note,
        )

    def spanish_is_current(self, entry_id: str) -> bool:
        """The entry has a Spanish translation of its English as it is now."""
        return self.get(entry_id).spanish_is_current
