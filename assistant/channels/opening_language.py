"""The language a new conversation opens in, on channels without a page language (SMS, REST).

Rasa runs the session start (and its disclaimer) before it reads the first message, so the
channel passes the detector's guess of that message as ``META_PAGE_LANGUAGE`` when it is at
least fairly sure (``FIRST_WORD_FLOOR``). The actions use it only at a session's start and on
its first message (``assistant.language.choice``); later messages' guesses change nothing.
"""

from __future__ import annotations

from typing import Dict

from assistant.dialogue_names import META_PAGE_LANGUAGE
from assistant.knowledge.base import KnowledgeBase
from assistant.language.choice import FIRST_WORD_FLOOR
from assistant.language.detect import detect
from assistant.language.vocabulary import vocabulary_of


def opening_language(text: str, knowledge: KnowledgeBase) -> Dict[str, str]:
    """``{META_PAGE_LANGUAGE: "en" | "es"}`` for ``text``, or ``{}`` when unsure (a name,
    gibberish, or a guess below the floor)."""
    detection = detect(text, vocabulary_of(knowledge))
    if detection.guess is None or detection.confidence < FIRST_WORD_FLOOR:
        return {}
    return {META_PAGE_LANGUAGE: detection.guess}
