"""Private PostgreSQL and nginx instances from Debian's packages, for the production
profile on one machine and for the fault tests. Each keeps its data, configuration and logs
under one folder and binds to 127.0.0.1; the system services are never touched.

As root, PostgreSQL runs as the ``postgres`` user (it refuses root) and nginx's workers as
``nobody``; as any other user, everything runs as that user.

Secrets never appear on a command line (``ps`` shows those to every user): SQL goes through a
database connection, PostgreSQL role passwords as SCRAM verifiers (``assistant.ops.db_roles``),
and files holding a secret are created mode 600 before anything is written to them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple
from urllib.parse import quote

from assistant.ops.db_roles import Passwords, Roles, setup
from assistant.ops.processes import NotReady, create_private, wait_for_port, write_private


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


def _wait_listening(
    port: int, what: str, log: Path, process: Optional[subprocess.Popen] = None
) -> None:
    """Wait (20 s) until ``what`` listens on 127.0.0.1:``port``; ``ServiceError`` naming its
    log (and quoting the log's end) if it exits or does not listen in time."""
    try:
        wait_for_port(port, 20, what, log, process=process)
    except NotReady as error:
        raise ServiceError(str(error)) from error


def postgres_bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise ServiceError("PostgreSQL is not installed: run scripts/ensure_prod_packages.sh")
    return Path(found[-1]).parent


@dataclass
class Postgres:
    """A PostgreSQL cluster in ``root`` with the assistant's database and its three roles
    (``assistant.ops.db_roles``): the owner, Rasa's and the console's. ``setup_roles`` creates
    or fixes them; the cluster's superuser ``postgres`` is used for that only."""

    root: Path
    port: int
    admin_password: str
    rasa_password: str
    console_password: str
    owner_password: Optional[str] = None  # None: the owner role cannot log in
    roles: Roles = field(default_factory=Roles)
    os_user: str = "postgres"

    @property
    def database(self) -> str:
        return self.roles.database

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgresql.log"

    def _login(self, role: str) -> Tuple[str, str]:
        logins = {
            "owner": (self.roles.owner, self.owner_password),
            "rasa": (self.roles.rasa, self.rasa_password),
            "console": (self.roles.console, self.console_password),
        }
        if role not in logins:
            raise ValueError(f"no role {role!r}: owner, rasa or console")
        user, password = logins[role]
        if password is None:
            raise ValueError(f"the {role} role ({user}) cannot log in: it has no password")
        return user, password

    def url(self, role: str = "owner") -> str:
        """The URL of the assistant's database for ``role``: ``owner`` (owns every table;
        setup and maintenance only), ``rasa`` (the replicas) or ``console``."""
        user, password = self._login(role)
        return (
            f"postgresql://{user}:{quote(password, safe='')}@127.0.0.1:{self.port}/{self.database}"
        )

    def admin_url(self, database: str = "postgres") -> str:
        """The cluster superuser's URL (setup only; never given to a service)."""
        secret = quote(self.admin_password, safe="")
        return f"postgresql://postgres:{secret}@127.0.0.1:{self.port}/{database}"

    def _pg(self, *args: str) -> List[str]:
        user = self.os_user if _is_root() else pwd.getpwuid(os.geteuid()).pw_name
        return _as_user(user, [str(postgres_bin_dir() / args[0]), *args[1:]])

    def _prepare_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        create_private(self.log)
        _chown(self.root, self.os_user)
        _chown(self.log, self.os_user)

    def init(self) -> None:
        """Create the cluster once (password authentication only, loopback only). The roles
        and the database come from ``setup_roles``."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        self._prepare_dirs()
        pwfile = self.root / ".pw"
        write_private(pwfile, self.admin_password + "\n")
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
            "password_encryption = 'scram-sha-256'",
            # Errors only; never statements or their parameters (patient text).
            "log_min_messages = warning",
            "log_min_error_statement = panic",
            "log_statement = 'none'",
            "log_error_verbosity = terse",
        ]
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# assistant production profile\n" + "\n".join(settings) + "\n")

    def setup_roles(self, sms_state: Optional[Path] = None) -> None:
        """Create or fix the roles, the database, its tables and grants (idempotent; run on
        every start, so a cluster from an older version is brought up to date). Other
        databases of this private cluster are closed to the login roles too."""
        passwords = Passwords(
            rasa=self.rasa_password, console=self.console_password, owner=self.owner_password
        )
        setup(
            self.admin_url(),
            passwords,
            self.roles,
            close_databases=("postgres", "template1"),
            sms_state=sms_state,
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
class Nginx:
    """nginx in front of the Rasa replicas (patients) and the console (staff)."""

    root: Path
    config: str
    logs: Path
    process: Optional[subprocess.Popen] = None

    def _prepare_logs(self) -> None:
        """The log folder is private (700) and its files are created 600 before nginx opens
        them: they hold client addresses. The master process opens them (as root too) and
        its workers inherit the open files, so workers running as ``nobody`` still write."""
        self.logs.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.logs.chmod(0o700)
        for name in ("error.log", "access.log"):
            create_private(self.logs / name)

    def start(self, wait_port: int) -> None:
        self._prepare_logs()
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
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
        _wait_listening(wait_port, "nginx", self.logs / "error.log", self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
