"""An explicit request for a language in the patient's words: "en español", "English please",
"¿habla español?", "in spanish". Naming a language in passing ("my daughter speaks Spanish")
is not a request; the ``change_language`` intent says when the whole message is one."""

from __future__ import annotations

import re
from typing import Optional

from assistant.dialogue_names import LANGUAGE_EN, LANGUAGE_ES
from assistant.language.folding import fold_accents

_NAMES = {
    LANGUAGE_ES: r"(?:espanol|espanish|spanish|spanich|castellano)",
    LANGUAGE_EN: r"(?:ingles|english|inglish|engl?ish)",
}
_PLEASE = r"(?:please|pls|plz|por\s*favor|porfa|porfavor|x\s*fa)"
# "do you speak", "can you answer", "¿habla?", "puede contestarme", at the start of the message
_ASK = (
    r"^\W*(?:(?:do|can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?"
    r"|(?:usted\s+|tu\s+)?(?:puede|puedes|podria|podrias)\s+)?"
    r"(?:speak|talk|answer|respond|reply|write|text|habla|hablas|hablan|contesta|responde|escribe)"
)


def _patterns(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"\b(?:en|in)\s+{name}\b"  # "en español", "in english"
        rf"|\b{name}\s*,?\s*{_PLEASE}"  # "english please", "español por favor"
        rf"|{_ASK}\w*\s+(?:(?:in|en|me|le|to\s+me|me\s+in)\s+)*{name}\b"  # "¿habla español?"
        rf"|^\W*{name}\W*$"  # just "español"
    )


_REQUESTS = {language: _patterns(name) for language, name in _NAMES.items()}
_MENTIONS = {language: re.compile(rf"\b{name}\b") for language, name in _NAMES.items()}


def requested_language(text: str) -> Optional[str]:
    """The language the text asks for, if it clearly asks for one (none when it names both)."""
    folded = fold_accents(text)
    found = [language for language, pattern in _REQUESTS.items() if pattern.search(folded)]
    if len(found) != 1 or named_language(text) is None:  # both languages named: not clear
        return None
    return found[0]


def named_language(text: str) -> Optional[str]:
    """The one language the text names at all (for a ``change_language`` message)."""
    folded = fold_accents(text)
    found = [language for language, pattern in _MENTIONS.items() if pattern.search(folded)]
    return found[0] if len(found) == 1 else None
