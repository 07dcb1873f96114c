"""Run-time values (a patient's name, the time they gave) put into an answer's markdown.

The web form of an answer is markdown, rendered by the widget. A value a patient typed must
show as typed, never become a link, an image, emphasis, a list or HTML. Characters markdown
gives a meaning anywhere in a line are backslash-escaped (CommonMark lets any ASCII punctuation
be escaped), as are the pieces that start an autolink (``://``, ``www.``, ``@``) and a number's
dot (``1.`` would start a list); line breaks become spaces. Ordinary text such as
"6:00 AM on Monday, June 15" is unchanged.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+\-!|<>~&@]|(?<=[0-9])\.|:(?=//)|(?<=www)\.", re.I)
_LINE_BREAK = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")


def escape_markdown(value: str) -> str:
    """``value`` as literal markdown text."""
    return _SPECIAL.sub(lambda match: "\\" + match.group(0), _LINE_BREAK.sub(" ", value))
