"""``ActionResponseValidator`` gives the same verdict as ``jsonschema.validate`` on Rasa's
action-response schema, for valid and invalid responses, and its error points at the same
place (the same event; jsonschema's ``oneOf`` often blames another alternative's ``event``
constant, where this one names the broken field of the event's own schema)."""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from assistant.rasa_server.action_response import ActionResponseValidator

SCHEMA = RemoteAction.action_response_format_spec()

VALID: List[Dict[str, Any]] = [
    {},
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "topic", "value": "rash", "timestamp": None}]},
    {
        "events": [
            {"event": "slot", "name": "callback_phone", "value": None},
            {"event": "active_loop", "name": "callback_form"},
            {"event": "followup", "name": "action_listen"},
            {"event": "bot", "text": "Hello", "data": {"buttons": []}},
            {"event": "session_started", "metadata": {"channel": "rest"}},
            {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
            {"event": "action", "name": "utter_x", "policy": None, "confidence": 1.0},
            {"event": "entities", "entities": [{"entity": "topic", "value": "rash"}]},
            {"event": "reset_slots"},
            {"event": "restart"},
        ],
        "responses": [{"text": "Call 1-800-CEDARS-1", "buttons": []}],
    },
]

INVALID: List[Any] = [
    [],  # not an object
    {"events": {}},  # events not a list
    {"responses": [1]},  # a response that is not an object
    {"events": [1]},  # an event that is not an object
    {"events": [{}]},  # no event name
    {"events": [{"event": 7}]},  # a name that is not a string
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "name": "topic"}]},  # slot without a value
    {"events": [{"event": "slot", "name": 3, "value": 1}]},
    {"events": [{"event": "bot", "timestamp": "yesterday"}]},
    {"events": [{"event": "bot", "metadata": []}]},
    {"events": [{"event": "user", "text": 5}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "x"}]}}]},
    {"events": [{"event": "action", "confidence": "high"}]},
    {"events": [{"event": "entities"}]},
    {"events": [{"event": "bot"}, {"event": "slot", "value": 1}]},  # the second one
]


def _reference_error(response: Any) -> Optional[jsonschema.ValidationError]:
    try:
        jsonschema.validate(response, SCHEMA)
    except jsonschema.ValidationError as error:
        return error
    return None


@pytest.mark.parametrize("response", VALID)
def test_valid_responses_pass_as_with_jsonschema(response: Dict[str, Any]) -> None:
    assert _reference_error(response) is None
    assert ActionResponseValidator(SCHEMA).first_error(response) is None


@pytest.mark.parametrize("response", INVALID)
def test_invalid_responses_fail_as_with_jsonschema(response: Any) -> None:
    reference = _reference_error(response)
    assert reference is not None
    error = ActionResponseValidator(SCHEMA).first_error(response)
    assert error is not None
    ours, theirs = list(error.absolute_path), list(reference.absolute_path)
    if theirs[:1] == ["events"] and len(theirs) > 2:
        assert ours[:2] == theirs[:2]  # the same event
    else:
        assert ours == theirs
    with pytest.raises(jsonschema.ValidationError):
        ActionResponseValidator(SCHEMA).validate(response)


def test_the_schema_is_not_changed() -> None:
    schema = copy.deepcopy(SCHEMA)
    ActionResponseValidator(schema)
    assert schema == SCHEMA


def test_a_schema_with_two_events_of_one_name_is_refused() -> None:
    schema = copy.deepcopy(SCHEMA)
    alternatives = schema["properties"]["events"]["items"]["oneOf"]
    alternatives.append(copy.deepcopy(alternatives[0]))
    with pytest.raises(ValueError, match="share the name"):
        ActionResponseValidator(schema)
