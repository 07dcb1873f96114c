"""One running assistant (action server + Rasa server) for the end-to-end tests."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.support.assistant_servers import RunningAssistant, start_assistant


@pytest.fixture(scope="session")
def assistant(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningAssistant]:
    running = start_assistant(tmp_path_factory.mktemp("assistant"), trained_model)
    yield running
    running.stop()


@pytest.fixture
def new_sender() -> Callable[[], str]:
    """A fresh conversation id per call, so tests never share a conversation."""
    return lambda: f"e2e-{secrets.token_hex(6)}"


def texts(replies: list) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)
