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
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

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


SMS_CHANNEL = "assistant.channels.sms.SmsInput"
WEB_CHANNEL = "assistant.channels.web.WebChatInput"
REST_CHANNEL = "assistant.channels.rest.PatientRestInput"


def _local_secret(state_dir: Path, name: str) -> str:
    """A random secret kept in the state folder (mode 600), created on first use."""
    import secrets

    path = state_dir / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


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
                extra["SMS_ID_SECRET"] = _local_secret(state_dir, "sms_id_secret")
            if not env.get("SMS_STATE_DB_URL") and not env.get("SMS_STATE_DB"):
                extra["SMS_STATE_DB"] = str(state_dir / "sms.db")
            notes.append("SMS channel: on at /webhooks/sms/webhook (signature checked)")
    if not env.get("ACTION_SERVER_TOKEN"):
        extra["ACTION_SERVER_TOKEN"] = _local_secret(state_dir, "action_server_token")
    if WEB_CHANNEL in channels and not env.get("WEB_SESSION_SECRET"):
        extra["WEB_SESSION_SECRET"] = _local_secret(state_dir, "web_session_secret")
    if REST_CHANNEL in channels and not env.get("REST_TOKEN"):
        # REST is for integrations and `make shell`; it always needs this token.
        extra["REST_TOKEN"] = _local_secret(state_dir, "rest_token")
    target = state_dir / "credentials.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(channels, sort_keys=False))
    return target, extra, notes


def wait_until_up(url: str, process: subprocess.Popen, timeout_s: float) -> None:
    """Poll ``url`` until it answers 200; fail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - loopback URL
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up within {timeout_s:.0f} s")


def start_servers(
    root: Path,
    model: Path,
    settings: RunSettings,
    extra_env: Optional[Mapping[str, str]] = None,
    rasa_server: Optional[Sequence[str]] = None,
) -> List[subprocess.Popen]:
    """Start both servers and wait until they answer. Returns the processes.

    ``rasa_server`` is the command for the Rasa server (default: this project's,
    ``assistant.rasa_server``; the benchmark passes plain ``rasa`` for stock Rasa).
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
    actions = subprocess.Popen(
        [sys.executable, "-m", "assistant.action_server"],
        cwd=root,
        env={**env, "ACTION_HOST": settings.host, "ACTION_PORT": str(settings.action_port)},
    )
    processes = [actions]
    try:
        wait_until_up(f"http://{settings.host}:{settings.action_port}/health", actions, 120)
        rasa = subprocess.Popen(
            [
                *(rasa_server or server_command()),
                "run",
                "--model",
                str(model),
                "--interface",
                settings.host,
                "--port",
                str(settings.rasa_port),
                "--endpoints",
                settings.endpoints,
                "--credentials",
                str(credentials),
            ],
            cwd=root,
            env=env,
        )
        processes.append(rasa)
        wait_until_up(f"http://{settings.host}:{settings.rasa_port}/webhooks/rest/", rasa, 300)
        if settings.console_port:
            processes.append(_start_console(root, settings, env, state_dir))
    except BaseException:
        stop(processes)
        raise
    return processes


def _start_console(
    root: Path, settings: RunSettings, env: Mapping[str, str], state_dir: Path
) -> subprocess.Popen:
    console = subprocess.Popen(
        [sys.executable, "-m", "assistant.console", "serve"],
        cwd=root,
        env={
            **env,
            "CONSOLE_HOST": settings.host,
            "CONSOLE_PORT": str(settings.console_port),
            "CONSOLE_DB_URL": env.get("CONSOLE_DB_URL") or f"sqlite:///{state_dir / 'tracker.db'}",
        },
    )
    try:
        wait_until_up(f"http://{settings.host}:{settings.console_port}/health", console, 120)
    except BaseException:
        stop([console])
        raise
    return console


def console_has_users(state_dir: Path) -> bool:
    """Whether the default (SQLite) console database has an account yet."""
    import sqlite3

    path = state_dir / "tracker.db"
    if os.environ.get("CONSOLE_DB_URL") or not path.exists():
        return bool(os.environ.get("CONSOLE_DB_URL"))
    try:
        with sqlite3.connect(path) as connection:
            return bool(connection.execute("SELECT count(*) FROM console_users").fetchone()[0])
    except sqlite3.Error:
        return False


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
        + (
            ""
            if console_has_users(root / settings.state_dir)
            else "  No console accounts yet: make console-user NAME=you ROLE=admin\n"
        )
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
