"""Start the real action server and Rasa server (trained model) for end-to-end tests."""

from __future__ import annotations

import json
import secrets
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from assistant.ops.processes import free_port
from assistant.ops.run import RunSettings, start_servers, stop, write_local_endpoints

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningAssistant:
    url: str
    ports: tuple[int, int]
    tracker_db: Path
    processes: List[subprocess.Popen]
    rest_token: str  # the REST channel's bearer token (REST_TOKEN)

    def say(self, sender: str, text: str, timeout: float = 30) -> List[Dict[str, Any]]:
        """POST one message to the REST channel and return the bot's replies."""
        status, body = self.post({"sender": sender, "message": text}, timeout)
        assert status == 200, (status, body)
        return list(body)

    def post(self, body: Any, timeout: float = 30, token: Optional[str] = None) -> tuple[int, Any]:
        return self.post_raw(json.dumps(body).encode(), timeout, token)

    def post_raw(
        self, data: bytes, timeout: float = 30, token: Optional[str] = None
    ) -> tuple[int, Any]:
        """POST to the REST channel with the server's token, or ``token`` ("" for none)."""
        token = self.rest_token if token is None else token
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url, data, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                return reply.status, json.load(reply)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def stop(self) -> None:
        stop(self.processes)


def start_assistant(
    workdir: Path,
    model: Path,
    knowledge_dir: Optional[Path] = None,
    env: Optional[Dict[str, str]] = None,
    ports: Optional[tuple[int, int]] = None,
    console_port: int = 0,
) -> RunningAssistant:
    """Both servers on free loopback ports (or ``ports``: action, rasa), with a SQLite
    tracker store in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    action_port, rasa_port = ports or (free_port(), free_port())
    tracker_db = workdir / "tracker.db"
    endpoints = write_local_endpoints(workdir, action_port)
    settings = RunSettings(
        host="127.0.0.1",
        rasa_port=rasa_port,
        action_port=action_port,
        endpoints=str(endpoints),
        credentials=str(ROOT / "credentials.yml"),
        state_dir=str(workdir),
        console_port=console_port,
    )
    extra = dict(env or {})
    extra.setdefault("REST_TOKEN", secrets.token_hex(24))
    # Every test visitor comes from 127.0.0.1: the per-address limits would count the whole
    # suite as one patient (tests of the limits set their own values).
    extra.setdefault("WEB_RATE_ADDRESS_SESSIONS_PER_10_MIN", "0")
    extra.setdefault("WEB_RATE_ADDRESS_MESSAGES_PER_MIN", "0")
    # These servers are checked for what they answer. On a busy 2-core machine a reply after a
    # knowledge reload can pass the patient deadline (2.5 s) and the apology would go out
    # instead; the deadline itself is tested in the channels' unit tests and tests/prod.
    for deadline in ("REST_REPLY_TIMEOUT_S", "WEB_REPLY_TIMEOUT_S", "SMS_REPLY_TIMEOUT_S"):
        extra.setdefault(deadline, "30")
    if knowledge_dir:
        extra["KNOWLEDGE_DIR"] = str(knowledge_dir)
    processes = start_servers(ROOT, model, settings, extra_env=extra)
    return RunningAssistant(
        url=f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
        ports=(action_port, rasa_port),
        tracker_db=tracker_db,
        processes=processes,
        rest_token=extra["REST_TOKEN"],
    )
