"""Shared fixtures: the knowledge, a fresh copy of it, trackers, a dispatcher, a fake clock."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.knowledge import KnowledgeBase, KnowledgeStore, load_knowledge
from assistant.language.vocabulary import Vocabulary, vocabulary_of

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE_DIR = ROOT / "data" / "knowledge"
PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def knowledge() -> KnowledgeBase:
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture
def vocabulary(knowledge: KnowledgeBase) -> Vocabulary:
    """The words the assistant knows in each language (assistant.language.vocabulary)."""
    return vocabulary_of(knowledge)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A private copy of data/knowledge that a test may edit."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


@pytest.fixture
def store(knowledge_copy: Path) -> KnowledgeStore:
    return KnowledgeStore(knowledge_copy, check_interval_s=0)


@pytest.fixture
def domain() -> Dict[str, Any]:
    with (ROOT / "domain.yml").open() as handle:
        return dict(yaml.safe_load(handle))


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


class FakeClock:
    """A clock a test sets by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set_pacific(self, year: int, month: int, day: int, hour: int, minute: int) -> None:
        self.now = dt.datetime(year, month, day, hour, minute, tzinfo=PACIFIC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 6, 15, 12, 0, tzinfo=PACIFIC))


def user_event(
    intent: str,
    text: str = "",
    entities: Optional[List[Dict[str, Any]]] = None,
    channel: str = "rest",
    metadata: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    parse_data = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
    }
    return {
        "event": "user",
        "text": text,
        "parse_data": parse_data,
        "input_channel": channel,
        "metadata": dict(metadata or {}),
    }


def build_tracker(
    intent: str = "greet",
    text: str = "",
    entities: Optional[List[Dict[str, Any]]] = None,
    channel: str = "rest",
    slots: Optional[Dict[str, Any]] = None,
    active_loop: Optional[str] = None,
    history: Optional[List[Dict[str, Any]]] = None,
    parse_extras: Optional[Dict[str, Any]] = None,
    metadata: Optional[Dict[str, Any]] = None,
) -> Tracker:
    """A tracker whose latest message has the given intent, entities and channel;
    ``parse_extras`` adds what the NLU puts beside them (``triage``, ``language``,
    ``intent_ranking``, ``statement``); ``metadata`` is the channel's (e.g. the widget's
    ``page_language``)."""
    latest = user_event(intent, text, entities, channel, metadata)
    latest["parse_data"].update(parse_extras or {})
    events = [*(history or []), latest]
    return Tracker(
        sender_id="test-conversation",
        slots=dict(slots or {}),
        latest_message=latest["parse_data"],
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


MakeTracker = Callable[..., Tracker]


@pytest.fixture
def make_tracker() -> MakeTracker:
    """Build a tracker whose latest message has the given intent, entities and channel."""
    return build_tracker


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current training data; trained once per session if missing."""
    from assistant.ops.train import ensure_model

    return ensure_model(ROOT)


@pytest.fixture(scope="session")
def assistant(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One running assistant (action server + Rasa server) shared by the end-to-end tests."""
    from tests.support.assistant_servers import start_assistant

    running = start_assistant(tmp_path_factory.mktemp("assistant"), trained_model)
    yield running
    running.stop()


@pytest.fixture
def new_sender() -> Callable[[], str]:
    """A fresh conversation id per call, so tests never share a conversation."""
    import secrets

    return lambda: f"e2e-{secrets.token_hex(6)}"
