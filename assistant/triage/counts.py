"""Red flags that are amounts: a temperature, how many times a day diarrhea came, and too
many pills already taken.

The red-flag sheet puts a fever at about 100.4 °F / 38 °C or higher, and diarrhea four or more
times a day at "call the care team now"; an overdose already taken is 911 now (and 988). The
numbers only route a message; the assistant never states them as advice.
"""

from __future__ import annotations

import re
from typing import Optional

FEVER = "fever"
DIARRHEA = "diarrhea"
OVERDOSE = "overdose"

FEVER_F = 100.4
FEVER_C = 38.0
HIGHEST_F = 110.0
HIGHEST_C = 43.0
STOOLS_A_DAY = 4

_NUMBER = r"(\d{2,3}(?:[.,]\d{1,2})?)"
# Words that may stand between "temp"/"fever" and its number: "temp of 101", "fever is
# about 38.6", "fiebre de 39"; anything else ("no fever, I'm 39") is not a temperature.
_LINK = r"(?:\s*(?:(?:of|is|was|at|around|about|over|like|reading|de|es|como)\b|[:=~]))"
# "101F", "100.8 °F", "38,5 grados", "temp of 101", "temperature is 38.6", "fiebre de 39"
_TEMPERATURE = re.compile(
    rf"(?:\b(?:temp(?:erature)?|fever|fiebre|temperatura|calentura)\b{_LINK}{{0,3}}\s*{_NUMBER})"
    rf"|(?:{_NUMBER}\s*(?:°|º|degrees?|deg\b|grados?\b|[fc]\b))",
    re.IGNORECASE,
)
_COUNT_WORDS = {
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
}  # fmt: skip
_TIMES = re.compile(
    r"\b(\d{1,2}|" + "|".join(_COUNT_WORDS) + r")\s*(?:x\b|times|veces|bowel|loose|watery|trips)",
    re.IGNORECASE,
)
_DIARRHEA_WORDS = re.compile(
    r"diarr?h?o?ea|diarea|diarrea|diarhea|the runs|loose|watery|stool|poop|bathroom|bowel"
    r"|evacu|heces|ba[ñn]o",
    re.IGNORECASE,
)


def _as_float(number: str) -> float:
    return float(number.replace(",", "."))


def has_fever_temperature(text: str) -> bool:
    """A temperature at or above the fever line, in °F or °C."""
    for match in _TEMPERATURE.finditer(text):
        number = match.group(1) or match.group(2)
        value = _as_float(number)
        if FEVER_F <= value <= HIGHEST_F or FEVER_C <= value <= HIGHEST_C:
            return True
    return False


_CLAUSE = re.compile(r"[.;!?]|\b(?:but|pero)\b", re.IGNORECASE)
_NEGATED_WORD = re.compile(r"\b(?:no|not|without|sin|ni)\s+(?:\w+\s+)?$", re.IGNORECASE)


def _mentions_diarrhea(clause: str) -> bool:
    """A diarrhea word in the clause that no "no"/"without"/"sin" stands right before."""
    return any(
        not _NEGATED_WORD.search(clause[: match.start()])
        for match in _DIARRHEA_WORDS.finditer(clause)
    )


def diarrhea_count(text: str) -> Optional[int]:
    """The largest "N times" said in the same clause as a (not negated) diarrhea word."""
    counts = []
    for clause in _CLAUSE.split(text):
        if not _mentions_diarrhea(clause):
            continue
        for match in _TIMES.finditer(clause):
            word = match.group(1).lower()
            counts.append(int(word) if word.isdigit() else _COUNT_WORDS[word])
    return max(counts) if counts else None


# Taken (past tense: already swallowed), an amount, and pills: "took the whole bottle of my
# pills", "swallowed a handful of pills", "ate like 20 of his oxycodone", "OD'd on my meds",
# "se tomó muchas pastillas". "Do I take all my pills with food?" names no past intake.
_TAKEN = (
    r"(?:took|taken|swallowed|ate|eaten|downed|popped|od'?d|o\.d\.?'?d|overdosed"
    r"|(?:se|me|te)\s+tom[oóé]|tom[oó]|se\s+trag[oó]|me\s+tragu[eé])"
)
_AMOUNT = (
    r"(?:all|whole|entire|bunch|handful|lots?|too\s+many|too\s+much|extra|several|[5-9]|\d{2,3}"
    r"|muchas|todas|un\s+frasco|de\s+m[aá]s|un\s+mont[oó]n|un\s+pu[nñ]ado)"
)
_PILLS = (
    r"(?:pills?|meds?|medications?|medicines?|tablets?|capsules?|bottle|oxy\w*|opioids?"
    r"|painkillers?|sleeping\s+pills|pastillas?|medicinas?|medicamentos?|pills)"
)
_OVERDOSE = re.compile(
    rf"\b{_TAKEN}\b(?:[^.;!?]{{0,40}}?\b{_AMOUNT}\b[^.;!?]{{0,40}}?\b{_PILLS}\b"
    rf"|[^.;!?]{{0,12}}?\bon\s+(?:my|his|her|their)\s+\w*\s*{_PILLS}\b)"
    # the pills named first: "got into the pill box and ate a bunch of them"
    rf"|\b{_PILLS}\b[^.;!?]{{0,60}}?\b{_TAKEN}\b[^.;!?]{{0,20}}?\b{_AMOUNT}\b",
    re.IGNORECASE,
)


def has_taken_an_overdose(text: str) -> bool:
    """Pills or medicine already taken in a large amount."""
    return bool(_OVERDOSE.search(text))


def numeric_red_flag(text: str) -> Optional[str]:
    """The red-flag key an amount in the message points to (``overdose``, ``fever`` or
    ``diarrhea``)."""
    if has_taken_an_overdose(text):
        return OVERDOSE
    if has_fever_temperature(text):
        return FEVER
    count = diarrhea_count(text)
    if count is not None and count >= STOOLS_A_DAY:
        return DIARRHEA
    return None
