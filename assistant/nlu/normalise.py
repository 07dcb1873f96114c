"""Text normalisation applied to every user message before NLU (all channels, and training data).

``normalise(text)`` applies, in this order:

1. Typographic quotes and dashes to ASCII: right/left/low/reversed single quotes (U+2019,
   U+2018, U+201A, U+201B), prime U+2032, fullwidth apostrophe U+FF07, backtick and acute accent
   U+00B4 become ``'``; curly/low/reversed double quotes (U+201C, U+201D, U+201E, U+201F), double
   prime U+2033 and guillemets (U+00AB, U+00BB) become ``"``; en, em and figure dashes (U+2013,
   U+2014, U+2012) and minus sign U+2212 become ``-``. The mapping runs before Unicode NFKC
   (which would turn the acute accent into a space plus a combining accent, and the double
   prime into two primes) and again after it (NFKC turns the small em dash U+FE58 into U+2014).
2. Unicode NFKC: fullwidth letters and digits, ligatures, no-break and other exotic spaces become
   their plain forms; accents are composed, never dropped ("fiebre ú" stays).
3. Invisible characters removed: every format character (category Cf: zero-width space/joiners
   U+200B-U+200D, word joiner U+2060, BOM U+FEFF, soft hyphen U+00AD, bidi marks) and every
   control character (category Cc), except that control characters which are whitespace
   (\\n, \\t, \\r, vertical tab, form feed, ...) become a space. NFKC is then re-applied, since
   a removed character may have separated a letter from its combining accent.
4. Letter runs shortened: 3 or more of the same letter (case-insensitively) become 1 letter at
   the end of a word ("helppp" -> "help", "sooo" -> "so", "NOooo" -> "NO") and 2 letters inside a
   word ("cooool" -> "cool", "feeeever" -> "feever"). Words that are Roman numerals ("stage III",
   "VIII") and three-letter capital acronyms of one letter ("AAA") are left alone: shortening
   them would change their meaning.
5. Runs of 4 or more of the same ``?``, ``!`` or ``.`` become one ("????" -> "?"); shorter runs
   such as "..." are kept.
6. Whitespace folded: every run of Unicode whitespace becomes one space; the ends are stripped.

Case is preserved (the tokenizer lower-cases later), and so are digits. The function is pure
and idempotent: ``normalise(normalise(x)) == normalise(x)``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Dict

__all__ = ["normalise"]

_SINGLE_QUOTE = "'"
_DOUBLE_QUOTE = '"'
_DASH = "-"

_TYPOGRAPHIC: Dict[int, str] = {
    **{ord(c): _SINGLE_QUOTE for c in "\u2019\u2018\u201a\u201b\u2032\uff07`\u00b4"},
    **{ord(c): _DOUBLE_QUOTE for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"},
    **{ord(c): _DASH for c in "\u2013\u2014\u2012\u2212"},
}

# A word for the letter-run rule: a maximal run of letters (no digits, no underscore).
_LETTER_WORD = re.compile(r"[^\W\d_]+")
# The same letter 3 or more times, case-insensitively ("Ooo" is one run).
_LETTER_RUN = re.compile(r"(.)\1{2,}", re.IGNORECASE | re.DOTALL)
_ROMAN_NUMERAL = re.compile(
    r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})", re.IGNORECASE
)
_PUNCTUATION_RUN = re.compile(r"([?!.])\1{3,}")
_WHITESPACE = re.compile(r"\s+")
_INVISIBLE = frozenset(("Cf", "Cc"))


def _keep_or_drop(char: str) -> str:
    """The replacement of one Cf/Cc character: a space for whitespace, else nothing."""
    return " " if char.isspace() else ""


def _strip_invisible(text: str) -> str:
    return "".join(_keep_or_drop(c) if unicodedata.category(c) in _INVISIBLE else c for c in text)


def _is_exempt_word(word: str) -> bool:
    if _ROMAN_NUMERAL.fullmatch(word):
        return True
    return len(word) == 3 and word.isupper() and word[0] == word[1] == word[2]


def _shorten_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if len(word) < 3 or _is_exempt_word(word):
        return word

    def shorten(run: re.Match[str]) -> str:
        at_word_end = run.end() == len(word)
        return run.group(0)[:1] if at_word_end else run.group(0)[:2]

    return _LETTER_RUN.sub(shorten, word)


def normalise(text: str, *, shorten_runs: bool = True) -> str:
    """The text the NLU sees for what the patient typed (rules in the module docstring).

    ``shorten_runs=False`` skips rules 4 and 5 (letter and punctuation runs), for exact-word
    matching such as SMS keywords, where "stoppp" must not become "stop".
    """
    if not text:
        return text
    result = text.translate(_TYPOGRAPHIC)
    result = unicodedata.normalize("NFKC", result)
    result = result.translate(_TYPOGRAPHIC)
    result = unicodedata.normalize("NFKC", _strip_invisible(result))
    if shorten_runs:
        result = _LETTER_WORD.sub(_shorten_word, result)
        result = _PUNCTUATION_RUN.sub(r"\1", result)
    return _WHITESPACE.sub(" ", result).strip()
