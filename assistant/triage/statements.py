"""A "no" or "stop" that says more than a short reply is a statement, not a command.

"I can't stop coughing", "no one called me back", "no puedo dormir": the classifier may read
``deny`` or ``cancel`` from the first word. Outside a form the dialogue then answers what the
message is about instead of "OK, I've stopped".
"""

from __future__ import annotations

import re
from typing import Optional

from assistant.dialogue_names import CANCEL, DENY

COMMAND_INTENTS = frozenset({DENY, CANCEL})
# Words a short reply is made of: "no thanks", "stop it please", "nope not now", "cancel that".
_REPLY_WORDS = frozenset(
    """
    no nope nah not never stop cancel quit end nevermind never mind forget it that this please
    pls thanks thank you ty now right thx ok okay i im i'm dont don't do want to need a the
    for me just all good fine rather sorry actually maybe later no, gracias ya nada
    """.split()
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
MAX_EXTRA_WORDS = 1


def is_statement(text: str, intent: Optional[str]) -> bool:
    """Whether a ``deny``/``cancel`` message carries words beyond a short reply."""
    if intent not in COMMAND_INTENTS:
        return False
    words = _WORD.findall(text.lower())
    extra = [word for word in words if word not in _REPLY_WORDS]
    return len(extra) > MAX_EXTRA_WORDS
