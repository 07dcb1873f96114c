"""Patient-typed values cannot inject markdown into the bot's web answers."""

from __future__ import annotations

import re

import pytest

from assistant.knowledge import SMS, WEB, KnowledgeBase
from assistant.knowledge.markdown import escape_markdown

# What a patient could type as a name or a time to turn the confirmation into something else.
INJECTIONS = [
    "[call this number](https://evil.example/pay)",
    "![x](https://evil.example/track.png)",
    "**URGENT** pay _now_",
    "<img src=x onerror=alert(1)>",
    "Jane\n# Your account is locked\n1. visit www.evil.example",
    "`code` ~~gone~~ | table |",
    "jane.doe@example.org",
    "https://evil.example",
]


def _unescaped(text: str, chars: str) -> list[str]:
    """The characters of ``chars`` in ``text`` not preceded by a backslash."""
    return re.findall(r"(?<!\\)[" + re.escape(chars) + "]", text)


@pytest.mark.parametrize("value", INJECTIONS)
def test_markdown_syntax_in_a_value_is_escaped(value: str) -> None:
    escaped = escape_markdown(value)
    assert not _unescaped(escaped, "[]()*_<>`~|!#@")
    assert "\n" not in escaped
    assert not re.search(r"(?<!\\)://", escaped) and "www." not in escaped.lower()
    # Removing the escapes gives back what was typed (line breaks folded into spaces).
    assert re.sub(r"\\(.)", r"\1", escaped) == re.sub(r"\s*\n\s*", " ", value)


@pytest.mark.parametrize("value", ["6:00 AM on Monday, June 15", "after 3pm", "Jane O'Neil"])
def test_ordinary_text_is_unchanged(value: str) -> None:
    assert escape_markdown(value) == value


def test_web_answer_escapes_patient_values_and_sms_keeps_them(knowledge: KnowledgeBase) -> None:
    value = "[call](https://evil.example)"
    web = knowledge.render("support.handoff_closed", WEB, {"next_open": value}).text
    sms = knowledge.render("support.handoff_closed", SMS, {"next_open": value}).text
    assert value not in web and escape_markdown(value) in web
    assert value in sms
