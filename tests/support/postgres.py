"""A private PostgreSQL cluster with the production roles, for tests of code that must work
with the replicas' role (which cannot CREATE): ``assistant.ops.services.Postgres`` plus
``assistant.ops.db_roles``, exactly as ``make run-prod`` sets them up."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from assistant.ops.processes import free_port
from assistant.ops.services import Postgres, ServiceError, postgres_bin_dir


@dataclass(frozen=True)
class ProductionPostgres:
    postgres: Postgres

    @property
    def owner(self) -> str:
        """Owns every table: creates and drops them (setup only in production)."""
        return self.postgres.url("owner")

    @property
    def rasa(self) -> str:
        """The replicas' role: rows of the tables it was granted, nothing else."""
        return self.postgres.url("rasa")

    def set_up(self) -> None:
        """Create whatever tables are missing, with the production grants (idempotent)."""
        self.postgres.setup_roles()

    def drop(self, *tables: sa.Table) -> None:
        """Drop ``tables`` as the owner (``set_up`` brings them back)."""
        engine = sa.create_engine(self.owner, future=True)
        try:
            for table in tables:
                table.drop(engine, checkfirst=True)
        finally:
            engine.dispose()


@contextmanager
def production_postgres() -> Iterator[ProductionPostgres]:
    """A running cluster under /tmp; skips the test when PostgreSQL is not installed."""
    try:
        postgres_bin_dir()
    except ServiceError:
        pytest.skip("PostgreSQL is not installed (no initdb): only the SQLite runs apply")
    root = Path(tempfile.mkdtemp(prefix="assistant-pg-", dir="/tmp"))
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
        yield ProductionPostgres(postgres)
    finally:
        postgres.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
