"""Turn the bot's messages into SMS text: plain, numbered menu, folded to GSM-7, split into
parts, and after a rateable answer the line "Reply 9 if this did not help." The menu line and
the feedback line are in the language of the reply's latest bot message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from assistant.channels.feedback import rateable_in_reply
from assistant.channels.sms.language import reply_language
from assistant.channels.sms.menu import FEEDBACK_NUMBER, offered
from assistant.channels.sms.segments import (
    MAX_BODY_CHARS,
    fold_for_sms,
    is_gsm7,
    segment_count,
    split_message,
    to_gsm7,
)
from assistant.dialogue_names import (
    ENTRY_SMS_FEEDBACK_PROMPT,
    ENTRY_SMS_MENU,
    ENTRY_SMS_MENU_CHOICE,
    META_LANGUAGE,
)
from assistant.knowledge import EN, SMS, KnowledgeBase

_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


@dataclass(frozen=True)
class SmsReply:
    parts: List[str]  # one provider message each, in order
    menu: List[str]  # payloads of the numbered choices, "1" first
    feedback_prompt: bool = False  # the parts end with "Reply 9 if this did not help."


def plain(text: str) -> str:
    """Markdown a message may still carry, as plain text ("[911](tel:911)" -> "911")."""
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    return re.sub(r"(?m)^\s*[-*]\s+", "- ", text)


def feedback_prompt(messages: Sequence[Dict[str, Any]], knowledge: KnowledgeBase) -> Optional[str]:
    """The feedback line for a reply with a rateable answer, in that answer's language; None
    when the reply has none."""
    rated = rateable_in_reply(messages)
    if rated is None:
        return None
    language = str(rated.get(META_LANGUAGE) or EN)
    number = {"number": str(FEEDBACK_NUMBER)}
    return knowledge.render(ENTRY_SMS_FEEDBACK_PROMPT, SMS, number, language).text


def _as_sent(text: str, allow_unicode: bool) -> str:
    folded = fold_for_sms(text)  # curly quotes or an "ó" alone must not force UCS-2
    if is_gsm7(folded):
        return folded
    return folded if allow_unicode else to_gsm7(folded)


def shape_reply(
    messages: Sequence[Dict[str, Any]],
    knowledge: KnowledgeBase,
    allow_unicode: bool,
    max_segments: int = 2,
) -> SmsReply:
    """The SMS parts for the bot's messages. Buttons of the last message that has any become
    a numbered menu (of at most ``MAX_CHOICES``; the titles are the ones the actions sent, so
    already in the conversation's language). Emergencies stay first because message order
    is kept. After a rateable answer the feedback line ends the reply; its characters are kept
    free in the budget, so the length cap never cuts it off."""
    texts = [plain(str(m["text"])).strip() for m in messages if m.get("text")]
    buttons: List[Dict[str, str]] = []
    for message in messages:
        if message.get("buttons"):
            buttons = offered(message["buttons"])
    menu = [str(b["payload"]) for b in buttons]
    if buttons:
        language = reply_language(messages) or EN
        choices = ", ".join(
            knowledge.render(
                ENTRY_SMS_MENU_CHOICE, SMS, {"number": str(i), "title": str(b["title"])}, language
            ).text
            for i, b in enumerate(buttons, start=1)
        )
        texts.append(knowledge.render(ENTRY_SMS_MENU, SMS, {"choices": choices}, language).text)
    prompt = feedback_prompt(messages, knowledge)
    footer = [_as_sent(prompt, allow_unicode)] if prompt else []
    parts: List[str] = []
    for text in texts:
        parts.extend(split_message(_as_sent(text, allow_unicode), max_segments=max_segments))
    room = MAX_BODY_CHARS - sum(len(line) + 1 for line in footer)
    merged, cut = _merge_short(parts, max_segments, room)
    if cut:
        menu = []  # the menu text (last) did not fit: numbers must not map to unseen choices
    merged = _merge_short([*merged, *footer], max_segments, MAX_BODY_CHARS)[0]
    return SmsReply(parts=merged, menu=menu, feedback_prompt=bool(footer))


def _merge_short(
    parts: List[str], max_segments: int, max_chars: int = MAX_BODY_CHARS
) -> tuple[List[str], bool]:
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
        if total + len(part) > max_chars:
            return capped, True
        capped.append(part)
        total += len(part)
    return capped, False
