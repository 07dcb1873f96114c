"""``PlannedGraphRunner`` gives the same results as Rasa's ``DaskGraphRunner`` on this
project's trained model: the parsed messages and the policy predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Tuple

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.engine.exceptions import GraphRunError
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.storage import ModelMetadata
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.ops.train import ensure_model
from assistant.rasa_server.graph_runner import PlannedGraphRunner

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


@pytest.fixture(scope="module")
def runners(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Tuple[ModelMetadata, Any, Any]]:
    model = ensure_model(ROOT)
    loaded = [
        load_predict_graph_runner(
            tmp_path_factory.mktemp(cls.__name__), model, LocalModelStorage, cls
        )
        for cls in (DaskGraphRunner, PlannedGraphRunner)
    ]
    yield loaded[0][0], loaded[0][1], loaded[1][1]


def _tracker(text: str, parse_data: dict) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "runner-test",
        [ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, parse_data=parse_data)],
    )


def test_parsing_and_prediction_match_dask(runners: Tuple[ModelMetadata, Any, Any]) -> None:
    metadata, dask_runner, planned = runners
    assert isinstance(planned, PlannedGraphRunner)
    for text in TEXTS:
        results = []
        for runner in (dask_runner, planned):
            inputs = {
                "__message__": [UserMessage(text, message_id="m1")],
                "__tracker__": _tracker(text, {}),
            }
            parsed = runner.run(inputs=inputs, targets=[metadata.nlu_target])
            message = parsed[metadata.nlu_target][0].as_dict(only_output_properties=True)
            tracker = _tracker(text, message)
            prediction = runner.run(inputs={"__tracker__": tracker}, targets=[metadata.core_target])
            results.append((message, prediction[metadata.core_target]))
        assert results[0] == results[1], text
        assert results[1][1].max_confidence_index is not None


def test_a_plan_is_made_once_per_target(runners: Tuple[ModelMetadata, Any, Any]) -> None:
    metadata, _, planned = runners
    planned.run(inputs={"__tracker__": _tracker("hi", {})}, targets=[metadata.core_target])
    plan = planned._plans[(metadata.core_target,)]
    planned.run(inputs={"__tracker__": _tracker("hi", {})}, targets=[metadata.core_target])
    assert planned._plans[(metadata.core_target,)] is plan
    order = [name for name, _, _ in plan]
    for position, (_, _, needs) in enumerate(plan):  # dependencies come first
        assert all(need not in order or order.index(need) < position for need in needs)


def test_an_input_named_like_a_node_is_refused(runners: Tuple[ModelMetadata, Any, Any]) -> None:
    metadata, _, planned = runners
    node = planned._plan((metadata.core_target,))[0][0]
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        planned.run(inputs={"__tracker__": node}, targets=[metadata.core_target])
