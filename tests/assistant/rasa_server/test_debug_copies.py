"""``DebugLogCopies`` copies only for debug lines that are logged, and Rasa's modules use
``copy`` for nothing but those lines."""

from __future__ import annotations

import ast
import importlib
import inspect
import logging
from typing import Iterator, List

import pytest
import structlog
from rasa.utils.log_utils import configure_structlog

from assistant.rasa_server.debug_copies import MODULES, DebugLogCopies


@pytest.fixture
def restore_structlog() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _is_debug_log_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "debug"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "structlogger"
    )


def _uses_of_copy_outside_debug_logs(source: str) -> List[str]:
    """Each ``copy.<name>`` in ``source`` that is not a ``copy.deepcopy(...)`` argument of a
    ``structlogger.debug(...)`` call."""
    tree = ast.parse(source)
    inside_debug_calls = set()
    for node in ast.walk(tree):
        if _is_debug_log_call(node):
            inside_debug_calls.update(id(child) for child in ast.walk(node))
    wrong = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "copy" and isinstance(node.ctx, ast.Load):
            wrong.append(f"line {node.lineno}: copy")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "copy"
        ):
            wrong.remove(f"line {node.lineno}: copy")
            if node.attr != "deepcopy" or id(node) not in inside_debug_calls:
                wrong.append(f"line {node.lineno}: copy.{node.attr}")
    return wrong


@pytest.mark.parametrize("name", MODULES)
def test_rasa_copies_only_for_debug_lines(name: str) -> None:
    module = importlib.import_module(name)
    source = inspect.getsource(module)
    assert "import copy" in source
    assert _uses_of_copy_outside_debug_logs(source) == []


def test_the_source_check_finds_other_uses() -> None:
    source = (
        "import copy\n"
        "structlogger.debug('x', states=copy.deepcopy(states))\n"
        "kept = copy.deepcopy(states)\n"
        "structlogger.debug('y', other=copy.copy(states))\n"
        "module = copy\n"
    )
    assert _uses_of_copy_outside_debug_logs(source) == [
        "line 5: copy",
        "line 3: copy.deepcopy",
        "line 4: copy.copy",
    ]


def test_copies_only_while_debug_lines_are_logged(restore_structlog: None) -> None:
    copies = DebugLogCopies()
    value = {"user": {"intent": "greet", "entities": ["x"]}}
    configure_structlog(logging.DEBUG)
    copied = copies.deepcopy(value)
    assert copied == value and copied is not value
    assert copied["user"]["entities"] is not value["user"]["entities"]
    configure_structlog(logging.INFO)
    assert copies.deepcopy(value) is value
    configure_structlog(logging.WARNING)
    assert copies.deepcopy(value) is value
