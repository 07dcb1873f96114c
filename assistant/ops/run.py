"""``python -m assistant.ops.run``: start the action server, the Rasa server and the staff
console, in the foreground, until Ctrl-C; then stop them all.

Defaults are embedded (loopback only, SQLite tracker store in ``.state/``); every port and
host can be changed through the environment variables listed in the README.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

from assistant.ops.processes import local_secret, wait_for_http
from assistant.ops.train import ensure_model
from assistant.rasa_server import server_command


@dataclass(frozen=True)
class RunSettings:
    host: str
    rasa_port: int
    action_port: int
    endpoints: str
    credentials: str
    state_dir: str = ".state"
    console_port: int = 5010  # 0: no staff console

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RunSettings:
        return cls(
            host=env.get("ASSISTANT_HOST", "127.0.0.1"),
            rasa_port=int(env.get("RASA_PORT", "5005")),
            action_port=int(env.get("ACTION_PORT", "5055")),
            endpoints=env.get("RASA_ENDPOINTS", "endpoints.yml"),
            credentials=env.get("RASA_CREDENTIALS", "credentials.yml"),
            state_dir=env.get("ASSISTANT_STATE_DIR", ".state"),
            console_port=int(env.get("CONSOLE_PORT", "5010")),
        )


SMS_CHANNEL = "assistant.channels.sms.channel.SmsInput"
WEB_CHANNEL = "assistant.channels.web.channel.WebChatInput"
REST_CHANNEL = "assistant.channels.rest.PatientRestInput"


STRICT_TRACKER_STORE = "assistant.stores.tracker_store.StrictSQLTrackerStore"


def write_local_endpoints(
    workdir: Path,
    action_port: int,
    tracker_store: str = STRICT_TRACKER_STORE,
    redis_port: Optional[int] = None,
    host: str = "127.0.0.1",
) -> Path:
    """``workdir/endpoints.yml`` for servers on free ports (tests, the bench, screenshots):
    the action server on ``action_port`` with its token, a SQLite tracker store of type
    ``tracker_store`` in ``workdir/tracker.db`` and, with ``redis_port``, a Redis lock store."""
    endpoints = workdir / "endpoints.yml"
    text = (
        f'action_endpoint:\n  url: "http://{host}:{action_port}/webhook"\n'
        "  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n"
        f"tracker_store:\n  type: {tracker_store}\n  dialect: sqlite\n"
        f"  db: {workdir / 'tracker.db'}\n"
    )
    if redis_port:
        text += f"lock_store:\n  type: redis\n  url: {host}\n  port: {redis_port}\n  db: 1\n"
    endpoints.write_text(text)
    return endpoints


def prepare_channels(
    state_dir: Path, credentials: Path, env: Mapping[str, str]
) -> tuple[Path, Dict[str, str], List[str]]:
    """The credentials file Rasa gets, extra environment, and notes for the user.

    The SMS channel needs TWILIO_AUTH_TOKEN; without it the channel is left out. Its
    conversation-id secret comes from SMS_ID_SECRET, or a random one kept in .state/.
    """
    import yaml

    channels = yaml.safe_load(credentials.read_text()) or {}
    extra: Dict[str, str] = {}
    notes: List[str] = []
    if SMS_CHANNEL in channels:
        if not env.get("TWILIO_AUTH_TOKEN"):
            del channels[SMS_CHANNEL]
            notes.append("SMS channel: off (set TWILIO_AUTH_TOKEN to turn it on)")
        else:
            if not env.get("SMS_ID_SECRET"):
                extra["SMS_ID_SECRET"] = local_secret(state_dir, "sms_id_secret")
            if not env.get("SMS_STATE_DB_URL") and not env.get("SMS_STATE_DB"):
                extra["SMS_STATE_DB"] = str(state_dir / "sms.db")
            notes.append("SMS channel: on at /webhooks/sms/webhook (signature checked)")
    if not env.get("ACTION_SERVER_TOKEN"):
        extra["ACTION_SERVER_TOKEN"] = local_secret(state_dir, "action_server_token")
    if WEB_CHANNEL in channels and not env.get("WEB_SESSION_SECRET"):
        extra["WEB_SESSION_SECRET"] = local_secret(state_dir, "web_session_secret")
    if REST_CHANNEL in channels and not env.get("REST_TOKEN"):
        # REST is for integrations and `make shell`; it always needs this token.
        extra["REST_TOKEN"] = local_secret(state_dir, "rest_token")
    target = state_dir / "credentials.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(channels, sort_keys=False))
    return target, extra, notes


ReadyCallback = Callable[[str, float], None]


def start_servers(
    root: Path,
    model: Path,
    settings: RunSettings,
    extra_env: Optional[Mapping[str, str]] = None,
    rasa_server: Optional[Sequence[str]] = None,
    on_ready: Optional[ReadyCallback] = None,
    log: Optional[Path] = None,
) -> List[subprocess.Popen]:
    """Start both servers (and the console, unless its port is 0) and wait until they answer.
    Returns the processes.

    ``rasa_server`` is the command for the Rasa server (default: this project's,
    ``assistant.rasa_server``; the benchmark passes plain ``rasa`` for stock Rasa).
    ``on_ready(name, time.perf_counter())`` is called as each server first answers (``name``:
    ``actions``, ``rasa``, ``console``); the benchmark times start-up with it. With ``log``,
    the servers' output is appended to that file instead of this terminal, and a server that
    fails to start is reported with the file's last lines.
    """
    base_env = {**os.environ, **(extra_env or {})}
    state_dir = root / settings.state_dir
    credentials, channel_env, _ = prepare_channels(state_dir, root / settings.credentials, base_env)
    env: Dict[str, str] = {
        **base_env,
        **channel_env,
        "PYTHONPATH": str(root),
        "RASA_TELEMETRY_ENABLED": "false",
        # Rasa 3.6's dependencies print pages of deprecation warnings at start-up.
        "PYTHONWARNINGS": os.environ.get("PYTHONWARNINGS", "ignore"),
    }
    state_dir.mkdir(parents=True, exist_ok=True)
    ready = on_ready or (lambda _name, _at: None)
    host = settings.host
    actions = _spawn(
        [sys.executable, "-m", "assistant.action_server"],
        root,
        {**env, "ACTION_HOST": host, "ACTION_PORT": str(settings.action_port)},
        log,
    )
    processes = [actions]
    try:
        url = f"http://{host}:{settings.action_port}/health"
        wait_for_http(url, 120, actions, what="the action server", log=log)
        ready("actions", time.perf_counter())
        rasa = _spawn(
            [
                *(rasa_server or server_command()),
                "run",
                "--model",
                str(model),
                "--interface",
                host,
                "--port",
                str(settings.rasa_port),
                "--endpoints",
                settings.endpoints,
                "--credentials",
                str(credentials),
            ],
            root,
            env,
            log,
        )
        processes.append(rasa)
        url = f"http://{host}:{settings.rasa_port}/webhooks/rest/"
        wait_for_http(url, 300, rasa, what="the Rasa server", log=log)
        ready("rasa", time.perf_counter())
        if settings.console_port:
            processes.append(_start_console(root, settings, env, state_dir, log))
            ready("console", time.perf_counter())
    except BaseException:
        stop(processes)
        raise
    return processes


def _spawn(
    command: Sequence[str], root: Path, env: Mapping[str, str], log: Optional[Path]
) -> subprocess.Popen:
    """Start ``command`` in ``root``; its output goes to ``log`` (appended) or this terminal."""
    if log is None:
        return subprocess.Popen(list(command), cwd=root, env=dict(env))
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            list(command), cwd=root, env=dict(env), stdout=sink, stderr=subprocess.STDOUT
        )


def _start_console(
    root: Path,
    settings: RunSettings,
    env: Mapping[str, str],
    state_dir: Path,
    log: Optional[Path] = None,
) -> subprocess.Popen:
    console = _spawn(
        [sys.executable, "-m", "assistant.console", "serve"],
        root,
        {
            **env,
            "CONSOLE_HOST": settings.host,
            "CONSOLE_PORT": str(settings.console_port),
            "CONSOLE_DB_URL": env.get("CONSOLE_DB_URL") or f"sqlite:///{state_dir / 'tracker.db'}",
        },
        log,
    )
    try:
        url = f"http://{settings.host}:{settings.console_port}/health"
        wait_for_http(url, 120, console, what="the staff console", log=log)
    except BaseException:
        stop([console])
        raise
    return console


FIRST_ACCOUNT_LINE = "  No console account yet: make console-user NAME=alice ROLE=admin\n"


def first_account_line(state_dir: Path, env: Mapping[str, str]) -> str:
    """FIRST_ACCOUNT_LINE while the console's default SQLite database has no account, else ''
    (also with CONSOLE_DB_URL set: that database is not looked at)."""
    import contextlib
    import sqlite3

    if env.get("CONSOLE_DB_URL"):
        return ""
    try:  # read-only: never creates the file
        uri = f"{(state_dir / 'tracker.db').resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
            count = connection.execute("SELECT count(*) FROM console_users").fetchone()[0]
    except sqlite3.Error:  # no file or no table yet: no account either
        count = 0
    return "" if count else FIRST_ACCOUNT_LINE


def stop(processes: List[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: Optional[List[str]] = None) -> int:
    from assistant.quiet_warnings import install

    install()
    root = Path.cwd()
    settings = RunSettings.from_env(os.environ)
    model = ensure_model(root)
    print("Starting the action server, the Rasa server and the staff console...", flush=True)
    processes = start_servers(root, model, settings)
    url = f"http://localhost:{settings.rasa_port}/webhooks/rest/webhook"
    _, _, notes = prepare_channels(
        root / settings.state_dir, root / settings.credentials, os.environ
    )
    print(
        "\nThe assistant is ready.\n"
        f"Chat demo: http://localhost:{settings.rasa_port}/webhooks/web/demo\n"
        f"  REST channel: {url}\n"
        + "".join(f"  {note}\n" for note in notes)
        + f"Staff console: http://localhost:{settings.console_port}\n"
        + first_account_line(root / settings.state_dir, os.environ)
        + "  Try SMS locally: make sms   (with the same TWILIO_AUTH_TOKEN)\n"
        "  Chat in a terminal: make shell   (in another window)\n"
        f'  Or: curl -s {url} -H "Authorization: Bearer $(cat {settings.state_dir}/rest_token)"'
        f' -d \'{{"sender": "me", "message": "hi"}}\'\n'
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    stopping = run_until_stopped(processes, lambda: stop(processes))
    failed = [p for p in processes if p.returncode not in (0, None, -signal.SIGTERM)]
    return 1 if failed and not stopping else 0


def run_until_stopped(processes: List[subprocess.Popen], stop_all: Callable[[], None]) -> bool:
    """Wait for Ctrl-C, SIGTERM or a server exiting; then ``stop_all``. True if signalled."""
    stopping = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.5)
    finally:
        print("Stopping...", flush=True)
        stop_all()
    return stopping


if __name__ == "__main__":
    sys.exit(main())
