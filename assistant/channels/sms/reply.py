"""Turn the bot's messages into SMS text: plain, numbered menu, GSM-7, split into parts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

from assistant.channels.sms.segments import (
    MAX_BODY_CHARS,
    is_gsm7,
    replace_typography,
    segment_count,
    split_message,
    to_gsm7,
)
from assistant.dialogue_names import ENTRY_SMS_MENU, ENTRY_SMS_MENU_CHOICE
from assistant.knowledge import SMS, KnowledgeBase

_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


@dataclass(frozen=True)
class SmsReply:
    parts: List[str]  # one provider message each, in order
    menu: List[str]  # payloads of the numbered choices, "1" first


def plain(text: str) -> str:
    """Markdown a message may still carry, as plain text ("[911](tel:911)" -> "911")."""
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    return re.sub(r"(?m)^\s*[-*]\s+", "- ", text)


def shape_reply(
    messages: Sequence[Dict[str, Any]],
    knowledge: KnowledgeBase,
    allow_unicode: bool,
    max_segments: int = 2,
) -> SmsReply:
    """The SMS parts for the bot's messages. Buttons of the last message that has any become
    a numbered menu. Emergencies stay first because message order is kept."""
    texts = [plain(str(m["text"])).strip() for m in messages if m.get("text")]
    buttons: List[Dict[str, str]] = []
    for message in messages:
        if message.get("buttons"):
            buttons = list(message["buttons"])
    menu = [str(b["payload"]) for b in buttons]
    if buttons:
        choices = ", ".join(
            knowledge.render(
                ENTRY_SMS_MENU_CHOICE, SMS, {"number": str(i), "title": str(b["title"])}
            ).text
            for i, b in enumerate(buttons, start=1)
        )
        texts.append(knowledge.render(ENTRY_SMS_MENU, SMS, {"choices": choices}).text)
    parts: List[str] = []
    for text in texts:
        typographic = replace_typography(text)
        if is_gsm7(typographic):
            text = typographic  # curly quotes alone must not force UCS-2
        elif not allow_unicode:
            text = to_gsm7(text)
        parts.extend(split_message(text, max_segments=max_segments))
    merged, cut = _merge_short(parts, max_segments)
    if cut:
        menu = []  # the menu text (last) did not fit: numbers must not map to unseen choices
    return SmsReply(parts=merged, menu=menu)


def _merge_short(parts: List[str], max_segments: int) -> tuple[List[str], bool]:
    """Join consecutive parts while they still fit, so a reply uses as few messages as
    possible. Also says whether the character cap cut anything off the end."""
    merged: List[str] = []
    for part in parts:
        if merged and segment_count(f"{merged[-1]}\n{part}") <= max_segments:
            merged[-1] = f"{merged[-1]}\n{part}"
        else:
            merged.append(part)
    total = 0
    capped: List[str] = []
    for part in merged:
        if total + len(part) > MAX_BODY_CHARS:
            return capped, True
        capped.append(part)
        total += len(part)
    return capped, False
