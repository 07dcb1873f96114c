"""assistant.ops.processes: free ports, readiness waits that say what they waited for (and
show the server's log), and the private secret files of ``.state/``."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from assistant.ops.processes import (
    NotReady,
    ProcessExited,
    WaitTimedOut,
    free_port,
    local_secret,
    log_tail,
    wait_for_http,
    wait_for_port,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[int]:
    """An HTTP server on a free port: 200 on /health, 404 elsewhere."""
    server = HTTPServer(("127.0.0.1", free_port()), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_free_port_can_be_listened_on() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen(1)


def test_wait_for_http_returns_once_the_url_answers(health_server: int) -> None:
    waited = wait_for_http(f"http://127.0.0.1:{health_server}/health", 10, interval_s=0.05)
    assert 0 <= waited < 5


def test_a_wait_that_times_out_names_what_it_waited_for_and_shows_the_log(
    tmp_path: Path, health_server: int
) -> None:
    log = tmp_path / "rasa.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)) + "Loading the model...\n")
    url = f"http://127.0.0.1:{health_server}/not-there"  # answers, but 404
    with pytest.raises(WaitTimedOut) as caught:
        wait_for_http(url, 0.3, what="the Rasa server", log=log, interval_s=0.05)
    message = str(caught.value)
    assert "the Rasa server" in message and url in message and "within 0.3 s" in message
    assert str(log) in message
    assert message.endswith("Loading the model...")  # the log's last lines are quoted
    assert "line 99" in message and "line 10\n" not in message  # ... only the last ones
    assert isinstance(caught.value, TimeoutError) and isinstance(caught.value, NotReady)


def test_a_port_nobody_listens_on_times_out_with_the_port_in_the_message(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(WaitTimedOut, match=f"nginx did not listen on 127.0.0.1:{port} in 0.3 s"):
        wait_for_port(port, 0.3, "nginx", tmp_path / "missing.log", interval_s=0.05)


def test_wait_for_port_returns_once_something_listens() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        assert wait_for_port(server.getsockname()[1], 5, "a listener") < 5


def test_a_process_that_exits_early_is_reported_with_its_code_and_log(tmp_path: Path) -> None:
    log = tmp_path / "actions.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-c", "import sys; print('no model found', flush=True); sys.exit(3)"],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    port = free_port()  # nothing will ever answer there
    with pytest.raises(ProcessExited) as caught:
        wait_for_http(
            f"http://127.0.0.1:{port}/health", 60, process, what="the action server", log=log
        )
    assert caught.value.returncode == 3
    message = str(caught.value)
    assert "the action server exited" in message and "exit code 3" in message
    assert "no model found" in message and str(log) in message


def test_log_tail_of_a_missing_log_is_empty(tmp_path: Path) -> None:
    assert log_tail(tmp_path / "nothing.log") == ""
    assert log_tail(None) == ""


def test_a_local_secret_is_created_private_and_reused(tmp_path: Path) -> None:
    old_umask = os.umask(0)  # even with a permissive umask, the file is 600
    try:
        secret = local_secret(tmp_path / "state", "rest_token")
    finally:
        os.umask(old_umask)
    path = tmp_path / "state" / "rest_token"
    assert _mode(path) == 0o600
    assert len(secret) == 64 and path.read_text() == secret
    assert local_secret(tmp_path / "state", "rest_token") == secret  # the same on every start
    assert local_secret(tmp_path / "state", "web_session_secret") != secret


def test_an_empty_secret_file_gets_a_new_secret(tmp_path: Path) -> None:
    path = tmp_path / "action_server_token"
    path.touch(mode=0o644)
    secret = local_secret(tmp_path, "action_server_token")
    assert len(secret) == 64 and path.read_text() == secret
    assert _mode(path) == 0o600
