"""A throwaway PostgreSQL cluster for the web tests that need the production database.

Started once per test session, only when a test asks for ``web_postgres``. Two roles, as in
production: ``web_owner`` owns the database and creates tables; ``web_rasa`` may use rows of
the tables it is granted and cannot create anything.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
import sqlalchemy as sa

from tests.support.sanic_server import free_port

OWNER_ROLE, APP_ROLE = "web_owner", "web_rasa"


@dataclass(frozen=True)
class WebPostgres:
    owner_url: str
    app_url: str


def _postgres_bin() -> Optional[Path]:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def _as(user: Optional[str], command: List[str]) -> None:
    full = (["runuser", "-u", user, "--"] if user else []) + command
    done = subprocess.run(full, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{Path(command[0]).name}: {done.stderr.strip()[-400:]}")


@pytest.fixture(scope="session")
def web_postgres() -> Iterator[WebPostgres]:
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed")
    user = None
    if os.geteuid() == 0:  # the server will not run as root
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("root without a postgres account to run PostgreSQL as")
        user = "postgres"
    folder = Path(tempfile.mkdtemp(prefix="web-pg-", dir="/tmp"))
    superuser = secrets.token_hex(12)
    secret_file = folder / "superuser"
    secret_file.write_text(superuser + "\n")
    secret_file.chmod(0o600)
    if user:
        for path in (folder, secret_file):
            os.chown(path, account.pw_uid, account.pw_gid)
    data, port = folder / "data", free_port()
    _as(
        user,
        [
            *(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "scram-sha-256"),
            *(f"--pwfile={secret_file}", "-E", "UTF8", "--no-sync"),
        ],
    )
    secret_file.unlink()
    settings = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = str(bin_dir / "pg_ctl")
    log = str(folder / "server.log")
    _as(user, [pg_ctl, "-D", str(data), "-l", log, "-o", settings, "-w", "start"])
    try:
        owner, app = secrets.token_hex(12), secrets.token_hex(12)
        admin = sa.create_engine(f"postgresql://postgres:{superuser}@127.0.0.1:{port}/postgres")
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text(f"CREATE ROLE {OWNER_ROLE} LOGIN PASSWORD '{owner}'"))
            connection.execute(sa.text(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{app}'"))
            connection.execute(sa.text(f"CREATE DATABASE webchat OWNER {OWNER_ROLE}"))
        admin.dispose()
        yield WebPostgres(
            owner_url=f"postgresql://{OWNER_ROLE}:{owner}@127.0.0.1:{port}/webchat",
            app_url=f"postgresql://{APP_ROLE}:{app}@127.0.0.1:{port}/webchat",
        )
    finally:
        _as(user, [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(folder, ignore_errors=True)
