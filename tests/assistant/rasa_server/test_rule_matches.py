"""``RuleMatches`` answers as ``RulePolicy._get_possible_keys`` does: on made-up rules that
read a slot, a previous action and a user text, and on this project's trained rules over its
training conversations and random walks through its intents."""

from __future__ import annotations

import json
import random
from functools import partial
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set, Tuple

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from assistant.ops.train import ensure_model
from assistant.rasa_server.graph_runner import PlannedGraphRunner
from assistant.rasa_server.rule_matches import RuleMatches, what_rules_see

ROOT = Path(__file__).resolve().parents[3]
RASAS = RulePolicy._get_possible_keys


def _rule(*states: Dict[str, Dict[str, Any]]) -> str:
    return json.dumps(list(states), sort_keys=True)


LISTEN = {"prev_action": {"action_name": ACTION_LISTEN_NAME}}
GREET = {**LISTEN, "user": {"intent": "greet"}}
LOOKUP = {
    _rule(GREET): "utter_greet",
    _rule({**GREET, "slots": {"returning": (1.0,)}}): "utter_welcome_back",
    _rule({**LISTEN, "user": {"text": "stop"}}): "action_stop",
    _rule({}, GREET): "utter_first_greet",
}


def _matches(lookup: Dict[str, str]) -> Tuple[RuleMatches, Any]:
    matches = RuleMatches(lookup)
    policy = RulePolicy.__new__(RulePolicy)

    def answer(states: List[Dict[str, Any]]) -> Set[str]:
        return matches.possible_keys(states, lambda: RASAS(policy, lookup, states))

    return matches, answer


def test_what_rules_see_is_read_from_the_rules() -> None:
    assert what_rules_see(LOOKUP) == (
        {
            "prev_action": frozenset({"action_name"}),
            "user": frozenset({"intent", "text"}),
            "slots": frozenset({"returning"}),
        },
        2,
    )


def test_states_before_the_longest_rule_do_not_matter() -> None:
    matches, answer = _matches(LOOKUP)
    earlier = [{"prev_action": {"action_name": "utter_a"}, "user": {"intent": "bye"}}]
    recent = [{"prev_action": {"action_name": "utter_x"}}, {**LISTEN, "user": {"intent": "greet"}}]
    assert answer(earlier + recent) == answer(recent) == answer(earlier * 3 + recent)
    assert answer(recent) == RASAS(RulePolicy.__new__(RulePolicy), LOOKUP, earlier * 3 + recent)
    assert (matches.hits, matches.misses) == (3, 1)
    assert RuleMatches({}).signature(recent) == ()


def test_states_that_differ_only_where_no_rule_looks_share_an_answer() -> None:
    matches, answer = _matches(LOOKUP)
    first = [{"prev_action": {"action_name": "utter_x"}}, {**LISTEN, "user": {"intent": "greet"}}]
    reworded = [
        {"prev_action": {"action_name": "utter_x"}},
        {**LISTEN, "user": {"intent": "greet", "entities": ("name",)}},
    ]
    assert answer(first) == RASAS(RulePolicy.__new__(RulePolicy), LOOKUP, first)
    assert answer(reworded) == answer(first) == {_rule(GREET)}
    assert (matches.hits, matches.misses) == (2, 1)


@pytest.mark.parametrize(
    "states",
    [
        [{**LISTEN, "user": {"intent": "greet"}, "slots": {"returning": (1.0,)}}],
        [{**LISTEN, "user": {"text": "stop"}}],
        [{**LISTEN, "user": {"text": "go on"}}],
        [{}, {**LISTEN, "user": {"intent": "greet"}}],
        [{"prev_action": {}}, {**LISTEN, "user": {"intent": "greet"}}],
    ],
)
def test_what_a_rule_reads_tells_answers_apart(states: List[Dict[str, Any]]) -> None:
    """Each case comes after near misses were remembered, and must still get Rasa's answer."""
    policy = RulePolicy.__new__(RulePolicy)
    _, answer = _matches(LOOKUP)
    answer([{"prev_action": {"action_name": "utter_x"}}, {**LISTEN, "user": {"intent": "greet"}}])
    answer([{**LISTEN, "user": {"intent": "greet"}}])
    answer([{"prev_action": {"action_text": "hello"}}, {**LISTEN, "user": {"intent": "greet"}}])
    assert answer(states) == RASAS(policy, LOOKUP, states)
    assert answer(states) == RASAS(policy, LOOKUP, states)  # now from memory


def test_unhashable_states_are_not_remembered() -> None:
    matches, answer = _matches(LOOKUP)
    states = [{**LISTEN, "user": {"intent": "greet"}, "slots": {"returning": [1.0]}}]
    assert answer(states) == RASAS(RulePolicy.__new__(RulePolicy), LOOKUP, states)
    assert (matches.hits, matches.misses) == (0, 0)


def test_memory_starts_over_at_its_limit() -> None:
    matches = RuleMatches(LOOKUP, limit=2)
    for intent in ("a", "b", "c"):
        matches.possible_keys([{**LISTEN, "user": {"intent": intent}}], set)
    assert len(matches._answers) == 1
    assert matches.fits(LOOKUP) and not matches.fits(dict(LOOKUP))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Tuple[RulePolicy, Domain]:
    model = ensure_model(ROOT)
    metadata, runner = load_predict_graph_runner(
        tmp_path_factory.mktemp("rules"), model, LocalModelStorage, PlannedGraphRunner
    )
    assert isinstance(runner, PlannedGraphRunner)
    nodes = {name: node._component for name, node in runner._instantiated_nodes.items()}
    policy = nodes["run_RulePolicy1"]
    assert isinstance(policy, RulePolicy)
    return policy, metadata.domain


def _conversations(domain: Domain) -> Iterator[DialogueStateTracker]:
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    )
    yield from TrainingDataGenerator(
        importer.get_stories(), domain, augmentation_factor=0
    ).generate()
    pick = random.Random(11)
    intents = sorted(domain.intents)
    actions = [
        name for name in domain.action_names_or_texts if name.startswith(("utter_", "action_"))
    ]
    for walk in range(150):
        events: List[Event] = [ActionExecuted(ACTION_LISTEN_NAME)]
        for _ in range(pick.randint(1, 6)):
            events.append(UserUttered(f"walk {walk}", {"name": pick.choice(intents)}))
            events += [ActionExecuted(pick.choice(actions)) for _ in range(pick.randint(0, 2))]
            events.append(ActionExecuted(ACTION_LISTEN_NAME))
        yield DialogueStateTracker.from_events(f"walk-{walk}", events, domain.slots)


def test_trained_rules_give_rasas_answers(trained: Tuple[RulePolicy, Domain]) -> None:
    policy, domain = trained
    lookups = [policy.lookup["rules"], policy.lookup["rules_for_loop_unhappy_path"]]
    memories = [RuleMatches(lookup) for lookup in lookups]
    only = policy._get_rule_only_data()
    checked = matched = 0
    for conversation in _conversations(domain):
        for past, _ in conversation.generate_all_prior_trackers():
            for use_text in (True, False):
                states = policy._prediction_states(past, domain, use_text, rule_only_data=only)
                for lookup, memory in zip(lookups, memories, strict=True):
                    expected = RASAS(policy, lookup, states)
                    assert memory.possible_keys(states, partial(set, expected)) == expected
                    checked += 1
                    matched += bool(expected)
    hits = sum(memory.hits for memory in memories)
    assert checked > 5_000
    assert hits > checked / 2, (hits, checked)  # answers from memory were compared
    assert matched > checked / 10, (matched, checked)
