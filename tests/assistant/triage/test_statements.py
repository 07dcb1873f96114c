"""A deny/cancel message that says more than a short reply is a statement."""

from __future__ import annotations

from typing import Optional

import pytest

from assistant.triage.statements import is_statement


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I can't stop coughing", "deny"),
        ("no one called me back", "deny"),
        ("no puedo dormir", "deny"),
        ("stop, my chest hurts", "cancel"),
        ("No, my infusion was moved to Friday", "deny"),
    ],
)
def test_statements(text: str, intent: str) -> None:
    assert is_statement(text, intent)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("no", "deny"),
        ("NO THANKS", "deny"),
        ("nope not now", "deny"),
        ("nah im good", "deny"),
        ("No, I dont want to", "deny"),
        ("no gracias", "deny"),
        ("no, gracias, ya nada", "deny"),
        ("stop it please", "cancel"),
        ("cancel that", "cancel"),
        ("never mind", "cancel"),
        ("stop texting me", "cancel"),  # one extra word is still a reply
        ("", "cancel"),
    ],
)
def test_short_replies(text: str, intent: str) -> None:
    assert not is_statement(text, intent)


@pytest.mark.parametrize("intent", ["greet", "affirm", "emergency", None])
def test_other_intents_are_never_statements(intent: Optional[str]) -> None:
    assert not is_statement("I can't stop coughing", intent)
