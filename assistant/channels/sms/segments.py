"""GSM-7 / UCS-2 segment arithmetic, folding to GSM-7 and sentence-aware splitting of SMS
replies.

One character outside GSM-7 (an "ó", a curly quote) sends the whole message as UCS-2: 70
characters a segment (67 when concatenated) instead of 160 (153). Spanish texts are written
with accents, so every outgoing body is folded first (``fold_for_sms``): á í ó ú become a i o u,
while é ñ ü ¿ ¡ are GSM-7 and stay (measured in docs/sms.md).
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import List

from assistant.knowledge.models import GSM7_CHARACTERS, fold_to_gsm7

GSM7_EXTENDED = set("^{}\\[~]|€")  # cost two septets each
GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
MAX_BODY_CHARS = 1600  # the provider's limit for one message body

# Typographic characters that would force UCS-2, with their GSM-7 stand-ins.
_GSM7_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2022": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u200b": "",
}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_CHARACTERS for ch in text)


def septets(text: str) -> int:
    """GSM-7 length: extension-table characters count twice."""
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)


def ucs2_units(text: str) -> int:
    """UTF-16 code units (emoji outside the BMP count twice)."""
    return len(text.encode("utf-16-le")) // 2


def segment_count(text: str) -> int:
    """How many SMS segments ``text`` takes (0 for an empty text)."""
    if not text:
        return 0
    if is_gsm7(text):
        length, single, multi = septets(text), GSM7_SINGLE, GSM7_MULTI
    else:
        length, single, multi = ucs2_units(text), UCS2_SINGLE, UCS2_MULTI
    return 1 if length <= single else math.ceil(length / multi)


def replace_typography(text: str) -> str:
    """Curly quotes, dashes, ellipses and odd spaces as their GSM-7 stand-ins."""
    return "".join(_GSM7_REPLACEMENTS.get(ch, ch) for ch in text)


def fold_for_sms(text: str) -> str:
    """``text`` as the channel sends it: typographic characters as their GSM-7 stand-ins and
    letters GSM-7 lacks as their base letter ("información" -> "informacion"). Anything else
    (another script, emoji) is kept; idempotent."""
    return fold_to_gsm7(replace_typography(text))


def to_gsm7(text: str) -> str:
    """Replace typographic characters with GSM-7 ones and drop whatever else (emoji)."""
    replaced = replace_typography(text)
    kept = []
    for ch in replaced:
        if ch in GSM7_CHARACTERS:
            kept.append(ch)
            continue
        # Accented letters outside GSM-7 lose their accent (e.g. "ó" -> "o").
        base = unicodedata.normalize("NFKD", ch)[0]
        if base in GSM7_CHARACTERS and base.strip():
            kept.append(base)
    return re.sub(r"[ \t]{2,}", " ", "".join(kept)).strip()


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_message(text: str, max_segments: int = 2, max_chars: int = MAX_BODY_CHARS) -> List[str]:
    """Split at sentence (then word) boundaries into parts of at most ``max_segments``
    segments each; the parts together never exceed ``max_chars`` characters."""
    text = text.strip()
    if not text:
        return []
    sentences = [s for part in text.split("\n") for s in _SENTENCE_END.split(part) if s.strip()]
    parts: List[str] = []
    current = ""
    for sentence in sentences:
        for piece in _fit_words(sentence.strip(), max_segments):
            candidate = f"{current} {piece}".strip() if current else piece
            if segment_count(candidate) <= max_segments:
                current = candidate
            else:
                if current:
                    parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return _cap_total(parts, max_chars)


def _cut_word(word: str, max_segments: int) -> List[str]:
    """A single word longer than a part (a long link) is cut into pieces that fit."""
    pieces: List[str] = []
    while word:
        size = len(word)
        while segment_count(word[:size]) > max_segments:
            size -= 1
        pieces.append(word[:size])
        word = word[size:]
    return pieces


def _fit_words(sentence: str, max_segments: int) -> List[str]:
    """A sentence too long for one part is cut between words (or inside an overlong word)."""
    if segment_count(sentence) <= max_segments:
        return [sentence]
    pieces: List[str] = []
    current = ""
    words = [p for word in sentence.split() for p in _cut_word(word, max_segments)]
    for word in words:
        candidate = f"{current} {word}".strip()
        if segment_count(candidate) <= max_segments or not current:
            current = candidate
        else:
            pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces


def _cap_total(parts: List[str], max_chars: int) -> List[str]:
    kept: List[str] = []
    total = 0
    for part in parts:
        if total + len(part) > max_chars:
            room = max_chars - total
            if room > 20:
                kept.append(part[: room - 3].rsplit(" ", 1)[0] + "...")
            break
        kept.append(part)
        total += len(part)
    return kept
