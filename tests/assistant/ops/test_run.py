"""`make run`'s channel set-up: every secret a channel needs exists before Rasa starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.ops.run import prepare_channels

ROOT = Path(__file__).resolve().parents[3]


def test_rest_gets_a_private_local_token(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.yml"
    shutil.copy(ROOT / "credentials.yml", credentials)
    state = tmp_path / "state"
    _, extra, _ = prepare_channels(state, credentials, {})
    token = extra["REST_TOKEN"]
    assert len(token) >= 16
    assert (state / "rest_token").read_text().strip() == token
    assert (state / "rest_token").stat().st_mode & 0o077 == 0
    # The same token on the next start (make shell reads the file), none when one is given.
    assert prepare_channels(state, credentials, {})[1]["REST_TOKEN"] == token
    assert "REST_TOKEN" not in prepare_channels(state, credentials, {"REST_TOKEN": "x" * 20})[1]


def test_local_endpoints_are_read_by_rasa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.utils import AvailableEndpoints

    from assistant.ops.run import STRICT_TRACKER_STORE, write_local_endpoints

    monkeypatch.setenv("ACTION_SERVER_TOKEN", "t" * 24)
    endpoints = AvailableEndpoints.read_endpoints(
        str(write_local_endpoints(tmp_path, 5999, redis_port=6999))
    )
    assert endpoints.action is not None and endpoints.tracker_store is not None
    assert endpoints.action.url == "http://127.0.0.1:5999/webhook"
    assert endpoints.action.headers == {"Authorization": "Bearer " + "t" * 24}
    assert endpoints.tracker_store.type == STRICT_TRACKER_STORE
    assert endpoints.tracker_store.kwargs["db"] == str(tmp_path / "tracker.db")
    assert endpoints.lock_store is not None and endpoints.lock_store.kwargs["port"] == 6999
    assert "lock_store" not in write_local_endpoints(tmp_path, 5999).read_text()
