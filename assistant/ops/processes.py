"""Local server processes: free ports, readiness waits, and the private files of ``.state/``.

One module for what ``make run`` (``assistant.ops.run``), the production profile
(``assistant.ops.prod``, ``assistant.ops.services``), the benchmark (``bench/``) and the tests
all need:

- ``free_port``: a TCP port nothing listens on right now (the kernel picks it).
- ``wait_for_http``: poll a URL until it answers 200; ``wait_for_port``: until a TCP port
  accepts connections. Both fail early when the server's process exits, and after the
  timeout otherwise; the error names what was awaited and, given the server's log, where
  that log is and its last lines.
- ``local_secret``: a random secret kept in a file that is mode 600 before the secret is
  written, created on first use and reused afterwards (``make run``'s ``.state/rest_token``
  and the others; the production profile's ``.state/prod/secrets/``).
- ``write_private`` / ``create_private``: files that are mode 600 before their first byte.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Callable, Optional

LOOPBACK = "127.0.0.1"
TAIL_LINES = 40  # lines of a server's log quoted when it fails to start


class NotReady(RuntimeError):
    """A server did not become ready (the message says which, and where its log is)."""


class ProcessExited(NotReady):
    """The server's process ended before it was ready."""

    def __init__(self, message: str, returncode: Optional[int]) -> None:
        super().__init__(message)
        self.returncode = returncode


class WaitTimedOut(NotReady, TimeoutError):
    """The server was still not ready when the time ran out."""


# ---------------------------------------------------------------- ports


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port on ``host`` that nothing listens on right now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_open(port: int, host: str = LOOPBACK, timeout_s: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with socket.socket() as probe:
        probe.settimeout(timeout_s)
        return probe.connect_ex((host, port)) == 0


def http_ok(url: str, timeout_s: float = 2.0) -> bool:
    """Whether ``GET url`` answers 200 within ``timeout_s``."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as reply:  # noqa: S310 - local URL
            return bool(reply.status == 200)
    except (OSError, http.client.HTTPException):  # refused, reset, timed out, HTTP error
        return False


# ---------------------------------------------------------------- waits


def log_tail(path: Optional[Path], lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of the log at ``path`` ("" when there is none)."""
    if path is None:
        return ""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def with_log(message: str, log: Optional[Path], lines: int = TAIL_LINES) -> str:
    """``message``, plus where the log is and its last lines (when there is a log)."""
    if log is None:
        return message
    tail = log_tail(log, lines)
    if not tail:
        return f"{message}; see {log} (empty)"
    return f"{message}; see {log}, which ends:\n{tail}"


def wait_until(
    check: Callable[[], bool],
    timeout_s: float,
    *,
    exited: str,
    timed_out: str,
    process: Optional[subprocess.Popen] = None,
    log: Optional[Path] = None,
    interval_s: float = 0.5,
) -> float:
    """Call ``check`` every ``interval_s`` until it is true; return the seconds waited.

    Raises ``ProcessExited`` (message ``exited``, with the exit code) once ``process`` has
    ended, and ``WaitTimedOut`` (message ``timed_out``) after ``timeout_s``; both messages end
    with ``log``'s location and last lines.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    while True:
        if process is not None and process.poll() is not None:
            code = process.returncode
            raise ProcessExited(with_log(f"{exited} (exit code {code})", log), code)
        if check():
            return time.monotonic() - started
        if time.monotonic() >= deadline:
            raise WaitTimedOut(with_log(timed_out, log))
        time.sleep(interval_s)


def wait_for_http(
    url: str,
    timeout_s: float,
    process: Optional[subprocess.Popen] = None,
    *,
    what: str = "the server",
    log: Optional[Path] = None,
    interval_s: float = 0.5,
    request_timeout_s: float = 2.0,
) -> float:
    """Poll ``url`` until it answers 200; return the seconds waited.

    ``what`` names the server in the error (``ProcessExited`` if ``process`` ends first,
    ``WaitTimedOut`` after ``timeout_s``), which also quotes the end of ``log``.
    """
    return wait_until(
        lambda: http_ok(url, request_timeout_s),
        timeout_s,
        exited=f"{what} exited before {url} answered",
        timed_out=f"{what} did not answer {url} within {timeout_s:g} s",
        process=process,
        log=log,
        interval_s=interval_s,
    )


def wait_for_port(
    port: int,
    timeout_s: float,
    what: str,
    log: Optional[Path] = None,
    *,
    process: Optional[subprocess.Popen] = None,
    host: str = LOOPBACK,
    interval_s: float = 0.2,
) -> float:
    """Wait until ``host:port`` accepts TCP connections; return the seconds waited (errors as
    ``wait_for_http``'s)."""
    return wait_until(
        lambda: port_open(port, host),
        timeout_s,
        exited=f"{what} exited before listening on {host}:{port}",
        timed_out=f"{what} did not listen on {host}:{port} in {timeout_s:g} s",
        process=process,
        log=log,
        interval_s=interval_s,
    )


# ---------------------------------------------------------------- private files, secrets


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, which is mode 600 before the first byte is written (a file
    already there, with whatever mode, is truncated and made 600 first; a symlink is refused)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        data = text.encode()
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 600 if it is missing; make it 600 if it is there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def local_secret(folder: Path, name: str) -> str:
    """The random secret kept in ``folder/name``: created on first use (64 hex characters, in
    a file that is mode 600 before it is written), the same one on every later call. A file
    left empty (a start interrupted at the wrong moment) gets a new secret."""
    path = folder / name
    if path.exists():
        kept = path.read_text().strip()
        if kept:
            return kept
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, secrets.token_hex(32))
    return path.read_text().strip()
