"""A private PostgreSQL cluster for the SMS state tests, started once and only if asked for.

It is the production profile's cluster (``assistant.ops.services.Postgres``) with its roles
(``assistant.ops.db_roles``): the owner creates the tables, the Rasa role may only read and
write their rows (it cannot CREATE).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from assistant.ops.services import Postgres, ServiceError, postgres_bin_dir
from tests.support.sanic_server import free_port


@dataclass(frozen=True)
class PostgresUrls:
    owner: str  # owns the database: creates and drops the tables
    rasa: str  # SELECT, INSERT, UPDATE, DELETE on the replicas' tables only
    postgres: Postgres

    def set_up(self) -> None:
        """Create whatever tables are missing, with the production grants (idempotent)."""
        self.postgres.setup_roles()


@pytest.fixture(scope="session")
def postgres_urls() -> Iterator[PostgresUrls]:
    """A running cluster under /tmp with the production roles and database."""
    try:
        postgres_bin_dir()
    except ServiceError:
        pytest.skip("PostgreSQL is not installed (no initdb): only the SQLite runs apply")
    root = Path(tempfile.mkdtemp(prefix="sms-state-pg-", dir="/tmp"))
    root.chmod(0o755)  # PostgreSQL runs as its own user when the tests run as root
    postgres = Postgres(
        root / "postgres",
        free_port(),
        admin_password=secrets.token_hex(16),
        rasa_password=secrets.token_hex(16),
        console_password=secrets.token_hex(16),
        owner_password=secrets.token_hex(16),
    )
    try:
        postgres.init()
        postgres.start()
        postgres.setup_roles()
        yield PostgresUrls(
            owner=postgres.url("owner"), rasa=postgres.url("rasa"), postgres=postgres
        )
    finally:
        postgres.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
