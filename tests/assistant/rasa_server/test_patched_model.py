"""With every patch installed, this project's trained model parses and predicts as stock Rasa:
the processor loads it with ``PlannedGraphRunner``, and the policies (rule matches, past
states, the domain's emptiness, debug copies) give the same predictions on the same
conversations, also when answers come from the patches' memories."""

from __future__ import annotations

import gc
import random
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.ops.train import ensure_model
from assistant.rasa_server.graph_runner import PlannedGraphRunner
from assistant.rasa_server.patches import PATCHES
from assistant.rasa_server.tuning import Tuning, apply, restore

ROOT = Path(__file__).resolve().parents[3]
TEXTS = [
    "hi",
    "what are the side efects of immunotherapy",
    "my throat is swelling up",
    "when is the infusion center open on saturday",
    "can I talk to a person",
    "what's the weather like",
    "",
]


@pytest.fixture
def restore_rasa() -> Iterator[None]:
    yield
    restore()
    gc.unfreeze()


def _walks(domain: Domain, count: int) -> List[List[Event]]:
    pick = random.Random(5)
    intents = sorted(domain.intents)
    actions = [a for a in domain.action_names_or_texts if a.startswith(("utter_", "action_"))]
    walks = []
    for _ in range(count):
        events: List[Event] = [ActionExecuted(ACTION_LISTEN_NAME)]
        for _ in range(pick.randint(1, 5)):
            events.append(UserUttered("text", {"name": pick.choice(intents), "confidence": 0.9}))
            events += [ActionExecuted(pick.choice(actions)) for _ in range(pick.randint(0, 2))]
            events.append(ActionExecuted(ACTION_LISTEN_NAME))
        walks.append(events)
    return walks


def _run(metadata: Any, runner: Any, walks: List[List[Event]]) -> List[Tuple[str, Any]]:
    """The parse of each text, and the predictions along each walk."""
    results: List[Tuple[str, Any]] = []
    for text in TEXTS:
        inputs = {
            "__message__": [UserMessage(text, message_id="m1")],
            "__tracker__": DialogueStateTracker.from_events("parse", []),
        }
        parsed = runner.run(inputs=inputs, targets=[metadata.nlu_target])
        results.append((text, parsed[metadata.nlu_target][0].as_dict(only_output_properties=True)))
    target = metadata.core_target
    for number, events in enumerate(walks):
        tracker = DialogueStateTracker.from_events(f"w{number}", events[:1], metadata.domain.slots)
        for event in events[1:]:
            tracker.update(event, metadata.domain)
            if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME:
                continue  # Rasa predicts after a message and after each other action
            for _ in range(2 if isinstance(event, UserUttered) else 1):  # 2nd: from memory
                run = runner.run(inputs={"__tracker__": tracker}, targets=[target])
                results.append((f"w{number}", run[target]))
    return results


def test_the_patched_model_predicts_as_stock(restore_rasa: None) -> None:
    model = ensure_model(ROOT)
    _, metadata, stock = MessageProcessor._load_model(model)
    assert type(stock) is DaskGraphRunner
    walks = _walks(metadata.domain, 30)
    expected = _run(metadata, stock, walks)

    outcome = apply(Tuning())
    assert outcome.installed == PATCHES
    _, metadata, patched = MessageProcessor._load_model(model)
    assert isinstance(patched, PlannedGraphRunner)
    got = _run(metadata, patched, walks)
    assert len(got) == len(expected) > 200
    for ours, theirs in zip(got, expected, strict=True):
        assert ours == theirs
    assert len({repr(prediction.probabilities) for _, prediction in expected[len(TEXTS) :]}) > 5
