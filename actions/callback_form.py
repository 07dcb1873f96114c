"""The callback request: ask actions, slot validation, submit and cancel."""

from __future__ import annotations

import abc
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import KnowledgeAction
from actions.callback_slots import BEST_TIME, CONSENT, NAME, PHONE, REQUEST, clear_callback_slots
from actions.runtime import channel_kind, current_knowledge, latest_intent, send_entry
from assistant.knowledge import KnowledgeStore
from assistant.phone import parse_callback_number

MAX_NAME_CHARS = 80
MAX_TIME_CHARS = 100
YES_NO_INTENTS = frozenset({"affirm", "deny"})


def clean_name(text: Any, intent: Optional[str]) -> Optional[str]:
    """A usable name: has letters, is not a bare yes/no, fits on a callback sheet."""
    if not isinstance(text, str) or intent in YES_NO_INTENTS:
        return None
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME_CHARS or not any(ch.isalpha() for ch in name):
        return None
    return name


def clean_best_time(text: Any) -> Optional[str]:
    if not isinstance(text, str):
        return None
    best_time = " ".join(text.split())
    if not best_time or len(best_time) > MAX_TIME_CHARS:
        return None
    return best_time


class _AskAction(KnowledgeAction, abc.ABC):
    """Asks for one slot with the knowledge entry ``entry_id``."""

    @property
    @abc.abstractmethod
    def slot(self) -> Text:
        """The slot this action asks for."""

    @property
    @abc.abstractmethod
    def entry_id(self) -> Text:
        """The knowledge entry that asks."""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    def params(self, tracker: Tracker) -> Dict[str, str]:
        return {}

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        send_entry(
            dispatcher, self.knowledge, self.entry_id, channel_kind(tracker), self.params(tracker)
        )
        return []


class ActionAskCallbackName(_AskAction):
    slot = NAME
    entry_id = "callback.ask_name"


class ActionAskCallbackPhone(_AskAction):
    slot = PHONE
    entry_id = "callback.ask_phone"


class ActionAskCallbackTime(_AskAction):
    slot = BEST_TIME
    entry_id = "callback.ask_time"


class ActionAskCallbackConsent(_AskAction):
    slot = CONSENT
    entry_id = "callback.ask_consent"

    def params(self, tracker: Tracker) -> Dict[str, str]:
        return {
            "name": str(tracker.get_slot(NAME) or ""),
            "phone": str(tracker.get_slot(PHONE) or ""),
            "best_time": str(tracker.get_slot(BEST_TIME) or ""),
        }


class ValidateCallbackForm(FormValidationAction):
    """Checks each detail; a bad one is asked again with a reason."""

    def __init__(self, store: Optional[KnowledgeStore] = None) -> None:
        self._store = store

    def name(self) -> Text:
        return "validate_callback_form"

    def _say(self, dispatcher: CollectingDispatcher, tracker: Tracker, entry_id: str) -> None:
        send_entry(dispatcher, current_knowledge(self._store), entry_id, channel_kind(tracker))

    async def validate_callback_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        name = clean_name(value, latest_intent(tracker))
        if name is None:
            self._say(dispatcher, tracker, "callback.invalid_name")
        return {NAME: name}

    async def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        number = parse_callback_number(value) if isinstance(value, str) else None
        if number is None:
            self._say(dispatcher, tracker, "callback.invalid_phone")
            return {PHONE: None}
        return {PHONE: number.display}

    async def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {BEST_TIME: clean_best_time(value)}

    async def validate_callback_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {CONSENT: value if isinstance(value, bool) else None}


class ActionSubmitCallback(KnowledgeAction):
    """Records the request as a ``callback_request`` slot event, only with consent."""

    def name(self) -> Text:
        return "action_submit_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        knowledge = self.knowledge
        kind = channel_kind(tracker)
        name, phone, best_time = (tracker.get_slot(s) for s in (NAME, PHONE, BEST_TIME))
        if tracker.get_slot(CONSENT) is not True or not (name and phone and best_time):
            send_entry(dispatcher, knowledge, "callback.declined", kind)
            return clear_callback_slots()
        number = parse_callback_number(str(phone))
        request = {
            "name": name,
            "phone": number.e164 if number else phone,
            "best_time": best_time,
            "consent": True,
            "requested_at": self.clock().isoformat(),
            "channel": tracker.get_latest_input_channel(),
        }
        params = {"name": str(name), "best_time": str(best_time)}
        send_entry(dispatcher, knowledge, "callback.confirmed", kind, params, callback=True)
        return [SlotSet(REQUEST, request), *clear_callback_slots()]


class ActionCancelCallback(KnowledgeAction):
    """Stops the form and forgets what was typed into it."""

    def name(self) -> Text:
        return "action_cancel_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        send_entry(dispatcher, self.knowledge, "conversation.cancel", channel_kind(tracker))
        return [ActiveLoop(None), SlotSet("requested_slot", None), *clear_callback_slots()]
