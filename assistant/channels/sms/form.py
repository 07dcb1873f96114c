"""The provider's webhook form, parsed from the raw request body, and the fields we read.

Twilio signs every field it posts, empty ones included (``FromCity=``, and ``Body=`` on a
picture message). Web frameworks' form parsers drop empty values, so the signature is checked
against this parse of the body, and the channel reads From, Body and MessageSid from the same
parse: what was verified is what gets used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import parse_qsl

from assistant.channels.sms.identity import normalize_number

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# A Messaging webhook is a few kilobytes (1,600 characters of text, ten media URLs at most).
MAX_FORM_BYTES = 64 * 1024
# Twilio's ids are two letters and 32 hex digits; the shape is kept loose (the column holds 64)
# but plain, so a sid is safe to log.
_MESSAGE_SID = re.compile(r"[A-Za-z0-9]{1,64}")


class FormError(ValueError):
    """The request is not a webhook form the channel accepts; ``status`` is the HTTP answer."""

    status = 400


class UnsupportedContentType(FormError):
    status = 415


class FormTooLarge(FormError):
    status = 413


class WebhookForm(Mapping[str, List[str]]):
    """Every field of the form with all its values, in the order they were posted.

    ``getall`` is what ``twilio.request_validator.RequestValidator`` asks a multi-valued form
    for, so a repeated field is signed the way the provider signs it.
    """

    def __init__(self, pairs: Sequence[Tuple[str, str]]) -> None:
        fields: Dict[str, List[str]] = {}
        for name, value in pairs:
            fields.setdefault(name, []).append(value)
        self._fields = fields

    def __getitem__(self, name: str) -> List[str]:
        return list(self._fields[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def getall(self, name: str) -> List[str]:
        return self[name]

    def single(self, name: str) -> Optional[str]:
        """The value of a field that must appear at most once (None when absent)."""
        values = self._fields.get(name)
        if values is None:
            return None
        if len(values) > 1:
            raise FormError(f"the form field {name} appears {len(values)} times; expected once")
        return values[0]


def parse_form(body: bytes, content_type: Optional[str]) -> WebhookForm:
    """The form in a request body, keeping empty values and repeated fields."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != FORM_CONTENT_TYPE:
        raise UnsupportedContentType(
            f"Content-Type must be {FORM_CONTENT_TYPE}, not {media_type or 'missing'}"
        )
    if len(body) > MAX_FORM_BYTES:
        raise FormTooLarge(f"the form is {len(body)} bytes; at most {MAX_FORM_BYTES} are accepted")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise FormError("the form is not percent-encoded UTF-8") from None
    return WebhookForm(pairs)


@dataclass(frozen=True)
class IncomingSms:
    """The fields of a verified webhook the channel acts on (the number stays in memory)."""

    message_sid: str
    number: str  # E.164
    body: str


def read_message(form: WebhookForm) -> IncomingSms:
    """MessageSid, sender and text of a webhook; ``FormError`` names what is missing or bad."""
    sid = form.single("MessageSid")
    if sid is None:
        raise FormError("the form has no MessageSid")
    if not _MESSAGE_SID.fullmatch(sid):
        raise FormError("MessageSid must be 1 to 64 letters and digits")
    number = normalize_number(form.single("From") or "")
    if number is None:
        raise FormError("From is not a phone number")
    return IncomingSms(message_sid=sid, number=number, body=form.single("Body") or "")
