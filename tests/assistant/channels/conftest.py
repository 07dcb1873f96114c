"""The production PostgreSQL (roles included) for the channel tests, started once if asked."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support.postgres import ProductionPostgres, production_postgres


@pytest.fixture(scope="session")
def web_postgres() -> Iterator[ProductionPostgres]:
    with production_postgres() as postgres:
        yield postgres
