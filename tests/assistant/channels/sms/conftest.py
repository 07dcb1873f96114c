"""The production PostgreSQL (roles included) for the SMS state tests, started once if asked."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.support.postgres import ProductionPostgres, production_postgres

PostgresUrls = ProductionPostgres


@pytest.fixture(scope="session")
def postgres_urls() -> Iterator[ProductionPostgres]:
    with production_postgres() as postgres:
        yield postgres
