"""The table of Rasa patches: its rows, the pinned Rasa version, the generated document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.rasa_server import patches_doc
from assistant.rasa_server.debug_copies import MODULES
from assistant.rasa_server.patches import PATCHES, PINNED_RASA_VERSION, Patch, names_used, resolve

ROOT = Path(__file__).resolve().parents[3]


def test_every_row_says_why() -> None:
    for row in PATCHES:
        assert len(row.why.split()) >= 10, row.target
        assert row.owner.startswith("rasa.") and row.attribute, row.target


def test_rows_are_unique() -> None:
    targets = [(row.owner, row.attribute) for row in PATCHES]
    assert len(set(targets)) == len(targets)
    assert len({row.target for row in PATCHES}) == len(PATCHES)


def test_the_table_covers_every_replacement() -> None:
    attributes = {(row.owner, row.attribute) for row in PATCHES}
    assert {(module, "copy") for module in MODULES} <= attributes
    assert {
        ("rasa.core.actions.action", "DEFAULT_REQUEST_TIMEOUT"),
        ("rasa.utils.endpoints:EndpointConfig", "session"),
        ("rasa.core.actions.action:RemoteAction", "_validate_action_result"),
        ("rasa.shared.core.events:Event", "resolve_by_type"),
        ("rasa.core.processor", "DaskGraphRunner"),
        ("rasa.core.policies.rule_policy:RulePolicy", "_get_possible_keys"),
        ("rasa.shared.core.trackers:DialogueStateTracker", "past_states"),
        ("rasa.shared.core.domain:Domain", "is_empty"),
        ("rasa.core.processor:MessageProcessor", "_has_session_expired"),
        ("rasa.core.run", "load_agent_on_start"),
    } <= attributes
    assert len(PATCHES) == 10 + len(MODULES)


def test_module_globals_name_the_code_that_reads_them() -> None:
    """A replaced module global is only worth replacing while some code reads it."""
    for row in PATCHES:
        if ":" not in row.owner:
            assert row.used_by, row.target
            assert row.attribute in names_used(resolve(row.used_by)), row.target


def test_names_used_sees_nested_and_wrapped_code() -> None:
    class Example:
        @staticmethod
        def load() -> object:
            return [PINNED_RASA_VERSION for _ in range(1)]  # in a nested code object

        @property
        def value(self) -> object:
            return Patch

    assert {"PINNED_RASA_VERSION", "Patch"} <= names_used(Example)
    assert "PINNED_RASA_VERSION" not in names_used(test_rows_are_unique)


def test_resolve_names_what_is_missing() -> None:
    with pytest.raises(AttributeError, match=r"rasa\.core\.processor has no NoSuchClass"):
        resolve("rasa.core.processor:NoSuchClass")
    with pytest.raises(ImportError):
        resolve("rasa.no_such_module")


def _pin(text: str) -> str:
    pins = re.findall(r"^\s*\"?rasa==([0-9.]+)\"?", text, flags=re.MULTILINE)
    assert len(pins) == 1, pins
    return pins[0]


def test_the_pinned_version_is_the_one_the_project_installs() -> None:
    assert _pin((ROOT / "pyproject.toml").read_text()) == PINNED_RASA_VERSION
    assert _pin((ROOT / "constraints.txt").read_text()) == PINNED_RASA_VERSION


def test_the_document_is_generated_from_the_table() -> None:
    """``docs/rasa-patches.md`` is what ``python -m assistant.rasa_server.patches_doc``
    writes: run it after changing the table."""
    text = patches_doc.render()
    assert patches_doc.DOC.read_text(encoding="utf-8") == text
    assert patches_doc.main(["--check"]) == 0
    for row in PATCHES:
        assert f"| `{row.owner}` | `{row.attribute}` |" in text
    assert f"Rasa {PINNED_RASA_VERSION}" in text
    assert "`MAX_SESSION_EVENTS=0`" in text
