"""Private PostgreSQL, Redis and nginx instances from Debian's packages, for the production
profile on one machine and for the fault tests. Each keeps its data, configuration and logs
under one folder and binds to 127.0.0.1; the system services are never touched.

As root, PostgreSQL runs as the ``postgres`` user (it refuses root) and nginx's workers as
``nobody``; as any other user, everything runs as that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional


class ServiceError(RuntimeError):
    """A server would not start or stop (the message says which, and where its log is)."""


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_user(user: str, command: List[str]) -> List[str]:
    return ["runuser", "-u", user, "--", *command] if _is_root() else command


def _chown(path: Path, user: str) -> None:
    if _is_root():
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def wait_for_port(port: int, timeout_s: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise ServiceError(f"{what} did not listen on 127.0.0.1:{port} in {timeout_s:.0f} s; see {log}")


def postgres_bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise ServiceError("PostgreSQL is not installed: run scripts/ensure_prod_packages.sh")
    return Path(found[-1]).parent


@dataclass
class Postgres:
    """A PostgreSQL cluster in ``root``, with a database and role for the assistant."""

    root: Path
    port: int
    app_password: str
    admin_password: str
    database: str = "assistant"
    app_user: str = "assistant"
    os_user: str = "postgres"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgresql.log"

    def url(self, password: Optional[str] = None) -> str:
        secret = password if password is not None else self.app_password
        return f"postgresql://{self.app_user}:{secret}@127.0.0.1:{self.port}/{self.database}"

    def _pg(self, *args: str) -> List[str]:
        user = self.os_user if _is_root() else pwd.getpwuid(os.geteuid()).pw_name
        return _as_user(user, [str(postgres_bin_dir() / args[0]), *args[1:]])

    def _prepare_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.log.touch(exist_ok=True)
        self.log.chmod(0o600)
        _chown(self.root, self.os_user)
        _chown(self.log, self.os_user)

    def init(self) -> None:
        """Create the cluster once (password authentication only, loopback only)."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        self._prepare_dirs()
        pwfile = self.root / ".pw"
        pwfile.write_text(self.admin_password + "\n")
        pwfile.chmod(0o600)
        _chown(pwfile, self.os_user)
        try:
            subprocess.run(
                self._pg(
                    "initdb",
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ),
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        except subprocess.CalledProcessError as error:
            raise ServiceError(f"initdb failed: {error.stderr.strip()[-500:]}") from None
        finally:
            pwfile.unlink(missing_ok=True)
        (self.data_dir / "conf.d").mkdir(exist_ok=True)
        settings = [
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.data_dir}'",
            # Errors only; never statements or their parameters (patient text).
            "log_min_messages = warning",
            "log_min_error_statement = panic",
            "log_statement = 'none'",
            "log_error_verbosity = terse",
        ]
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# assistant production profile\n" + "\n".join(settings) + "\n")
        self.start()
        self._psql(
            f"CREATE ROLE {self.app_user} LOGIN PASSWORD '{self.app_password}'",
            f"CREATE DATABASE {self.database} OWNER {self.app_user}",
        )

    def _psql(self, *statements: str) -> None:
        env = {**os.environ, "PGPASSWORD": self.admin_password}
        for statement in statements:
            subprocess.run(
                [
                    shutil.which("psql") or "psql",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-qc",
                    statement,
                ],
                check=True,
                env=env,
                stdout=subprocess.DEVNULL,
            )

    def start(self) -> None:
        self._prepare_dirs()
        result = subprocess.run(
            self._pg(
                "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log), "-w", "-t", "60", "start"
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if result.returncode != 0 and not self.running():
            raise ServiceError(f"PostgreSQL did not start; see {self.log}")

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            subprocess.run(
                self._pg("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def running(self) -> bool:
        result = subprocess.run(
            self._pg("pg_ctl", "-D", str(self.data_dir), "status"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return result.returncode == 0


@dataclass
class Redis:
    """A Redis server without persistence (it only holds conversation locks)."""

    root: Path
    port: int
    password: str
    process: Optional[subprocess.Popen] = None

    @property
    def log(self) -> Path:
        return self.root / "redis.log"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        conf = self.root / "redis.conf"
        conf.write_text(
            "bind 127.0.0.1\nprotected-mode yes\n"
            f"port {self.port}\nrequirepass {self.password}\n"
            f'save ""\nappendonly no\ndir {self.root}\nlogfile {self.log}\nloglevel warning\n'
        )
        conf.chmod(0o600)
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen([binary, str(conf)], stdout=subprocess.DEVNULL)
        wait_for_port(self.port, 20, "Redis", self.log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@dataclass
class Nginx:
    """nginx in front of the Rasa replicas (patients) and the console (staff)."""

    root: Path
    config: str
    logs: Path
    process: Optional[subprocess.Popen] = None

    def start(self, wait_port: int) -> None:
        for folder in (self.logs, self.root / "tmp"):
            folder.mkdir(parents=True, exist_ok=True)
        _chown(self.root / "tmp", "nobody")
        conf = self.root / "nginx.conf"
        conf.write_text(self.config)
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        check = subprocess.run(
            [
                binary,
                "-t",
                "-q",
                "-p",
                str(self.root),
                "-e",
                str(self.logs / "error.log"),
                "-c",
                str(conf),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        if check.returncode != 0:
            raise ServiceError(f"nginx configuration rejected: {check.stderr.strip()[-500:]}")
        self.process = subprocess.Popen(
            [
                binary,
                "-p",
                str(self.root),
                "-e",
                str(self.logs / "error.log"),
                "-c",
                str(conf),
                "-g",
                "daemon off;",
            ],
        )
        wait_for_port(wait_port, 20, "nginx", self.logs / "error.log")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
