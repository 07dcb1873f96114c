"""Typed schema of the curated knowledge files in ``data/knowledge``.

Every user-facing sentence the assistant sends lives in these files. The models validate the
files at load time so a bad edit fails fast with the file and entry named.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import string
import unicodedata
from typing import Any, Dict, List, Literal, Optional, Set, Tuple

from pydantic import BaseModel, Extra, Field, validator

from assistant.dialogue_names import EMERGENCY, LANGUAGE_EN, LANGUAGE_ES, SELF_HARM

SMS_MAX_CHARS = 300
ENTRY_ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"

# Placeholders every answer may use; their values come from contacts.yml.
CONTACT_PLACEHOLDERS: Set[str] = {
    "organisation",
    "support_link",
    "support_phone",
    "support_hours",
    "emergency_number",
    "crisis_line",
    "example_phone",
}
# Placeholders an action fills in at run time; an entry must declare them in ``params``.
RUNTIME_PLACEHOLDERS: Set[str] = {
    "next_open",
    "name",
    "phone",
    "best_time",
    "choices",
    "number",
    "title",
}

# GSM 03.38 basic character set (plus the extension table), so an SMS form never forces UCS-2.
GSM7_CHARACTERS = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "^{}\\[~]|€"
)


def fold_to_gsm7(text: str) -> str:
    """``text`` with each character outside GSM-7 replaced by its unaccented letter when that
    one is in GSM-7 ("información" becomes "informacion"; é, ñ, ü, ¿ and ¡ are GSM-7 and stay)."""
    folded = []
    for ch in text:
        if ch not in GSM7_CHARACTERS:
            base = "".join(
                c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn"
            )
            if base and all(c in GSM7_CHARACTERS for c in base):
                ch = base
        folded.append(ch)
    return "".join(folded)


def placeholders_in(text: str) -> Set[str]:
    """Names of the ``{placeholders}`` used in ``text``."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


class Button(_Strict):
    """A quick reply: what the patient sees and what the client sends back."""

    title: str = Field(..., min_length=1, max_length=40)
    payload: str = Field(..., min_length=1, max_length=200)


# The curated sources, in ../shared/source/ beside the repository: the immunotherapy page for
# every fact, and the red-flag sheet for triage only (when to send someone to 911, 988 or the
# care team now).
PAGE_FILE = "immunotherapy-page.txt"
RED_FLAGS_FILE = "red-flags.md"

# Intents whose general entry (no entity) may still carry match phrases: the emergency and
# self-harm phrases force their tier whatever the classifier says.
PATTERN_INTENTS: Set[str] = {EMERGENCY, SELF_HARM}

# Clinical sign-off of a safety text: pending until the cancer center's clinical team approves it.
REVIEW_PENDING = "pending"
REVIEW_APPROVED = "approved"


class Citation(_Strict):
    """A section of the red-flag sheet, with verbatim quotes that tests check against it."""

    section: str = Field(..., min_length=1)
    quotes: List[str] = Field(..., min_items=1)


class Source(_Strict):
    """Where on the source page the entry's facts come from, with verbatim quotes; a triage
    answer also cites the red-flag sheet (``red_flags``)."""

    section: str = Field(..., min_length=1)
    quotes: List[str] = Field(default_factory=list)
    red_flags: Optional[Citation] = None


def _check_sms(value: str, fold_accents: bool = False) -> str:
    """Short, plain and GSM-7; with ``fold_accents`` (Spanish), GSM-7 once the SMS channel
    has folded the accents GSM-7 lacks."""
    if len(value) > SMS_MAX_CHARS:
        raise ValueError(f"sms form is {len(value)} characters; the limit is {SMS_MAX_CHARS}")
    if re.search(r"\*\*|\]\(|^#|^- ", value, flags=re.MULTILINE):
        raise ValueError("sms form must be plain text, without markdown")
    sent = fold_to_gsm7(value) if fold_accents else value
    outside = sorted({ch for ch in sent if ch not in GSM7_CHARACTERS and ch not in "{}"})
    if outside:
        raise ValueError(f"sms form has characters outside GSM-7: {outside!r}")
    return value


FINGERPRINT_CHARS = 12


