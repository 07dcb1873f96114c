"""The production profile (PostgreSQL, Redis, nginx, two Rasa replicas, action server,
console) started once for the fault tests, on free loopback ports in a private folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import sqlalchemy as sa

from assistant.ops.prod import ProdSettings, RunningProfile, start_profile
from tests.support.sanic_server import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def prod(trained_model: Path) -> Iterator[RunningProfile]:
    subprocess.run([str(ROOT / "scripts" / "ensure_prod_packages.sh")], check=True)
    # PostgreSQL runs as its own user, which must be able to reach its folder.
    state = Path(tempfile.mkdtemp(prefix="assistant-prod-", dir="/tmp"))
    state.chmod(0o755)
    settings = ProdSettings(
        state_dir=state,
        patient_port=free_port(),
        staff_port=free_port(),
        rasa_ports=(free_port(), free_port()),
        action_port=free_port(),
        console_port=free_port(),
        postgres_port=free_port(),
        redis_port=free_port(),
        log_level="INFO",  # the production log level
    )
    profile = start_profile(settings, ROOT, trained_model, progress=False)
    yield profile
    profile.stop()
    shutil.rmtree(state, ignore_errors=True)


def post(url: str, body: Dict[str, Any], timeout: float = 30) -> Tuple[int, Any]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, None


def get_status(url: str, timeout: float = 10) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


def say(profile: RunningProfile, sender: str, text: str) -> List[Dict[str, Any]]:
    status, body = post(
        f"{profile.patient_url}/webhooks/rest/webhook", {"sender": sender, "message": text}
    )
    assert status == 200, status
    return list(body)


def user_texts(profile: RunningProfile, sender: str) -> List[str]:
    """The patient messages stored for ``sender``, in event order."""
    return [e["text"] for e in stored_events(profile, sender) if e["event"] == "user"]


def stored_events(profile: RunningProfile, sender: str) -> List[Dict[str, Any]]:
    engine = sa.create_engine(profile.postgres.url())
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            ).all()
    finally:
        engine.dispose()
    return [json.loads(row[0]) for row in rows]
