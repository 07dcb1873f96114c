"""The private servers' secrets: never on a command line, and in files that are private
before anything is written to them. nginx's logs are private and still written."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from assistant.ops import services
from assistant.ops.processes import free_port
from assistant.ops.services import Nginx, Postgres, create_private, write_private

ADMIN = "admin-secret-0123456789"
RASA = "rasa-secret-0123456789"
CONSOLE = "console-secret-0123456789"
OWNER = "owner-secret-0123456789"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> List[Tuple[str, int, bytes]]:
    """Every ``os.write``: the file written, its mode at that moment, and the bytes."""
    seen: List[Tuple[str, int, bytes]] = []
    real_write = os.write

    def spy(fd: int, data: bytes) -> int:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        seen.append((target, stat.S_IMODE(os.fstat(fd).st_mode), bytes(data)))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", spy)
    return seen


def _writes_to(writes: List[Tuple[str, int, bytes]], path: Path) -> List[Tuple[int, bytes]]:
    return [(mode, data) for target, mode, data in writes if target == str(path.resolve())]


def test_write_private_is_600_before_the_first_byte(
    tmp_path: Path, writes: List[Tuple[str, int, bytes]]
) -> None:
    target = tmp_path / "secret.conf"
    target.write_text("an older, longer content that must go\n")
    target.chmod(0o644)
    write_private(target, "password = new\n")
    written = _writes_to(writes, target)
    assert written and all(mode == 0o600 for mode, _ in written)
    assert target.read_text() == "password = new\n"
    assert _mode(target) == 0o600


def test_write_private_refuses_a_symlink(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched")
    link = tmp_path / "secret.conf"
    link.symlink_to(elsewhere)
    with pytest.raises(OSError):
        write_private(link, "password = x\n")
    assert elsewhere.read_text() == "untouched"


def test_create_private_makes_an_existing_file_600_and_keeps_it(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("earlier line\n")
    log.chmod(0o644)
    create_private(log)
    create_private(tmp_path / "error.log")
    assert _mode(log) == 0o600 and log.read_text() == "earlier line\n"
    assert _mode(tmp_path / "error.log") == 0o600


@pytest.fixture
def fake_postgres_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> List[Tuple[List[str], Dict[str, Any]]]:
    """``subprocess.run`` records each command; initdb checks its password file."""
    calls: List[Tuple[List[str], Dict[str, Any]]] = []

    def run(argv: List[str], *_args: Any, **kwargs: Any) -> subprocess.CompletedProcess:
        calls.append(([str(part) for part in argv], kwargs))
        if any(str(part).endswith("/initdb") for part in argv):
            pwfile = Path(next(p for p in argv if p.startswith("--pwfile=")).split("=", 1)[1])
            assert _mode(pwfile) == 0o600
            assert pwfile.read_text() == ADMIN + "\n"
            data = Path(argv[argv.index("-D") + 1])
            data.mkdir(parents=True)
            (data / "PG_VERSION").write_text("15\n")
            (data / "postgresql.conf").write_text("")
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(services.subprocess, "run", run)
    monkeypatch.setattr(services, "postgres_bin_dir", lambda: Path("/usr/lib/postgresql/15/bin"))
    monkeypatch.setattr(services, "_chown", lambda *_a: None)
    return calls


def test_no_postgres_command_line_carries_a_password(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_postgres_commands: List[Tuple[List[str], Dict[str, Any]]],
    writes: List[Tuple[str, int, bytes]],
) -> None:
    setups: List[Tuple[Any, ...]] = []
    monkeypatch.setattr(services, "setup", lambda *args, **kwargs: setups.append((args, kwargs)))
    postgres = Postgres(
        tmp_path / "postgres",
        5999,
        admin_password=ADMIN,
        rasa_password=RASA,
        console_password=CONSOLE,
        owner_password=OWNER,
    )
    postgres.init()
    postgres.start()
    postgres.setup_roles()
    postgres.running()
    postgres.stop()
    commands = [argv for argv, _ in fake_postgres_commands]
    assert any(part.endswith("/initdb") for argv in commands for part in argv)
    assert any(part.endswith("/pg_ctl") for argv in commands for part in argv)
    for argv in commands:
        for secret in (ADMIN, RASA, CONSOLE, OWNER):
            assert secret not in " ".join(argv), argv
    pwfile = postgres.root / ".pw"
    assert not pwfile.exists()
    written = _writes_to(writes, pwfile)
    assert written and all(mode == 0o600 for mode, _ in written)
    # The roles' passwords go to the setup in this process, over a database connection.
    ((args, kwargs),) = setups
    admin_url, passwords, roles = args
    assert roles.rasa == "assistant_rasa"
    assert admin_url == f"postgresql://postgres:{ADMIN}@127.0.0.1:5999/postgres"
    assert (passwords.rasa, passwords.console, passwords.owner) == (RASA, CONSOLE, OWNER)
    assert RASA not in repr(passwords)
    assert kwargs["close_databases"] == ("postgres", "template1")


def test_postgres_urls_name_each_role() -> None:
    postgres = Postgres(
        Path("/nonexistent"),
        5433,
        admin_password=ADMIN,
        rasa_password=RASA,
        console_password="a/b@c",
    )
    assert postgres.url("rasa") == f"postgresql://assistant_rasa:{RASA}@127.0.0.1:5433/assistant"
    assert (
        postgres.url("console")
        == "postgresql://assistant_console:a%2Fb%40c@127.0.0.1:5433/assistant"
    )
    with pytest.raises(ValueError, match="cannot log in"):
        postgres.url()  # the owner has no password here
    with pytest.raises(ValueError, match="no role"):
        postgres.url("postgres")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed")
def test_nginx_logs_are_private_and_still_written(tmp_path: Path) -> None:
    # nginx's workers run as nobody when started as root: the folder must be reachable.
    tmp_path.chmod(0o755)
    root, logs, port = tmp_path / "nginx", tmp_path / "logs" / "nginx", free_port()
    (logs.parent).mkdir()
    config = f"""
pid {root}/nginx.pid;
error_log {logs}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {logs}/access.log;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = / {{ return 200 "ok"; }}
        location /files/ {{ root {root}/nowhere; }}
    }}
}}
"""
    nginx = Nginx(root, config, logs)
    nginx.start(port)
    try:
        assert _get(f"http://127.0.0.1:{port}/") == 200
        # A worker (nobody, as root) logs why it could not serve the file (403 or 404).
        assert _get(f"http://127.0.0.1:{port}/files/missing") in (403, 404)
        deadline = time.monotonic() + 5
        while (
            time.monotonic() < deadline
            and "GET /files/missing" not in (logs / "access.log").read_text()
        ):
            time.sleep(0.1)
    finally:
        nginx.stop()
    assert _mode(logs) == 0o700
    for name in ("access.log", "error.log"):
        assert _mode(logs / name) == 0o600, name
    assert "GET /files/missing" in (logs / "access.log").read_text()
    assert "/files/missing" in (logs / "error.log").read_text()