def english_fingerprint(answer: str, sms: str, button_titles: List[str]) -> str:
    """What a translation records of the English it translates: a short hash of the entry's
    English answer, SMS form and button titles. Any change to them makes the Spanish stale."""
    text = "\x1f".join([answer.strip(), sms.strip(), *button_titles])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


def _clean_synonym(value: str) -> str:
    value = value.strip().lower()
    if not value:
        raise ValueError("empty synonym")
    return value


TRANSLATION_REVIEW_STATES = ("pending", "approved")


class Translation(_Strict):
    """An entry in Spanish: its texts, its button titles, the Spanish phrases the matchers
    find it by, which English it translates (``translates``: the English fingerprint when it
    was written) and its own review state. It shares the entry's ``source``.

    The SMS form is written with accents; the SMS channel folds the ones GSM-7 lacks
    (``fold_to_gsm7``). Both forms use the same placeholders as the English ones.
    """

    translates: str = Field(..., regex=rf"^[0-9a-f]{{{FINGERPRINT_CHARS}}}$")
    review: Literal["pending", "approved"]
    answer: str = Field(..., min_length=1)
    sms: str = Field(..., min_length=1)
    buttons: List[str] = Field(default_factory=list)
    synonyms: List[str] = Field(default_factory=list)

    @validator("answer", "sms")
    def _strip(cls, value: str) -> str:
        return value.strip()

    @validator("sms")
    def _sms_is_short_plain_gsm7(cls, value: str) -> str:
        return _check_sms(value, fold_accents=True)

    @validator("buttons", each_item=True)
    def _short_title(cls, value: str) -> str:
        value = value.strip()
        if not 1 <= len(value) <= 40:
            raise ValueError("a button title has 1 to 40 characters")
        return value

    @validator("synonyms", each_item=True)
    def _clean_synonym(cls, value: str) -> str:
        return _clean_synonym(value)


class Entry(_Strict):
    """One answer: the web form (markdown), the SMS form, buttons, provenance and match terms."""

    id: str = Field(..., regex=ENTRY_ID_PATTERN)
    intents: List[str] = Field(default_factory=list)
    entity: Optional[Dict[str, str]] = None
    params: List[str] = Field(default_factory=list)
    answer: str = Field(..., min_length=1)
    sms: str = Field(..., min_length=1)
    buttons: List[Button] = Field(default_factory=list)
    source: Source
    last_reviewed: dt.date
    synonyms: List[str] = Field(default_factory=list)
    # Safety texts (triage answers) stay "pending" until the clinical team signs them off.
    clinical_review: Optional[Literal["pending", "approved"]] = None
    es: Optional[Translation] = None

    @validator("answer", "sms")
    def _strip(cls, value: str) -> str:
        return value.strip()

    @validator("sms")
    def _sms_is_short_plain_gsm7(cls, value: str) -> str:
        return _check_sms(value)

    @validator("entity")
    def _one_entity(cls, value: Optional[Dict[str, str]]) -> Optional[Dict[str, str]]:
        if value is not None and len(value) != 1:
            raise ValueError("entity must name exactly one entity: {name: value}")
        return value

    @validator("params", each_item=True)
    def _known_param(cls, value: str) -> str:
        if value not in RUNTIME_PLACEHOLDERS:
            raise ValueError(f"unknown param {value!r}; known: {sorted(RUNTIME_PLACEHOLDERS)}")
        return value

    @validator("buttons")
    def _unique_button_payloads(cls, value: List[Button]) -> List[Button]:
        payloads = [button.payload for button in value]
        if len(payloads) != len(set(payloads)):
            raise ValueError("two buttons share a payload")
        return value

    @validator("synonyms", each_item=True)
    def _clean_synonym(cls, value: str) -> str:
        return _clean_synonym(value)

    @validator("sms", "answer")
    def _placeholders_known(cls, value: str, values: Dict[str, Any]) -> str:
        allowed = CONTACT_PLACEHOLDERS | set(values.get("params") or [])
        try:
            unknown = placeholders_in(value) - allowed
        except ValueError as error:  # unbalanced braces
            raise ValueError(f"bad placeholder syntax: {error}") from error
        if unknown:
            raise ValueError(
                f"unknown placeholders {sorted(unknown)}; declare run-time ones in params"
            )
        return value

    @validator("synonyms")
    def _synonyms_name_something(cls, value: List[str], values: Dict[str, Any]) -> List[str]:
        general_safety = set(values.get("intents") or []) & PATTERN_INTENTS
        if value and not values.get("entity") and not general_safety:
            raise ValueError("synonyms need an entity (or an emergency entry) to be matched as")
        return value

    @validator("es")
    def _translation_fits(
        cls, value: Optional[Translation], values: Dict[str, Any]
    ) -> Optional[Translation]:
        if value is None:
            return value
        allowed = CONTACT_PLACEHOLDERS | set(values.get("params") or [])
        for field, text in (("answer", value.answer), ("sms", value.sms)):
            try:
                unknown = placeholders_in(text) - allowed
            except ValueError as error:
                raise ValueError(f"es.{field}: bad placeholder syntax: {error}") from error
            if unknown:
                raise ValueError(f"es.{field}: unknown placeholders {sorted(unknown)}")
        general_safety = set(values.get("intents") or []) & PATTERN_INTENTS
        if value.synonyms and not values.get("entity") and not general_safety:
            raise ValueError("es.synonyms need an entity (or an emergency entry) to be matched as")
        english_buttons = values.get("buttons") or []
        if len(value.buttons) != len(english_buttons):
            raise ValueError(
                f"es.buttons has {len(value.buttons)} titles; the entry has "
                f"{len(english_buttons)} buttons (one Spanish title each, same order)"
            )
        return value

    @property
    def fingerprint(self) -> str:
        """The fingerprint of this entry's English texts (what a current translation records)."""
        return english_fingerprint(self.answer, self.sms, [button.title for button in self.buttons])

    @property
    def spanish_is_current(self) -> bool:
        """A Spanish translation exists and translates the English as it is now."""
        return self.es is not None and self.es.translates == self.fingerprint

    @property
    def entity_pair(self) -> Optional[Tuple[str, str]]:
        """The (entity name, value) this entry answers, if it is entity-specific."""
        if not self.entity:
            return None
        return next(iter(self.entity.items()))


