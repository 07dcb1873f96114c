"""normalise(): one row or more per rule, and idempotence over every row."""

from __future__ import annotations

import pytest

from assistant.nlu.normalise import normalise

CASES = [
    # Unicode NFKC: fullwidth letters, digits, punctuation; ligatures; exotic spaces.
    pytest.param("\uff33\uff34\uff2f\uff30", "STOP", id="nfkc-fullwidth-letters"),
    pytest.param(
        "\uff44\uff4f\uff53\uff45 \uff11\uff10\uff4d\uff47\uff1f",
        "dose 10mg?",
        id="nfkc-fullwidth-digits-punctuation",
    ),
    pytest.param("\ufb01ve", "five", id="nfkc-ligature"),
    pytest.param("e\u0301", "\u00e9", id="nfkc-composes-accent"),
    pytest.param("a\u00a0b\u3000c", "a b c", id="nfkc-no-break-and-ideographic-space"),
    # Single quotes and apostrophes.
    pytest.param("don\u2019t", "don't", id="quote-right-single"),
    pytest.param("\u2018yes\u2019", "'yes'", id="quote-left-single"),
    pytest.param("\u201ayes\u201b", "'yes'", id="quote-low-and-reversed-single"),
    pytest.param("5\u2032", "5'", id="quote-prime"),
    pytest.param("don\uff07t", "don't", id="quote-fullwidth-apostrophe"),
    pytest.param("don`t", "don't", id="quote-backtick"),
    pytest.param("don\u00b4t", "don't", id="quote-acute-accent"),
    # Double quotes.
    pytest.param("\u201chelp\u201d", '"help"', id="quote-curly-double"),
    pytest.param("\u201ehelp\u201f", '"help"', id="quote-low-and-reversed-double"),
    pytest.param("6\u2033", '6"', id="quote-double-prime"),
    pytest.param("\u00abayuda\u00bb", '"ayuda"', id="quote-guillemets"),
    pytest.param("\uff02hi\uff02", '"hi"', id="quote-fullwidth-double"),
    # Dashes.
    pytest.param("2\u20133 weeks", "2-3 weeks", id="dash-en"),
    pytest.param("wait\u2014why", "wait-why", id="dash-em"),
    pytest.param("555\u20121234", "555-1234", id="dash-figure"),
    pytest.param("\u22125", "-5", id="dash-minus-sign"),
    pytest.param("a\ufe58b", "a-b", id="dash-small-em-via-nfkc"),
    # Zero-width and other format characters (category Cf).
    pytest.param("st\u200bop", "stop", id="cf-zero-width-space"),
    pytest.param("st\u200cop\u200d", "stop", id="cf-zero-width-joiners"),
    pytest.param("st\u2060op", "stop", id="cf-word-joiner"),
    pytest.param("\ufeffhello", "hello", id="cf-bom-leading"),
    pytest.param("hel\ufefflo", "hello", id="cf-bom-inside"),
    pytest.param("infu\u00adsion", "infusion", id="cf-soft-hyphen"),
    pytest.param("\u200ehello\u200f", "hello", id="cf-bidi-marks"),
    pytest.param("\u202ahello\u202c \u2066x\u2069", "hello x", id="cf-bidi-embedding-isolate"),
    pytest.param("e\u200b\u0301", "\u00e9", id="cf-removed-then-accent-composed"),
    # Control characters (category Cc).
    pytest.param("line1\nline2", "line1 line2", id="cc-newline-to-space"),
    pytest.param("a\tb", "a b", id="cc-tab-to-space"),
    pytest.param("a\r\nb", "a b", id="cc-crlf-to-space"),
    pytest.param("a\x0bb\x0cc", "a b c", id="cc-vertical-tab-form-feed-to-space"),
    pytest.param("he\x00llo\x07", "hello", id="cc-nul-bell-removed"),
    pytest.param("\x1b[31mred", "[31mred", id="cc-escape-removed"),
    pytest.param("ok\x7f", "ok", id="cc-delete-removed"),
    # Letter runs at the end of a word: 3+ become 1.
    pytest.param("helppp", "help", id="run-end-helppp"),
    pytest.param("sooo", "so", id="run-end-sooo"),
    pytest.param("plsss", "pls", id="run-end-plsss"),
    pytest.param("nooo", "no", id="run-end-nooo"),
    pytest.param("NOOOO", "NO", id="run-end-uppercase"),
    pytest.param("NOooo", "NO", id="run-end-mixed-case"),
    pytest.param("helppp!!", "help!!", id="run-end-before-punctuation"),
    pytest.param("yesss please", "yes please", id="run-end-before-space"),
    pytest.param("siii", "si", id="run-end-spanish"),
    # Letter runs inside a word: 3+ become 2.
    pytest.param("cooool", "cool", id="run-inside-cooool"),
    pytest.param("feeeever", "feever", id="run-inside-feeeever"),
    pytest.param("pleeeease", "pleease", id="run-inside-pleeeease"),
    pytest.param("aaargh", "aargh", id="run-inside-word-start"),
    # Runs of 2 and non-letters are left alone.
    pytest.param("helpp", "helpp", id="run-of-two-kept"),
    pytest.param("coffee", "coffee", id="run-double-letters-kept"),
    pytest.param("___", "___", id="run-underscores-kept"),
    # Roman numerals and one-letter capital acronyms keep their meaning.
    pytest.param("stage III melanoma", "stage III melanoma", id="roman-iii"),
    pytest.param("grade VIII", "grade VIII", id="roman-viii"),
    pytest.param("phase iii trial", "phase iii trial", id="roman-lowercase"),
    pytest.param("AAA repair", "AAA repair", id="acronym-aaa"),
    # Digits untouched.
    pytest.param("1000", "1000", id="digits-1000"),
    pytest.param("call 310-555-0000", "call 310-555-0000", id="digits-phone"),
    pytest.param("\u0661\u0662\u0663", "\u0661\u0662\u0663", id="digits-arabic-indic"),
    # Accents and case kept.
    pytest.param("fiebre \u00fa", "fiebre \u00fa", id="accent-spanish"),
    pytest.param("Ni\u00f1o M\u00e9dico", "Ni\u00f1o M\u00e9dico", id="accent-and-case"),
    pytest.param("\u00bfQu\u00e9 es?", "\u00bfQu\u00e9 es?", id="accent-inverted-question"),
    # Whitespace folded and stripped.
    pytest.param("  too   many    spaces  ", "too many spaces", id="ws-spaces"),
    pytest.param("a\u2003\u2009b", "a b", id="ws-em-thin-space"),
    pytest.param("a\u2028b\u2029c", "a b c", id="ws-line-paragraph-separator"),
    pytest.param(" \n\t ", "", id="ws-only"),
    pytest.param("a \u200b b", "a b", id="ws-around-removed-char"),
    # Punctuation runs: 4+ of the same ? ! . become one; shorter runs kept.
    pytest.param("why????", "why?", id="punct-question-4"),
    pytest.param("help!!!!!!", "help!", id="punct-bang-6"),
    pytest.param("wait....", "wait.", id="punct-dots-4"),
    pytest.param("hmm...", "hmm...", id="punct-ellipsis-kept"),
    pytest.param("what???", "what???", id="punct-three-kept"),
    pytest.param("what?!?!", "what?!?!", id="punct-mixed-kept"),
    pytest.param("\uff1f\uff1f\uff1f\uff1f", "?", id="punct-fullwidth-via-nfkc"),
    # Empty text and plain text unchanged.
    pytest.param("", "", id="empty"),
    pytest.param("Can I drive after my infusion?", "Can I drive after my infusion?", id="plain"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_normalise_is_idempotent(text: str, expected: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("\uff33\uff34\uff2f\uff30\u200b", "STOP", id="unicode-rules-still-apply"),
        pytest.param("stoppp", "stoppp", id="letter-runs-kept"),
        pytest.param("stop!!!!", "stop!!!!", id="punctuation-runs-kept"),
    ],
)
def test_shorten_runs_off_keeps_runs(text: str, expected: str) -> None:
    assert normalise(text, shorten_runs=False) == expected
