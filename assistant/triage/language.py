"""A small English-or-Spanish guess for one message, enough for the Spanish safety floor.

It counts words that are common in one language and rare in the other, words that only one
language's vocabulary has ("aguanto", "wheezing"), plus Spanish-only marks (¿ ¡ ñ and accented
vowels). A short reply such as "no", "sí" or "1" stays undecided, so it never flips the
language of a conversation. A message with clear words of both ("i feel like ending it, ya
no aguanto") is mixed: safety answers then come in both languages.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

from assistant.language.folding import fold_accents
from assistant.triage.vocabulary import known_words

EN = "en"
ES = "es"

_SPANISH_WORDS = frozenset(
    """
    no a el la los las un una unos unas del al de que y o pero porque por para con sin en mi mis tu
    su sus mí tú él ella ellos ellas nosotros usted ustedes yo me te se le les lo nos es son
    está están estoy estás estamos soy eres fue era hay tengo tiene tienen tenemos tuve puedo
    puede pueden quiero quiere necesito necesita muy mucho mucha muchos mucho más menos ya
    también tambien cómo como qué que cuándo cuando dónde donde cuál cual quién quien por favor
    gracias hola buenos buenas días dias tardes noches ayuda ayúdame ayudame ahora hoy ayer
    mañana manana desde hace mi esposo esposa mamá mama papá papa hijo hija abuela abuelo
    dolor duele fiebre pecho respirar cabeza siento estoy estaba vivir morir quiero nada
    algo alguien esto eso este esta ese esa aquí aqui allí alli sí tratamiento inmunoterapia
    infusión infusion horario médico medico enfermera hablar llamar puedo todo todos
    """.split()
)
_ENGLISH_WORDS = frozenset(
    """
    the a an of and or but because for with without in on at my your his her their our i you
    he she it we they me him them us is are am was were be been being have has had do does did
    can could will would should may might must not no yes what when where which who how why
    this that these those there here please thanks thank hello hi help now today yesterday
    tomorrow since after before feel feeling pain chest breathe breathing want need infusion
    treatment immunotherapy doctor nurse call talk if so very much more less just about
    """.split()
)
_SPANISH_MARKS = re.compile(r"[¿¡ñáíóúü]")
_WORD = re.compile(r"[^\W\d_]+")


_SPANISH_FOLDED = frozenset(fold_accents(word) for word in _SPANISH_WORDS)


MIN_VOCABULARY_WORD = 4


def _scores(text: str) -> Tuple[int, int, int, int, int]:
    """(Spanish evidence, English evidence, the same two without the words both lists share,
    number of words). Shared words ("no", "a", "me") count for both in the evidence only."""
    lowered = text.lower()
    words = _WORD.findall(lowered)
    spanish = english = own_spanish = own_english = 0
    for word in words:
        listed_es = word in _SPANISH_WORDS or fold_accents(word) in _SPANISH_FOLDED
        listed_en = word in _ENGLISH_WORDS
        if listed_es or listed_en:
            spanish += listed_es
            english += listed_en
            own_spanish += listed_es and not listed_en
            own_english += listed_en and not listed_es
            continue
        if len(word) < MIN_VOCABULARY_WORD:
            continue
        in_es = word in known_words("es")
        in_en = word in known_words("en")
        only_es = in_es and not in_en
        only_en = in_en and not in_es
        spanish += only_es
        english += only_en
        own_spanish += only_es
        own_english += only_en
    marks = 2 * len(_SPANISH_MARKS.findall(lowered))  # marks only for Spanish
    return spanish + marks, english, own_spanish + marks, own_english, len(words)


MIXED_LEAST = 2
MIXED_SHARE = 0.3


def is_mixed(text: str) -> bool:
    """Clear words of both languages in one message (shared words aside): at least two of
    each, and the smaller side at least a third of the larger."""
    _, _, spanish, english, _ = _scores(text)
    low, high = sorted((spanish, english))
    return low >= MIXED_LEAST and low >= MIXED_SHARE * high


def guess_language(text: str) -> Optional[str]:
    """``"es"``, ``"en"``, or None when the message says too little to tell."""
    spanish, english, _, _, count = _scores(text)
    if count < 2:
        return None
    if spanish > english:
        return ES
    if english > spanish:
        return EN
    return None