class SupportLine(_Strict):
    display: str
    digits: str
    tel: str = Field(..., regex=r"^\+[0-9]{6,15}$")
    timezone: str
    opens: dt.time
    closes: dt.time
    hours_text: str
    hours_text_es: str

    @validator("timezone")
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @validator("closes")
    def _closes_after_opening(cls, value: dt.time, values: Dict[str, object]) -> dt.time:
        opens = values.get("opens")
        if isinstance(opens, dt.time) and value <= opens:
            raise ValueError("closes must be after opens")
        return value


class SpanishDates(_Strict):
    """How a Spanish answer names a day and time ("el lunes 30 de noviembre a las 6:00 AM")."""

    weekdays: List[str] = Field(..., min_items=7, max_items=7)  # Monday first
    months: List[str] = Field(..., min_items=12, max_items=12)  # January first
    opening: str = Field(..., min_length=1)  # with {weekday}, {day}, {month} and {time}

    @validator("opening")
    def _known_fields(cls, value: str) -> str:
        if placeholders_in(value) != {"weekday", "day", "month", "time"}:
            raise ValueError("opening uses exactly {weekday}, {day}, {month} and {time}")
        return value


class Contacts(_Strict):
    organisation: str
    support_line: SupportLine
    emergency_number: str
    crisis_line: str
    example_phone: str
    spanish_dates: SpanishDates
    source: str
    last_reviewed: dt.date

    def placeholder_values(self, channel_kind: str, language: str = LANGUAGE_EN) -> Dict[str, str]:
        """Values of the contact placeholders for a ``web`` (markdown) or ``sms`` text, in
        English or (``language="es"``) Spanish."""
        line = self.support_line
        plain_phone = f"{line.display} ({line.digits})"
        link = f"[{line.display}](tel:{line.tel}) ({line.digits})"
        return {
            "organisation": self.organisation,
            "support_link": link if channel_kind == "web" else plain_phone,
            "support_phone": plain_phone,
            "support_hours": line.hours_text_es if language == LANGUAGE_ES else line.hours_text,
            "emergency_number": self.emergency_number,
            "crisis_line": self.crisis_line,
            "example_phone": self.example_phone,
        }


class KnowledgeFile(_Strict):
    """One ``data/knowledge/<topic>.yml`` file of entries."""

    entries: List[Entry]
