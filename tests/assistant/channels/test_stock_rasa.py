"""Stock ``rasa run`` in a fresh clone (no secrets in the environment): it stops with one clear
line, or starts with the channels that lack their secrets off (503) and a warning for each."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Tuple

from assistant.ops.processes import free_port

ROOT = Path(__file__).resolve().parents[3]
RASA = str(Path(sys.executable).with_name("rasa"))
TOKEN = "action-token-for-the-stock-rasa-test"


def clean_env(**extra: str) -> Dict[str, str]:
    """What a fresh shell has: no secret, no ``make`` variables."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return {**env, "RASA_TELEMETRY_ENABLED": "false", **extra}


def run_rasa(args: List[str], env: Dict[str, str], cwd: Path = ROOT) -> Tuple[int, List[str]]:
    done = subprocess.run(
        [RASA, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    return done.returncode, (done.stdout + done.stderr).splitlines()


def error_lines(lines: List[str]) -> List[str]:
    """The lines that say why Rasa stopped (its RasaException line, or a traceback)."""
    return [line for line in lines if re.search(r"Exception|Error|MissingSecret|Traceback", line)]


def test_without_the_action_token_rasa_run_stops_with_one_line() -> None:
    code, lines = run_rasa(
        ["run", "--enable-api", "--interface", "127.0.0.1", "--port", str(free_port())],
        clean_env(),
    )
    assert code == 1
    [line] = error_lines(lines)
    assert "ACTION_SERVER_TOKEN" in line
    assert "make run" in line and "make shell" in line, "the line must say what to run instead"


def test_in_production_a_channel_without_its_secret_stops_rasa_run_with_one_line() -> None:
    code, lines = run_rasa(
        ["run", "--enable-api", "--interface", "127.0.0.1", "--port", str(free_port())],
        clean_env(ACTION_SERVER_TOKEN=TOKEN, ASSISTANT_REQUIRE_CHANNEL_SECRETS="1"),
    )
    assert code == 1
    [line] = error_lines(lines)
    assert "MissingSecret" in line
    assert "REST_TOKEN" in line  # the first channel in credentials.yml
    assert "ASSISTANT_REQUIRE_CHANNEL_SECRETS=1" in line


def _request(url: str, body: bytes | None = None) -> Tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait_until_up(url: str, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "rasa run exited"
        try:
            if _request(url)[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up")


def test_with_only_the_action_token_rasa_run_starts_with_the_channels_off(
    tmp_path: Path,
) -> None:
    # A copy of the project's two files, so the tracker store's SQLite file lands in tmp_path;
    # no model there: with --enable-api Rasa starts without one (a fresh clone has none).
    for name in ("endpoints.yml", "credentials.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".state").mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "rasa.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [RASA, "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=clean_env(ACTION_SERVER_TOKEN=TOKEN, PYTHONPATH=str(ROOT)),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(f"{base}/", process, 240)
            replies = {
                "rest": _request(
                    f"{base}/webhooks/rest/webhook", b'{"sender": "me", "message": "hi"}'
                ),
                "web": _request(f"{base}/webhooks/web/demo"),
                "sms": _request(f"{base}/webhooks/sms/webhook", b"Body=hi&From=%2B13105550142"),
            }
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    output_lines = log.read_text().splitlines()
    needs = {
        "rest": ["REST_TOKEN"],
        "web": ["WEB_SESSION_SECRET"],
        "sms": ["TWILIO_AUTH_TOKEN", "SMS_ID_SECRET"],
    }
    for channel, names in needs.items():
        status, body = replies[channel]
        assert status == 503, channel
        error = json.loads(body)["error"]
        assert f"the {channel} channel is off" in error
        assert all(name in error for name in names)
        [warning] = [line for line in output_lines if f"The {channel} channel is OFF" in line]
        assert "WARNING" in warning
        assert all(name in warning for name in names)
    assert not [line for line in output_lines if "Traceback" in line]
