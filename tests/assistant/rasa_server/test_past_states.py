"""``past_states.remembering`` gives Rasa's past states, works them out once per history,
and gives each caller a copy it may change."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, List

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.rasa_server.past_states import remembering

ROOT = Path(__file__).resolve().parents[3]
RASAS = DialogueStateTracker.past_states
RULE_ONLY = {"rule_only_slots": [], "rule_only_loops": ["callback_form"]}


@pytest.fixture
def domain() -> Domain:
    return Domain.load(ROOT / "domain.yml")


def _walk(domain: Domain, seed: int) -> DialogueStateTracker:
    pick = random.Random(seed)
    intents = sorted(domain.intents)
    actions = [a for a in domain.action_names_or_texts if a.startswith(("utter_", "action_"))]
    events: List[Event] = [ActionExecuted(ACTION_LISTEN_NAME)]
    for _ in range(pick.randint(1, 5)):
        events.append(UserUttered("text", {"name": pick.choice(intents), "confidence": 0.9}))
        events.append(ActionExecuted(pick.choice(actions)))
        if pick.random() < 0.3:
            events.append(SlotSet(pick.choice(list(domain.slots)).name, "value"))
        events.append(ActionExecuted(ACTION_LISTEN_NAME))
    return DialogueStateTracker.from_events(f"walk-{seed}", events, domain.slots)


def test_answers_are_rasas_also_from_memory(domain: Domain) -> None:
    remembered = remembering(RASAS)
    for seed in range(40):
        tracker = _walk(domain, seed)
        for ignore_rule_only_turns in (False, True):
            for _ in range(2):
                got = remembered(tracker, domain, False, ignore_rule_only_turns, RULE_ONLY)
                assert got == RASAS(tracker, domain, False, ignore_rule_only_turns, RULE_ONLY)


def test_one_work_out_per_history_and_question(domain: Domain) -> None:
    calls: List[Any] = []

    def counting(*args: Any) -> Any:
        calls.append(args[2:])
        return RASAS(*args)

    remembered = remembering(counting)
    tracker = _walk(domain, 1)
    first = remembered(tracker, domain, False, False, RULE_ONLY)
    first[-1].clear()  # a caller changes what it got (as _choose_last_user_input does)
    first[0]["prev_action"] = {}
    assert remembered(tracker, domain, False, False, dict(RULE_ONLY)) == RASAS(
        tracker, domain, False, False, RULE_ONLY
    )
    assert len(calls) == 1
    remembered(tracker, domain, False, True, RULE_ONLY)
    remembered(tracker, domain, False, False, {"rule_only_slots": [], "rule_only_loops": []})
    remembered(tracker, domain, True, False, RULE_ONLY)
    assert len(calls) == 4  # a different question is worked out anew
    tracker.update(ActionExecuted("action_answer"))
    after = remembered(tracker, domain, False, False, RULE_ONLY)
    assert len(calls) == 5  # and so is a longer history
    assert after == RASAS(tracker, domain, False, False, RULE_ONLY)
    other_domain = Domain.load(ROOT / "domain.yml")
    remembered(tracker, other_domain, False, False, RULE_ONLY)
    assert len(calls) == 6
