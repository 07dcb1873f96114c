"""Fixtures of the SMS channel tests: the production PostgreSQL (roles included) of the
channel tests, and a stand-in for Rasa's agent."""

from __future__ import annotations

import pytest

from tests.assistant.channels.fake_rasa import FakeAgent, new_agent
from tests.support.postgres import ProductionPostgres

PostgresUrls = ProductionPostgres


@pytest.fixture(scope="session")
def postgres_urls(web_postgres: ProductionPostgres) -> ProductionPostgres:
    """The channel tests' cluster (``tests/assistant/channels/conftest.py``), started once."""
    return web_postgres


@pytest.fixture
def agent() -> FakeAgent:
    return new_agent()
